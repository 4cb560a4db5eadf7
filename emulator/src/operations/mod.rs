//! One function per Service Catalog operation: its JSON input parsed into the catalog's terms, its answer in the
//! member names of the API (the ones `aws-sdk-servicecatalog` 1.121 reads). Each works in the catalog of the
//! caller's account and region (its `Scope`).
//!
//! This file dispatches an operation by name. Layers, lowest first (a module imports only those before it): `body`
//! (JSON in and out), `artifacts` (what the importer reads about artifacts, and the artifact answers), `seeding`
//! (products and artifacts created, the product answers), `products` (SearchProducts), `search`
//! (SearchProvisionedProducts), `import` (ImportAsProvisionedProduct and DescribeRecord).

mod artifacts;
mod body;
mod import;
mod products;
mod search;
mod seeding;

use serde_json::Value;

use crate::Emulator;
use crate::accounts::Caller;
use crate::error::{ErrorCode, ServiceError};
use crate::wire;
use artifacts::{describe_provisioning_artifact, list_provisioning_artifacts};
use body::parse;
use import::{describe_record, import_as_provisioned_product};
use products::search_products;
use search::search_provisioned_products;
use seeding::{create_product, create_provisioning_artifact, describe_product_as_admin, update_provisioning_artifact};

/// Every operation the emulator answers; anything else is an UnknownOperationException.
pub const OPERATIONS: [&str; 10] = [
    "CreateProduct",
    "CreateProvisioningArtifact",
    "UpdateProvisioningArtifact",
    "DescribeProductAsAdmin",
    "SearchProducts",
    "ListProvisioningArtifacts",
    "DescribeProvisioningArtifact",
    "SearchProvisionedProducts",
    "ImportAsProvisionedProduct",
    "DescribeRecord",
];

/// Runs `operation` on a request body, in the catalog of the caller's account and region.
pub async fn handle(emulator: &Emulator, operation: &str, body: &[u8], caller: &Caller) -> Result<Value, ServiceError> {
    let scope = &caller.scope;
    match operation {
        "CreateProduct" => create_product(emulator, parse(body)?, caller).await,
        "CreateProvisioningArtifact" => create_provisioning_artifact(emulator, parse(body)?, caller).await,
        "UpdateProvisioningArtifact" => update_provisioning_artifact(emulator, parse(body)?, scope),
        "DescribeProductAsAdmin" => describe_product_as_admin(emulator, parse(body)?, scope),
        "SearchProducts" => search_products(emulator, parse(body)?, scope),
        "ListProvisioningArtifacts" => list_provisioning_artifacts(emulator, parse(body)?, scope),
        "DescribeProvisioningArtifact" => describe_provisioning_artifact(emulator, parse(body)?, scope),
        "SearchProvisionedProducts" => search_provisioned_products(emulator, parse(body)?, scope),
        "ImportAsProvisionedProduct" => import_as_provisioned_product(emulator, parse(body)?, caller).await,
        "DescribeRecord" => describe_record(emulator, parse(body)?, scope),
        other => Err(ServiceError::new(
            ErrorCode::UnknownOperation,
            format!("{}{other} is not implemented by this emulator", wire::TARGET_PREFIX),
        )),
    }
}
