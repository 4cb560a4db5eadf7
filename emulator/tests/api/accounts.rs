//! Accounts and regions: each account sees its own catalog in each region, an import reads the stack as its caller
//! (the caller's access key, in the caller's region), and a caller's account is the one STS gives its access key.

use aws_sdk_servicecatalog::Client;
use aws_sdk_servicecatalog::config::retry::RetryConfig;
use aws_sdk_servicecatalog::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_servicecatalog::error::ProvideErrorMetadata;
use aws_sdk_servicecatalog::operation::describe_product_as_admin::DescribeProductAsAdminError;
use aws_sdk_servicecatalog::operation::describe_record::DescribeRecordError;
use aws_sdk_servicecatalog::operation::import_as_provisioned_product::ImportAsProvisionedProductError as ImportError;
use aws_sdk_servicecatalog::types::RecordStatus;

use crate::fake_aws::{DEFAULT_ACCOUNT, Signed};
use crate::support::{
    ACCOUNT, REGION, TEMPLATE_JSON, TEMPLATE_YAML, TEST_KEY, TestEnv, import_as, post_raw, service_error,
};

/// A member account, and the key an AssumeRole into it handed out (moto's keys are 20 characters, `ASIA…`).
const MEMBER: &str = "210987654321";
const MEMBER_KEY: &str = "ASIAMEMBER0000000001";

async fn product_arn(client: &Client, product_id: &str) -> Result<String, DescribeProductAsAdminError> {
    let output = client.describe_product_as_admin().id(product_id).send().await.map_err(service_error)?;
    Ok(output.product_view_detail().and_then(|detail| detail.product_arn()).unwrap_or_default().to_owned())
}

async fn provisioned_count(client: &Client) -> i32 {
    client.search_provisioned_products().send().await.expect("search").total_results_count()
}

