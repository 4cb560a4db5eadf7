//! DescribeRecord over time, and what SearchProvisionedProducts shows of a provisioned product while and after its
//! import runs; the template comparison that decides how a record ends.

use aws_sdk_servicecatalog::operation::describe_record::DescribeRecordError;
use aws_sdk_servicecatalog::types::{ProvisionedProductStatus, RecordStatus};

use crate::support::{OTHER_TEMPLATE_YAML, STEP, TEMPLATE_JSON, TEMPLATE_YAML, TestEnv, post_raw, service_error};

#[tokio::test]
async fn a_record_moves_from_created_to_in_progress_to_succeeded_one_step_apart() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_JSON);
    let record = env.imported(&seeded, "payments-api", &stack, "t").await;
    let id = record.record_id().expect("record id");
    let created = record.created_time().expect("created").secs();

    let now = env.record(id).await;
    assert_eq!(now.status(), Some(&RecordStatus::Created));

    env.advance(STEP);
    let now = env.record(id).await;
    assert_eq!(now.status(), Some(&RecordStatus::InProgress));
    assert_eq!(now.updated_time().map(|time| time.secs()), Some(created + 1));

    env.advance(STEP);
    let now = env.record(id).await;
    assert_eq!(now.status(), Some(&RecordStatus::Succeeded));
    assert_eq!(now.updated_time().map(|time| time.secs()), Some(created + 2));
    assert!(now.record_errors().is_empty());
}

#[tokio::test]
async fn describe_record_answers_empty_record_outputs() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let record = env.imported(&seeded, "payments-api", &stack, "t").await;
    let output = env.client.describe_record().id(record.record_id().expect("id")).send().await.expect("describe");
    assert!(output.record_outputs().is_empty());
    assert_eq!(output.record_detail().and_then(|detail| detail.record_type()), Some("IMPORT_PROVISIONED_PRODUCT"));
}

#[tokio::test]
async fn an_imported_product_is_under_change_until_its_record_succeeds_then_available() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let record = env.imported(&seeded, "payments-api", &stack, "t").await;
    let status = || async {
        let found = env.client.search_provisioned_products().filters(
            aws_sdk_servicecatalog::types::ProvisionedProductViewFilterBy::SearchQuery,
            vec![format!("physicalId:{stack}")],
        );
        let found = found.send().await.expect("search");
        found.provisioned_products().first().and_then(|product| product.status().cloned())
    };
    assert_eq!(status().await, Some(ProvisionedProductStatus::UnderChange));
    env.advance(STEP);
    assert_eq!(status().await, Some(ProvisionedProductStatus::UnderChange));
    env.advance(STEP);
    assert_eq!(status().await, Some(ProvisionedProductStatus::Available));

    let found = env.client.search_provisioned_products().send().await.expect("search");
    let product = &found.provisioned_products()[0];
    assert_eq!(product.id(), record.provisioned_product_id());
    assert_eq!(product.last_record_id(), record.record_id());
    assert_eq!(product.idempotency_token(), Some("t"));
}

#[tokio::test]
async fn a_stack_whose_template_differs_from_the_artifact_fails_its_record_with_template_mismatch() {
    // GIVEN a stack whose template is not the artifact's
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", OTHER_TEMPLATE_YAML);
    // WHEN it is imported, the import is accepted
    let record = env.imported(&seeded, "payments-api", &stack, "t").await;
    assert_eq!(record.status(), Some(&RecordStatus::Created));
    assert!(record.record_errors().is_empty(), "errors show only once the record has failed");
    // THEN the record runs and fails with a TemplateMismatch error
    env.advance(STEP);
    assert_eq!(env.record(record.record_id().expect("id")).await.status(), Some(&RecordStatus::InProgress));
    env.advance(STEP);
    let ended = env.record(record.record_id().expect("id")).await;
    assert_eq!(ended.status(), Some(&RecordStatus::Failed));
    let errors: Vec<_> = ended.record_errors().iter().map(|error| error.code().unwrap_or_default()).collect();
    assert_eq!(errors, vec!["TemplateMismatch"]);
    // AND no provisioned product is left: the name and the stack can be imported again
    let found = env.client.search_provisioned_products().send().await.expect("search");
    assert_eq!(found.total_results_count(), 0);
}

