//! The function's outcomes as CloudWatch metrics: one Embedded Metric Format line per outcome on standard output,
//! which CloudWatch Logs turns into the `Outcomes` count per function by outcome, and by outcome and reason, with
//! no API call.

use serde::Serialize;
use serde_json::Value;

use crate::outcome::Outcome;

/// The CloudWatch namespace of the metrics; template.yaml's alarms read it.
pub const NAMESPACE: &str = "ScStackImporter";
/// The metric: one per outcome.
pub const METRIC: &str = "Outcomes";

/// One EMF document. Its fields serialize in this order, which is the order of the line's keys.
#[derive(Serialize)]
struct Emf<'a> {
    #[serde(rename = "_aws")]
    aws: Metadata,
    #[serde(rename = "Function")]
    function: &'a str,
    #[serde(rename = "Outcome")]
    outcome: &'a str,
    #[serde(rename = "Reason")]
    reason: &'a str,
    /// `METRIC`: serde's `rename` takes a literal (the unit test checks the two agree).
    #[serde(rename = "Outcomes")]
    count: u8,
    stack: &'a str,
    #[serde(rename = "outcomeId")]
    outcome_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata {
    timestamp: u128,
    cloud_watch_metrics: [Directive; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Directive {
    namespace: &'static str,
    dimensions: [&'static [&'static str]; 2],
    metrics: [Metric; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Metric {
    name: &'static str,
    unit: &'static str,
}

fn document<'a>(outcome: &'a Outcome, function: &'a str, epoch_ms: u128) -> Emf<'a> {
    Emf {
        aws: Metadata {
            timestamp: epoch_ms,
            cloud_watch_metrics: [Directive {
                namespace: NAMESPACE,
                dimensions: [&["Function", "Outcome"], &["Function", "Outcome", "Reason"]],
                metrics: [Metric { name: METRIC, unit: "Count" }],
            }],
        },
        function,
        outcome: outcome.kind().as_str(),
        reason: outcome.reason().as_str(),
        count: 1,
        stack: outcome.stack_label(),
        outcome_id: &outcome.id,
    }
}

/// The EMF document for one outcome of `function`, timestamped `epoch_ms`.
pub fn emf(outcome: &Outcome, function: &str, epoch_ms: u128) -> Value {
    serde_json::to_value(document(outcome, function, epoch_ms)).unwrap_or(Value::Null)
}

/// The EMF line for one outcome: `emf`'s document as text, serialized straight from the typed document rather than
/// through a `Value` tree (this runs for every outcome).
pub fn emf_line(outcome: &Outcome, function: &str, epoch_ms: u128) -> String {
    // Serializing these plain structs cannot fail; "null" would only ever show a bug.
    serde_json::to_string(&document(outcome, function, epoch_ms)).unwrap_or_else(|_| "null".to_owned())
}

/// Writes the outcome's metric line to standard output, where Lambda hands it to CloudWatch Logs.
pub fn record(outcome: &Outcome, function: &str) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|now| now.as_millis());
    println!("{}", emf_line(outcome, function, now.unwrap_or_default()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Reason, Verdict};
    use crate::outcome::{Trigger, TriggerKind};
    use serde_json::json;

    #[test]
    fn an_outcome_is_one_count_per_function_by_outcome_and_by_outcome_and_reason() {
        let outcome = Outcome {
            id: "abc".into(),
            verdict: Verdict::new(Reason::TemplateMismatch, "differs"),
            stack: None,
            target: None,
            record: None,
            trigger: Trigger::new(TriggerKind::Event, "ev-1"),
            dry_run: false,
            time: "2026-11-29T00:00:00Z".into(),
        };
        let line = emf(&outcome, "importer", 1_795_891_428_000);
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Namespace"], "ScStackImporter");
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["Function", "Outcome"], ["Function", "Outcome", "Reason"]])
        );
        assert_eq!(line["Function"], "importer");
        assert_eq!(line["_aws"]["CloudWatchMetrics"][0]["Metrics"], json!([{"Name":"Outcomes","Unit":"Count"}]));
        assert_eq!(line["_aws"]["Timestamp"], 1_795_891_428_000_u64);
        assert_eq!((line["Outcome"].as_str(), line["Reason"].as_str()), (Some("FAILED"), Some("TEMPLATE_MISMATCH")));
        assert_eq!(line["Outcomes"], 1);
    }

    #[test]
    fn the_line_is_the_document_as_text_with_the_keys_in_their_order() {
        let outcome = Outcome {
            id: "abc".into(),
            verdict: Verdict::new(Reason::RecordSucceeded, "imported"),
            stack: None,
            target: None,
            record: None,
            trigger: Trigger::new(TriggerKind::Manual, "req-1"),
            dry_run: false,
            time: "2026-11-29T00:00:00Z".into(),
        };
        // The document as it was written before it had a type: key for key, in this order.
        let expected = json!({
            "_aws": {
                "Timestamp": 1_795_891_428_000_u64,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Function", "Outcome"], ["Function", "Outcome", "Reason"]],
                    "Metrics": [{"Name": METRIC, "Unit": "Count"}]
                }]
            },
            "Function": "importer",
            "Outcome": "IMPORTED",
            "Reason": "RECORD_SUCCEEDED",
            METRIC: 1,
            "stack": "unknown stack",
            "outcomeId": "abc",
        });
        let line = emf_line(&outcome, "importer", 1_795_891_428_000);
        assert_eq!(line, expected.to_string());
        assert_eq!(emf(&outcome, "importer", 1_795_891_428_000), expected);
        assert!(!line.contains('\n'));
    }
}
