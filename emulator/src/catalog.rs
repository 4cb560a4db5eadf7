//! The catalog: products, their provisioning artifacts, provisioned products and records, and the rules each
//! operation applies to them. Pure: "now" is an argument, and stacks arrive as facts already read from CloudFormation.
//!
//! A record is not moved by a timer: its status is computed from its age whenever it is read (CREATED for one step,
//! IN_PROGRESS for the next, then its ending), so a stopped clock in tests stops every record with it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use crate::error::ServiceError;
use crate::ids::new_id;
use crate::params::{IdempotencyToken, Identifier, ProvisionedProductName, StackArn};
use crate::search::{PageRequest, SearchTerm, Searchable, Sort, SortField};

pub const TEMPLATE_ARTIFACT_TYPE: &str = "CLOUD_FORMATION_TEMPLATE";
pub const PROVISIONED_PRODUCT_TYPE: &str = "CFN_STACK";
pub const IMPORT_RECORD_TYPE: &str = "IMPORT_PROVISIONED_PRODUCT";

/// The stack statuses ImportAsProvisionedProduct accepts, as its API reference lists them.
pub const IMPORTABLE_STACK_STATUSES: [&str; 5] =
    ["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"];

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
    /// The `LoadTemplateFromURL` it was created from; fetched only when an import needs the content.
    pub template_url: String,
    pub created: SystemTime,
    pub active: bool,
    pub guidance: Guidance,
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

#[derive(Debug, Clone)]
pub struct NewArtifact {
    pub name: Option<String>,
    pub description: Option<String>,
    pub template_url: String,
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
    /// Read the stack, then compare its template with the artifact's, found at this URL.
    ReadStack { template_url: String },
}

/// One page of SearchProvisionedProducts.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub products: Vec<ProvisionedProductView>,
    pub total: usize,
    pub next_page_token: Option<String>,
}

#[derive(Debug)]
pub struct Catalog {
    products: Vec<Product>,
    provisioned: Vec<ProvisionedProduct>,
    records: Vec<Record>,
    product_tokens: HashMap<String, String>,
    artifact_tokens: HashMap<String, (String, String)>,
    import_tokens: HashMap<String, String>,
    record_step: Duration,
    account_id: String,
}

impl Catalog {
    pub fn new(record_step: Duration, account_id: impl Into<String>) -> Self {
        Self {
            products: Vec::new(),
            provisioned: Vec::new(),
            records: Vec::new(),
            product_tokens: HashMap::new(),
            artifact_tokens: HashMap::new(),
            import_tokens: HashMap::new(),
            record_step,
            account_id: account_id.into(),
        }
    }

    /// CreateProduct. The same idempotency token answers with the product it created the first time.
    pub fn create_product(&mut self, new: NewProduct, region: &str, now: SystemTime) -> Product {
        if let Some(existing) = new.idempotency_token.as_ref().and_then(|token| self.product_tokens.get(token))
            && let Some(product) = self.products.iter().find(|product| &product.id == existing)
        {
            return product.clone();
        }
        let id = new_id("prod-");
        let product = Product {
            arn: format!("arn:aws:catalog:{region}:{}:product/{id}", self.account_id),
            view_id: new_id("prodview-"),
            name: new.name,
            owner: new.owner,
            description: new.description,
            distributor: new.distributor,
            support_description: new.support_description,
            support_email: new.support_email,
            support_url: new.support_url,
            created: now,
            artifacts: vec![new_artifact(new.artifact, now)],
            id,
        };
        if let Some(token) = new.idempotency_token {
            self.product_tokens.insert(token, product.id.clone());
        }
        self.products.push(product.clone());
        product
    }

