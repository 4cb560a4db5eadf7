//! The capabilities the importer needs from the outside world, as traits. Adapters in `crate::aws` implement them;
//! tests implement them in memory. No SDK type crosses these signatures.

use std::future::Future;

use crate::outcome::Outcome;
use crate::stack::{Stack, StackArn, StackRef};

/// How a call to an AWS service failed, in the terms the importer reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceErrorKind {
    /// The named resource does not exist (ResourceNotFoundException, CloudFormation's "does not exist").
    NotFound,
    AccessDenied,
    /// Still throttled after the SDK's own retries.
    Throttled,
    /// 5xx, timeouts, connection failures: worth another attempt later.
    Transient,
    DuplicateResource,
    InvalidState,
    InvalidParameters,
    /// Anything else: a client-side error that another attempt will not fix.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ServiceError {
    pub kind: ServiceErrorKind,
    /// The service's error code (e.g. `ThrottlingException`), or a description of the transport failure.
    pub code: String,
    pub message: String,
}

impl ServiceError {
    pub fn new(kind: ServiceErrorKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { kind, code: code.into(), message: message.into() }
    }

    /// Whether the same call may succeed later without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, ServiceErrorKind::Throttled | ServiceErrorKind::Transient)
    }
}

/// Reads CloudFormation stacks.
pub trait StackReader {
    /// The stack's current state; `Ok(None)` when CloudFormation does not know the stack.
    fn describe_stack(&self, stack: &StackRef) -> impl Future<Output = Result<Option<Stack>, ServiceError>> + Send;

    /// The template the stack was created or last updated with, before transforms (`TemplateStage::Original`).
    fn original_template(&self, stack: &StackArn) -> impl Future<Output = Result<String, ServiceError>> + Send;
}

/// A provisioning artifact (product version) as `ListProvisioningArtifacts` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactSummary {
    pub id: String,
    pub active: bool,
    /// Epoch seconds; newer artifacts are tried first.
    pub created: i64,
}

/// A provisioning artifact as `DescribeProvisioningArtifact` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactDetail {
    pub id: String,
    pub active: bool,
    /// `Info.TemplateUrl`: where the artifact's template can be read.
    pub template_url: Option<String>,
}

/// A provisioned product found by `SearchProvisionedProducts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedProductSummary {
    pub id: String,
    pub name: String,
    pub physical_id: Option<String>,
}

/// What `SearchProvisionedProducts` is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvisionedProductQuery {
    /// The provisioned product whose CloudFormation stack is this ARN.
    PhysicalId(String),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportInput {
    pub product_id: String,
    pub provisioning_artifact_id: String,
    pub provisioned_product_name: String,
    pub physical_id: String,
    pub idempotency_token: String,
}

/// A Service Catalog record: the import request's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSnapshot {
    pub record_id: String,
    /// CREATED | IN_PROGRESS | IN_PROGRESS_IN_ERROR | SUCCEEDED | FAILED
    pub status: String,
    pub provisioned_product_id: Option<String>,
    pub errors: Vec<(String, String)>,
}

impl RecordSnapshot {
    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), "SUCCEEDED" | "FAILED")
    }
}

/// The Service Catalog operations the importer uses.
pub trait Catalog {
    fn search_provisioned_products(
        &self,
        query: &ProvisionedProductQuery,
    ) -> impl Future<Output = Result<Vec<ProvisionedProductSummary>, ServiceError>> + Send;

    fn list_artifacts(
        &self,
        product_id: &str,
    ) -> impl Future<Output = Result<Vec<ArtifactSummary>, ServiceError>> + Send;

    fn describe_artifact(
        &self,
        product_id: &str,
        artifact_id: &str,
    ) -> impl Future<Output = Result<ArtifactDetail, ServiceError>> + Send;

    fn import(&self, input: &ImportInput) -> impl Future<Output = Result<RecordSnapshot, ServiceError>> + Send;

    fn describe_record(&self, record_id: &str) -> impl Future<Output = Result<RecordSnapshot, ServiceError>> + Send;
}

/// Why an artifact template could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub message: String,
    pub retryable: bool,
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

/// Delivers an outcome to its subscribers.
pub trait OutcomePublisher {
    fn publish(&self, outcome: &Outcome) -> impl Future<Output = Result<(), PublishError>> + Send;
}

/// No destination configured: nothing to deliver, nothing to fail.
impl<P: OutcomePublisher + Sync> OutcomePublisher for Option<P> {
    async fn publish(&self, outcome: &Outcome) -> Result<(), PublishError> {
        match self {
            Some(publisher) => publisher.publish(outcome).await,
            None => Ok(()),
        }
    }
}

/// Both destinations get every outcome; the first failure is reported after both were tried.
impl<A: OutcomePublisher + Sync, B: OutcomePublisher + Sync> OutcomePublisher for (A, B) {
    async fn publish(&self, outcome: &Outcome) -> Result<(), PublishError> {
        let (first, second) = tokio::join!(self.0.publish(outcome), self.1.publish(outcome));
        first.and(second)
    }
}

/// Shared adapters: an importer may borrow its ports (tests inspect the same fakes afterwards).
impl<T: StackReader + Sync> StackReader for &T {
    fn describe_stack(&self, stack: &StackRef) -> impl Future<Output = Result<Option<Stack>, ServiceError>> + Send {
        (**self).describe_stack(stack)
    }

    fn original_template(&self, stack: &StackArn) -> impl Future<Output = Result<String, ServiceError>> + Send {
        (**self).original_template(stack)
    }
}

impl<T: Catalog + Sync> Catalog for &T {
    fn search_provisioned_products(
        &self,
        query: &ProvisionedProductQuery,
    ) -> impl Future<Output = Result<Vec<ProvisionedProductSummary>, ServiceError>> + Send {
        (**self).search_provisioned_products(query)
    }

    fn list_artifacts(
        &self,
        product_id: &str,
    ) -> impl Future<Output = Result<Vec<ArtifactSummary>, ServiceError>> + Send {
        (**self).list_artifacts(product_id)
    }

    fn describe_artifact(
        &self,
        product_id: &str,
        artifact_id: &str,
    ) -> impl Future<Output = Result<ArtifactDetail, ServiceError>> + Send {
        (**self).describe_artifact(product_id, artifact_id)
    }

    fn import(&self, input: &ImportInput) -> impl Future<Output = Result<RecordSnapshot, ServiceError>> + Send {
        (**self).import(input)
    }

    fn describe_record(&self, record_id: &str) -> impl Future<Output = Result<RecordSnapshot, ServiceError>> + Send {
        (**self).describe_record(record_id)
    }
}

impl<T: TemplateFetcher + Sync> TemplateFetcher for &T {
    fn fetch(&self, url: &str) -> impl Future<Output = Result<String, FetchError>> + Send {
        (**self).fetch(url)
    }
}

impl<T: OutcomePublisher + Sync> OutcomePublisher for &T {
    fn publish(&self, outcome: &Outcome) -> impl Future<Output = Result<(), PublishError>> + Send {
        (**self).publish(outcome)
    }
}
