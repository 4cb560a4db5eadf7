//! Service Catalog adapters, one per capability: finding provisioned products, reading a product's versions, and
//! importing stacks and following their records. Each reads Service Catalog's exceptions into the port's errors.

use std::ops::ControlFlow;

use aws_sdk_servicecatalog::Client;
use aws_sdk_servicecatalog::types::{
    AccessLevelFilter, AccessLevelFilterKey, ProvisionedProductAttribute, ProvisionedProductViewFilterBy,
    ProvisioningArtifactProperties, ProvisioningArtifactType, RecordDetail, Status,
};

use super::error::{ErrorClass, classify, failure, unexpected};
use crate::config::AcceptLanguage;
use crate::ids::{ArtifactId, ProductId, ProvisionedProductId, ProvisionedProductName, RecordId};
use crate::ports::{
    CreateVersionError, ImportError, ImportOrder, Importer, LaunchableProduct, Missing, NewVersion, ProductVersion,
    ProductVersions, ProvisionedProduct, ProvisionedProducts, ServiceFailure, VersionDetail, VersionStatus,
    VersionsError,
};
use crate::record::{Record, RecordError, RecordRequest, RecordStatus};
use crate::stack::StackArn;

/// SearchProvisionedProducts pages hold at most 100 products; a physical id or a name matches very few, so more
/// pages than this means the filter was ignored, and the exact-match check on our side still decides.
const MAX_SEARCH_PAGES: usize = 20;

const SEARCH: &str = "SearchProvisionedProducts";
const LIST_ARTIFACTS: &str = "ListProvisioningArtifacts";
const DESCRIBE_ARTIFACT: &str = "DescribeProvisioningArtifact";
const IMPORT: &str = "ImportAsProvisionedProduct";
const DESCRIBE_RECORD: &str = "DescribeRecord";
const SEARCH_PRODUCTS: &str = "SearchProducts";
const CREATE_ARTIFACT: &str = "CreateProvisioningArtifact";

/// SearchProducts pages: 100 products each (the most the service gives), and at most this many pages.
const MAX_PRODUCT_PAGES: usize = 100;

/// What every Service Catalog adapter holds: the account and region's client and the answer language.
#[derive(Debug, Clone)]
struct Catalog {
    client: Client,
    accept_language: AcceptLanguage,
}

#[derive(Debug, Clone)]
pub struct ServiceCatalogProvisionedProducts(Catalog);

#[derive(Debug, Clone)]
pub struct ServiceCatalogProductVersions(Catalog);

#[derive(Debug, Clone)]
pub struct ServiceCatalogImporter(Catalog);

impl ServiceCatalogProvisionedProducts {
    pub fn new(client: Client, accept_language: AcceptLanguage) -> Self {
        Self(Catalog { client, accept_language })
    }
}

impl ServiceCatalogProductVersions {
    pub fn new(client: Client, accept_language: AcceptLanguage) -> Self {
        Self(Catalog { client, accept_language })
    }
}

impl ServiceCatalogImporter {
    pub fn new(client: Client, accept_language: AcceptLanguage) -> Self {
        Self(Catalog { client, accept_language })
    }
}

/// `SearchQuery` filter text: `physicalId:<arn>` or `name:<name>` (the documented search keys).
pub fn search_query(key: &str, value: &str) -> String {
    format!("{key}:{value}")
}

/// Every provisioned product of the account: 100,000 at 100 a page, far beyond what one account holds.
const MAX_ALL_PAGES: usize = 1000;