    /// CreateProvisioningArtifact. Artifact names are unique within a product.
    pub fn create_artifact(
        &mut self,
        product: &ProductRef,
        new: NewArtifact,
        idempotency_token: Option<&str>,
        now: SystemTime,
    ) -> Result<Artifact, ServiceError> {
        if let Some((product_id, artifact_id)) = idempotency_token.and_then(|token| self.artifact_tokens.get(token)) {
            let (_, artifact) =
                self.artifact(&ProductRef::Id(product_id.clone()), &ArtifactRef::Id(artifact_id.clone()))?;
            return Ok(artifact.clone());
        }
        let index = self.product_index(product)?;
        let product = &mut self.products[index];
        if let Some(name) = &new.name
            && product.artifacts.iter().any(|artifact| artifact.name.as_ref() == Some(name))
        {
            return Err(ServiceError::invalid_parameters(format!(
                "Product {} already has a provisioning artifact named '{name}'",
                product.id
            )));
        }
        let artifact = new_artifact(new, now);
        product.artifacts.push(artifact.clone());
        if let Some(token) = idempotency_token {
            self.artifact_tokens.insert(token.to_owned(), (product.id.clone(), artifact.id.clone()));
        }
        Ok(artifact)
    }

    /// UpdateProvisioningArtifact: name, description, `Active` and `Guidance`.
    pub fn update_artifact(
        &mut self,
        product: &ProductRef,
        wanted: &ArtifactRef,
        update: ArtifactUpdate,
    ) -> Result<Artifact, ServiceError> {
        let product_index = self.product_index(product)?;
        let product = &mut self.products[product_index];
        let product_id = product.id.clone();
        let artifact = product
            .artifacts
            .iter_mut()
            .find(|candidate| artifact_is(candidate, wanted))
            .ok_or_else(|| artifact_not_found(wanted, &product_id))?;
        if let Some(name) = update.name {
            artifact.name = Some(name);
        }
        if let Some(description) = update.description {
            artifact.description = Some(description);
        }
        if let Some(active) = update.active {
            artifact.active = active;
        }
        if let Some(guidance) = update.guidance {
            artifact.guidance = guidance;
        }
        Ok(artifact.clone())
    }

    pub fn product(&self, product: &ProductRef) -> Result<&Product, ServiceError> {
        self.product_index(product).map(|index| &self.products[index])
    }

    pub fn artifact(
        &self,
        product: &ProductRef,
        artifact: &ArtifactRef,
    ) -> Result<(&Product, &Artifact), ServiceError> {
        let product = self.product(product)?;
        let found = product.artifacts.iter().find(|candidate| artifact_is(candidate, artifact));
        found.map(|artifact| (product, artifact)).ok_or_else(|| artifact_not_found(artifact, &product.id))
    }

    /// ImportAsProvisionedProduct, first half: the checks that need no stack. A known token replays its record
    /// before anything else is looked at.
    pub fn prepare_import(&self, request: &ImportRequest, now: SystemTime) -> Result<ImportPlan, ServiceError> {
        if let Some(record) = self.import_tokens.get(request.idempotency_token.as_str()) {
            return self.record(record, now).map(ImportPlan::Replay);
        }
        let (_, artifact) = self.importable_artifact(request)?;
        Ok(ImportPlan::ReadStack { template_url: artifact.template_url.clone() })
    }

