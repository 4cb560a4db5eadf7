//! ImportAsProvisionedProduct (the stack read from CloudFormation, the templates compared) and DescribeRecord, with
//! the record answers.

use cfn_template::{Template, describe};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::body::answer;
use crate::Emulator;
use crate::accounts::Caller;
use crate::catalog::{
    IMPORT_RECORD_TYPE, ImportPlan, ImportRequest, PROVISIONED_PRODUCT_TYPE, RecordEnding, RecordError, RecordView,
    Scope, StackFacts, TemplateSource, check_stack,
};
use crate::clock::epoch_seconds;
use crate::error::{ErrorCode, ServiceError};
use crate::http_get;
use crate::params::{IdempotencyToken, Identifier, ProvisionedProductName, StackArn, check_accept_language, required};
use crate::stacks::{CloudFormationStacks, StackReadError};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ImportAsProvisionedProductInput {
    accept_language: Option<String>,
    product_id: Option<String>,
    provisioning_artifact_id: Option<String>,
    provisioned_product_name: Option<String>,
    physical_id: Option<String>,
    idempotency_token: Option<String>,
}

impl ImportAsProvisionedProductInput {
    fn parse(self) -> Result<ImportRequest, ServiceError> {
        check_accept_language(self.accept_language.as_deref())?;
        Ok(ImportRequest {
            product_id: Identifier::parse("ProductId", required("ProductId", self.product_id.as_deref())?)?,
            artifact_id: Identifier::parse(
                "ProvisioningArtifactId",
                required("ProvisioningArtifactId", self.provisioning_artifact_id.as_deref())?,
            )?,
            name: ProvisionedProductName::parse(required(
                "ProvisionedProductName",
                self.provisioned_product_name.as_deref(),
            )?)?,
            physical_id: StackArn::parse(required("PhysicalId", self.physical_id.as_deref())?)?,
            idempotency_token: IdempotencyToken::parse(required(
                "IdempotencyToken",
                self.idempotency_token.as_deref(),
            )?)?,
        })
    }
}

/// Parameters, then the idempotency token and the product and artifact, then the stack from CloudFormation, read as
/// the caller in the caller's account and region (it must be there, be in an importable status and be a root
/// stack), then names and stacks already provisioned and any import still running. The template comparison decides
/// how the record ends, not whether it starts.
pub(super) async fn import_as_provisioned_product(
    emulator: &Emulator,
    input: ImportAsProvisionedProductInput,
    caller: &Caller,
) -> Result<Value, ServiceError> {
    let request = input.parse()?;
    let scope = &caller.scope;
    let plan = emulator.catalogs().of(scope).prepare_import(&request, emulator.now())?;
    let template = match plan {
        ImportPlan::Replay(record) => {
            tracing::info!(record = %record.record.id, "idempotency token seen before: answering with its record");
            return answer(RecordOutput { record_detail: record_detail(&record) });
        }
        ImportPlan::ReadStack { template } => template,
    };
    let stacks = emulator.stacks().as_caller(caller);
    let stack = stacks.describe(request.physical_id.as_str()).await.map_err(stack_read_error)?;
    check_stack(&stack)?;
    let ending = template_verdict(&stacks, &stack, &request, &template).await?;
    let record = emulator.catalogs().of(scope).admit_import(&request, &stack, ending, emulator.now())?;
    tracing::info!(
        %scope,
        record = %record.record.id,
        provisioned_product = %record.record.provisioned_product_id,
        stack = %stack.stack_id,
        "import accepted"
    );
    answer(RecordOutput { record_detail: record_detail(&record) })
}

/// How the record will end: SUCCEEDED when the stack's template is the artifact's, FAILED with a `TemplateMismatch`
/// record error when it is not (or when either cannot be read or parsed). The artifact's template is fetched from
/// its URL, or, for an artifact made from a stack, is the one it keeps (not fetched from the emulator's own URL).
async fn template_verdict(
    stacks: &CloudFormationStacks,
    stack: &StackFacts,
    request: &ImportRequest,
    template: &TemplateSource,
) -> Result<RecordEnding, ServiceError> {
    let stack_template = stacks.template(&stack.stack_id).await.map_err(stack_read_error)?;
    let artifact =
        format!("provisioning artifact {} of product {}", request.artifact_id.as_str(), request.product_id.as_str());
    let failed = |description: String| {
        tracing::info!(stack = %stack.stack_id, %description, "the import's record will fail");
        Ok(RecordEnding::Failed(vec![RecordError { code: "TemplateMismatch".to_owned(), description }]))
    };
    let artifact_template = match template {
        TemplateSource::Url(url) => match http_get::fetch_text(url).await {
            Ok(text) => text,
            Err(error) => return failed(format!("The template of {artifact} could not be read: {error}")),
        },
        TemplateSource::Stack { body, .. } => body.to_string(),
    };
    // The function's own definition of "the same template" (the `cfn-template` crate), so the two can never
    // disagree about one stack.
    let parsed = Template::parse(&stack_template)
        .map_err(|error| format!("the stack's template is unreadable: {error}"))
        .and_then(|stack| {
            Template::parse(&artifact_template)
                .map(|artifact| (stack, artifact))
                .map_err(|error| format!("the artifact's template is unreadable: {error}"))
        });
    match parsed {
        Ok((stack_template, artifact_template)) => {
            let differences = stack_template.differences(&artifact_template);
            if differences.is_empty() {
                Ok(RecordEnding::Succeeded)
            } else {
                failed(format!(
                    "The template of stack {} does not match the template of {artifact}: {}",
                    stack.stack_id,
                    describe(&differences, 3)
                ))
            }
        }
        Err(reason) => failed(format!("Templates could not be compared: {reason}")),
    }
}

