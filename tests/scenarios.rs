//! Handler scenarios: the files in events/ through the whole flow, against an in-memory AWS.

mod support;

use serde_json::{Value, json};

use sc_stack_importer::handler::HandlerError;
use sc_stack_importer::ports::{ProvisionedProductSummary, ServiceErrorKind};
use support::*;

fn outcomes(answer: &Value) -> &Vec<Value> {
    answer["outcomes"].as_array().expect("an outcomes list")
}

#[tokio::test(start_paused = true)]
async fn a_tagged_stack_is_imported_and_the_outcome_published() {
    // GIVEN a complete stack tagged with a product whose artifact has the same template (in YAML vs JSON)
    let aws = FakeAws::with_importable_stack();
    // WHEN its CREATE_COMPLETE event arrives
    let answer = answer(&aws, settings("[]", false), event_file("stack-create-complete.json")).await;
    // THEN it is imported under its own name, and that one outcome is published and returned
    let outcome = &outcomes(&answer)[0];
    assert_eq!(outcome["outcome"], "IMPORTED", "{outcome}");
    assert_eq!(outcome["reason"], "RECORD_SUCCEEDED");
    assert_eq!(outcome["retryable"], false);
    assert_eq!(
        outcome["stack"],
        json!({"arn":ARN,"name":"payments-api","status":"CREATE_COMPLETE","account":"111122223333","region":"us-east-1"})
    );
    assert_eq!(
        outcome["target"],
        json!({"productId":PRODUCT,"provisioningArtifactId":ARTIFACT,"provisionedProductName":"payments-api"})
    );
    assert_eq!(outcome["record"]["recordId"], "rec-1");
    assert_eq!(outcome["record"]["status"], "SUCCEEDED");
    assert_eq!(outcome["trigger"], json!({"kind":"event","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718"}));
    assert_eq!(outcome["dryRun"], false);
    assert_eq!(aws.published(), vec![outcome.clone()]);
    let imports = aws.imports.lock().unwrap().clone();
    assert_eq!(imports.len(), 1);
    assert_eq!(imports[0].physical_id, ARN);
    assert_eq!(imports[0].provisioning_artifact_id, ARTIFACT);
    assert_eq!(imports[0].idempotency_token.len(), 64);
}

#[tokio::test(start_paused = true)]
async fn the_current_stack_state_decides_not_the_event() {
    // GIVEN an event that says CREATE_COMPLETE for a stack that is being updated again by now
    let aws = FakeAws::with_importable_stack();
    aws.add_stack(stack(ARN, "UPDATE_IN_PROGRESS", &routed_tags()), TEMPLATE_JSON);
    let answer = answer(&aws, settings("[]", false), event_file("stack-create-complete.json")).await;
    // THEN the stack is skipped for its status, and nothing is imported
    assert_eq!(outcomes(&answer)[0]["reason"], "STATUS_NOT_ELIGIBLE");
    assert_eq!(outcomes(&answer)[0]["stack"]["status"], "UPDATE_IN_PROGRESS");
    assert_eq!(aws.count("ImportAsProvisionedProduct"), 0);
    assert_eq!(aws.published().len(), 1);
}

#[tokio::test]
async fn a_stack_in_progress_is_skipped() {
    let aws = FakeAws::default();
    aws.add_stack(stack(ARN, "CREATE_IN_PROGRESS", &routed_tags()), TEMPLATE_JSON);
    let answer = answer(&aws, settings("[]", false), event_file("stack-create-in-progress.json")).await;
    assert_eq!(outcomes(&answer)[0]["outcome"], "SKIPPED");
    assert_eq!(outcomes(&answer)[0]["reason"], "STATUS_NOT_ELIGIBLE");
    assert_eq!(aws.calls(), vec![format!("DescribeStacks {ARN}"), "Publish STATUS_NOT_ELIGIBLE".to_string()]);
}

#[tokio::test]
async fn an_update_rollback_complete_stack_is_importable() {
    let aws = FakeAws::with_importable_stack();
    aws.add_stack(stack(ARN, "UPDATE_ROLLBACK_COMPLETE", &routed_tags()), TEMPLATE_JSON);
    let answer = answer(&aws, settings("[]", true), event_file("stack-update-rollback-complete.json")).await;
    assert_eq!(outcomes(&answer)[0]["reason"], "ELIGIBLE");
}

