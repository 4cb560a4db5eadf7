//! `World`: a scenario's AWS, arranged with a readable builder (`World::new().stack(..).artifact(..)`), and the
//! function's handler run over it, as the runtime would run it.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

use sc_stack_importer::ids::{AccountId, ArtifactId, Scope};
use sc_stack_importer::import::PollSchedule;
use sc_stack_importer::known::KnownArtifacts;
use sc_stack_importer::lambda::{Handler, HandlerError};
use sc_stack_importer::outcome::Outcome;
use sc_stack_importer::pipeline::{Pipeline, Settings};
use sc_stack_importer::ports::{AccountPorts, FailureKind, FetchError, ImportError, ImportOrder, ProvisionedProduct};
use sc_stack_importer::record::RecordError;
use sc_stack_importer::routing::RoutingRule;
use sc_stack_importer::stack::Stack;

use crate::fakes::*;

pub type FakeHandler = Handler<FakeAccounts, FakeTemplates, FakePublisher, FakeQueue, Option<FakeStore>>;

pub struct World {
    pub calls: Calls,
    pub stacks: FakeStacks,
    pub provisioned: FakeProvisioned,
    pub versions: FakeVersions,
    pub importer: FakeImporter,
    pub templates: FakeTemplates,
    pub publisher: FakePublisher,
    pub queue: FakeQueue,
    pub store: FakeStore,
    /// Whether the handler has the import queue (`IMPORT_QUEUE_URL`).
    queued: bool,
    /// `ARTIFACT_INDEX_TABLE`, `DISCOVERY`, `NEW_VERSION_ON_MISMATCH`.
    stored: bool,
    discovery: bool,
    new_versions: bool,
    unreachable_region: Option<String>,
    organization: Option<Vec<String>>,
    opened: Arc<Mutex<Vec<Scope>>>,
    rules: String,
    dry_run: bool,
}

impl World {
    /// No stacks, no products, nothing provisioned; every record succeeds.
    pub fn new() -> Self {
        let calls = Calls::default();
        let provisioned = FakeProvisioned { calls: calls.clone(), ..FakeProvisioned::default() };
        let stacks = FakeStacks { calls: calls.clone(), ..FakeStacks::default() };
        let templates = FakeTemplates { calls: calls.clone(), ..FakeTemplates::default() };
        Self {
            versions: FakeVersions {
                calls: calls.clone(),
                stacks: stacks.clone(),
                templates: templates.clone(),
                ..FakeVersions::default()
            },
            stacks,
            templates,
            store: FakeStore { calls: calls.clone(), ..FakeStore::default() },
            stored: false,
            discovery: false,
            new_versions: false,
            importer: FakeImporter {
                calls: calls.clone(),
                provisioned: provisioned.clone(),
                ..FakeImporter::default()
            },
            provisioned,
            publisher: FakePublisher { calls: calls.clone(), ..FakePublisher::default() },
            queue: FakeQueue { calls: calls.clone(), ..FakeQueue::default() },
            queued: false,
            unreachable_region: None,
            organization: None,
            calls,
            opened: Arc::default(),
            rules: "[]".into(),
            dry_run: false,
        }
    }

    /// A stack tagged for import, a product whose artifact has the same template (JSON vs the stack's YAML),
    /// nothing provisioned yet, and an import record that runs once and succeeds.
    pub fn importable() -> Self {
        World::new()
            .stack(stack(ARN, "CREATE_COMPLETE", &routed_tags()), TEMPLATE_YAML)
            .artifact(PRODUCT, ARTIFACT, true, 100, TEMPLATE_JSON)
            .record_statuses(&["IN_PROGRESS", "SUCCEEDED"])
    }

    // -- arranging ------------------------------------------------------------------------------------------------

    /// Adds the stack with its template, or replaces the one with the same ARN.
    pub fn stack(self, stack: Stack, template: &str) -> Self {
        self.stacks.stacks.lock().unwrap().insert(stack.arn.to_string(), (stack, template.into()));
        self
    }