impl Catalog {
    /// SearchProvisionedProducts page by page (with `query` as its full-text filter, when given), each page's
    /// products handed to `visit` until it breaks. `Ok(false)`: `max_pages` pages were read and more remained.
    async fn pages(
        &self,
        query: Option<&str>,
        max_pages: usize,
        mut visit: impl FnMut(&[ProvisionedProductAttribute]) -> Result<ControlFlow<()>, ServiceFailure>,
    ) -> Result<bool, ServiceFailure> {
        // Account/self: every provisioned product of the account, not only the caller's own.
        let access = AccessLevelFilter::builder().key(AccessLevelFilterKey::Account).value("self").build();
        let filter = query.map(|query| vec![query.to_owned()]);
        let mut page_token: Option<String> = None;
        for _ in 0..max_pages {
            let mut request = self
                .client
                .search_provisioned_products()
                .accept_language(self.accept_language.as_str())
                .access_level_filter(access.clone())
                .page_size(100)
                .set_page_token(page_token.take());
            if let Some(filter) = &filter {
                request = request.filters(ProvisionedProductViewFilterBy::SearchQuery, filter.clone());
            }
            let output = request.send().await.map_err(failure(SEARCH))?;
            if visit(output.provisioned_products())?.is_break() {
                return Ok(true);
            }
            match output.next_page_token() {
                Some(token) if !token.is_empty() => page_token = Some(token.to_owned()),
                _ => return Ok(true),
            }
        }
        Ok(false)
    }

    /// Every page of a full-text search, keeping only the products `exact` accepts.
    async fn search(
        &self,
        query: String,
        exact: impl Fn(&ProvisionedProductAttribute) -> bool,
    ) -> Result<Option<ProvisionedProduct>, ServiceFailure> {
        let mut found = None;
        let complete = self
            .pages(Some(&query), MAX_SEARCH_PAGES, |page| {
                found = page.iter().find(|product| exact(product)).map(provisioned_product).transpose()?;
                Ok(if found.is_some() { ControlFlow::Break(()) } else { ControlFlow::Continue(()) })
            })
            .await?;
        if !complete {
            tracing::warn!(%query, pages = MAX_SEARCH_PAGES, "search still had pages; checked the first ones");
        }
        Ok(found)
    }

    async fn all(&self) -> Result<Vec<ProvisionedProduct>, ServiceFailure> {
        let mut products = Vec::new();
        let complete = self
            .pages(None, MAX_ALL_PAGES, |page| {
                for found in page {
                    products.push(provisioned_product(found)?);
                }
                Ok(ControlFlow::Continue(()))
            })
            .await?;
        if !complete {
            return Err(unexpected(SEARCH, format!("more than {MAX_ALL_PAGES} pages of provisioned products")));
        }
        Ok(products)
    }
}

fn provisioned_product(found: &ProvisionedProductAttribute) -> Result<ProvisionedProduct, ServiceFailure> {
    let id = ProvisionedProductId::parse(found.id().unwrap_or_default())
        .map_err(|error| unexpected(SEARCH, error.to_string()))?;
    Ok(ProvisionedProduct {
        id,
        name: found.name().unwrap_or_default().to_owned(),
        physical_id: found.physical_id().map(str::to_owned),
        status: found.status().map(|status| status.as_str().to_owned()),
        last_record_id: found.last_record_id().and_then(|id| RecordId::parse(id).ok()),
    })
}

impl ProvisionedProducts for ServiceCatalogProvisionedProducts {
    async fn by_stack(&self, stack: &StackArn) -> Result<Option<ProvisionedProduct>, ServiceFailure> {
        // The search is full-text: keep only the exact physical id.
        self.0
            .search(search_query("physicalId", stack.as_str()), |product| product.physical_id() == Some(stack.as_str()))
            .await
    }

    async fn by_name(&self, name: &ProvisionedProductName) -> Result<Option<ProvisionedProduct>, ServiceFailure> {
        // A name query also finds longer names: keep only the exact name.
        self.0.search(search_query("name", name.as_str()), |product| product.name() == Some(name.as_str())).await
    }

    async fn all(&self) -> Result<Vec<ProvisionedProduct>, ServiceFailure> {
        self.0.all().await
    }
}

