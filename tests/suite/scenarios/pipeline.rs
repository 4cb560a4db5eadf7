//! The pipeline's decisions, one stack at a time, from the files in events/ through the handler to the outcome.

use serde_json::json;

use sc_stack_importer::ids::{AccountId, Region, Scope};
use std::time::Duration;

use sc_stack_importer::import::PollSchedule;
use sc_stack_importer::lambda::HandlerError;
use sc_stack_importer::ports::{FailureKind, ImportError, Missing, ServiceFailure};

use super::outcomes;
use crate::fakes::*;
use crate::world::World;

#[tokio::test(start_paused = true)]
async fn a_tagged_stack_is_imported_and_the_outcome_published() {
    // GIVEN a complete stack tagged with a product whose artifact has the same template (in YAML vs JSON)
    let world = World::importable();
    // WHEN its CREATE_COMPLETE event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
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
    assert_eq!(world.published(), vec![outcome.clone()]);
    let orders = world.orders();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].stack.as_str(), ARN);
    assert_eq!(orders[0].artifact.as_str(), ARTIFACT);
    assert_eq!(orders[0].token.0.len(), 64);
}

#[tokio::test]
async fn the_ports_of_the_stack_s_own_account_and_region_are_opened() {
    // GIVEN an event for a stack, and a manual request that names a stack only by its name
    let world = World::importable().dry_run();
    // WHEN both are decided
    world.answer(event_file("stack-create-complete.json")).await;
    world.answer(json!({"stackName":"payments-api"})).await;
    // THEN the event's stack is read in its ARN's account and region, the bare name where the function runs
    let account = AccountId::parse("111122223333").unwrap();
    let region = Region::parse("us-east-1").unwrap();
    assert_eq!(world.opened(), vec![Scope::Stack { account, region }, Scope::Home]);
}

#[tokio::test]
async fn ports_that_cannot_be_opened_fail_the_stack_with_the_reason() {
    // GIVEN the seam cannot open the stack's account (its credentials are refused)
    let world = World::importable();
    let mut handler = world.handler();
    handler.pipeline.accounts.refusal = Some(ServiceFailure::new(
        FailureKind::AccessDenied,
        "AssumeRole",
        "AccessDenied",
        "not authorized to assume the member role",
    ));
    // WHEN its event arrives
    let answer = handler.handle(crate::world::invocation(event_file("stack-create-complete.json"), 300)).await;
    // THEN the outcome says access was denied, and no call was made
    let answer = answer.unwrap();
    assert_eq!(outcomes(&answer)[0]["reason"], "ACCESS_DENIED");
    assert!(outcomes(&answer)[0]["message"].as_str().unwrap().contains("AssumeRole failed"));
    assert_eq!(world.calls(), vec!["Publish ACCESS_DENIED".to_string()]);
}

#[tokio::test(start_paused = true)]
async fn the_current_stack_state_decides_not_the_event() {
    // GIVEN an event that says CREATE_COMPLETE for a stack that is being updated again by now
    let world = World::importable().stack(stack(ARN, "UPDATE_IN_PROGRESS", &routed_tags()), TEMPLATE_JSON);
    // WHEN the event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN the stack is skipped for its status, and nothing is imported
    assert_eq!(outcomes(&answer)[0]["reason"], "STATUS_NOT_ELIGIBLE");
    assert_eq!(outcomes(&answer)[0]["stack"]["status"], "UPDATE_IN_PROGRESS");
    assert_eq!(world.count("ImportAsProvisionedProduct"), 0);
    assert_eq!(world.published().len(), 1);
}

#[tokio::test]
async fn a_stack_in_progress_is_skipped_after_one_call() {
    // GIVEN a stack still being created
    let world = World::new().stack(stack(ARN, "CREATE_IN_PROGRESS", &routed_tags()), TEMPLATE_JSON);
    // WHEN its event arrives
    let answer = world.answer(event_file("stack-create-in-progress.json")).await;
    // THEN DescribeStacks alone decides it, and the skip is published
    assert_eq!(outcomes(&answer)[0]["outcome"], "SKIPPED");
    assert_eq!(outcomes(&answer)[0]["reason"], "STATUS_NOT_ELIGIBLE");
    assert_eq!(world.calls(), vec![format!("DescribeStacks {ARN}"), "Publish STATUS_NOT_ELIGIBLE".to_string()]);
}

