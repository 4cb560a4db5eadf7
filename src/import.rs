//! The import itself: a deterministic idempotency token, and how a Service Catalog record reads as an outcome.

use sha2::{Digest, Sha256};

use crate::outcome::{Reason, RecordError, RecordInfo, Verdict};
use crate::ports::RecordSnapshot;
use crate::stack::Stack;

/// The `IdempotencyToken` for importing this version of the stack as this product and artifact.
///
/// The SDK's default token is random, so a Lambda retry or a duplicate event delivery would start a second import.
/// Deriving it from what the import is (stack ARN, product, artifact) makes every attempt at the same import the same
/// request to Service Catalog, which then answers with the first request's record. The stack's last change time is
/// part of it too: once the stack is updated (say, to fix what made an import fail), a new attempt gets a new token
/// instead of the old failed record. SHA-256 hex is 64 characters of `[0-9a-f]`, inside the token's
/// `[a-zA-Z0-9][a-zA-Z0-9_-]*`, 1–128.
pub fn idempotency_token(stack: &Stack, product_id: &str, artifact_id: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [stack.arn.as_str(), stack.changed_at.as_str(), product_id, artifact_id] {
        // Length-prefixed so that no two different tuples hash the same bytes.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

pub fn record_info(record: &RecordSnapshot) -> RecordInfo {
    RecordInfo {
        record_id: record.record_id.clone(),
        status: record.status.clone(),
        provisioned_product_id: record.provisioned_product_id.clone(),
        errors: record
            .errors
            .iter()
            .map(|(code, description)| RecordError { code: code.clone(), description: description.clone() })
            .collect(),
    }
}

/// What a record in its latest known state means for the stack.
pub fn record_verdict(record: &RecordSnapshot, stack_name: &str, provisioned_product_name: &str) -> Verdict {
    match record.status.as_str() {
        "SUCCEEDED" => Verdict::new(
            Reason::RecordSucceeded,
            format!(
                "stack {stack_name} is now provisioned product {provisioned_product_name}{}",
                record.provisioned_product_id.as_deref().map(|id| format!(" ({id})")).unwrap_or_default()
            ),
        ),
        "FAILED" => {
            let errors: Vec<String> =
                record.errors.iter().map(|(code, description)| format!("{code}: {description}")).collect();
            let detail = if errors.is_empty() { "no error given".to_owned() } else { errors.join("; ") };
            Verdict::new(Reason::RecordFailed, format!("import record {} failed: {detail}", record.record_id))
        }
        status => Verdict::new(
            Reason::RecordInProgress,
            format!(
                "import record {} was still {status} when the invocation's time ran out; Service Catalog carries on",
                record.record_id
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::StackArn;
    use std::collections::BTreeMap;

    fn stack(arn: &str, changed_at: &str) -> Stack {
        Stack {
            arn: StackArn::parse(arn).unwrap(),
            status: "CREATE_COMPLETE".into(),
            parent_id: None,
            changed_at: changed_at.into(),
            tags: BTreeMap::new(),
        }
    }

    const ARN: &str = "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/uuid-1";

    #[test]
    fn the_same_import_always_gets_the_same_token() {
        let token = idempotency_token(&stack(ARN, "t1"), "prod-a", "pa-a");
        assert_eq!(token, idempotency_token(&stack(ARN, "t1"), "prod-a", "pa-a"));
        assert_eq!(token.len(), 64);
        assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn a_different_stack_product_artifact_or_stack_version_gets_another_token() {
        let token = idempotency_token(&stack(ARN, "t1"), "prod-a", "pa-a");
        let other_stack = "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/uuid-2";
        assert_ne!(token, idempotency_token(&stack(other_stack, "t1"), "prod-a", "pa-a"));
        assert_ne!(token, idempotency_token(&stack(ARN, "t1"), "prod-b", "pa-a"));
        assert_ne!(token, idempotency_token(&stack(ARN, "t1"), "prod-a", "pa-b"));
        assert_ne!(token, idempotency_token(&stack(ARN, "t2"), "prod-a", "pa-a"));
        // Moving a character between fields must not collide.
        assert_ne!(
            idempotency_token(&stack(ARN, "t1"), "prod-ab", "pa"),
            idempotency_token(&stack(ARN, "t1"), "prod-a", "bpa")
        );
    }

    fn record(status: &str, errors: &[(&str, &str)]) -> RecordSnapshot {
        RecordSnapshot {
            record_id: "rec-1".into(),
            status: status.into(),
            provisioned_product_id: Some("pp-1".into()),
            errors: errors.iter().map(|(c, d)| (c.to_string(), d.to_string())).collect(),
        }
    }

    #[test]
    fn record_states_map_to_outcome_reasons() {
        assert_eq!(record_verdict(&record("SUCCEEDED", &[]), "s", "p").reason, Reason::RecordSucceeded);
        assert_eq!(record_verdict(&record("IN_PROGRESS", &[]), "s", "p").reason, Reason::RecordInProgress);
        assert_eq!(record_verdict(&record("IN_PROGRESS_IN_ERROR", &[]), "s", "p").reason, Reason::RecordInProgress);
        let failed = record_verdict(&record("FAILED", &[("InvalidTemplate", "bad")]), "s", "p");
        assert_eq!(failed.reason, Reason::RecordFailed);
        assert!(failed.message.contains("InvalidTemplate: bad"), "{}", failed.message);
        assert!(!failed.retryable);
    }
}
