//! The emulator's own endpoints, which are not part of the AWS API: `/_emulator/latency` shows (GET) and changes
//! (POST `{"operation": "SearchProvisionedProducts", "ms": 8000}`, where 0 removes the delay) how long an operation
//! holds back its answer, so a test can make one AWS call slow while the emulator runs; and
//! `/_emulator/templates/<artifact id>` (GET) answers the template an artifact made from a stack keeps
//! (`template_urls`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::Emulator;
use crate::catalog::TemplateSource;
use crate::error::{ErrorCode, ServiceError};
use crate::operations::OPERATIONS;

pub const LATENCY_PATH: &str = "/_emulator/latency";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencyChange {
    operation: String,
    ms: u64,
}

/// POST: sets one operation's delay; answers every delay now set.
pub fn set_latency(emulator: &Emulator, body: &[u8]) -> Result<Value, ServiceError> {
    let (operation, delay) = parse_change(body)?;
    emulator.delays().set(&operation, delay);
    tracing::info!(%operation, ms = delay.as_millis() as u64, "latency changed");
    Ok(latency_table(emulator))
}

/// The body of a POST: a known operation and a whole number of milliseconds.
fn parse_change(body: &[u8]) -> Result<(String, Duration), ServiceError> {
    let change: LatencyChange = serde_json::from_slice(body).map_err(|error| {
        ServiceError::new(
            ErrorCode::Serialization,
            format!("the body must be {{\"operation\": \"<Operation>\", \"ms\": <milliseconds>}}: {error}"),
        )
    })?;
    if !OPERATIONS.contains(&change.operation.as_str()) {
        return Err(ServiceError::invalid_parameters(format!(
            "'{}' is not an operation of this emulator ({})",
            change.operation,
            OPERATIONS.join(", ")
        )));
    }
    Ok((change.operation, Duration::from_millis(change.ms)))
}

/// GET of a kept template: its text, whichever account and region the artifact is in (a template URL carries no
/// credentials, like a public S3 object). ResourceNotFoundException for an unknown artifact or one created from a
/// URL, which is served where its URL points.
pub fn kept_template(emulator: &Emulator, artifact_id: &str) -> Result<String, ServiceError> {
    match emulator.catalogs().kept_template(artifact_id) {
        Some(TemplateSource::Stack { body, .. }) => Ok(body.to_string()),
        _ => Err(ServiceError::not_found(format!(
            "No template is kept for provisioning artifact '{artifact_id}': only artifacts made from a stack \
             (ImportFromPhysicalId) are served here"
        ))),
    }
}

/// GET: every delay now set, as `{"latency": {"<Operation>": <ms>, …}}`.
pub fn latency_table(emulator: &Emulator) -> Value {
    let table: BTreeMap<String, u64> = emulator
        .delays()
        .snapshot()
        .into_iter()
        .map(|(operation, delay)| (operation, u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)))
        .collect();
    json!({ "latency": table })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_names_a_known_operation_and_milliseconds() {
        let parsed = parse_change(br#"{"operation":"SearchProvisionedProducts","ms":8000}"#);
        assert_eq!(parsed, Ok(("SearchProvisionedProducts".to_owned(), Duration::from_secs(8))));
        let unknown = parse_change(br#"{"operation":"ProvisionProduct","ms":1}"#).expect_err("unknown");
        assert_eq!(unknown.code, ErrorCode::InvalidParameters);
        for bad in [&br#"{"operation":"DescribeRecord"}"#[..], br#"{"operation":"DescribeRecord","ms":-1}"#, b"ms=1"] {
            assert_eq!(parse_change(bad).expect_err("malformed").code, ErrorCode::Serialization);
        }
    }
}
