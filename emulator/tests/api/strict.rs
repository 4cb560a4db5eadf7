//! Strict mode, one scenario per switch, each run without the switch (the default, lenient emulator) and with it.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_servicecatalog::Client;
use aws_sdk_servicecatalog::config::timeout::TimeoutConfig;
use aws_sdk_servicecatalog::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_servicecatalog::operation::import_as_provisioned_product::ImportAsProvisionedProductError as ImportError;
use aws_sdk_servicecatalog::types::{ProvisionedProductAttribute, ProvisionedProductStatus, RecordStatus};
use hyper::Method;
use sc_emulator::catalog::CatalogRules;
use sc_emulator::strict::StrictMode;

use crate::support::{OTHER_TEMPLATE_YAML, TEMPLATE_YAML, TestEnv, exchange, service_error};

fn rules(rules: CatalogRules) -> StrictMode {
    StrictMode { rules, ..StrictMode::default() }
}

async fn by_query(env: &TestEnv, query: &str) -> Vec<ProvisionedProductAttribute> {
    let found = env
        .client
        .search_provisioned_products()
        .filters(aws_sdk_servicecatalog::types::ProvisionedProductViewFilterBy::SearchQuery, vec![query.to_owned()])
        .send()
        .await
        .expect("search");
    found.provisioned_products().to_vec()
}

/// An SDK client for `env` that gives up on any call after `timeout`, as the function does near its deadline.
fn impatient_client(env: &TestEnv, timeout: Duration) -> Client {
    let config = crate::support::sdk_client(&format!("http://{}", env.addr()))
        .config()
        .to_builder()
        .timeout_config(TimeoutConfig::builder().operation_timeout(timeout).build())
        .build();
    Client::from_conf(config)
}

#[tokio::test]
async fn search_lag_ms_hides_a_new_provisioned_product_from_search_until_the_lag_has_passed() {
    let lag = Duration::from_millis(500);
    for strict in [StrictMode::default(), rules(CatalogRules { search_lag: lag, ..CatalogRules::default() })] {
        // GIVEN a stack just imported
        let env = TestEnv::start_strict(strict.clone()).await;
        let seeded = env.seed("payments", TEMPLATE_YAML).await;
        let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
        env.imported(&seeded, "payments-api", &stack, "t").await;
        let query = format!("physicalId:{stack}");
        if strict.rules.search_lag.is_zero() {
            // THEN without a lag, search lists it at once
            assert_eq!(by_query(&env, &query).await.len(), 1);
            continue;
        }
        // THEN with a lag, search does not list it until the lag has passed
        assert!(by_query(&env, &query).await.is_empty());
        env.advance(lag - Duration::from_millis(1));
        assert!(by_query(&env, &query).await.is_empty());
        // AND the service's own checks see it all along: the same name is already taken
        let other = env.aws.add_stack("orders-api", "CREATE_COMPLETE", TEMPLATE_YAML);
        let error = env.import(&seeded, "payments-api", &other, "t2").await.expect_err("name taken");
        assert!(matches!(service_error(error), ImportError::DuplicateResourceException(_)));
        env.advance(Duration::from_millis(1));
        let found = by_query(&env, &query).await;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].status(), Some(&ProvisionedProductStatus::UnderChange));
    }
}

