//! The capabilities the pipeline needs from the outside world, as traits named for what they do, and the seam that
//! opens them for one account and region. Adapters in `crate::aws` implement them and classify their service's
//! errors into the enums here, by how the pipeline reacts; tests implement them in memory. No SDK type, and no
//! service's exception name or message, crosses these signatures.

use std::fmt;
use std::future::Future;

use cfn_template::Fingerprint;

pub use crate::failure::{FailureKind, ServiceFailure};
use crate::ids::{AccountId, ArtifactId, ProductId, ProvisionedProductId, ProvisionedProductName, RecordId, Scope};
use crate::outcome::Outcome;
use crate::record::Record;
use crate::stack::{Stack, StackArn, StackRef};
use crate::sweep::summary::SweepSummary;

/// Reads CloudFormation stacks.
pub trait StackReader {
    /// The stack's current state; `Ok(None)` when CloudFormation does not know the stack.
    fn describe(&self, stack: &StackRef) -> impl Future<Output = Result<Option<Stack>, ServiceFailure>> + Send;

    /// The template the stack was created or last updated with, before transforms.
    fn original_template(&self, stack: &StackArn) -> impl Future<Output = Result<String, ServiceFailure>> + Send;

    /// Every stack of the account and region, tags included, in as few calls as the service allows (a sweep reads
    /// thousands this way instead of one call per stack). Deleted stacks never appear.
    fn list(&self) -> impl Future<Output = Result<Vec<Stack>, ServiceFailure>> + Send;
}

/// A provisioned product: what Service Catalog manages, here found by its stack or its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedProduct {
    pub id: ProvisionedProductId,
    pub name: String,
    /// The CloudFormation stack ARN behind it.
    pub physical_id: Option<String>,
    /// `AVAILABLE`, `UNDER_CHANGE`, `TAINTED`, `ERROR` or `PLAN_IN_PROGRESS`, as Service Catalog reports it.
    pub status: Option<String>,
    /// The record of its last request (for an imported product, the import).
    pub last_record_id: Option<RecordId>,
}

/// Finds provisioned products. Matches are exact: a full-text search's near misses never come back.
pub trait ProvisionedProducts {
    /// The provisioned product whose CloudFormation stack is this one.
    fn by_stack(
        &self,
        stack: &StackArn,
    ) -> impl Future<Output = Result<Option<ProvisionedProduct>, ServiceFailure>> + Send;

    /// The provisioned product that has this name.
    fn by_name(
        &self,
        name: &ProvisionedProductName,
    ) -> impl Future<Output = Result<Option<ProvisionedProduct>, ServiceFailure>> + Send;

    /// Every provisioned product of the account and region: a sweep loads them once instead of searching per stack.
    fn all(&self) -> impl Future<Output = Result<Vec<ProvisionedProduct>, ServiceFailure>> + Send;
}

/// One version (provisioning artifact) of a product, as a product's list of versions shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductVersion {
    pub id: ArtifactId,
    pub active: bool,
    /// Epoch seconds; newer versions are tried first.
    pub created: i64,
    pub name: String,
    pub description: String,
}

/// Whether a version can be used yet: one made from a stack is `Creating` for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionStatus {
    Available,
    Creating,
    Failed,
}

/// One version in detail: whether it may be imported as, and where its template can be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionDetail {
    pub id: ArtifactId,
    pub active: bool,
    /// `Info.TemplateUrl`.
    pub template_url: Option<String>,
    pub status: VersionStatus,
}

/// A product the function's role can launch (SearchProducts), which discovery matches stacks against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchableProduct {
    pub id: ProductId,
    pub name: String,
}

/// A version to make from a stack (`CreateProvisioningArtifact` with `Info.ImportFromPhysicalId`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVersion {
    pub product: ProductId,
    pub name: String,
    pub description: String,
    pub stack: StackArn,
    /// The same for every attempt at the same version: a retry never makes two.
    pub token: IdempotencyToken,
}

/// Why Service Catalog made no version, by how the pipeline reacts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateVersionError {
    /// The product holds as many versions as its quota allows (LimitExceededException).
    #[error("{0}")]
    Limit(ServiceFailure),
    /// The product is not one this account may add versions to — missing, or shared from another account
    /// (ResourceNotFoundException, InvalidParametersException).
    #[error("{0}")]
    Refused(ServiceFailure),
    #[error(transparent)]
    Failed(ServiceFailure),
}

