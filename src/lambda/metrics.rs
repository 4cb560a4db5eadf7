//! The function's outcomes as CloudWatch metrics: one Embedded Metric Format line per outcome on standard output,
//! which CloudWatch Logs turns into the `Outcomes` count per function by outcome, and by outcome and reason, with
//! no API call.

use serde_json::{Value, json};

use crate::outcome::Outcome;

/// The CloudWatch namespace of the metrics; template.yaml's alarms read it.
pub const NAMESPACE: &str = "ScStackImporter";
/// The metric: one per outcome.
pub const METRIC: &str = "Outcomes";

/// The EMF document for one outcome of `function`, timestamped `epoch_ms`.
pub fn emf(outcome: &Outcome, function: &str, epoch_ms: u128) -> Value {
    json!({
        "_aws": {
            "Timestamp": epoch_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Function", "Outcome"], ["Function", "Outcome", "Reason"]],
                "Metrics": [{"Name": METRIC, "Unit": "Count"}]
            }]
        },
        "Function": function,
        "Outcome": outcome.kind().as_str(),
        "Reason": outcome.reason().as_str(),
        METRIC: 1,
        "stack": outcome.stack_label(),
        "outcomeId": outcome.id,
    })
}

/// Writes the outcome's metric line to standard output, where Lambda hands it to CloudWatch Logs.
pub fn record(outcome: &Outcome, function: &str) {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|now| now.as_millis());
    println!("{}", emf(outcome, function, now.unwrap_or_default()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Reason, Verdict};
    use crate::outcome::{Trigger, TriggerKind};

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
}
