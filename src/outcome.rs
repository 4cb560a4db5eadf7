//! The outcome of one stack's import attempt: the record published to SNS/EventBridge and returned to callers
//! (docs/CONTRACT.md §3). Its field names and codes are a public interface: add to them, never rename.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};

use crate::decision::{OutcomeKind, Reason, Verdict};
use crate::ids::{ArtifactId, ProductId, ProvisionedProductName};
use crate::record::Record;
use crate::stack::{Stack, StackArn, StackRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggerKind {
    Event,
    Queue,
    Manual,
    /// A sweep over the existing stacks (docs/CONTRACT.md §1d); the trigger id is the sweep's id.
    Sweep,
}

/// What made the function look at the stack: an EventBridge event id, an SQS message id or a request id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    pub kind: TriggerKind,
    pub id: String,
}

impl Trigger {
    /// Event, message and request ids are a few dozen characters; whatever an input claims, an outcome carries at
    /// most this many of it.
    pub const MAX_ID_CHARS: usize = 128;

    pub fn new(kind: TriggerKind, id: &str) -> Self {
        Self { kind, id: crate::text::truncate(id, Self::MAX_ID_CHARS) }
    }
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
            StackRef::NameIn { name, account, region } => Self {
                arn: None,
                name: name.to_string(),
                status: None,
                account: Some(account.to_string()),
                region: Some(region.to_string()),
            },
        }
    }

    pub fn from_arn(arn: &StackArn, status: Option<String>) -> Self {
        Self {
            arn: Some(arn.to_string()),
            name: arn.name().to_string(),
            status,
            account: Some(arn.account().to_string()),
            region: Some(arn.region().to_string()),
        }
    }

    pub fn from_stack(stack: &Stack) -> Self {
        Self::from_arn(&stack.arn, Some(stack.status.to_string()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub product_id: ProductId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioning_artifact_id: Option<ArtifactId>,
    pub provisioned_product_name: ProvisionedProductName,
    /// The artifact was created from the stack (docs/CONTRACT.md §9); absent otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub version_created: bool,
}

/// One stack's outcome. `outcome` is derived from `reason`, so the two can never disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The same for the same decision about the same stack version (a retry's second publish), different otherwise.
    pub id: String,
    pub verdict: Verdict,
    pub stack: Option<StackInfo>,
    pub target: Option<Target>,
    pub record: Option<Record>,
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
        let mut out = serializer.serialize_struct("Outcome", 12)?;
        out.serialize_field("schemaVersion", SCHEMA_VERSION)?;
        out.serialize_field("id", &self.id)?;
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
    use crate::ids::{ProvisionedProductId, RecordId};
    use crate::record::RecordStatus;
    use serde_json::json;

    fn outcome(verdict: Verdict) -> Outcome {
        Outcome {
            id: "0123456789abcdef0123456789abcdef".into(),
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
    fn unknown_parts_of_an_outcome_are_absent_not_null() {
        let value = outcome(Verdict::new(Reason::NoRoute, "no route")).to_json();
        assert_eq!(
            value,
            json!({"schemaVersion":"1","id":"0123456789abcdef0123456789abcdef","outcome":"SKIPPED","reason":"NO_ROUTE","message":"no route","retryable":false,
                   "stack":{"arn":"arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/id-1",
                            "name":"payments-api","status":"CREATE_COMPLETE","account":"111122223333","region":"us-east-1"},
                   "trigger":{"kind":"event","id":"ev-1"},"dryRun":false,"time":"2026-11-28T18:44:02Z"})
        );
    }

    #[test]
    fn target_and_record_appear_once_known() {
        let mut imported = outcome(Verdict::new(Reason::RecordSucceeded, "imported"));
        imported.target = Some(Target {
            product_id: ProductId::parse("prod-abcdefghijklm").unwrap(),
            provisioning_artifact_id: Some(ArtifactId::parse("pa-abcdefghijklm").unwrap()),
            provisioned_product_name: ProvisionedProductName::parse("payments-api").unwrap(),
            version_created: false,
        });
        imported.record = Some(Record {
            id: RecordId::parse("rec-1").unwrap(),
            status: RecordStatus::Succeeded,
            provisioned_product_id: Some(ProvisionedProductId::parse("pp-1").unwrap()),
            errors: vec![],
            request: Default::default(),
        });
        let value = imported.to_json();
        assert_eq!(value["outcome"], "IMPORTED");
        assert_eq!(value["target"]["provisioningArtifactId"], "pa-abcdefghijklm");
        assert_eq!(value["target"].get("versionCreated"), None, "absent unless a version was made");
        imported.target.as_mut().unwrap().version_created = true;
        assert_eq!(imported.to_json()["target"]["versionCreated"], true);
        imported.target.as_mut().unwrap().version_created = false;
        let value = imported.to_json();
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
