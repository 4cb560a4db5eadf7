//! The function's flow: parse → read the stack → check → route → compare templates → import → follow the record →
//! publish, and the delivery rules of each input shape. Orchestration only; each step's rules live in its module.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::eligibility;
use crate::event::{ImportRequest, Invocation, QueueItem, Task, WorkItem};
use crate::import::{idempotency_token, record_info, record_verdict};
use crate::outcome::{Outcome, Reason, RecordInfo, StackInfo, Target, Trigger, Verdict, now_rfc3339};
use crate::ports::{
    ArtifactDetail, Catalog, ImportInput, OutcomePublisher, ProvisionedProductQuery, ProvisionedProductSummary,
    PublishError, RecordSnapshot, ServiceError, ServiceErrorKind, StackReader, TemplateFetcher,
};
use crate::routing::{self, Route, RoutingRule};
use crate::stack::{Stack, StackRef, truncate};
use crate::template::{Difference, Template};

/// An outcome message longer than this is cut.
const MAX_MESSAGE_CHARS: usize = 2000;

/// How many template differences an outcome message names.
const DIFFERENCES_SHOWN: usize = 5;

fn describe(differences: &[Difference]) -> String {
    crate::template::describe(differences, DIFFERENCES_SHOWN)
}

/// How the record of an import is followed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollSchedule {
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// Kept free before the invocation's deadline, to publish the outcome and answer.
    pub safety_margin: Duration,
    /// Time budget when the invocation has no deadline (a local run without the Runtime API's deadline header).
    pub default_budget: Duration,
}

impl Default for PollSchedule {
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            safety_margin: Duration::from_secs(10),
            default_budget: Duration::from_secs(120),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub tag_prefix: String,
    pub rules: Vec<RoutingRule>,
    pub dry_run: bool,
    pub poll: PollSchedule,
}

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

pub struct Importer<S, C, T, P> {
    pub stacks: S,
    pub catalog: C,
    pub templates: T,
    pub publisher: P,
    pub settings: Settings,
}

