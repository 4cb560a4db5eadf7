//! `ServiceCatalogProvisionedProducts`: SearchProvisionedProducts requests, the exact match kept from the full-text
//! search's answers, and paging.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_servicecatalog::types::{
    AccessLevelFilterKey, ProvisionedProductAttribute, ProvisionedProductStatus, ProvisionedProductViewFilterBy,
};
use sc_stack_importer::ids::ProvisionedProductId;
use sc_stack_importer::ports::{FailureKind, ProvisionedProduct, ServiceFailure};

use super::*;

/// Another stack whose ARN starts like ours: what a full-text search on our ARN may also find.
const OTHER_ARN: &str =
    "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api-v2/6c6f9b51-9f7c-11ef-8f3a-0affd3a1b2c3";

fn products(rules: &[&Rule]) -> ServiceCatalogProvisionedProducts {
    ServiceCatalogProvisionedProducts::new(client(rules), AcceptLanguage::En)
}

fn attribute(id: &str, name: &str, physical_id: &str) -> ProvisionedProductAttribute {
    ProvisionedProductAttribute::builder()
        .id(id)
        .name(name)
        .physical_id(physical_id)
        .status(ProvisionedProductStatus::Available)
        .last_record_id(format!("rec-{id}"))
        .build()
}

fn page(found: &[(&str, &str, &str)], next: Option<&str>) -> SearchProvisionedProductsOutput {
    let mut output = SearchProvisionedProductsOutput::builder();
    for (id, name, physical_id) in found {
        output = output.provisioned_products(attribute(id, name, physical_id));
    }
    output.set_next_page_token(next.map(str::to_owned)).build()
}

/// What the port returns for `attribute(id, name, physical_id)`.
fn provisioned(id: &str, name: &str, physical_id: &str) -> ProvisionedProduct {
    ProvisionedProduct {
        id: ProvisionedProductId::parse(id).unwrap(),
        name: name.into(),
        physical_id: Some(physical_id.into()),
        status: Some("AVAILABLE".into()),
        last_record_id: Some(record_id(&format!("rec-{id}"))),
    }
}

#[tokio::test]
async fn a_stack_is_searched_for_by_its_physical_id_in_the_whole_account() {
    let sent = Sent::new();
    let rule = mock!(Client::search_provisioned_products)
        .match_requests(sent.recorder())
        .then_output(|| page(&[("pp-1", "payments-api", ARN)], None));

    let found = products(&[&rule]).by_stack(&stack_arn()).await.unwrap();

    // The product comes across whole, with its status and the record of its last request
    assert_eq!(found, Some(provisioned("pp-1", "payments-api", ARN)));
    let request = sent.only();
    let access = request.access_level_filter().expect("an AccessLevelFilter");
    assert_eq!(access.key(), Some(&AccessLevelFilterKey::Account));
    assert_eq!(access.value(), Some("self"));
    assert_eq!(
        request.filters(),
        Some(&HashMap::from([(ProvisionedProductViewFilterBy::SearchQuery, vec![format!("physicalId:{ARN}")])]))
    );
    assert_eq!(request.accept_language(), Some("en"));
    assert_eq!(request.page_size(), Some(100));
    assert_eq!(request.page_token(), None);
}

#[tokio::test]
async fn a_name_is_searched_for_by_the_name() {
    let sent = Sent::new();
    let rule =
        mock!(Client::search_provisioned_products).match_requests(sent.recorder()).then_output(|| page(&[], None));

    let found = products(&[&rule]).by_name(&name("payments-api")).await.unwrap();

    assert_eq!(found, None);
    let filters = sent.only().filters().cloned().unwrap_or_default();
    assert_eq!(filters.get(&ProvisionedProductViewFilterBy::SearchQuery), Some(&vec!["name:payments-api".to_owned()]));
}

#[tokio::test]
async fn a_product_with_exactly_the_name_is_found_by_name() {
    // GIVEN the product of another stack has the name
    let rule = mock!(Client::search_provisioned_products)
        .then_output(|| page(&[("pp-other", "payments-api", OTHER_ARN)], None));

    let found = products(&[&rule]).by_name(&name("payments-api")).await.unwrap();

    assert_eq!(found, Some(provisioned("pp-other", "payments-api", OTHER_ARN)));
}

