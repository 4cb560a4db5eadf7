//! `CloudFormationStackReader`: DescribeStacks and GetTemplate requests, how a stack comes across, and how each
//! failure is classified after the SDK's own retries.

use std::collections::BTreeMap;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::operation::describe_stacks::{DescribeStacksError, DescribeStacksOutput};
use aws_sdk_cloudformation::operation::get_template::{GetTemplateError, GetTemplateOutput};
use aws_sdk_cloudformation::types::{StackStatus as SdkStackStatus, Tag, TemplateStage};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;

use sc_stack_importer::aws::CloudFormationStackReader;
use sc_stack_importer::ports::{FailureKind, ServiceFailure, StackReader};
use sc_stack_importer::stack::{Stack, StackName, StackRef, StackStatus};

use super::*;

const PARENT_ARN: &str =
    "arn:aws:cloudformation:us-east-1:111122223333:stack/platform/0c1d2e3f-9f7c-11ef-8f3a-0affd3a1b2c3";

fn reader(rules: &[&Rule]) -> CloudFormationStackReader {
    CloudFormationStackReader::new(
        mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, rules, |c| c.retry_config(fast_retries()))
    )
}

fn arn_ref() -> StackRef {
    StackRef::Arn(stack_arn())
}

fn tag(key: &str, value: &str) -> Tag {
    Tag::builder().key(key).value(value).build()
}

fn described(stack: aws_sdk_cloudformation::types::Stack) -> DescribeStacksOutput {
    DescribeStacksOutput::builder().stacks(stack).build()
}

fn complete_stack() -> DescribeStacksOutput {
    described(
        aws_sdk_cloudformation::types::Stack::builder()
            .stack_id(ARN)
            .stack_name("payments-api")
            .stack_status(SdkStackStatus::CreateComplete)
            .creation_time(DateTime::from_secs(1_600_000_000))
            .build(),
    )
}

fn throttling() -> DescribeStacksError {
    // CloudFormation (awsQuery) reports throttling as the unmodeled code `Throttling`.
    DescribeStacksError::generic(metadata("Throttling", "Rate exceeded"))
}

