//! The AWS adapters against `aws-smithy-mocks`: the exact requests each port call sends, how each answer (and each
//! failure) comes back through the port. No network: every client answers from its rules.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::DateTime;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use serde_json::Value;

use sc_stack_importer::aws::{
    CloudFormationStackReader, EventBridgeOutcomePublisher, ServiceCatalogCatalog, SnsOutcomePublisher,
};
use sc_stack_importer::config::AcceptLanguage;
use sc_stack_importer::outcome::{Outcome, Reason, StackInfo, Trigger, TriggerKind, Verdict};
use sc_stack_importer::ports::{
    ArtifactDetail, ArtifactSummary, Catalog, ImportInput, OutcomePublisher, ProvisionedProductQuery,
    ProvisionedProductSummary, RecordSnapshot, ServiceErrorKind, StackReader,
};
use sc_stack_importer::stack::{Stack, StackArn, StackName, StackRef};

const ARN: &str =
    "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/5b5e8a40-9f7c-11ef-8f3a-0affd3a1b2c3";
const PARENT_ARN: &str =
    "arn:aws:cloudformation:us-east-1:111122223333:stack/platform/0c1d2e3f-9f7c-11ef-8f3a-0affd3a1b2c3";
const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:111122223333:stack-import-outcomes";
const BUS: &str = "stack-imports";
const SOURCE: &str = "sc-stack-importer";

// ---------------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------------

/// The inputs a rule was asked to answer, in order: `mock!(..).match_requests(sent.recorder())` records every call.
struct Sent<I>(Arc<Mutex<Vec<I>>>);

impl<I: Clone + Send + Sync + 'static> Sent<I> {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(Vec::new())))
    }

    fn recorder(&self) -> impl Fn(&I) -> bool + Send + Sync + 'static {
        let sent = Arc::clone(&self.0);
        move |input: &I| {
            sent.lock().unwrap().push(input.clone());
            true
        }
    }

    fn all(&self) -> Vec<I> {
        self.0.lock().unwrap().clone()
    }

    fn only(&self) -> I {
        let all = self.all();
        assert_eq!(all.len(), 1, "expected exactly one request");
        all.into_iter().next().unwrap()
    }
}

/// Three attempts, 1 ms apart: the SDK's standard retry behaviour without the test waiting seconds for it.
fn fast_retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(1))
}

fn cloudformation(rules: &[&Rule]) -> CloudFormationStackReader {
    CloudFormationStackReader::new(
        mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, rules, |c| c.retry_config(fast_retries()))
    )
}

fn catalog_in(language: AcceptLanguage, rules: &[&Rule]) -> ServiceCatalogCatalog {
    let client = mock_client!(aws_sdk_servicecatalog, RuleMode::Sequential, rules, |c| c.retry_config(fast_retries()));
    ServiceCatalogCatalog::new(client, language)
}

fn catalog(rules: &[&Rule]) -> ServiceCatalogCatalog {
    catalog_in(AcceptLanguage::En, rules)
}

fn sns(rules: &[&Rule]) -> SnsOutcomePublisher {
    let client = mock_client!(aws_sdk_sns, RuleMode::Sequential, rules, |c| c.retry_config(fast_retries()));
    SnsOutcomePublisher::new(client, TOPIC_ARN.to_owned())
}

fn eventbridge(rules: &[&Rule]) -> EventBridgeOutcomePublisher {
    let client = mock_client!(aws_sdk_eventbridge, RuleMode::Sequential, rules, |c| c.retry_config(fast_retries()));
    EventBridgeOutcomePublisher::new(client, BUS.to_owned(), SOURCE.to_owned())
}

/// A generic (unmodeled) service error, as the SDK builds it from a response whose code it does not model.
fn metadata(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

/// A raw HTTP answer: the SDK's own deserializer and retry classifiers see it exactly as from the wire.
fn http_response(status: u16, content_type: &'static str, body: &'static str) -> Response {
    let mut response = Response::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body));
    response.headers_mut().insert("Content-Type", content_type);
    response
}

/// CloudFormation (awsQuery) error document.
fn query_error(status: u16, code: &'static str, message: &'static str) -> Response {
    let body = format!(
        "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error><Type>Sender</Type>\
         <Code>{code}</Code><Message>{message}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>"
    );
    let mut response = Response::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body));
    response.headers_mut().insert("Content-Type", "text/xml");
    response
}

fn arn_ref() -> StackRef {
    StackRef::Arn(StackArn::parse(ARN).unwrap())
}

fn stack_arn() -> StackArn {
    StackArn::parse(ARN).unwrap()
}

fn cfn_tag(key: &str, value: &str) -> aws_sdk_cloudformation::types::Tag {
    aws_sdk_cloudformation::types::Tag::builder().key(key).value(value).build()
}

fn outcome(reason: Reason, stack: Option<StackInfo>) -> Outcome {
    Outcome {
        verdict: Verdict::new(reason, "a sentence for humans"),
        stack,
        target: None,
        record: None,
        trigger: Trigger { kind: TriggerKind::Event, id: "ev-1".into() },
        dry_run: false,
        time: "2026-11-28T18:44:02Z".into(),
    }
}

fn known_stack() -> Option<StackInfo> {
    Some(StackInfo::from_arn(&stack_arn(), Some("CREATE_COMPLETE".into())))
}

// ---------------------------------------------------------------------------------------------------------------
// CloudFormationStackReader
// ---------------------------------------------------------------------------------------------------------------

mod cloudformation_stack_reader {
    use aws_sdk_cloudformation::Client;
    use aws_sdk_cloudformation::operation::describe_stacks::{DescribeStacksError, DescribeStacksOutput};
    use aws_sdk_cloudformation::operation::get_template::{GetTemplateError, GetTemplateOutput};
    use aws_sdk_cloudformation::types::{StackStatus, TemplateStage};

    use super::*;

    fn described(stack: aws_sdk_cloudformation::types::Stack) -> DescribeStacksOutput {
        DescribeStacksOutput::builder().stacks(stack).build()
    }

