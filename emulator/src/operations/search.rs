//! SearchProvisionedProducts: the filters, sort and page of the request, and the provisioned products answered.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::body::answer;
use crate::Emulator;
use crate::catalog::{PROVISIONED_PRODUCT_TYPE, ProvisionedProductView, Scope};
use crate::clock::epoch_seconds;
use crate::error::ServiceError;
use crate::params::check_accept_language;
use crate::search::{PageRequest, check_access_level, parse_filters, parse_sort};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SearchProvisionedProductsInput {
    accept_language: Option<String>,
    access_level_filter: Option<AccessLevelFilterInput>,
    filters: Option<HashMap<String, Vec<String>>>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    page_size: Option<i64>,
    page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccessLevelFilterInput {
    key: Option<String>,
    value: Option<String>,
}

pub(super) fn search_provisioned_products(
    emulator: &Emulator,
    input: SearchProvisionedProductsInput,
    scope: &Scope,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    if let Some(filter) = &input.access_level_filter {
        check_access_level(filter.key.as_deref(), filter.value.as_deref())?;
    }
    let terms = parse_filters(input.filters.as_ref())?;
    let sort = parse_sort(input.sort_by.as_deref(), input.sort_order.as_deref())?;
    let page = PageRequest::parse(input.page_size, input.page_token.as_deref())?;
    let found = emulator.catalogs().of(scope).search(&terms, sort, page, emulator.now());
    answer(SearchProvisionedProductsOutput {
        provisioned_products: found.products.iter().map(provisioned_product_attribute).collect(),
        total_results_count: found.total,
        next_page_token: found.next_page_token,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct SearchProvisionedProductsOutput {
    provisioned_products: Vec<ProvisionedProductAttributeOutput>,
    total_results_count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProvisionedProductAttributeOutput {
    name: String,
    arn: String,
    #[serde(rename = "Type")]
    provisioned_product_type: &'static str,
    id: String,
    status: &'static str,
    created_time: f64,
    idempotency_token: String,
    last_record_id: String,
    physical_id: String,
    product_id: String,
    product_name: String,
    provisioning_artifact_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    provisioning_artifact_name: Option<String>,
    tags: Vec<Value>,
}

fn provisioned_product_attribute(view: &ProvisionedProductView) -> ProvisionedProductAttributeOutput {
    let product = &view.product;
    ProvisionedProductAttributeOutput {
        name: product.name.clone(),
        arn: product.arn.clone(),
        provisioned_product_type: PROVISIONED_PRODUCT_TYPE,
        id: product.id.clone(),
        status: view.status,
        created_time: epoch_seconds(product.created),
        idempotency_token: product.idempotency_token.clone(),
        last_record_id: product.last_record_id.clone(),
        physical_id: product.physical_id.clone(),
        product_id: product.product_id.clone(),
        product_name: product.product_name.clone(),
        provisioning_artifact_id: product.artifact_id.clone(),
        provisioning_artifact_name: product.artifact_name.clone(),
        tags: Vec::new(),
    }
}
