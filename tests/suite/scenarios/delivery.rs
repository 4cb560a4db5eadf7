//! How each input shape is answered: an event's retries, an SQS batch's partial failures, a manual batch's order,
//! and garbage turned into outcomes.

use serde_json::{Value, json};

use sc_stack_importer::lambda::HandlerError;
use sc_stack_importer::ports::{FailureKind, ImportError};

use super::outcomes;
use crate::fakes::*;
use crate::world::World;

#[tokio::test]
async fn an_unsupported_event_is_answered_without_any_aws_call() {
    // GIVEN an event of another detail type
    let world = World::importable();
    let mut event = event_file("stack-create-complete.json");
    event["detail-type"] = json!("CloudFormation Resource Status Change");
    // WHEN it arrives
    let answer = world.answer(event).await;
    // THEN it is skipped as unsupported, and only the outcome is published
    assert_eq!(outcomes(&answer)[0]["outcome"], "SKIPPED");
    assert_eq!(outcomes(&answer)[0]["reason"], "UNSUPPORTED_EVENT");
    assert_eq!(world.calls(), vec!["Publish UNSUPPORTED_EVENT".to_string()]);
}

#[tokio::test]
async fn an_outcome_that_could_not_be_published_fails_the_event_invocation() {
    // GIVEN a stack that will be skipped, and a topic that refuses every publish
    let world =
        World::importable().stack(stack(ARN, "CREATE_IN_PROGRESS", &routed_tags()), TEMPLATE_JSON).unpublishable();
    // WHEN its event arrives
    let result = world.handle(event_file("stack-create-complete.json"), 300).await;
    // THEN the invocation fails, so that Lambda retries the event instead of losing the outcome
    assert!(matches!(result, Err(HandlerError::Unpublished { outcome: "SKIPPED", .. })), "{result:?}");
}

#[tokio::test(start_paused = true)]
async fn a_redriven_queue_reports_exactly_the_records_to_retry() {
    // GIVEN the DLQ holds an on-failure record and a raw event for the same stack
    let world = World::importable();
    let redrive = event_file("sqs-redrive.json");
    // WHEN the batch is redriven through the function
    let answer = world.answer(redrive.clone()).await;
    // THEN both are settled, none to retry: the first imports the stack, the second finds that same import and
    // reports it again, as the same outcome (one id) for subscribers to drop, with no second import
    assert_eq!(answer, json!({"batchItemFailures": []}));
    let published = world.published();
    let reasons: Vec<Value> = published.iter().map(|o| o["reason"].clone()).collect();
    assert_eq!(reasons, vec![json!("RECORD_SUCCEEDED"), json!("RECORD_SUCCEEDED")]);
    assert_eq!(published[0]["id"], published[1]["id"]);
    assert_eq!(world.count("ImportAsProvisionedProduct"), 1);
    assert_eq!(world.published()[0]["trigger"], json!({"kind":"queue","id":"4f0c6a1e-0b5d-4f4e-9a55-1d1c0e3f7a01"}));

    // AND with a busy import, exactly that record is reported for retry
    let busy = failure(FailureKind::Permanent, "ImportAsProvisionedProduct", "InvalidStateException");
    let world = World::importable().refusing_import(ImportError::Busy(busy));
    let answer = world.answer(redrive).await;
    assert_eq!(answer, json!({"batchItemFailures": [{"itemIdentifier": "4f0c6a1e-0b5d-4f4e-9a55-1d1c0e3f7a01"}]}));
}

#[tokio::test]
async fn a_malformed_queue_record_is_settled_not_retried_forever() {
    // GIVEN a batch of a non-JSON body and a JSON list
    let world = World::new();
    let payload = json!({"Records":[{"messageId":"m-1","body":"{not json"},{"messageId":"m-2","body":"[1]"}]});
    // WHEN it is delivered
    let answer = world.answer(payload).await;
    // THEN each gets an INVALID_REQUEST outcome and neither is retried
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(world.published().iter().filter(|o| o["reason"] == "INVALID_REQUEST").count(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_manual_batch_answers_one_outcome_per_request_in_order() {
    // GIVEN a batch of an importable stack, an unknown stack and a malformed request
    let world = World::importable();
    // WHEN it is invoked
    let answer = world.answer(event_file("manual-batch.json")).await;
    // THEN one outcome per request comes back, in request order, and each is published
    let reasons: Vec<&str> = outcomes(&answer).iter().map(|o| o["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["RECORD_SUCCEEDED", "STACK_NOT_FOUND", "INVALID_REQUEST"]);
    assert_eq!(world.published().len(), 3);
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
        // GIVEN any payload that is not one of the three shapes
        let world = World::new();
        // WHEN it is invoked
        let answer = world.handle(payload.clone(), 300).await.unwrap_or_else(|e| panic!("{e}"));
        // THEN one short INVALID_REQUEST outcome is published and returned, and no AWS call is made
        assert_eq!(outcomes(&answer)[0]["reason"], "INVALID_REQUEST", "{payload}");
        assert!(outcomes(&answer)[0]["message"].as_str().unwrap().len() < 1000);
        assert_eq!(world.published().len(), 1);
        assert!(world.calls().iter().all(|c| c.starts_with("Publish")), "{:?}", world.calls());
    }
}