impl ProductVersions for ServiceCatalogProductVersions {
    async fn list(&self, product: &ProductId) -> Result<Vec<ProductVersion>, VersionsError> {
        let catalog = &self.0;
        let output = catalog
            .client
            .list_provisioning_artifacts()
            .accept_language(catalog.accept_language.as_str())
            .product_id(product.as_str())
            .send()
            .await
            .map_err(|error| match classify(error) {
                error if error.class == ErrorClass::NotFound => VersionsError::NotFound(Missing::Product),
                error => VersionsError::Failed(error.into_failure(LIST_ARTIFACTS)),
            })?;
        Ok(output
            .provisioning_artifact_details()
            .iter()
            .filter_map(|artifact| {
                Some(ProductVersion {
                    id: ArtifactId::parse(artifact.id()?).ok()?,
                    // Active defaults to true in Service Catalog when it is not set.
                    active: artifact.active().unwrap_or(true),
                    created: artifact.created_time().map(|time| time.secs()).unwrap_or_default(),
                    name: artifact.name().unwrap_or_default().to_owned(),
                    description: artifact.description().unwrap_or_default().to_owned(),
                })
            })
            .collect())
    }

    async fn get(&self, product: &ProductId, artifact: &ArtifactId) -> Result<VersionDetail, VersionsError> {
        let catalog = &self.0;
        let answer = catalog
            .client
            .describe_provisioning_artifact()
            .accept_language(catalog.accept_language.as_str())
            .product_id(product.as_str())
            .provisioning_artifact_id(artifact.as_str())
            .send()
            .await;
        let output = match answer.map_err(classify) {
            Ok(output) => output,
            Err(error) if error.class == ErrorClass::NotFound => {
                return Err(VersionsError::NotFound(self.which_is_missing(product, &error).await));
            }
            Err(error) => return Err(VersionsError::Failed(error.into_failure(DESCRIBE_ARTIFACT))),
        };
        let detail = output.provisioning_artifact_detail();
        Ok(VersionDetail {
            id: artifact.clone(),
            active: detail.and_then(|detail| detail.active()).unwrap_or(true),
            template_url: output.info().and_then(|info| info.get("TemplateUrl")).cloned(),
            status: version_status(output.status()),
        })
    }

    async fn launchable(&self) -> Result<Vec<LaunchableProduct>, ServiceFailure> {
        let catalog = &self.0;
        let mut products = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_PRODUCT_PAGES {
            let output = catalog
                .client
                .search_products()
                .accept_language(catalog.accept_language.as_str())
                .page_size(100)
                .set_page_token(page_token.take())
                .send()
                .await
                .map_err(failure(SEARCH_PRODUCTS))?;
            products.extend(output.product_view_summaries().iter().filter_map(|summary| {
                Some(LaunchableProduct {
                    id: ProductId::parse(summary.product_id()?).ok()?,
                    name: summary.name().unwrap_or_default().to_owned(),
                })
            }));
            match output.next_page_token() {
                Some(token) if !token.is_empty() => page_token = Some(token.to_owned()),
                _ => return Ok(products),
            }
        }
        tracing::warn!(products = products.len(), "SearchProducts still had pages after {MAX_PRODUCT_PAGES}");
        Ok(products)
    }

    async fn create(&self, version: &NewVersion) -> Result<VersionDetail, CreateVersionError> {
        let catalog = &self.0;
        let parameters = ProvisioningArtifactProperties::builder()
            .name(&version.name)
            .description(&version.description)
            .info("ImportFromPhysicalId", version.stack.as_str())
            .r#type(ProvisioningArtifactType::CloudFormationTemplate)
            .build();
        let output = catalog
            .client
            .create_provisioning_artifact()
            .accept_language(catalog.accept_language.as_str())
            .product_id(version.product.as_str())
            .parameters(parameters)
            .idempotency_token(&version.token.0)
            .send()
            .await
            .map_err(|error| {
                let error = classify(error);
                match error.class {
                    ErrorClass::LimitExceeded => CreateVersionError::Limit(error.into_failure(CREATE_ARTIFACT)),
                    ErrorClass::NotFound | ErrorClass::InvalidParameters => {
                        CreateVersionError::Refused(error.into_failure(CREATE_ARTIFACT))
                    }
                    _ => CreateVersionError::Failed(error.into_failure(CREATE_ARTIFACT)),
                }
            })?;
        let detail = output.provisioning_artifact_detail();
        let id = detail
            .and_then(|detail| detail.id())
            .and_then(|id| ArtifactId::parse(id).ok())
            .ok_or_else(|| CreateVersionError::Failed(unexpected(CREATE_ARTIFACT, "no provisioning artifact id")))?;
        Ok(VersionDetail {
            id,
            active: detail.and_then(|detail| detail.active()).unwrap_or(true),
            template_url: output.info().and_then(|info| info.get("TemplateUrl")).cloned(),
            status: version_status(output.status()),
        })
    }
}

