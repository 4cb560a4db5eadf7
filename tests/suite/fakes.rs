//! Small in-memory fakes, one per port, that behave like the services do and log every call. `World` arranges them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use sc_stack_importer::ids::{
    AccountId, ArtifactId, ProductId, ProvisionedProductId, ProvisionedProductName, RecordId, Scope,
};
use sc_stack_importer::outcome::Outcome;
use sc_stack_importer::ports::*;
use sc_stack_importer::record::{Record, RecordError, RecordRequest, RecordStatus};
use sc_stack_importer::stack::{Stack, StackArn, StackRef, StackStatus};
use sc_stack_importer::sweep::SweepSummary;

pub const ARN: &str =
    "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a4c20-5ad5-11ef-a1b2-0a1b2c3d4e5f";
pub const PRODUCT: &str = "prod-abcdefghijklm";
pub const ARTIFACT: &str = "pa-abcdefghijklm";
pub const TEMPLATE_JSON: &str = r#"{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"Queue":{"Type":"AWS::SQS::Queue","Properties":{"QueueName":{"Fn::Sub":"${AWS::StackName}-q"}}}}}"#;
pub const TEMPLATE_YAML: &str = "AWSTemplateFormatVersion: 2010-09-09\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub '${AWS::StackName}-q'\n";
pub const OTHER_TEMPLATE: &str =
    r#"{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}}"#;

