//! One function per Service Catalog operation: its JSON input parsed into the catalog's terms, its answer in the
//! member names of the API (the ones `aws-sdk-servicecatalog` 1.121 reads).

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Emulator;
use crate::catalog::{
    Artifact, ArtifactRef, ArtifactUpdate, Guidance, IMPORT_RECORD_TYPE, ImportPlan, ImportRequest, NewArtifact,
    NewProduct, PROVISIONED_PRODUCT_TYPE, Product, ProductRef, ProvisionedProductView, RecordEnding, RecordError,
    RecordView, StackFacts, TEMPLATE_ARTIFACT_TYPE, check_stack,
};
use crate::clock::epoch_seconds;
use crate::error::{ErrorCode, ServiceError};
use crate::params::{IdempotencyToken, Identifier, ProvisionedProductName, StackArn, check_accept_language, required};
use crate::search::{PageRequest, check_access_level, parse_filters, parse_sort};
use crate::stacks::StackReadError;
use crate::{http_get, wire};
use sc_stack_importer::template::{Template, describe};

/// Every operation the emulator answers; anything else is an UnknownOperationException.
pub const OPERATIONS: [&str; 9] = [
    "CreateProduct",
    "CreateProvisioningArtifact",
    "UpdateProvisioningArtifact",
    "DescribeProductAsAdmin",
    "ListProvisioningArtifacts",
    "DescribeProvisioningArtifact",
    "SearchProvisionedProducts",
    "ImportAsProvisionedProduct",
    "DescribeRecord",
];

/// Runs `operation` on a request body; `region` is the one the caller signed for.
pub async fn handle(emulator: &Emulator, operation: &str, body: &[u8], region: &str) -> Result<Value, ServiceError> {
    match operation {
        "CreateProduct" => create_product(emulator, parse(body)?, region),
        "CreateProvisioningArtifact" => create_provisioning_artifact(emulator, parse(body)?),
        "UpdateProvisioningArtifact" => update_provisioning_artifact(emulator, parse(body)?),
        "DescribeProductAsAdmin" => describe_product_as_admin(emulator, parse(body)?),
        "ListProvisioningArtifacts" => list_provisioning_artifacts(emulator, parse(body)?),
        "DescribeProvisioningArtifact" => describe_provisioning_artifact(emulator, parse(body)?),
        "SearchProvisionedProducts" => search_provisioned_products(emulator, parse(body)?),
        "ImportAsProvisionedProduct" => import_as_provisioned_product(emulator, parse(body)?, region).await,
        "DescribeRecord" => describe_record(emulator, parse(body)?),
        other => Err(ServiceError::new(
            ErrorCode::UnknownOperation,
            format!("{}{other} is not implemented by this emulator", wire::TARGET_PREFIX),
        )),
    }
}

/// An empty body is an empty input, as the SDK sends `{}` for operations without members.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ServiceError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body)
        .map_err(|error| ServiceError::new(ErrorCode::Serialization, format!("the request body is not valid: {error}")))
}

fn answer<T: Serialize>(output: T) -> Result<Value, ServiceError> {
    serde_json::to_value(output).map_err(|error| ServiceError::new(ErrorCode::InternalFailure, error.to_string()))
}

// ---------------------------------------------------------------------------------------------------------------
// Seeding: products and artifacts

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateProductInput {
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
    /// Only CloudFormation templates loaded from a URL: `ImportFromPhysicalId` and the other artifact types are not
    /// emulated.
    fn into_new_artifact(self, member: &str) -> Result<NewArtifact, ServiceError> {
        if let Some(kind) = self.artifact_type.as_deref()
            && kind != TEMPLATE_ARTIFACT_TYPE
        {
            return Err(ServiceError::invalid_parameters(format!(
                "{member}.Type '{kind}' is not supported by this emulator; use {TEMPLATE_ARTIFACT_TYPE}"
            )));
        }
        let info = self.info.unwrap_or_default();
        let template_url = match info.get("LoadTemplateFromURL") {
            Some(url) if !url.trim().is_empty() => url.trim().to_owned(),
            _ if info.contains_key("ImportFromPhysicalId") => {
                return Err(ServiceError::invalid_parameters(format!(
                    "{member}.Info.ImportFromPhysicalId is not supported by this emulator; use LoadTemplateFromURL"
                )));
            }
            _ => {
                return Err(ServiceError::invalid_parameters(format!("{member}.Info.LoadTemplateFromURL is required")));
            }
        };
        Ok(NewArtifact { name: self.name, description: self.description, template_url })
    }
}

