//! Test fixtures shared by the catalog's unit tests: a seeded catalog, new artifacts, an import request and the facts
//! of a stack.
//! Built on `state` only, so every catalog module's tests can use them.

use std::time::{Duration, SystemTime};

use std::sync::Arc;

use super::state::{Catalog, ImportRequest, NewArtifact, NewProduct, Scope, StackFacts, TemplateSource};
use crate::params::{IdempotencyToken, Identifier, ProvisionedProductName, StackArn};

pub(super) const STEP: Duration = Duration::from_secs(1);
/// The account and region of `seeded()`'s catalog, which are `STACK`'s.
pub(super) const ACCOUNT: &str = "111122223333";
pub(super) const REGION: &str = "us-east-1";
pub(super) const STACK: &str = "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a";

pub(super) fn start() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
}

/// A catalog of `ACCOUNT` in `REGION`, with one product and its artifact; the catalog, product id and artifact id.
pub(super) fn seeded() -> (Catalog, String, String) {
    seeded_in(Scope::new(ACCOUNT, REGION))
}

/// A catalog of `scope`, with one product and its artifact; the catalog, product id and artifact id.
pub(super) fn seeded_in(scope: Scope) -> (Catalog, String, String) {
    let mut catalog = Catalog::new(STEP, scope);
    let product = catalog.create_product(new_product("payments", Some("token-1")), start());
    let artifact = product.artifacts[0].id.clone();
    (catalog, product.id, artifact)
}

/// A CreateProduct request with one artifact named v1.
pub(super) fn new_product(name: &str, idempotency_token: Option<&str>) -> NewProduct {
    NewProduct {
        name: name.to_owned(),
        owner: "platform".to_owned(),
        description: None,
        distributor: None,
        support_description: None,
        support_email: None,
        support_url: None,
        artifact: url_artifact(Some("v1"), "http://127.0.0.1:5000/templates/payments.yaml"),
        idempotency_token: idempotency_token.map(str::to_owned),
    }
}

/// A new artifact loaded from `url`.
pub(super) fn url_artifact(name: Option<&str>, url: &str) -> NewArtifact {
    NewArtifact { name: name.map(str::to_owned), description: None, source: TemplateSource::Url(url.to_owned()) }
}

/// A new artifact made from `stack`, whose template is `body`.
pub(super) fn stack_artifact(name: Option<&str>, stack: &str, body: &str) -> NewArtifact {
    NewArtifact {
        name: name.map(str::to_owned),
        description: None,
        source: TemplateSource::Stack { stack: StackArn::parse(stack).expect("arn"), body: Arc::from(body) },
    }
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
