//! Outcomes operators can trust (docs/CONTRACT.md §6): bounded in time, identified for de-duplication, bounded in
//! size, and never read from a URL nobody allowed.

use std::time::Duration;

use serde_json::{Value, json};

use super::outcomes;
use crate::fakes::*;
use crate::world::World;

#[tokio::test(start_paused = true)]
async fn a_slow_aws_call_ends_out_of_time_and_the_batch_retries_every_undecided_record() {
    // GIVEN a redriven batch of two records, 30 s left, and a DescribeStacks that takes 25 s
    let world = World::importable().slow_describe(Duration::from_secs(25));
    // WHEN the batch is delivered
    let answer = world.handle(event_file("sqs-redrive.json"), 30).await.unwrap();
    // THEN neither stack was decided: both are OUT_OF_TIME, retryable, published and listed for retry; the second
    // was never started
    let failures: Vec<&str> =
        answer["batchItemFailures"].as_array().unwrap().iter().map(|f| f["itemIdentifier"].as_str().unwrap()).collect();
    assert_eq!(failures.len(), 2, "{answer}");
    let published = world.published();
    assert!(published.iter().all(|o| o["reason"] == "OUT_OF_TIME" && o["retryable"] == true), "{published:?}");
    assert_eq!(world.count("DescribeStacks"), 1);
}

#[tokio::test(start_paused = true)]
async fn a_manual_batch_with_no_time_left_answers_every_item() {
    // GIVEN a manual batch and less time left than publishing needs
    let world = World::importable();
    // WHEN it is invoked with 5 s left
    let answer = world.handle(event_file("manual-batch.json"), 5).await.unwrap();
    // THEN every request is answered, none dropped: the stacks OUT_OF_TIME (retryable), the malformed one as before,
    // and no AWS call was begun
    let reasons: Vec<&str> = outcomes(&answer).iter().map(|o| o["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, ["OUT_OF_TIME", "OUT_OF_TIME", "INVALID_REQUEST"]);
    assert_eq!(outcomes(&answer)[0]["retryable"], true);
    assert!(world.calls().iter().all(|call| call.starts_with("Publish")), "{:?}", world.calls());
}

#[tokio::test]
async fn a_template_url_nobody_allowed_fails_without_a_retry() {
    // GIVEN an artifact whose template URL the allow-list refuses
    let world = World::importable().refusing_template_urls();
    // WHEN the stack's event arrives
    let answer = world.answer(event_file("stack-create-complete.json")).await;
    // THEN it fails TEMPLATE_URL_REFUSED, final, and nothing is imported
    let outcome = &outcomes(&answer)[0];
    assert_eq!(
        (outcome["outcome"].as_str(), outcome["reason"].as_str()),
        (Some("FAILED"), Some("TEMPLATE_URL_REFUSED"))
    );
    assert_eq!(outcome["retryable"], false);
    assert!(outcome["message"].as_str().unwrap().contains("TEMPLATE_URL_ALLOW"));
    assert_eq!(world.count("ImportAsProvisionedProduct"), 0);
}

#[tokio::test]
async fn the_same_decision_about_the_same_stack_version_has_the_same_id_and_any_other_another() {
    // GIVEN one stack decided twice as a dry run, then decided for real, then after it changed
    let world = World::importable().dry_run();
    let planned = world.answer(event_file("stack-create-complete.json")).await;
    let planned_again = world.answer(event_file("stack-create-complete.json")).await;
    let manual = world.answer(json!({"stackName":"payments-api"})).await;
    let mut changed = stack(ARN, "UPDATE_COMPLETE", &routed_tags());
    changed.changed_at = format!("{}.000000000", CREATED_AT + 60);
    let world = world.stack(changed, TEMPLATE_YAML);
    let after_change = world.answer(event_file("stack-create-complete.json")).await;
    let unsupported = World::new().answer(json!({"source":"aws.events","detail-type":"Scheduled Event"})).await;
    let id = |answer: &Value| outcomes(answer)[0]["id"].as_str().unwrap().to_owned();
    // THEN the repeated decision keeps its id, whoever asked; a new stack version or another decision gets another
    assert_eq!(id(&planned), id(&planned_again));
    assert_eq!(id(&planned), id(&manual));
    assert_ne!(id(&planned), id(&after_change));
    assert_ne!(id(&planned), id(&unsupported));
    assert_eq!(id(&planned).len(), 32);
}

#[tokio::test(start_paused = true)]
async fn every_published_outcome_stays_within_what_sns_and_eventbridge_accept() {
    // GIVEN a failed import whose record carries a hundred errors of 100,000 characters each
    let mut world = World::importable().record_statuses(&["FAILED"]);
    for n in 0..100 {
        world = world.record_error(&format!("E{n}"), &"x".repeat(100_000));
    }
    // WHEN it is decided and published
    world.answer(event_file("stack-create-complete.json")).await;
    // THEN the published outcome is far under the 256 KB of an SNS message or an EventBridge entry
    let published = world.published();
    let size = published[0].to_string().len();
    assert!(size < 64 * 1024, "{size} bytes");
    assert_eq!(published[0]["reason"], "RECORD_FAILED");
}