    /// ImportAsProvisionedProduct, second half, once the stack was read and judged: everything is checked again
    /// (another request may have landed meanwhile), then the provisioned product and its record are created.
    pub fn admit_import(
        &mut self,
        request: &ImportRequest,
        stack: &StackFacts,
        ending: RecordEnding,
        region: &str,
        now: SystemTime,
    ) -> Result<RecordView, ServiceError> {
        if let ImportPlan::Replay(record) = self.prepare_import(request, now)? {
            return Ok(record);
        }
        check_stack(stack)?;
        let (product, artifact) = self.importable_artifact(request)?;
        let (product_name, artifact_name) = (product.name.clone(), artifact.name.clone());

        let name = request.name.as_str();
        let live = self.live_provisioned_products(now).collect::<Vec<_>>();
        if let Some(existing) = live.iter().find(|existing| existing.name == name) {
            return Err(ServiceError::duplicate(format!(
                "A provisioned product named '{name}' already exists ({})",
                existing.id
            )));
        }
        if let Some(existing) = live.iter().find(|existing| {
            existing.physical_id == stack.stack_id || existing.physical_id == request.physical_id.as_str()
        }) {
            return Err(ServiceError::duplicate(format!(
                "Stack {} is already provisioned product '{}' ({})",
                stack.stack_id, existing.name, existing.id
            )));
        }
        if let Some(running) = self.records.iter().find(|record| !self.status_at(record, now).0.is_terminal()) {
            return Err(ServiceError::invalid_state(format!(
                "another import is in progress: record {} of provisioned product '{}' has not finished; \
                 only one provisioned product can be imported at a time",
                running.id, running.provisioned_product_name
            )));
        }

        let provisioned_id = new_id("pp-");
        let record = Record {
            id: new_id("rec-"),
            provisioned_product_id: provisioned_id.clone(),
            provisioned_product_name: name.to_owned(),
            product_id: request.product_id.as_str().to_owned(),
            artifact_id: request.artifact_id.as_str().to_owned(),
            created: now,
            ending,
        };
        self.provisioned.push(ProvisionedProduct {
            arn: format!(
                "arn:aws:servicecatalog:{region}:{}:stack/{name}/{provisioned_id}",
                request.physical_id.account()
            ),
            id: provisioned_id,
            name: name.to_owned(),
            physical_id: stack.stack_id.clone(),
            product_id: request.product_id.as_str().to_owned(),
            product_name,
            artifact_id: request.artifact_id.as_str().to_owned(),
            artifact_name,
            created: now,
            idempotency_token: request.idempotency_token.as_str().to_owned(),
            last_record_id: record.id.clone(),
        });
        self.import_tokens.insert(request.idempotency_token.as_str().to_owned(), record.id.clone());
        self.records.push(record.clone());
        // The service answers a new import with its record just created, whatever the step length.
        Ok(RecordView { record, status: RecordStatus::Created, updated: now })
    }

    /// DescribeRecord.
    pub fn record(&self, id: &str, now: SystemTime) -> Result<RecordView, ServiceError> {
        let record = self
            .records
            .iter()
            .find(|record| record.id == id)
            .ok_or_else(|| ServiceError::not_found(format!("Record '{id}' was not found")))?;
        let (status, updated) = self.status_at(record, now);
        Ok(RecordView { record: record.clone(), status, updated })
    }

    /// SearchProvisionedProducts over the provisioned products that exist at `now`.
    pub fn search(&self, terms: &[SearchTerm], sort: Option<Sort>, page: PageRequest, now: SystemTime) -> SearchPage {
        let mut found: Vec<ProvisionedProductView> = self
            .provisioned
            .iter()
            .filter_map(|product| self.provisioned_status(product, now).map(|status| (product, status)))
            .filter(|(product, status)| {
                let fields = Searchable {
                    physical_id: &product.physical_id,
                    name: &product.name,
                    id: &product.id,
                    product_id: &product.product_id,
                    provisioning_artifact_id: &product.artifact_id,
                    status,
                };
                terms.iter().all(|term| term.matches(&fields))
            })
            .map(|(product, status)| ProvisionedProductView { product: product.clone(), status })
            .collect();
        if let Some(sort) = sort {
            let key = |view: &ProvisionedProductView| -> String {
                let product = &view.product;
                match sort.field {
                    SortField::Arn => product.arn.clone(),
                    SortField::Id => product.id.clone(),
                    SortField::Name => product.name.clone(),
                    SortField::LastRecordId => product.last_record_id.clone(),
                }
            };
            found.sort_by_key(key);
            if sort.descending {
                found.reverse();
            }
        }
        let total = found.len();
        let (products, next_page_token) = page.slice(found);
        SearchPage { products, total, next_page_token }
    }

