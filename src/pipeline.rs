//! The import pipeline: one stack, top to bottom — read the stack → eligible → not yet provisioned → route (or
//! discover) → name free → match an artifact (or make a version from the stack) → plan or import → follow the record. Each step's rules live in its own module; this
//! one only orders them. Every driver (a Lambda event, a queue record, a manual request) decides through `decide`.

use std::time::Duration;

use tokio::time::Instant;

use crate::decision::{Reason, Verdict};
use crate::discovery::{Discovered, Discovery, Sources};
use crate::eligibility;
use crate::ids::ArtifactId;
use crate::import::{self, PollSchedule};
use crate::known::KnownArtifacts;
use crate::matching::{self, ArtifactMatch, NoMatch};
use crate::outcome::{Outcome, StackInfo, Target, Trigger, now_rfc3339};
use crate::ports::{Accounts, FingerprintStore, ImportOrder, Importer, StackReader, TemplateFetcher};
use crate::provisioned::{self, Held};
use crate::record::Record;
use crate::routing::{self, Route, RouteFields, RouteSource, RoutingRule};
use crate::stack::{Stack, StackRef};
use crate::text::{digest, truncate};
use crate::versioning::{self, Versioned};

/// An outcome message longer than this is cut: outcomes travel as SNS messages and EventBridge details (256 KB each),
/// and a message is a sentence, not a dump.
const MAX_MESSAGE_CHARS: usize = 2000;

/// A failed record's errors in an outcome: the first few, each cut to a sentence, whatever Service Catalog returned.
const MAX_RECORD_ERRORS: usize = 20;
const MAX_ERROR_CHARS: usize = 1000;

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
    /// Kept free before the invocation's deadline to publish the outcome and answer: a stack not decided by then is
    /// OUT_OF_TIME.
    pub publish_reserve: Duration,
    /// `DISCOVERY`: route a stack nothing routes by its template.
    pub discovery: bool,
    /// `NEW_VERSION_ON_MISMATCH`: make a version from a routed stack that matches none of the product's artifacts.
    pub new_version_on_mismatch: bool,
}

pub struct Pipeline<A, T, S> {
    pub accounts: A,
    pub templates: T,
    pub settings: Settings,
    /// Artifact fingerprints learnt so far, kept across warm invocations and in the store `S`.
    pub known: KnownArtifacts<S>,
    /// Each account and region's discovery index, kept across warm invocations.
    pub discovery: Discovery,
}