impl<S, C, T, P> Importer<S, C, T, P>
where
    S: StackReader + Sync,
    C: Catalog + Sync,
    T: TemplateFetcher + Sync,
    P: OutcomePublisher + Sync,
{
    /// Answers one invocation, following each shape's delivery rules (CONTRACT.md §1).
    pub async fn handle(&self, event: LambdaEvent<Value>) -> Result<Value, HandlerError> {
        let deadline = self.deadline(&event.context);
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

    /// Decides one item and publishes its outcome.
    async fn settle(&self, item: WorkItem, deadline: Instant) -> (Outcome, Result<(), PublishError>) {
        let outcome = self.decide(item, deadline).await;
        tracing::info!(
            outcome = outcome.kind().as_str(),
            reason = outcome.reason().as_str(),
            retryable = outcome.retryable(),
            stack = outcome.stack_label(),
            trigger = %outcome.trigger.id,
            message = %outcome.verdict.message,
            "decided"
        );
        let published = self.publisher.publish(&outcome).await;
        if let Err(error) = &published {
            tracing::error!(stack = outcome.stack_label(), %error, "outcome not published");
        }
        (outcome, published)
    }

    async fn decide(&self, item: WorkItem, deadline: Instant) -> Outcome {
        let mut draft = Draft::new(item.trigger, self.settings.dry_run);
        let verdict = match item.task {
            Task::Unsupported { stack, message } => {
                draft.stack = stack.as_ref().map(StackInfo::from_ref);
                Verdict::new(Reason::UnsupportedEvent, message)
            }
            Task::Invalid { stack, message } => {
                draft.stack = stack.as_ref().map(StackInfo::from_ref);
                Verdict::new(Reason::InvalidRequest, message)
            }
            Task::Import(request) => {
                draft.dry_run = request.dry_run.unwrap_or(self.settings.dry_run);
                self.import_stack(&request, &mut draft, deadline).await.unwrap_or_else(|verdict| verdict)
            }
        };
        draft.finish(verdict)
    }

    /// One stack, top to bottom. Every `?` is a decision: an ineligible stack is an outcome, not an error.
    #[tracing::instrument(skip_all, fields(stack = request.stack.as_str()))]
    async fn import_stack(
        &self,
        request: &ImportRequest,
        draft: &mut Draft,
        deadline: Instant,
    ) -> Result<Verdict, Verdict> {
        draft.stack = Some(StackInfo::from_ref(&request.stack));
        let stack = self.read_stack(&request.stack).await?;
        draft.stack = Some(StackInfo::from_stack(&stack));

        eligibility::check(&stack, &self.settings.tag_prefix)?;
        self.ensure_not_provisioned(&stack).await?;

        let route = routing::resolve(&request.route, &stack, &self.settings.tag_prefix, &self.settings.rules)?
            .ok_or_else(|| no_route(&stack, &self.settings.tag_prefix))?;
        draft.target = Some(route.target());
        self.ensure_name_free(&route).await?;

        let artifact_id = self.matching_artifact(&stack, &route).await?;
        let target = Target { provisioning_artifact_id: Some(artifact_id.clone()), ..route.target() };
        draft.target = Some(target);
        if draft.dry_run {
            return Ok(Verdict::new(
                Reason::Eligible,
                format!(
                    "dry run: stack {} would be imported as {} from product {} artifact {artifact_id} (routed by {})",
                    stack.name(),
                    route.provisioned_product_name,
                    route.product_id,
                    route.source
                ),
            ));
        }

        let input = ImportInput {
            product_id: route.product_id.clone(),
            provisioning_artifact_id: artifact_id.clone(),
            provisioned_product_name: route.provisioned_product_name.clone(),
            physical_id: stack.arn.to_string(),
            idempotency_token: idempotency_token(&stack, &route.product_id, &artifact_id),
        };
        let record = self.catalog.import(&input).await.map_err(import_failure)?;
        draft.record = Some(record_info(&record));
        let record = self.follow(record, deadline).await;
        draft.record = Some(record_info(&record));
        Ok(record_verdict(&record, stack.name().as_str(), &route.provisioned_product_name))
    }

    async fn read_stack(&self, stack: &StackRef) -> Result<Stack, Verdict> {
        let not_found = || Verdict::new(Reason::StackNotFound, format!("stack {} does not exist", stack.as_str()));
        match self.stacks.describe_stack(stack).await {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(not_found()),
            Err(error) if error.kind == ServiceErrorKind::NotFound => Err(not_found()),
            Err(error) => Err(service_failure(error, "DescribeStacks")),
        }
    }

    /// The authoritative "already managed" check: Service Catalog knows the stack as a provisioned product's
    /// physical id. It is also what keeps the function from importing again on the events its own import causes.
    async fn ensure_not_provisioned(&self, stack: &Stack) -> Result<(), Verdict> {
        let found = self.search(ProvisionedProductQuery::PhysicalId(stack.arn.to_string())).await?;
        // The search is full-text: keep only exact matches of this stack's ARN.
        match found.iter().find(|product| product.physical_id.as_deref() == Some(stack.arn.as_str())) {
            Some(product) => Err(Verdict::new(
                Reason::AlreadyProvisioned,
                format!("stack {} is already provisioned product {} ({})", stack.name(), product.name, product.id),
            )),
            None => Ok(()),
        }
    }

    async fn ensure_name_free(&self, route: &Route) -> Result<(), Verdict> {
        let found = self.search(ProvisionedProductQuery::Name(route.provisioned_product_name.clone())).await?;
        match found.iter().find(|product| product.name == route.provisioned_product_name) {
            Some(product) => Err(Verdict::new(
                Reason::NameConflict,
                format!(
                    "provisioned product name {} is taken by {}; name another with the {}provisioned-product-name tag",
                    route.provisioned_product_name, product.id, self.settings.tag_prefix
                ),
            )),
            None => Ok(()),
        }
    }

    async fn search(&self, query: ProvisionedProductQuery) -> Result<Vec<ProvisionedProductSummary>, Verdict> {
        self.catalog
            .search_provisioned_products(&query)
            .await
            .map_err(|error| service_failure(error, "SearchProvisionedProducts"))
    }

    /// The artifact to import as: the routed one if its template matches the stack's, or else the newest active
    /// artifact of the product whose template does.
    async fn matching_artifact(&self, stack: &Stack, route: &Route) -> Result<String, Verdict> {
        let product = route.product_id.as_str();
        let candidates = match &route.provisioning_artifact_id {
            Some(artifact_id) => vec![artifact_id.clone()],
            None => self.active_artifacts(product).await?,
        };
        let body =
            self.stacks.original_template(&stack.arn).await.map_err(|error| service_failure(error, "GetTemplate"))?;
        let stack_template = Template::parse(&body).map_err(|error| {
            Verdict::new(
                Reason::TemplateMismatch,
                format!("the template of stack {} cannot be read: {error}", stack.name()),
            )
        })?;

        let mut mismatches = Vec::new();
        for artifact_id in &candidates {
            let artifact = self.artifact(product, artifact_id).await?;
            let differences = self.compare(&stack_template, &artifact).await?;
            if differences.is_empty() {
                return Ok(artifact_id.clone());
            }
            mismatches.push(format!("{artifact_id}: {}", describe(&differences)));
        }
        let message = match route.provisioning_artifact_id {
            Some(_) => format!("stack {} does not match artifact {}", stack.name(), mismatches.join("")),
            None => format!(
                "stack {} matches none of the {} active artifacts of product {product} ({})",
                stack.name(),
                candidates.len(),
                mismatches.join(" | ")
            ),
        };
        Err(Verdict::new(Reason::TemplateMismatch, message))
    }

    /// The product's active artifacts, newest first: the candidates of a route that names no artifact.
    async fn active_artifacts(&self, product: &str) -> Result<Vec<String>, Verdict> {
        let mut artifacts = match self.catalog.list_artifacts(product).await {
            Ok(artifacts) => artifacts,
            Err(error) if error.kind == ServiceErrorKind::NotFound => return Err(product_not_found(product)),
            Err(error) => return Err(service_failure(error, "ListProvisioningArtifacts")),
        };
        artifacts.retain(|artifact| artifact.active);
        if artifacts.is_empty() {
            return Err(Verdict::new(Reason::ArtifactInactive, format!("product {product} has no active artifact")));
        }
        artifacts.sort_by_key(|artifact| std::cmp::Reverse(artifact.created));
        Ok(artifacts.into_iter().map(|artifact| artifact.id).collect())
    }

    /// One artifact, which must exist and be active to be imported as.
    async fn artifact(&self, product: &str, artifact_id: &str) -> Result<ArtifactDetail, Verdict> {
        let artifact = match self.catalog.describe_artifact(product, artifact_id).await {
            Ok(artifact) => artifact,
            Err(error) if error.kind == ServiceErrorKind::NotFound => {
                return Err(self.missing_artifact_or_product(product, artifact_id, &error).await);
            }
            Err(error) => return Err(service_failure(error, "DescribeProvisioningArtifact")),
        };
        if !artifact.active {
            return Err(Verdict::new(
                Reason::ArtifactInactive,
                format!("artifact {artifact_id} of product {product} is not active"),
            ));
        }
        Ok(artifact)
    }

    /// Where the stack's template and the artifact's differ; empty when they are the same template.
    async fn compare(&self, stack_template: &Template, artifact: &ArtifactDetail) -> Result<Vec<Difference>, Verdict> {
        let Some(url) = artifact.template_url.as_deref() else {
            return Err(Verdict::new(Reason::AwsError, format!("artifact {} has no TemplateUrl", artifact.id)));
        };
        let body = self.templates.fetch(url).await.map_err(|error| {
            let message = format!("the template of artifact {} could not be read: {error}", artifact.id);
            if error.retryable {
                Verdict::retryable(Reason::AwsError, message)
            } else {
                Verdict::new(Reason::AwsError, message)
            }
        })?;
        let artifact_template = Template::parse(&body).map_err(|error| {
            Verdict::new(
                Reason::TemplateMismatch,
                format!("the template of artifact {} cannot be read: {error}", artifact.id),
            )
        })?;
        Ok(stack_template.differences(&artifact_template))
    }

    /// DescribeProvisioningArtifact says only "not found": ask for the product to tell which one is missing, and
    /// when that cannot be asked, go by what the service's message names.
    async fn missing_artifact_or_product(&self, product: &str, artifact_id: &str, error: &ServiceError) -> Verdict {
        let artifact_missing =
            || Verdict::new(Reason::ArtifactNotFound, format!("product {product} has no artifact {artifact_id}"));
        match self.catalog.list_artifacts(product).await {
            Err(listing) if listing.kind == ServiceErrorKind::NotFound => product_not_found(product),
            Ok(_) => artifact_missing(),
            Err(_) if missing_resource(&error.message) == Reason::ProductNotFound => product_not_found(product),
            Err(_) => artifact_missing(),
        }
    }

    /// Polls DescribeRecord with growing pauses until the record ends or the deadline (less the margin) comes.
    async fn follow(&self, mut record: RecordSnapshot, deadline: Instant) -> RecordSnapshot {
        let poll = &self.settings.poll;
        let mut delay = poll.first_delay;
        while !record.is_terminal() && Instant::now() + delay + poll.safety_margin < deadline {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(poll.max_delay);
            match self.catalog.describe_record(&record.record_id).await {
                Ok(latest) => record = latest,
                // Throttling while polling: the next poll will do.
                Err(error) if error.is_transient() => tracing::warn!(%error, "DescribeRecord failed; polling on"),
                Err(error) => {
                    tracing::warn!(%error, "DescribeRecord failed; the record can't be followed");
                    break;
                }
            }
        }
        record
    }

    fn deadline(&self, context: &Context) -> Instant {
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|now| now.as_millis()).unwrap_or_default();
        Instant::now() + time_left(context.deadline, now_ms, self.settings.poll.default_budget)
    }
}

