//! Seeding: CreateProduct, CreateProvisioningArtifact, UpdateProvisioningArtifact and DescribeProductAsAdmin, with
//! the product answers. An artifact's template comes from a URL (`LoadTemplateFromURL`, stored as given) or from a
//! stack of the caller's account and region (`ImportFromPhysicalId`, whose original template is read from
//! CloudFormation as the caller, kept, and served by the emulator).

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::artifacts::{ArtifactDetailOutput, artifact_answer, artifact_detail, product_ref};
use super::body::answer;
use crate::Emulator;
use crate::accounts::Caller;
use crate::catalog::{
    ArtifactPlan, ArtifactRef, ArtifactRequest, ArtifactUpdate, Guidance, NewArtifact, NewProduct, Product, ProductRef,
    Scope, TEMPLATE_ARTIFACT_TYPE, TemplateOrigin, TemplateSource,
};
use crate::clock::epoch_seconds;
use crate::error::{ErrorCode, ServiceError};
use crate::params::{IdempotencyToken, Identifier, StackArn, check_accept_language, required};
use crate::stacks::StackReadError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateProductInput {
    accept_language: Option<String>,
    name: Option<String>,
    owner: Option<String>,
    description: Option<String>,
    distributor: Option<String>,
    support_description: Option<String>,
    support_email: Option<String>,
    support_url: Option<String>,
    product_type: Option<String>,
    provisioning_artifact_parameters: Option<ArtifactProperties>,
    idempotency_token: Option<String>,
    source_connection: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ArtifactProperties {
    name: Option<String>,
    description: Option<String>,
    info: Option<HashMap<String, String>>,
    #[serde(rename = "Type")]
    artifact_type: Option<String>,
}

impl ArtifactProperties {
    /// Only CloudFormation templates (an absent `Type` is one). `Info` takes exactly one of `LoadTemplateFromURL`
    /// and `ImportFromPhysicalId` ("one of the following options, but not both"); an empty value counts as absent.
    fn into_request(self, member: &str) -> Result<ArtifactRequest, ServiceError> {
        if let Some(kind) = self.artifact_type.as_deref()
            && kind != TEMPLATE_ARTIFACT_TYPE
        {
            return Err(ServiceError::invalid_parameters(format!(
                "{member}.Type '{kind}' is not supported by this emulator; use {TEMPLATE_ARTIFACT_TYPE}"
            )));
        }
        let info = self.info.unwrap_or_default();
        let given = |key: &str| info.get(key).map(|value| value.trim()).filter(|value| !value.is_empty());
        let origin = match (given("LoadTemplateFromURL"), given("ImportFromPhysicalId")) {
            (Some(url), None) => TemplateOrigin::Url(url.to_owned()),
            (None, Some(stack)) => {
                TemplateOrigin::Stack(StackArn::parse_member(&format!("{member}.Info.ImportFromPhysicalId"), stack)?)
            }
            (Some(_), Some(_)) => {
                return Err(ServiceError::invalid_parameters(format!(
                    "{member}.Info must have exactly one of LoadTemplateFromURL and ImportFromPhysicalId, not both"
                )));
            }
            (None, None) => {
                return Err(ServiceError::invalid_parameters(format!(
                    "{member}.Info must have exactly one of LoadTemplateFromURL and ImportFromPhysicalId"
                )));
            }
        };
        Ok(ArtifactRequest { name: self.name, description: self.description, origin })
    }
}

/// The new artifact with its template at hand: a URL as given, or the stack's original template read from
/// CloudFormation as the caller (GetTemplate, `TemplateStage=Original`). A stack CloudFormation does not know is an
/// InvalidParametersException: the operation's ResourceNotFoundException is documented for the product, and the
/// stack is a parameter's value.
async fn with_template(
    emulator: &Emulator,
    caller: &Caller,
    request: ArtifactRequest,
    member: &str,
) -> Result<NewArtifact, ServiceError> {
    let ArtifactRequest { name, description, origin } = request;
    let source = match origin {
        TemplateOrigin::Url(url) => TemplateSource::Url(url),
        TemplateOrigin::Stack(stack) => {
            let body = emulator.stacks().as_caller(caller).original_template(stack.as_str()).await.map_err(
                |error| match error {
                    StackReadError::NotFound(message) => {
                        ServiceError::invalid_parameters(format!("{member}.Info.ImportFromPhysicalId: {message}"))
                    }
                    StackReadError::Unavailable(_) => ServiceError::new(ErrorCode::InternalFailure, error.to_string()),
                },
            )?;
            tracing::info!(stack = %stack.as_str(), bytes = body.len(), "template read for a new artifact");
            TemplateSource::Stack { stack, body: Arc::from(body) }
        }
    };
    Ok(NewArtifact { name, description, source })
}

pub(super) async fn create_product(
    emulator: &Emulator,
    input: CreateProductInput,
    caller: &Caller,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let name = required("Name", input.name.as_deref())?.to_owned();
    let owner = required("Owner", input.owner.as_deref())?.to_owned();
    let product_type = required("ProductType", input.product_type.as_deref())?;
    if product_type != TEMPLATE_ARTIFACT_TYPE {
        return Err(ServiceError::invalid_parameters(format!(
            "ProductType '{product_type}' is not supported by this emulator; use {TEMPLATE_ARTIFACT_TYPE}"
        )));
    }
    if input.source_connection.is_some() {
        return Err(ServiceError::invalid_parameters("SourceConnection is not supported by this emulator"));
    }
    let member = "ProvisioningArtifactParameters";
    let request = input
        .provisioning_artifact_parameters
        .ok_or_else(|| ServiceError::invalid_parameters(format!("{member} is required")))?
        .into_request(member)?;
    if let Some(token) = input.idempotency_token.as_deref() {
        IdempotencyToken::parse(token)?;
    }
    let scope = &caller.scope;
    {
        let mut catalogs = emulator.catalogs();
        let catalog = catalogs.of(scope);
        // A known token answers its product before any stack is read.
        if let Some(product) = input.idempotency_token.as_deref().and_then(|token| catalog.product_by_token(token)) {
            return create_product_answer(product);
        }
        catalog.check_origin(&request.origin)?;
    }
    let artifact = with_template(emulator, caller, request, member).await?;
    let new = NewProduct {
        name,
        owner,
        description: input.description,
        distributor: input.distributor,
        support_description: input.support_description,
        support_email: input.support_email,
        support_url: input.support_url,
        artifact,
        idempotency_token: input.idempotency_token,
    };
    let product = emulator.catalogs().of(scope).create_product(new, emulator.now());
    create_product_answer(&product)
}

fn create_product_answer(product: &Product) -> Result<Value, ServiceError> {
    answer(CreateProductOutput {
        product_view_detail: product_view_detail(product),
        provisioning_artifact_detail: product.artifacts.first().map(artifact_detail),
        tags: Vec::new(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CreateProvisioningArtifactInput {
    accept_language: Option<String>,
    product_id: Option<String>,
    parameters: Option<ArtifactProperties>,
    idempotency_token: Option<String>,
}

/// Parameters; then, before any stack is read, a known idempotency token (answered with its artifact, CREATING or
/// not), the product, the stack's account and region, the name and the artifact limit; then the stack's template;
/// then every check again as the artifact is created. An artifact made from a stack answers `Status` CREATING.
pub(super) async fn create_provisioning_artifact(
    emulator: &Emulator,
    input: CreateProvisioningArtifactInput,
    caller: &Caller,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let product_id = Identifier::parse("ProductId", required("ProductId", input.product_id.as_deref())?)?;
    let member = "Parameters";
    let request = input
        .parameters
        .ok_or_else(|| ServiceError::invalid_parameters(format!("{member} is required")))?
        .into_request(member)?;
    let token = input.idempotency_token.as_deref().map(IdempotencyToken::parse).transpose()?;
    let token = token.as_ref().map(IdempotencyToken::as_str);
    let scope = &caller.scope;
    let product = ProductRef::Id(product_id.as_str().to_owned());
    let plan = emulator.catalogs().of(scope).prepare_artifact(&product, &request, token)?;
    if let ArtifactPlan::Replay(artifact) = plan {
        tracing::info!(artifact = %artifact.id, "idempotency token seen before: answering with its artifact");
        return answer(artifact_answer(emulator, &artifact));
    }
    let new = with_template(emulator, caller, request, member).await?;
    let artifact = emulator.catalogs().of(scope).create_artifact(&product, new, token, emulator.now())?;
    answer(artifact_answer(emulator, &artifact))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateProvisioningArtifactInput {
    accept_language: Option<String>,
    product_id: Option<String>,
    provisioning_artifact_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    active: Option<bool>,
    guidance: Option<String>,
}

pub(super) fn update_provisioning_artifact(
    emulator: &Emulator,
    input: UpdateProvisioningArtifactInput,
    scope: &Scope,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let product_id = Identifier::parse("ProductId", required("ProductId", input.product_id.as_deref())?)?;
    let artifact_id = Identifier::parse(
        "ProvisioningArtifactId",
        required("ProvisioningArtifactId", input.provisioning_artifact_id.as_deref())?,
    )?;
    let update = ArtifactUpdate {
        name: input.name,
        description: input.description,
        active: input.active,
        guidance: input.guidance.as_deref().map(Guidance::parse).transpose()?,
    };
    let artifact = emulator.catalogs().of(scope).update_artifact(
        &ProductRef::Id(product_id.as_str().to_owned()),
        &ArtifactRef::Id(artifact_id.as_str().to_owned()),
        update,
    )?;
    answer(artifact_answer(emulator, &artifact))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeProductAsAdminInput {
    accept_language: Option<String>,
    id: Option<String>,
    name: Option<String>,
}

pub(super) fn describe_product_as_admin(
    emulator: &Emulator,
    input: DescribeProductAsAdminInput,
    scope: &Scope,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let product = product_ref("Id", input.id, "Name", input.name)?;
    let mut catalogs = emulator.catalogs();
    let product = catalogs.of(scope).product(&product)?;
    answer(DescribeProductAsAdminOutput {
        product_view_detail: product_view_detail(product),
        provisioning_artifact_summaries: product
            .artifacts
            .iter()
            .map(|artifact| ArtifactSummaryOutput {
                id: artifact.id.clone(),
                name: artifact.name.clone(),
                description: artifact.description.clone(),
                created_time: epoch_seconds(artifact.created),
            })
            .collect(),
        tags: Vec::new(),
        tag_options: Vec::new(),
        budgets: Vec::new(),
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct CreateProductOutput {
    product_view_detail: ProductViewDetailOutput,
    #[serde(skip_serializing_if = "Option::is_none")]
    provisioning_artifact_detail: Option<ArtifactDetailOutput>,
    tags: Vec<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeProductAsAdminOutput {
    product_view_detail: ProductViewDetailOutput,
    provisioning_artifact_summaries: Vec<ArtifactSummaryOutput>,
    tags: Vec<Value>,
    tag_options: Vec<Value>,
    budgets: Vec<Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProductViewDetailOutput {
    product_view_summary: ProductViewSummaryOutput,
    status: &'static str,
    #[serde(rename = "ProductARN")]
    product_arn: String,
    created_time: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProductViewSummaryOutput {
    id: String,
    product_id: String,
    name: String,
    owner: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    short_description: Option<String>,
    #[serde(rename = "Type")]
    product_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    distributor: Option<String>,
    has_default_path: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    support_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    support_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    support_url: Option<String>,
}

/// A product as SearchProducts and the product answers show it: `Id` is its product view id (`prodview-…`),
/// `ProductId` its id (`prod-…`).
pub(super) fn product_view_summary(product: &Product) -> ProductViewSummaryOutput {
    ProductViewSummaryOutput {
        id: product.view_id.clone(),
        product_id: product.id.clone(),
        name: product.name.clone(),
        owner: product.owner.clone(),
        short_description: product.description.clone(),
        product_type: TEMPLATE_ARTIFACT_TYPE,
        distributor: product.distributor.clone(),
        has_default_path: false,
        support_email: product.support_email.clone(),
        support_description: product.support_description.clone(),
        support_url: product.support_url.clone(),
    }
}

fn product_view_detail(product: &Product) -> ProductViewDetailOutput {
    ProductViewDetailOutput {
        product_view_summary: product_view_summary(product),
        status: "AVAILABLE",
        product_arn: product.arn.clone(),
        created_time: epoch_seconds(product.created),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ArtifactSummaryOutput {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    created_time: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::body::parse;

    fn request(json: &str) -> Result<ArtifactRequest, ServiceError> {
        let properties: ArtifactProperties = parse(json.as_bytes()).expect("json");
        properties.into_request("Parameters")
    }

    #[test]
    fn info_takes_exactly_one_of_a_url_and_a_stack() {
        let stack = "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a";
        let from_url = request(r#"{"Name":"v1","Info":{"LoadTemplateFromURL":" http://x/t "}}"#).expect("url");
        assert_eq!(from_url.origin, TemplateOrigin::Url("http://x/t".to_owned()));
        let from_stack =
            request(&format!(r#"{{"Name":"v2","Description":"d","Info":{{"ImportFromPhysicalId":"{stack}"}}}}"#))
                .expect("stack");
        assert_eq!(from_stack.origin, TemplateOrigin::Stack(StackArn::parse(stack).expect("arn")));
        assert_eq!((from_stack.name.as_deref(), from_stack.description.as_deref()), (Some("v2"), Some("d")));

        let both =
            request(&format!(r#"{{"Info":{{"LoadTemplateFromURL":"http://x/t","ImportFromPhysicalId":"{stack}"}}}}"#))
                .expect_err("both");
        assert_eq!(
            both.message,
            "Parameters.Info must have exactly one of LoadTemplateFromURL and ImportFromPhysicalId, not both"
        );
        for neither in [r#"{"Name":"v1"}"#, r#"{"Info":{}}"#, r#"{"Info":{"LoadTemplateFromURL":" "}}"#] {
            let error = request(neither).expect_err(neither);
            assert_eq!(error.code, ErrorCode::InvalidParameters);
            assert!(error.message.contains("exactly one of LoadTemplateFromURL and ImportFromPhysicalId"), "{neither}");
        }
        let not_a_stack = request(r#"{"Info":{"ImportFromPhysicalId":"payments-api"}}"#).expect_err("a name");
        assert!(not_a_stack.message.starts_with("Parameters.Info.ImportFromPhysicalId 'payments-api'"));
    }

    #[test]
    fn only_cloudformation_templates_are_artifacts() {
        let terraform = request(r#"{"Type":"TERRAFORM_OPEN_SOURCE","Info":{"LoadTemplateFromURL":"http://x/t"}}"#);
        assert!(terraform.expect_err("terraform").message.contains("TERRAFORM_OPEN_SOURCE"));
        let typed = request(r#"{"Type":"CLOUD_FORMATION_TEMPLATE","Info":{"LoadTemplateFromURL":"http://x/t"}}"#);
        assert!(typed.is_ok());
    }
}
