//! The import pipeline: one stack, top to bottom — read the stack → eligible → not yet provisioned → route → name
//! free → match an artifact → plan or import → follow the record. Each step's rules live in its own module; this
//! one only orders them. Every driver (a Lambda event, a queue record, a manual request) decides through `decide`.

use tokio::time::Instant;

use crate::decision::{Reason, Verdict};
use crate::eligibility;
use crate::ids::ArtifactId;
use crate::import::{self, PollSchedule};
use crate::matching::{self, ArtifactMatch};
use crate::outcome::{Outcome, StackInfo, Target, Trigger, now_rfc3339};
use crate::ports::{Accounts, ImportOrder, Importer, StackReader, TemplateFetcher};
use crate::provisioned;
use crate::record::Record;
use crate::routing::{self, Route, RouteFields, RoutingRule};
use crate::stack::{Stack, StackRef};
use crate::text::truncate;

/// An outcome message longer than this is cut: outcomes travel as SNS messages and EventBridge details (256 KB each),
/// and a message is a sentence, not a dump.
const MAX_MESSAGE_CHARS: usize = 2000;

/// What the pipeline is asked to do, and what asked.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkItem {
    pub trigger: Trigger,
    pub task: Task,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Task {
    Import(StackRequest),
    /// Not a CloudFormation stack status event: answered without any AWS call.
    Unsupported {
        stack: Option<StackRef>,
        message: String,
    },
    /// Could not be understood: answered INVALID_REQUEST without any AWS call.
    Invalid {
        stack: Option<StackRef>,
        message: String,
    },
}

/// One stack to look at, and whatever routing the caller pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackRequest {
    pub stack: StackRef,
    pub route: RouteFields,
    /// A manual request's `dryRun`; `None` falls back to the `DRY_RUN` setting.
    pub dry_run: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub tag_prefix: String,
    pub rules: Vec<RoutingRule>,
    pub dry_run: bool,
    pub poll: PollSchedule,
}

pub struct Pipeline<A, T> {
    pub accounts: A,
    pub templates: T,
    pub settings: Settings,
}

impl<A, T> Pipeline<A, T>
where
    A: Accounts + Sync,
    T: TemplateFetcher + Sync,
{
    /// Decides one work item. Never fails: whatever happens is an outcome.
    pub async fn decide(&self, item: WorkItem, deadline: Instant) -> Outcome {
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
                self.import_one(&request, &mut draft, deadline).await.unwrap_or_else(|verdict| verdict)
            }
        };
        draft.finish(verdict)
    }

    /// One stack, top to bottom. Every `?` is a decision: an ineligible stack is an outcome, not an error.
    #[tracing::instrument(skip_all, fields(stack = request.stack.as_str()))]
    async fn import_one(
        &self,
        request: &StackRequest,
        draft: &mut Draft,
        deadline: Instant,
    ) -> Result<Verdict, Verdict> {
        let prefix = &self.settings.tag_prefix;
        draft.stack = Some(StackInfo::from_ref(&request.stack));
        let ports = self.accounts.open(&request.stack.scope()).await?;
        let stack = read_stack(&ports.stacks, &request.stack).await?;
        draft.stack = Some(StackInfo::from_stack(&stack));

        eligibility::check(&stack, prefix)?;
        provisioned::ensure_not_provisioned(&ports.provisioned, &stack).await?;

        let route = routing::resolve(&request.route, &stack, prefix, &self.settings.rules)?
            .ok_or_else(|| routing::no_route(&stack, prefix))?;
        draft.target = Some(route.target());
        provisioned::ensure_name_free(&ports.provisioned, &route.provisioned_product_name, prefix).await?;

        let artifact =
            match matching::find_artifact(&ports.stacks, &ports.versions, &self.templates, &stack, &route).await? {
                ArtifactMatch::Found(artifact) => artifact,
                ArtifactMatch::NoMatch(no_match) => return Err(no_match.verdict(&stack)),
            };
        draft.target = Some(Target { provisioning_artifact_id: Some(artifact.clone()), ..route.target() });
        if draft.dry_run {
            return Ok(planned(&stack, &route, &artifact));
        }

        let record = ports.importer.import(&import_order(&stack, &route, artifact)).await.map_err(import::refused)?;
        draft.record = Some(record.clone());
        let record = import::follow(&ports.importer, record, &self.settings.poll, deadline).await;
        Ok(draft.followed(record).verdict(stack.name().as_str(), &route.provisioned_product_name))
    }
}

/// The stack as it is now; a stack CloudFormation does not know is skipped.
async fn read_stack(stacks: &impl StackReader, stack: &StackRef) -> Result<Stack, Verdict> {
    stacks
        .describe(stack)
        .await?
        .ok_or_else(|| Verdict::new(Reason::StackNotFound, format!("stack {} does not exist", stack.as_str())))
}

fn import_order(stack: &Stack, route: &Route, artifact: ArtifactId) -> ImportOrder {
    ImportOrder {
        token: import::idempotency_token(stack, &route.product_id, &artifact),
        product: route.product_id.clone(),
        artifact,
        name: route.provisioned_product_name.clone(),
        stack: stack.arn.clone(),
    }
}

fn planned(stack: &Stack, route: &Route, artifact: &ArtifactId) -> Verdict {
    Verdict::new(
        Reason::Eligible,
        format!(
            "dry run: stack {} would be imported as {} from product {} artifact {artifact} (routed by {})",
            stack.name(),
            route.provisioned_product_name,
            route.product_id,
            route.source
        ),
    )
}

/// The parts of an outcome learnt along the way, until the verdict completes it.
struct Draft {
    trigger: Trigger,
    dry_run: bool,
    stack: Option<StackInfo>,
    target: Option<Target>,
    record: Option<Record>,
}

impl Draft {
    fn new(trigger: Trigger, dry_run: bool) -> Self {
        Self { trigger, dry_run, stack: None, target: None, record: None }
    }

    /// Keeps the record's latest state for the outcome, and hands it on.
    fn followed(&mut self, record: Record) -> &Record {
        self.record.insert(record)
    }

    fn finish(self, mut verdict: Verdict) -> Outcome {
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