/// Which resource a "not found" is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Product,
    Artifact,
    Stack,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Missing::Product => "product",
            Missing::Artifact => "artifact",
            Missing::Stack => "stack",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionsError {
    /// The product (or, for one version, the artifact) does not exist or is not shared with the caller.
    #[error("the {0} does not exist")]
    NotFound(Missing),
    #[error(transparent)]
    Failed(ServiceFailure),
}

/// A catalog's products and their versions: reads a product's versions, lists the products the role can launch, and
/// makes a version from a stack.
pub trait ProductVersions {
    fn list(&self, product: &ProductId) -> impl Future<Output = Result<Vec<ProductVersion>, VersionsError>> + Send;

    fn get(
        &self,
        product: &ProductId,
        artifact: &ArtifactId,
    ) -> impl Future<Output = Result<VersionDetail, VersionsError>> + Send;

    /// Every product the caller can launch, every page.
    fn launchable(&self) -> impl Future<Output = Result<Vec<LaunchableProduct>, ServiceFailure>> + Send;

    /// Makes a version of the product from the stack's template; it may still be `Creating` when this answers.
    fn create(&self, version: &NewVersion) -> impl Future<Output = Result<VersionDetail, CreateVersionError>> + Send;
}

/// Keeps artifact fingerprints across cold starts (docs/CONTRACT.md §9: an artifact's template never changes, so
/// what is learnt about it is never fetched twice). Losing it costs template downloads, never a wrong decision.
pub trait FingerprintStore {
    /// The stored fingerprints of whichever of `artifacts` the store knows.
    fn recall(
        &self,
        artifacts: &[ArtifactId],
    ) -> impl Future<Output = Result<Vec<(ArtifactId, Fingerprint)>, ServiceFailure>> + Send;

    fn remember(&self, learnt: &[(ArtifactId, Fingerprint)])
    -> impl Future<Output = Result<(), ServiceFailure>> + Send;
}

/// No store configured: nothing is recalled, and remembering is kept to memory.
impl<S: FingerprintStore + Sync> FingerprintStore for Option<S> {
    async fn recall(&self, artifacts: &[ArtifactId]) -> Result<Vec<(ArtifactId, Fingerprint)>, ServiceFailure> {
        match self {
            Some(store) => store.recall(artifacts).await,
            None => Ok(Vec::new()),
        }
    }

    async fn remember(&self, learnt: &[(ArtifactId, Fingerprint)]) -> Result<(), ServiceFailure> {
        match self {
            Some(store) => store.remember(learnt).await,
            None => Ok(()),
        }
    }
}

/// An `IdempotencyToken`: the same for every attempt at the same import (see `import::idempotency_token`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyToken(pub String);

/// One import request: this stack as this product version under this name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOrder {
    pub product: ProductId,
    pub artifact: ArtifactId,
    pub name: ProvisionedProductName,
    pub stack: StackArn,
    pub token: IdempotencyToken,
}

/// Why Service Catalog refused an import, by how the pipeline reacts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The provisioned product name is taken (DuplicateResourceException).
    #[error("{0}")]
    NameTaken(ServiceFailure),
    /// Another request for the stack or product is running (InvalidStateException): later may work.
    #[error("{0}")]
    Busy(ServiceFailure),
    /// The request itself is wrong (InvalidParametersException).
    #[error("{0}")]
    InvalidParameters(ServiceFailure),
    #[error("{1}")]
    NotFound(Missing, ServiceFailure),
    #[error(transparent)]
    Failed(ServiceFailure),
}

/// Imports stacks and follows the records of those imports.
pub trait Importer {
    fn import(&self, order: &ImportOrder) -> impl Future<Output = Result<Record, ImportError>> + Send;

    fn record(&self, id: &RecordId) -> impl Future<Output = Result<Record, ServiceFailure>> + Send;
}

/// Why an artifact template could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub message: String,
    pub retryable: bool,
    /// The URL is not one `TEMPLATE_URL_ALLOW` allows, so it was never requested.
    pub refused: bool,
}

impl FetchError {
    pub fn failed(message: impl Into<String>, retryable: bool) -> Self {
        Self { message: message.into(), retryable, refused: false }
    }

    pub fn refused(message: impl Into<String>) -> Self {
        Self { message: message.into(), retryable: false, refused: true }
    }
}