    /// A provisioned product's status: UNDER_CHANGE while its import runs, AVAILABLE once it succeeded. One whose
    /// import failed does not exist (None): its name and stack are free again.
    fn provisioned_status(&self, product: &ProvisionedProduct, now: SystemTime) -> Option<&'static str> {
        let record = self.records.iter().find(|record| record.id == product.last_record_id)?;
        match self.status_at(record, now).0 {
            RecordStatus::Created | RecordStatus::InProgress => Some("UNDER_CHANGE"),
            RecordStatus::Succeeded => Some("AVAILABLE"),
            RecordStatus::Failed => None,
        }
    }

    fn live_provisioned_products(&self, now: SystemTime) -> impl Iterator<Item = &ProvisionedProduct> {
        self.provisioned.iter().filter(move |product| self.provisioned_status(product, now).is_some())
    }

    /// CREATED for one step, IN_PROGRESS for the next, then the ending; with the time of the last change.
    fn status_at(&self, record: &Record, now: SystemTime) -> (RecordStatus, SystemTime) {
        let age = now.duration_since(record.created).unwrap_or_default();
        let step = self.record_step;
        let ending = match record.ending {
            RecordEnding::Succeeded => RecordStatus::Succeeded,
            RecordEnding::Failed(_) => RecordStatus::Failed,
        };
        if age < step {
            (RecordStatus::Created, record.created)
        } else if age < step * 2 {
            (RecordStatus::InProgress, record.created + step)
        } else {
            (ending, record.created + step * 2)
        }
    }

    /// The import's product and artifact: both must exist, and the artifact must be active.
    fn importable_artifact(&self, request: &ImportRequest) -> Result<(&Product, &Artifact), ServiceError> {
        let product_ref = ProductRef::Id(request.product_id.as_str().to_owned());
        let artifact_ref = ArtifactRef::Id(request.artifact_id.as_str().to_owned());
        let (product, artifact) = self.artifact(&product_ref, &artifact_ref)?;
        if !artifact.active {
            return Err(ServiceError::invalid_parameters(format!(
                "Provisioning artifact {} of product {} is not active",
                artifact.id, product.id
            )));
        }
        Ok((product, artifact))
    }

    fn product_index(&self, product: &ProductRef) -> Result<usize, ServiceError> {
        let found = match product {
            ProductRef::Id(id) => self.products.iter().position(|candidate| &candidate.id == id),
            ProductRef::Name(name) => self.products.iter().position(|candidate| &candidate.name == name),
        };
        found.ok_or_else(|| match product {
            ProductRef::Id(id) => ServiceError::not_found(format!("Product '{id}' was not found")),
            ProductRef::Name(name) => ServiceError::not_found(format!("No product is named '{name}'")),
        })
    }
}

/// The stack rules of ImportAsProvisionedProduct: an importable status, and a root stack (nested stacks and
/// StackSets are not supported).
pub fn check_stack(stack: &StackFacts) -> Result<(), ServiceError> {
    if !IMPORTABLE_STACK_STATUSES.contains(&stack.status.as_str()) {
        return Err(ServiceError::invalid_state(format!(
            "Stack {} is {}; only stacks in {} can be imported",
            stack.stack_id,
            stack.status,
            IMPORTABLE_STACK_STATUSES.join(", ")
        )));
    }
    if let Some(parent) = &stack.parent_id {
        return Err(ServiceError::invalid_parameters(format!(
            "Stack {} is nested in {parent}; only root stacks can be imported",
            stack.stack_id
        )));
    }
    Ok(())
}

fn new_artifact(new: NewArtifact, now: SystemTime) -> Artifact {
    Artifact {
        id: new_id("pa-"),
        name: new.name,
        description: new.description,
        template_url: new.template_url,
        created: now,
        active: true,
        guidance: Guidance::Default,
    }
}

fn artifact_is(candidate: &Artifact, wanted: &ArtifactRef) -> bool {
    match wanted {
        ArtifactRef::Id(id) => &candidate.id == id,
        ArtifactRef::Name(name) => candidate.name.as_ref() == Some(name),
    }
}

