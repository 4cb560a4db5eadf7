//! SearchProvisionedProducts' query language as far as the emulator speaks it: `SearchQuery` terms, the access level,
//! sorting and pages.
//!
//! The service documents `SearchQuery` as a full-text search whose terms may be scoped as `field:value`; here a term
//! matches when the value is a case-insensitive substring of the field (so `name:pay` finds `payments`), and a term
//! without a known field matches any of the searchable fields. Several terms must all match.

use std::collections::HashMap;

use crate::error::ServiceError;

/// The documented maximum page size; the default when none is given is the emulator's choice.
pub const MAX_PAGE_SIZE: i64 = 100;
pub const DEFAULT_PAGE_SIZE: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchField {
    PhysicalId,
    Name,
    Id,
    ProductId,
    ProvisioningArtifactId,
    Status,
}

impl SearchField {
    fn parse(key: &str) -> Option<Self> {
        const FIELDS: [(&str, SearchField); 6] = [
            ("physicalId", SearchField::PhysicalId),
            ("name", SearchField::Name),
            ("id", SearchField::Id),
            ("productId", SearchField::ProductId),
            ("provisioningArtifactId", SearchField::ProvisioningArtifactId),
            ("status", SearchField::Status),
        ];
        FIELDS.iter().find(|(name, _)| name.eq_ignore_ascii_case(key)).map(|&(_, field)| field)
    }
}

/// The fields of one provisioned product that a term can match.
#[derive(Debug, Clone, Copy)]
pub struct Searchable<'a> {
    pub physical_id: &'a str,
    pub name: &'a str,
    pub id: &'a str,
    pub product_id: &'a str,
    pub provisioning_artifact_id: &'a str,
    pub status: &'a str,
}