impl<A, T, S> Pipeline<A, T, S>
where
    A: Accounts + Sync,
    T: TemplateFetcher + Sync,
    S: FingerprintStore + Sync,
{
    /// Decides one work item before `deadline` less the time kept to publish. Never fails: whatever happens,
    /// running out of time included, is an outcome.
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
                draft.stack = Some(StackInfo::from_ref(&request.stack));
                let decided_by = deadline.checked_sub(self.settings.publish_reserve).unwrap_or(deadline);
                if Instant::now() >= decided_by {
                    // Not started: no AWS call is begun that could not finish.
                    out_of_time(&request.stack)
                } else {
                    let import = self.import_one(&request, &mut draft, deadline);
                    match tokio::time::timeout_at(decided_by, import).await {
                        Ok(decided) => decided.unwrap_or_else(|verdict| verdict),
                        Err(_) => out_of_time(&request.stack),
                    }
                }
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
        let (prefix, rules) = (&self.settings.tag_prefix, &self.settings.rules);
        let ports = self.accounts.open(&request.stack.scope()).await?;
        let stack = read_stack(&ports.stacks, &request.stack).await?;
        draft.read(&stack);

        eligibility::check(&stack, prefix)?;
        if let Some(holder) = provisioned::holder(&ports.provisioned, &ports.importer, &stack).await? {
            let route = routing::resolve(&request.route, &stack, prefix, rules).ok().flatten();
            return match holder.judge(&stack, route.as_ref()) {
                Held::Follow(record) => Ok(self.follow(&ports.importer, record, &stack, draft, deadline).await),
                Held::Settled(verdict, record) => Err(draft.rests_on(verdict, record)),
            };
        }

        let route = match routing::resolve(&request.route, &stack, prefix, rules)? {
            Some(route) => route,
            None if self.settings.discovery => self.discover(&ports.stacks, &ports.versions, request, &stack).await?,
            None => return Err(routing::no_route(&stack, prefix)),
        };
        draft.target = Some(route.target());
        provisioned::ensure_name_free(&ports.provisioned, &route.provisioned_product_name, prefix).await?;

        let (artifact, version_created) = match (&route.source, &route.provisioning_artifact_id) {
            // Discovery compared the template and saw the artifact active: nothing to read again.
            (RouteSource::Discovered, Some(artifact)) => (artifact.clone(), false),
            _ => match matching::find_artifact(
                &ports.stacks,
                &ports.versions,
                &self.templates,
                &self.known,
                &stack,
                &route,
            )
            .await?
            {
                ArtifactMatch::Found { artifact, made_from_stack: false } => (artifact, false),
                ArtifactMatch::Found { artifact, made_from_stack: true } => {
                    let poll = &self.settings.poll;
                    (
                        versioning::made_earlier(&ports.versions, &route.product_id, &artifact, poll, deadline).await?,
                        true,
                    )
                }
                ArtifactMatch::NoMatch(no_match) => {
                    match self.new_version(&ports.versions, &stack, &route, &no_match, draft, deadline).await? {
                        Versioned::Ready { artifact, created } => (artifact, created),
                        Versioned::WouldCreate => return Ok(planned_version(&stack, &route, &no_match)),
                    }
                }
            },
        };
        draft.target =
            Some(Target { provisioning_artifact_id: Some(artifact.clone()), version_created, ..route.target() });
        if draft.dry_run {
            return Ok(planned(&stack, &route, &artifact));
        }

        let how = chosen_how(&route, &artifact, version_created);
        let record = ports.importer.import(&import_order(&stack, &route, artifact)).await.map_err(import::refused)?;
        let mut verdict = self.follow(&ports.importer, record, &stack, draft, deadline).await;
        if let Some(how) = how {
            verdict.message = format!("{}; {how}", verdict.message);
        }
        Ok(verdict)
    }

    /// The route of a stack nothing routes, from its template (docs/CONTRACT.md §9).
    async fn discover(
        &self,
        stacks: &A::Stacks,
        versions: &A::Versions,
        request: &StackRequest,
        stack: &Stack,
    ) -> Result<Route, Verdict> {
        let template = matching::stack_template(stacks, stack).await?;
        let sources = Sources { versions, templates: &self.templates, known: &self.known };
        match self.discovery.discover(&stack.arn, &sources, &template.fingerprint()).await? {
            Discovered::Found { product, artifact } => {
                routing::discovered(&request.route, stack, &self.settings.tag_prefix, product, artifact)
            }
            Discovered::Ambiguous(products) => Err(Discovered::ambiguous(stack.name().as_str(), &products)),
            Discovered::Nothing { products } => Err(Verdict::new(
                Reason::NoRoute,
                format!(
                    "{}, and its template is no active artifact of the {products} products this function can launch",
                    routing::no_route(stack, &self.settings.tag_prefix).message
                ),
            )),
        }
    }

    /// The version made from the stack (or found with its template), when the route and settings allow one.
    async fn new_version(
        &self,
        versions: &A::Versions,
        stack: &Stack,
        route: &Route,
        no_match: &NoMatch,
        draft: &Draft,
        deadline: Instant,
    ) -> Result<Versioned, Verdict> {
        versioning::allowed(route, self.settings.new_version_on_mismatch, no_match, stack)?;
        let sources = Sources { versions, templates: &self.templates, known: &self.known };
        versioning::version_from_stack(&sources, stack, no_match, draft.dry_run, &self.settings.poll, deadline).await
    }

    /// Follows an import's record to its end or until the time to wait for it is spent.
    async fn follow(
        &self,
        importer: &impl Importer,
        record: Record,
        stack: &Stack,
        draft: &mut Draft,
        deadline: Instant,
    ) -> Verdict {
        draft.import_of(&record);
        let record = import::follow(importer, record, &self.settings.poll, deadline).await;
        let name = draft.target.as_ref().map(|target| target.provisioned_product_name.to_string()).unwrap_or_default();
        draft.followed(record).verdict(stack.name().as_str(), &name)
    }
}

/// The outcome of a stack decided without the pipeline's AWS calls (a sweep's local decision), written as the
/// pipeline writes its own.
pub fn decided_locally(trigger: Trigger, stack: &Stack, dry_run: bool, verdict: Verdict) -> Outcome {
    let mut draft = Draft::new(trigger, dry_run);
    draft.read(stack);
    draft.finish(verdict)
}

/// A stack whose decision did not finish before the invocation's time ran out: retryable, since nothing was decided.
fn out_of_time(stack: &StackRef) -> Verdict {
    Verdict::retryable(
        Reason::OutOfTime,
        format!("stack {} was not decided before the invocation's time ran out; a retry decides it", stack.as_str()),
    )
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
        token: import::idempotency_token(stack, &route.product_id, &artifact, &route.provisioned_product_name),
        product: route.product_id.clone(),
        artifact,
        name: route.provisioned_product_name.clone(),
        stack: stack.arn.clone(),
    }
}