    /// Adds an artifact to the product (created at `created` epoch seconds), its template served at a pre-signed URL.
    pub fn artifact(self, product: &str, artifact: &str, active: bool, created: i64, template: &str) -> Self {
        let url = format!("https://templates.example/{product}/{artifact}.json?X-Amz-Signature=abc");
        self.templates.urls.lock().unwrap().insert(url.clone(), Ok(template.into()));
        self.versions.products.lock().unwrap().entry(product.into()).or_default().push(FakeArtifact {
            id: ArtifactId::parse(artifact).unwrap(),
            active,
            created,
            template_url: url,
            name: format!("v{created}"),
            description: String::new(),
            creating_reads: 0,
        });
        self
    }

    /// An artifact whose template URL answers so (a missing object, a body that is no template).
    pub fn artifact_answering(self, product: &str, artifact: &str, answer: Result<&str, FetchError>) -> Self {
        let world = self.artifact(product, artifact, true, 100, "{}");
        let url = format!("https://templates.example/{product}/{artifact}.json?X-Amz-Signature=abc");
        world.templates.urls.lock().unwrap().insert(url, answer.map(str::to_owned));
        world
    }

    /// `DISCOVERY=on`.
    pub fn discovery(mut self) -> Self {
        self.discovery = true;
        self
    }

    /// `NEW_VERSION_ON_MISMATCH=on`; a version made from a stack stays `Creating` for `creating_reads` reads.
    pub fn new_versions(mut self, creating_reads: usize) -> Self {
        self.new_versions = true;
        *self.versions.creating_reads.lock().unwrap() = creating_reads;
        self
    }

    /// Every product holds at most `limit` artifacts.
    pub fn artifact_limit(self, limit: usize) -> Self {
        *self.versions.limit.lock().unwrap() = Some(limit);
        self
    }

    /// CreateProvisioningArtifact refuses with this code.
    pub fn refusing_new_versions(self, code: &str) -> Self {
        *self.versions.refuse_create.lock().unwrap() =
            Some(failure(FailureKind::Permanent, "CreateProvisioningArtifact", code));
        self
    }

    /// `ARTIFACT_INDEX_TABLE` set: fingerprints are kept in the world's store, which outlives every handler.
    pub fn with_store(mut self) -> Self {
        self.stored = true;
        self
    }

    pub fn provisioned_product(self, product: ProvisionedProduct) -> Self {
        self.provisioned.products.lock().unwrap().push(product);
        self
    }

    /// The statuses DescribeRecord walks through; the last one repeats.
    pub fn record_statuses(self, statuses: &[&str]) -> Self {
        *self.importer.statuses.lock().unwrap() = statuses.iter().map(|status| status.to_string()).collect();
        self
    }

    pub fn record_error(self, code: &str, description: &str) -> Self {
        self.importer.errors.lock().unwrap().push(RecordError { code: code.into(), description: description.into() });
        self
    }

    /// The next DescribeStacks fails so.
    pub fn failing_describe(self, kind: FailureKind, code: &str) -> Self {
        self.stacks.failures.lock().unwrap().push_back(failure(kind, "DescribeStacks", code));
        self
    }

    /// Every DescribeStacks takes this long.
    pub fn slow_describe(self, latency: Duration) -> Self {
        *self.stacks.latency.lock().unwrap() = latency;
        self
    }

    /// The template URL of every artifact is refused as not allowed (TEMPLATE_URL_ALLOW).
    pub fn refusing_template_urls(self) -> Self {
        for answer in self.templates.urls.lock().unwrap().values_mut() {
            *answer =
                Err(FetchError::refused("template URL https://templates.example is not allowed by TEMPLATE_URL_ALLOW"));
        }
        self
    }

    /// The next SearchProvisionedProducts fails so.
    pub fn failing_search(self, kind: FailureKind, code: &str) -> Self {
        self.provisioned.failures.lock().unwrap().push_back(failure(kind, "SearchProvisionedProducts", code));
        self
    }

    /// The next ImportAsProvisionedProduct is refused so.
    pub fn refusing_import(self, refusal: ImportError) -> Self {
        self.importer.refusals.lock().unwrap().push_back(refusal);
        self
    }

    /// Every publish fails (after the fake has recorded the outcome).
    pub fn unpublishable(self) -> Self {
        *self.publisher.fails.lock().unwrap() = true;
        self
    }

