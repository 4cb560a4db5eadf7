//! SearchProvisionedProducts as the importer calls it: `SearchQuery` terms, the access level and pages.

use aws_sdk_servicecatalog::operation::search_provisioned_products::SearchProvisionedProductsError;
use aws_sdk_servicecatalog::types::{AccessLevelFilter, AccessLevelFilterKey, ProvisionedProductViewFilterBy};

use crate::support::{ACCOUNT, Seeded, TEMPLATE_YAML, TestEnv, service_error};

/// Imports `names` one after the other (one import at a time), each to the end of its record; their stack ARNs.
async fn imported(env: &TestEnv, seeded: &Seeded, names: &[&str]) -> Vec<String> {
    let mut stacks = Vec::new();
    for name in names {
        let stack = env.aws.add_stack(name, "CREATE_COMPLETE", TEMPLATE_YAML);
        env.imported(seeded, name, &stack, name).await;
        env.finish_records();
        stacks.push(stack);
    }
    stacks
}

async fn names_found(env: &TestEnv, query: &str) -> Vec<String> {
    let output = env
        .client
        .search_provisioned_products()
        .access_level_filter(AccessLevelFilter::builder().key(AccessLevelFilterKey::Account).value("self").build())
        .filters(ProvisionedProductViewFilterBy::SearchQuery, vec![query.to_owned()])
        .send()
        .await
        .expect("search");
    output.provisioned_products().iter().filter_map(|product| product.name().map(str::to_owned)).collect()
}

#[tokio::test]
async fn a_provisioned_product_is_found_by_its_physical_id() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stacks = imported(&env, &seeded, &["payments-api", "orders-api"]).await;
    assert_eq!(names_found(&env, &format!("physicalId:{}", stacks[1])).await, vec!["orders-api"]);
    let unknown = "physicalId:arn:aws:cloudformation:us-east-1:111122223333:stack/unknown/1";
    assert!(names_found(&env, unknown).await.is_empty());
}

#[tokio::test]
async fn a_name_term_matches_a_substring_of_the_name() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    imported(&env, &seeded, &["payments", "orders"]).await;
    assert_eq!(names_found(&env, "name:pay").await, vec!["payments"]);
    assert_eq!(names_found(&env, "name:payments").await, vec!["payments"]);
    assert!(names_found(&env, "name:invoices").await.is_empty());
}

#[tokio::test]
async fn id_product_and_artifact_terms_match_their_fields() {
    let env = TestEnv::start().await;
    let payments = env.seed("payments", TEMPLATE_YAML).await;
    let orders = env.seed("orders", TEMPLATE_YAML).await;
    imported(&env, &payments, &["payments-api"]).await;
    imported(&env, &orders, &["orders-api"]).await;
    assert_eq!(names_found(&env, &format!("productId:{}", orders.product_id)).await, vec!["orders-api"]);
    assert_eq!(
        names_found(&env, &format!("provisioningArtifactId:{}", payments.artifact_id)).await,
        vec!["payments-api"]
    );
    let all = env.client.search_provisioned_products().send().await.expect("search");
    let orders_id = all.provisioned_products().iter().find(|p| p.name() == Some("orders-api")).and_then(|p| p.id());
    assert_eq!(names_found(&env, &format!("id:{}", orders_id.expect("id"))).await, vec!["orders-api"]);
}

#[tokio::test]
async fn a_bare_value_matches_any_searchable_field() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stacks = imported(&env, &seeded, &["payments-api", "orders-api"]).await;
    assert_eq!(names_found(&env, "orders").await, vec!["orders-api"]);
    assert_eq!(names_found(&env, &stacks[0]).await, vec!["payments-api"]);
    assert_eq!(names_found(&env, &seeded.product_id).await.len(), 2);
}

#[tokio::test]
async fn search_results_come_in_pages_linked_by_page_tokens() {
    // GIVEN five provisioned products
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    imported(&env, &seeded, &["a1", "a2", "a3", "a4", "a5"]).await;
    // WHEN they are read two at a time
    let mut names = Vec::new();
    let mut pages = 0;
    let mut token: Option<String> = None;
    loop {
        let page = env
            .client
            .search_provisioned_products()
            .page_size(2)
            .set_page_token(token.take())
            .send()
            .await
            .expect("page");
        pages += 1;
        assert_eq!(page.total_results_count(), 5);
        assert!(page.provisioned_products().len() <= 2);
        names.extend(page.provisioned_products().iter().filter_map(|p| p.name().map(str::to_owned)));
        match page.next_page_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "the pages never end");
    }
    // THEN three pages hold each product once, in creation order
    assert_eq!(pages, 3);
    assert_eq!(names, vec!["a1", "a2", "a3", "a4", "a5"]);
}

#[tokio::test]
async fn search_results_sort_by_name_descending_when_asked() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    imported(&env, &seeded, &["b", "c", "a"]).await;
    let output = env
        .client
        .search_provisioned_products()
        .sort_by("name")
        .sort_order(aws_sdk_servicecatalog::types::SortOrder::Descending)
        .send()
        .await
        .expect("search");
    let names: Vec<_> = output.provisioned_products().iter().filter_map(|p| p.name()).collect();
    assert_eq!(names, vec!["c", "b", "a"]);
}

#[tokio::test]
async fn a_page_size_above_100_is_invalid_parameters() {
    let env = TestEnv::start().await;
    let error = env.client.search_provisioned_products().page_size(101).send().await.expect_err("too big");
    assert!(matches!(service_error(error), SearchProvisionedProductsError::InvalidParametersException(_)));
}

#[tokio::test]
async fn the_user_access_level_sees_the_same_products_as_the_account() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    imported(&env, &seeded, &["payments-api"]).await;
    let output = env
        .client
        .search_provisioned_products()
        .access_level_filter(AccessLevelFilter::builder().key(AccessLevelFilterKey::User).value("self").build())
        .send()
        .await
        .expect("search");
    assert_eq!(output.provisioned_products().len(), 1);
}

#[tokio::test]
async fn every_search_answer_has_the_attributes_the_importer_reads() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stacks = imported(&env, &seeded, &["payments-api"]).await;
    let output = env.client.search_provisioned_products().send().await.expect("search");
    let product = &output.provisioned_products()[0];
    assert_eq!(product.r#type(), Some("CFN_STACK"));
    assert_eq!(product.physical_id(), Some(stacks[0].as_str()));
    assert_eq!(product.product_id(), Some(seeded.product_id.as_str()));
    assert_eq!(product.provisioning_artifact_id(), Some(seeded.artifact_id.as_str()));
    assert!(product.arn().is_some_and(|arn| {
        arn.starts_with(&format!("arn:aws:servicecatalog:us-east-1:{ACCOUNT}:stack/payments-api/pp-"))
    }));
    assert!(product.created_time().is_some());
}