/// Lambda's longest timeout; also the largest value read as a relative deadline.
const MAX_LAMBDA_TIMEOUT_MS: u64 = 15 * 60 * 1000;

/// Time left before the invocation's deadline (`Lambda-Runtime-Deadline-Ms`, epoch milliseconds).
///
/// Local Runtime API emulators do not all follow that: cargo-lambda's sends the function timeout itself (e.g.
/// `600000`), and a bare context has 0. A value no larger than Lambda's 15-minute maximum cannot be an epoch time of
/// this century, so it is read as the time left; 0 means no deadline was given.
pub fn time_left(deadline_ms: u64, now_ms: u128, default_budget: Duration) -> Duration {
    match u128::from(deadline_ms) {
        0 => default_budget,
        deadline if deadline <= u128::from(MAX_LAMBDA_TIMEOUT_MS) => Duration::from_millis(deadline_ms),
        deadline => {
            let left = deadline.saturating_sub(now_ms);
            Duration::from_millis(u64::try_from(left).unwrap_or(MAX_LAMBDA_TIMEOUT_MS))
        }
    }
}

/// The parts of an outcome learnt along the way, until the verdict completes it.
struct Draft {
    trigger: Trigger,
    dry_run: bool,
    stack: Option<StackInfo>,
    target: Option<Target>,
    record: Option<RecordInfo>,
}

