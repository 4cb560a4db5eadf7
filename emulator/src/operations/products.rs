//! SearchProducts, the end user's view of products (the function's discovery lists them all).
//!
//! The service answers the products the caller has access to through portfolios. The emulator has no portfolios
//! (see the README's "Limits"), so the documented simplification is: every product of the caller's account and
//! region, filtered, sorted and paged (`product_search`, `search::PageRequest`). Products of other accounts or
//! regions are never listed.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::body::answer;
use super::seeding::{ProductViewSummaryOutput, product_view_summary};
use crate::Emulator;
use crate::catalog::Scope;
use crate::error::ServiceError;
use crate::params::check_accept_language;
use crate::product_search::{ProductFilters, parse_product_sort};
use crate::search::PageRequest;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SearchProductsInput {
    accept_language: Option<String>,
    filters: Option<HashMap<String, Vec<String>>>,
    page_size: Option<i64>,
    page_token: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
}

pub(super) fn search_products(
    emulator: &Emulator,
    input: SearchProductsInput,
    scope: &Scope,
) -> Result<Value, ServiceError> {
    check_accept_language(input.accept_language.as_deref())?;
    let filters = ProductFilters::parse(input.filters.as_ref())?;
    let sort = parse_product_sort(input.sort_by.as_deref(), input.sort_order.as_deref())?;
    let page = PageRequest::parse(input.page_size, input.page_token.as_deref())?;
    let mut catalogs = emulator.catalogs();
    let found = catalogs.of(scope).search_products(&filters, sort, page);
    answer(SearchProductsOutput {
        product_view_summaries: found.products.iter().map(|product| product_view_summary(product)).collect(),
        product_view_aggregations: HashMap::new(),
        next_page_token: found.next_page_token,
    })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct SearchProductsOutput {
    product_view_summaries: Vec<ProductViewSummaryOutput>,
    /// The service aggregates by owner, type and so on; the emulator answers none.
    product_view_aggregations: HashMap<String, Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
}
