//! Seeding: CreateProduct, CreateProvisioningArtifact, UpdateProvisioningArtifact, and the reads the importer makes
//! of artifacts (ListProvisioningArtifacts, DescribeProvisioningArtifact, DescribeProductAsAdmin).

use aws_sdk_servicecatalog::operation::create_product::CreateProductError;
use aws_sdk_servicecatalog::operation::describe_provisioning_artifact::DescribeProvisioningArtifactError;
use aws_sdk_servicecatalog::operation::list_provisioning_artifacts::ListProvisioningArtifactsError;
use aws_sdk_servicecatalog::types::{
    ProductType, ProvisioningArtifactGuidance, ProvisioningArtifactProperties, ProvisioningArtifactType, Status,
};

use crate::support::{TEMPLATE_YAML, TestEnv, service_error};

fn is_real_looking_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == 13 && rest.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit())
    })
}

#[tokio::test]
async fn a_product_is_created_with_its_first_artifact_and_real_looking_ids() {
    // GIVEN an empty emulator
    let env = TestEnv::start().await;
    // WHEN a product is created with one artifact
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    // THEN its ids look like the service's, and the artifact is listed, active, with its template URL
    assert!(is_real_looking_id(&seeded.product_id, "prod-"), "{}", seeded.product_id);
    assert!(is_real_looking_id(&seeded.artifact_id, "pa-"), "{}", seeded.artifact_id);
    let described = env
        .client
        .describe_provisioning_artifact()
        .product_id(&seeded.product_id)
        .provisioning_artifact_id(&seeded.artifact_id)
        .send()
        .await
        .expect("DescribeProvisioningArtifact");
    assert_eq!(described.info().and_then(|info| info.get("TemplateUrl")), Some(&seeded.template_url));
    assert_eq!(described.status(), Some(&Status::Available));
    let detail = described.provisioning_artifact_detail().expect("detail");
    assert_eq!(detail.active(), Some(true));
    assert_eq!(detail.r#type(), Some(&ProvisioningArtifactType::CloudFormationTemplate));
    assert_eq!(detail.name(), Some("v1"));
    assert!(detail.created_time().is_some_and(|time| time.secs() == 1_790_000_000));
}

#[tokio::test]
async fn the_product_view_summary_has_a_product_view_id_and_the_product_id() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let described = env.client.describe_product_as_admin().id(&seeded.product_id).send().await.expect("describe");
    let detail = described.product_view_detail().expect("detail");
    let summary = detail.product_view_summary().expect("summary");
    assert!(is_real_looking_id(summary.id().unwrap_or_default(), "prodview-"), "{summary:?}");
    assert_eq!(summary.product_id(), Some(seeded.product_id.as_str()));
    assert_eq!(summary.owner(), Some("platform-team"));
    assert_eq!(
        detail.product_arn(),
        Some(format!("arn:aws:catalog:us-east-1:123456789012:product/{}", seeded.product_id).as_str())
    );
    let artifacts: Vec<_> = described.provisioning_artifact_summaries().iter().filter_map(|a| a.id()).collect();
    assert_eq!(artifacts, vec![seeded.artifact_id.as_str()]);
}

#[tokio::test]
async fn create_product_with_the_same_idempotency_token_creates_one_product() {
    let env = TestEnv::start().await;
    let create = || {
        env.client
            .create_product()
            .name("payments")
            .owner("platform-team")
            .product_type(ProductType::CloudFormationTemplate)
            .idempotency_token("same-token")
            .provisioning_artifact_parameters(
                ProvisioningArtifactProperties::builder()
                    .info("LoadTemplateFromURL", "http://127.0.0.1:1/t.yaml")
                    .build(),
            )
            .send()
    };
    let first = create().await.expect("first");
    let second = create().await.expect("second");
    let id = |output: &aws_sdk_servicecatalog::operation::create_product::CreateProductOutput| {
        output
            .product_view_detail()
            .and_then(|d| d.product_view_summary())
            .and_then(|s| s.product_id())
            .map(str::to_owned)
    };
    assert!(id(&first).is_some());
    assert_eq!(id(&first), id(&second));
}

