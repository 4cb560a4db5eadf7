//! The Lambda delivery layer: the three input shapes in, the pipeline's outcomes published, and each shape's answer
//! out — `{"outcomes":[…]}`, an SQS partial batch response, or an `Err` that makes Lambda retry. The only code that
//! knows `LambdaEvent` and the runtime's `Context`.

pub mod deadline;
pub mod init_error;
pub mod input;
pub mod metrics;

use std::time::Duration;

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::outcome::Outcome;
use crate::pipeline::{Pipeline, WorkItem};
use crate::ports::{Accounts, OutcomePublisher, PublishError, TemplateFetcher};
use input::{Invocation, QueueItem};

/// The error returned to Lambda, so that it retries the event (and finally keeps it in the on-failure destination).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("{reason} for stack {stack}: {message}")]
    Retryable { stack: String, reason: &'static str, message: String },
    #[error("the {outcome} outcome for stack {stack} was not published: {source}")]
    Unpublished { stack: String, outcome: &'static str, source: PublishError },
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Self {
        let error_type = match &error {
            HandlerError::Retryable { .. } => "RetryableOutcome",
            HandlerError::Unpublished { .. } => "OutcomeNotPublished",
        };
        Diagnostic { error_type: error_type.to_owned(), error_message: error.to_string() }
    }
}

pub struct Handler<A, T, P> {
    pub pipeline: Pipeline<A, T>,
    pub publisher: P,
    /// Time budget when the invocation has no deadline (a local run without the Runtime API's deadline header).
    pub default_budget: Duration,
    /// The `Function` dimension of the outcome metrics.
    pub function_name: String,
}

impl<A, T, P> Handler<A, T, P>
where
    A: Accounts + Sync,
    T: TemplateFetcher + Sync,
    P: OutcomePublisher + Sync,
{
    /// Answers one invocation, following each shape's delivery rules (docs/CONTRACT.md §1).
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, HandlerError> {
        let deadline = Instant::now() + deadline::time_left(&event.context, self.default_budget);
        #[cfg(feature = "panic-probe")]
        #[allow(clippy::panic)]
        if event.payload.get("panicProbe") == Some(&Value::Bool(true)) {
            panic!("panic probe: a handler panic, as the end-to-end suite asks for");
        }
        match Invocation::parse(event.payload, &event.context.request_id) {
            // Lambda retries an async event that returned an error, then sends it to the on-failure destination.
            Invocation::StackEvent(item) => {
                let (outcome, published) = self.settle(item, deadline).await;
                if outcome.retryable() {
                    return Err(HandlerError::Retryable {
                        stack: outcome.stack_label().to_owned(),
                        reason: outcome.reason().as_str(),
                        message: outcome.verdict.message.clone(),
                    });
                }
                published.map_err(|source| HandlerError::Unpublished {
                    stack: outcome.stack_label().to_owned(),
                    outcome: outcome.kind().as_str(),
                    source,
                })?;
                Ok(json!({ "outcomes": [outcome] }))
            }
            // A partial batch response: exactly the records to retry stay in the queue.
            Invocation::Queue(items) => {
                let mut failures = Vec::new();
                for QueueItem { message_id, item } in items {
                    let (outcome, published) = self.settle(item, deadline).await;
                    if outcome.retryable() || published.is_err() {
                        failures.push(json!({ "itemIdentifier": message_id }));
                    }
                }
                Ok(json!({ "batchItemFailures": failures }))
            }
            // A person is waiting for the answer: every outcome, retryable ones marked as such, never a bare error.
            Invocation::Manual(items) => {
                let mut outcomes = Vec::with_capacity(items.len());
                for item in items {
                    outcomes.push(self.settle(item, deadline).await.0);
                }
                Ok(json!({ "outcomes": outcomes }))
            }
        }
    }

    /// Decides one item and publishes its outcome, both before the deadline.
    async fn settle(&self, item: WorkItem, deadline: Instant) -> (Outcome, Result<(), PublishError>) {
        let outcome = self.pipeline.decide(item, deadline).await;
        metrics::record(&outcome, &self.function_name);
        tracing::info!(
            outcome = outcome.kind().as_str(),
            reason = outcome.reason().as_str(),
            retryable = outcome.retryable(),
            stack = outcome.stack_label(),
            trigger = %outcome.trigger.id,
            message = %outcome.verdict.message,
            "decided"
        );
        // A publish still running at the deadline fails the item, so it is retried rather than lost to a timeout.
        let published = match tokio::time::timeout_at(deadline, self.publisher.publish(&outcome)).await {
            Ok(published) => published,
            Err(_) => Err(PublishError {
                destination: "every destination".into(),
                message: "the invocation's time ran out while publishing".into(),
            }),
        };
        if let Err(error) = &published {
            tracing::error!(stack = outcome.stack_label(), %error, "outcome not published");
        }
        (outcome, published)
    }
}
