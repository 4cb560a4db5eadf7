//! SearchProducts' filters and sort as far as the emulator speaks them (its pages are `search::PageRequest`'s).
//!
//! The API reference names four filter keys (`ProductViewFilterBy`): `FullTextSearch`, `Owner`, `ProductType` and
//! `SourceProductId`. Here `FullTextSearch` is a case-insensitive substring of the product's name (the service's
//! full-text search is undocumented; the name is what a caller looks for), `Owner` a case-insensitive substring of
//! the owner, `ProductType` the exact type (every product here is `CLOUD_FORMATION_TEMPLATE`), and
//! `SourceProductId` matches nothing, since no product here is a copy of another. Several values of one key: any of
//! them may match; several keys: all must. Any other key is refused, as the service refuses a value outside an enum.

use std::collections::HashMap;

use crate::error::ServiceError;

const FILTER_KEYS: &str = "FullTextSearch, Owner, ProductType or SourceProductId";

/// The fields of one product that the filters look at.
#[derive(Debug, Clone, Copy)]
pub struct ProductFields<'a> {
    pub name: &'a str,
    pub owner: &'a str,
    pub product_type: &'a str,
}

/// `Filters`, parsed: the values of each key, lowercased where the match ignores case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductFilters {
    full_text: Option<Vec<String>>,
    owner: Option<Vec<String>>,
    product_type: Option<Vec<String>>,
    source_product_id: Option<Vec<String>>,
}

impl ProductFilters {
    pub fn parse(filters: Option<&HashMap<String, Vec<String>>>) -> Result<Self, ServiceError> {
        let mut parsed = Self::default();
        for (key, values) in filters.into_iter().flatten() {
            let lowercased = || values.iter().map(|value| value.trim().to_lowercase()).collect::<Vec<_>>();
            match key.as_str() {
                "FullTextSearch" => parsed.full_text = Some(lowercased()),
                "Owner" => parsed.owner = Some(lowercased()),
                "ProductType" => parsed.product_type = Some(values.clone()),
                "SourceProductId" => parsed.source_product_id = Some(values.clone()),
                other => {
                    return Err(ServiceError::invalid_parameters(format!(
                        "Filters key '{other}' is not valid; it must be {FILTER_KEYS}"
                    )));
                }
            }
        }
        Ok(parsed)
    }

    /// A key without values does not filter; a key with values needs one of them to match.
    pub fn matches(&self, product: &ProductFields<'_>) -> bool {
        let any = |values: &Option<Vec<String>>, matches: &dyn Fn(&str) -> bool| match values {
            Some(values) if !values.is_empty() => values.iter().any(|value| matches(value)),
            _ => true,
        };
        let (name, owner) = (product.name.to_lowercase(), product.owner.to_lowercase());
        any(&self.full_text, &|needle| name.contains(needle))
            && any(&self.owner, &|needle| owner.contains(needle))
            && any(&self.product_type, &|wanted| wanted == product.product_type)
            && any(&self.source_product_id, &|_| false)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductSortField {
    /// The product's name, ignoring case.
    Title,
    /// How many provisioning artifacts the product has.
    VersionCount,
    /// When the product was created.
    CreationDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProductSort {
    pub field: ProductSortField,
    pub descending: bool,
}

/// `SortBy` (`Title`, `VersionCount`, `CreationDate`) and `SortOrder`. The service leaves results "not sorted"
/// without `SortBy`; here that is the order the products were created in, which pages stably.
pub fn parse_product_sort(
    sort_by: Option<&str>,
    sort_order: Option<&str>,
) -> Result<Option<ProductSort>, ServiceError> {
    let descending = crate::search::parse_descending(sort_order)?;
    let field = match sort_by {
        None => return Ok(None),
        Some("Title") => ProductSortField::Title,
        Some("VersionCount") => ProductSortField::VersionCount,
        Some("CreationDate") => ProductSortField::CreationDate,
        Some(other) => {
            return Err(ServiceError::invalid_parameters(format!(
                "SortBy '{other}' must be Title, VersionCount or CreationDate"
            )));
        }
    };
    Ok(Some(ProductSort { field, descending }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn payments() -> ProductFields<'static> {
        ProductFields { name: "Payments API", owner: "Platform Team", product_type: "CLOUD_FORMATION_TEMPLATE" }
    }

    fn filters(pairs: &[(&str, &[&str])]) -> Result<ProductFilters, ServiceError> {
        let map = pairs
            .iter()
            .map(|(key, values)| ((*key).to_owned(), values.iter().map(|value| (*value).to_owned()).collect()))
            .collect::<HashMap<String, Vec<String>>>();
        ProductFilters::parse(Some(&map))
    }

    #[test]
    fn full_text_search_is_a_case_insensitive_substring_of_the_name() {
        assert!(filters(&[("FullTextSearch", &["payments"])]).expect("valid").matches(&payments()));
        assert!(filters(&[("FullTextSearch", &["ENTS A"])]).expect("valid").matches(&payments()));
        assert!(!filters(&[("FullTextSearch", &["platform"])]).expect("valid").matches(&payments()));
        assert!(filters(&[("FullTextSearch", &["orders", "pay"])]).expect("any value").matches(&payments()));
        assert!(filters(&[("FullTextSearch", &[])]).expect("no values").matches(&payments()));
        assert!(ProductFilters::parse(None).expect("none").matches(&payments()));
    }

    #[test]
    fn every_key_must_match() {
        let both = filters(&[("FullTextSearch", &["pay"]), ("Owner", &["platform"])]).expect("valid");
        assert!(both.matches(&payments()));
        let other_owner = filters(&[("FullTextSearch", &["pay"]), ("Owner", &["security"])]).expect("valid");
        assert!(!other_owner.matches(&payments()));
        assert!(filters(&[("ProductType", &["CLOUD_FORMATION_TEMPLATE"])]).expect("valid").matches(&payments()));
        assert!(!filters(&[("ProductType", &["MARKETPLACE"])]).expect("valid").matches(&payments()));
        assert!(!filters(&[("SourceProductId", &["prod-abc"])]).expect("valid").matches(&payments()));
    }

    #[test]
    fn an_unknown_filter_key_is_invalid_parameters_naming_the_valid_ones() {
        let error = filters(&[("SearchQuery", &["name:pay"])]).expect_err("not a SearchProducts key");
        assert_eq!(error.code, ErrorCode::InvalidParameters);
        assert!(error.message.contains("SearchQuery") && error.message.contains("FullTextSearch"), "{}", error.message);
    }

    #[test]
    fn sort_fields_are_the_documented_ones() {
        assert_eq!(
            parse_product_sort(Some("Title"), Some("DESCENDING")).expect("valid"),
            Some(ProductSort { field: ProductSortField::Title, descending: true })
        );
        assert_eq!(parse_product_sort(None, Some("DESCENDING")).expect("unsorted"), None);
        assert!(parse_product_sort(Some("name"), None).is_err());
        assert!(parse_product_sort(Some("Title"), Some("UP")).is_err());
    }
}
