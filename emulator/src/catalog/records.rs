//! Records and the provisioned products they create, as they stand at a moment: DescribeRecord,
//! SearchProvisionedProducts, and the status timeline worked out from a record's age.

use std::time::SystemTime;

use super::state::{
    Catalog, ProvisionedProduct, ProvisionedProductView, Record, RecordEnding, RecordStatus, RecordView, SearchPage,
};
use crate::error::ServiceError;
use crate::search::{PageRequest, SearchTerm, Searchable, Sort, SortField};

impl Catalog {
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

    /// SearchProvisionedProducts over the provisioned products that exist at `now` and that the search index
    /// already shows (the search lag).
    pub fn search(&self, terms: &[SearchTerm], sort: Option<Sort>, page: PageRequest, now: SystemTime) -> SearchPage {
        let mut found: Vec<ProvisionedProductView> = self
            .provisioned
            .iter()
            .filter(|product| self.indexed(product, now))
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
    /// import failed is ERROR when the rules keep it, and otherwise does not exist (None): its name and stack are
    /// free again.
    fn provisioned_status(&self, product: &ProvisionedProduct, now: SystemTime) -> Option<&'static str> {
        let record = self.records.iter().find(|record| record.id == product.last_record_id)?;
        match self.status_at(record, now).0 {
            RecordStatus::Created | RecordStatus::InProgress => Some("UNDER_CHANGE"),
            RecordStatus::Succeeded => Some("AVAILABLE"),
            RecordStatus::Failed => self.rules.failed_import_keeps_name.then_some("ERROR"),
        }
    }

    /// Whether search already lists a provisioned product: at once without a search lag, else once the lag has
    /// passed since it was created.
    fn indexed(&self, product: &ProvisionedProduct, now: SystemTime) -> bool {
        let lag = self.rules.search_lag;
        lag.is_zero() || now.duration_since(product.created).is_ok_and(|age| age >= lag)
    }

    pub(super) fn live_provisioned_products(&self, now: SystemTime) -> impl Iterator<Item = &ProvisionedProduct> {
        self.provisioned.iter().filter(move |product| self.provisioned_status(product, now).is_some())
    }

    /// CREATED for one step, IN_PROGRESS for the next, then the ending; with the time of the last change.
    pub(super) fn status_at(&self, record: &Record, now: SystemTime) -> (RecordStatus, SystemTime) {
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
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::catalog::fixtures::{STACK, STEP, facts, request, seeded, start};
    use crate::catalog::state::{CatalogRules, RecordError};

    fn everything(catalog: &Catalog, at: SystemTime) -> SearchPage {
        catalog.search(&[], None, PageRequest::parse(None, None).expect("page"), at)
    }

    #[test]
    fn a_record_is_created_then_in_progress_then_ends_one_step_apart() {
        let (mut catalog, product, artifact) = seeded();
        let view = catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Succeeded,
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
                start(),
            )
            .expect("admitted");
        assert!(view.errors().is_empty());
        let ended = catalog.record(&view.record.id, start() + STEP * 2).expect("record");
        assert_eq!(ended.status, RecordStatus::Failed);
        assert_eq!(ended.errors(), [error]);
    }

    #[test]
    fn a_failed_import_frees_its_name_and_stack() {
        let (mut catalog, product, artifact) = seeded();
        catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Failed(vec![]),
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
            later,
        );
        assert!(again.is_ok(), "{again:?}");
    }

    #[test]
    fn with_failed_import_keeps_name_a_failed_import_leaves_an_error_product_holding_its_name_and_stack() {
        let (catalog, product, artifact) = seeded();
        let mut catalog =
            catalog.with_rules(CatalogRules { failed_import_keeps_name: true, ..CatalogRules::default() });
        let error = RecordError { code: "TemplateMismatch".to_owned(), description: "differs".to_owned() };
        let view = catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Failed(vec![error]),
                start(),
            )
            .expect("admitted");
        assert_eq!(everything(&catalog, start()).products[0].status, "UNDER_CHANGE");
        let later = start() + STEP * 2;
        let page = everything(&catalog, later);
        assert_eq!(page.total, 1);
        assert_eq!(page.products[0].status, "ERROR");
        assert_eq!(page.products[0].product.last_record_id, view.record.id);
        let status_error = [SearchTerm::parse("status:ERROR")];
        let found = catalog.search(&status_error, None, PageRequest::parse(None, None).expect("page"), later);
        assert_eq!(found.total, 1);

        let orders = "arn:aws:cloudformation:us-east-1:111122223333:stack/orders/1";
        for (name, stack) in [("payments-api", orders), ("other", STACK)] {
            let again = catalog.admit_import(
                &request(&product, &artifact, name, stack, &format!("t-{name}")),
                &facts(stack, "CREATE_COMPLETE"),
                RecordEnding::Succeeded,
                later,
            );
            assert_eq!(again.expect_err(name).code, crate::error::ErrorCode::DuplicateResource, "{name}");
        }
    }

    #[test]
    fn with_a_search_lag_a_product_is_listed_only_once_the_lag_has_passed() {
        let (catalog, product, artifact) = seeded();
        let lag = Duration::from_millis(500);
        let mut catalog = catalog.with_rules(CatalogRules { search_lag: lag, ..CatalogRules::default() });
        catalog
            .admit_import(
                &request(&product, &artifact, "payments-api", STACK, "t1"),
                &facts(STACK, "CREATE_COMPLETE"),
                RecordEnding::Succeeded,
                start(),
            )
            .expect("admitted");
        assert_eq!(everything(&catalog, start()).total, 0);
        assert_eq!(everything(&catalog, start() + Duration::from_millis(499)).total, 0);
        assert_eq!(everything(&catalog, start() + lag).total, 1);
        // Only search lags: the service's own checks see the product at once.
        let again = catalog.admit_import(
            &request(&product, &artifact, "payments-api", STACK, "t2"),
            &facts(STACK, "CREATE_COMPLETE"),
            RecordEnding::Succeeded,
            start() + Duration::from_millis(100),
        );
        assert_eq!(again.expect_err("duplicate").code, crate::error::ErrorCode::DuplicateResource);
    }
}
