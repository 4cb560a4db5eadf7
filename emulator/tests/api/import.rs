//! ImportAsProvisionedProduct: what it accepts, each exception it raises, its idempotency token and the one-import-
//! at-a-time rule.

use aws_sdk_servicecatalog::error::ProvideErrorMetadata;
use aws_sdk_servicecatalog::operation::import_as_provisioned_product::ImportAsProvisionedProductError as ImportError;
use aws_sdk_servicecatalog::types::RecordStatus;

use crate::support::{ACCOUNT, FakeStack, TEMPLATE_JSON, TEMPLATE_YAML, TestEnv, service_error};

fn is_real_looking_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == 13 && rest.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
    })
}

#[tokio::test]
async fn an_importable_stack_is_accepted_with_a_created_import_record() {
    // GIVEN a product whose artifact has the stack's template (the stack's copy is JSON, the artifact's YAML)
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_JSON);
    // WHEN it is imported
    let record = env.imported(&seeded, "payments-api", &stack, "token-1").await;
    // THEN the answer is a CREATED import record for a new provisioned product
    assert!(is_real_looking_id(record.record_id().unwrap_or_default(), "rec-"), "{record:?}");
    assert!(is_real_looking_id(record.provisioned_product_id().unwrap_or_default(), "pp-"), "{record:?}");
    assert_eq!(record.status(), Some(&RecordStatus::Created));
    assert_eq!(record.record_type(), Some("IMPORT_PROVISIONED_PRODUCT"));
    assert_eq!(record.provisioned_product_type(), Some("CFN_STACK"));
    assert_eq!(record.provisioned_product_name(), Some("payments-api"));
    assert_eq!(record.product_id(), Some(seeded.product_id.as_str()));
    assert_eq!(record.provisioning_artifact_id(), Some(seeded.artifact_id.as_str()));
    assert!(record.record_errors().is_empty());
    assert_eq!(record.created_time(), record.updated_time());
    // AND the stack was read the way the service reads it
    assert_eq!((env.aws.calls("DescribeStacks"), env.aws.calls("GetTemplate")), (1, 1));
}

#[tokio::test]
async fn an_unknown_product_is_resource_not_found() {
    let env = TestEnv::start().await;
    let mut seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    seeded.product_id = "prod-doesnotexist1".to_owned();
    let error = env.import(&seeded, "payments-api", &stack, "t").await.expect_err("unknown product");
    assert!(matches!(service_error(error), ImportError::ResourceNotFoundException(_)));
    assert_eq!(env.aws.calls("DescribeStacks"), 0, "no stack is read for an unknown product");
}

#[tokio::test]
async fn an_unknown_artifact_is_resource_not_found() {
    let env = TestEnv::start().await;
    let mut seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    seeded.artifact_id = "pa-doesnotexist1".to_owned();
    let error = env.import(&seeded, "payments-api", &stack, "t").await.expect_err("unknown artifact");
    assert!(matches!(service_error(error), ImportError::ResourceNotFoundException(_)));
}

#[tokio::test]
async fn an_inactive_artifact_is_invalid_parameters() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    env.client
        .update_provisioning_artifact()
        .product_id(&seeded.product_id)
        .provisioning_artifact_id(&seeded.artifact_id)
        .active(false)
        .send()
        .await
        .expect("deactivate");
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let error = env.import(&seeded, "payments-api", &stack, "t").await.expect_err("inactive");
    let error = service_error(error);
    assert!(error.message().unwrap_or_default().contains("not active"), "{error:?}");
    assert!(matches!(error, ImportError::InvalidParametersException(_)));
}

#[tokio::test]
async fn a_provisioned_product_name_outside_the_documented_pattern_is_invalid_parameters() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    for name in ["-payments", "payments api", &"p".repeat(129)] {
        let error = env.import(&seeded, name, &stack, "t").await.expect_err(name);
        assert!(matches!(service_error(error), ImportError::InvalidParametersException(_)), "{name}");
    }
}

#[tokio::test]
async fn a_physical_id_that_is_not_a_stack_arn_is_invalid_parameters() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let error = env.import(&seeded, "payments-api", "payments-api", "t").await.expect_err("a name, not an arn");
    assert!(matches!(service_error(error), ImportError::InvalidParametersException(_)));
}

#[tokio::test]
async fn an_unknown_stack_is_resource_not_found() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let missing = format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/missing/1234");
    let error = env.import(&seeded, "missing", &missing, "t").await.expect_err("missing stack");
    let error = service_error(error);
    assert!(error.message().unwrap_or_default().contains("does not exist"), "{error:?}");
    assert!(matches!(error, ImportError::ResourceNotFoundException(_)));
}

#[tokio::test]
async fn each_documented_importable_status_is_accepted() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    for status in [
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    ] {
        let name = status.to_lowercase().replace('_', "-");
        let stack = env.aws.add_stack(&name, status, TEMPLATE_YAML);
        let accepted = env.import(&seeded, &name, &stack, &name).await;
        assert!(accepted.is_ok(), "{status}: {accepted:?}");
        env.finish_records();
    }
}