#[tokio::test]
async fn only_cloudformation_template_products_are_created() {
    let env = TestEnv::start().await;
    let error = env
        .client
        .create_product()
        .name("tf")
        .owner("platform-team")
        .product_type(ProductType::TerraformOpenSource)
        .provisioning_artifact_parameters(
            ProvisioningArtifactProperties::builder()
                .info("LoadTemplateFromURL", "http://127.0.0.1:1/t.tar.gz")
                .build(),
        )
        .send()
        .await
        .expect_err("terraform");
    assert!(matches!(service_error(error), CreateProductError::InvalidParametersException(_)));
}

#[tokio::test]
async fn an_added_artifact_is_listed_after_the_first_with_its_own_template_url() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let url = env.aws.put_template("payments-v2.yaml", TEMPLATE_YAML);
    let created = env
        .client
        .create_provisioning_artifact()
        .product_id(&seeded.product_id)
        .parameters(
            ProvisioningArtifactProperties::builder()
                .name("v2")
                .description("second version")
                .info("LoadTemplateFromURL", &url)
                .build(),
        )
        .send()
        .await
        .expect("CreateProvisioningArtifact");
    assert_eq!(created.info().and_then(|info| info.get("TemplateUrl")), Some(&url));
    let second = created.provisioning_artifact_detail().and_then(|detail| detail.id()).expect("id").to_owned();

    let listed = env.client.list_provisioning_artifacts().product_id(&seeded.product_id).send().await.expect("list");
    let names: Vec<_> =
        listed.provisioning_artifact_details().iter().map(|a| (a.id().unwrap_or_default(), a.name())).collect();
    assert_eq!(names, vec![(seeded.artifact_id.as_str(), Some("v1")), (second.as_str(), Some("v2"))]);
}

#[tokio::test]
async fn an_artifact_is_found_by_product_name_and_artifact_name() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let described = env
        .client
        .describe_provisioning_artifact()
        .product_name("payments")
        .provisioning_artifact_name("v1")
        .send()
        .await
        .expect("by names");
    assert_eq!(described.provisioning_artifact_detail().and_then(|d| d.id()), Some(seeded.artifact_id.as_str()));
}

#[tokio::test]
async fn the_artifacts_of_an_unknown_product_are_not_found() {
    let env = TestEnv::start().await;
    let error = env.client.list_provisioning_artifacts().product_id("prod-doesnotexist1").send().await.expect_err("x");
    assert!(matches!(service_error(error), ListProvisioningArtifactsError::ResourceNotFoundException(_)));
}

#[tokio::test]
async fn an_unknown_artifact_of_a_known_product_is_not_found() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let error = env
        .client
        .describe_provisioning_artifact()
        .product_id(&seeded.product_id)
        .provisioning_artifact_id("pa-doesnotexist1")
        .send()
        .await
        .expect_err("unknown artifact");
    assert!(matches!(service_error(error), DescribeProvisioningArtifactError::ResourceNotFoundException(_)));
}

#[tokio::test]
async fn updating_an_artifact_deactivates_it_and_deprecates_it() {
    let env = TestEnv::start().await;
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let updated = env
        .client
        .update_provisioning_artifact()
        .product_id(&seeded.product_id)
        .provisioning_artifact_id(&seeded.artifact_id)
        .active(false)
        .guidance(ProvisioningArtifactGuidance::Deprecated)
        .send()
        .await
        .expect("update");
    let detail = updated.provisioning_artifact_detail().expect("detail");
    assert_eq!((detail.active(), detail.guidance()), (Some(false), Some(&ProvisioningArtifactGuidance::Deprecated)));
    let listed = env.client.list_provisioning_artifacts().product_id(&seeded.product_id).send().await.expect("list");
    assert_eq!(listed.provisioning_artifact_details()[0].active(), Some(false));
}