// -- DescribeStacks -----------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_stack_asked_for_by_arn_is_described_by_that_arn_and_mapped_whole() {
    // GIVEN CloudFormation knows an updated nested stack with tags
    let sent = Sent::new();
    let rule = mock!(Client::describe_stacks).match_requests(sent.recorder()).then_output(|| {
        described(
            aws_sdk_cloudformation::types::Stack::builder()
                .stack_id(ARN)
                .stack_name("payments-api")
                .stack_status(SdkStackStatus::UpdateRollbackComplete)
                .parent_id(PARENT_ARN)
                .tags(tag("sc:product", "prod-abc"))
                .tags(tag("team", "payments"))
                .creation_time(DateTime::from_secs(1_600_000_000))
                .last_updated_time(DateTime::from_secs_and_nanos(1_700_000_000, 250_000_000))
                .build(),
        )
    });
    // WHEN it is described by ARN
    let stack = reader(&[&rule]).describe(&arn_ref()).await.unwrap().unwrap();
    // THEN the request names the ARN, and every field the checks read comes across
    assert_eq!(sent.only().stack_name(), Some(ARN));
    let tags: BTreeMap<String, String> =
        [("sc:product", "prod-abc"), ("team", "payments")].map(|(k, v)| (k.to_owned(), v.to_owned())).into();
    assert_eq!(
        stack,
        Stack {
            arn: stack_arn(),
            status: StackStatus::new("UPDATE_ROLLBACK_COMPLETE"),
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

    let stack = reader(&[&rule]).describe(&name).await.unwrap().unwrap();

    assert_eq!(sent.only().stack_name(), Some("payments-api"));
    // The ARN comes from the answer, not from the request
    assert_eq!(stack.arn, stack_arn());
}

#[tokio::test]
async fn a_stack_never_updated_changed_at_its_creation_time() {
    let rule = mock!(Client::describe_stacks).then_output(complete_stack);

    let stack = reader(&[&rule]).describe(&arn_ref()).await.unwrap().unwrap();

    assert_eq!(stack.changed_at, "1600000000.000000000");
    assert_eq!(stack.status, StackStatus::new("CREATE_COMPLETE"));
    assert_eq!(stack.parent_id, None);
    assert!(stack.tags.is_empty());
}

#[tokio::test]
async fn a_stack_status_this_version_does_not_know_comes_across_as_cloudformation_spelt_it() {
    // GIVEN a status the SDK models as Unknown
    let rule = mock!(Client::describe_stacks).then_output(|| {
        described(
            aws_sdk_cloudformation::types::Stack::builder()
                .stack_id(ARN)
                .stack_status(SdkStackStatus::from("SOMETHING_NEW_COMPLETE"))
                .build(),
        )
    });

    let stack = reader(&[&rule]).describe(&arn_ref()).await.unwrap().unwrap();

    assert_eq!(stack.status.as_str(), "SOMETHING_NEW_COMPLETE");
    assert!(!stack.status.is_importable());
}

#[tokio::test]
async fn a_tag_without_a_value_is_kept_with_an_empty_value_and_one_without_a_key_is_dropped() {
    let rule = mock!(Client::describe_stacks).then_output(|| {
        described(
            aws_sdk_cloudformation::types::Stack::builder()
                .stack_id(ARN)
                .stack_status(SdkStackStatus::CreateComplete)
                .tags(Tag::builder().key("opt-out").build())
                .tags(Tag::builder().value("orphan").build())
                .build(),
        )
    });

    let stack = reader(&[&rule]).describe(&arn_ref()).await.unwrap().unwrap();

    assert_eq!(stack.tags, BTreeMap::from([("opt-out".to_owned(), String::new())]));
}

#[tokio::test]
async fn an_unknown_stack_is_none_not_an_error() {
    // GIVEN CloudFormation's answer for a stack it does not know: ValidationError "... does not exist"
    let rule = mock!(Client::describe_stacks).then_error(|| {
        DescribeStacksError::generic(metadata("ValidationError", "Stack with id payments-api does not exist"))
    });

    let answer = reader(&[&rule]).describe(&arn_ref()).await;

    assert_eq!(answer, Ok(None));
}

#[tokio::test]
async fn an_unknown_stack_from_the_wire_is_none_not_an_error() {
    // GIVEN the same answer as CloudFormation sends it: HTTP 400 with an awsQuery error document
    let rule = mock!(Client::describe_stacks)
        .then_http_response(|| query_error(400, "ValidationError", "Stack with id payments-api does not exist"));

    let answer = reader(&[&rule]).describe(&arn_ref()).await;

    assert_eq!(answer, Ok(None));
    assert_eq!(rule.num_calls(), 1, "a client error is not retried");
}

#[tokio::test]
async fn an_empty_describe_stacks_answer_is_none() {
    let rule = mock!(Client::describe_stacks).then_output(|| DescribeStacksOutput::builder().build());

    assert_eq!(reader(&[&rule]).describe(&arn_ref()).await, Ok(None));
}

#[tokio::test]
async fn any_other_validation_error_is_a_permanent_failure_not_a_missing_stack() {
    let rule = mock!(Client::describe_stacks)
        .then_error(|| DescribeStacksError::generic(metadata("ValidationError", "1 validation error detected")));

    let error = reader(&[&rule]).describe(&arn_ref()).await.unwrap_err();

    assert_eq!(
        error,
        ServiceFailure::new(FailureKind::Permanent, "DescribeStacks", "ValidationError", "1 validation error detected")
    );
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn access_denied_is_reported_as_access_denied() {
    let rule = mock!(Client::describe_stacks).then_error(|| {
        DescribeStacksError::generic(metadata(
            "AccessDenied",
            "User is not authorized to perform: cloudformation:DescribeStacks",
        ))
    });

    let error = reader(&[&rule]).describe(&arn_ref()).await.unwrap_err();

    assert_eq!(error.kind, FailureKind::AccessDenied);
    assert_eq!(error.operation, "DescribeStacks");
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
                    .stack_status(SdkStackStatus::CreateComplete)
                    .build(),
            )
        });

        let error = reader(&[&rule]).describe(&arn_ref()).await.unwrap_err();

        assert_eq!(error.kind, FailureKind::Permanent, "StackId {stack_id:?}");
        assert_eq!(error.operation, "DescribeStacks", "StackId {stack_id:?}");
        assert_eq!(error.code, "UnexpectedResponse", "StackId {stack_id:?}");
        assert!(error.message.contains("StackId"), "StackId {stack_id:?}: {error}");
    }
}

