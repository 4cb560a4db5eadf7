//! The outcome publishers: `SnsOutcomePublisher` (Publish) and `EventBridgeOutcomePublisher` (PutEvents), the exact
//! message each sends, and how a failed delivery is reported.

use serde_json::Value;

use sc_stack_importer::decision::{Reason, Verdict};
use sc_stack_importer::outcome::{Outcome, StackInfo, Trigger, TriggerKind};
use sc_stack_importer::ports::OutcomePublisher;
use sc_stack_importer::stack::{StackArn, StackName, StackRef};
use sc_stack_importer::sweep::{SweepSummary, Totals};

use super::*;

fn outcome(reason: Reason, stack: Option<StackInfo>) -> Outcome {
    Outcome {
        id: "5f1c0e3fa9b24d7e8c6b1a2d3e4f5a6b".into(),
        verdict: Verdict::new(reason, "a sentence for humans"),
        stack,
        target: None,
        record: None,
        trigger: Trigger { kind: TriggerKind::Event, id: "ev-1".into() },
        dry_run: false,
        time: "2026-11-28T18:44:02Z".into(),
    }
}

fn summary() -> SweepSummary {
    let mut totals = Totals { stacks: 412, queued: 57, ..Totals::default() };
    totals.by_outcome.insert("SKIPPED".into(), 355);
    SweepSummary {
        id: "sweep-req-1".into(),
        totals,
        accounts: vec!["111122223333".into()],
        regions: vec!["us-east-1".into()],
        dry_run: true,
        complete: true,
        cursor: None,
        continued: false,
        time: "2026-11-29T06:00:00Z".into(),
    }
}

fn known_stack() -> Option<StackInfo> {
    Some(StackInfo::from_arn(&stack_arn(), Some("CREATE_COMPLETE".into())))
}

mod sns {
    use aws_sdk_sns::Client;
    use aws_sdk_sns::operation::publish::{PublishError as SdkPublishError, PublishOutput};
    use aws_sdk_sns::types::error::AuthorizationErrorException;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    use sc_stack_importer::aws::SnsOutcomePublisher;

    use super::*;

    const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:111122223333:stack-import-outcomes";

    fn sns(rules: &[&Rule]) -> SnsOutcomePublisher {
        let client = mock_client!(aws_sdk_sns, RuleMode::Sequential, rules, |c| c.retry_config(fast_retries()));
        SnsOutcomePublisher::new(client, TOPIC_ARN.to_owned())
    }

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
    async fn a_sweep_summary_is_published_with_its_own_subject_and_outcome_attribute() {
        let sent = Sent::new();
        let rule = mock!(Client::publish).match_requests(sent.recorder()).then_output(published);
        sns(&[&rule]).publish_summary(&summary()).await.unwrap();
        let request = sent.only();
        assert_eq!(request.subject(), Some("SWEEP: 412 stacks, 57 queued"));
        let message: Value = serde_json::from_str(request.message().unwrap()).unwrap();
        assert_eq!(message["sweep"]["id"], "sweep-req-1");
        assert_eq!(message["sweep"]["byOutcome"]["SKIPPED"], 355);
        let attributes = request.message_attributes().unwrap();
        assert_eq!(attributes.len(), 1, "{attributes:?}");
        assert_eq!(attributes["outcome"].string_value(), Some("SWEEP_SUMMARY"));
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

mod eventbridge {
    use aws_sdk_eventbridge::Client;
    use aws_sdk_eventbridge::operation::put_events::{PutEventsError, PutEventsOutput};
    use aws_sdk_eventbridge::types::PutEventsResultEntry;
    use aws_sdk_eventbridge::types::error::InternalException;
    use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

    use sc_stack_importer::aws::EventBridgeOutcomePublisher;

    use super::*;

    const BUS: &str = "stack-imports";
    const SOURCE: &str = "sc-stack-importer";

    fn eventbridge(rules: &[&Rule]) -> EventBridgeOutcomePublisher {
        let client = mock_client!(aws_sdk_eventbridge, RuleMode::Sequential, rules, |c| c.retry_config(fast_retries()));
        EventBridgeOutcomePublisher::new(client, BUS.to_owned(), SOURCE.to_owned())
    }

    fn accepted() -> PutEventsOutput {
        PutEventsOutput::builder()
            .failed_entry_count(0)
            .entries(PutEventsResultEntry::builder().event_id("ev-out-1").build())
            .build()
    }

    #[tokio::test]
    async fn a_sweep_summary_is_put_on_the_bus_as_a_sweep_summary_event() {
        let sent = Sent::new();
        let rule = mock!(Client::put_events).match_requests(sent.recorder()).then_output(accepted);
        eventbridge(&[&rule]).publish_summary(&summary()).await.unwrap();
        let request = sent.only();
        let entry = &request.entries()[0];
        assert_eq!(entry.detail_type(), Some("Stack Import Sweep Summary"));
        assert_eq!((entry.source(), entry.event_bus_name()), (Some(SOURCE), Some(BUS)));
        let detail: Value = serde_json::from_str(entry.detail().unwrap()).unwrap();
        assert_eq!(detail["sweep"]["queued"], 57);
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