impl Draft {
    fn new(trigger: Trigger, dry_run: bool) -> Self {
        Self { trigger, dry_run, stack: None, target: None, record: None }
    }

    fn finish(self, mut verdict: Verdict) -> Outcome {
        // Outcomes travel as SNS messages and EventBridge details (256 KB each); a message is a sentence, not a dump.
        verdict.message = truncate(&verdict.message, MAX_MESSAGE_CHARS);
        Outcome {
            verdict,
            stack: self.stack,
            target: self.target,
            record: self.record,
            trigger: self.trigger,
            dry_run: self.dry_run,
            time: now_rfc3339(),
        }
    }
}

fn no_route(stack: &Stack, tag_prefix: &str) -> Verdict {
    Verdict::new(
        Reason::NoRoute,
        format!(
            "no product for stack {}: no {tag_prefix}product-id tag and no IMPORT_RULES rule matches",
            stack.name()
        ),
    )
}

fn product_not_found(product: &str) -> Verdict {
    Verdict::new(
        Reason::ProductNotFound,
        format!("product {product} does not exist or is not shared with this account"),
    )
}

/// A failed AWS call as an outcome: access problems need a person; throttling and 5xx need only another attempt.
fn service_failure(error: ServiceError, operation: &str) -> Verdict {
    let message = format!("{operation} failed: {error}");
    match error.kind {
        ServiceErrorKind::AccessDenied => Verdict::new(Reason::AccessDenied, message),
        ServiceErrorKind::Throttled | ServiceErrorKind::Transient => Verdict::retryable(Reason::AwsError, message),
        _ => Verdict::new(Reason::AwsError, message),
    }
}