// -- GetTemplate --------------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_original_template_is_asked_for_by_arn_before_transforms() {
    let sent = Sent::new();
    let rule = mock!(Client::get_template)
        .match_requests(sent.recorder())
        .then_output(|| GetTemplateOutput::builder().template_body("AWSTemplateFormatVersion: '2010-09-09'\n").build());

    let template = reader(&[&rule]).original_template(&stack_arn()).await.unwrap();

    assert_eq!(template, "AWSTemplateFormatVersion: '2010-09-09'\n");
    let request = sent.only();
    assert_eq!(request.stack_name(), Some(ARN));
    assert_eq!(request.template_stage(), Some(&TemplateStage::Original));
}

#[tokio::test]
async fn a_get_template_answer_without_a_body_is_a_permanent_failure() {
    let rule = mock!(Client::get_template).then_output(|| GetTemplateOutput::builder().build());

    let error = reader(&[&rule]).original_template(&stack_arn()).await.unwrap_err();

    assert_eq!(
        error,
        ServiceFailure::new(FailureKind::Permanent, "GetTemplate", "UnexpectedResponse", "no TemplateBody")
    );
}

#[tokio::test]
async fn the_template_of_a_vanished_stack_is_a_permanent_failure_naming_the_stack() {
    // GIVEN the stack was deleted between DescribeStacks and GetTemplate: the port has no "not found" for a
    // template, so the service's own code and message reach the operator
    let message = format!("Stack with id {ARN} does not exist");
    let rule = mock!(Client::get_template)
        .then_error(move || GetTemplateError::generic(metadata("ValidationError", &message)));

    let error = reader(&[&rule]).original_template(&stack_arn()).await.unwrap_err();

    assert_eq!(
        error,
        ServiceFailure::new(
            FailureKind::Permanent,
            "GetTemplate",
            "ValidationError",
            format!("Stack with id {ARN} does not exist")
        )
    );
}

// -- retries and transient failures -------------------------------------------------------------------------------

