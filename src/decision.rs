//! The decision about one stack: why (`Reason`, the code operators filter and alarm on), what kind of outcome that
//! is, and whether another attempt could change it. Codes are spelt once, in `as_str`.

use serde::Serialize;

use crate::failure::{FailureKind, ServiceFailure};

/// What happened to the stack, in one word. Every [`Reason`] belongs to exactly one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    Imported,
    ImportInProgress,
    Planned,
    Skipped,
    Failed,
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Imported => "IMPORTED",
            OutcomeKind::ImportInProgress => "IMPORT_IN_PROGRESS",
            OutcomeKind::Planned => "PLANNED",
            OutcomeKind::Skipped => "SKIPPED",
            OutcomeKind::Failed => "FAILED",
        }
    }
}

/// Why, in a code operators filter and alarm on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    RecordSucceeded,
    RecordInProgress,
    Eligible,
    UnsupportedEvent,
    StatusNotEligible,
    NestedStack,
    StacksetInstance,
    AlreadyProvisioned,
    NoRoute,
    OptedOut,
    StackNotFound,
    TemplateMismatch,
    ProductNotFound,
    ArtifactNotFound,
    ArtifactInactive,
    NameConflict,
    InvalidRequest,
    AccessDenied,
    RecordFailed,
    ImportBusy,
    AwsError,
    OutOfTime,
    TemplateUrlRefused,
    AmbiguousRoute,
    VersionLimit,
}

impl Reason {
    /// Every reason of docs/CONTRACT.md §3.
    pub const ALL: [Reason; 25] = {
        use Reason::*;
        [
            RecordSucceeded,
            RecordInProgress,
            Eligible,
            UnsupportedEvent,
            StatusNotEligible,
            NestedStack,
            StacksetInstance,
            AlreadyProvisioned,
            NoRoute,
            OptedOut,
            StackNotFound,
            TemplateMismatch,
            ProductNotFound,
            ArtifactNotFound,
            ArtifactInactive,
            NameConflict,
            InvalidRequest,
            AccessDenied,
            RecordFailed,
            ImportBusy,
            AwsError,
            OutOfTime,
            TemplateUrlRefused,
            AmbiguousRoute,
            VersionLimit,
        ]
    };

    pub fn outcome(self) -> OutcomeKind {
        use Reason::*;
        match self {
            RecordSucceeded => OutcomeKind::Imported,
            RecordInProgress => OutcomeKind::ImportInProgress,
            Eligible => OutcomeKind::Planned,
            UnsupportedEvent | StatusNotEligible | NestedStack | StacksetInstance | AlreadyProvisioned | NoRoute
            | OptedOut | StackNotFound => OutcomeKind::Skipped,
            TemplateMismatch | ProductNotFound | ArtifactNotFound | ArtifactInactive | NameConflict
            | InvalidRequest | AccessDenied | RecordFailed | ImportBusy | AwsError | OutOfTime | TemplateUrlRefused
            | AmbiguousRoute | VersionLimit => OutcomeKind::Failed,
        }
    }

    pub fn as_str(self) -> &'static str {
        use Reason::*;
        match self {
            RecordSucceeded => "RECORD_SUCCEEDED",
            RecordInProgress => "RECORD_IN_PROGRESS",
            Eligible => "ELIGIBLE",
            UnsupportedEvent => "UNSUPPORTED_EVENT",
            StatusNotEligible => "STATUS_NOT_ELIGIBLE",
            NestedStack => "NESTED_STACK",
            StacksetInstance => "STACKSET_INSTANCE",
            AlreadyProvisioned => "ALREADY_PROVISIONED",
            NoRoute => "NO_ROUTE",
            OptedOut => "OPTED_OUT",
            StackNotFound => "STACK_NOT_FOUND",
            TemplateMismatch => "TEMPLATE_MISMATCH",
            ProductNotFound => "PRODUCT_NOT_FOUND",
            ArtifactNotFound => "ARTIFACT_NOT_FOUND",
            ArtifactInactive => "ARTIFACT_INACTIVE",
            NameConflict => "NAME_CONFLICT",
            InvalidRequest => "INVALID_REQUEST",
            AccessDenied => "ACCESS_DENIED",
            RecordFailed => "RECORD_FAILED",
            ImportBusy => "IMPORT_BUSY",
            AwsError => "AWS_ERROR",
            OutOfTime => "OUT_OF_TIME",
            TemplateUrlRefused => "TEMPLATE_URL_REFUSED",
            AmbiguousRoute => "AMBIGUOUS_ROUTE",
            VersionLimit => "VERSION_LIMIT",
        }
    }
}