#[tokio::test]
async fn failed_import_keeps_name_leaves_an_error_product_whose_last_record_explains_the_failure() {
    for keep in [false, true] {
        // GIVEN an import whose record fails (the stack's template is not the artifact's)
        let env =
            TestEnv::start_strict(rules(CatalogRules { failed_import_keeps_name: keep, ..Default::default() })).await;
        let seeded = env.seed("payments", TEMPLATE_YAML).await;
        let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", OTHER_TEMPLATE_YAML);
        let record = env.imported(&seeded, "payments-api", &stack, "t").await;
        env.finish_records();
        let found = by_query(&env, &format!("physicalId:{stack}")).await;
        let other = env.aws.add_stack("orders-api", "CREATE_COMPLETE", TEMPLATE_YAML);
        let same_name = env.import(&seeded, "payments-api", &other, "t2").await;
        if !keep {
            // THEN by default the provisioned product is gone, and its name is free again
            assert!(found.is_empty());
            assert!(same_name.is_ok(), "{same_name:?}");
            continue;
        }
        // THEN with the switch it is listed in ERROR, its last record the failed one
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].status(), Some(&ProvisionedProductStatus::Error));
        assert_eq!(found[0].last_record_id(), record.record_id());
        assert_eq!(found[0].id(), record.provisioned_product_id());
        assert_eq!(by_query(&env, "status:ERROR").await.len(), 1);
        // AND that record says why
        let last = env.record(found[0].last_record_id().expect("last record")).await;
        assert_eq!(last.status(), Some(&RecordStatus::Failed));
        let codes: Vec<_> = last.record_errors().iter().filter_map(|error| error.code()).collect();
        assert_eq!(codes, ["TemplateMismatch"]);
        // AND its name stays taken
        assert!(matches!(
            service_error(same_name.expect_err("name taken")),
            ImportError::DuplicateResourceException(_)
        ));
    }
}

#[tokio::test]
async fn strict_idempotency_refuses_a_reused_token_with_other_parameters_and_replays_the_same_request() {
    for strict in [false, true] {
        // GIVEN an accepted import
        let env = TestEnv::start_strict(rules(CatalogRules { strict_idempotency: strict, ..Default::default() })).await;
        let seeded = env.seed("payments", TEMPLATE_YAML).await;
        let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
        let first = env.imported(&seeded, "payments-api", &stack, "token-1").await;
        env.finish_records();
        // WHEN its token is used again with the same parameters, THEN the first record answers, in both modes
        let same = env.imported(&seeded, "payments-api", &stack, "token-1").await;
        assert_eq!(same.record_id(), first.record_id());
        // WHEN its token is used again for another name
        let renamed = env.import(&seeded, "orders-api", &stack, "token-1").await;
        if strict {
            // THEN with the switch, the request is refused
            let error = service_error(renamed.expect_err("reused token"));
            assert!(error.message().unwrap_or_default().contains("IdempotencyToken 'token-1'"), "{error:?}");
            assert!(error.message().unwrap_or_default().contains("ProvisionedProductName 'orders-api'"), "{error:?}");
            assert!(matches!(error, ImportError::InvalidParametersException(_)));
        } else {
            // THEN by default, the first record answers, whatever the new request said
            let output = renamed.expect("replayed");
            assert_eq!(output.record_detail().and_then(|record| record.record_id()), first.record_id());
        }
        // AND nothing else was imported
        let found = env.client.search_provisioned_products().send().await.expect("search");
        assert_eq!(found.total_results_count(), 1);
    }
}

#[tokio::test]
async fn https_template_urls_reports_the_artifact_url_as_https_while_imports_still_fetch_it_as_given() {
    for https in [false, true] {
        // GIVEN a product whose artifact template is served over plain HTTP, as moto's S3 serves it
        let env = TestEnv::start_strict(StrictMode { https_template_urls: https, ..StrictMode::default() }).await;
        let seeded = env.seed("payments", TEMPLATE_YAML).await;
        assert!(seeded.template_url.starts_with("http://127.0.0.1:"), "{}", seeded.template_url);
        let expected =
            if https { seeded.template_url.replacen("http://", "https://", 1) } else { seeded.template_url.clone() };
        // WHEN the function reads the artifact
        let described = env
            .client
            .describe_provisioning_artifact()
            .product_id(&seeded.product_id)
            .provisioning_artifact_id(&seeded.artifact_id)
            .send()
            .await
            .expect("describe");
        // THEN its TemplateUrl is as given by default, and https:// with the switch
        let url = described.info().and_then(|info| info.get("TemplateUrl")).cloned();
        assert_eq!(url.as_deref(), Some(expected.as_str()));
        // AND an import still succeeds: the emulator fetches the URL as it was given
        let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
        let record = env.imported(&seeded, "payments-api", &stack, "t").await;
        env.finish_records();
        let ended = env.record(record.record_id().expect("id")).await;
        assert_eq!(ended.status(), Some(&RecordStatus::Succeeded), "{:?}", ended.record_errors());
    }
}

