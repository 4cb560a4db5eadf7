//! New versions made from stacks: CreateProvisioningArtifact with `Info.ImportFromPhysicalId` (the stack's original
//! template read as the caller, kept and served by the emulator, CREATING then AVAILABLE, then importable), its
//! refusals, the artifact limit and the idempotency token.

use std::time::Duration;

use aws_sdk_servicecatalog::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_servicecatalog::operation::create_provisioning_artifact::{
    CreateProvisioningArtifactError, CreateProvisioningArtifactOutput,
};
use aws_sdk_servicecatalog::operation::import_as_provisioned_product::ImportAsProvisionedProductError as ImportError;
use aws_sdk_servicecatalog::types::{
    ProductType, ProvisioningArtifactGuidance, ProvisioningArtifactProperties, RecordStatus, Status,
};
use hyper::Method;
use sc_emulator::catalog::ArtifactRules;
use sc_emulator::http_get::fetch_text;
use sc_emulator::strict::StrictMode;

use crate::support::{
    OTHER_TEMPLATE_YAML, REGION, Seeded, TEMPLATE_JSON, TEMPLATE_YAML, TEST_KEY, TestEnv, exchange, service_error,
};

const CREATING: Duration = Duration::from_millis(500);
const MEMBER: &str = "210987654321";
const MEMBER_KEY: &str = "ASIAMEMBER0000000003";

async fn start() -> TestEnv {
    TestEnv::start_configured(StrictMode::default(), ArtifactRules { creating: CREATING, ..ArtifactRules::default() })
        .await
}

/// CreateProvisioningArtifact with these `Info` entries, a name and an optional idempotency token.
async fn create_version(
    env: &TestEnv,
    product_id: &str,
    name: &str,
    info: &[(&str, &str)],
    token: Option<&str>,
) -> Result<CreateProvisioningArtifactOutput, SdkError<CreateProvisioningArtifactError>> {
    let mut parameters =
        ProvisioningArtifactProperties::builder().name(name).description(format!("{name} from a stack"));
    for (key, value) in info {
        parameters = parameters.info(*key, *value);
    }
    let mut request = env.client.create_provisioning_artifact().product_id(product_id).parameters(parameters.build());
    if let Some(token) = token {
        request = request.idempotency_token(token);
    }
    request.send().await
}

fn id_of(output: &CreateProvisioningArtifactOutput) -> String {
    output.provisioning_artifact_detail().and_then(|detail| detail.id()).expect("artifact id").to_owned()
}

async fn status_of(env: &TestEnv, product_id: &str, artifact_id: &str) -> Option<Status> {
    let described = env
        .client
        .describe_provisioning_artifact()
        .product_id(product_id)
        .provisioning_artifact_id(artifact_id)
        .send()
        .await
        .expect("DescribeProvisioningArtifact");
    described.status().cloned()
}

#[tokio::test]
async fn a_version_made_from_a_stack_keeps_its_template_serves_it_and_is_importable_once_available() {
    // GIVEN a product whose only version has another template, and a stack of the tests' account
    let env = start().await;
    let product = env.seed("payments", OTHER_TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);

    // WHEN a version is made from the stack (no Type: a CloudFormation template)
    let created = create_version(&env, &product.product_id, "v2", &[("ImportFromPhysicalId", &stack)], None)
        .await
        .expect("CreateProvisioningArtifact");

    // THEN it is CREATING, with its name and description, and the stack's original template was read as the caller
    assert_eq!(created.status(), Some(&Status::Creating));
    let detail = created.provisioning_artifact_detail().expect("detail");
    assert_eq!((detail.name(), detail.description()), (Some("v2"), Some("v2 from a stack")));
    let artifact_id = id_of(&created);
    let asked = env.aws.requests("GetTemplate");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].get("StackName"), Some(&stack));
    assert_eq!(asked[0].get("TemplateStage").map(String::as_str), Some("Original"));
    assert_eq!(env.aws.signed("GetTemplate")[0].access_key_id, TEST_KEY);

    // AND its TemplateUrl is the emulator's own, where a plain GET answers the stack's template
    let url = created.info().and_then(|info| info.get("TemplateUrl")).expect("TemplateUrl").clone();
    assert_eq!(url, format!("http://{}/_emulator/templates/{artifact_id}", env.addr()));
    assert_eq!(fetch_text(&url).await.expect("GET the template"), TEMPLATE_YAML);

    // AND the stack changing afterwards does not change the version
    env.aws.set_template(&stack, OTHER_TEMPLATE_YAML);
    assert_eq!(fetch_text(&url).await.expect("GET the template"), TEMPLATE_YAML);
    env.aws.set_template(&stack, TEMPLATE_JSON);

    // AND it is listed after the first version, active
    let listed = env.client.list_provisioning_artifacts().product_id(&product.product_id).send().await.expect("list");
    let details = listed.provisioning_artifact_details();
    assert_eq!(details.len(), 2);
    assert_eq!((details[1].id(), details[1].name()), (Some(artifact_id.as_str()), Some("v2")));
    assert_eq!(
        (details[1].active(), details[1].guidance()),
        (Some(true), Some(&ProvisioningArtifactGuidance::Default))
    );
    assert!(details[1].created_time().is_some());

    // AND while it is CREATING, an import into it is refused
    let version = Seeded { artifact_id: artifact_id.clone(), ..product.clone() };
    let error = env.import(&version, "payments-api", &stack, "t1").await.expect_err("creating");
    let error = service_error(error);
    assert!(error.message().unwrap_or_default().contains("not available yet"), "{error:?}");
    assert!(matches!(error, ImportError::InvalidParametersException(_)));

    // WHEN the creating time has passed
    env.advance(CREATING / 2);
    assert_eq!(status_of(&env, &product.product_id, &artifact_id).await, Some(Status::Creating));
    env.advance(CREATING / 2);
    assert_eq!(status_of(&env, &product.product_id, &artifact_id).await, Some(Status::Available));

    // THEN the stack imports into it, and the record succeeds: the kept template is the stack's
    let record = env.imported(&version, "payments-api", &stack, "t1").await;
    env.finish_records();
    let ended = env.record(record.record_id().expect("record id")).await;
    assert_eq!(ended.status(), Some(&RecordStatus::Succeeded), "{:?}", ended.record_errors());
    // AND the stack's template was read once for the version and once for the import, never the emulator's own URL
    assert_eq!(env.aws.calls("GetTemplate"), 2);
}

