//! SearchProducts as the function's discovery calls it: every product of the caller's account and region, page by
//! page, with `FullTextSearch` and the documented sorts.

use aws_sdk_servicecatalog::Client;
use aws_sdk_servicecatalog::error::ProvideErrorMetadata;
use aws_sdk_servicecatalog::operation::search_products::SearchProductsError;
use aws_sdk_servicecatalog::types::{
    ProductType, ProductViewFilterBy, ProductViewSortBy, ProductViewSummary, ProvisioningArtifactProperties, SortOrder,
};
use hyper::Method;

use crate::support::{REGION, TEST_KEY, TestEnv, exchange, service_error};

const MEMBER: &str = "210987654321";
const MEMBER_KEY: &str = "ASIAMEMBER0000000002";

/// CreateProduct with an artifact loaded from a URL (never fetched at creation); the product id.
async fn create(client: &Client, name: &str, owner: &str) -> String {
    let output = client
        .create_product()
        .name(name)
        .owner(owner)
        .description(format!("{name} service"))
        .distributor("platform")
        .support_email("platform@example.com")
        .product_type(ProductType::CloudFormationTemplate)
        .provisioning_artifact_parameters(
            ProvisioningArtifactProperties::builder()
                .name("v1")
                .info("LoadTemplateFromURL", "http://127.0.0.1:9/templates/t.yaml")
                .build(),
        )
        .send()
        .await
        .expect("CreateProduct");
    output
        .product_view_detail()
        .and_then(|detail| detail.product_view_summary())
        .and_then(|s| s.product_id())
        .map(str::to_owned)
        .expect("id")
}

/// Every page of SearchProducts with `page_size`: the size of each page, and every summary in order.
async fn every_page(client: &Client, page_size: i32) -> (Vec<usize>, Vec<ProductViewSummary>) {
    let (mut sizes, mut summaries, mut token) = (Vec::new(), Vec::new(), None::<String>);
    loop {
        let output = client
            .search_products()
            .page_size(page_size)
            .set_page_token(token.clone())
            .send()
            .await
            .expect("SearchProducts");
        sizes.push(output.product_view_summaries().len());
        summaries.extend(output.product_view_summaries().iter().cloned());
        token = output.next_page_token().map(str::to_owned);
        if token.is_none() {
            return (sizes, summaries);
        }
        assert!(sizes.len() < 100, "the pages never end");
    }
}

async fn names_found(client: &Client, text: &str) -> Vec<String> {
    let output = client
        .search_products()
        .filters(ProductViewFilterBy::FullTextSearch, vec![text.to_owned()])
        .send()
        .await
        .expect("SearchProducts");
    output.product_view_summaries().iter().filter_map(|summary| summary.name().map(str::to_owned)).collect()
}

