//! The import step: a deterministic idempotency token, Service Catalog's refusals as outcomes, and following the
//! record of an import until it ends or the time to wait for it does.

use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::decision::{Reason, Verdict};
use crate::ids::{ArtifactId, ProductId};
use crate::ports::{IdempotencyToken, ImportError, Importer, Missing};
use crate::record::Record;
use crate::stack::Stack;

/// The `IdempotencyToken` for importing this version of the stack as this product and artifact.
///
/// The SDK's default token is random, so a Lambda retry or a duplicate event delivery would start a second import.
/// Deriving it from what the import is (stack ARN, product, artifact) makes every attempt at the same import the same
/// request to Service Catalog, which then answers with the first request's record. The stack's last change time is
/// part of it too: once the stack is updated (say, to fix what made an import fail), a new attempt gets a new token
/// instead of the old failed record. SHA-256 hex is 64 characters of `[0-9a-f]`, inside the token's
/// `[a-zA-Z0-9][a-zA-Z0-9_-]*`, 1–128.
pub fn idempotency_token(stack: &Stack, product: &ProductId, artifact: &ArtifactId) -> IdempotencyToken {
    let mut hasher = Sha256::new();
    for part in [stack.arn.as_str(), stack.changed_at.as_str(), product.as_str(), artifact.as_str()] {
        // Length-prefixed so that no two different tuples hash the same bytes.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    IdempotencyToken(hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect())
}

/// ImportAsProvisionedProduct's documented exceptions, as outcomes.
pub fn refused(error: ImportError) -> Verdict {
    match error {
        ImportError::NameTaken(detail) => Verdict::new(Reason::NameConflict, detail.to_string()),
        // Service Catalog allows one import at a time per stack/product; the next attempt can succeed.
        ImportError::Busy(detail) => Verdict::retryable(Reason::ImportBusy, detail.to_string()),
        ImportError::InvalidParameters(detail) => Verdict::new(Reason::InvalidRequest, detail.to_string()),
        ImportError::NotFound(missing, detail) => {
            let reason = match missing {
                Missing::Product => Reason::ProductNotFound,
                Missing::Artifact => Reason::ArtifactNotFound,
                Missing::Stack => Reason::StackNotFound,
            };
            Verdict::new(reason, detail.to_string())
        }
        ImportError::Failed(detail) => detail.into(),
    }
}

/// How the record of an import is followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSchedule {
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Kept free before the invocation's deadline, to publish the outcome and answer.
    pub safety_margin: Duration,
}

impl Default for PollSchedule {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            safety_margin: Duration::from_secs(10),
        }
    }
}

/// Polls the record with growing pauses until it ends or the deadline (less the margin) comes.
pub async fn follow(importer: &impl Importer, mut record: Record, poll: &PollSchedule, deadline: Instant) -> Record {
    let mut delay = poll.first_delay;
    while !record.status.is_final() && Instant::now() + delay + poll.safety_margin < deadline {
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(poll.max_delay);
        match importer.record(&record.id).await {
            Ok(latest) => record = latest,
            // Throttling while polling: the next poll will do.
            Err(error) if error.is_transient() => tracing::warn!(%error, "DescribeRecord failed; polling on"),
            Err(error) => {
                tracing::warn!(%error, "DescribeRecord failed; the record can't be followed");
                break;
            }
        }
    }
    record
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::{StackArn, StackStatus};
    use std::collections::BTreeMap;

    fn stack(arn: &str, changed_at: &str) -> Stack {
        Stack {
            arn: StackArn::parse(arn).unwrap(),
            status: StackStatus::new("CREATE_COMPLETE"),
            parent_id: None,
            changed_at: changed_at.into(),
            tags: BTreeMap::new(),
        }
    }

    fn token(arn: &str, changed_at: &str, product: &str, artifact: &str) -> String {
        let product = ProductId::parse(product).unwrap();
        let artifact = ArtifactId::parse(artifact).unwrap();
        idempotency_token(&stack(arn, changed_at), &product, &artifact).0
    }

    const ARN: &str = "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/uuid-1";

    #[test]
    fn the_same_import_always_gets_the_same_token() {
        let token_once = token(ARN, "t1", "prod-a", "pa-a");
        assert_eq!(token_once, token(ARN, "t1", "prod-a", "pa-a"));
        assert_eq!(token_once.len(), 64);
        assert!(token_once.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn a_different_stack_product_artifact_or_stack_version_gets_another_token() {
        let first = token(ARN, "t1", "prod-a", "pa-a");
        let other_stack = "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/uuid-2";
        assert_ne!(first, token(other_stack, "t1", "prod-a", "pa-a"));
        assert_ne!(first, token(ARN, "t1", "prod-b", "pa-a"));
        assert_ne!(first, token(ARN, "t1", "prod-a", "pa-b"));
        assert_ne!(first, token(ARN, "t2", "prod-a", "pa-a"));
        // Moving a character between fields must not collide.
        assert_ne!(token(ARN, "t1", "prod-ab", "pa"), token(ARN, "t1", "prod-a", "bpa"));
    }
}