/// What an outcome says about a product or artifact the function chose itself rather than was told.
fn chosen_how(route: &Route, artifact: &ArtifactId, version_created: bool) -> Option<String> {
    if version_created {
        Some(format!("artifact {artifact} of product {} was made from the stack", route.product_id))
    } else if route.source == RouteSource::Discovered {
        Some(format!("product {} artifact {artifact} discovered by the stack's template", route.product_id))
    } else {
        None
    }
}

fn planned_version(stack: &Stack, route: &Route, no_match: &NoMatch) -> Verdict {
    Verdict::new(
        Reason::Eligible,
        format!(
            "dry run: stack {} matches no active artifact of product {}; a version named {} would be made from it and              the stack imported into it as {}",
            stack.name(),
            route.product_id,
            matching::version_name(&no_match.stack_fingerprint),
            route.provisioned_product_name
        ),
    )
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
    /// The stack version the decision is about (`LastUpdatedTime`/`CreationTime`), for the outcome's `id`.
    version: Option<String>,
    target: Option<Target>,
    record: Option<Record>,
}

impl Draft {
    fn new(trigger: Trigger, dry_run: bool) -> Self {
        Self { trigger, dry_run, stack: None, version: None, target: None, record: None }
    }

    fn read(&mut self, stack: &Stack) {
        self.stack = Some(StackInfo::from_stack(stack));
        self.version = Some(stack.changed_at.clone());
    }

    /// An import's record: the outcome's `record`, and its `target` when no route was resolved (a provisioned
    /// product that already held the stack).
    fn import_of(&mut self, record: &Record) {
        let request = &record.request;
        if self.target.is_none()
            && let (Some(product), Some(name)) = (&request.product, &request.name)
        {
            self.target = Some(Target {
                product_id: product.clone(),
                provisioning_artifact_id: request.artifact.clone(),
                provisioned_product_name: name.clone(),
                version_created: false,
            });
        }
        self.record = Some(record.clone());
    }

    /// Keeps the record's latest state for the outcome, and hands it on.
    fn followed(&mut self, record: Record) -> &Record {
        self.record.insert(record)
    }

    /// A final verdict and the record it rests on.
    fn rests_on(&mut self, verdict: Verdict, record: Option<Record>) -> Verdict {
        if let Some(record) = &record {
            self.import_of(record);
        }
        verdict
    }

    fn finish(self, mut verdict: Verdict) -> Outcome {
        verdict.message = truncate(&verdict.message, MAX_MESSAGE_CHARS);
        let id = outcome_id(&self, &verdict);
        let record = self.record.map(|mut record| {
            record.errors.truncate(MAX_RECORD_ERRORS);
            for error in &mut record.errors {
                error.code = truncate(&error.code, MAX_ERROR_CHARS);
                error.description = truncate(&error.description, MAX_ERROR_CHARS);
            }
            record
        });
        Outcome {
            id,
            verdict,
            stack: self.stack,
            target: self.target,
            record,
            trigger: self.trigger,
            dry_run: self.dry_run,
            time: now_rfc3339(),
        }
    }
}

/// The outcome's `id`: the same for the same decision about the same stack version, so that a subscriber drops a
/// retry's second publish of it, and different for any other decision. A decision is its reason, target, record and
/// dry run about one stack version; an outcome about no known stack is identified by what asked for it instead.
fn outcome_id(draft: &Draft, verdict: &Verdict) -> String {
    let stack = draft.stack.as_ref();
    let about = match (stack.and_then(|stack| stack.arn.as_deref()), &draft.version) {
        (Some(arn), Some(version)) => format!("{arn}\n{version}"),
        _ => {
            format!("{:?}\n{}\n{}", draft.trigger.kind, draft.trigger.id, stack.map(|s| s.name.as_str()).unwrap_or(""))
        }
    };
    let target = draft.target.as_ref().map(|target| {
        let artifact = target.provisioning_artifact_id.as_ref().map(|id| id.as_str()).unwrap_or("");
        format!("{}\n{artifact}\n{}", target.product_id, target.provisioned_product_name)
    });
    let record = draft.record.as_ref().map(|record| record.id.to_string());
    let parts = [
        about.as_str(),
        verdict.reason.as_str(),
        if draft.dry_run { "dry-run" } else { "" },
        target.as_deref().unwrap_or(""),
        record.as_deref().unwrap_or(""),
    ];
    // 128 bits are plenty to tell decisions apart.
    digest(&parts).chars().take(32).collect()
}