#[tokio::test]
async fn an_update_rollback_complete_stack_is_importable() {
    // GIVEN a stack whose update rolled back to its last good state
    let world =
        World::importable().dry_run().stack(stack(ARN, "UPDATE_ROLLBACK_COMPLETE", &routed_tags()), TEMPLATE_JSON);
    // WHEN its event arrives (dry run)
    let answer = world.answer(event_file("stack-update-rollback-complete.json")).await;
    // THEN it would be imported
    assert_eq!(outcomes(&answer)[0]["reason"], "ELIGIBLE");
}

#[tokio::test]
async fn a_nested_stack_is_skipped() {
    // GIVEN a nested stack (it has a parent)
    let arn = event_file("stack-nested-create-complete.json")["detail"]["stack-id"].as_str().unwrap().to_owned();
    let mut nested = stack(&arn, "CREATE_COMPLETE", &routed_tags());
    nested.parent_id = Some(ARN.into());
    let world = World::new().stack(nested, TEMPLATE_JSON);
    // WHEN its event arrives
    let answer = world.answer(event_file("stack-nested-create-complete.json")).await;
    // THEN only its root could be imported
    assert_eq!(outcomes(&answer)[0]["reason"], "NESTED_STACK");
    assert_eq!(world.count("ImportAsProvisionedProduct"), 0);
}