/// An artifact without a status is one that exists: only a version being made says `CREATING`.
fn version_status(status: Option<&Status>) -> VersionStatus {
    match status {
        Some(Status::Creating) => VersionStatus::Creating,
        Some(Status::Failed) => VersionStatus::Failed,
        _ => VersionStatus::Available,
    }
}

impl ServiceCatalogProductVersions {
    /// DescribeProvisioningArtifact says only "not found": ask for the product's versions to tell which one is
    /// missing, and when that cannot be asked, go by what the service's message names.
    async fn which_is_missing(&self, product: &ProductId, error: &super::error::SdkFailure) -> Missing {
        match self.list(product).await {
            Err(VersionsError::NotFound(_)) => Missing::Product,
            Ok(_) => Missing::Artifact,
            Err(VersionsError::Failed(_)) if error.missing() == Missing::Product => Missing::Product,
            Err(VersionsError::Failed(_)) => Missing::Artifact,
        }
    }
}

impl Importer for ServiceCatalogImporter {
    async fn import(&self, order: &ImportOrder) -> Result<Record, ImportError> {
        let catalog = &self.0;
        let output = catalog
            .client
            .import_as_provisioned_product()
            .accept_language(catalog.accept_language.as_str())
            .product_id(order.product.as_str())
            .provisioning_artifact_id(order.artifact.as_str())
            .provisioned_product_name(order.name.as_str())
            .physical_id(order.stack.as_str())
            .idempotency_token(&order.token.0)
            .send()
            .await
            .map_err(|error| {
                let error = classify(error);
                match error.class {
                    ErrorClass::DuplicateResource => ImportError::NameTaken(error.into_failure(IMPORT)),
                    ErrorClass::InvalidState => ImportError::Busy(error.into_failure(IMPORT)),
                    ErrorClass::InvalidParameters => ImportError::InvalidParameters(error.into_failure(IMPORT)),
                    ErrorClass::NotFound => ImportError::NotFound(error.missing(), error.into_failure(IMPORT)),
                    _ => ImportError::Failed(error.into_failure(IMPORT)),
                }
            })?;
        record(output.record_detail(), IMPORT).map_err(ImportError::Failed)
    }

    async fn record(&self, id: &RecordId) -> Result<Record, ServiceFailure> {
        let catalog = &self.0;
        let output = catalog
            .client
            .describe_record()
            .accept_language(catalog.accept_language.as_str())
            .id(id.as_str())
            .send()
            .await
            .map_err(failure(DESCRIBE_RECORD))?;
        record(output.record_detail(), DESCRIBE_RECORD)
    }
}

fn record(detail: Option<&RecordDetail>, operation: &'static str) -> Result<Record, ServiceFailure> {
    let detail = detail.ok_or_else(|| unexpected(operation, "no RecordDetail"))?;
    let id = RecordId::parse(detail.record_id().unwrap_or_default())
        .map_err(|error| unexpected(operation, error.to_string()))?;
    Ok(Record {
        id,
        status: detail.status().map_or(RecordStatus::Created, |status| RecordStatus::parse(status.as_str())),
        provisioned_product_id: detail.provisioned_product_id().and_then(|id| ProvisionedProductId::parse(id).ok()),
        errors: detail
            .record_errors()
            .iter()
            .map(|error| RecordError {
                code: error.code().unwrap_or_default().to_owned(),
                description: error.description().unwrap_or_default().to_owned(),
            })
            .collect(),
        request: RecordRequest {
            record_type: detail.record_type().map(str::to_owned),
            product: detail.product_id().and_then(|id| ProductId::parse(id).ok()),
            artifact: detail.provisioning_artifact_id().and_then(|id| ArtifactId::parse(id).ok()),
            name: detail.provisioned_product_name().and_then(|name| ProvisionedProductName::parse(name).ok()),
            created: detail.created_time().map(|time| time.secs()),
        },
    })
}
