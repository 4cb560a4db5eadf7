//! What the importer reads about provisioning artifacts (ListProvisioningArtifacts, DescribeProvisioningArtifact),
//! and the artifact answers the seeding operations share.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::body::answer;
use crate::Emulator;
use crate::catalog::{Artifact, ArtifactRef, ProductRef, Scope, TEMPLATE_ARTIFACT_TYPE};
use crate::clock::epoch_seconds;
use crate::error::ServiceError;
use crate::params::{Identifier, check_accept_language, required};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ListProvisioningArtifactsInput {
    accept_language: Option<String>,
    product_id: Option<String>,
}

pub(super) fn list_provisioning_artifacts(
    emulator: &Emulator,
    input: ListProvisioningArtifactsInput,
    scope: &Scope,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let product_id = Identifier::parse("ProductId", required("ProductId", input.product_id.as_deref())?)?;
    let mut catalogs = emulator.catalogs();
    let product = catalogs.of(scope).product(&ProductRef::Id(product_id.as_str().to_owned()))?;
    answer(ListProvisioningArtifactsOutput {
        provisioning_artifact_details: product.artifacts.iter().map(artifact_detail).collect(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeProvisioningArtifactInput {
    accept_language: Option<String>,
    product_id: Option<String>,
    product_name: Option<String>,
    provisioning_artifact_id: Option<String>,
    provisioning_artifact_name: Option<String>,
}

pub(super) fn describe_provisioning_artifact(
    emulator: &Emulator,
    input: DescribeProvisioningArtifactInput,
    scope: &Scope,
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
    let mut catalogs = emulator.catalogs();
    let (_, artifact) = catalogs.of(scope).artifact(&product, &artifact)?;
    answer(artifact_answer(emulator, artifact))
}

/// A product named by id (checked as an identifier) or, failing that, by name.
pub(super) fn product_ref(
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

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ArtifactDetailOutput {
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

pub(super) fn artifact_detail(artifact: &Artifact) -> ArtifactDetailOutput {
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
pub(super) struct ArtifactOutput {
    provisioning_artifact_detail: ArtifactDetailOutput,
    info: HashMap<&'static str, String>,
    status: &'static str,
}

/// `Info.TemplateUrl` is the URL the artifact was created from, or the emulator's own URL of the template it keeps
/// (`template_urls`); its `https://` form in strict mode. `Status` is CREATING or AVAILABLE as of now.
pub(super) fn artifact_answer(emulator: &Emulator, artifact: &Artifact) -> ArtifactOutput {
    ArtifactOutput {
        provisioning_artifact_detail: artifact_detail(artifact),
        info: HashMap::from([("TemplateUrl", emulator.template_url(artifact))]),
        status: artifact.status_at(emulator.now()).as_str(),
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ListProvisioningArtifactsOutput {
    provisioning_artifact_details: Vec<ArtifactDetailOutput>,
}