    fn throttling() -> DescribeStacksError {
        // CloudFormation (awsQuery) reports throttling as the unmodeled code `Throttling`.
        DescribeStacksError::generic(metadata("Throttling", "Rate exceeded"))
    }

    fn complete_stack() -> DescribeStacksOutput {
        described(
            aws_sdk_cloudformation::types::Stack::builder()
                .stack_id(ARN)
                .stack_name("payments-api")
                .stack_status(StackStatus::CreateComplete)
                .creation_time(DateTime::from_secs(1_600_000_000))
                .build(),
        )
    }

    #[tokio::test]
    async fn a_stack_asked_for_by_arn_is_described_by_that_arn_and_mapped_whole() {
        // GIVEN CloudFormation knows an updated nested stack with tags
        let sent = Sent::new();
        let rule = mock!(Client::describe_stacks).match_requests(sent.recorder()).then_output(|| {
            described(
                aws_sdk_cloudformation::types::Stack::builder()
                    .stack_id(ARN)
                    .stack_name("payments-api")
                    .stack_status(StackStatus::UpdateRollbackComplete)
                    .parent_id(PARENT_ARN)
                    .tags(cfn_tag("sc:product", "prod-abc"))
                    .tags(cfn_tag("team", "payments"))
                    .creation_time(DateTime::from_secs(1_600_000_000))
                    .last_updated_time(DateTime::from_secs_and_nanos(1_700_000_000, 250_000_000))
                    .build(),
            )
        });
        // WHEN it is described by ARN
        let stack = cloudformation(&[&rule]).describe_stack(&arn_ref()).await.unwrap().unwrap();
        // THEN the request names the ARN, and every field the checks read comes across
        assert_eq!(sent.only().stack_name(), Some(ARN));
        let tags: BTreeMap<String, String> =
            [("sc:product", "prod-abc"), ("team", "payments")].map(|(k, v)| (k.to_owned(), v.to_owned())).into();
        assert_eq!(
            stack,
            Stack {
                arn: stack_arn(),
                status: "UPDATE_ROLLBACK_COMPLETE".into(),
                parent_id: Some(PARENT_ARN.into()),
                // LastUpdatedTime wins over CreationTime, to the nanosecond
                changed_at: "1700000000.250000000".into(),
                tags,
            }
        );
    }

    #[tokio::test]
    async fn a_stack_asked_for_by_name_is_described_by_that_name() {
        let sent = Sent::new();
        let rule = mock!(Client::describe_stacks).match_requests(sent.recorder()).then_output(complete_stack);
        let name = StackRef::Name(StackName::parse("payments-api").unwrap());

        let stack = cloudformation(&[&rule]).describe_stack(&name).await.unwrap().unwrap();

        assert_eq!(sent.only().stack_name(), Some("payments-api"));
        // The ARN comes from the answer, not from the request
        assert_eq!(stack.arn, stack_arn());
    }

    #[tokio::test]
    async fn a_stack_never_updated_changed_at_its_creation_time() {
        let rule = mock!(Client::describe_stacks).then_output(complete_stack);

        let stack = cloudformation(&[&rule]).describe_stack(&arn_ref()).await.unwrap().unwrap();

        assert_eq!(stack.changed_at, "1600000000.000000000");
        assert_eq!(stack.status, "CREATE_COMPLETE");
        assert_eq!(stack.parent_id, None);
        assert!(stack.tags.is_empty());
    }

    #[tokio::test]
    async fn a_tag_without_a_value_is_kept_with_an_empty_value_and_one_without_a_key_is_dropped() {
        let rule = mock!(Client::describe_stacks).then_output(|| {
            described(
                aws_sdk_cloudformation::types::Stack::builder()
                    .stack_id(ARN)
                    .stack_status(StackStatus::CreateComplete)
                    .tags(aws_sdk_cloudformation::types::Tag::builder().key("opt-out").build())
                    .tags(aws_sdk_cloudformation::types::Tag::builder().value("orphan").build())
                    .build(),
            )
        });

        let stack = cloudformation(&[&rule]).describe_stack(&arn_ref()).await.unwrap().unwrap();

        assert_eq!(stack.tags, BTreeMap::from([("opt-out".to_owned(), String::new())]));
    }

    #[tokio::test]
    async fn an_unknown_stack_is_none_not_an_error() {
        // GIVEN CloudFormation's answer for a stack it does not know: ValidationError "... does not exist"
        let rule = mock!(Client::describe_stacks).then_error(|| {
            DescribeStacksError::generic(metadata("ValidationError", "Stack with id payments-api does not exist"))
        });

        let answer = cloudformation(&[&rule]).describe_stack(&arn_ref()).await;

        assert_eq!(answer, Ok(None));
    }

    #[tokio::test]
    async fn an_unknown_stack_from_the_wire_is_none_not_an_error() {
        // GIVEN the same answer as CloudFormation sends it: HTTP 400 with an awsQuery error document
        let rule = mock!(Client::describe_stacks)
            .then_http_response(|| query_error(400, "ValidationError", "Stack with id payments-api does not exist"));

        let answer = cloudformation(&[&rule]).describe_stack(&arn_ref()).await;

        assert_eq!(answer, Ok(None));
        assert_eq!(rule.num_calls(), 1, "a client error is not retried");
    }

    #[tokio::test]
    async fn an_empty_describe_stacks_answer_is_none() {
        let rule = mock!(Client::describe_stacks).then_output(|| DescribeStacksOutput::builder().build());

        assert_eq!(cloudformation(&[&rule]).describe_stack(&arn_ref()).await, Ok(None));
    }