fn stack_read_error(error: StackReadError) -> ServiceError {
    match error {
        StackReadError::NotFound(message) => ServiceError::not_found(message),
        StackReadError::Unavailable(_) => ServiceError::new(ErrorCode::InternalFailure, error.to_string()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeRecordInput {
    accept_language: Option<String>,
    id: Option<String>,
}

pub(super) fn describe_record(
    emulator: &Emulator,
    input: DescribeRecordInput,
    scope: &Scope,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let id = Identifier::parse("Id", required("Id", input.id.as_deref())?)?;
    let record = emulator.catalogs().of(scope).record(id.as_str(), emulator.now())?;
    answer(DescribeRecordOutput { record_detail: record_detail(&record), record_outputs: Vec::new() })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordOutput {
    record_detail: RecordDetailOutput,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeRecordOutput {
    record_detail: RecordDetailOutput,
    record_outputs: Vec<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordDetailOutput {
    record_id: String,
    provisioned_product_name: String,
    status: &'static str,
    created_time: f64,
    updated_time: f64,
    provisioned_product_type: &'static str,
    record_type: &'static str,
    provisioned_product_id: String,
    product_id: String,
    provisioning_artifact_id: String,
    record_errors: Vec<RecordErrorOutput>,
    record_tags: Vec<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordErrorOutput {
    code: String,
    description: String,
}

fn record_detail(view: &RecordView) -> RecordDetailOutput {
    let record = &view.record;
    RecordDetailOutput {
        record_id: record.id.clone(),
        provisioned_product_name: record.provisioned_product_name.clone(),
        status: view.status.as_str(),
        created_time: epoch_seconds(record.created),
        updated_time: epoch_seconds(view.updated),
        provisioned_product_type: PROVISIONED_PRODUCT_TYPE,
        record_type: IMPORT_RECORD_TYPE,
        provisioned_product_id: record.provisioned_product_id.clone(),
        product_id: record.product_id.clone(),
        provisioning_artifact_id: record.artifact_id.clone(),
        record_errors: view
            .errors()
            .iter()
            .map(|error| RecordErrorOutput { code: error.code.clone(), description: error.description.clone() })
            .collect(),
        record_tags: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::body::parse;

    #[test]
    fn an_import_without_a_physical_id_is_invalid_parameters_naming_it() {
        let input: ImportAsProvisionedProductInput = parse(
            br#"{"ProductId":"prod-a","ProvisioningArtifactId":"pa-b","ProvisionedProductName":"x","IdempotencyToken":"t"}"#,
        )
        .expect("json");
        let error = input.parse().expect_err("no physical id");
        assert_eq!(error.code, ErrorCode::InvalidParameters);
        assert!(error.message.contains("PhysicalId"), "{}", error.message);
    }

    #[test]
    fn a_record_detail_uses_the_api_member_names() {
        let view = RecordView {
            record: crate::catalog::Record {
                id: "rec-a".to_owned(),
                provisioned_product_id: "pp-b".to_owned(),
                provisioned_product_name: "payments".to_owned(),
                product_id: "prod-c".to_owned(),
                artifact_id: "pa-d".to_owned(),
                created: std::time::SystemTime::UNIX_EPOCH,
                ending: RecordEnding::Succeeded,
            },
            status: crate::catalog::RecordStatus::Created,
            updated: std::time::SystemTime::UNIX_EPOCH,
        };
        let json = serde_json::to_value(record_detail(&view)).expect("json");
        for member in [
            "RecordId",
            "ProvisionedProductName",
            "Status",
            "CreatedTime",
            "UpdatedTime",
            "ProvisionedProductType",
            "RecordType",
            "ProvisionedProductId",
            "ProductId",
            "ProvisioningArtifactId",
            "RecordErrors",
        ] {
            assert!(json.get(member).is_some(), "{member} missing from {json}");
        }
        assert_eq!(json["RecordType"], "IMPORT_PROVISIONED_PRODUCT");
    }
}