impl Searchable<'_> {
    fn field(&self, field: SearchField) -> &str {
        match field {
            SearchField::PhysicalId => self.physical_id,
            SearchField::Name => self.name,
            SearchField::Id => self.id,
            SearchField::ProductId => self.product_id,
            SearchField::ProvisioningArtifactId => self.provisioning_artifact_id,
            SearchField::Status => self.status,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm {
    field: Option<SearchField>,
    needle: String,
}

impl SearchTerm {
    /// `key:value` when `key` is a known field; otherwise the whole text is a bare value (a bare stack ARN stays one
    /// value, since `arn` is not one of the keys here).
    pub fn parse(text: &str) -> Self {
        let scoped = text.split_once(':').and_then(|(key, value)| SearchField::parse(key).map(|field| (field, value)));
        match scoped {
            Some((field, value)) => Self { field: Some(field), needle: value.trim().to_lowercase() },
            None => Self { field: None, needle: text.trim().to_lowercase() },
        }
    }

    pub fn matches(&self, product: &Searchable<'_>) -> bool {
        let contains = |haystack: &str| haystack.to_lowercase().contains(&self.needle);
        match self.field {
            Some(field) => contains(product.field(field)),
            None => [
                SearchField::PhysicalId,
                SearchField::Name,
                SearchField::Id,
                SearchField::ProductId,
                SearchField::ProvisioningArtifactId,
            ]
            .into_iter()
            .any(|field| contains(product.field(field))),
        }
    }
}

/// `Filters`: the only valid key is `SearchQuery`.
pub fn parse_filters(filters: Option<&HashMap<String, Vec<String>>>) -> Result<Vec<SearchTerm>, ServiceError> {
    let mut terms = Vec::new();
    for (key, values) in filters.into_iter().flatten() {
        if key != "SearchQuery" {
            return Err(ServiceError::invalid_parameters(format!(
                "Filters key '{key}' is not valid; the only valid key is SearchQuery"
            )));
        }
        terms.extend(values.iter().map(|value| SearchTerm::parse(value)));
    }
    Ok(terms)
}

/// `AccessLevelFilter`: `Account`, `Role` or `User`, with the only supported value `self`. The emulator has one
/// account and no users, so every level sees every provisioned product.
pub fn check_access_level(key: Option<&str>, value: Option<&str>) -> Result<(), ServiceError> {
    if let Some(key) = key
        && !matches!(key, "Account" | "Role" | "User")
    {
        return Err(ServiceError::invalid_parameters(format!(
            "AccessLevelFilter Key '{key}' must be Account, Role or User"
        )));
    }
    if let Some(value) = value
        && !value.eq_ignore_ascii_case("self")
    {
        return Err(ServiceError::invalid_parameters(format!(
            "AccessLevelFilter Value '{value}' is not supported; the only supported value is self"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    Arn,
    Id,
    Name,
    LastRecordId,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

/// `SortBy` (`arn`, `id`, `name`, `lastRecordId`) and `SortOrder`; no `SortBy` means unsorted, which here is the
/// order the products were created in.
pub fn parse_sort(sort_by: Option<&str>, sort_order: Option<&str>) -> Result<Option<Sort>, ServiceError> {
    let descending = parse_descending(sort_order)?;
    let field = match sort_by {
        None => return Ok(None),
        Some("arn") => SortField::Arn,
        Some("id") => SortField::Id,
        Some("name") => SortField::Name,
        Some("lastRecordId") => SortField::LastRecordId,
        Some(other) => {
            return Err(ServiceError::invalid_parameters(format!(
                "SortBy '{other}' must be arn, id, name or lastRecordId"
            )));
        }
    };
    Ok(Some(Sort { field, descending }))
}

/// `SortOrder`, which every search operation takes: whether the order is descending.
pub fn parse_descending(sort_order: Option<&str>) -> Result<bool, ServiceError> {
    match sort_order {
        None | Some("ASCENDING") => Ok(false),
        Some("DESCENDING") => Ok(true),
        Some(other) => {
            Err(ServiceError::invalid_parameters(format!("SortOrder '{other}' must be ASCENDING or DESCENDING")))
        }
    }
}

/// Where a page starts and how long it is. The page token is the offset of the next page's first item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub size: usize,
    pub offset: usize,
}

impl PageRequest {
    pub fn parse(page_size: Option<i64>, page_token: Option<&str>) -> Result<Self, ServiceError> {
        let size = match page_size {
            None | Some(0) => DEFAULT_PAGE_SIZE,
            Some(size @ 1..=MAX_PAGE_SIZE) => size as usize,
            Some(other) => {
                return Err(ServiceError::invalid_parameters(format!(
                    "PageSize {other} must be between 0 and {MAX_PAGE_SIZE}"
                )));
            }
        };
        let offset = match page_token {
            None | Some("") => 0,
            Some(token) => token
                .parse::<usize>()
                .map_err(|_| ServiceError::invalid_parameters(format!("PageToken '{token}' is not valid")))?,
        };
        Ok(Self { size, offset })
    }

    /// This page of `items`, and the token of the next page when there is one.
    pub fn slice<T>(&self, items: Vec<T>) -> (Vec<T>, Option<String>) {
        let total = items.len();
        let end = self.offset.saturating_add(self.size).min(total);
        let next = (end < total).then(|| end.to_string());
        let page = items.into_iter().skip(self.offset).take(end.saturating_sub(self.offset)).collect();
        (page, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn payments() -> Searchable<'static> {
        Searchable {
            physical_id: "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a",
            name: "payments",
            id: "pp-abcdefghijklm",
            product_id: "prod-nopqrstuvwxyz",
            provisioning_artifact_id: "pa-0123456789abc",
            status: "AVAILABLE",
        }
    }

    #[test]
    fn a_scoped_term_matches_a_substring_of_its_field_only() {
        assert!(SearchTerm::parse("name:pay").matches(&payments()));
        assert!(SearchTerm::parse("name:PAY").matches(&payments()));
        assert!(!SearchTerm::parse("name:pp-abc").matches(&payments()));
        assert!(SearchTerm::parse("id:pp-abc").matches(&payments()));
        assert!(SearchTerm::parse("status:AVAILABLE").matches(&payments()));
    }

    #[test]
    fn a_physical_id_term_keeps_the_colons_of_the_arn() {
        let term =
            SearchTerm::parse("physicalId:arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a");
        assert!(term.matches(&payments()));
        let other = SearchTerm::parse("physicalId:arn:aws:cloudformation:us-east-1:111122223333:stack/orders/1");
        assert!(!other.matches(&payments()));
    }

    #[test]
    fn a_bare_term_matches_any_searchable_field() {
        assert!(SearchTerm::parse("prod-nopq").matches(&payments()));
        assert!(SearchTerm::parse("stack/payments-api").matches(&payments()));
        assert!(
            SearchTerm::parse("arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a")
                .matches(&payments())
        );
        assert!(!SearchTerm::parse("orders").matches(&payments()));
    }

    #[test]
    fn only_search_query_is_a_valid_filter_key() {
        let filters = HashMap::from([("SearchQuery".to_owned(), vec!["name:pay".to_owned()])]);
        assert_eq!(parse_filters(Some(&filters)).expect("valid").len(), 1);
        let filters = HashMap::from([("Status".to_owned(), vec!["AVAILABLE".to_owned()])]);
        assert_eq!(parse_filters(Some(&filters)).expect_err("invalid key").code, ErrorCode::InvalidParameters);
    }

    #[test]
    fn every_documented_access_level_is_accepted_with_self() {
        for key in ["Account", "Role", "User"] {
            assert!(check_access_level(Some(key), Some("self")).is_ok(), "{key}");
        }
        assert!(check_access_level(Some("Everyone"), Some("self")).is_err());
        assert!(check_access_level(Some("Account"), Some("someone")).is_err());
    }

    #[test]
    fn pages_cover_every_item_once() {
        let first = PageRequest::parse(Some(2), None).expect("valid");
        let (page, next) = first.slice(vec![1, 2, 3, 4, 5]);
        assert_eq!((page, next.as_deref()), (vec![1, 2], Some("2")));
        let last = PageRequest::parse(Some(2), Some("4")).expect("valid");
        assert_eq!(last.slice(vec![1, 2, 3, 4, 5]), (vec![5], None));
    }

    #[test]
    fn a_page_size_outside_0_to_100_and_a_foreign_token_are_rejected() {
        assert!(PageRequest::parse(Some(101), None).is_err());
        assert!(PageRequest::parse(Some(-1), None).is_err());
        assert!(PageRequest::parse(None, Some("not-a-token")).is_err());
        assert_eq!(PageRequest::parse(Some(0), None).expect("default").size, DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn sort_fields_are_the_documented_ones() {
        assert_eq!(
            parse_sort(Some("name"), Some("DESCENDING")).expect("valid"),
            Some(Sort { field: SortField::Name, descending: true })
        );
        assert_eq!(parse_sort(None, None).expect("unsorted"), None);
        assert!(parse_sort(Some("createdTime"), None).is_err());
    }
}