fn artifact_not_found(artifact: &ArtifactRef, product_id: &str) -> ServiceError {
    match artifact {
        ArtifactRef::Id(id) => {
            ServiceError::not_found(format!("Provisioning artifact '{id}' of product '{product_id}' was not found"))
        }
        ArtifactRef::Name(name) => {
            ServiceError::not_found(format!("Product '{product_id}' has no provisioning artifact named '{name}'"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const STEP: Duration = Duration::from_secs(1);
    const STACK: &str = "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a";

    fn start() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn seeded() -> (Catalog, String, String) {
        let mut catalog = Catalog::new(STEP, "123456789012");
        let product = catalog.create_product(
            NewProduct {
                name: "payments".to_owned(),
                owner: "platform".to_owned(),
                description: None,
                distributor: None,
                support_description: None,
                support_email: None,
                support_url: None,
                artifact: NewArtifact {
                    name: Some("v1".to_owned()),
                    description: None,
                    template_url: "http://127.0.0.1:5000/templates/payments.yaml".to_owned(),
                },
                idempotency_token: Some("token-1".to_owned()),
            },
            "us-east-1",
            start(),
        );
        let artifact = product.artifacts[0].id.clone();
        (catalog, product.id, artifact)
    }

    fn request(product: &str, artifact: &str, name: &str, stack: &str, token: &str) -> ImportRequest {
        ImportRequest {
            product_id: Identifier::parse("ProductId", product).expect("id"),
            artifact_id: Identifier::parse("ProvisioningArtifactId", artifact).expect("id"),
            name: ProvisionedProductName::parse(name).expect("name"),
            physical_id: StackArn::parse(stack).expect("arn"),
            idempotency_token: IdempotencyToken::parse(token).expect("token"),
        }
    }

    fn facts(stack: &str, status: &str) -> StackFacts {
        StackFacts {
            stack_id: stack.to_owned(),
            name: "payments-api".to_owned(),
            status: status.to_owned(),
            parent_id: None,
        }
    }

    #[test]
    fn create_product_with_a_known_token_returns_the_first_product() {
        let (mut catalog, product, _) = seeded();
        let again = catalog.create_product(
            NewProduct {
                name: "other".to_owned(),
                owner: "x".to_owned(),
                description: None,
                distributor: None,
                support_description: None,
                support_email: None,
                support_url: None,
                artifact: NewArtifact { name: None, description: None, template_url: "http://x/y".to_owned() },
                idempotency_token: Some("token-1".to_owned()),
            },
            "us-east-1",
            start(),
        );
        assert_eq!(again.id, product);
        assert_eq!(again.name, "payments");
    }

    #[test]
    fn a_record_is_created_then_in_progress_then_ends_one_step_apart() {
        let (mut catalog, product, artifact) = seeded();
        let view = catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Succeeded,
                "us-east-1",
                start(),
            )
            .expect("admitted");
        let id = view.record.id;
        let at = |millis: u64| catalog.record(&id, start() + Duration::from_millis(millis)).expect("record");
        assert_eq!(at(999).status, RecordStatus::Created);
        assert_eq!(at(1000).status, RecordStatus::InProgress);
        assert_eq!(at(1000).updated, start() + STEP);
        assert_eq!(at(1999).status, RecordStatus::InProgress);
        assert_eq!(at(2000).status, RecordStatus::Succeeded);
        assert_eq!(at(60_000).updated, start() + STEP * 2);
    }

    #[test]
    fn record_errors_show_only_once_the_record_has_failed() {
        let (mut catalog, product, artifact) = seeded();
        let error = RecordError { code: "TemplateMismatch".to_owned(), description: "differs".to_owned() };
        let view = catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Failed(vec![error.clone()]),
                "us-east-1",
                start(),
            )
            .expect("admitted");
        assert!(view.errors().is_empty());
        let ended = catalog.record(&view.record.id, start() + STEP * 2).expect("record");
        assert_eq!(ended.status, RecordStatus::Failed);
        assert_eq!(ended.errors(), [error]);
    }

    #[test]
    fn each_documented_status_is_importable_and_others_are_invalid_state() {
        for status in IMPORTABLE_STACK_STATUSES {
            assert_eq!(check_stack(&facts(STACK, status)), Ok(()), "{status}");
        }
        for status in
            ["CREATE_IN_PROGRESS", "ROLLBACK_COMPLETE", "UPDATE_IN_PROGRESS", "DELETE_COMPLETE", "CREATE_FAILED"]
        {
            let error = check_stack(&facts(STACK, status)).expect_err(status);
            assert_eq!(error.code, ErrorCode::InvalidState, "{status}");
        }
    }

    #[test]
    fn a_nested_stack_is_invalid_parameters() {
        let nested = StackFacts {
            parent_id: Some("arn:aws:cloudformation:us-east-1:111122223333:stack/root/1".to_owned()),
            ..facts(STACK, "CREATE_COMPLETE")
        };
        assert_eq!(check_stack(&nested).expect_err("nested").code, ErrorCode::InvalidParameters);
    }

    #[test]
    fn a_failed_import_frees_its_name_and_stack() {
        let (mut catalog, product, artifact) = seeded();
        catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Failed(vec![]),
                "us-east-1",
                start(),
            )
            .expect("admitted");
        let later = start() + STEP * 2;
        let page = catalog.search(&[], None, PageRequest::parse(None, None).expect("page"), later);
        assert_eq!(page.total, 0);
        let again = catalog.admit_import(
            &request(&product, &artifact, "payments-api", STACK, "t2"),
            &facts(STACK, "CREATE_COMPLETE"),
            RecordEnding::Succeeded,
            "us-east-1",
            later,
        );
        assert!(again.is_ok(), "{again:?}");
    }

    #[test]
    fn the_provisioned_product_arn_names_the_stack_account_region_and_name() {
        let (mut catalog, product, artifact) = seeded();
        catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Succeeded,
                "eu-west-1",
                start(),
            )
            .expect("admitted");
        let page = catalog.search(&[], None, PageRequest::parse(None, None).expect("page"), start());
        let found = &page.products[0].product;
        assert_eq!(found.arn, format!("arn:aws:servicecatalog:eu-west-1:111122223333:stack/payments-api/{}", found.id));
        assert_eq!(page.products[0].status, "UNDER_CHANGE");
    }

    #[test]
    fn only_one_import_runs_at_a_time_and_the_check_comes_after_duplicates() {
        let (mut catalog, product, artifact) = seeded();
        let orders = "arn:aws:cloudformation:us-east-1:111122223333:stack/orders/1";
        catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Succeeded,
                "us-east-1",
                start(),
            )
            .expect("first");
        let busy = catalog.admit_import(
            &request(&product, &artifact, "orders", orders, "t2"),
            &facts(orders, "CREATE_COMPLETE"),
            RecordEnding::Succeeded,
            "us-east-1",
            start() + STEP,
        );
        assert_eq!(busy.expect_err("busy").code, ErrorCode::InvalidState);
        let same_stack = catalog.admit_import(
            &request(&product, &artifact, "other", STACK, "t3"),
            &facts(STACK, "CREATE_COMPLETE"),
            RecordEnding::Succeeded,
            "us-east-1",
            start() + STEP,
        );
        assert_eq!(same_stack.expect_err("duplicate").code, ErrorCode::DuplicateResource);
        let later = catalog.admit_import(
            &request(&product, &artifact, "orders", orders, "t2"),
            &facts(orders, "CREATE_COMPLETE"),
            RecordEnding::Succeeded,
            "us-east-1",
            start() + STEP * 2,
        );
        assert!(later.is_ok(), "{later:?}");
    }

    #[test]
    fn a_known_token_replays_its_record_before_any_other_check() {
        let (mut catalog, product, artifact) = seeded();
        let first = catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Succeeded,
                "us-east-1",
                start(),
            )
            .expect("first");
        let replay = catalog
            .prepare_import(&request("prod-gone", "pa-gone", "payments-api", STACK, "t1"), start() + STEP)
            .expect("replay");
        let ImportPlan::Replay(record) = replay else { panic!("expected a replay, got {replay:?}") };
        assert_eq!(record.record.id, first.record.id);
        assert_eq!(record.status, RecordStatus::InProgress);
    }

    #[test]
    fn an_artifact_name_is_unique_within_its_product() {
        let (mut catalog, product, _) = seeded();
        let duplicate =
            NewArtifact { name: Some("v1".to_owned()), description: None, template_url: "http://x/y".to_owned() };
        let error = catalog.create_artifact(&ProductRef::Id(product), duplicate, None, start()).expect_err("duplicate");
        assert_eq!(error.code, ErrorCode::InvalidParameters);
    }
}