/// The contract's codes are spelt once, in `as_str`; JSON, SNS attributes and logs all use that spelling.
impl Serialize for OutcomeKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl Serialize for Reason {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A decision about one stack: the reason, a sentence for humans, and whether trying again could change it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub reason: Reason,
    pub message: String,
    pub retryable: bool,
}

impl Verdict {
    /// A final decision: trying again with the same stack and configuration gives the same answer.
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self { reason, message: message.into(), retryable: false }
    }

    /// A decision that may change on a later attempt (throttling, a busy service, an import already running).
    pub fn retryable(reason: Reason, message: impl Into<String>) -> Self {
        Self { reason, message: message.into(), retryable: true }
    }
}

/// A failed AWS call as an outcome: access problems need a person; throttling and 5xx need only another attempt.
impl From<ServiceFailure> for Verdict {
    fn from(failure: ServiceFailure) -> Self {
        let message = failure.to_string();
        match failure.kind {
            FailureKind::AccessDenied => Verdict::new(Reason::AccessDenied, message),
            FailureKind::Transient => Verdict::retryable(Reason::AwsError, message),
            FailureKind::Permanent => Verdict::new(Reason::AwsError, message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_reason_of_the_contract_and_no_other_exists() {
        let contract = "RECORD_SUCCEEDED RECORD_IN_PROGRESS ELIGIBLE UNSUPPORTED_EVENT STATUS_NOT_ELIGIBLE NESTED_STACK \
                        STACKSET_INSTANCE ALREADY_PROVISIONED NO_ROUTE OPTED_OUT STACK_NOT_FOUND TEMPLATE_MISMATCH \
                        PRODUCT_NOT_FOUND ARTIFACT_NOT_FOUND ARTIFACT_INACTIVE NAME_CONFLICT INVALID_REQUEST \
                        ACCESS_DENIED RECORD_FAILED IMPORT_BUSY AWS_ERROR OUT_OF_TIME TEMPLATE_URL_REFUSED \
                        AMBIGUOUS_ROUTE VERSION_LIMIT";
        let codes: Vec<serde_json::Value> =
            Reason::ALL.iter().map(|reason| serde_json::to_value(reason).unwrap()).collect();
        let expected: Vec<serde_json::Value> = contract.split_whitespace().map(|code| json!(code)).collect();
        assert_eq!(codes, expected);
        let kinds: Vec<serde_json::Value> = [
            OutcomeKind::Imported,
            OutcomeKind::ImportInProgress,
            OutcomeKind::Planned,
            OutcomeKind::Skipped,
            OutcomeKind::Failed,
        ]
        .iter()
        .map(|kind| serde_json::to_value(kind).unwrap())
        .collect();
        assert_eq!(kinds, ["IMPORTED", "IMPORT_IN_PROGRESS", "PLANNED", "SKIPPED", "FAILED"].map(|kind| json!(kind)));
    }

    #[test]
    fn reasons_belong_to_the_outcomes_the_contract_lists() {
        assert_eq!(Reason::RecordSucceeded.outcome(), OutcomeKind::Imported);
        assert_eq!(Reason::RecordInProgress.outcome(), OutcomeKind::ImportInProgress);
        assert_eq!(Reason::Eligible.outcome(), OutcomeKind::Planned);
        assert_eq!(Reason::StackNotFound.outcome(), OutcomeKind::Skipped);
        assert_eq!(Reason::NoRoute.outcome(), OutcomeKind::Skipped);
        assert_eq!(Reason::ImportBusy.outcome(), OutcomeKind::Failed);
        assert_eq!(Reason::TemplateMismatch.outcome(), OutcomeKind::Failed);
        assert_eq!(Reason::OutOfTime.outcome(), OutcomeKind::Failed);
        assert_eq!(Reason::TemplateUrlRefused.outcome(), OutcomeKind::Failed);
    }
}
