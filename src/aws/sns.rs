//! SNS adapter: publishes each outcome, and each sweep's summary, to the outcome topic (docs/CONTRACT.md §4, §1d).

use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

use crate::outcome::Outcome;
use crate::ports::{OutcomePublisher, PublishError};
use crate::sweep::summary::SweepSummary;

#[derive(Debug, Clone)]
pub struct SnsOutcomePublisher {
    client: Client,
    topic_arn: String,
}

impl SnsOutcomePublisher {
    pub fn new(client: Client, topic_arn: String) -> Self {
        Self { client, topic_arn }
    }
}

/// SNS subjects are at most 100 printable ASCII characters, without line breaks.
pub fn subject(outcome: &Outcome) -> String {
    printable(&format!("{}: {}", outcome.kind().as_str(), outcome.stack_label()))
}

fn printable(subject: &str) -> String {
    subject.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).take(100).collect()
}

/// The `outcome` and `reason` attributes that subscription filter policies match on.
pub fn message_attributes(outcome: &Outcome) -> Result<Vec<(&'static str, MessageAttributeValue)>, PublishError> {
    string_attributes(&[("outcome", outcome.kind().as_str()), ("reason", outcome.reason().as_str())])
}

/// The attributes of a sweep summary: `outcome` = `SWEEP_SUMMARY`, so that a filter policy tells it from outcomes.
pub const SWEEP_SUMMARY: &str = "SWEEP_SUMMARY";

impl SnsOutcomePublisher {
    async fn send(
        &self,
        subject: String,
        message: String,
        attributes: &[(&'static str, &str)],
    ) -> Result<(), PublishError> {
        let mut request = self.client.publish().topic_arn(&self.topic_arn).subject(subject).message(message);
        for (name, attribute) in string_attributes(attributes)? {
            request = request.message_attributes(name, attribute);
        }
        request.send().await.map(|_| ()).map_err(|error| PublishError {
            destination: format!("SNS topic {}", self.topic_arn),
            message: super::error::classify(error).to_string(),
        })
    }
}

fn string_attributes(
    attributes: &[(&'static str, &str)],
) -> Result<Vec<(&'static str, MessageAttributeValue)>, PublishError> {
    attributes
        .iter()
        .map(|(name, value)| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(*value)
                .build()
                .map(|attribute| (*name, attribute))
                .map_err(|error| PublishError { destination: "SNS".into(), message: error.to_string() })
        })
        .collect()
}

impl OutcomePublisher for SnsOutcomePublisher {
    async fn publish(&self, outcome: &Outcome) -> Result<(), PublishError> {
        let attributes = [("outcome", outcome.kind().as_str()), ("reason", outcome.reason().as_str())];
        self.send(subject(outcome), super::outcome_text(outcome), &attributes).await
    }

    async fn publish_summary(&self, summary: &SweepSummary) -> Result<(), PublishError> {
        self.send(printable(&summary.subject()), summary.to_json().to_string(), &[("outcome", SWEEP_SUMMARY)]).await
    }
}