/// Reads an artifact's template from the URL Service Catalog gives for it.
pub trait TemplateFetcher {
    fn fetch(&self, url: &str) -> impl Future<Output = Result<String, FetchError>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("publishing to {destination} failed: {message}")]
pub struct PublishError {
    pub destination: String,
    pub message: String,
}

/// Delivers outcomes, and a sweep's summary, to their subscribers.
pub trait OutcomePublisher {
    fn publish(&self, outcome: &Outcome) -> impl Future<Output = Result<(), PublishError>> + Send;

    fn publish_summary(&self, summary: &SweepSummary) -> impl Future<Output = Result<(), PublishError>> + Send;
}

/// No destination configured: nothing to deliver, nothing to fail.
impl<P: OutcomePublisher + Sync> OutcomePublisher for Option<P> {
    async fn publish(&self, outcome: &Outcome) -> Result<(), PublishError> {
        match self {
            Some(publisher) => publisher.publish(outcome).await,
            None => Ok(()),
        }
    }

    async fn publish_summary(&self, summary: &SweepSummary) -> Result<(), PublishError> {
        match self {
            Some(publisher) => publisher.publish_summary(summary).await,
            None => Ok(()),
        }
    }
}

/// Both destinations get everything; the first failure is reported after both were tried.
impl<A: OutcomePublisher + Sync, B: OutcomePublisher + Sync> OutcomePublisher for (A, B) {
    async fn publish(&self, outcome: &Outcome) -> Result<(), PublishError> {
        let (first, second) = tokio::join!(self.0.publish(outcome), self.1.publish(outcome));
        first.and(second)
    }

    async fn publish_summary(&self, summary: &SweepSummary) -> Result<(), PublishError> {
        let (first, second) = tokio::join!(self.0.publish_summary(summary), self.1.publish_summary(summary));
        first.and(second)
    }
}

/// One message for the import queue (docs/CONTRACT.md §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMessage {
    /// `MessageGroupId`: the queue runs one group's messages one at a time, in order.
    pub group: String,
    /// `MessageDeduplicationId`: the queue drops a second message with the same id for five minutes.
    pub deduplication_id: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the import queue did not take {refused} of {sent} messages: {message}")]
pub struct QueueError {
    pub sent: usize,
    pub refused: usize,
    pub message: String,
}

/// The import queue: work items wait here, serialized per account and region, until the function takes them.
pub trait ImportQueue {
    /// Sends every message, or fails. Messages sent before a failure stay sent; their deduplication ids make a
    /// resend of the same messages harmless.
    fn send(&self, messages: &[QueueMessage]) -> impl Future<Output = Result<(), QueueError>> + Send;
}

/// The ports of one account and region.
#[derive(Debug, Clone)]
pub struct AccountPorts<S, P, V, I> {
    pub stacks: S,
    pub provisioned: P,
    pub versions: V,
    pub importer: I,
}

/// What a seam without the organization hub answers when asked for the organization's accounts.
pub fn no_organization() -> ServiceFailure {
    ServiceFailure::new(
        FailureKind::Permanent,
        "ListAccounts",
        "HubNotConfigured",
        "listing the organization's accounts needs the organization hub (MEMBER_ROLE_NAME, docs/CONTRACT.md §8), \
         which is not configured",
    )
}

/// The per-account seam: opens the ports for the account and region a stack lives in.
pub trait Accounts {
    type Stacks: StackReader + Send + Sync;
    type Provisioned: ProvisionedProducts + Send + Sync;
    type Versions: ProductVersions + Send + Sync;
    type Importer: Importer + Send + Sync;

    /// Whether this seam can open ports in `account` (`home` is the function's own). Listing another account's
    /// stacks with the function's own credentials would list its own, so a sweep asks before it lists.
    fn reaches(&self, account: &AccountId, home: &AccountId) -> bool {
        account == home
    }

    /// The organization's active accounts (a sweep's `accounts: ["*"]`); an error where the seam has no
    /// organization to list.
    fn organization(&self) -> impl Future<Output = Result<Vec<AccountId>, ServiceFailure>> + Send {
        async { Err(no_organization()) }
    }

    /// The ports for `scope`; an error when its credentials cannot be had (the outcome names why).
    #[allow(clippy::type_complexity)]
    fn open(
        &self,
        scope: &Scope,
    ) -> impl Future<
        Output = Result<AccountPorts<Self::Stacks, Self::Provisioned, Self::Versions, Self::Importer>, ServiceFailure>,
    > + Send;
}
