//! The outcome of one stack's import attempt: the record published to SNS/EventBridge and returned to callers
//! (CONTRACT.md §3). Its field names and codes are a public interface: add to them, never rename.

use serde::Serialize;
use serde::ser::SerializeStruct;

use crate::stack::{Stack, StackArn, StackRef};

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
}

impl Reason {
    /// Every reason of CONTRACT.md §3.
    pub const ALL: [Reason; 21] = {
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
            | InvalidRequest | AccessDenied | RecordFailed | ImportBusy | AwsError => OutcomeKind::Failed,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggerKind {
    Event,
    Queue,
    Manual,
}

/// What made the function look at the stack: an EventBridge event id, an SQS message id or a request id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub kind: TriggerKind,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackInfo {
    /// Absent for a stack named only by name that DescribeStacks did not answer for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arn: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl StackInfo {
    /// What is known of a stack before DescribeStacks answered: its identifier, and the account/region of an ARN.
    pub fn from_ref(stack: &StackRef) -> Self {
        match stack {
            StackRef::Arn(arn) => Self::from_arn(arn, None),
            StackRef::Name(name) => {
                Self { arn: None, name: name.to_string(), status: None, account: None, region: None }
            }
        }
    }

    pub fn from_arn(arn: &StackArn, status: Option<String>) -> Self {
        Self {
            arn: Some(arn.to_string()),
            name: arn.name().to_string(),
            status,
            account: Some(arn.account().to_owned()),
            region: Some(arn.region().to_owned()),
        }
    }

    pub fn from_stack(stack: &Stack) -> Self {
        Self::from_arn(&stack.arn, Some(stack.status.clone()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub product_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_artifact_id: Option<String>,
    pub provisioned_product_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordError {
    pub code: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordInfo {
    pub record_id: String,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_product_id: Option<String>,
    pub errors: Vec<RecordError>,
}

/// One stack's outcome. `outcome` is derived from `reason`, so the two can never disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub verdict: Verdict,
    pub stack: Option<StackInfo>,
    pub target: Option<Target>,
    pub record: Option<RecordInfo>,
    pub trigger: Trigger,
    pub dry_run: bool,
    /// RFC 3339, UTC, whole seconds.
    pub time: String,
}

pub const SCHEMA_VERSION: &str = "1";

impl Outcome {
    pub fn kind(&self) -> OutcomeKind {
        self.verdict.reason.outcome()
    }

    pub fn reason(&self) -> Reason {
        self.verdict.reason
    }

    pub fn retryable(&self) -> bool {
        self.verdict.retryable
    }

    /// The stack's name, or what identifies the request when the stack is not known.
    pub fn stack_label(&self) -> &str {
        match &self.stack {
            Some(stack) if !stack.name.is_empty() => &stack.name,
            _ => "unknown stack",
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        // Serializing these plain structs cannot fail; Null would only ever show a bug, never lose the outcome silently.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut out = serializer.serialize_struct("Outcome", 11)?;
        out.serialize_field("schemaVersion", SCHEMA_VERSION)?;
        out.serialize_field("outcome", &self.kind())?;
        out.serialize_field("reason", &self.verdict.reason)?;
        out.serialize_field("message", &self.verdict.message)?;
        out.serialize_field("retryable", &self.verdict.retryable)?;
        match &self.stack {
            Some(stack) => out.serialize_field("stack", stack)?,
            None => out.skip_field("stack")?,
        }
        match &self.target {
            Some(target) => out.serialize_field("target", target)?,
            None => out.skip_field("target")?,
        }
        match &self.record {
            Some(record) => out.serialize_field("record", record)?,
            None => out.skip_field("record")?,
        }
        out.serialize_field("trigger", &self.trigger)?;
        out.serialize_field("dryRun", &self.dry_run)?;
        out.serialize_field("time", &self.time)?;
        out.end()
    }
}

/// Now, as RFC 3339 UTC with whole seconds (`2026-11-28T18:44:02Z`).
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn outcome(verdict: Verdict) -> Outcome {
        Outcome {
            verdict,
            stack: Some(StackInfo::from_arn(
                &StackArn::parse("arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/id-1").unwrap(),
                Some("CREATE_COMPLETE".into()),
            )),
            target: None,
            record: None,
            trigger: Trigger { kind: TriggerKind::Event, id: "ev-1".into() },
            dry_run: false,
            time: "2026-11-28T18:44:02Z".into(),
        }
    }

    #[test]
    fn every_reason_of_the_contract_and_no_other_exists() {
        let contract = "RECORD_SUCCEEDED RECORD_IN_PROGRESS ELIGIBLE UNSUPPORTED_EVENT STATUS_NOT_ELIGIBLE NESTED_STACK \
                        STACKSET_INSTANCE ALREADY_PROVISIONED NO_ROUTE OPTED_OUT STACK_NOT_FOUND TEMPLATE_MISMATCH \
                        PRODUCT_NOT_FOUND ARTIFACT_NOT_FOUND ARTIFACT_INACTIVE NAME_CONFLICT INVALID_REQUEST \
                        ACCESS_DENIED RECORD_FAILED IMPORT_BUSY AWS_ERROR";
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
    }

    #[test]
    fn unknown_parts_of_an_outcome_are_absent_not_null() {
        let value = outcome(Verdict::new(Reason::NoRoute, "no route")).to_json();
        assert_eq!(
            value,
            json!({"schemaVersion":"1","outcome":"SKIPPED","reason":"NO_ROUTE","message":"no route","retryable":false,
                   "stack":{"arn":"arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/id-1",
                            "name":"payments-api","status":"CREATE_COMPLETE","account":"111122223333","region":"us-east-1"},
                   "trigger":{"kind":"event","id":"ev-1"},"dryRun":false,"time":"2026-11-28T18:44:02Z"})
        );
    }

    #[test]
    fn target_and_record_appear_once_known() {
        let mut imported = outcome(Verdict::new(Reason::RecordSucceeded, "imported"));
        imported.target = Some(Target {
            product_id: "prod-abcdefghijklm".into(),
            provisioning_artifact_id: Some("pa-abcdefghijklm".into()),
            provisioned_product_name: "payments-api".into(),
        });
        imported.record = Some(RecordInfo {
            record_id: "rec-1".into(),
            status: "SUCCEEDED".into(),
            provisioned_product_id: Some("pp-1".into()),
            errors: vec![],
        });
        let value = imported.to_json();
        assert_eq!(value["outcome"], "IMPORTED");
        assert_eq!(value["target"]["provisioningArtifactId"], "pa-abcdefghijklm");
        assert_eq!(
            value["record"],
            json!({"recordId":"rec-1","status":"SUCCEEDED","provisionedProductId":"pp-1","errors":[]})
        );
    }

    #[test]
    fn the_timestamp_is_rfc3339_utc_in_whole_seconds() {
        let now = now_rfc3339();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    }
}