#[tokio::test]
async fn latency_holds_back_the_answer_of_the_named_operation_after_it_has_run() {
    let delay = Duration::from_millis(400);
    for slow in [false, true] {
        let latency =
            if slow { BTreeMap::from([("ImportAsProvisionedProduct".to_owned(), delay)]) } else { BTreeMap::new() };
        let env = TestEnv::start_strict(StrictMode { latency, ..StrictMode::default() }).await;
        let seeded = env.seed("payments", TEMPLATE_YAML).await;
        let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
        // WHEN a caller that waits at most 150 ms imports a stack
        let impatient = impatient_client(&env, Duration::from_millis(150));
        let started = Instant::now();
        let answer = impatient
            .import_as_provisioned_product()
            .product_id(&seeded.product_id)
            .provisioning_artifact_id(&seeded.artifact_id)
            .provisioned_product_name("payments-api")
            .physical_id(&stack)
            .idempotency_token("t")
            .send()
            .await;
        if slow {
            // THEN with a latency, the caller gives up
            assert!(matches!(answer, Err(SdkError::TimeoutError(_))), "{answer:?}");
            // AND yet the import ran: the product exists, and a patient retry with the token gets its record
            let found = env.client.search_provisioned_products().send().await.expect("search");
            assert_eq!(found.total_results_count(), 1);
            let started = Instant::now();
            let retried = env.imported(&seeded, "payments-api", &stack, "t").await;
            assert!(started.elapsed() >= delay, "{:?}", started.elapsed());
            assert_eq!(retried.record_id(), found.provisioned_products()[0].last_record_id());
        } else {
            // THEN without one, the answer comes at once
            assert!(answer.is_ok(), "{answer:?}");
            assert!(started.elapsed() < delay, "{:?}", started.elapsed());
        }
        // AND other operations are not held back
        let started = Instant::now();
        env.client.search_provisioned_products().send().await.expect("search");
        assert!(started.elapsed() < delay, "{:?}", started.elapsed());
    }
}

#[tokio::test]
async fn the_control_endpoint_changes_an_operations_latency_at_run_time() {
    let env = TestEnv::start().await;
    let timed_search = || async {
        let started = Instant::now();
        env.client.search_provisioned_products().send().await.expect("search");
        started.elapsed()
    };
    let delay = Duration::from_millis(300);
    assert!(timed_search().await < delay, "no latency to begin with");

    let addr = env.addr();
    let set = |ms: u64| async move {
        let body = format!(r#"{{"operation":"SearchProvisionedProducts","ms":{ms}}}"#);
        exchange(addr, Method::POST, "/_emulator/latency", None, &body).await
    };
    let (status, _, body) = set(300).await;
    assert_eq!(status, 200, "{body}");
    let table: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(table["latency"]["SearchProvisionedProducts"], 300);
    assert!(timed_search().await >= delay);

    let (status, _, body) = set(0).await;
    assert_eq!((status, body.as_str()), (200, r#"{"latency":{}}"#));
    assert!(timed_search().await < delay);
    let (status, _, body) = exchange(env.addr(), Method::GET, "/_emulator/latency", None, "").await;
    assert_eq!((status, body.as_str()), (200, r#"{"latency":{}}"#));

    let unknown = r#"{"operation":"ProvisionProduct","ms":5}"#;
    let (status, _, body) = exchange(env.addr(), Method::POST, "/_emulator/latency", None, unknown).await;
    assert_eq!(status, 400);
    assert!(body.contains("InvalidParametersException"), "{body}");
}