#[tokio::test]
async fn a_nested_stack_is_skipped() {
    let aws = FakeAws::default();
    let arn = event_file("stack-nested-create-complete.json")["detail"]["stack-id"].as_str().unwrap().to_owned();
    let mut nested = stack(&arn, "CREATE_COMPLETE", &routed_tags());
    nested.parent_id = Some(ARN.into());
    aws.add_stack(nested, TEMPLATE_JSON);
    let answer = answer(&aws, settings("[]", false), event_file("stack-nested-create-complete.json")).await;
    assert_eq!(outcomes(&answer)[0]["reason"], "NESTED_STACK");
    assert_eq!(aws.count("ImportAsProvisionedProduct"), 0);
}

#[tokio::test]
async fn an_unsupported_event_is_answered_without_any_aws_call() {
    let aws = FakeAws::with_importable_stack();
    let mut event = event_file("stack-create-complete.json");
    event["detail-type"] = json!("CloudFormation Resource Status Change");
    let answer = answer(&aws, settings("[]", false), event).await;
    assert_eq!(outcomes(&answer)[0]["outcome"], "SKIPPED");
    assert_eq!(outcomes(&answer)[0]["reason"], "UNSUPPORTED_EVENT");
    assert_eq!(aws.calls(), vec!["Publish UNSUPPORTED_EVENT".to_string()]);
}

