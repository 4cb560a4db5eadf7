//! The Lambda delivery layer: the input shapes in, the pipeline's outcomes published, and each shape's answer out —
//! `{"outcomes":[…]}`, `{"queued":N}`, a sweep's summary, an SQS partial batch response, or an `Err` that makes
//! Lambda retry. The only code that knows `LambdaEvent` and the runtime's `Context`.

pub mod deadline;
pub mod init_error;
pub mod input;
pub mod metrics;

use std::collections::HashSet;
use std::time::Duration;

use lambda_runtime::{Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::ids::{AccountId, Region};
use crate::outcome::Outcome;
use crate::pipeline::{Pipeline, Task, WorkItem};
use crate::ports::{
    Accounts, FingerprintStore, ImportQueue, OutcomePublisher, PublishError, QueueError, TemplateFetcher,
};
use crate::queue::QueuedImport;
use crate::stack::StackRef;
use crate::sweep::{Home, SweepRequest, SweepSummary, Sweeper};
use input::{Invocation, QueueItem, QueueWork};

/// The error returned to Lambda, so that it retries the event (and finally keeps it in the on-failure destination).
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("{reason} for stack {stack}: {message}")]
    Retryable { stack: String, reason: &'static str, message: String },
    #[error("the {outcome} outcome for stack {stack} was not published: {source}")]
    Unpublished { stack: String, outcome: &'static str, source: PublishError },
    #[error("stack {stack} was not queued for import: {source}")]
    Unqueued { stack: String, source: QueueError },
}

impl From<HandlerError> for Diagnostic {
    fn from(error: HandlerError) -> Self {
        let error_type = match &error {
            HandlerError::Retryable { .. } => "RetryableOutcome",
            HandlerError::Unpublished { .. } => "OutcomeNotPublished",
            HandlerError::Unqueued { .. } => "ImportNotQueued",
        };
        Diagnostic { error_type: error_type.to_owned(), error_message: error.to_string() }
    }
}

pub struct Handler<A, T, P, Q, S> {
    pub pipeline: Pipeline<A, T, S>,
    pub publisher: P,
    /// The import queue (`IMPORT_QUEUE_URL`): stack events and sweep work items wait there, serialized per account
    /// and region. `None`: every input is decided in the invocation that received it.
    pub queue: Option<Q>,
    /// Time budget when the invocation has no deadline (a local run without the Runtime API's deadline header).
    pub default_budget: Duration,
    /// The `Function` dimension of the outcome metrics.
    pub function_name: String,
}

impl<A, T, P, Q, S> Handler<A, T, P, Q, S>
where
    A: Accounts + Sync,
    T: TemplateFetcher + Sync,
    S: FingerprintStore + Sync,
    P: OutcomePublisher + Sync,
    Q: ImportQueue + Sync,
{
    /// Answers one invocation, following each shape's delivery rules (docs/CONTRACT.md §1).
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, HandlerError> {
        let deadline = Instant::now() + deadline::time_left(&event.context, self.default_budget);
        #[cfg(feature = "panic-probe")]
        #[allow(clippy::panic)]
        if event.payload.get("panicProbe") == Some(&Value::Bool(true)) {
            panic!("panic probe: a handler panic, as the end-to-end suite asks for");
        }
        let home = home_of(&event.context.invoked_function_arn);
        match Invocation::parse(event.payload, &event.context.request_id) {
            // Lambda retries an async event that returned an error, then sends it to the on-failure destination.
            Invocation::StackEvent(item) => {
                // With an import queue a stack event only joins its account and region's line; its outcome is
                // published when the queue's turn comes.
                if let (Some(queue), Task::Import(request)) = (&self.queue, &item.task)
                    && let StackRef::Arn(stack) = &request.stack
                {
                    let queued = QueuedImport { stack: stack.clone(), dry_run: request.dry_run, trigger: item.trigger };
                    return enqueue(queue, queued, deadline).await;
                }
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
            // A partial batch response: exactly the records to retry stay in the queue. On a FIFO queue, once one
            // record of a message group is retried every later record of that group is too, undecided, so that the
            // group's order holds (Lambda's rule for FIFO partial batch responses).
            Invocation::Queue(items) => {
                let mut failures = Vec::new();
                let mut held_back: HashSet<String> = HashSet::new();
                for QueueItem { message_id, group, work } in items {
                    let retry = match &group {
                        Some(group) if held_back.contains(group) => true,
                        _ => match work {
                            QueueWork::Decide(item) => {
                                let (outcome, published) = self.settle(item, deadline).await;
                                outcome.retryable() || published.is_err()
                            }
                            QueueWork::Sweep(request) => {
                                self.sweep(&request, &home, &message_id, deadline).await;
                                false
                            }
                        },
                    };
                    if retry {
                        failures.push(json!({ "itemIdentifier": message_id }));
                        held_back.extend(group);
                    }
                }
                Ok(json!({ "batchItemFailures": failures }))
            }
            Invocation::Sweep(request) => {
                Ok(self.sweep(&request, &home, &event.context.request_id, deadline).await.to_json())
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

    /// A sweep, its outcomes published as they are decided (docs/CONTRACT.md §1d).
    async fn sweep(&self, request: &SweepRequest, home: &Home, new_id: &str, deadline: Instant) -> SweepSummary {
        let publisher = Observed { publisher: &self.publisher, function_name: &self.function_name };
        let sweeper = Sweeper { pipeline: &self.pipeline, publisher: &publisher, queue: self.queue.as_ref() };
        let summary = sweeper.run(request, home, new_id, deadline).await;
        tracing::info!(
            sweep = %summary.id,
            stacks = summary.totals.stacks,
            queued = summary.totals.queued,
            complete = summary.complete,
            failed = summary.totals.failed.len(),
            "swept"
        );
        summary
    }

    /// Decides one item and publishes its outcome, both before the deadline.
    async fn settle(&self, item: WorkItem, deadline: Instant) -> (Outcome, Result<(), PublishError>) {
        let outcome = self.pipeline.decide(item, deadline).await;
        let publisher = Observed { publisher: &self.publisher, function_name: &self.function_name };
        // A publish still running at the deadline fails the item, so it is retried rather than lost to a timeout.
        let published = match tokio::time::timeout_at(deadline, publisher.publish(&outcome)).await {
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

/// Queues one stack event. A failed send is an error, so that Lambda retries the event.
async fn enqueue(queue: &impl ImportQueue, queued: QueuedImport, deadline: Instant) -> Result<Value, HandlerError> {
    let unqueued = |source| HandlerError::Unqueued { stack: queued.stack.to_string(), source };
    match tokio::time::timeout_at(deadline, queue.send(&[queued.message()])).await {
        Ok(Ok(())) => Ok(json!({ "queued": 1 })),
        Ok(Err(source)) => Err(unqueued(source)),
        Err(_) => Err(unqueued(QueueError { sent: 1, refused: 1, message: "the invocation's time ran out".into() })),
    }
}

/// The function's own account and region, from its ARN (`arn:aws:lambda:<region>:<account>:function:<name>`).
fn home_of(function_arn: &str) -> Home {
    let mut parts = function_arn.split(':');
    let region = parts.nth(3).and_then(|region| Region::parse(region).ok());
    let account = parts.next().and_then(|account| AccountId::parse(account).ok());
    Home { account, region }
}

/// Every outcome, as it goes out: a log line and its metrics, then the publisher.
struct Observed<'a, P> {
    publisher: &'a P,
    function_name: &'a str,
}

impl<P: OutcomePublisher + Sync> OutcomePublisher for Observed<'_, P> {
    async fn publish(&self, outcome: &Outcome) -> Result<(), PublishError> {
        metrics::record(outcome, self.function_name);
        tracing::info!(
            outcome = outcome.kind().as_str(),
            reason = outcome.reason().as_str(),
            retryable = outcome.retryable(),
            stack = outcome.stack_label(),
            trigger = %outcome.trigger.id,
            message = %outcome.verdict.message,
            "decided"
        );
        self.publisher.publish(outcome).await
    }

    async fn publish_summary(&self, summary: &SweepSummary) -> Result<(), PublishError> {
        self.publisher.publish_summary(summary).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_home_account_and_region_come_from_the_function_arn() {
        let home = home_of("arn:aws:lambda:eu-west-1:111122223333:function:sc-stack-importer");
        assert_eq!(home.account.as_ref().map(AccountId::as_str), Some("111122223333"));
        assert_eq!(home.region.as_ref().map(Region::as_str), Some("eu-west-1"));
        assert_eq!(home_of(""), Home::default());
    }
}
