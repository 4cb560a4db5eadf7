//! SNS adapter: publishes each outcome to the outcome topic (docs/CONTRACT.md §4).

use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

use crate::outcome::Outcome;
use crate::ports::{OutcomePublisher, PublishError};

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
    format!("{}: {}", outcome.kind().as_str(), outcome.stack_label())
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' })
        .take(100)
        .collect()
}

/// The `outcome` and `reason` attributes that subscription filter policies match on.
pub fn message_attributes(outcome: &Outcome) -> Result<Vec<(&'static str, MessageAttributeValue)>, PublishError> {
    [("outcome", outcome.kind().as_str()), ("reason", outcome.reason().as_str())]
        .into_iter()
        .map(|(name, value)| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map(|attribute| (name, attribute))
                .map_err(|error| PublishError { destination: "SNS".into(), message: error.to_string() })
        })
        .collect()
}

impl OutcomePublisher for SnsOutcomePublisher {
    async fn publish(&self, outcome: &Outcome) -> Result<(), PublishError> {
        let mut request = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject(outcome))
            .message(super::outcome_text(outcome));
        for (name, attribute) in message_attributes(outcome)? {
            request = request.message_attributes(name, attribute);
        }
        request.send().await.map(|_| ()).map_err(|error| PublishError {
            destination: format!("SNS topic {}", self.topic_arn),
            message: super::error::classify(error).to_string(),
        })
    }
}