#[tokio::test]
async fn a_throttled_describe_is_retried_by_the_sdk_then_succeeds() {
    // GIVEN CloudFormation throttles twice, then answers
    let rule = mock!(Client::describe_stacks).sequence().error(throttling).times(2).output(complete_stack).build();
    // WHEN the stack is described once through the port
    let stack = reader(&[&rule]).describe(&arn_ref()).await;
    // THEN the SDK's own retries absorb the throttling: three attempts, one answer
    assert_eq!(stack.unwrap().unwrap().arn, stack_arn());
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn a_throttled_describe_is_transient_after_the_sdk_retries() {
    let rule = mock!(Client::describe_stacks).sequence().error(throttling).times(3).build();

    let error = reader(&[&rule]).describe(&arn_ref()).await.unwrap_err();

    assert_eq!(error, ServiceFailure::new(FailureKind::Transient, "DescribeStacks", "Throttling", "Rate exceeded"));
    assert!(error.is_transient());
    assert_eq!(error.to_string(), "DescribeStacks failed: Throttling: Rate exceeded");
    assert_eq!(rule.num_calls(), 3, "all three attempts were made");
}

#[tokio::test]
async fn a_throttled_get_template_from_the_wire_is_retried_then_succeeds() {
    let rule = mock!(Client::get_template)
        .sequence()
        .http_response(|| query_error(400, "Throttling", "Rate exceeded"))
        .output(|| GetTemplateOutput::builder().template_body("{}").build())
        .build();

    let template = reader(&[&rule]).original_template(&stack_arn()).await;

    assert_eq!(template, Ok("{}".to_owned()));
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test]
async fn a_500_on_every_attempt_is_transient() {
    let rule = mock!(Client::describe_stacks).sequence().http_status(500, None).times(3).build();

    let error = reader(&[&rule]).describe(&arn_ref()).await.unwrap_err();

    assert_eq!(error.kind, FailureKind::Transient, "{error}");
    assert_eq!(error.operation, "DescribeStacks");
    assert!(error.is_transient());
    assert_eq!(rule.num_calls(), 3, "5xx answers are retried by the SDK");
}

#[tokio::test]
async fn a_503_with_an_error_document_is_transient() {
    let rule = mock!(Client::get_template)
        .then_http_response(|| query_error(503, "ServiceUnavailable", "Service is unavailable"));

    let error = reader(&[&rule]).original_template(&stack_arn()).await.unwrap_err();

    assert_eq!(
        error,
        ServiceFailure::new(FailureKind::Transient, "GetTemplate", "ServiceUnavailable", "Service is unavailable")
    );
}

#[tokio::test]
async fn a_503_without_an_error_document_is_transient() {
    let rule = mock!(Client::describe_stacks)
        .then_http_response(|| http_response(503, "text/html", "<html>Service Unavailable</html>"));

    let error = reader(&[&rule]).describe(&arn_ref()).await.unwrap_err();

    assert_eq!(error.kind, FailureKind::Transient, "{error}");
}

// -- listing (a sweep) --------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_stack_is_listed_page_by_page_with_its_tags_and_no_stack_name() {
    // GIVEN two pages of stacks, the second holding a stack whose id is not an ARN
    let sent = Sent::new();
    let first = mock!(Client::describe_stacks).match_requests(sent.recorder()).then_output(|| {
        DescribeStacksOutput::builder()
            .stacks(
                aws_sdk_cloudformation::types::Stack::builder()
                    .stack_id(ARN)
                    .stack_name("payments-api")
                    .stack_status(SdkStackStatus::CreateComplete)
                    .tags(tag("sc-import:product-id", "prod-abcdefghijklm"))
                    .build(),
            )
            .next_token("page-2")
            .build()
    });
    let second = mock!(Client::describe_stacks).match_requests(sent.recorder()).then_output(|| {
        DescribeStacksOutput::builder()
            .stacks(
                aws_sdk_cloudformation::types::Stack::builder()
                    .stack_id(PARENT_ARN)
                    .stack_name("platform")
                    .stack_status(SdkStackStatus::UpdateComplete)
                    .build(),
            )
            .stacks(aws_sdk_cloudformation::types::Stack::builder().stack_id("garbage").build())
            .build()
    });
    // WHEN the sweep lists them
    let stacks = reader(&[&first, &second]).list().await.unwrap();
    // THEN both pages were read without a stack name, tags came with the stacks, and the unusable one was left out
    assert_eq!(stacks.iter().map(|s| s.name().as_str()).collect::<Vec<_>>(), ["payments-api", "platform"]);
    assert_eq!(stacks[0].tag("sc-import:product-id"), Some("prod-abcdefghijklm"));
    let requests = sent.all();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.stack_name().is_none()));
    assert_eq!((requests[0].next_token(), requests[1].next_token()), (None, Some("page-2")));
}