    pub fn rules(mut self, json: &str) -> Self {
        self.rules = json.into();
        self
    }

    /// The `DRY_RUN` setting.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// `IMPORT_QUEUE_URL` set: events and sweep work items go to the import queue.
    pub fn with_queue(mut self) -> Self {
        self.queued = true;
        self
    }

    /// The import queue refuses every message.
    pub fn queue_refuses(self) -> Self {
        *self.queue.fails.lock().unwrap() = true;
        self
    }

    /// The function is an organization hub over these accounts (MEMBER_ROLE_NAME set).
    pub fn hub_of(mut self, accounts: &[&str]) -> Self {
        self.organization = Some(accounts.iter().map(|account| account.to_string()).collect());
        self
    }

    /// Nothing in `region` can be reached.
    pub fn unreachable_region(mut self, region: &str) -> Self {
        self.unreachable_region = Some(region.into());
        self
    }

    // -- acting ---------------------------------------------------------------------------------------------------

    /// The function as `main` wires it, over this world's fakes.
    pub fn handler(&self) -> FakeHandler {
        let accounts = FakeAccounts {
            ports: AccountPorts {
                stacks: self.stacks.clone(),
                provisioned: self.provisioned.clone(),
                versions: self.versions.clone(),
                importer: self.importer.clone(),
            },
            opened: Arc::clone(&self.opened),
            refusal: None,
            unreachable_region: self.unreachable_region.clone(),
            organization: self
                .organization
                .as_ref()
                .map(|accounts| accounts.iter().map(|account| AccountId::parse(account).unwrap()).collect()),
        };
        let settings = Settings {
            tag_prefix: "sc-import:".into(),
            rules: RoutingRule::parse_all(&self.rules).unwrap(),
            dry_run: self.dry_run,
            poll: PollSchedule::default(),
            publish_reserve: Duration::from_secs(8),
            discovery: self.discovery,
            new_version_on_mismatch: self.new_versions,
        };
        Handler {
            pipeline: Pipeline {
                accounts,
                templates: self.templates.clone(),
                settings,
                known: KnownArtifacts::new(self.stored.then(|| self.store.clone())),
                discovery: Default::default(),
            },
            publisher: self.publisher.clone(),
            queue: self.queued.then(|| self.queue.clone()),
            default_budget: Duration::from_secs(60),
            function_name: "sc-stack-importer-test".into(),
        }
    }

    /// The handler's result for `payload` with `seconds` left before the deadline.
    pub async fn handle(&self, payload: Value, seconds: u64) -> Result<Value, HandlerError> {
        self.handler().handle(invocation(payload, seconds)).await
    }

    /// The function's answer to `payload` with five minutes left; the invocation must not fail.
    pub async fn answer(&self, payload: Value) -> Value {
        self.handle(payload, 300).await.unwrap_or_else(|error| panic!("the invocation failed: {error}"))
    }

    // -- observing ------------------------------------------------------------------------------------------------

    pub fn calls(&self) -> Vec<String> {
        self.calls.all()
    }

    /// How many calls of this operation (a prefix of `<Operation> <argument>`) were made.
    pub fn count(&self, operation: &str) -> usize {
        self.calls().iter().filter(|call| call.starts_with(operation)).count()
    }

    pub fn published(&self) -> Vec<Value> {
        self.publisher.published.lock().unwrap().iter().map(Outcome::to_json).collect()
    }

    pub fn orders(&self) -> Vec<ImportOrder> {
        self.importer.orders.lock().unwrap().clone()
    }

    /// The accounts and regions whose ports the pipeline opened, in order.
    pub fn opened(&self) -> Vec<Scope> {
        self.opened.lock().unwrap().clone()
    }
}

/// An invocation as the runtime delivers it, with `seconds` left before the deadline.
pub fn invocation(payload: Value, seconds: u64) -> LambdaEvent<Value> {
    let mut context = Context::default();
    context.request_id = "req-7f3e".into();
    context.invoked_function_arn = "arn:aws:lambda:us-east-1:111122223333:function:sc-stack-importer".into();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    context.deadline = now + seconds * 1000;
    LambdaEvent::new(payload, context)
}
