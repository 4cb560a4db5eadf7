//! Adapters: one per AWS service and capability (and the template URL fetch), each implementing a port of
//! `crate::ports` and classifying its own service's errors. SDK types stay in here.

pub mod accounts;
pub mod cloudformation;
pub mod dynamodb;
pub mod error;
pub mod eventbridge;
pub mod http;
pub mod members;
pub mod servicecatalog;
pub mod sns;
pub mod sqs;

pub use accounts::{AwsPorts, OwnAccount};
pub use cloudformation::CloudFormationStackReader;
pub use dynamodb::DynamoFingerprintStore;
pub use eventbridge::EventBridgeOutcomePublisher;
pub use http::HttpTemplateFetcher;
pub use members::{MemberAccounts, MemberRole};
pub use servicecatalog::{ServiceCatalogImporter, ServiceCatalogProductVersions, ServiceCatalogProvisionedProducts};
pub use sns::SnsOutcomePublisher;
pub use sqs::SqsImportQueue;

/// Every SDK call's time bounds, set once on the shared config: connect 3 s, an attempt 5 s, a whole operation (the
/// SDK's three attempts with backoff) 7 s — so that a hung connection cannot spend the invocation.
pub fn sdk_timeouts() -> aws_config::timeout::TimeoutConfig {
    use std::time::Duration;
    aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .read_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(7))
        .build()
}

use crate::outcome::Outcome;

/// The outcome as the JSON text an SNS message and an EventBridge event's `detail` carry. Serialized straight to
/// text: the same text as `outcome.to_json().to_string()` (serde_json keeps a `Value`'s keys in insertion order here,
/// which is the outcome's field order), without first building a `Value` tree of the outcome and dropping it again.
pub(crate) fn outcome_text(outcome: &Outcome) -> String {
    // Serializing these plain structs cannot fail; "null" would only ever show a bug, as `Outcome::to_json`'s does.
    serde_json::to_string(outcome).unwrap_or_else(|_| "null".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Reason, Verdict};
    use crate::ids::{ArtifactId, ProductId, ProvisionedProductId, ProvisionedProductName, RecordId};
    use crate::outcome::{StackInfo, Target, Trigger, TriggerKind};
    use crate::record::{Record, RecordError, RecordRequest, RecordStatus};
    use crate::stack::StackArn;

    #[test]
    fn the_outcome_text_is_the_text_of_the_outcome_json() {
        let arn =
            "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a4c20-5ad5-11ef-a1b2-0a1b2c3d4e5f";
        let full = Outcome {
            id: "0123456789abcdef0123456789abcdef".into(),
            verdict: Verdict::new(Reason::RecordFailed, "stack payments-api: \"quoted\", a\nline break, ünïcödé"),
            stack: Some(StackInfo::from_arn(&StackArn::parse(arn).unwrap(), Some("UPDATE_COMPLETE".into()))),
            target: Some(Target {
                product_id: ProductId::parse("prod-abcdefghijklm").unwrap(),
                provisioning_artifact_id: Some(ArtifactId::parse("pa-abcdefghijklm").unwrap()),
                provisioned_product_name: ProvisionedProductName::parse("payments-api").unwrap(),
                version_created: true,
            }),
            record: Some(Record {
                id: RecordId::parse("rec-1").unwrap(),
                status: RecordStatus::Failed,
                provisioned_product_id: Some(ProvisionedProductId::parse("pp-1").unwrap()),
                errors: vec![RecordError { code: "Code".into(), description: "what went wrong".into() }],
                request: RecordRequest::default(),
            }),
            trigger: Trigger::new(TriggerKind::Event, "ev-1"),
            dry_run: true,
            time: "2026-11-28T18:44:02Z".into(),
        };
        let bare = Outcome { stack: None, target: None, record: None, dry_run: false, ..full.clone() };
        for outcome in [full, bare] {
            assert_eq!(outcome_text(&outcome), outcome.to_json().to_string());
        }
    }
}
