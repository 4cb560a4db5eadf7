//! The catalog's state types: the `Catalog` and what it holds (products with their provisioning artifacts,
//! provisioned products, records), and the values the operations pass in and get back. The lowest catalog module:
//! it imports no other catalog module.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::error::ServiceError;
use crate::params::{IdempotencyToken, Identifier, ProvisionedProductName, StackArn};

pub const TEMPLATE_ARTIFACT_TYPE: &str = "CLOUD_FORMATION_TEMPLATE";
pub const PROVISIONED_PRODUCT_TYPE: &str = "CFN_STACK";
pub const IMPORT_RECORD_TYPE: &str = "IMPORT_PROVISIONED_PRODUCT";

/// The default quota of provisioning artifacts per product, as Service Catalog's quotas page gives it.
pub const DEFAULT_ARTIFACT_LIMIT: usize = 100;
/// How long an artifact made from a stack stays CREATING by default (the service's own time is undocumented).
pub const DEFAULT_VERSION_CREATING: Duration = Duration::from_millis(1000);

/// The stack statuses ImportAsProvisionedProduct accepts, as its API reference lists them.
pub const IMPORTABLE_STACK_STATUSES: [&str; 5] =
    ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"];

/// An account and a region: what one catalog belongs to. As in Service Catalog, what one account creates in one
/// region (products, artifacts, provisioned products, records, idempotency tokens) no other account or region sees.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Self { account: account.into(), region: region.into() }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.account, self.region)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guidance {
    Default,
    Deprecated,
}

impl Guidance {
    pub fn parse(value: &str) -> Result<Self, ServiceError> {
        match value {
            "DEFAULT" => Ok(Self::Default),
            "DEPRECATED" => Ok(Self::Deprecated),
            other => Err(ServiceError::invalid_parameters(format!("Guidance '{other}' must be DEFAULT or DEPRECATED"))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Default => "DEFAULT",
            Self::Deprecated => "DEPRECATED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Product {
    pub id: String,
    pub view_id: String,
    pub arn: String,
    pub name: String,
    pub owner: String,
    pub description: Option<String>,
    pub distributor: Option<String>,
    pub support_description: Option<String>,
    pub support_email: Option<String>,
    pub support_url: Option<String>,
    pub created: SystemTime,
    pub artifacts: Vec<Artifact>,
}

#[derive(Debug, Clone)]
pub struct Artifact {
    pub id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub source: TemplateSource,
    pub created: SystemTime,
    /// When it turns from CREATING to AVAILABLE: at once for a URL, `ArtifactRules::creating` later for a stack.
    pub available: SystemTime,
    pub active: bool,
    pub guidance: Guidance,
}

impl Artifact {
    /// CREATING until `available`, then AVAILABLE: worked out from the clock whenever it is read, like a record.
    pub fn status_at(&self, now: SystemTime) -> ArtifactStatus {
        if now < self.available { ArtifactStatus::Creating } else { ArtifactStatus::Available }
    }
}

/// The status DescribeProvisioningArtifact and CreateProvisioningArtifact answer (`FAILED` never happens here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactStatus {
    Creating,
    Available,
}

impl ArtifactStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Creating => "CREATING",
            Self::Available => "AVAILABLE",
        }
    }
}

/// Where a new artifact's template is to come from, as the request's `Info` names it: exactly one of the two keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateOrigin {
    /// `LoadTemplateFromURL`.
    Url(String),
    /// `ImportFromPhysicalId`: a CloudFormation stack, which must be of the catalog's account and region.
    Stack(StackArn),
}

impl fmt::Display for TemplateOrigin {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(url) => write!(formatter, "LoadTemplateFromURL {url}"),
            Self::Stack(stack) => write!(formatter, "ImportFromPhysicalId {}", stack.as_str()),
        }
    }
}

/// An artifact's template as the catalog keeps it.
#[derive(Debug, Clone)]
pub enum TemplateSource {
    /// Created from `LoadTemplateFromURL`: only the URL is kept, fetched when an import needs the content.
    Url(String),
    /// Created from `ImportFromPhysicalId`: the stack's original template as CloudFormation gave it at creation
    /// (a stack's template changes with each update, so the version keeps the one it was made from). The emulator
    /// serves it itself (`template_urls`). Shared, so that answers and import plans copy no template.
    Stack { stack: StackArn, body: Arc<str> },
}