    #[tokio::test]
    async fn any_other_validation_error_is_an_error_not_a_missing_stack() {
        let rule = mock!(Client::describe_stacks)
            .then_error(|| DescribeStacksError::generic(metadata("ValidationError", "1 validation error detected")));

        let error = cloudformation(&[&rule]).describe_stack(&arn_ref()).await.unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::Other);
        assert_eq!(error.code, "ValidationError");
        assert_eq!(error.message, "1 validation error detected");
    }

    #[tokio::test]
    async fn access_denied_is_reported_as_access_denied() {
        let rule = mock!(Client::describe_stacks).then_error(|| {
            DescribeStacksError::generic(metadata(
                "AccessDenied",
                "User is not authorized to perform: cloudformation:DescribeStacks",
            ))
        });

        let error = cloudformation(&[&rule]).describe_stack(&arn_ref()).await.unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::AccessDenied);
        assert_eq!(error.code, "AccessDenied");
        assert!(!error.is_transient());
    }

    #[tokio::test]
    async fn an_unusable_stack_id_is_an_error_not_a_panic() {
        for stack_id in [Some("not-an-arn"), Some("arn:aws:s3:::bucket/key"), Some(""), None] {
            let rule = mock!(Client::describe_stacks).then_output(move || {
                described(
                    aws_sdk_cloudformation::types::Stack::builder()
                        .set_stack_id(stack_id.map(str::to_owned))
                        .stack_status(StackStatus::CreateComplete)
                        .build(),
                )
            });

            let error = cloudformation(&[&rule]).describe_stack(&arn_ref()).await.unwrap_err();

            assert_eq!(error.kind, ServiceErrorKind::Other, "StackId {stack_id:?}");
            assert_eq!(error.code, "UnexpectedResponse", "StackId {stack_id:?}");
            assert!(error.message.contains("StackId"), "StackId {stack_id:?}: {error}");
        }
    }

    #[tokio::test]
    async fn the_original_template_is_asked_for_by_arn_before_transforms() {
        let sent = Sent::new();
        let rule = mock!(Client::get_template).match_requests(sent.recorder()).then_output(|| {
            GetTemplateOutput::builder().template_body("AWSTemplateFormatVersion: '2010-09-09'\n").build()
        });

        let template = cloudformation(&[&rule]).original_template(&stack_arn()).await.unwrap();

        assert_eq!(template, "AWSTemplateFormatVersion: '2010-09-09'\n");
        let request = sent.only();
        assert_eq!(request.stack_name(), Some(ARN));
        assert_eq!(request.template_stage(), Some(&TemplateStage::Original));
    }

    #[tokio::test]
    async fn a_get_template_answer_without_a_body_is_an_error() {
        let rule = mock!(Client::get_template).then_output(|| GetTemplateOutput::builder().build());

        let error = cloudformation(&[&rule]).original_template(&stack_arn()).await.unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::Other);
        assert_eq!(error.code, "NoTemplateBody");
    }

    #[tokio::test]
    async fn the_template_of_a_vanished_stack_is_not_found() {
        let rule = mock!(Client::get_template).then_error(|| {
            GetTemplateError::generic(metadata("ValidationError", &format!("Stack with id {ARN} does not exist")))
        });

        let error = cloudformation(&[&rule]).original_template(&stack_arn()).await.unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::NotFound);
    }

    // -- retries --------------------------------------------------------------------------------------------------

    #[tokio::test]
    async fn a_throttled_describe_stacks_is_retried_then_succeeds() {
        // GIVEN CloudFormation throttles twice, then answers
        let rule = mock!(Client::describe_stacks).sequence().error(throttling).times(2).output(complete_stack).build();
        let client = mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, &[&rule], |c| c
            .retry_config(RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(1))));
        // WHEN the stack is described once through the port
        let stack = CloudFormationStackReader::new(client).describe_stack(&arn_ref()).await;
        // THEN the SDK's own retries absorb the throttling: three attempts, one answer
        assert_eq!(stack.unwrap().unwrap().arn, stack_arn());
        assert_eq!(rule.num_calls(), 3);
    }

    #[tokio::test]
    async fn a_describe_stacks_throttled_on_every_attempt_is_throttled() {
        let rule = mock!(Client::describe_stacks).sequence().error(throttling).times(3).build();
        let client = mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, &[&rule], |c| c
            .retry_config(RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(1))));

        let error = CloudFormationStackReader::new(client).describe_stack(&arn_ref()).await.unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::Throttled);
        assert_eq!(error.code, "Throttling");
        assert!(error.is_transient());
        assert_eq!(rule.num_calls(), 3, "all three attempts were made");
    }

    #[tokio::test]
    async fn a_throttled_get_template_from_the_wire_is_retried_then_succeeds() {
        let rule = mock!(Client::get_template)
            .sequence()
            .http_response(|| query_error(400, "Throttling", "Rate exceeded"))
            .output(|| GetTemplateOutput::builder().template_body("{}").build())
            .build();

        let template = cloudformation(&[&rule]).original_template(&stack_arn()).await;

        assert_eq!(template, Ok("{}".to_owned()));
        assert_eq!(rule.num_calls(), 2);
    }

    #[tokio::test]
    async fn a_500_on_every_attempt_is_transient() {
        let rule = mock!(Client::describe_stacks).sequence().http_status(500, None).times(3).build();

        let error = cloudformation(&[&rule]).describe_stack(&arn_ref()).await.unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::Transient, "{error}");
        assert!(error.is_transient());
        assert_eq!(rule.num_calls(), 3, "5xx answers are retried by the SDK");
    }

    #[tokio::test]
    async fn a_503_with_an_error_document_is_transient() {
        let rule = mock!(Client::get_template)
            .then_http_response(|| query_error(503, "ServiceUnavailable", "Service is unavailable"));

        let error = cloudformation(&[&rule]).original_template(&stack_arn()).await.unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::Transient, "{error}");
        assert_eq!(error.code, "ServiceUnavailable");
    }

    #[tokio::test]
    async fn a_503_without_an_error_document_is_transient() {
        let rule = mock!(Client::describe_stacks)
            .then_http_response(|| http_response(503, "text/html", "<html>Service Unavailable</html>"));

        let error = cloudformation(&[&rule]).describe_stack(&arn_ref()).await.unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::Transient, "{error}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// ServiceCatalogCatalog
// ---------------------------------------------------------------------------------------------------------------

mod service_catalog_catalog {
    use std::collections::HashMap;

    use aws_sdk_servicecatalog::Client;
    use aws_sdk_servicecatalog::operation::describe_provisioning_artifact::DescribeProvisioningArtifactOutput;
    use aws_sdk_servicecatalog::operation::describe_record::{DescribeRecordError, DescribeRecordOutput};
    use aws_sdk_servicecatalog::operation::import_as_provisioned_product::{
        ImportAsProvisionedProductError, ImportAsProvisionedProductOutput,
    };
    use aws_sdk_servicecatalog::operation::list_provisioning_artifacts::{
        ListProvisioningArtifactsError, ListProvisioningArtifactsOutput,
    };
    use aws_sdk_servicecatalog::operation::search_provisioned_products::SearchProvisionedProductsOutput;
    use aws_sdk_servicecatalog::types::error::{
        DuplicateResourceException, InvalidParametersException, InvalidStateException, ResourceNotFoundException,
    };
    use aws_sdk_servicecatalog::types::{
        AccessLevelFilterKey, ProvisionedProductAttribute, ProvisionedProductViewFilterBy, ProvisioningArtifactDetail,
        RecordDetail, RecordError, RecordStatus,
    };

    use super::*;

    const PRODUCT: &str = "prod-abcdefghijklm";
    const ARTIFACT: &str = "pa-abcdefghijklm";

    fn product(id: &str, name: &str) -> ProvisionedProductAttribute {
        ProvisionedProductAttribute::builder().id(id).name(name).physical_id(ARN).build()
    }

    fn page(products: &[(&str, &str)], next: Option<&str>) -> SearchProvisionedProductsOutput {
        let mut output = SearchProvisionedProductsOutput::builder();
        for (id, name) in products {
            output = output.provisioned_products(product(id, name));
        }
        output.set_next_page_token(next.map(str::to_owned)).build()
    }

    fn import_input() -> ImportInput {
        ImportInput {
            product_id: PRODUCT.into(),
            provisioning_artifact_id: ARTIFACT.into(),
            provisioned_product_name: "payments-api".into(),
            physical_id: ARN.into(),
            idempotency_token: "3f1c0a9e5b7d4e2f8a6c1b3d5e7f9a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f".into(),
        }
    }

    fn imported(status: RecordStatus) -> ImportAsProvisionedProductOutput {
        ImportAsProvisionedProductOutput::builder()
            .record_detail(
                RecordDetail::builder()
                    .record_id("rec-1")
                    .status(status)
                    .provisioned_product_id("pp-1")
                    .record_type("IMPORT_PROVISIONED_PRODUCT")
                    .build(),
            )
            .build()
    }

    // -- SearchProvisionedProducts --------------------------------------------------------------------------------

    #[tokio::test]
    async fn a_physical_id_search_asks_the_whole_account_for_that_physical_id() {
        let sent = Sent::new();
        let rule = mock!(Client::search_provisioned_products)
            .match_requests(sent.recorder())
            .then_output(|| page(&[("pp-1", "payments-api")], None));

        let found = catalog(&[&rule])
            .search_provisioned_products(&ProvisionedProductQuery::PhysicalId(ARN.into()))
            .await
            .unwrap();

        assert_eq!(
            found,
            vec![ProvisionedProductSummary {
                id: "pp-1".into(),
                name: "payments-api".into(),
                physical_id: Some(ARN.into())
            }]
        );
        let request = sent.only();
        let access = request.access_level_filter().expect("an AccessLevelFilter");
        assert_eq!(access.key(), Some(&AccessLevelFilterKey::Account));
        assert_eq!(access.value(), Some("self"));
        assert_eq!(
            request.filters(),
            Some(&HashMap::from([(ProvisionedProductViewFilterBy::SearchQuery, vec![format!("physicalId:{ARN}")])]))
        );
        assert_eq!(request.accept_language(), Some("en"));
        assert_eq!(request.page_token(), None);
    }

    #[tokio::test]
    async fn a_name_search_filters_on_the_name() {
        let sent = Sent::new();
        let rule =
            mock!(Client::search_provisioned_products).match_requests(sent.recorder()).then_output(|| page(&[], None));

        let found = catalog(&[&rule])
            .search_provisioned_products(&ProvisionedProductQuery::Name("payments-api".into()))
            .await
            .unwrap();

        assert!(found.is_empty());
        let filters = sent.only().filters().cloned().unwrap_or_default();
        assert_eq!(
            filters.get(&ProvisionedProductViewFilterBy::SearchQuery),
            Some(&vec!["name:payments-api".to_owned()])
        );
    }

    #[tokio::test]
    async fn the_configured_language_is_sent_with_every_call() {
        // GIVEN a catalog configured for Japanese
        let searched = Sent::new();
        let listed = Sent::new();
        let described = Sent::new();
        let imported_with = Sent::new();
        let followed = Sent::new();
        let rules = [
            mock!(Client::search_provisioned_products)
                .match_requests(searched.recorder())
                .then_output(|| page(&[], None)),
            mock!(Client::list_provisioning_artifacts)
                .match_requests(listed.recorder())
                .then_output(|| ListProvisioningArtifactsOutput::builder().build()),
            mock!(Client::describe_provisioning_artifact)
                .match_requests(described.recorder())
                .then_output(|| DescribeProvisioningArtifactOutput::builder().build()),
            mock!(Client::import_as_provisioned_product)
                .match_requests(imported_with.recorder())
                .then_output(|| imported(RecordStatus::Created)),
            mock!(Client::describe_record).match_requests(followed.recorder()).then_output(|| {
                DescribeRecordOutput::builder()
                    .record_detail(RecordDetail::builder().record_id("rec-1").build())
                    .build()
            }),
        ];
        let catalog = catalog_in(AcceptLanguage::Jp, &rules.iter().collect::<Vec<_>>());
        // WHEN each operation is called once
        catalog.search_provisioned_products(&ProvisionedProductQuery::Name("payments-api".into())).await.unwrap();
        catalog.list_artifacts(PRODUCT).await.unwrap();
        catalog.describe_artifact(PRODUCT, ARTIFACT).await.unwrap();
        catalog.import(&import_input()).await.unwrap();
        catalog.describe_record("rec-1").await.unwrap();
        // THEN every request says "jp"
        assert_eq!(searched.only().accept_language(), Some("jp"));
        assert_eq!(listed.only().accept_language(), Some("jp"));
        assert_eq!(described.only().accept_language(), Some("jp"));
        assert_eq!(imported_with.only().accept_language(), Some("jp"));
        assert_eq!(followed.only().accept_language(), Some("jp"));
    }

    #[tokio::test]
    async fn search_results_are_gathered_across_pages() {
        // GIVEN two pages of results, the first pointing at the second
        let sent = Sent::new();
        let rule = mock!(Client::search_provisioned_products)
            .match_requests(sent.recorder())
            .sequence()
            .output(|| page(&[("pp-1", "payments-api")], Some("page-2")))
            .output(|| page(&[("pp-2", "payments-api-copy")], None))
            .build();
        // WHEN the search runs
        let found = catalog(&[&rule])
            .search_provisioned_products(&ProvisionedProductQuery::PhysicalId(ARN.into()))
            .await
            .unwrap();
        // THEN both pages' products come back, in order, from two calls, the second asking for page 2 of the same query
        let ids: Vec<_> = found.iter().map(|product| product.id.as_str()).collect();
        assert_eq!(ids, ["pp-1", "pp-2"]);
        assert_eq!(rule.num_calls(), 2);
        let requests = sent.all();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0].page_token(), None);
        assert_eq!(requests[1].page_token(), Some("page-2"));
        assert_eq!(requests[1].filters(), requests[0].filters());
        assert_eq!(requests[1].access_level_filter(), requests[0].access_level_filter());
    }

    #[tokio::test]
    async fn an_empty_next_page_token_ends_the_search() {
        let rule =
            mock!(Client::search_provisioned_products).then_output(|| page(&[("pp-1", "payments-api")], Some("")));

        let found = catalog(&[&rule])
            .search_provisioned_products(&ProvisionedProductQuery::PhysicalId(ARN.into()))
            .await
            .unwrap();

        assert_eq!(found.len(), 1);
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_search_that_never_stops_paging_is_cut_short() {
        // GIVEN a service that always has another page
        let rule = mock!(Client::search_provisioned_products)
            .sequence()
            .output(|| page(&[("pp-1", "payments-api")], Some("again")))
            .repeatedly()
            .build();
        // WHEN the search runs, THEN it ends on its own, after a bounded number of calls
        let found = tokio::time::timeout(
            Duration::from_secs(30),
            catalog(&[&rule]).search_provisioned_products(&ProvisionedProductQuery::PhysicalId(ARN.into())),
        )
        .await
        .expect("the search ends")
        .unwrap();
        let calls = rule.num_calls();
        assert!((2..=100).contains(&calls), "{calls} calls");
        assert_eq!(found.len(), calls, "every page read is kept");
    }

    #[tokio::test]
    async fn a_failed_search_page_fails_the_search() {
        let rule = mock!(Client::search_provisioned_products)
            .sequence()
            .output(|| page(&[("pp-1", "payments-api")], Some("page-2")))
            .http_status(500, None)
            .times(3)
            .build();

        let error = catalog(&[&rule])
            .search_provisioned_products(&ProvisionedProductQuery::PhysicalId(ARN.into()))
            .await
            .unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::Transient, "{error}");
        assert_eq!(rule.num_calls(), 4);
    }

    // -- ListProvisioningArtifacts / DescribeProvisioningArtifact -------------------------------------------------

    #[tokio::test]
    async fn artifacts_are_listed_with_their_state_and_creation_time() {
        let sent = Sent::new();
        let rule = mock!(Client::list_provisioning_artifacts).match_requests(sent.recorder()).then_output(|| {
            ListProvisioningArtifactsOutput::builder()
                .provisioning_artifact_details(
                    ProvisioningArtifactDetail::builder()
                        .id("pa-old")
                        .name("v1")
                        .active(false)
                        .created_time(DateTime::from_secs(1_600_000_000))
                        .build(),
                )
                .provisioning_artifact_details(
                    ProvisioningArtifactDetail::builder()
                        .id("pa-new")
                        .name("v2")
                        .active(true)
                        .created_time(DateTime::from_secs_and_nanos(1_700_000_000, 999_000_000))
                        .build(),
                )
                // Active not set: Service Catalog's default is active
                .provisioning_artifact_details(ProvisioningArtifactDetail::builder().id("pa-unset").build())
                // No id: nothing the importer could import into
                .provisioning_artifact_details(ProvisioningArtifactDetail::builder().name("ghost").build())
                .build()
        });

        let artifacts = catalog(&[&rule]).list_artifacts(PRODUCT).await.unwrap();

        assert_eq!(sent.only().product_id(), Some(PRODUCT));
        assert_eq!(
            artifacts,
            vec![
                ArtifactSummary { id: "pa-old".into(), active: false, created: 1_600_000_000 },
                ArtifactSummary { id: "pa-new".into(), active: true, created: 1_700_000_000 },
                ArtifactSummary { id: "pa-unset".into(), active: true, created: 0 },
            ]
        );
    }

    #[tokio::test]
    async fn an_unknown_product_is_not_found() {
        let rule = mock!(Client::list_provisioning_artifacts).then_error(|| {
            ListProvisioningArtifactsError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Product not found")
                    .meta(metadata("ResourceNotFoundException", "Product not found"))
                    .build(),
            )
        });

        let error = catalog(&[&rule]).list_artifacts(PRODUCT).await.unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::NotFound);
    }

    #[tokio::test]
    async fn an_artifact_is_described_with_its_template_url() {
        let sent = Sent::new();
        let rule = mock!(Client::describe_provisioning_artifact).match_requests(sent.recorder()).then_output(|| {
            DescribeProvisioningArtifactOutput::builder()
                .provisioning_artifact_detail(ProvisioningArtifactDetail::builder().id(ARTIFACT).active(false).build())
                .info("TemplateUrl", "https://bucket.s3.amazonaws.com/template.yaml?X-Amz-Signature=abc")
                .info("ImportFromPhysicalId", "ignored")
                .build()
        });

        let artifact = catalog(&[&rule]).describe_artifact(PRODUCT, ARTIFACT).await.unwrap();

        let request = sent.only();
        assert_eq!(request.product_id(), Some(PRODUCT));
        assert_eq!(request.provisioning_artifact_id(), Some(ARTIFACT));
        assert_eq!(
            artifact,
            ArtifactDetail {
                id: ARTIFACT.into(),
                active: false,
                template_url: Some("https://bucket.s3.amazonaws.com/template.yaml?X-Amz-Signature=abc".into()),
            }
        );
    }

    #[tokio::test]
    async fn a_sparse_artifact_description_defaults_to_the_asked_id_active_and_no_url() {
        let rule = mock!(Client::describe_provisioning_artifact)
            .then_output(|| DescribeProvisioningArtifactOutput::builder().build());

        let artifact = catalog(&[&rule]).describe_artifact(PRODUCT, ARTIFACT).await.unwrap();

        assert_eq!(artifact, ArtifactDetail { id: ARTIFACT.into(), active: true, template_url: None });
    }

    // -- ImportAsProvisionedProduct -------------------------------------------------------------------------------

    #[tokio::test]
    async fn the_import_sends_exactly_what_it_was_given() {
        let sent = Sent::new();
        let rule = mock!(Client::import_as_provisioned_product)
            .match_requests(sent.recorder())
            .then_output(|| imported(RecordStatus::InProgress));

        let record = catalog(&[&rule]).import(&import_input()).await.unwrap();

        let request = sent.only();
        let input = import_input();
        assert_eq!(request.product_id(), Some(input.product_id.as_str()));
        assert_eq!(request.provisioning_artifact_id(), Some(input.provisioning_artifact_id.as_str()));
        assert_eq!(request.provisioned_product_name(), Some(input.provisioned_product_name.as_str()));
        assert_eq!(request.physical_id(), Some(input.physical_id.as_str()));
        // Our deterministic token, not the SDK's generated one: a retried import must be the same request
        assert_eq!(request.idempotency_token(), Some(input.idempotency_token.as_str()));
        assert_eq!(
            record,
            RecordSnapshot {
                record_id: "rec-1".into(),
                status: "IN_PROGRESS".into(),
                provisioned_product_id: Some("pp-1".into()),
                errors: vec![],
            }
        );
        assert!(!record.is_terminal());
    }

    #[tokio::test]
    async fn each_documented_import_exception_maps_to_its_kind() {
        fn meta(code: &str) -> ErrorMetadata {
            // As the SDK's deserializer builds modeled errors: the code and message from the response.
            metadata(code, &format!("{code} from Service Catalog"))
        }
        type ModeledError = fn() -> ImportAsProvisionedProductError;
        let cases: [(&str, ModeledError, ServiceErrorKind); 4] = [
            (
                "DuplicateResourceException",
                || {
                    ImportAsProvisionedProductError::DuplicateResourceException(
                        DuplicateResourceException::builder().meta(meta("DuplicateResourceException")).build(),
                    )
                },
                ServiceErrorKind::DuplicateResource,
            ),
            (
                "InvalidStateException",
                || {
                    ImportAsProvisionedProductError::InvalidStateException(
                        InvalidStateException::builder().meta(meta("InvalidStateException")).build(),
                    )
                },
                ServiceErrorKind::InvalidState,
            ),
            (
                "InvalidParametersException",
                || {
                    ImportAsProvisionedProductError::InvalidParametersException(
                        InvalidParametersException::builder().meta(meta("InvalidParametersException")).build(),
                    )
                },
                ServiceErrorKind::InvalidParameters,
            ),
            (
                "ResourceNotFoundException",
                || {
                    ImportAsProvisionedProductError::ResourceNotFoundException(
                        ResourceNotFoundException::builder().meta(meta("ResourceNotFoundException")).build(),
                    )
                },
                ServiceErrorKind::NotFound,
            ),
        ];
        for (code, error, kind) in cases {
            let rule = mock!(Client::import_as_provisioned_product).then_error(error);

            let answer = catalog(&[&rule]).import(&import_input()).await.unwrap_err();

            assert_eq!(answer.kind, kind, "{code}");
            assert_eq!(answer.code, code);
            assert_eq!(answer.message, format!("{code} from Service Catalog"));
            assert!(!answer.is_transient(), "{code}");
            assert_eq!(rule.num_calls(), 1, "{code} is not retried");
        }
    }

    #[tokio::test]
    async fn an_import_exception_from_the_wire_maps_to_its_kind() {
        // GIVEN Service Catalog's awsJson 1.1 answer for a name already taken
        let rule = mock!(Client::import_as_provisioned_product).then_http_response(|| {
            http_response(
                400,
                "application/x-amz-json-1.1",
                r#"{"__type":"DuplicateResourceException","Message":"A provisioned product named payments-api exists"}"#,
            )
        });

        let error = catalog(&[&rule]).import(&import_input()).await.unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::DuplicateResource, "{error}");
        assert_eq!(error.code, "DuplicateResourceException");
        assert_eq!(error.message, "A provisioned product named payments-api exists");
    }

    #[tokio::test]
    async fn an_import_answer_without_a_record_is_an_error_not_a_panic() {
        for output in [
            ImportAsProvisionedProductOutput::builder().build(),
            ImportAsProvisionedProductOutput::builder()
                .record_detail(RecordDetail::builder().status(RecordStatus::Created).build())
                .build(),
        ] {
            let rule = mock!(Client::import_as_provisioned_product).then_output(move || output.clone());

            let error = catalog(&[&rule]).import(&import_input()).await.unwrap_err();

            assert_eq!(error.kind, ServiceErrorKind::Other);
            assert_eq!(error.code, "UnexpectedResponse");
        }
    }

    // -- DescribeRecord -------------------------------------------------------------------------------------------

    #[tokio::test]
    async fn a_record_is_followed_by_its_id_and_its_errors_kept() {
        let sent = Sent::new();
        let rule = mock!(Client::describe_record).match_requests(sent.recorder()).then_output(|| {
            DescribeRecordOutput::builder()
                .record_detail(
                    RecordDetail::builder()
                        .record_id("rec-1")
                        .status(RecordStatus::Failed)
                        .provisioned_product_id("pp-1")
                        .record_errors(
                            RecordError::builder()
                                .code("InvalidTemplate")
                                .description("The stack's template differs from the artifact's")
                                .build(),
                        )
                        .record_errors(RecordError::builder().description("no code").build())
                        .build(),
                )
                .build()
        });

        let record = catalog(&[&rule]).describe_record("rec-1").await.unwrap();

        assert_eq!(sent.only().id(), Some("rec-1"));
        assert_eq!(
            record,
            RecordSnapshot {
                record_id: "rec-1".into(),
                status: "FAILED".into(),
                provisioned_product_id: Some("pp-1".into()),
                errors: vec![
                    ("InvalidTemplate".into(), "The stack's template differs from the artifact's".into()),
                    (String::new(), "no code".into()),
                ],
            }
        );
        assert!(record.is_terminal());
    }

    #[tokio::test]
    async fn every_record_status_comes_across_as_its_code() {
        for (status, code) in [
            (RecordStatus::Created, "CREATED"),
            (RecordStatus::InProgress, "IN_PROGRESS"),
            (RecordStatus::InProgressInError, "IN_PROGRESS_IN_ERROR"),
            (RecordStatus::Succeeded, "SUCCEEDED"),
            (RecordStatus::Failed, "FAILED"),
        ] {
            let rule = mock!(Client::describe_record).then_output(move || {
                DescribeRecordOutput::builder()
                    .record_detail(RecordDetail::builder().record_id("rec-1").status(status.clone()).build())
                    .build()
            });

            let record = catalog(&[&rule]).describe_record("rec-1").await.unwrap();

            assert_eq!(record.status, code);
        }
    }

    #[tokio::test]
    async fn a_record_without_a_status_is_created() {
        let rule = mock!(Client::describe_record).then_output(|| {
            DescribeRecordOutput::builder().record_detail(RecordDetail::builder().record_id("rec-1").build()).build()
        });

        let record = catalog(&[&rule]).describe_record("rec-1").await.unwrap();

        assert_eq!(record.status, "CREATED");
        assert!(record.errors.is_empty());
    }

    #[tokio::test]
    async fn a_describe_record_answer_without_a_record_is_an_error_not_a_panic() {
        let rule = mock!(Client::describe_record).then_output(|| DescribeRecordOutput::builder().build());

        let error = catalog(&[&rule]).describe_record("rec-1").await.unwrap_err();

        assert_eq!(error.kind, ServiceErrorKind::Other);
        assert_eq!(error.code, "UnexpectedResponse");
    }

    #[tokio::test]
    async fn a_throttled_describe_record_is_retried_then_succeeds() {
        let rule = mock!(Client::describe_record)
            .sequence()
            .error(|| DescribeRecordError::generic(metadata("ThrottlingException", "Rate exceeded")))
            .output(|| {
                DescribeRecordOutput::builder()
                    .record_detail(RecordDetail::builder().record_id("rec-1").status(RecordStatus::Succeeded).build())
                    .build()
            })
            .build();

        let record = catalog(&[&rule]).describe_record("rec-1").await.unwrap();

        assert_eq!(record.status, "SUCCEEDED");
        assert_eq!(rule.num_calls(), 2);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// SnsOutcomePublisher
// ---------------------------------------------------------------------------------------------------------------

mod sns_outcome_publisher {
    use aws_sdk_sns::Client;
    use aws_sdk_sns::operation::publish::{PublishError as SdkPublishError, PublishOutput};
    use aws_sdk_sns::types::error::AuthorizationErrorException;

    use super::*;

    fn published() -> PublishOutput {
        PublishOutput::builder().message_id("msg-1").build()
    }

    #[tokio::test]
    async fn an_outcome_is_published_to_the_topic_with_its_json_and_filterable_attributes() {
        // GIVEN a SKIPPED outcome for a known stack
        let sent = Sent::new();
        let rule = mock!(Client::publish).match_requests(sent.recorder()).then_output(published);
        let skipped = outcome(Reason::NoRoute, known_stack());
        // WHEN it is published
        sns(&[&rule]).publish(&skipped).await.unwrap();
        // THEN one Publish carries the topic, a readable subject, the outcome JSON and the filter attributes
        let request = sent.only();
        assert_eq!(request.topic_arn(), Some(TOPIC_ARN));
        assert_eq!(request.subject(), Some("SKIPPED: payments-api"));
        let message: Value = serde_json::from_str(request.message().unwrap()).unwrap();
        assert_eq!(message, skipped.to_json());
        assert_eq!(message["outcome"], "SKIPPED");
        assert_eq!(message["reason"], "NO_ROUTE");
        assert_eq!(message["stack"]["name"], "payments-api");
        let attributes = request.message_attributes().unwrap();
        assert_eq!(attributes.len(), 2, "{attributes:?}");
        assert_eq!(attributes["outcome"].data_type(), "String");
        assert_eq!(attributes["outcome"].string_value(), Some("SKIPPED"));
        assert_eq!(attributes["reason"].data_type(), "String");
        assert_eq!(attributes["reason"].string_value(), Some("NO_ROUTE"));
    }

    #[tokio::test]
    async fn the_subject_of_a_long_stack_name_is_cut_to_100_characters() {
        // GIVEN a stack with the longest name CloudFormation allows (128 characters)
        let name = format!("p{}", "a1-".repeat(42)) + "x";
        assert_eq!(name.len(), 128);
        let arn = StackArn::parse(&format!("arn:aws:cloudformation:us-east-1:111122223333:stack/{name}/id-1")).unwrap();
        let sent = Sent::new();
        let rule = mock!(Client::publish).match_requests(sent.recorder()).then_output(published);
        let failed = outcome(Reason::TemplateMismatch, Some(StackInfo::from_arn(&arn, None)));

        sns(&[&rule]).publish(&failed).await.unwrap();

        let request = sent.only();
        let subject = request.subject().unwrap();
        assert_eq!(subject.chars().count(), 100);
        assert_eq!(subject, &format!("FAILED: {name}")[..100]);
        // The message keeps the whole name
        let message: Value = serde_json::from_str(request.message().unwrap()).unwrap();
        assert_eq!(message["stack"]["name"], name.as_str());
    }

    #[tokio::test]
    async fn an_outcome_without_a_stack_says_so_in_the_subject() {
        let sent = Sent::new();
        let rule = mock!(Client::publish).match_requests(sent.recorder()).then_output(published);

        sns(&[&rule]).publish(&outcome(Reason::UnsupportedEvent, None)).await.unwrap();

        let request = sent.only();
        assert_eq!(request.subject(), Some("SKIPPED: unknown stack"));
        let message: Value = serde_json::from_str(request.message().unwrap()).unwrap();
        assert_eq!(message["reason"], "UNSUPPORTED_EVENT");
        assert!(message.get("stack").is_none(), "{message}");
    }

    #[tokio::test]
    async fn an_sns_error_is_a_publish_error_naming_the_topic_and_the_code() {
        let rule = mock!(Client::publish).then_error(|| {
            SdkPublishError::AuthorizationErrorException(
                AuthorizationErrorException::builder()
                    .message("not authorized to perform SNS:Publish")
                    .meta(metadata("AuthorizationError", "not authorized to perform SNS:Publish"))
                    .build(),
            )
        });

        let error = sns(&[&rule]).publish(&outcome(Reason::NoRoute, known_stack())).await.unwrap_err();

        assert!(error.destination.contains(TOPIC_ARN), "{error}");
        assert!(error.message.contains("AuthorizationError"), "{error}");
        assert_eq!(rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_sns_outage_is_a_publish_error_after_the_retries() {
        let rule = mock!(Client::publish).sequence().http_status(503, None).times(3).build();

        let error = sns(&[&rule]).publish(&outcome(Reason::NoRoute, known_stack())).await.unwrap_err();

        assert!(error.destination.contains(TOPIC_ARN), "{error}");
        assert_eq!(rule.num_calls(), 3);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// EventBridgeOutcomePublisher
// ---------------------------------------------------------------------------------------------------------------

mod eventbridge_outcome_publisher {
    use aws_sdk_eventbridge::Client;
    use aws_sdk_eventbridge::operation::put_events::{PutEventsError, PutEventsOutput};
    use aws_sdk_eventbridge::types::PutEventsResultEntry;
    use aws_sdk_eventbridge::types::error::InternalException;

    use super::*;

    fn accepted() -> PutEventsOutput {
        PutEventsOutput::builder()
            .failed_entry_count(0)
            .entries(PutEventsResultEntry::builder().event_id("ev-out-1").build())
            .build()
    }

    #[tokio::test]
    async fn an_outcome_is_put_on_the_bus_as_one_stack_import_outcome_event() {
        let sent = Sent::new();
        let rule = mock!(Client::put_events).match_requests(sent.recorder()).then_output(accepted);
        let imported = outcome(Reason::RecordSucceeded, known_stack());

        eventbridge(&[&rule]).publish(&imported).await.unwrap();

        let request = sent.only();
        assert_eq!(request.entries().len(), 1);
        let entry = &request.entries()[0];
        assert_eq!(entry.event_bus_name(), Some(BUS));
        assert_eq!(entry.source(), Some(SOURCE));
        assert_eq!(entry.detail_type(), Some("Stack Import Outcome"));
        let detail: Value = serde_json::from_str(entry.detail().unwrap()).unwrap();
        assert_eq!(detail, imported.to_json());
        assert_eq!(detail["outcome"], "IMPORTED");
        assert_eq!(entry.resources(), [ARN]);
    }

    #[tokio::test]
    async fn an_outcome_without_a_stack_arn_names_no_resources() {
        let named_only = StackInfo::from_ref(&StackRef::Name(StackName::parse("payments-api").unwrap()));
        for stack in [None, Some(named_only)] {
            let sent = Sent::new();
            let rule = mock!(Client::put_events).match_requests(sent.recorder()).then_output(accepted);

            eventbridge(&[&rule]).publish(&outcome(Reason::StackNotFound, stack.clone())).await.unwrap();

            let request = sent.only();
            // Absent, not an empty list and not [""]
            assert_eq!(request.entries()[0].resources, None, "stack {stack:?}");
        }
    }

    #[tokio::test]
    async fn a_refused_entry_is_a_publish_error_naming_the_reason() {
        // GIVEN PutEvents answers 200 but refuses the entry
        let rule = mock!(Client::put_events).then_output(|| {
            PutEventsOutput::builder()
                .failed_entry_count(1)
                .entries(
                    PutEventsResultEntry::builder()
                        .error_code("InternalFailure")
                        .error_message("try again later")
                        .build(),
                )
                .build()
        });

        let error = eventbridge(&[&rule]).publish(&outcome(Reason::NoRoute, known_stack())).await.unwrap_err();

        assert!(error.destination.contains(BUS), "{error}");
        assert!(error.message.contains("InternalFailure"), "{error}");
        assert!(error.message.contains("try again later"), "{error}");
    }

    #[tokio::test]
    async fn an_eventbridge_error_is_a_publish_error() {
        let rule = mock!(Client::put_events).then_error(|| {
            PutEventsError::InternalException(
                InternalException::builder()
                    .message("internal error")
                    .meta(metadata("InternalException", "internal error"))
                    .build(),
            )
        });

        let error = eventbridge(&[&rule]).publish(&outcome(Reason::NoRoute, known_stack())).await.unwrap_err();

        assert!(error.destination.contains(BUS), "{error}");
        assert!(error.message.contains("InternalException"), "{error}");
    }

    #[tokio::test]
    async fn an_unreachable_eventbridge_is_a_publish_error_after_the_retries() {
        let rule = mock!(Client::put_events).sequence().http_status(500, None).times(3).build();

        let error = eventbridge(&[&rule]).publish(&outcome(Reason::NoRoute, known_stack())).await.unwrap_err();

        assert!(error.destination.contains(BUS), "{error}");
        assert_eq!(rule.num_calls(), 3);
    }
}