pub fn event_file(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// When the fakes' stacks were last changed (epoch seconds); their imports are recorded after it.
pub const CREATED_AT: i64 = 1_795_891_400;

pub fn stack(arn: &str, status: &str, tags: &[(&str, &str)]) -> Stack {
    Stack {
        arn: StackArn::parse(arn).unwrap(),
        status: StackStatus::new(status),
        parent_id: None,
        changed_at: "1795891400.000000000".into(),
        tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

pub fn routed_tags() -> Vec<(&'static str, &'static str)> {
    vec![("sc-import:product-id", PRODUCT), ("sc-import:provisioning-artifact-id", ARTIFACT)]
}

pub fn provisioned_product(id: &str, name: &str, physical_id: &str) -> ProvisionedProduct {
    ProvisionedProduct {
        id: ProvisionedProductId::parse(id).unwrap(),
        name: name.into(),
        physical_id: Some(physical_id.into()),
        status: Some("AVAILABLE".into()),
        last_record_id: None,
    }
}

/// A failure as an adapter reports it, for `operation`.
pub fn failure(kind: FailureKind, operation: &'static str, code: &str) -> ServiceFailure {
    ServiceFailure::new(kind, operation, code, format!("{code} from the fake"))
}

/// Every call any fake answered, in order, as `<Operation> <argument>`.
#[derive(Clone, Default)]
pub struct Calls(Arc<Mutex<Vec<String>>>);

impl Calls {
    fn log(&self, call: String) {
        self.0.lock().unwrap().push(call);
    }

    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

fn next<T>(queue: &Mutex<VecDeque<T>>) -> Option<T> {
    queue.lock().unwrap().pop_front()
}

#[derive(Clone, Default)]
pub struct FakeStacks {
    pub(crate) calls: Calls,
    pub(crate) stacks: Arc<Mutex<HashMap<String, (Stack, String)>>>,
    pub(crate) failures: Arc<Mutex<VecDeque<ServiceFailure>>>,
    /// How long DescribeStacks takes to answer.
    pub(crate) latency: Arc<Mutex<Duration>>,
    /// The account and region these ports were opened for: a listing shows only its stacks, as CloudFormation's does.
    pub(crate) scope: Option<(String, String)>,
}

impl StackReader for FakeStacks {
    async fn describe(&self, stack: &StackRef) -> Result<Option<Stack>, ServiceFailure> {
        self.calls.log(format!("DescribeStacks {}", stack.as_str()));
        let latency = *self.latency.lock().unwrap();
        tokio::time::sleep(latency).await;
        if let Some(failure) = next(&self.failures) {
            return Err(failure);
        }
        let stacks = self.stacks.lock().unwrap();
        Ok(match stack {
            StackRef::Arn(arn) => stacks.get(arn.as_str()).map(|(stack, _)| stack.clone()),
            StackRef::Name(name) => stacks.values().find(|(s, _)| s.name() == name).map(|(stack, _)| stack.clone()),
            StackRef::NameIn { name, account, region } => stacks
                .values()
                .find(|(s, _)| s.name() == name && s.arn.account() == account && s.arn.region() == region)
                .map(|(stack, _)| stack.clone()),
        })
    }

    async fn original_template(&self, stack: &StackArn) -> Result<String, ServiceFailure> {
        self.calls.log(format!("GetTemplate {stack}"));
        let stacks = self.stacks.lock().unwrap();
        stacks
            .get(stack.as_str())
            .map(|(_, template)| template.clone())
            .ok_or_else(|| failure(FailureKind::Permanent, "GetTemplate", "ValidationError"))
    }

    async fn list(&self) -> Result<Vec<Stack>, ServiceFailure> {
        self.calls.log("DescribeStacks (all)".into());
        if let Some(failure) = next(&self.failures) {
            return Err(failure);
        }
        let here = |stack: &Stack| {
            self.scope.as_ref().is_none_or(|(account, region)| {
                stack.arn.account().as_str() == account && stack.arn.region().as_str() == region
            })
        };
        Ok(self.stacks.lock().unwrap().values().map(|(stack, _)| stack.clone()).filter(|stack| here(stack)).collect())
    }
}

#[derive(Clone, Default)]
pub struct FakeProvisioned {
    pub(crate) calls: Calls,
    pub(crate) products: Arc<Mutex<Vec<ProvisionedProduct>>>,
    pub(crate) failures: Arc<Mutex<VecDeque<ServiceFailure>>>,
}

impl FakeProvisioned {
    /// Forgets every provisioned product, as a search index that has not caught up yet would.
    pub fn clear(&self) {
        self.products.lock().unwrap().clear();
    }

    /// Lists (or updates) the provisioned product that the import `order` makes, with its status and last record.
    fn hold(&self, order: &ImportOrder, record: &RecordId, status: &str) {
        let mut listed = self.products.lock().unwrap();
        listed.retain(|product| product.physical_id.as_deref() != Some(order.stack.as_str()));
        let mut product = provisioned_product("pp-1", order.name.as_str(), order.stack.as_str());
        product.status = Some(status.into());
        product.last_record_id = Some(record.clone());
        listed.push(product);
    }

    fn search(
        &self,
        call: String,
        exact: impl Fn(&ProvisionedProduct) -> bool,
    ) -> Result<Option<ProvisionedProduct>, ServiceFailure> {
        self.calls.log(call);
        if let Some(failure) = next(&self.failures) {
            return Err(failure);
        }
        Ok(self.products.lock().unwrap().iter().find(|product| exact(product)).cloned())
    }
}

impl ProvisionedProducts for FakeProvisioned {
    async fn by_stack(&self, stack: &StackArn) -> Result<Option<ProvisionedProduct>, ServiceFailure> {
        self.search(format!("SearchProvisionedProducts physicalId:{stack}"), |product| {
            product.physical_id.as_deref() == Some(stack.as_str())
        })
    }

    async fn by_name(&self, name: &ProvisionedProductName) -> Result<Option<ProvisionedProduct>, ServiceFailure> {
        self.search(format!("SearchProvisionedProducts name:{name}"), |product| product.name == name.as_str())
    }

    async fn all(&self) -> Result<Vec<ProvisionedProduct>, ServiceFailure> {
        self.calls.log("SearchProvisionedProducts (all)".into());
        if let Some(failure) = next(&self.failures) {
            return Err(failure);
        }
        Ok(self.products.lock().unwrap().clone())
    }
}

#[derive(Clone)]
pub(crate) struct FakeArtifact {
    pub(crate) id: ArtifactId,
    pub(crate) active: bool,
    pub(crate) created: i64,
    pub(crate) template_url: String,
    pub(crate) name: String,
    pub(crate) description: String,
    /// DescribeProvisioningArtifact answers `Creating` this many more times.
    pub(crate) creating_reads: usize,
}

#[derive(Clone, Default)]
pub struct FakeVersions {
    pub(crate) calls: Calls,
    pub(crate) products: Arc<Mutex<BTreeMap<String, Vec<FakeArtifact>>>>,
    /// Where a version made from a stack reads the stack's template, and where its template is then served.
    pub(crate) stacks: FakeStacks,
    pub(crate) templates: FakeTemplates,
    /// The artifact quota of every product.
    pub(crate) limit: Arc<Mutex<Option<usize>>>,
    /// How many DescribeProvisioningArtifact reads a version made from a stack stays `Creating`.
    pub(crate) creating_reads: Arc<Mutex<usize>>,
    /// CreateProvisioningArtifact refuses so (a product shared from another account).
    pub(crate) refuse_create: Arc<Mutex<Option<ServiceFailure>>>,
    /// Idempotency tokens seen, and the artifact each made.
    pub(crate) tokens: Arc<Mutex<HashMap<(String, String), ArtifactId>>>,
}

impl ProductVersions for FakeVersions {
    async fn list(&self, product: &ProductId) -> Result<Vec<ProductVersion>, VersionsError> {
        self.calls.log(format!("ListProvisioningArtifacts {product}"));
        let products = self.products.lock().unwrap();
        let artifacts = products.get(product.as_str()).ok_or(VersionsError::NotFound(Missing::Product))?;
        Ok(artifacts
            .iter()
            .map(|a| ProductVersion {
                id: a.id.clone(),
                active: a.active,
                created: a.created,
                name: a.name.clone(),
                description: a.description.clone(),
            })
            .collect())
    }

    async fn get(&self, product: &ProductId, artifact: &ArtifactId) -> Result<VersionDetail, VersionsError> {
        self.calls.log(format!("DescribeProvisioningArtifact {product} {artifact}"));
        let mut products = self.products.lock().unwrap();
        let artifacts = products.get_mut(product.as_str()).ok_or(VersionsError::NotFound(Missing::Product))?;
        let artifact =
            artifacts.iter_mut().find(|a| a.id == *artifact).ok_or(VersionsError::NotFound(Missing::Artifact))?;
        let status = if artifact.creating_reads > 0 {
            artifact.creating_reads -= 1;
            VersionStatus::Creating
        } else {
            VersionStatus::Available
        };
        Ok(FakeVersions::detail(artifact, status))
    }

    async fn launchable(&self) -> Result<Vec<LaunchableProduct>, ServiceFailure> {
        self.calls.log("SearchProducts".into());
        let products = self.products.lock().unwrap();
        Ok(products
            .keys()
            .map(|id| LaunchableProduct { id: ProductId::parse(id).unwrap(), name: format!("{id} name") })
            .collect())
    }

    async fn create(&self, version: &NewVersion) -> Result<VersionDetail, CreateVersionError> {
        self.calls
            .log(format!("CreateProvisioningArtifact {} {} from {}", version.product, version.name, version.stack));
        if let Some(refusal) = self.refuse_create.lock().unwrap().clone() {
            return Err(CreateVersionError::Refused(refusal));
        }
        let key = (version.product.to_string(), version.token.0.clone());
        let mut products = self.products.lock().unwrap();
        let artifacts = products.get_mut(version.product.as_str()).ok_or_else(|| {
            CreateVersionError::Refused(failure(
                FailureKind::Permanent,
                "CreateProvisioningArtifact",
                "ResourceNotFoundException",
            ))
        })?;
        if let Some(made) = self.tokens.lock().unwrap().get(&key) {
            let artifact = artifacts.iter().find(|a| a.id == *made).unwrap();
            return Ok(FakeVersions::detail(artifact, VersionStatus::Creating));
        }
        if self.limit.lock().unwrap().is_some_and(|limit| artifacts.len() >= limit) {
            return Err(CreateVersionError::Limit(failure(
                FailureKind::Permanent,
                "CreateProvisioningArtifact",
                "LimitExceededException",
            )));
        }
        let template = self.stacks.stacks.lock().unwrap().get(version.stack.as_str()).unwrap().1.clone();
        let id = ArtifactId::parse(&format!("pa-made{:08}", artifacts.len() + 1)).unwrap();
        let url = format!("https://templates.example/{}/{id}.json", version.product);
        self.templates.urls.lock().unwrap().insert(url.clone(), Ok(template));
        let created = artifacts.iter().map(|a| a.created).max().unwrap_or_default() + 1;
        let creating_reads = *self.creating_reads.lock().unwrap();
        artifacts.push(FakeArtifact {
            id: id.clone(),
            active: true,
            created,
            template_url: url,
            name: version.name.clone(),
            description: version.description.clone(),
            creating_reads,
        });
        self.tokens.lock().unwrap().insert(key, id);
        Ok(FakeVersions::detail(artifacts.last().unwrap(), VersionStatus::Creating))
    }
}

impl FakeVersions {
    fn detail(artifact: &FakeArtifact, status: VersionStatus) -> VersionDetail {
        VersionDetail {
            id: artifact.id.clone(),
            active: artifact.active,
            template_url: Some(artifact.template_url.clone()),
            status,
        }
    }
}

/// The artifact fingerprint store, shared by every handler a test makes: a new handler is a cold start.
#[derive(Clone, Default)]
pub struct FakeStore {
    pub(crate) calls: Calls,
    pub(crate) items: Arc<Mutex<HashMap<ArtifactId, cfn_template::Fingerprint>>>,
}

impl FingerprintStore for FakeStore {
    async fn recall(
        &self,
        artifacts: &[ArtifactId],
    ) -> Result<Vec<(ArtifactId, cfn_template::Fingerprint)>, ServiceFailure> {
        self.calls.log(format!("BatchGetItem {}", artifacts.len()));
        let items = self.items.lock().unwrap();
        Ok(artifacts.iter().filter_map(|a| items.get(a).map(|f| (a.clone(), f.clone()))).collect())
    }

    async fn remember(&self, learnt: &[(ArtifactId, cfn_template::Fingerprint)]) -> Result<(), ServiceFailure> {
        self.calls.log(format!("BatchWriteItem {}", learnt.len()));
        self.items.lock().unwrap().extend(learnt.iter().cloned());
        Ok(())
    }
}

#[derive(Clone, Default)]
pub struct FakeImporter {
    pub(crate) calls: Calls,
    pub(crate) orders: Arc<Mutex<Vec<ImportOrder>>>,
    pub(crate) refusals: Arc<Mutex<VecDeque<ImportError>>>,
    /// Statuses the record walks through; the last one repeats.
    pub(crate) statuses: Arc<Mutex<VecDeque<String>>>,
    pub(crate) errors: Arc<Mutex<Vec<RecordError>>>,
    pub(crate) records_by_token: Arc<Mutex<HashMap<IdempotencyToken, RecordId>>>,
    /// Where a succeeded import is listed, as Service Catalog lists it.
    pub(crate) provisioned: FakeProvisioned,
}

impl FakeImporter {
    fn next_status(&self) -> RecordStatus {
        let mut statuses = self.statuses.lock().unwrap();
        let status = if statuses.len() > 1 { statuses.pop_front() } else { statuses.front().cloned() };
        RecordStatus::parse(status.as_deref().unwrap_or("SUCCEEDED"))
    }

    fn record(&self, id: RecordId, status: RecordStatus) -> Record {
        let errors = if status == RecordStatus::Failed { self.errors.lock().unwrap().clone() } else { vec![] };
        let order = self.orders.lock().unwrap().last().cloned();
        Record {
            id,
            status,
            provisioned_product_id: Some(ProvisionedProductId::parse("pp-1").unwrap()),
            errors,
            request: RecordRequest {
                record_type: Some(RecordRequest::IMPORT.into()),
                product: order.as_ref().map(|order| order.product.clone()),
                artifact: order.as_ref().map(|order| order.artifact.clone()),
                name: order.as_ref().map(|order| order.name.clone()),
                created: Some(CREATED_AT + 10),
            },
        }
    }
}

impl Importer for FakeImporter {
    async fn import(&self, order: &ImportOrder) -> Result<Record, ImportError> {
        self.calls.log(format!("ImportAsProvisionedProduct {}", order.stack));
        self.orders.lock().unwrap().push(order.clone());
        if let Some(refusal) = next(&self.refusals) {
            return Err(refusal);
        }
        // The idempotency token: the same token answers with the first request's record.
        let mut tokens = self.records_by_token.lock().unwrap();
        let next_id = RecordId::parse(&format!("rec-{}", tokens.len() + 1)).unwrap();
        let id = tokens.entry(order.token.clone()).or_insert(next_id).clone();
        // Service Catalog lists the provisioned product as soon as the import is accepted, under change.
        self.provisioned.hold(order, &id, "UNDER_CHANGE");
        Ok(self.record(id, RecordStatus::Created))
    }

    async fn record(&self, id: &RecordId) -> Result<Record, ServiceFailure> {
        self.calls.log(format!("DescribeRecord {id}"));
        let status = self.next_status();
        let settled = match status {
            RecordStatus::Succeeded => Some("AVAILABLE"),
            // A failed import leaves its provisioned product in ERROR, holding the name and the stack.
            RecordStatus::Failed => Some("ERROR"),
            _ => None,
        };
        if let (Some(settled), Some(order)) = (settled, self.orders.lock().unwrap().last()) {
            self.provisioned.hold(order, id, settled);
        }
        Ok(self.record(id.clone(), status))
    }
}

#[derive(Clone, Default)]
pub struct FakeTemplates {
    pub(crate) calls: Calls,
    pub(crate) urls: Arc<Mutex<HashMap<String, Result<String, FetchError>>>>,
}

impl TemplateFetcher for FakeTemplates {
    async fn fetch(&self, url: &str) -> Result<String, FetchError> {
        self.calls.log(format!("GET {url}"));
        self.urls.lock().unwrap().get(url).cloned().unwrap_or(Err(FetchError::failed("404 Not Found", false)))
    }
}

#[derive(Clone, Default)]
pub struct FakePublisher {
    pub(crate) calls: Calls,
    pub(crate) published: Arc<Mutex<Vec<Outcome>>>,
    pub(crate) summaries: Arc<Mutex<Vec<SweepSummary>>>,
    pub(crate) fails: Arc<Mutex<bool>>,
}

impl OutcomePublisher for FakePublisher {
    async fn publish(&self, outcome: &Outcome) -> Result<(), PublishError> {
        self.calls.log(format!("Publish {}", outcome.reason().as_str()));
        self.published.lock().unwrap().push(outcome.clone());
        if *self.fails.lock().unwrap() {
            return Err(PublishError { destination: "fake topic".into(), message: "AuthorizationError".into() });
        }
        Ok(())
    }

    async fn publish_summary(&self, summary: &SweepSummary) -> Result<(), PublishError> {
        self.calls.log(format!("Publish {}", summary.subject()));
        self.summaries.lock().unwrap().push(summary.clone());
        Ok(())
    }
}

/// The import queue: keeps what was sent, drops a message whose deduplication id it already took (as a FIFO queue
/// does within five minutes), or refuses everything.
#[derive(Clone, Default)]
pub struct FakeQueue {
    pub(crate) calls: Calls,
    pub(crate) messages: Arc<Mutex<Vec<QueueMessage>>>,
    pub(crate) fails: Arc<Mutex<bool>>,
}

impl ImportQueue for FakeQueue {
    async fn send(&self, messages: &[QueueMessage]) -> Result<(), QueueError> {
        self.calls.log(format!("SendMessageBatch {}", messages.len()));
        if *self.fails.lock().unwrap() {
            return Err(QueueError { sent: messages.len(), refused: messages.len(), message: "AccessDenied".into() });
        }
        let mut kept = self.messages.lock().unwrap();
        for message in messages {
            if !kept.iter().any(|k| k.deduplication_id == message.deduplication_id) {
                kept.push(message.clone());
            }
        }
        Ok(())
    }
}

/// The per-account seam over the fakes: every scope opens the same fakes, and each scope opened is remembered.
#[derive(Clone)]
pub struct FakeAccounts {
    pub ports: AccountPorts<FakeStacks, FakeProvisioned, FakeVersions, FakeImporter>,
    pub opened: Arc<Mutex<Vec<Scope>>>,
    /// When set, no scope can be opened: its credentials are refused so.
    pub refusal: Option<ServiceFailure>,
    /// Scopes in this region cannot be opened (an unreachable region).
    pub unreachable_region: Option<String>,
    /// The organization's accounts, when the seam is a hub's (it then reaches every account).
    pub organization: Option<Vec<AccountId>>,
}

impl Accounts for FakeAccounts {
    type Stacks = FakeStacks;
    type Provisioned = FakeProvisioned;
    type Versions = FakeVersions;
    type Importer = FakeImporter;

    fn reaches(&self, account: &AccountId, home: &AccountId) -> bool {
        self.organization.is_some() || account == home
    }

    async fn organization(&self) -> Result<Vec<AccountId>, ServiceFailure> {
        self.ports.stacks.calls.log("ListAccounts".into());
        self.organization.clone().ok_or_else(|| failure(FailureKind::Permanent, "ListAccounts", "HubNotConfigured"))
    }

    async fn open(
        &self,
        scope: &Scope,
    ) -> Result<AccountPorts<FakeStacks, FakeProvisioned, FakeVersions, FakeImporter>, ServiceFailure> {
        self.opened.lock().unwrap().push(scope.clone());
        if let (Scope::Stack { region, .. }, Some(unreachable)) = (scope, &self.unreachable_region)
            && region.as_str() == unreachable
        {
            return Err(failure(FailureKind::Transient, "DescribeStacks", "RequestTimeout"));
        }
        let mut ports = self.ports.clone();
        if let Scope::Stack { account, region } = scope {
            ports.stacks.scope = Some((account.to_string(), region.to_string()));
        }
        match &self.refusal {
            Some(refusal) => Err(refusal.clone()),
            None => Ok(ports),
        }
    }
}
