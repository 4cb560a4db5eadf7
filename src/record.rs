//! A Service Catalog record: the progress of one import request, and what its latest known state means for the stack.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::decision::{Reason, Verdict};
use crate::ids::{ArtifactId, ProductId, ProvisionedProductId, ProvisionedProductName, RecordId};

/// `RecordDetail.Status`. `CREATED` and `IN_PROGRESS*` are still running; `SUCCEEDED` and `FAILED` are final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordStatus {
    Created,
    InProgress,
    InProgressInError,
    Succeeded,
    Failed,
    /// A status this version does not know: treated as still running, reported as Service Catalog spelt it.
    Other(String),
}

impl RecordStatus {
    pub fn parse(status: &str) -> Self {
        match status {
            "CREATED" => RecordStatus::Created,
            "IN_PROGRESS" => RecordStatus::InProgress,
            "IN_PROGRESS_IN_ERROR" => RecordStatus::InProgressInError,
            "SUCCEEDED" => RecordStatus::Succeeded,
            "FAILED" => RecordStatus::Failed,
            other => RecordStatus::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RecordStatus::Created => "CREATED",
            RecordStatus::InProgress => "IN_PROGRESS",
            RecordStatus::InProgressInError => "IN_PROGRESS_IN_ERROR",
            RecordStatus::Succeeded => "SUCCEEDED",
            RecordStatus::Failed => "FAILED",
            RecordStatus::Other(status) => status,
        }
    }

    pub fn is_final(&self) -> bool {
        matches!(self, RecordStatus::Succeeded | RecordStatus::Failed)
    }
}

impl fmt::Display for RecordStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RecordStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One of a record's `RecordErrors`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordError {
    pub code: String,
    pub description: String,
}

/// A record as last seen; serialized as the outcome's `record` (docs/CONTRACT.md §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    #[serde(rename = "recordId")]
    pub id: RecordId,
    pub status: RecordStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_product_id: Option<ProvisionedProductId>,
    pub errors: Vec<RecordError>,
    /// What the record was a request for; not published (the outcome's `target` says it).
    #[serde(skip)]
    pub request: RecordRequest,
}

/// What a record says it was asked to do, as far as Service Catalog reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordRequest {
    /// `RecordType`: `IMPORT_PROVISIONED_PRODUCT` for an import.
    pub record_type: Option<String>,
    pub product: Option<ProductId>,
    pub artifact: Option<ArtifactId>,
    pub name: Option<ProvisionedProductName>,
    /// `CreatedTime`, epoch seconds.
    pub created: Option<i64>,
}

impl RecordRequest {
    /// The `RecordType` of ImportAsProvisionedProduct's records.
    pub const IMPORT: &'static str = "IMPORT_PROVISIONED_PRODUCT";

    pub fn is_import(&self) -> bool {
        self.record_type.as_deref() == Some(Self::IMPORT)
    }
}

impl Record {
    /// What the record in its latest known state means for the stack.
    pub fn verdict(&self, stack_name: &str, provisioned_product: &str) -> Verdict {
        match &self.status {
            RecordStatus::Succeeded => Verdict::new(
                Reason::RecordSucceeded,
                format!(
                    "stack {stack_name} is now provisioned product {provisioned_product}{}",
                    self.provisioned_product_id.as_ref().map(|id| format!(" ({id})")).unwrap_or_default()
                ),
            ),
            RecordStatus::Failed => {
                let errors: Vec<String> =
                    self.errors.iter().map(|error| format!("{}: {}", error.code, error.description)).collect();
                let detail = if errors.is_empty() { "no error given".to_owned() } else { errors.join("; ") };
                Verdict::new(Reason::RecordFailed, format!("import record {} failed: {detail}", self.id))
            }
            // Retryable: Service Catalog carries on, and the next attempt follows the same record to its end.
            status => Verdict::retryable(
                Reason::RecordInProgress,
                format!(
                    "import record {} was still {status} when the invocation's time ran out; Service Catalog carries \
                     on, and a retry follows it",
                    self.id
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: &str, errors: &[(&str, &str)]) -> Record {
        Record {
            id: RecordId::parse("rec-1").unwrap(),
            status: RecordStatus::parse(status),
            provisioned_product_id: Some(ProvisionedProductId::parse("pp-1").unwrap()),
            errors: errors
                .iter()
                .map(|(code, description)| RecordError { code: code.to_string(), description: description.to_string() })
                .collect(),
            request: RecordRequest::default(),
        }
    }

    fn name() -> &'static str {
        "p"
    }

    #[test]
    fn record_states_map_to_outcome_reasons() {
        assert_eq!(record("SUCCEEDED", &[]).verdict("s", name()).reason, Reason::RecordSucceeded);
        assert_eq!(record("IN_PROGRESS", &[]).verdict("s", name()).reason, Reason::RecordInProgress);
        assert_eq!(record("IN_PROGRESS_IN_ERROR", &[]).verdict("s", name()).reason, Reason::RecordInProgress);
        let failed = record("FAILED", &[("InvalidTemplate", "bad")]).verdict("s", name());
        assert_eq!(failed.reason, Reason::RecordFailed);
        assert!(failed.message.contains("InvalidTemplate: bad"), "{}", failed.message);
        assert!(!failed.retryable);
        assert!(record("IN_PROGRESS", &[]).verdict("s", name()).retryable, "a retry follows the record");
    }

    #[test]
    fn only_succeeded_and_failed_are_final() {
        for status in ["CREATED", "IN_PROGRESS", "IN_PROGRESS_IN_ERROR", "SOMETHING_NEW"] {
            assert!(!RecordStatus::parse(status).is_final(), "{status}");
            assert_eq!(RecordStatus::parse(status).as_str(), status);
        }
        assert!(RecordStatus::parse("SUCCEEDED").is_final());
        assert!(RecordStatus::parse("FAILED").is_final());
    }
}
