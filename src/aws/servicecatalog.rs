//! Service Catalog adapter: finds provisioned products, reads products' artifacts, imports stacks and follows records.

use aws_sdk_servicecatalog::Client;
use aws_sdk_servicecatalog::types::{
    AccessLevelFilter, AccessLevelFilterKey, ProvisionedProductViewFilterBy, RecordDetail,
};

use super::error::service_error;
use crate::config::AcceptLanguage;
use crate::ports::{
    ArtifactDetail, ArtifactSummary, Catalog, ImportInput, ProvisionedProductQuery, ProvisionedProductSummary,
    RecordSnapshot, ServiceError, ServiceErrorKind,
};

/// SearchProvisionedProducts pages hold at most 100 products; a physical id or a name matches very few, so more
/// pages than this means the filter was ignored, and the exact-match check on our side still decides.
const MAX_SEARCH_PAGES: usize = 20;

#[derive(Debug, Clone)]
pub struct ServiceCatalogCatalog {
    client: Client,
    accept_language: AcceptLanguage,
}

impl ServiceCatalogCatalog {
    pub fn new(client: Client, accept_language: AcceptLanguage) -> Self {
        Self { client, accept_language }
    }
}

/// `SearchQuery` filter text: `physicalId:<arn>` or `name:<name>` (the documented search keys).
pub fn search_query(query: &ProvisionedProductQuery) -> String {
    match query {
        ProvisionedProductQuery::PhysicalId(arn) => format!("physicalId:{arn}"),
        ProvisionedProductQuery::Name(name) => format!("name:{name}"),
    }
}

impl Catalog for ServiceCatalogCatalog {
    async fn search_provisioned_products(
        &self,
        query: &ProvisionedProductQuery,
    ) -> Result<Vec<ProvisionedProductSummary>, ServiceError> {
        // Account/self: every provisioned product of the account, not only the caller's own.
        let access = AccessLevelFilter::builder().key(AccessLevelFilterKey::Account).value("self").build();
        let mut found = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_SEARCH_PAGES {
            let output = self
                .client
                .search_provisioned_products()
                .accept_language(self.accept_language.as_str())
                .access_level_filter(access.clone())
                .filters(ProvisionedProductViewFilterBy::SearchQuery, vec![search_query(query)])
                .page_size(100)
                .set_page_token(page_token.take())
                .send()
                .await
                .map_err(service_error)?;
            found.extend(output.provisioned_products().iter().map(|product| ProvisionedProductSummary {
                id: product.id().unwrap_or_default().to_owned(),
                name: product.name().unwrap_or_default().to_owned(),
                physical_id: product.physical_id().map(str::to_owned),
            }));
            match output.next_page_token() {
                Some(token) if !token.is_empty() => page_token = Some(token.to_owned()),
                _ => return Ok(found),
            }
        }
        tracing::warn!(query = %search_query(query), pages = MAX_SEARCH_PAGES, "search still had pages; checked the first ones");
        Ok(found)
    }

    async fn list_artifacts(&self, product_id: &str) -> Result<Vec<ArtifactSummary>, ServiceError> {
        let output = self
            .client
            .list_provisioning_artifacts()
            .accept_language(self.accept_language.as_str())
            .product_id(product_id)
            .send()
            .await
            .map_err(service_error)?;
        Ok(output
            .provisioning_artifact_details()
            .iter()
            .filter_map(|artifact| {
                Some(ArtifactSummary {
                    id: artifact.id()?.to_owned(),
                    // Active defaults to true in Service Catalog when it is not set.
                    active: artifact.active().unwrap_or(true),
                    created: artifact.created_time().map(|time| time.secs()).unwrap_or_default(),
                })
            })
            .collect())
    }

    async fn describe_artifact(&self, product_id: &str, artifact_id: &str) -> Result<ArtifactDetail, ServiceError> {
        let output = self
            .client
            .describe_provisioning_artifact()
            .accept_language(self.accept_language.as_str())
            .product_id(product_id)
            .provisioning_artifact_id(artifact_id)
            .send()
            .await
            .map_err(service_error)?;
        let detail = output.provisioning_artifact_detail();
        Ok(ArtifactDetail {
            id: detail.and_then(|detail| detail.id()).unwrap_or(artifact_id).to_owned(),
            active: detail.and_then(|detail| detail.active()).unwrap_or(true),
            template_url: output.info().and_then(|info| info.get("TemplateUrl")).cloned(),
        })
    }

    async fn import(&self, input: &ImportInput) -> Result<RecordSnapshot, ServiceError> {
        let output = self
            .client
            .import_as_provisioned_product()
            .accept_language(self.accept_language.as_str())
            .product_id(&input.product_id)
            .provisioning_artifact_id(&input.provisioning_artifact_id)
            .provisioned_product_name(&input.provisioned_product_name)
            .physical_id(&input.physical_id)
            .idempotency_token(&input.idempotency_token)
            .send()
            .await
            .map_err(service_error)?;
        record_snapshot(output.record_detail(), "ImportAsProvisionedProduct")
    }

    async fn describe_record(&self, record_id: &str) -> Result<RecordSnapshot, ServiceError> {
        let output = self
            .client
            .describe_record()
            .accept_language(self.accept_language.as_str())
            .id(record_id)
            .send()
            .await
            .map_err(service_error)?;
        record_snapshot(output.record_detail(), "DescribeRecord")
    }
}

fn record_snapshot(detail: Option<&RecordDetail>, operation: &str) -> Result<RecordSnapshot, ServiceError> {
    let missing = || {
        ServiceError::new(ServiceErrorKind::Other, "UnexpectedResponse", format!("{operation} returned no record id"))
    };
    let detail = detail.ok_or_else(missing)?;
    Ok(RecordSnapshot {
        record_id: detail.record_id().ok_or_else(missing)?.to_owned(),
        status: detail.status().map(|status| status.as_str().to_owned()).unwrap_or_else(|| "CREATED".to_owned()),
        provisioned_product_id: detail.provisioned_product_id().map(str::to_owned),
        errors: detail
            .record_errors()
            .iter()
            .map(|error| {
                (error.code().unwrap_or_default().to_owned(), error.description().unwrap_or_default().to_owned())
            })
            .collect(),
    })
}