#[tokio::test]
async fn forty_five_products_come_in_pages_of_20_20_and_5_each_once_in_creation_order() {
    // GIVEN 45 products
    let env = TestEnv::start().await;
    let mut ids = Vec::new();
    for index in 0..45 {
        ids.push(create(&env.client, &format!("product-{index:02}"), "platform-team").await);
    }
    // WHEN they are searched 20 at a time
    let (sizes, summaries) = every_page(&env.client, 20).await;
    // THEN the pages hold 20, 20 and 5, the last without a token, and every product comes once, in creation order
    assert_eq!(sizes, [20, 20, 5]);
    let found: Vec<&str> = summaries.iter().filter_map(|summary| summary.product_id()).collect();
    assert_eq!(found, ids.iter().map(String::as_str).collect::<Vec<_>>());
    // AND each summary is the product's view, as DescribeProductAsAdmin shows it
    let first = &summaries[0];
    assert_eq!(first.name(), Some("product-00"));
    assert_eq!(first.owner(), Some("platform-team"));
    assert_eq!(first.short_description(), Some("product-00 service"));
    assert_eq!(first.distributor(), Some("platform"));
    assert_eq!(first.support_email(), Some("platform@example.com"));
    assert_eq!(first.r#type(), Some(&ProductType::CloudFormationTemplate));
    assert!(!first.has_default_path());
    let described = env.client.describe_product_as_admin().id(&ids[0]).send().await.expect("describe");
    let view_id = described.product_view_detail().and_then(|d| d.product_view_summary()).and_then(|s| s.id());
    assert!(first.id().is_some_and(|id| id.starts_with("prodview-")), "{first:?}");
    assert_eq!(first.id(), view_id);
    // AND without a page size, a page holds 20
    let output = env.client.search_products().send().await.expect("default page");
    assert_eq!(output.product_view_summaries().len(), 20);
    assert!(output.next_page_token().is_some());
}

#[tokio::test]
async fn full_text_search_finds_a_case_insensitive_part_of_the_name() {
    let env = TestEnv::start().await;
    for name in ["payments-api", "Payroll", "orders-api", "audit"] {
        create(&env.client, name, "platform-team").await;
    }
    assert_eq!(names_found(&env.client, "PAY").await, ["payments-api", "Payroll"]);
    assert_eq!(names_found(&env.client, "-api").await, ["payments-api", "orders-api"]);
    assert!(names_found(&env.client, "platform").await.is_empty(), "the owner is not the name");
    // AND the documented sorts apply
    let sorted = env
        .client
        .search_products()
        .sort_by(ProductViewSortBy::Title)
        .sort_order(SortOrder::Descending)
        .send()
        .await
        .expect("sorted");
    let names: Vec<_> = sorted.product_view_summaries().iter().filter_map(|summary| summary.name()).collect();
    assert_eq!(names, ["Payroll", "payments-api", "orders-api", "audit"]);
}

#[tokio::test]
async fn products_of_another_account_or_region_are_not_listed() {
    // GIVEN one product in each of the tests' account, a member account, and the tests' account in eu-west-1
    let env = TestEnv::start().await;
    env.aws.register_key(MEMBER_KEY, MEMBER);
    let member = env.client_as(MEMBER_KEY, REGION);
    let ireland = env.client_as(TEST_KEY, "eu-west-1");
    let ours = create(&env.client, "payments", "platform-team").await;
    let theirs = create(&member, "payments", "platform-team").await;
    let there = create(&ireland, "payments", "platform-team").await;
    // THEN each caller finds its own product only
    for (client, expected) in [(&env.client, &ours), (&member, &theirs), (&ireland, &there)] {
        let (_, summaries) = every_page(client, 100).await;
        let found: Vec<_> = summaries.iter().filter_map(|summary| summary.product_id()).collect();
        assert_eq!(found, [expected.as_str()]);
    }
}

#[tokio::test]
async fn an_unknown_filter_key_or_sort_is_invalid_parameters() {
    let env = TestEnv::start().await;
    let error = env
        .client
        .search_products()
        .filters(ProductViewFilterBy::from("SearchQuery"), vec!["name:x".to_owned()])
        .send()
        .await
        .expect_err("not a SearchProducts filter");
    let error = service_error(error);
    assert!(error.message().unwrap_or_default().contains("FullTextSearch"), "{error:?}");
    assert!(matches!(error, SearchProductsError::InvalidParametersException(_)));
    let error = env.client.search_products().page_size(101).send().await.expect_err("page size");
    assert!(matches!(service_error(error), SearchProductsError::InvalidParametersException(_)));
}

#[tokio::test]
async fn search_products_takes_a_latency_like_every_operation() {
    let env = TestEnv::start().await;
    let body = r#"{"operation":"SearchProducts","ms":5}"#;
    let (status, _, answer) = exchange(env.addr(), Method::POST, "/_emulator/latency", None, body).await;
    assert_eq!((status, answer.as_str()), (200, r#"{"latency":{"SearchProducts":5}}"#));
}
