//! EventBridge adapter: puts each outcome on the outcome bus as a `Stack Import Outcome` event (docs/CONTRACT.md §4).

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use crate::outcome::Outcome;
use crate::ports::{OutcomePublisher, PublishError};
use crate::sweep::summary::SweepSummary;

pub const DETAIL_TYPE: &str = "Stack Import Outcome";
pub const SUMMARY_DETAIL_TYPE: &str = "Stack Import Sweep Summary";

#[derive(Debug, Clone)]
pub struct EventBridgeOutcomePublisher {
    client: Client,
    bus: String,
    source: String,
}

impl EventBridgeOutcomePublisher {
    pub fn new(client: Client, bus: String, source: String) -> Self {
        Self { client, bus, source }
    }
}

/// The PutEvents entry for an outcome. `Resources` holds the stack ARN when the stack is known.
pub fn outcome_entry(outcome: &Outcome, bus: &str, source: &str) -> PutEventsRequestEntry {
    let stack_arn = outcome.stack.as_ref().and_then(|stack| stack.arn.clone());
    PutEventsRequestEntry::builder()
        .event_bus_name(bus)
        .source(source)
        .detail_type(DETAIL_TYPE)
        .detail(super::outcome_text(outcome))
        .set_resources(stack_arn.map(|arn| vec![arn]))
        .build()
}

/// The PutEvents entry for a sweep's summary.
pub fn summary_entry(summary: &SweepSummary, bus: &str, source: &str) -> PutEventsRequestEntry {
    PutEventsRequestEntry::builder()
        .event_bus_name(bus)
        .source(source)
        .detail_type(SUMMARY_DETAIL_TYPE)
        .detail(summary.to_json().to_string())
        .build()
}

impl OutcomePublisher for EventBridgeOutcomePublisher {
    async fn publish(&self, outcome: &Outcome) -> Result<(), PublishError> {
        self.put(outcome_entry(outcome, &self.bus, &self.source)).await
    }

    async fn publish_summary(&self, summary: &SweepSummary) -> Result<(), PublishError> {
        self.put(summary_entry(summary, &self.bus, &self.source)).await
    }
}

impl EventBridgeOutcomePublisher {
    async fn put(&self, entry: PutEventsRequestEntry) -> Result<(), PublishError> {
        let destination = || format!("EventBridge bus {}", self.bus);
        let output = self.client.put_events().entries(entry).send().await.map_err(|error| PublishError {
            destination: destination(),
            message: super::error::classify(error).to_string(),
        })?;
        // PutEvents answers 200 even when an entry was refused; FailedEntryCount says so.
        if output.failed_entry_count() > 0 {
            let why = output
                .entries()
                .iter()
                .filter_map(|entry| {
                    entry.error_code().map(|code| format!("{code}: {}", entry.error_message().unwrap_or_default()))
                })
                .collect::<Vec<_>>()
                .join("; ");
            return Err(PublishError { destination: destination(), message: format!("the entry was refused ({why})") });
        }
        Ok(())
    }
}