#[tokio::test]
async fn a_url_version_is_available_at_once_and_create_product_takes_a_stack_too() {
    let env = start().await;
    let product = env.seed("payments", TEMPLATE_YAML).await;
    assert_eq!(status_of(&env, &product.product_id, &product.artifact_id).await, Some(Status::Available));
    let url = env.aws.put_template("v2.yaml", TEMPLATE_YAML);
    let created = create_version(&env, &product.product_id, "v2", &[("LoadTemplateFromURL", &url)], None)
        .await
        .expect("from a URL");
    assert_eq!(created.status(), Some(&Status::Available));
    assert_eq!(created.info().and_then(|info| info.get("TemplateUrl")), Some(&url));

    let stack = env.aws.add_stack("orders-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let made = env
        .client
        .create_product()
        .name("orders")
        .owner("platform-team")
        .product_type(ProductType::CloudFormationTemplate)
        .provisioning_artifact_parameters(
            ProvisioningArtifactProperties::builder().name("v1").info("ImportFromPhysicalId", &stack).build(),
        )
        .send()
        .await
        .expect("CreateProduct from a stack");
    let product_id = made.product_view_detail().and_then(|d| d.product_view_summary()).and_then(|s| s.product_id());
    let artifact_id = made.provisioning_artifact_detail().and_then(|detail| detail.id()).expect("artifact");
    assert_eq!(status_of(&env, product_id.expect("product"), artifact_id).await, Some(Status::Creating));
}

#[tokio::test]
async fn both_or_neither_template_source_is_invalid_parameters_naming_both() {
    let env = start().await;
    let product = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let url = env.aws.put_template("v2.yaml", TEMPLATE_YAML);
    for info in [vec![("LoadTemplateFromURL", url.as_str()), ("ImportFromPhysicalId", stack.as_str())], vec![]] {
        let error = create_version(&env, &product.product_id, "v2", &info, None).await.expect_err("refused");
        let error = service_error(error);
        let message = error.message().unwrap_or_default();
        assert!(message.contains("LoadTemplateFromURL") && message.contains("ImportFromPhysicalId"), "{message}");
        assert!(matches!(error, CreateProvisioningArtifactError::InvalidParametersException(_)));
    }
    assert_eq!(env.aws.calls("GetTemplate"), 0);
}

#[tokio::test]
async fn a_stack_of_another_account_or_region_or_one_that_does_not_exist_is_invalid_parameters() {
    let env = start().await;
    env.aws.register_key(MEMBER_KEY, MEMBER);
    let product = env.seed("payments", TEMPLATE_YAML).await;
    let theirs = env.aws.add_stack_in(MEMBER, REGION, "payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let elsewhere = env.aws.add_stack_in(crate::support::ACCOUNT, "eu-west-1", "orders", "CREATE_COMPLETE", "{}");
    for stack in [&theirs, &elsewhere] {
        let error = create_version(&env, &product.product_id, "v2", &[("ImportFromPhysicalId", stack)], None)
            .await
            .expect_err("another account or region");
        let error = service_error(error);
        assert!(error.message().unwrap_or_default().contains("caller's own account and region"), "{error:?}");
        assert!(matches!(error, CreateProvisioningArtifactError::InvalidParametersException(_)));
    }
    assert_eq!(env.aws.calls("GetTemplate"), 0, "refused before CloudFormation is asked");

    let missing = format!("arn:aws:cloudformation:{REGION}:{}:stack/missing/1", crate::support::ACCOUNT);
    let error = create_version(&env, &product.product_id, "v2", &[("ImportFromPhysicalId", &missing)], None)
        .await
        .expect_err("missing");
    let error = service_error(error);
    assert!(error.message().unwrap_or_default().contains("does not exist"), "{error:?}");
    assert!(matches!(error, CreateProvisioningArtifactError::InvalidParametersException(_)));
    let listed = env.client.list_provisioning_artifacts().product_id(&product.product_id).send().await.expect("list");
    assert_eq!(listed.provisioning_artifact_details().len(), 1, "nothing was created");
}

#[tokio::test]
async fn a_product_holding_the_limit_refuses_another_version_with_limit_exceeded() {
    // GIVEN a limit of 3 artifacts per product, and a product created with its first
    let env =
        TestEnv::start_configured(StrictMode::default(), ArtifactRules { limit: 3, ..ArtifactRules::default() }).await;
    let product = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    // WHEN two more are made, THEN both are accepted
    create_version(&env, &product.product_id, "v2", &[("ImportFromPhysicalId", &stack)], Some("t2")).await.expect("v2");
    create_version(&env, &product.product_id, "v3", &[("LoadTemplateFromURL", &product.template_url)], None)
        .await
        .expect("v3");
    // WHEN a fourth is asked for, THEN it is a LimitExceededException, before the stack is read
    let reads = env.aws.calls("GetTemplate");
    let error = create_version(&env, &product.product_id, "v4", &[("ImportFromPhysicalId", &stack)], Some("t4"))
        .await
        .expect_err("over the limit");
    assert_eq!(error.code(), Some("LimitExceededException"));
    let error = service_error(error);
    assert!(
        error
            .message()
            .unwrap_or_default()
            .starts_with("The maximum number of provisioning artifacts for this product has been reached"),
        "{error:?}"
    );
    assert!(matches!(error, CreateProvisioningArtifactError::LimitExceededException(_)));
    assert_eq!(env.aws.calls("GetTemplate"), reads);
    // AND a repeated token still answers its artifact at the limit
    let again = create_version(&env, &product.product_id, "v2", &[("ImportFromPhysicalId", &stack)], Some("t2"))
        .await
        .expect("a replay is not a new artifact");
    assert_eq!(again.provisioning_artifact_detail().and_then(|detail| detail.name()), Some("v2"));
}

#[tokio::test]
async fn the_same_idempotency_token_answers_the_same_version_also_while_it_is_creating() {
    let env = start().await;
    let product = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let info = [("ImportFromPhysicalId", stack.as_str())];
    let first = create_version(&env, &product.product_id, "v2", &info, Some("version-token")).await.expect("first");
    let second = create_version(&env, &product.product_id, "v2", &info, Some("version-token")).await.expect("second");
    assert_eq!(id_of(&first), id_of(&second));
    assert_eq!(second.status(), Some(&Status::Creating));
    assert_eq!(env.aws.calls("GetTemplate"), 1, "the stack is not read again");
    env.advance(CREATING);
    let third = create_version(&env, &product.product_id, "v2", &info, Some("version-token")).await.expect("third");
    assert_eq!((id_of(&third), third.status()), (id_of(&first), Some(&Status::Available)));
    let listed = env.client.list_provisioning_artifacts().product_id(&product.product_id).send().await.expect("list");
    let names: Vec<_> = listed.provisioning_artifact_details().iter().filter_map(|detail| detail.name()).collect();
    assert_eq!(names, ["v1", "v2"]);
}

#[tokio::test]
async fn a_template_url_of_no_kept_template_is_not_found_and_https_mode_reports_https() {
    let env = TestEnv::start_configured(
        StrictMode { https_template_urls: true, ..StrictMode::default() },
        ArtifactRules { creating: Duration::ZERO, ..ArtifactRules::default() },
    )
    .await;
    let product = env.seed("payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let created = create_version(&env, &product.product_id, "v2", &[("ImportFromPhysicalId", &stack)], None)
        .await
        .expect("created");
    // With no creating time, the version is AVAILABLE at once; its URL is reported as https://, served as http://
    assert_eq!(created.status(), Some(&Status::Available));
    let url = created.info().and_then(|info| info.get("TemplateUrl")).expect("url").clone();
    assert_eq!(url, format!("https://{}/_emulator/templates/{}", env.addr(), id_of(&created)));
    assert_eq!(fetch_text(&url.replacen("https://", "http://", 1)).await.expect("GET"), TEMPLATE_YAML);
    // AND a URL artifact's id, or an unknown one, has no template here
    for id in [product.artifact_id.as_str(), "pa-doesnotexist1"] {
        let path = format!("/_emulator/templates/{id}");
        let (status, _, body) = exchange(env.addr(), Method::GET, &path, None, "").await;
        assert_eq!(status, 404, "{body}");
        assert!(body.contains("ResourceNotFoundException"), "{body}");
    }
    assert_eq!(env.aws.calls("GetTemplate"), 1);
}
