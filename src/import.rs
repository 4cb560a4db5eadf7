//! The import step: a deterministic idempotency token, Service Catalog's refusals as outcomes, and following the
//! record of an import until it ends or the time to wait for it does.

use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

use crate::decision::{Reason, Verdict};
use crate::ids::{ArtifactId, ProductId, ProvisionedProductName};
use crate::ports::{IdempotencyToken, ImportError, Importer, Missing};
use crate::record::Record;
use crate::stack::Stack;

/// The `IdempotencyToken` for importing this version of the stack as this product and artifact under this name.
///
/// The SDK's default token is random, so a Lambda retry or a duplicate event delivery would start a second import.
/// Deriving it from what the import is (stack ARN, product, artifact, provisioned product name) makes every attempt
/// at the same import the same request to Service Catalog, which then answers with the first request's record, and
/// two different intended imports different requests. The stack's last change time is part of it too: once the
/// stack is updated (say, to fix what made an import fail), a new attempt gets a new token instead of the old failed
/// record. SHA-256 hex is 64 characters of `[0-9a-f]`, inside the token's `[a-zA-Z0-9][a-zA-Z0-9_-]*`, 1–128.
pub fn idempotency_token(
    stack: &Stack,
    product: &ProductId,
    artifact: &ArtifactId,
    name: &ProvisionedProductName,
) -> IdempotencyToken {
    let mut hasher = Sha256::new();
    let parts = [stack.arn.as_str(), stack.changed_at.as_str(), product.as_str(), artifact.as_str(), name.as_str()];
    for part in parts {
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

/// When the record of an import is read again, counted from the import: a geometric schedule, so that the function
/// notices the end of a short import as promptly, relative to its length, as that of a long one, with few calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSchedule {
    /// The first read, after the import was requested.
    pub first: Duration,
    /// Each read comes this many percent of the time since the import later than the one before it: the end of a
    /// record is noticed at most `growth_percent - 100` percent of its duration late, and on average about half that.
    pub growth_percent: u32,
    /// Bounds on the pause between two reads.
    pub min_interval: Duration,
    pub max_interval: Duration,
    /// Kept free before the invocation's deadline, to publish the outcome and answer.
    pub safety_margin: Duration,
}

impl Default for PollSchedule {
    /// 1 s, then 35 % later each time: reads at 1, 1.35, 1.8, 2.5 … 27, 37, 49, 64 s — 15 reads for a 60 s import,
    /// whose end is noticed on average about 17 % (at most 35 %) of its duration late.
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            growth_percent: 135,
            min_interval: Duration::from_millis(250),
            max_interval: Duration::from_secs(15),
            safety_margin: Duration::from_secs(10),
        }
    }
}

impl PollSchedule {
    /// The times of the reads, counted from the import, without end.
    pub fn times(&self) -> impl Iterator<Item = Duration> + '_ {
        std::iter::successors(Some(self.first), move |previous| {
            let grown = previous.mul_f64(f64::from(self.growth_percent) / 100.0);
            let pause = grown.saturating_sub(*previous).clamp(self.min_interval, self.max_interval);
            Some(*previous + pause)
        })
    }
}

/// Reads the record at the schedule's times until it ends or the deadline (less the margin) comes.
pub async fn follow(importer: &impl Importer, mut record: Record, poll: &PollSchedule, deadline: Instant) -> Record {
    let imported = Instant::now();
    for at in poll.times().map(|since| imported + since) {
        if record.status.is_final() || at + poll.safety_margin >= deadline {
            break;
        }
        tokio::time::sleep_until(at).await;
        match importer.record(&record.id).await {
            Ok(latest) => record = latest,
            // Throttling while polling: the next read will do.
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
        named_token(arn, changed_at, product, artifact, "payments-api")
    }

    fn named_token(arn: &str, changed_at: &str, product: &str, artifact: &str, name: &str) -> String {
        let product = ProductId::parse(product).unwrap();
        let artifact = ArtifactId::parse(artifact).unwrap();
        let name = ProvisionedProductName::parse(name).unwrap();
        idempotency_token(&stack(arn, changed_at), &product, &artifact, &name).0
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
    fn a_different_stack_version_product_artifact_or_name_gets_another_token() {
        let first = token(ARN, "t1", "prod-a", "pa-a");
        let other_stack = "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/uuid-2";
        assert_ne!(first, token(other_stack, "t1", "prod-a", "pa-a"));
        assert_ne!(first, token(ARN, "t1", "prod-b", "pa-a"));
        assert_ne!(first, token(ARN, "t1", "prod-a", "pa-b"));
        assert_ne!(first, token(ARN, "t2", "prod-a", "pa-a"));
        assert_ne!(first, named_token(ARN, "t1", "prod-a", "pa-a", "payments-api-2"), "the name is part of the import");
        // Moving a character between fields must not collide.
        assert_ne!(token(ARN, "t1", "prod-ab", "pa"), token(ARN, "t1", "prod-a", "bpa"));
    }

    #[test]
    fn the_default_schedule_reads_fifteen_times_for_a_minute_long_import_and_is_late_by_at_most_its_growth() {
        let schedule = PollSchedule::default();
        let times: Vec<f64> =
            schedule.times().take_while(|at| at.as_secs_f64() < 65.0).map(|at| at.as_secs_f64()).collect();
        assert!((times[0] - 1.0).abs() < 1e-9);
        assert!((times[1] - 1.35).abs() < 1e-6, "{times:?}");
        assert_eq!(times.len(), 15, "{times:?}");
        assert!(times[14] > 60.0, "the fifteenth read notices a 60 s import: {times:?}");
        for pair in times.windows(2) {
            assert!(pair[1] <= pair[0] * 1.35 + 1e-6, "{pair:?}");
        }
    }

    #[test]
    fn pauses_stay_within_their_bounds() {
        let schedule = PollSchedule {
            first: Duration::from_millis(100),
            growth_percent: 300,
            min_interval: Duration::from_millis(250),
            max_interval: Duration::from_secs(2),
            safety_margin: Duration::ZERO,
        };
        let times: Vec<Duration> = schedule.times().take(8).collect();
        for pair in times.windows(2) {
            let pause = pair[1] - pair[0];
            assert!(pause >= Duration::from_millis(250) && pause <= Duration::from_secs(2), "{pause:?}");
        }
    }
}