#[tokio::test]
async fn a_longer_name_found_by_the_full_text_search_is_no_conflict() {
    // GIVEN the name search also finds `payments-api-v2`, as Service Catalog's full-text search does
    let rule = mock!(Client::search_provisioned_products)
        .then_output(|| page(&[("pp-other", "payments-api-v2", OTHER_ARN)], None));
    // WHEN the name `payments-api` is looked up
    let found = products(&[&rule]).by_name(&name("payments-api")).await.unwrap();
    // THEN nobody has that exact name
    assert_eq!(found, None);
}

#[tokio::test]
async fn another_stack_found_by_the_physical_id_search_is_not_the_stack_s_product() {
    // GIVEN the search answers with the product of a stack whose ARN merely resembles ours, and with a product that
    // has our stack's name but another stack
    let rule = mock!(Client::search_provisioned_products).then_output(|| {
        page(&[("pp-v2", "payments-api-v2", OTHER_ARN), ("pp-other", "payments-api", OTHER_ARN)], None)
    });

    let found = products(&[&rule]).by_stack(&stack_arn()).await.unwrap();

    assert_eq!(found, None);
}

#[tokio::test]
async fn the_exact_match_is_picked_from_among_the_near_misses() {
    let by_stack = mock!(Client::search_provisioned_products)
        .then_output(|| page(&[("pp-v2", "payments-api-v2", OTHER_ARN), ("pp-1", "payments-api", ARN)], None));
    let by_name = mock!(Client::search_provisioned_products)
        .then_output(|| page(&[("pp-v2", "payments-api-v2", OTHER_ARN), ("pp-1", "payments-api", ARN)], None));

    assert_eq!(
        products(&[&by_stack]).by_stack(&stack_arn()).await.unwrap().map(|p| p.id.to_string()),
        Some("pp-1".into())
    );
    assert_eq!(
        products(&[&by_name]).by_name(&name("payments-api")).await.unwrap().map(|p| p.id.to_string()),
        Some("pp-1".into())
    );
}

#[tokio::test]
async fn a_product_without_status_or_with_an_odd_record_id_still_comes_across() {
    // GIVEN a sparse answer: no status, a last record id that is not a Service Catalog id
    let rule = mock!(Client::search_provisioned_products).then_output(|| {
        SearchProvisionedProductsOutput::builder()
            .provisioned_products(
                ProvisionedProductAttribute::builder()
                    .id("pp-1")
                    .name("payments-api")
                    .physical_id(ARN)
                    .last_record_id("rec 1/odd")
                    .build(),
            )
            .build()
    });

    let found = products(&[&rule]).by_stack(&stack_arn()).await.unwrap().unwrap();

    assert_eq!(found.status, None);
    assert_eq!(found.last_record_id, None);
}

#[tokio::test]
async fn an_unusable_provisioned_product_id_is_a_permanent_failure() {
    let rule =
        mock!(Client::search_provisioned_products).then_output(|| page(&[("pp 1/bad", "payments-api", ARN)], None));

    let error = products(&[&rule]).by_stack(&stack_arn()).await.unwrap_err();

    assert_eq!(error.kind, FailureKind::Permanent);
    assert_eq!(error.operation, "SearchProvisionedProducts");
    assert_eq!(error.code, "UnexpectedResponse");
}

// -- paging -------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_exact_match_on_a_later_page_is_found_by_following_the_page_token() {
    // GIVEN two pages of results, the first (only near misses) pointing at the second
    let sent = Sent::new();
    let rule = mock!(Client::search_provisioned_products)
        .match_requests(sent.recorder())
        .sequence()
        .output(|| page(&[("pp-v2", "payments-api-v2", OTHER_ARN)], Some("page-2")))
        .output(|| page(&[("pp-1", "payments-api", ARN)], None))
        .build();
    // WHEN the stack is looked up
    let found = products(&[&rule]).by_stack(&stack_arn()).await.unwrap();
    // THEN the second page's product is it, from two calls, the second asking for page 2 of the same query
    assert_eq!(found, Some(provisioned("pp-1", "payments-api", ARN)));
    assert_eq!(rule.num_calls(), 2);
    let requests = sent.all();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].page_token(), None);
    assert_eq!(requests[1].page_token(), Some("page-2"));
    assert_eq!(requests[1].filters(), requests[0].filters());
    assert_eq!(requests[1].access_level_filter(), requests[0].access_level_filter());
}

