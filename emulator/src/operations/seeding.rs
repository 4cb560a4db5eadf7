//! Seeding: CreateProduct, CreateProvisioningArtifact, UpdateProvisioningArtifact and DescribeProductAsAdmin, with
//! the product answers.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::artifacts::{ArtifactDetailOutput, artifact_answer, artifact_detail, product_ref};
use super::body::answer;
use crate::Emulator;
use crate::catalog::{
    ArtifactRef, ArtifactUpdate, Guidance, NewArtifact, NewProduct, Product, ProductRef, Scope, TEMPLATE_ARTIFACT_TYPE,
};
use crate::clock::epoch_seconds;
use crate::error::ServiceError;
use crate::params::{IdempotencyToken, Identifier, check_accept_language, required};

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

pub(super) fn create_product(
    emulator: &Emulator,
    input: CreateProductInput,
    scope: &Scope,
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
    let product = emulator.catalogs().of(scope).create_product(new, emulator.now());
    let first_artifact = product.artifacts.first().map(artifact_detail);
    answer(CreateProductOutput {
        product_view_detail: product_view_detail(&product),
        provisioning_artifact_detail: first_artifact,
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

pub(super) fn create_provisioning_artifact(
    emulator: &Emulator,
    input: CreateProvisioningArtifactInput,
    scope: &Scope,
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
    let artifact = emulator.catalogs().of(scope).create_artifact(
        &ProductRef::Id(product_id.as_str().to_owned()),
        artifact,
        input.idempotency_token.as_deref(),
        now,
    )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operations::body::parse;

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
}