#[tokio::test]
async fn an_artifact_template_that_cannot_be_fetched_fails_the_record() {
    let env = TestEnv::start().await;
    let url = format!("{}/templates/never-uploaded.yaml", env.aws.endpoint());
    let created = env
        .client
        .create_product()
        .name("payments")
        .owner("platform-team")
        .product_type(aws_sdk_servicecatalog::types::ProductType::CloudFormationTemplate)
        .provisioning_artifact_parameters(
            aws_sdk_servicecatalog::types::ProvisioningArtifactProperties::builder()
                .info("LoadTemplateFromURL", &url)
                .build(),
        )
        .send()
        .await
        .expect("create");
    let seeded = crate::support::Seeded {
        product_id: created
            .product_view_detail()
            .and_then(|d| d.product_view_summary())
            .and_then(|s| s.product_id())
            .expect("id")
            .to_owned(),
        artifact_id: created.provisioning_artifact_detail().and_then(|d| d.id()).expect("id").to_owned(),
        template_url: url,
    };
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let record = env.imported(&seeded, "payments-api", &stack, "t").await;
    env.finish_records();
    let ended = env.record(record.record_id().expect("id")).await;
    assert_eq!(ended.status(), Some(&RecordStatus::Failed));
    let description = ended.record_errors()[0].description().unwrap_or_default().to_owned();
    assert!(description.contains("404"), "{description}");
}

#[tokio::test]
async fn an_unknown_record_is_resource_not_found() {
    let env = TestEnv::start().await;
    let error = env.client.describe_record().id("rec-doesnotexist1").send().await.expect_err("unknown");
    assert!(matches!(service_error(error), DescribeRecordError::ResourceNotFoundException(_)));
}

#[tokio::test]
async fn describe_record_and_search_carry_every_member_the_function_reads_on_the_wire() {
    // GIVEN a failed import whose provisioned product is kept in ERROR
    let strict = sc_emulator::strict::StrictMode {
        rules: sc_emulator::catalog::CatalogRules { failed_import_keeps_name: true, ..Default::default() },
        ..Default::default()
    };
    let env = TestEnv::start_strict(strict).await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", OTHER_TEMPLATE_YAML);
    let record = env.imported(&seeded, "payments-api", &stack, "t").await;
    let record_id = record.record_id().expect("id").to_owned();
    let addr = env.addr();
    let call = |operation: &str, body: String| {
        let target = format!("AWS242ServiceCatalogService.{operation}");
        async move {
            let (status, _, body) = post_raw(addr, Some(&target), &body).await;
            assert_eq!(status, 200, "{body}");
            serde_json::from_str::<serde_json::Value>(&body).expect("json")
        }
    };

    for (moment, record_status, product_status) in
        [("running", "CREATED", "UNDER_CHANGE"), ("ended", "FAILED", "ERROR")]
    {
        if moment == "ended" {
            env.finish_records();
        }
        // THEN DescribeRecord has every member the function reads
        let described = call("DescribeRecord", format!(r#"{{"Id":"{record_id}"}}"#)).await;
        let detail = &described["RecordDetail"];
        for member in [
            "RecordType",
            "Status",
            "CreatedTime",
            "UpdatedTime",
            "ProductId",
            "ProvisioningArtifactId",
            "ProvisionedProductName",
            "ProvisionedProductId",
            "RecordErrors",
        ] {
            assert!(detail.get(member).is_some(), "{moment}: {member} missing from {detail}");
        }
        assert_eq!(detail["RecordType"], "IMPORT_PROVISIONED_PRODUCT");
        assert_eq!(detail["Status"], record_status, "{moment}");
        assert_eq!(detail["ProductId"], seeded.product_id.as_str());
        assert_eq!(detail["ProvisioningArtifactId"], seeded.artifact_id.as_str());
        assert_eq!(detail["ProvisionedProductName"], "payments-api");
        let errors = detail["RecordErrors"].as_array().expect("a list");
        assert_eq!(errors.len(), usize::from(moment == "ended"), "{moment}: {errors:?}");

        // AND SearchProvisionedProducts has every member the function reads
        let query = format!(r#"{{"Filters":{{"SearchQuery":["physicalId:{stack}"]}}}}"#);
        let found = call("SearchProvisionedProducts", query).await;
        let product = &found["ProvisionedProducts"][0];
        assert_eq!(product["Status"], product_status, "{moment}");
        assert_eq!(product["LastRecordId"], record_id.as_str());
        assert_eq!(product["PhysicalId"], stack.as_str());
        assert_eq!(product["Name"], "payments-api");
        assert_eq!(product["Id"], detail["ProvisionedProductId"]);
    }
}