/// Which resource a ResourceNotFoundException is about, by what its message names (the exception has no field for it).
fn missing_resource(message: &str) -> Reason {
    let said = message.to_ascii_lowercase();
    if said.contains("artifact") {
        Reason::ArtifactNotFound
    } else if said.contains("product") {
        Reason::ProductNotFound
    } else if said.contains("stack") {
        Reason::StackNotFound
    } else {
        Reason::ArtifactNotFound
    }
}

/// ImportAsProvisionedProduct's documented exceptions, as outcomes.
fn import_failure(error: ServiceError) -> Verdict {
    let message = format!("ImportAsProvisionedProduct failed: {error}");
    match error.kind {
        ServiceErrorKind::DuplicateResource => Verdict::new(Reason::NameConflict, message),
        // Service Catalog allows one import at a time per stack/product; the next attempt can succeed.
        ServiceErrorKind::InvalidState => Verdict::retryable(Reason::ImportBusy, message),
        ServiceErrorKind::InvalidParameters => Verdict::new(Reason::InvalidRequest, message),
        ServiceErrorKind::NotFound => Verdict::new(missing_resource(&error.message), message),
        _ => service_failure(error, "ImportAsProvisionedProduct"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: u128 = 1_795_891_428_000;
    const BUDGET: Duration = Duration::from_secs(120);

    #[test]
    fn an_epoch_deadline_leaves_the_time_until_it() {
        assert_eq!(time_left(1_795_891_458_000, NOW_MS, BUDGET), Duration::from_secs(30));
    }

    #[test]
    fn a_deadline_already_passed_leaves_no_time() {
        assert_eq!(time_left(1_795_891_000_000, NOW_MS, BUDGET), Duration::ZERO);
    }

    #[test]
    fn an_emulator_s_relative_deadline_is_read_as_the_time_left() {
        // cargo-lambda's Runtime API sends the function timeout, not an epoch time.
        assert_eq!(time_left(600_000, NOW_MS, BUDGET), Duration::from_secs(600));
    }

    #[test]
    fn a_not_found_message_names_the_missing_resource() {
        assert_eq!(
            missing_resource("Provisioning artifact pa-1 not found for product prod-1"),
            Reason::ArtifactNotFound
        );
        assert_eq!(missing_resource("Product prod-1 not found"), Reason::ProductNotFound);
        assert_eq!(missing_resource("Stack arn:… does not exist"), Reason::StackNotFound);
        assert_eq!(missing_resource(""), Reason::ArtifactNotFound);
    }

    #[test]
    fn no_deadline_gives_the_default_budget() {
        assert_eq!(time_left(0, NOW_MS, BUDGET), BUDGET);
    }
}
