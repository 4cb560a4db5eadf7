//! The steps that ask Service Catalog what it already manages: which provisioned product, if any, already holds the
//! stack and what that means for it (docs/CONTRACT.md §6), and whether the provisioned product name is still free.

use crate::decision::{Reason, Verdict};
use crate::ids::ProvisionedProductName;
use crate::ports::{Importer, ProvisionedProduct, ProvisionedProducts};
use crate::record::{Record, RecordStatus};
use crate::routing::Route;
use crate::stack::Stack;

/// Service Catalog's status of a provisioned product whose last request failed.
const ERROR_STATUS: &str = "ERROR";

/// A provisioned product that already holds the stack, with its last record when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub product: ProvisionedProduct,
    pub last_record: Option<Record>,
}

/// What a holder means for the stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Held {
    /// Follow this record as if the function had just imported: it is still running, or it is this same import.
    Follow(Record),
    /// A final answer, with the record it rests on when there is one.
    Settled(Verdict, Option<Record>),
}

/// The authoritative "already managed" check: Service Catalog knows the stack as a provisioned product's physical
/// id. It is also what keeps the function from importing again on the events its own import causes.
pub async fn holder(
    products: &impl ProvisionedProducts,
    importer: &impl Importer,
    stack: &Stack,
) -> Result<Option<Holder>, Verdict> {
    let Some(product) = products.by_stack(&stack.arn).await? else {
        return Ok(None);
    };
    let last_record = match &product.last_record_id {
        Some(id) => Some(importer.record(id).await?),
        None => None,
    };
    Ok(Some(Holder { product, last_record }))
}

impl Holder {
    /// The four cases of docs/CONTRACT.md §6, in order: a record still running is followed; a product in `ERROR`
    /// failed; this same import (the route this stack version gets, imported after the stack's last change) is
    /// reported again; anything else is someone else's provisioned product.
    pub fn judge(self, stack: &Stack, route: Option<&Route>) -> Held {
        let Holder { product, last_record } = self;
        let status = product.status.as_deref().unwrap_or("unknown");
        match last_record {
            Some(record) if !record.status.is_final() => Held::Follow(record),
            record if status == ERROR_STATUS => {
                let verdict = match &record {
                    Some(record) if record.status == RecordStatus::Failed => {
                        record.verdict(stack.name().as_str(), &product.name)
                    }
                    _ => Verdict::new(
                        Reason::RecordFailed,
                        format!(
                            "stack {} is held by provisioned product {} ({}) in status ERROR",
                            stack.name(),
                            product.name,
                            product.id
                        ),
                    ),
                };
                Held::Settled(verdict, record)
            }
            Some(record) if is_same_import(&record, stack, route) => Held::Follow(record),
            record => Held::Settled(already_provisioned(stack, &product), record),
        }
    }
}

/// Settled statuses: the provisioned product holds the stack and nothing about it is still running or failed.
pub fn is_settled(product: &ProvisionedProduct) -> bool {
    matches!(product.status.as_deref(), Some("AVAILABLE" | "TAINTED"))
}

/// Someone's provisioned product holds the stack: nothing to import.
pub fn already_provisioned(stack: &Stack, product: &ProvisionedProduct) -> Verdict {
    Verdict::new(
        Reason::AlreadyProvisioned,
        format!(
            "stack {} is already provisioned product {} ({}), status {}",
            stack.name(),
            product.name,
            product.id,
            product.status.as_deref().unwrap_or("unknown")
        ),
    )
}

/// Whether `record` is the import this stack version gets: an import that succeeded, made after the stack's last
/// change, of the routed product (and artifact, when the route names one) under the routed name. Its idempotency
/// token is then the one this stack version gets, so a retry reports that import again instead of a skip.
fn is_same_import(record: &Record, stack: &Stack, route: Option<&Route>) -> bool {
    let (Some(route), request) = (route, &record.request) else {
        return false;
    };
    let after_last_change = match (request.created, stack.changed_secs()) {
        (Some(created), Some(changed)) => created >= changed,
        _ => false,
    };
    record.status == RecordStatus::Succeeded
        && request.is_import()
        && after_last_change
        && request.product.as_ref() == Some(&route.product_id)
        && request.name.as_ref() == Some(&route.provisioned_product_name)
        && route.provisioning_artifact_id.as_ref().is_none_or(|artifact| request.artifact.as_ref() == Some(artifact))
}