#[tokio::test]
async fn a_stack_in_any_other_status_is_invalid_state() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    for status in ["CREATE_IN_PROGRESS", "ROLLBACK_COMPLETE", "UPDATE_IN_PROGRESS", "DELETE_COMPLETE", "CREATE_FAILED"]
    {
        let name = status.to_lowercase().replace('_', "-");
        let stack = env.aws.add_stack(&name, status, TEMPLATE_YAML);
        let error = env.import(&seeded, &name, &stack, &name).await.expect_err(status);
        assert!(matches!(service_error(error), ImportError::InvalidStateException(_)), "{status}");
    }
}

#[tokio::test]
async fn a_nested_stack_is_invalid_parameters() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let root = env.aws.add_stack("root", "CREATE_COMPLETE", TEMPLATE_YAML);
    let nested = env.aws.add(FakeStack {
        arn: format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/root-Queue-1ABC/5678"),
        name: "root-Queue-1ABC".to_owned(),
        status: "CREATE_COMPLETE".to_owned(),
        parent_id: Some(root),
        template: TEMPLATE_YAML.to_owned(),
    });
    let error = env.import(&seeded, "nested", &nested, "t").await.expect_err("nested");
    let error = service_error(error);
    assert!(error.message().unwrap_or_default().contains("nested"), "{error:?}");
    assert!(matches!(error, ImportError::InvalidParametersException(_)));
}

#[tokio::test]
async fn a_stack_already_provisioned_is_a_duplicate_resource() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    env.imported(&seeded, "payments-api", &stack, "first").await;
    env.finish_records();
    let error = env.import(&seeded, "another-name", &stack, "second").await.expect_err("same stack");
    assert!(matches!(service_error(error), ImportError::DuplicateResourceException(_)));
}

#[tokio::test]
async fn a_name_already_provisioned_is_a_duplicate_resource() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let first = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let second = env.aws.add_stack("payments-api-2", "CREATE_COMPLETE", TEMPLATE_YAML);
    env.imported(&seeded, "payments-api", &first, "first").await;
    env.finish_records();
    let error = env.import(&seeded, "payments-api", &second, "second").await.expect_err("same name");
    assert!(matches!(service_error(error), ImportError::DuplicateResourceException(_)));
}

#[tokio::test]
async fn a_second_import_while_one_is_in_progress_is_invalid_state() {
    // GIVEN one import whose record has not ended
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let first = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let second = env.aws.add_stack("orders-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    env.imported(&seeded, "payments-api", &first, "first").await;
    env.advance(crate::support::STEP);
    // WHEN another stack is imported
    let error = env.import(&seeded, "orders-api", &second, "second").await.expect_err("busy");
    // THEN the service is busy
    let error = service_error(error);
    assert!(error.message().unwrap_or_default().contains("another import is in progress"), "{error:?}");
    assert!(matches!(error, ImportError::InvalidStateException(_)));
    // AND once the first record has ended, the same request is accepted
    env.advance(crate::support::STEP);
    assert!(env.import(&seeded, "orders-api", &second, "second").await.is_ok());
}

#[tokio::test]
async fn the_same_idempotency_token_answers_the_earlier_record_without_a_second_import() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let first = env.imported(&seeded, "payments-api", &stack, "deterministic-token").await;
    env.finish_records();
    let reads = env.aws.calls("DescribeStacks");

    // The repeat would otherwise be a DuplicateResourceException: the product now exists.
    let again = env.imported(&seeded, "payments-api", &stack, "deterministic-token").await;

    assert_eq!(again.record_id(), first.record_id());
    assert_eq!(again.provisioned_product_id(), first.provisioned_product_id());
    assert_eq!(again.status(), Some(&RecordStatus::Succeeded), "the replay shows the record as it is now");
    assert_eq!(env.aws.calls("DescribeStacks"), reads, "the stack was not read again");
    let found = env.client.search_provisioned_products().send().await.expect("search");
    assert_eq!(found.total_results_count(), 1);
}

#[tokio::test]
async fn a_missing_idempotency_token_is_filled_in_by_the_sdk_and_accepted() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let output = env
        .client
        .import_as_provisioned_product()
        .product_id(&seeded.product_id)
        .provisioning_artifact_id(&seeded.artifact_id)
        .provisioned_product_name("payments-api")
        .physical_id(&stack)
        .send()
        .await
        .expect("import");
    assert!(output.record_detail().and_then(|record| record.record_id()).is_some());
}

#[tokio::test]
async fn an_unreachable_cloudformation_is_an_internal_failure_the_sdk_can_retry() {
    // GIVEN an emulator whose CloudFormation endpoint is a closed port
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let env = TestEnv::start_reading(&format!("http://127.0.0.1:{closed}")).await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/payments-api/1234");
    // WHEN a stack is imported
    let error = env.import(&seeded, "payments-api", &stack, "t").await.expect_err("unreachable");
    // THEN the answer is a 500 InternalFailure, which the SDK classes as retryable, and nothing was imported
    let status = error.raw_response().map(|response| response.status().as_u16());
    assert_eq!(status, Some(500));
    assert_eq!(error.code(), Some("InternalFailure"));
    let found = env.client.search_provisioned_products().send().await.expect("search");
    assert_eq!(found.total_results_count(), 0);
}