#[tokio::test(start_paused = true)]
async fn the_event_of_the_function_s_own_import_does_not_loop() {
    // GIVEN a stack the function has just imported
    let aws = FakeAws::with_importable_stack();
    let importer = importer(&aws, settings("[]", false));
    importer.handle(invocation(event_file("stack-create-complete.json"), 300)).await.unwrap();
    // WHEN another status event for it arrives
    let answer = importer.handle(invocation(event_file("stack-create-complete.json"), 300)).await.unwrap();
    // THEN Service Catalog's answer ends it: already provisioned, no second import
    assert_eq!(outcomes(&answer)[0]["reason"], "ALREADY_PROVISIONED");
    assert_eq!(aws.count("ImportAsProvisionedProduct"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_delivery_sends_the_same_idempotency_token() {
    let aws = FakeAws::with_importable_stack();
    let importer = importer(&aws, settings("[]", false));
    importer.handle(invocation(event_file("stack-create-complete.json"), 300)).await.unwrap();
    // Service Catalog has not listed the first import yet when the duplicate arrives.
    aws.provisioned.lock().unwrap().clear();
    let answer = importer.handle(invocation(event_file("stack-create-complete.json"), 300)).await.unwrap();
    let imports = aws.imports.lock().unwrap().clone();
    assert_eq!(imports.len(), 2);
    assert_eq!(imports[0].idempotency_token, imports[1].idempotency_token);
    assert_eq!(outcomes(&answer)[0]["record"]["recordId"], "rec-1");
}

#[tokio::test]
async fn a_stack_with_no_route_is_skipped() {
    let aws = FakeAws::with_importable_stack();
    aws.add_stack(stack(ARN, "CREATE_COMPLETE", &[("team", "payments")]), TEMPLATE_JSON);
    let answer = answer(
        &aws,
        settings(r#"[{"stackName":"orders-*","productId":"prod-x"}]"#, false),
        event_file("stack-create-complete.json"),
    )
    .await;
    assert_eq!(outcomes(&answer)[0]["reason"], "NO_ROUTE");
    assert!(outcomes(&answer)[0].get("target").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_rule_routes_an_untagged_stack_to_the_matching_active_artifact() {
    // GIVEN a product with a newer artifact of another template, an inactive copy, and an older matching one
    let aws = FakeAws::default();
    aws.add_stack(stack(ARN, "CREATE_COMPLETE", &[("team", "payments")]), TEMPLATE_YAML);
    aws.add_artifact(PRODUCT, "pa-newer", true, 300, OTHER_TEMPLATE);
    aws.add_artifact(PRODUCT, "pa-inactive", false, 200, TEMPLATE_JSON);
    aws.add_artifact(PRODUCT, "pa-older", true, 100, TEMPLATE_JSON);
    let rules = format!(r#"[{{"stackName":"payments-*","tags":{{"team":"payments"}},"productId":"{PRODUCT}"}}]"#);
    let answer = answer(&aws, settings(&rules, false), event_file("stack-create-complete.json")).await;
    let outcome = &outcomes(&answer)[0];
    assert_eq!(outcome["outcome"], "IMPORTED", "{outcome}");
    assert_eq!(outcome["target"]["provisioningArtifactId"], "pa-older");
    assert_eq!(aws.count("DescribeProvisioningArtifact"), 2, "{:?}", aws.calls());
}

#[tokio::test]
async fn a_template_that_differs_from_the_artifact_fails_and_says_where() {
    let aws = FakeAws::with_importable_stack();
    aws.add_stack(stack(ARN, "CREATE_COMPLETE", &routed_tags()), OTHER_TEMPLATE);
    let answer = answer(&aws, settings("[]", false), event_file("stack-create-complete.json")).await;
    let outcome = &outcomes(&answer)[0];
    assert_eq!(outcome["reason"], "TEMPLATE_MISMATCH");
    let message = outcome["message"].as_str().unwrap();
    assert!(message.contains("Resources.Topic") && message.contains("Resources.Queue"), "{message}");
    assert_eq!(aws.count("ImportAsProvisionedProduct"), 0);
}

#[tokio::test]
async fn a_route_to_no_matching_artifact_is_a_template_mismatch() {
    let aws = FakeAws::default();
    aws.add_stack(stack(ARN, "CREATE_COMPLETE", &[("sc-import:product-id", PRODUCT)]), OTHER_TEMPLATE);
    aws.add_artifact(PRODUCT, "pa-1", true, 100, TEMPLATE_JSON);
    let answer = answer(&aws, settings("[]", false), event_file("stack-create-complete.json")).await;
    assert_eq!(outcomes(&answer)[0]["reason"], "TEMPLATE_MISMATCH");
    assert!(outcomes(&answer)[0]["target"].get("provisioningArtifactId").is_none());
}

#[tokio::test]
async fn catalog_lookups_fail_with_their_own_reasons() {
    let cases = [
        (
            vec![("sc-import:product-id", "prod-missing"), ("sc-import:provisioning-artifact-id", ARTIFACT)],
            "PRODUCT_NOT_FOUND",
        ),
        (vec![("sc-import:product-id", "prod-missing")], "PRODUCT_NOT_FOUND"),
        (
            vec![("sc-import:product-id", PRODUCT), ("sc-import:provisioning-artifact-id", "pa-missing")],
            "ARTIFACT_NOT_FOUND",
        ),
        (
            vec![("sc-import:product-id", PRODUCT), ("sc-import:provisioning-artifact-id", "pa-retired")],
            "ARTIFACT_INACTIVE",
        ),
    ];
    for (tags, reason) in cases {
        let aws = FakeAws::with_importable_stack();
        aws.add_artifact(PRODUCT, "pa-retired", false, 50, TEMPLATE_JSON);
        aws.add_stack(stack(ARN, "CREATE_COMPLETE", &tags), TEMPLATE_JSON);
        let answer = answer(&aws, settings("[]", false), event_file("stack-create-complete.json")).await;
        assert_eq!(outcomes(&answer)[0]["reason"], reason, "{tags:?}");
        assert_eq!(outcomes(&answer)[0]["outcome"], "FAILED");
        assert_eq!(aws.count("ImportAsProvisionedProduct"), 0);
    }
}

#[tokio::test]
async fn a_taken_provisioned_product_name_is_a_name_conflict() {
    let aws = FakeAws::with_importable_stack();
    aws.provisioned.lock().unwrap().push(ProvisionedProductSummary {
        id: "pp-other".into(),
        name: "payments-api".into(),
        physical_id: Some("arn:aws:cloudformation:us-east-1:111122223333:stack/SC-111122223333-pp-other/x".into()),
    });
    let answer = answer(&aws, settings("[]", false), event_file("stack-create-complete.json")).await;
    assert_eq!(outcomes(&answer)[0]["reason"], "NAME_CONFLICT");
    assert!(outcomes(&answer)[0]["message"].as_str().unwrap().contains("pp-other"));
}

#[tokio::test]
async fn a_longer_name_found_by_the_full_text_search_is_no_conflict() {
    let aws = FakeAws::with_importable_stack();
    aws.provisioned.lock().unwrap().push(ProvisionedProductSummary {
        id: "pp-other".into(),
        name: "payments-api-v2".into(),
        physical_id: Some("arn:aws:cloudformation:us-east-1:111122223333:stack/other/x".into()),
    });
    let answer = answer(&aws, settings("[]", true), event_file("stack-create-complete.json")).await;
    assert_eq!(outcomes(&answer)[0]["reason"], "ELIGIBLE");
}

#[tokio::test]
async fn an_import_already_running_is_retried_through_lambda() {
    // GIVEN Service Catalog refuses the import because another one is in progress
    let aws = FakeAws::with_importable_stack();
    aws.import_errors.lock().unwrap().push_back(err(ServiceErrorKind::InvalidState, "InvalidStateException"));
    let result =
        importer(&aws, settings("[]", false)).handle(invocation(event_file("stack-create-complete.json"), 300)).await;
    // THEN the event invocation fails so that Lambda retries it, and the retryable outcome was published
    assert!(matches!(result, Err(HandlerError::Retryable { reason: "IMPORT_BUSY", .. })), "{result:?}");
    let published = aws.published();
    assert_eq!(
        (published[0]["reason"].as_str(), published[0]["retryable"].as_bool()),
        (Some("IMPORT_BUSY"), Some(true))
    );
}

#[tokio::test]
async fn documented_import_exceptions_map_to_final_outcomes() {
    for (kind, code, reason) in [
        (ServiceErrorKind::DuplicateResource, "DuplicateResourceException", "NAME_CONFLICT"),
        (ServiceErrorKind::InvalidParameters, "InvalidParametersException", "INVALID_REQUEST"),
        (ServiceErrorKind::NotFound, "ResourceNotFoundException", "ARTIFACT_NOT_FOUND"),
        (ServiceErrorKind::AccessDenied, "AccessDeniedException", "ACCESS_DENIED"),
    ] {
        let aws = FakeAws::with_importable_stack();
        aws.import_errors.lock().unwrap().push_back(err(kind, code));
        let answer = importer(&aws, settings("[]", false))
            .handle(invocation(event_file("stack-create-complete.json"), 300))
            .await;
        let answer = answer.unwrap_or_else(|e| panic!("{code} was retried: {e}"));
        assert_eq!(outcomes(&answer)[0]["reason"], reason, "{code}");
        assert_eq!(outcomes(&answer)[0]["retryable"], false, "{code}");
    }
}

#[tokio::test]
async fn throttling_is_retryable_and_a_manual_caller_is_told_so() {
    let aws = FakeAws::with_importable_stack();
    aws.describe_stack_errors.lock().unwrap().push_back(err(ServiceErrorKind::Throttled, "Throttling"));
    let answer = answer(&aws, settings("[]", false), event_file("manual-import.json")).await;
    let outcome = &outcomes(&answer)[0];
    assert_eq!((outcome["reason"].as_str(), outcome["retryable"].as_bool()), (Some("AWS_ERROR"), Some(true)));
    assert_eq!(outcome["trigger"], json!({"kind":"manual","id":"req-7f3e"}));
    // Named only by name and never described: what is unknown is absent, not empty.
    assert_eq!(outcome["stack"], json!({"name":"payments-api"}));
}

#[tokio::test]
async fn an_outcome_message_stays_a_sentence_however_many_artifacts_differ() {
    let aws = FakeAws::default();
    aws.add_stack(stack(ARN, "CREATE_COMPLETE", &[("sc-import:product-id", PRODUCT)]), TEMPLATE_JSON);
    for version in 0..60 {
        aws.add_artifact(PRODUCT, &format!("pa-version{version:03}"), true, version, OTHER_TEMPLATE);
    }
    let answer = answer(&aws, settings("[]", false), event_file("stack-create-complete.json")).await;
    let message = outcomes(&answer)[0]["message"].as_str().unwrap().to_owned();
    assert_eq!(outcomes(&answer)[0]["reason"], "TEMPLATE_MISMATCH");
    assert!(message.contains("pa-version059"), "the newest artifact is named first: {message}");
    assert!(message.chars().count() <= 2001, "{} characters", message.chars().count());
}

#[tokio::test]
async fn an_outcome_that_could_not_be_published_fails_the_event_invocation() {
    let aws = FakeAws::with_importable_stack();
    aws.add_stack(stack(ARN, "CREATE_IN_PROGRESS", &routed_tags()), TEMPLATE_JSON);
    *aws.publish_fails.lock().unwrap() = true;
    let result =
        importer(&aws, settings("[]", false)).handle(invocation(event_file("stack-create-complete.json"), 300)).await;
    assert!(matches!(result, Err(HandlerError::Unpublished { outcome: "SKIPPED", .. })), "{result:?}");
}

#[tokio::test(start_paused = true)]
async fn a_redriven_queue_reports_exactly_the_records_to_retry() {
    // GIVEN the DLQ holds an on-failure record and a raw event for the same stack
    let aws = FakeAws::with_importable_stack();
    let redrive = event_file("sqs-redrive.json");
    let importer = importer(&aws, settings("[]", false));
    let answer = importer.handle(invocation(redrive.clone(), 300)).await.unwrap();
    // THEN both are settled: the first imported, the second already provisioned, none to retry
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let reasons: Vec<Value> = aws.published().iter().map(|o| o["reason"].clone()).collect();
    assert_eq!(reasons, vec![json!("RECORD_SUCCEEDED"), json!("ALREADY_PROVISIONED")]);
    assert_eq!(aws.published()[0]["trigger"], json!({"kind":"queue","id":"4f0c6a1e-0b5d-4f4e-9a55-1d1c0e3f7a01"}));

    // AND with a busy import and an unpublishable outcome, exactly those records are reported
    let aws = FakeAws::with_importable_stack();
    aws.import_errors.lock().unwrap().push_back(err(ServiceErrorKind::InvalidState, "InvalidStateException"));
    let importer = support::importer(&aws, settings("[]", false));
    let answer = importer.handle(invocation(redrive, 300)).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": [{"itemIdentifier": "4f0c6a1e-0b5d-4f4e-9a55-1d1c0e3f7a01"}]}));
}

#[tokio::test]
async fn a_malformed_queue_record_is_settled_not_retried_forever() {
    let aws = FakeAws::default();
    let payload = json!({"Records":[{"messageId":"m-1","body":"{not json"},{"messageId":"m-2","body":"[1]"}]});
    let answer = answer(&aws, settings("[]", false), payload).await;
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(aws.published().iter().filter(|o| o["reason"] == "INVALID_REQUEST").count(), 2);
}

#[tokio::test]
async fn a_manual_dry_run_checks_everything_and_imports_nothing() {
    let aws = FakeAws::with_importable_stack();
    let answer = answer(&aws, settings("[]", false), event_file("manual-dry-run.json")).await;
    let outcome = &outcomes(&answer)[0];
    assert_eq!((outcome["outcome"].as_str(), outcome["reason"].as_str()), (Some("PLANNED"), Some("ELIGIBLE")));
    assert_eq!(outcome["dryRun"], true);
    assert_eq!(outcome["target"]["provisioningArtifactId"], ARTIFACT);
    assert!(outcome.get("record").is_none());
    assert_eq!(aws.count("GET https://templates.example"), 1);
    assert_eq!(aws.count("ImportAsProvisionedProduct"), 0);
}

#[tokio::test]
async fn the_dry_run_setting_applies_to_events() {
    let aws = FakeAws::with_importable_stack();
    let answer = answer(&aws, settings("[]", true), event_file("stack-create-complete.json")).await;
    assert_eq!(outcomes(&answer)[0]["outcome"], "PLANNED");
    assert_eq!(aws.count("ImportAsProvisionedProduct"), 0);
}

#[tokio::test(start_paused = true)]
async fn a_manual_batch_answers_one_outcome_per_request_in_order() {
    let aws = FakeAws::with_importable_stack();
    let answer = answer(&aws, settings("[]", false), event_file("manual-batch.json")).await;
    let reasons: Vec<&str> = outcomes(&answer).iter().map(|o| o["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["RECORD_SUCCEEDED", "STACK_NOT_FOUND", "INVALID_REQUEST"]);
    assert_eq!(aws.published().len(), 3);
}

#[tokio::test]
async fn manual_request_fields_override_the_tags() {
    let aws = FakeAws::with_importable_stack();
    aws.add_artifact("prod-manualabcdefg", "pa-manual", true, 1, TEMPLATE_JSON);
    let request = json!({"stackName":"payments-api","productId":"prod-manualabcdefg","provisioningArtifactId":"pa-manual",
                         "provisionedProductName":"payments.manual","dryRun":true});
    let answer = answer(&aws, settings("[]", false), request).await;
    assert_eq!(
        outcomes(&answer)[0]["target"],
        json!({"productId":"prod-manualabcdefg","provisioningArtifactId":"pa-manual","provisionedProductName":"payments.manual"})
    );
}

#[tokio::test(start_paused = true)]
async fn a_record_still_running_at_the_deadline_is_reported_in_progress() {
    let aws = FakeAws::with_importable_stack();
    *aws.record_statuses.lock().unwrap() = ["IN_PROGRESS".to_string()].into();
    let answer = importer(&aws, settings("[]", false))
        .handle(invocation(event_file("stack-create-complete.json"), 40))
        .await
        .unwrap();
    let outcome = &outcomes(&answer)[0];
    assert_eq!(
        (outcome["outcome"].as_str(), outcome["reason"].as_str()),
        (Some("IMPORT_IN_PROGRESS"), Some("RECORD_IN_PROGRESS"))
    );
    assert_eq!(outcome["record"]["recordId"], "rec-1");
    assert_eq!(outcome["record"]["status"], "IN_PROGRESS");
    // Polls back off (0.5 s, 1 s, 2 s, 4 s, 5 s …) and stop 10 s before the 40 s deadline.
    let polls = aws.count("DescribeRecord");
    assert!((4..=9).contains(&polls), "{polls} polls");
}

#[tokio::test(start_paused = true)]
async fn a_failed_record_is_reported_with_its_errors() {
    let aws = FakeAws::with_importable_stack();
    *aws.record_statuses.lock().unwrap() = ["FAILED".to_string()].into();
    aws.record_errors.lock().unwrap().push(("InvalidParametersException".into(), "stack drifted".into()));
    let answer = answer(&aws, settings("[]", false), event_file("stack-create-complete.json")).await;
    let outcome = &outcomes(&answer)[0];
    assert_eq!(outcome["reason"], "RECORD_FAILED");
    assert_eq!(
        outcome["record"]["errors"],
        json!([{"code":"InvalidParametersException","description":"stack drifted"}])
    );
}

#[tokio::test]
async fn a_deleted_stack_is_not_found() {
    let aws = FakeAws::default();
    let answer = answer(&aws, settings("[]", false), event_file("manual-import.json")).await;
    assert_eq!(outcomes(&answer)[0]["reason"], "STACK_NOT_FOUND");
    assert_eq!(outcomes(&answer)[0]["outcome"], "SKIPPED");
}

#[tokio::test]
async fn access_denied_is_final_so_the_event_is_not_retried() {
    let aws = FakeAws::with_importable_stack();
    aws.search_errors.lock().unwrap().push_back(err(ServiceErrorKind::AccessDenied, "AccessDeniedException"));
    let answer = answer(&aws, settings("[]", false), event_file("stack-create-complete.json")).await;
    assert_eq!(outcomes(&answer)[0]["reason"], "ACCESS_DENIED");
    assert_eq!(outcomes(&answer)[0]["retryable"], false);
}

#[tokio::test]
async fn garbage_payloads_get_an_invalid_request_outcome_each() {
    for payload in [
        json!(null),
        json!(42),
        json!("payments-api"),
        json!([{"stackName":"payments-api"}]),
        json!({"stackName":{"nested":true}}),
        json!({"stackArn":"arn:aws:iam::111122223333:role/x"}),
        json!({"source":"aws.cloudformation","detail-type":"CloudFormation Stack Status Change","detail":{"stack-id":7}}),
        json!({"imports":[null]}),
        json!({"stackName":"x".repeat(100_000)}),
    ] {
        let aws = FakeAws::default();
        let answer = importer(&aws, settings("[]", false)).handle(invocation(payload.clone(), 300)).await;
        let answer = answer.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(outcomes(&answer)[0]["reason"], "INVALID_REQUEST", "{payload}");
        assert!(outcomes(&answer)[0]["message"].as_str().unwrap().len() < 1000);
        assert_eq!(aws.published().len(), 1);
        assert!(aws.calls().iter().all(|c| c.starts_with("Publish")), "{:?}", aws.calls());
    }
}