impl TemplateSource {
    /// What a request named to get this template, for comparing a repeated idempotency token's request.
    pub fn origin(&self) -> TemplateOrigin {
        match self {
            Self::Url(url) => TemplateOrigin::Url(url.clone()),
            Self::Stack { stack, .. } => TemplateOrigin::Stack(stack.clone()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewProduct {
    pub name: String,
    pub owner: String,
    pub description: Option<String>,
    pub distributor: Option<String>,
    pub support_description: Option<String>,
    pub support_email: Option<String>,
    pub support_url: Option<String>,
    pub artifact: NewArtifact,
    pub idempotency_token: Option<String>,
}

/// The parameters of a new artifact (CreateProvisioningArtifact's `Parameters`, CreateProduct's
/// `ProvisioningArtifactParameters`), parsed; checked before a stack is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactRequest {
    pub name: Option<String>,
    pub description: Option<String>,
    pub origin: TemplateOrigin,
}

/// A new artifact with its template at hand (a stack's already read).
#[derive(Debug, Clone)]
pub struct NewArtifact {
    pub name: Option<String>,
    pub description: Option<String>,
    pub source: TemplateSource,
}

impl NewArtifact {
    /// The request this artifact answers, for the checks that ran before its stack was read.
    pub fn request(&self) -> ArtifactRequest {
        ArtifactRequest { name: self.name.clone(), description: self.description.clone(), origin: self.source.origin() }
    }
}

/// What CreateProvisioningArtifact does next, decided before CloudFormation is asked anything.
#[derive(Debug, Clone)]
pub enum ArtifactPlan {
    /// The idempotency token was seen before: answer with its artifact (as it is now), create nothing.
    Replay(Artifact),
    /// Every check passed: read the stack if the template comes from one, then create.
    Create,
}

#[derive(Debug, Clone, Default)]
pub struct ArtifactUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub active: Option<bool>,
    pub guidance: Option<Guidance>,
}

/// A product named by id (`ProductId`, `Id`) or by name (`ProductName`, `Name`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductRef {
    Id(String),
    Name(String),
}

/// An artifact named by `ProvisioningArtifactId` or `ProvisioningArtifactName`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactRef {
    Id(String),
    Name(String),
}

#[derive(Debug, Clone)]
pub struct ProvisionedProduct {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub physical_id: String,
    pub product_id: String,
    pub product_name: String,
    pub artifact_id: String,
    pub artifact_name: Option<String>,
    pub created: SystemTime,
    pub idempotency_token: String,
    pub last_record_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub code: String,
    pub description: String,
}

/// How a record ends once its steps have passed; decided when the import is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordEnding {
    Succeeded,
    Failed(Vec<RecordError>),
}

#[derive(Debug, Clone)]
pub struct Record {
    pub id: String,
    pub provisioned_product_id: String,
    pub provisioned_product_name: String,
    pub product_id: String,
    pub artifact_id: String,
    pub created: SystemTime,
    pub ending: RecordEnding,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStatus {
    Created,
    InProgress,
    Succeeded,
    Failed,
}

impl RecordStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "CREATED",
            Self::InProgress => "IN_PROGRESS",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// A record as it stands at one moment.
#[derive(Debug, Clone)]
pub struct RecordView {
    pub record: Record,
    pub status: RecordStatus,
    pub updated: SystemTime,
}

impl RecordView {
    /// The errors a reader sees: none until the record has failed.
    pub fn errors(&self) -> &[RecordError] {
        match (&self.record.ending, self.status) {
            (RecordEnding::Failed(errors), RecordStatus::Failed) => errors,
            _ => &[],
        }
    }
}

/// A provisioned product as SearchProvisionedProducts shows it at one moment.
#[derive(Debug, Clone)]
pub struct ProvisionedProductView {
    pub product: ProvisionedProduct,
    pub status: &'static str,
}

/// What CloudFormation said about the stack an import names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackFacts {
    pub stack_id: String,
    pub name: String,
    pub status: String,
    /// Set for a nested stack: the id of the stack that contains it.
    pub parent_id: Option<String>,
}