fn create_product(emulator: &Emulator, input: CreateProductInput, region: &str) -> Result<Value, ServiceError> {
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
    let artifact = input
        .provisioning_artifact_parameters
        .ok_or_else(|| ServiceError::invalid_parameters("ProvisioningArtifactParameters is required"))?
        .into_new_artifact("ProvisioningArtifactParameters")?;
    if let Some(token) = input.idempotency_token.as_deref() {
        IdempotencyToken::parse(token)?;
    }
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
    let product = emulator.catalog().create_product(new, region, emulator.now());
    let first_artifact = product.artifacts.first().map(artifact_detail);
    answer(CreateProductOutput {
        product_view_detail: product_view_detail(&product),
        provisioning_artifact_detail: first_artifact,
        tags: Vec::new(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateProvisioningArtifactInput {
    accept_language: Option<String>,
    product_id: Option<String>,
    parameters: Option<ArtifactProperties>,
    idempotency_token: Option<String>,
}

fn create_provisioning_artifact(
    emulator: &Emulator,
    input: CreateProvisioningArtifactInput,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let product_id = Identifier::parse("ProductId", required("ProductId", input.product_id.as_deref())?)?;
    let artifact = input
        .parameters
        .ok_or_else(|| ServiceError::invalid_parameters("Parameters is required"))?
        .into_new_artifact("Parameters")?;
    if let Some(token) = input.idempotency_token.as_deref() {
        IdempotencyToken::parse(token)?;
    }
    let now = emulator.now();
    let artifact = emulator.catalog().create_artifact(
        &ProductRef::Id(product_id.as_str().to_owned()),
        artifact,
        input.idempotency_token.as_deref(),
        now,
    )?;
    answer(artifact_answer(&artifact))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateProvisioningArtifactInput {
    accept_language: Option<String>,
    product_id: Option<String>,
    provisioning_artifact_id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    active: Option<bool>,
    guidance: Option<String>,
}

fn update_provisioning_artifact(
    emulator: &Emulator,
    input: UpdateProvisioningArtifactInput,
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
    let artifact = emulator.catalog().update_artifact(
        &ProductRef::Id(product_id.as_str().to_owned()),
        &ArtifactRef::Id(artifact_id.as_str().to_owned()),
        update,
    )?;
    answer(artifact_answer(&artifact))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeProductAsAdminInput {
    accept_language: Option<String>,
    id: Option<String>,
    name: Option<String>,
}

fn describe_product_as_admin(emulator: &Emulator, input: DescribeProductAsAdminInput) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let product = product_ref("Id", input.id, "Name", input.name)?;
    let catalog = emulator.catalog();
    let product = catalog.product(&product)?;
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

// ---------------------------------------------------------------------------------------------------------------
// What the importer reads: artifacts

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListProvisioningArtifactsInput {
    accept_language: Option<String>,
    product_id: Option<String>,
}

fn list_provisioning_artifacts(
    emulator: &Emulator,
    input: ListProvisioningArtifactsInput,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let product_id = Identifier::parse("ProductId", required("ProductId", input.product_id.as_deref())?)?;
    let catalog = emulator.catalog();
    let product = catalog.product(&ProductRef::Id(product_id.as_str().to_owned()))?;
    answer(ListProvisioningArtifactsOutput {
        provisioning_artifact_details: product.artifacts.iter().map(artifact_detail).collect(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeProvisioningArtifactInput {
    accept_language: Option<String>,
    product_id: Option<String>,
    product_name: Option<String>,
    provisioning_artifact_id: Option<String>,
    provisioning_artifact_name: Option<String>,
}

fn describe_provisioning_artifact(
    emulator: &Emulator,
    input: DescribeProvisioningArtifactInput,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let product = product_ref("ProductId", input.product_id, "ProductName", input.product_name)?;
    let artifact = match (input.provisioning_artifact_id, input.provisioning_artifact_name) {
        (Some(id), _) => ArtifactRef::Id(Identifier::parse("ProvisioningArtifactId", &id)?.as_str().to_owned()),
        (None, Some(name)) if !name.is_empty() => ArtifactRef::Name(name),
        _ => {
            return Err(ServiceError::invalid_parameters(
                "ProvisioningArtifactId or ProvisioningArtifactName is required",
            ));
        }
    };
    let catalog = emulator.catalog();
    let (_, artifact) = catalog.artifact(&product, &artifact)?;
    answer(artifact_answer(artifact))
}

/// A product named by id (checked as an identifier) or, failing that, by name.
fn product_ref(
    id_member: &str,
    id: Option<String>,
    name_member: &str,
    name: Option<String>,
) -> Result<ProductRef, ServiceError> {
    match (id, name) {
        (Some(id), _) => Ok(ProductRef::Id(Identifier::parse(id_member, &id)?.as_str().to_owned())),
        (None, Some(name)) if !name.is_empty() => Ok(ProductRef::Name(name)),
        _ => Err(ServiceError::invalid_parameters(format!("{id_member} or {name_member} is required"))),
    }
}

// ---------------------------------------------------------------------------------------------------------------
// What the importer reads: provisioned products

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SearchProvisionedProductsInput {
    accept_language: Option<String>,
    access_level_filter: Option<AccessLevelFilterInput>,
    filters: Option<HashMap<String, Vec<String>>>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    page_size: Option<i64>,
    page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccessLevelFilterInput {
    key: Option<String>,
    value: Option<String>,
}

fn search_provisioned_products(
    emulator: &Emulator,
    input: SearchProvisionedProductsInput,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    if let Some(filter) = &input.access_level_filter {
        check_access_level(filter.key.as_deref(), filter.value.as_deref())?;
    }
    let terms = parse_filters(input.filters.as_ref())?;
    let sort = parse_sort(input.sort_by.as_deref(), input.sort_order.as_deref())?;
    let page = PageRequest::parse(input.page_size, input.page_token.as_deref())?;
    let found = emulator.catalog().search(&terms, sort, page, emulator.now());
    answer(SearchProvisionedProductsOutput {
        provisioned_products: found.products.iter().map(provisioned_product_attribute).collect(),
        total_results_count: found.total,
        next_page_token: found.next_page_token,
    })
}

// ---------------------------------------------------------------------------------------------------------------
// Import and records

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportAsProvisionedProductInput {
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

/// Parameters, then the idempotency token and the product and artifact, then the stack from CloudFormation (it
/// must exist, be in an importable status and be a root stack), then names and stacks already provisioned and any
/// import still running. The template comparison decides how the record ends, not whether it starts.
async fn import_as_provisioned_product(
    emulator: &Emulator,
    input: ImportAsProvisionedProductInput,
    region: &str,
) -> Result<Value, ServiceError> {
    let request = input.parse()?;
    let plan = emulator.catalog().prepare_import(&request, emulator.now())?;
    let template_url = match plan {
        ImportPlan::Replay(record) => {
            tracing::info!(record = %record.record.id, "idempotency token seen before: answering with its record");
            return answer(RecordOutput { record_detail: record_detail(&record) });
        }
        ImportPlan::ReadStack { template_url } => template_url,
    };
    let stack = emulator.stacks().describe(request.physical_id.as_str()).await.map_err(stack_read_error)?;
    check_stack(&stack)?;
    let ending = template_verdict(emulator, &stack, &request, &template_url).await?;
    let record = emulator.catalog().admit_import(&request, &stack, ending, region, emulator.now())?;
    tracing::info!(
        record = %record.record.id,
        provisioned_product = %record.record.provisioned_product_id,
        stack = %stack.stack_id,
        "import accepted"
    );
    answer(RecordOutput { record_detail: record_detail(&record) })
}

/// How the record will end: SUCCEEDED when the stack's template is the artifact's, FAILED with a `TemplateMismatch`
/// record error when it is not (or when either cannot be read or parsed).
async fn template_verdict(
    emulator: &Emulator,
    stack: &StackFacts,
    request: &ImportRequest,
    template_url: &str,
) -> Result<RecordEnding, ServiceError> {
    let stack_template = emulator.stacks().template(&stack.stack_id).await.map_err(stack_read_error)?;
    let artifact =
        format!("provisioning artifact {} of product {}", request.artifact_id.as_str(), request.product_id.as_str());
    let failed = |description: String| {
        tracing::info!(stack = %stack.stack_id, %description, "the import's record will fail");
        Ok(RecordEnding::Failed(vec![RecordError { code: "TemplateMismatch".to_owned(), description }]))
    };
    let artifact_template = match http_get::fetch_text(template_url).await {
        Ok(text) => text,
        Err(error) => return failed(format!("The template of {artifact} could not be read: {error}")),
    };
    // The importer's own definition of "the same template", so the two can never disagree about one stack.
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
struct DescribeRecordInput {
    accept_language: Option<String>,
    id: Option<String>,
}

fn describe_record(emulator: &Emulator, input: DescribeRecordInput) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let id = Identifier::parse("Id", required("Id", input.id.as_deref())?)?;
    let record = emulator.catalog().record(id.as_str(), emulator.now())?;
    answer(DescribeRecordOutput { record_detail: record_detail(&record), record_outputs: Vec::new() })
}

// ---------------------------------------------------------------------------------------------------------------
// Answers

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
struct ProductViewSummaryOutput {
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

fn product_view_detail(product: &Product) -> ProductViewDetailOutput {
    ProductViewDetailOutput {
        product_view_summary: ProductViewSummaryOutput {
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
        },
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

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ArtifactDetailOutput {
    id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(rename = "Type")]
    artifact_type: &'static str,
    created_time: f64,
    active: bool,
    guidance: &'static str,
}

fn artifact_detail(artifact: &Artifact) -> ArtifactDetailOutput {
    ArtifactDetailOutput {
        id: artifact.id.clone(),
        name: artifact.name.clone(),
        description: artifact.description.clone(),
        artifact_type: TEMPLATE_ARTIFACT_TYPE,
        created_time: epoch_seconds(artifact.created),
        active: artifact.active,
        guidance: artifact.guidance.as_str(),
    }
}

/// The answer of Create-, Update- and DescribeProvisioningArtifact.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ArtifactOutput {
    provisioning_artifact_detail: ArtifactDetailOutput,
    info: HashMap<&'static str, String>,
    status: &'static str,
}

fn artifact_answer(artifact: &Artifact) -> ArtifactOutput {
    ArtifactOutput {
        provisioning_artifact_detail: artifact_detail(artifact),
        info: HashMap::from([("TemplateUrl", artifact.template_url.clone())]),
        status: "AVAILABLE",
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListProvisioningArtifactsOutput {
    provisioning_artifact_details: Vec<ArtifactDetailOutput>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct SearchProvisionedProductsOutput {
    provisioned_products: Vec<ProvisionedProductAttributeOutput>,
    total_results_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProvisionedProductAttributeOutput {
    name: String,
    arn: String,
    #[serde(rename = "Type")]
    provisioned_product_type: &'static str,
    id: String,
    status: &'static str,
    created_time: f64,
    idempotency_token: String,
    last_record_id: String,
    physical_id: String,
    product_id: String,
    product_name: String,
    provisioning_artifact_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    provisioning_artifact_name: Option<String>,
    tags: Vec<Value>,
}

fn provisioned_product_attribute(view: &ProvisionedProductView) -> ProvisionedProductAttributeOutput {
    let product = &view.product;
    ProvisionedProductAttributeOutput {
        name: product.name.clone(),
        arn: product.arn.clone(),
        provisioned_product_type: PROVISIONED_PRODUCT_TYPE,
        id: product.id.clone(),
        status: view.status,
        created_time: epoch_seconds(product.created),
        idempotency_token: product.idempotency_token.clone(),
        last_record_id: product.last_record_id.clone(),
        physical_id: product.physical_id.clone(),
        product_id: product.product_id.clone(),
        product_name: product.product_name.clone(),
        provisioning_artifact_id: product.artifact_id.clone(),
        provisioning_artifact_name: product.artifact_name.clone(),
        tags: Vec::new(),
    }
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

    #[test]
    fn an_empty_body_is_an_empty_input() {
        let input: DescribeRecordInput = parse(b"").expect("empty");
        assert!(input.id.is_none());
    }

    #[test]
    fn a_member_of_the_wrong_type_is_a_serialization_exception() {
        let error = parse::<DescribeRecordInput>(br#"{"Id": 5}"#).expect_err("number");
        assert_eq!(error.code, ErrorCode::Serialization);
    }

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
    fn an_artifact_must_load_its_template_from_a_url() {
        let properties: ArtifactProperties =
            parse(br#"{"Name":"v1","Info":{"ImportFromPhysicalId":"arn:x"}}"#).expect("json");
        let error = properties.into_new_artifact("Parameters").expect_err("physical id");
        assert!(error.message.contains("ImportFromPhysicalId"), "{}", error.message);
        let properties: ArtifactProperties =
            parse(br#"{"Name":"v1","Type":"TERRAFORM_OPEN_SOURCE","Info":{"LoadTemplateFromURL":"http://x/t"}}"#)
                .expect("json");
        assert!(properties.into_new_artifact("Parameters").is_err());
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