#[tokio::test]
async fn two_accounts_see_separate_catalogs() {
    // GIVEN the tests' account and a member account, each with a product named payments and one import
    let env = TestEnv::start().await;
    env.aws.register_key(MEMBER_KEY, MEMBER);
    let member = env.client_as(MEMBER_KEY, REGION);
    let ours = env.seed("payments", TEMPLATE_YAML).await;
    let theirs = env.seed_as(&member, "payments", TEMPLATE_YAML).await;
    let our_stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let their_stack = env.aws.add_stack_in(MEMBER, REGION, "payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let our_record = env.imported(&ours, "payments-api", &our_stack, "token-1").await;
    // The same name and the same idempotency token, in another account, are another import; and one import at a
    // time is a rule of each account (ours has not finished).
    let their_record = import_as(&member, &theirs, "payments-api", &their_stack, "token-1").await.expect("import");
    let their_record = their_record.record_detail().expect("record").clone();
    assert_ne!(their_record.record_id(), our_record.record_id());

    // THEN each product's ARN names its own account, and the other account does not find it
    let our_arn = product_arn(&env.client, &ours.product_id).await.expect("ours");
    assert_eq!(our_arn, format!("arn:aws:catalog:{REGION}:{ACCOUNT}:product/{}", ours.product_id));
    let their_arn = product_arn(&member, &theirs.product_id).await.expect("theirs");
    assert_eq!(their_arn, format!("arn:aws:catalog:{REGION}:{MEMBER}:product/{}", theirs.product_id));
    let unseen = product_arn(&member, &ours.product_id).await.expect_err("not the member's");
    assert!(matches!(unseen, DescribeProductAsAdminError::ResourceNotFoundException(_)));
    assert!(product_arn(&env.client, &theirs.product_id).await.is_err());
    let listed = member.list_provisioning_artifacts().product_id(&ours.product_id).send().await;
    assert!(listed.is_err(), "{listed:?}");

    // AND each searches only its own provisioned products, and reads only its own records
    assert_eq!((provisioned_count(&env.client).await, provisioned_count(&member).await), (1, 1));
    let found = member.search_provisioned_products().send().await.expect("search");
    let arn = found.provisioned_products()[0].arn().unwrap_or_default().to_owned();
    assert!(arn.starts_with(&format!("arn:aws:servicecatalog:{REGION}:{MEMBER}:stack/payments-api/pp-")), "{arn}");
    let ours_id = our_record.record_id().expect("record id");
    let error = member.describe_record().id(ours_id).send().await.expect_err("not the member's record");
    assert!(matches!(service_error(error), DescribeRecordError::ResourceNotFoundException(_)));
    env.finish_records();
    assert_eq!(env.record(ours_id).await.status(), Some(&RecordStatus::Succeeded));
}

#[tokio::test]
async fn two_regions_see_separate_catalogs() {
    // GIVEN a product of the tests' account in us-east-1
    let env = TestEnv::start().await;
    let ireland = env.client_as(TEST_KEY, "eu-west-1");
    let ours = env.seed("payments", TEMPLATE_YAML).await;
    // THEN the same account does not see it in eu-west-1, where a product of its own has an eu-west-1 ARN
    let unseen = product_arn(&ireland, &ours.product_id).await.expect_err("another region");
    assert!(matches!(unseen, DescribeProductAsAdminError::ResourceNotFoundException(_)));
    let there = env.seed_as(&ireland, "payments", TEMPLATE_YAML).await;
    let arn = product_arn(&ireland, &there.product_id).await.expect("in eu-west-1");
    assert_eq!(arn, format!("arn:aws:catalog:eu-west-1:{ACCOUNT}:product/{}", there.product_id));
    assert!(product_arn(&env.client, &there.product_id).await.is_err());
    // AND a provisioned product in one region is not searched in the other
    let stack = env.aws.add_stack("payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    env.imported(&ours, "payments-api", &stack, "t1").await;
    assert_eq!((provisioned_count(&env.client).await, provisioned_count(&ireland).await), (1, 0));
}

#[tokio::test]
async fn an_import_reads_the_stack_as_the_caller_in_its_account_and_region() {
    // GIVEN a member account's stack in eu-west-1, which only that account's credentials there can read
    let env = TestEnv::start().await;
    env.aws.register_key(MEMBER_KEY, MEMBER);
    let config = aws_sdk_servicecatalog::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .credentials_provider(Credentials::new(MEMBER_KEY, "assumed-secret", Some("session-1".to_owned()), None, "t"))
        .endpoint_url(format!("http://{}", env.addr()))
        .retry_config(RetryConfig::disabled())
        .build();
    let member = Client::from_conf(config);
    let seeded = env.seed_as(&member, "payments", TEMPLATE_YAML).await;
    let stack = env.aws.add_stack_in(MEMBER, "eu-west-1", "payments-api", "CREATE_COMPLETE", TEMPLATE_JSON);

    // WHEN the member imports it
    let output = import_as(&member, &seeded, "payments-api", &stack, "token-1").await.expect("import accepted");

    // THEN CloudFormation was asked with the member's key and session token, in eu-west-1
    let expected = |action: &str| Signed {
        action: action.to_owned(),
        access_key_id: MEMBER_KEY.to_owned(),
        region: "eu-west-1".to_owned(),
        session_token: Some("session-1".to_owned()),
    };
    assert_eq!(env.aws.signed("DescribeStacks"), [expected("DescribeStacks")]);
    assert_eq!(env.aws.signed("GetTemplate"), [expected("GetTemplate")]);
    // AND the provisioned product is the member's, in eu-west-1, and its record succeeds
    env.finish_records();
    let record_id = output.record_detail().and_then(|record| record.record_id()).expect("record id");
    let record = member.describe_record().id(record_id).send().await.expect("record");
    assert_eq!(record.record_detail().and_then(|record| record.status()), Some(&RecordStatus::Succeeded));
    let found = member.search_provisioned_products().send().await.expect("search");
    let arn = found.provisioned_products()[0].arn().unwrap_or_default().to_owned();
    assert!(arn.starts_with(&format!("arn:aws:servicecatalog:eu-west-1:{MEMBER}:stack/payments-api/pp-")), "{arn}");
}

#[tokio::test]
async fn a_stack_of_another_account_or_region_is_not_found_as_a_missing_stack_is() {
    // GIVEN a product of the tests' account, a member's stack, and a stack of the tests' account in us-east-1
    let env = TestEnv::start().await;
    env.aws.register_key(MEMBER_KEY, MEMBER);
    let seeded = env.seed("payments", TEMPLATE_YAML).await;
    let theirs = env.aws.add_stack_in(MEMBER, REGION, "payments-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    // WHEN the tests' account imports the member's stack
    let error = env.import(&seeded, "payments-api", &theirs, "t1").await.expect_err("another account's stack");
    // THEN it is a ResourceNotFoundException, as for a stack that does not exist, and CloudFormation was not asked
    let error = service_error(error);
    assert!(error.message().unwrap_or_default().contains("does not exist"), "{error:?}");
    assert!(matches!(error, ImportError::ResourceNotFoundException(_)));
    assert_eq!(env.aws.calls("DescribeStacks"), 0);

    // AND the same holds for a stack of the caller's own account in another region than the request's
    let ireland = env.client_as(TEST_KEY, "eu-west-1");
    let there = env.seed_as(&ireland, "payments", TEMPLATE_YAML).await;
    let ours = env.aws.add_stack("orders-api", "CREATE_COMPLETE", TEMPLATE_YAML);
    let error = import_as(&ireland, &there, "orders-api", &ours, "t2").await.expect_err("another region's stack");
    assert!(matches!(service_error(error), ImportError::ResourceNotFoundException(_)));
    assert_eq!(env.aws.calls("DescribeStacks"), 0);
    // AND the caller can import its own stack from the right region
    env.imported(&seeded, "orders-api", &ours, "t3").await;
}

#[tokio::test]
async fn an_access_key_is_asked_of_sts_once_in_its_signing_region() {
    let env = TestEnv::start().await;
    env.aws.register_key(MEMBER_KEY, MEMBER);
    let member = env.client_as(MEMBER_KEY, "ap-southeast-2");
    for _ in 0..3 {
        assert_eq!(provisioned_count(&member).await, 0);
    }
    let asked: Vec<Signed> =
        env.aws.signed("GetCallerIdentity").into_iter().filter(|signed| signed.access_key_id == MEMBER_KEY).collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(asked[0].region, "ap-southeast-2");
}

#[tokio::test]
async fn a_request_without_credentials_and_an_unknown_key_are_both_the_default_account() {
    // GIVEN the emulator's default region (its own, from AWS_REGION / AWS_DEFAULT_REGION, else us-east-1)
    let env = TestEnv::start().await;
    let region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .unwrap_or_else(|| "us-east-1".to_owned());
    // WHEN a product is created by a request without an Authorization header
    let body = r#"{"Name":"tools","Owner":"me","ProductType":"CLOUD_FORMATION_TEMPLATE",
        "ProvisioningArtifactParameters":{"Name":"v1","Info":{"LoadTemplateFromURL":"http://127.0.0.1:9/t.yaml"}}}"#;
    let (status, _, answer) = post_raw(env.addr(), Some("AWS242ServiceCatalogService.CreateProduct"), body).await;
    assert_eq!(status, 200, "{answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("json");
    let product_id = answer["ProductViewDetail"]["ProductViewSummary"]["ProductId"].as_str().expect("id").to_owned();
    // THEN it is the default account's, in the default region
    let arn = answer["ProductViewDetail"]["ProductARN"].as_str().expect("arn");
    assert_eq!(arn, format!("arn:aws:catalog:{region}:{DEFAULT_ACCOUNT}:product/{product_id}"));
    // AND a key STS does not know is that account too (as moto gives unknown keys its default account); a key of
    // another account is not
    let stranger = env.client_as("AKIDUNKNOWN", &region);
    assert_eq!(product_arn(&stranger, &product_id).await.expect("same account"), arn);
    env.aws.register_key(MEMBER_KEY, MEMBER);
    assert!(product_arn(&env.client_as(MEMBER_KEY, &region), &product_id).await.is_err(), "another account");
}

#[tokio::test]
async fn a_key_sts_refuses_to_describe_is_an_internal_failure() {
    let env = TestEnv::start().await;
    env.aws.refuse_key("AKIDREFUSED");
    let refused = env.client_as("AKIDREFUSED", REGION);
    let error = refused.search_provisioned_products().send().await.expect_err("refused");
    assert_eq!(error.raw_response().map(|response| response.status().as_u16()), Some(500));
    assert_eq!(error.code(), Some("InternalFailure"));
    assert!(error.message().unwrap_or_default().contains("AKIDREFUSED"), "{error:?}");
}