#[tokio::test]
async fn the_search_stops_at_the_first_page_with_an_exact_match() {
    // GIVEN a first page with the exact match that still points at a second page
    let rule = mock!(Client::search_provisioned_products)
        .sequence()
        .output(|| page(&[("pp-1", "payments-api", ARN)], Some("page-2")))
        .output(|| page(&[("pp-2", "payments-api", ARN)], None))
        .build();

    let found = products(&[&rule]).by_name(&name("payments-api")).await.unwrap();

    assert_eq!(found.map(|product| product.id.to_string()), Some("pp-1".into()));
    assert_eq!(rule.num_calls(), 1, "page 2 was not asked for");
}

#[tokio::test]
async fn an_empty_next_page_token_ends_the_search() {
    let rule = mock!(Client::search_provisioned_products)
        .then_output(|| page(&[("pp-v2", "payments-api-v2", OTHER_ARN)], Some("")));

    let found = products(&[&rule]).by_name(&name("payments-api")).await.unwrap();

    assert_eq!(found, None);
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn a_search_that_never_stops_paging_is_cut_short_after_20_pages() {
    // GIVEN a service that always has another page, of near misses only
    let rule = mock!(Client::search_provisioned_products)
        .sequence()
        .output(|| page(&[("pp-v2", "payments-api-v2", OTHER_ARN)], Some("again")))
        .repeatedly()
        .build();
    // WHEN the stack is looked up, THEN the search ends on its own, without a match, after 20 calls
    let found = tokio::time::timeout(Duration::from_secs(30), products(&[&rule]).by_stack(&stack_arn()))
        .await
        .expect("the search ends")
        .unwrap();
    assert_eq!(found, None);
    assert_eq!(rule.num_calls(), 20);
}

#[tokio::test]
async fn a_failed_search_page_fails_the_search() {
    // GIVEN a first page without the match, then an outage on page 2
    let rule = mock!(Client::search_provisioned_products)
        .sequence()
        .output(|| page(&[("pp-v2", "payments-api-v2", OTHER_ARN)], Some("page-2")))
        .http_status(500, None)
        .times(3)
        .build();

    let error = products(&[&rule]).by_stack(&stack_arn()).await.unwrap_err();

    assert_eq!(error.kind, FailureKind::Transient, "{error}");
    assert_eq!(error.operation, "SearchProvisionedProducts");
    assert_eq!(rule.num_calls(), 4, "one page, then three attempts at the second");
}

#[tokio::test]
async fn a_search_refused_for_access_is_access_denied() {
    let rule = mock!(Client::search_provisioned_products)
        .then_http_response(|| json_error(400, "AccessDeniedException", "not authorized to search"));

    let error = products(&[&rule]).by_name(&name("payments-api")).await.unwrap_err();

    assert_eq!(
        error,
        ServiceFailure::new(
            FailureKind::AccessDenied,
            "SearchProvisionedProducts",
            "AccessDeniedException",
            "not authorized to search"
        )
    );
}

#[tokio::test]
async fn every_provisioned_product_is_loaded_page_by_page_without_a_filter() {
    // GIVEN two pages of provisioned products
    let sent = Sent::new();
    let first = mock!(Client::search_provisioned_products)
        .match_requests(sent.recorder())
        .then_output(|| page(&[("pp-1", "one", ARN), ("pp-2", "two", OTHER_ARN)], Some("100")));
    let second = mock!(Client::search_provisioned_products)
        .match_requests(sent.recorder())
        .then_output(|| page(&[("pp-3", "three", "not-a-stack")], None));
    // WHEN a sweep loads them all
    let all = products(&[&first, &second]).all().await.unwrap();
    // THEN both pages were read, account-wide and unfiltered, and every product came back
    assert_eq!(all.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["one", "two", "three"]);
    let requests = sent.all();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.filters().is_none()), "{requests:?}");
    assert_eq!(requests[0].access_level_filter().unwrap().key(), Some(&AccessLevelFilterKey::Account));
    assert_eq!((requests[0].page_token(), requests[1].page_token()), (None, Some("100")));
}