/// A provisioned product name is unique in the account: a taken one would make the import fail.
pub async fn ensure_name_free(
    products: &impl ProvisionedProducts,
    name: &ProvisionedProductName,
    tag_prefix: &str,
) -> Result<(), Verdict> {
    match products.by_name(name).await? {
        Some(product) => Err(Verdict::new(
            Reason::NameConflict,
            format!(
                "provisioned product name {name} is taken by {}; name another with the {tag_prefix}provisioned-product-name tag",
                product.id
            ),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ArtifactId, ProductId, ProvisionedProductId, RecordId};
    use crate::record::{RecordError, RecordRequest};
    use crate::routing::RouteSource;
    use crate::stack::{StackArn, StackStatus};

    const CHANGED: i64 = 1_795_891_400;

    fn stack() -> Stack {
        Stack {
            arn: StackArn::parse("arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/u-1").unwrap(),
            status: StackStatus::new("UPDATE_COMPLETE"),
            parent_id: None,
            changed_at: format!("{CHANGED}.000000000"),
            tags: Default::default(),
        }
    }

    fn route(artifact: Option<&str>) -> Route {
        Route {
            product_id: ProductId::parse("prod-a").unwrap(),
            provisioning_artifact_id: artifact.map(|id| ArtifactId::parse(id).unwrap()),
            provisioned_product_name: ProvisionedProductName::parse("payments-api").unwrap(),
            source: RouteSource::Tags,
            new_version: None,
        }
    }

    fn record(status: &str, created: i64) -> Record {
        Record {
            id: RecordId::parse("rec-1").unwrap(),
            status: RecordStatus::parse(status),
            provisioned_product_id: Some(ProvisionedProductId::parse("pp-1").unwrap()),
            errors: vec![RecordError { code: "E".into(), description: "it broke".into() }],
            request: RecordRequest {
                record_type: Some(RecordRequest::IMPORT.into()),
                product: Some(ProductId::parse("prod-a").unwrap()),
                artifact: Some(ArtifactId::parse("pa-a").unwrap()),
                name: Some(ProvisionedProductName::parse("payments-api").unwrap()),
                created: Some(created),
            },
        }
    }

    fn holder(status: &str, record: Option<Record>) -> Holder {
        Holder {
            product: ProvisionedProduct {
                id: ProvisionedProductId::parse("pp-1").unwrap(),
                name: "payments-api".into(),
                physical_id: Some(stack().arn.to_string()),
                status: Some(status.into()),
                last_record_id: record.as_ref().map(|record| record.id.clone()),
            },
            last_record: record,
        }
    }

    fn reason(held: &Held) -> Reason {
        match held {
            Held::Follow(record) => record.verdict("payments-api", "payments-api").reason,
            Held::Settled(verdict, _) => verdict.reason,
        }
    }

    #[test]
    fn a_record_still_running_is_followed() {
        let held = holder("UNDER_CHANGE", Some(record("IN_PROGRESS", CHANGED + 5))).judge(&stack(), None);
        assert!(matches!(held, Held::Follow(_)), "{held:?}");
    }

    #[test]
    fn a_product_in_error_fails_with_its_last_record_s_errors() {
        let held = holder("ERROR", Some(record("FAILED", CHANGED + 5))).judge(&stack(), Some(&route(None)));
        let Held::Settled(verdict, Some(_)) = &held else { panic!("{held:?}") };
        assert_eq!(verdict.reason, Reason::RecordFailed);
        assert!(verdict.message.contains("E: it broke"), "{}", verdict.message);
        assert_eq!(reason(&holder("ERROR", None).judge(&stack(), None)), Reason::RecordFailed);
    }

    #[test]
    fn this_same_import_is_reported_again() {
        let held = holder("AVAILABLE", Some(record("SUCCEEDED", CHANGED + 5))).judge(&stack(), Some(&route(None)));
        assert_eq!(reason(&held), Reason::RecordSucceeded);
        let pinned =
            holder("AVAILABLE", Some(record("SUCCEEDED", CHANGED))).judge(&stack(), Some(&route(Some("pa-a"))));
        assert_eq!(reason(&pinned), Reason::RecordSucceeded);
    }

    #[test]
    fn another_import_is_already_provisioned_naming_the_product_and_its_status() {
        for (record, route) in [
            // Imported before the stack's last change: another stack version.
            (record("SUCCEEDED", CHANGED - 1), Some(route(None))),
            // Another artifact than the route pins.
            (record("SUCCEEDED", CHANGED + 5), Some(route(Some("pa-b")))),
            // Nothing routes the stack now.
            (record("SUCCEEDED", CHANGED + 5), None),
        ] {
            let held = holder("AVAILABLE", Some(record)).judge(&stack(), route.as_ref());
            let Held::Settled(verdict, _) = &held else { panic!("{held:?}") };
            assert_eq!(verdict.reason, Reason::AlreadyProvisioned);
            assert!(verdict.message.contains("pp-1") && verdict.message.contains("AVAILABLE"), "{}", verdict.message);
        }
        let mut not_an_import = record("SUCCEEDED", CHANGED + 5);
        not_an_import.request.record_type = Some("PROVISION_PRODUCT".into());
        let held = holder("AVAILABLE", Some(not_an_import)).judge(&stack(), Some(&route(None)));
        assert_eq!(reason(&held), Reason::AlreadyProvisioned);
    }
}
