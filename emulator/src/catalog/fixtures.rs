//! Test fixtures shared by the catalog's unit tests: a seeded catalog, an import request and the facts of a stack.
//! Built on `state` only, so every catalog module's tests can use them.

use std::time::{Duration, SystemTime};

use super::state::{Catalog, ImportRequest, NewArtifact, NewProduct, StackFacts};
use crate::params::{IdempotencyToken, Identifier, ProvisionedProductName, StackArn};

pub(super) const STEP: Duration = Duration::from_secs(1);
pub(super) const STACK: &str = "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a";

pub(super) fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

pub(super) fn seeded() -> (Catalog, String, String) {
    let mut catalog = Catalog::new(STEP, "123456789012");
    let product = catalog.create_product(
        NewProduct {
            name: "payments".to_owned(),
            owner: "platform".to_owned(),
            description: None,
            distributor: None,
            support_description: None,
            support_email: None,
            support_url: None,
            artifact: NewArtifact {
                name: Some("v1".to_owned()),
                description: None,
                template_url: "http://127.0.0.1:5000/templates/payments.yaml".to_owned(),
            },
            idempotency_token: Some("token-1".to_owned()),
        },
        "us-east-1",
        start(),
    );
    let artifact = product.artifacts[0].id.clone();
    (catalog, product.id, artifact)
}

pub(super) fn request(product: &str, artifact: &str, name: &str, stack: &str, token: &str) -> ImportRequest {
    ImportRequest {
        product_id: Identifier::parse("ProductId", product).expect("id"),
        artifact_id: Identifier::parse("ProvisioningArtifactId", artifact).expect("id"),
        name: ProvisionedProductName::parse(name).expect("name"),
        physical_id: StackArn::parse(stack).expect("arn"),
        idempotency_token: IdempotencyToken::parse(token).expect("token"),
    }
}

pub(super) fn facts(stack: &str, status: &str) -> StackFacts {
    StackFacts {
        stack_id: stack.to_owned(),
        name: "payments-api".to_owned(),
        status: status.to_owned(),
        parent_id: None,
    }
}