/// An ImportAsProvisionedProduct request whose parameters have been parsed.
#[derive(Debug, Clone)]
pub struct ImportRequest {
    pub product_id: Identifier,
    pub artifact_id: Identifier,
    pub name: ProvisionedProductName,
    pub physical_id: StackArn,
    pub idempotency_token: IdempotencyToken,
}

/// What an import needs next, decided before CloudFormation is asked anything.
#[derive(Debug, Clone)]
pub enum ImportPlan {
    /// The token was seen before: answer with that request's record, import nothing.
    Replay(RecordView),
    /// Read the stack, then compare its template with the artifact's (fetched from its URL, or kept).
    ReadStack { template: TemplateSource },
}

/// The catalog's strict-mode rules. The default is the emulator's original, lenient behaviour: products are listed
/// at once, a failed import removes its provisioned product, and a known idempotency token replays its record
/// whatever else the request says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatalogRules {
    /// SearchProvisionedProducts lists a provisioned product only once this long has passed since it was created.
    pub search_lag: Duration,
    /// A failed import leaves its provisioned product in status ERROR (listed, its name and stack taken).
    pub failed_import_keeps_name: bool,
    /// A known idempotency token with another product, artifact, name or physical id is refused.
    pub strict_idempotency: bool,
}

/// The rules of provisioning artifacts, set from the command line: how long one made from a stack stays CREATING,
/// and how many one product may hold (CreateProduct's first included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArtifactRules {
    pub creating: Duration,
    pub limit: usize,
}

impl Default for ArtifactRules {
    fn default() -> Self {
        Self { creating: DEFAULT_VERSION_CREATING, limit: DEFAULT_ARTIFACT_LIMIT }
    }
}

/// A created artifact's idempotency token: the artifact it made and the request that made it.
#[derive(Debug, Clone)]
pub(super) struct ArtifactTokenUse {
    pub(super) product_id: String,
    pub(super) artifact_id: String,
    pub(super) request: ArtifactRequest,
}

/// An accepted import's idempotency token: the record it made and the request that made it.
#[derive(Debug, Clone)]
pub(super) struct TokenUse {
    pub(super) record_id: String,
    pub(super) request: ImportRequest,
}

/// One page of SearchProducts: the products, borrowed from the catalog, and the next page's token.
#[derive(Debug, Clone)]
pub struct ProductPage<'a> {
    pub products: Vec<&'a Product>,
    pub next_page_token: Option<String>,
}

/// One page of SearchProvisionedProducts.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub products: Vec<ProvisionedProductView>,
    pub total: usize,
    pub next_page_token: Option<String>,
}

/// The catalog of one account in one region.
#[derive(Debug)]
pub struct Catalog {
    pub(super) products: Vec<Product>,
    pub(super) provisioned: Vec<ProvisionedProduct>,
    pub(super) records: Vec<Record>,
    pub(super) product_tokens: HashMap<String, String>,
    pub(super) artifact_tokens: HashMap<String, ArtifactTokenUse>,
    pub(super) import_tokens: HashMap<String, TokenUse>,
    pub(super) record_step: Duration,
    pub(super) scope: Scope,
    pub(super) rules: CatalogRules,
    pub(super) artifact_rules: ArtifactRules,
}

impl Catalog {
    /// An empty catalog of `scope`'s account and region, which its ARNs carry.
    pub fn new(record_step: Duration, scope: Scope) -> Self {
        Self {
            products: Vec::new(),
            provisioned: Vec::new(),
            records: Vec::new(),
            product_tokens: HashMap::new(),
            artifact_tokens: HashMap::new(),
            import_tokens: HashMap::new(),
            record_step,
            scope,
            rules: CatalogRules::default(),
            artifact_rules: ArtifactRules::default(),
        }
    }

    /// The account and region this catalog belongs to.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The same catalog with strict-mode rules.
    pub fn with_rules(mut self, rules: CatalogRules) -> Self {
        self.rules = rules;
        self
    }

    /// The same catalog with other artifact rules.
    pub fn with_artifact_rules(mut self, rules: ArtifactRules) -> Self {
        self.artifact_rules = rules;
        self
    }
}