#[tokio::test(start_paused = true)]
async fn the_event_of_the_function_s_own_import_does_not_loop() {
    // GIVEN a stack the function has just imported, which the import then changed (a new stack version)
    let world = World::importable();
    world.answer(event_file("stack-create-complete.json")).await;
    let mut changed = stack(ARN, "UPDATE_COMPLETE", &routed_tags());
    changed.changed_at = format!("{}.000000000", CREATED_AT + 60);
    let world = world.stack(changed, TEMPLATE_YAML);
    // WHEN the status event of that change arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN Service Catalog's answer ends it: already provisioned, naming the product and its status; no second import
    assert_eq!(outcomes(&answer)[0]["reason"], "ALREADY_PROVISIONED");
    let message = outcomes(&answer)[0]["message"].as_str().unwrap();
    assert!(message.contains("pp-1") && message.contains("AVAILABLE"), "{message}");
    assert_eq!(world.count("ImportAsProvisionedProduct"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_an_unpublished_import_reports_the_import_not_a_skip() {
    // GIVEN a stack imported while no outcome could be published, so the event invocation failed
    let world = World::importable().unpublishable();
    let first = world.handle(event_file("stack-create-complete.json"), 300).await;
    assert!(matches!(first, Err(HandlerError::Unpublished { outcome: "IMPORTED", .. })), "{first:?}");
    *world.publisher.fails.lock().unwrap() = false;
    // WHEN Lambda retries the event
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN the retry reports the same import as IMPORTED, the same outcome id, with its record; no second import
    let outcome = &outcomes(&answer)[0];
    assert_eq!((outcome["outcome"].as_str(), outcome["reason"].as_str()), (Some("IMPORTED"), Some("RECORD_SUCCEEDED")));
    assert_eq!(outcome["record"]["recordId"], "rec-1");
    assert_eq!(outcome["target"]["provisioningArtifactId"], ARTIFACT);
    assert_eq!(outcome["id"], world.published()[0]["id"]);
    assert_eq!(world.count("ImportAsProvisionedProduct"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_retry_follows_a_record_still_running_to_its_end() {
    // GIVEN an import still running when the first invocation's time ran out (retryable, so the event is retried)
    let world = World::importable().record_statuses(&["IN_PROGRESS"]);
    let first = world.handle(event_file("stack-create-complete.json"), 40).await;
    assert!(matches!(first, Err(HandlerError::Retryable { reason: "RECORD_IN_PROGRESS", .. })), "{first:?}");
    // WHEN the retry comes, and the record then succeeds
    let world = world.record_statuses(&["IN_PROGRESS", "SUCCEEDED"]);
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN the retry followed the same record to IMPORTED, without importing again
    let outcome = &outcomes(&answer)[0];
    assert_eq!(outcome["reason"], "RECORD_SUCCEEDED", "{outcome}");
    assert_eq!(outcome["record"]["recordId"], "rec-1");
    assert_eq!(world.count("ImportAsProvisionedProduct"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_provisioned_product_left_in_error_fails_with_its_record_s_errors() {
    // GIVEN an import that failed and left its provisioned product in ERROR
    let world = World::importable().record_statuses(&["FAILED"]).record_error("InvalidParametersException", "drifted");
    world.answer(event_file("stack-create-complete.json")).await;
    // WHEN the stack's next event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN it is FAILED RECORD_FAILED with the record's errors, not a skip, and nothing is imported again
    let outcome = &outcomes(&answer)[0];
    assert_eq!((outcome["outcome"].as_str(), outcome["reason"].as_str()), (Some("FAILED"), Some("RECORD_FAILED")));
    assert_eq!(outcome["record"]["errors"], json!([{"code":"InvalidParametersException","description":"drifted"}]));
    assert_eq!(world.count("ImportAsProvisionedProduct"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_duplicate_delivery_sends_the_same_idempotency_token() {
    // GIVEN a stack imported once, which Service Catalog has not listed yet when the duplicate arrives
    let world = World::importable();
    world.answer(event_file("stack-create-complete.json")).await;
    world.provisioned.clear();
    // WHEN the same event is delivered again
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN the second import is the same request, answered with the first record
    let orders = world.orders();
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0].token, orders[1].token);
    assert_eq!(outcomes(&answer)[0]["record"]["recordId"], "rec-1");
}

#[tokio::test]
async fn a_stack_with_no_route_is_skipped() {
    // GIVEN an untagged stack that no rule matches
    let world = World::importable()
        .stack(stack(ARN, "CREATE_COMPLETE", &[("team", "payments")]), TEMPLATE_JSON)
        .rules(r#"[{"stackName":"orders-*","productId":"prod-x"}]"#);
    // WHEN its event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN there is no route, and no target in the outcome
    assert_eq!(outcomes(&answer)[0]["reason"], "NO_ROUTE");
    assert!(outcomes(&answer)[0].get("target").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_rule_routes_an_untagged_stack_to_the_matching_active_artifact() {
    // GIVEN a product with a newer artifact of another template, an inactive copy, and an older matching one
    let rules = format!(r#"[{{"stackName":"payments-*","tags":{{"team":"payments"}},"productId":"{PRODUCT}"}}]"#);
    let world = World::new()
        .stack(stack(ARN, "CREATE_COMPLETE", &[("team", "payments")]), TEMPLATE_YAML)
        .artifact(PRODUCT, "pa-newer", true, 300, OTHER_TEMPLATE)
        .artifact(PRODUCT, "pa-inactive", false, 200, TEMPLATE_JSON)
        .artifact(PRODUCT, "pa-older", true, 100, TEMPLATE_JSON)
        .rules(&rules);
    // WHEN its event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN the newest active artifact whose template matches is chosen, after trying the newer one only
    let outcome = &outcomes(&answer)[0];
    assert_eq!(outcome["outcome"], "IMPORTED", "{outcome}");
    assert_eq!(outcome["target"]["provisioningArtifactId"], "pa-older");
    assert_eq!(world.count("DescribeProvisioningArtifact"), 2, "{:?}", world.calls());
}

#[tokio::test]
async fn a_template_that_differs_from_the_artifact_fails_and_says_where() {
    // GIVEN a stack whose template is not its routed artifact's
    let world = World::importable().stack(stack(ARN, "CREATE_COMPLETE", &routed_tags()), OTHER_TEMPLATE);
    // WHEN its event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN it fails naming the differences, and nothing is imported
    let outcome = &outcomes(&answer)[0];
    assert_eq!(outcome["reason"], "TEMPLATE_MISMATCH");
    let message = outcome["message"].as_str().unwrap();
    assert!(message.contains("Resources.Topic") && message.contains("Resources.Queue"), "{message}");
    assert_eq!(world.count("ImportAsProvisionedProduct"), 0);
}

#[tokio::test]
async fn a_route_to_no_matching_artifact_is_a_template_mismatch() {
    // GIVEN a stack routed to a product (no artifact named) none of whose artifacts has its template
    let world = World::new()
        .stack(stack(ARN, "CREATE_COMPLETE", &[("sc-import:product-id", PRODUCT)]), OTHER_TEMPLATE)
        .artifact(PRODUCT, "pa-1", true, 100, TEMPLATE_JSON);
    // WHEN its event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN it is a mismatch, and the target names no artifact
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
        // GIVEN a stack routed to a missing product, a missing artifact or an inactive one
        let world = World::importable()
            .artifact(PRODUCT, "pa-retired", false, 50, TEMPLATE_JSON)
            .stack(stack(ARN, "CREATE_COMPLETE", &tags), TEMPLATE_JSON);
        // WHEN its event arrives
        let answer = world.answer(event_file("stack-create-complete.json")).await;
        // THEN the outcome names what is missing, and nothing is imported
        assert_eq!(outcomes(&answer)[0]["reason"], reason, "{tags:?}");
        assert_eq!(outcomes(&answer)[0]["outcome"], "FAILED");
        assert_eq!(world.count("ImportAsProvisionedProduct"), 0);
    }
}

#[tokio::test]
async fn a_taken_provisioned_product_name_is_a_name_conflict() {
    // GIVEN another provisioned product already has the stack's name
    let other = "arn:aws:cloudformation:us-east-1:111122223333:stack/SC-111122223333-pp-other/x";
    let world = World::importable().provisioned_product(provisioned_product("pp-other", "payments-api", other));
    // WHEN the stack's event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN the name conflict is reported naming the holder
    assert_eq!(outcomes(&answer)[0]["reason"], "NAME_CONFLICT");
    assert!(outcomes(&answer)[0]["message"].as_str().unwrap().contains("pp-other"));
}

#[tokio::test]
async fn an_import_already_running_is_retried_through_lambda() {
    // GIVEN Service Catalog refuses the import because another one is in progress
    let world = World::importable().refusing_import(ImportError::Busy(failure(
        FailureKind::Permanent,
        "ImportAsProvisionedProduct",
        "InvalidStateException",
    )));
    // WHEN the event arrives
    let result = world.handle(event_file("stack-create-complete.json"), 300).await;
    // THEN the event invocation fails so that Lambda retries it, and the retryable outcome was published
    assert!(matches!(result, Err(HandlerError::Retryable { reason: "IMPORT_BUSY", .. })), "{result:?}");
    let published = world.published();
    assert_eq!(
        (published[0]["reason"].as_str(), published[0]["retryable"].as_bool()),
        (Some("IMPORT_BUSY"), Some(true))
    );
}

#[tokio::test]
async fn documented_import_exceptions_map_to_final_outcomes() {
    let detail = |kind, code| failure(kind, "ImportAsProvisionedProduct", code);
    for (refusal, reason) in [
        (ImportError::NameTaken(detail(FailureKind::Permanent, "DuplicateResourceException")), "NAME_CONFLICT"),
        (
            ImportError::InvalidParameters(detail(FailureKind::Permanent, "InvalidParametersException")),
            "INVALID_REQUEST",
        ),
        (
            ImportError::NotFound(Missing::Artifact, detail(FailureKind::Permanent, "ResourceNotFoundException")),
            "ARTIFACT_NOT_FOUND",
        ),
        (ImportError::Failed(detail(FailureKind::AccessDenied, "AccessDeniedException")), "ACCESS_DENIED"),
    ] {
        // GIVEN Service Catalog refuses the import for a reason another attempt will not change
        let world = World::importable().refusing_import(refusal.clone());
        // WHEN the event arrives
        let answer = world.handle(event_file("stack-create-complete.json"), 300).await;
        // THEN the outcome is final, so the event is not retried
        let answer = answer.unwrap_or_else(|e| panic!("{refusal:?} was retried: {e}"));
        assert_eq!(outcomes(&answer)[0]["reason"], reason, "{refusal:?}");
        assert_eq!(outcomes(&answer)[0]["retryable"], false, "{refusal:?}");
    }
}

#[tokio::test]
async fn throttling_is_retryable_and_a_manual_caller_is_told_so() {
    // GIVEN DescribeStacks is still throttled after the SDK's retries
    let world = World::importable().failing_describe(FailureKind::Transient, "Throttling");
    // WHEN an operator asks for the stack by name
    let answer = world.answer(event_file("manual-import.json")).await;
    // THEN the answer says AWS_ERROR, retryable
    let outcome = &outcomes(&answer)[0];
    assert_eq!((outcome["reason"].as_str(), outcome["retryable"].as_bool()), (Some("AWS_ERROR"), Some(true)));
    assert_eq!(outcome["trigger"], json!({"kind":"manual","id":"req-7f3e"}));
    // Named only by name and never described: what is unknown is absent, not empty.
    assert_eq!(outcome["stack"], json!({"name":"payments-api"}));
}

#[tokio::test]
async fn an_outcome_message_stays_a_sentence_however_many_artifacts_differ() {
    // GIVEN a product with 60 active artifacts, none of the stack's template
    let mut world =
        World::new().stack(stack(ARN, "CREATE_COMPLETE", &[("sc-import:product-id", PRODUCT)]), TEMPLATE_JSON);
    for version in 0..60 {
        world = world.artifact(PRODUCT, &format!("pa-version{version:03}"), true, version, OTHER_TEMPLATE);
    }
    // WHEN the stack's event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN the mismatch message names the newest first and is cut to a sentence's size
    let message = outcomes(&answer)[0]["message"].as_str().unwrap().to_owned();
    assert_eq!(outcomes(&answer)[0]["reason"], "TEMPLATE_MISMATCH");
    assert!(message.contains("pa-version059"), "the newest artifact is named first: {message}");
    assert!(message.contains("the 20 newest of the 60 active artifacts"), "{message}");
    assert!(message.chars().count() <= 2001, "{} characters", message.chars().count());
    // AND only the 20 newest were read and compared
    assert_eq!(world.count("DescribeProvisioningArtifact"), 20);
}

#[tokio::test]
async fn a_manual_dry_run_checks_everything_and_imports_nothing() {
    // GIVEN an importable stack
    let world = World::importable();
    // WHEN an operator asks for a dry run
    let answer = world.answer(event_file("manual-dry-run.json")).await;
    // THEN every check ran, the artifact template included, and nothing was imported
    let outcome = &outcomes(&answer)[0];
    assert_eq!((outcome["outcome"].as_str(), outcome["reason"].as_str()), (Some("PLANNED"), Some("ELIGIBLE")));
    assert_eq!(outcome["dryRun"], true);
    assert_eq!(outcome["target"]["provisioningArtifactId"], ARTIFACT);
    assert!(outcome.get("record").is_none());
    assert_eq!(world.count("GET https://templates.example"), 1);
    assert_eq!(world.count("ImportAsProvisionedProduct"), 0);
}

#[tokio::test]
async fn the_dry_run_setting_applies_to_events() {
    // GIVEN DRY_RUN=true
    let world = World::importable().dry_run();
    // WHEN an importable stack's event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN it is planned, not imported
    assert_eq!(outcomes(&answer)[0]["outcome"], "PLANNED");
    assert_eq!(world.count("ImportAsProvisionedProduct"), 0);
}

#[tokio::test]
async fn manual_request_fields_override_the_tags() {
    // GIVEN a tagged stack, and a request that names another product, artifact and name
    let world = World::importable().artifact("prod-manualabcdefg", "pa-manual", true, 1, TEMPLATE_JSON);
    let request = json!({"stackName":"payments-api","productId":"prod-manualabcdefg","provisioningArtifactId":"pa-manual",
                         "provisionedProductName":"payments.manual","dryRun":true});
    // WHEN the request is decided
    let answer = world.answer(request).await;
    // THEN the request's fields win
    assert_eq!(
        outcomes(&answer)[0]["target"],
        json!({"productId":"prod-manualabcdefg","provisioningArtifactId":"pa-manual","provisionedProductName":"payments.manual"})
    );
}

#[tokio::test(start_paused = true)]
async fn a_record_still_running_at_the_deadline_is_reported_in_progress() {
    // GIVEN an import whose record never ends, and 40 s left
    let world = World::importable().record_statuses(&["IN_PROGRESS"]);
    // WHEN the event arrives
    let result = world.handle(event_file("stack-create-complete.json"), 40).await;
    // THEN the outcome says the import is still running, with its record, and the event is retried to follow it
    assert!(matches!(result, Err(HandlerError::Retryable { reason: "RECORD_IN_PROGRESS", .. })), "{result:?}");
    let published = world.published();
    let outcome = &published[0];
    assert_eq!(
        (outcome["outcome"].as_str(), outcome["reason"].as_str()),
        (Some("IMPORT_IN_PROGRESS"), Some("RECORD_IN_PROGRESS"))
    );
    assert_eq!(outcome["record"]["recordId"], "rec-1");
    assert_eq!(outcome["record"]["status"], "IN_PROGRESS");
    assert_eq!(outcome["retryable"], true);
    // AND the record was read at the schedule's times until 10 s before the 40 s deadline.
    let schedule = PollSchedule::default();
    let expected = schedule.times().take_while(|at| *at + schedule.safety_margin < Duration::from_secs(40)).count();
    assert_eq!(world.count("DescribeRecord"), expected);
}

#[tokio::test(start_paused = true)]
async fn a_failed_record_is_reported_with_its_errors() {
    // GIVEN an import whose record fails
    let world =
        World::importable().record_statuses(&["FAILED"]).record_error("InvalidParametersException", "stack drifted");
    // WHEN the event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN the record's errors are in the outcome
    let outcome = &outcomes(&answer)[0];
    assert_eq!(outcome["reason"], "RECORD_FAILED");
    assert_eq!(
        outcome["record"]["errors"],
        json!([{"code":"InvalidParametersException","description":"stack drifted"}])
    );
}

#[tokio::test]
async fn a_deleted_stack_is_not_found() {
    // GIVEN no stack at all
    let world = World::new();
    // WHEN an operator asks for one
    let answer = world.answer(event_file("manual-import.json")).await;
    // THEN it is skipped as not found
    assert_eq!(outcomes(&answer)[0]["reason"], "STACK_NOT_FOUND");
    assert_eq!(outcomes(&answer)[0]["outcome"], "SKIPPED");
}

#[tokio::test]
async fn access_denied_is_final_so_the_event_is_not_retried() {
    // GIVEN the function's role may not search provisioned products
    let world = World::importable().failing_search(FailureKind::AccessDenied, "AccessDeniedException");
    // WHEN the event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN the outcome is ACCESS_DENIED, final
    assert_eq!(outcomes(&answer)[0]["reason"], "ACCESS_DENIED");
    assert_eq!(outcomes(&answer)[0]["retryable"], false);
}

#[tokio::test]
async fn a_known_artifact_is_not_described_or_downloaded_again_to_match() {
    // GIVEN two stacks with the same template, tagged for the product only (any active artifact), and an artifact
    // that has the other template besides the matching one
    let second =
        "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-worker/1c2d3e4f-5ad5-11ef-a1b2-0a1b2c3d4e5f";
    let product_only = [("sc-import:product-id", PRODUCT)];
    let world = World::new()
        .stack(stack(ARN, "CREATE_COMPLETE", &product_only), TEMPLATE_YAML)
        .stack(stack(second, "CREATE_COMPLETE", &product_only), TEMPLATE_YAML)
        .artifact(PRODUCT, ARTIFACT, true, 100, TEMPLATE_JSON)
        .artifact(PRODUCT, "pa-newerdifferent", true, 200, OTHER_TEMPLATE);
    // WHEN one invocation plans both
    let answer = world.answer(json!({"dryRun":true,"imports":[{"stackArn":ARN},{"stackArn":second}]})).await;
    // THEN both are planned as the matching artifact
    let planned: Vec<String> =
        outcomes(&answer).iter().map(|o| o["target"]["provisioningArtifactId"].to_string()).collect();
    assert_eq!(planned, [format!("\"{ARTIFACT}\""), format!("\"{ARTIFACT}\"")]);
    // AND only the first read the artifacts: the second matched by the fingerprints learnt, the newer artifact that
    // differs included, without a describe or a download
    assert_eq!(world.count("DescribeProvisioningArtifact"), 2, "{:?}", world.calls());
    assert_eq!(world.count("GET "), 2);
    assert_eq!(world.count("ListProvisioningArtifacts"), 2, "new or deactivated artifacts are still noticed");
}
