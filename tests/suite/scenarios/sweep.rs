//! The sweep (docs/CONTRACT.md §1d) and the import queue (§7): an estate decided from one listing, work items queued
//! per account and region, the FIFO partial-batch rule, a sweep resumed by cursor.

use std::time::Duration;

use serde_json::{Value, json};

use sc_stack_importer::lambda::HandlerError;
use sc_stack_importer::ports::{FailureKind, ImportError};
use sc_stack_importer::queue::QueuedImport;
use sc_stack_importer::stack::StackArn;

use super::outcomes;
use crate::fakes::*;
use crate::world::World;

fn arn(name: &str, region: &str) -> String {
    format!("arn:aws:cloudformation:{region}:111122223333:stack/{name}/0b9a4c20-5ad5-11ef-a1b2-{:012x}", name.len())
}

/// Twelve stacks: three routed (two by tag, one by rule), one nested, one StackSet instance, one opted out, one
/// already provisioned, one unroutable, one still being created, one launched by Service Catalog, one whose name
/// the sweep's glob leaves out, and one in another region.
fn estate() -> World {
    let mut nested = stack(&arn("app-nested", "us-east-1"), "CREATE_COMPLETE", &routed_tags());
    nested.parent_id = Some(arn("app-parent", "us-east-1"));
    World::new()
        .rules(r#"[{"stackName":"app-ruled","productId":"prod-abcdefghijklm"}]"#)
        .stack(stack(&arn("app-one", "us-east-1"), "CREATE_COMPLETE", &routed_tags()), TEMPLATE_YAML)
        .stack(stack(&arn("app-two", "us-east-1"), "UPDATE_COMPLETE", &routed_tags()), TEMPLATE_YAML)
        .stack(stack(&arn("app-ruled", "us-east-1"), "IMPORT_COMPLETE", &[]), TEMPLATE_YAML)
        .stack(nested, TEMPLATE_YAML)
        .stack(
            stack(
                &arn("StackSet-app-set-0b9a4c20-5ad5-11ef-a1b2-0a1b2c3d4e5f", "us-east-1"),
                "CREATE_COMPLETE",
                &routed_tags(),
            ),
            TEMPLATE_YAML,
        )
        .stack(stack(&arn("app-optout", "us-east-1"), "CREATE_COMPLETE", &[("sc-import:skip", "true")]), TEMPLATE_YAML)
        .stack(stack(&arn("app-held", "us-east-1"), "CREATE_COMPLETE", &routed_tags()), TEMPLATE_YAML)
        .stack(stack(&arn("app-lost", "us-east-1"), "CREATE_COMPLETE", &[]), TEMPLATE_YAML)
        .stack(stack(&arn("app-busy", "us-east-1"), "CREATE_IN_PROGRESS", &routed_tags()), TEMPLATE_YAML)
        .stack(stack(&arn("SC-111122223333-pp-abcdefghijklm", "us-east-1"), "CREATE_COMPLETE", &[]), TEMPLATE_YAML)
        .stack(stack(&arn("other-team", "us-east-1"), "CREATE_COMPLETE", &routed_tags()), TEMPLATE_YAML)
        .artifact(PRODUCT, ARTIFACT, true, 100, TEMPLATE_JSON)
        .provisioned_product(provisioned_product("pp-held", "app-held", &arn("app-held", "us-east-1")))
}

fn summary(answer: &Value) -> &Value {
    &answer["sweep"]
}

fn queued_stacks(world: &World) -> Vec<String> {
    world
        .queue
        .messages
        .lock()
        .unwrap()
        .iter()
        .map(|message| {
            let body: Value = serde_json::from_str(&message.body).unwrap();
            body["importStack"]["stackArn"].as_str().unwrap().rsplit('/').nth(1).unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn a_dry_run_sweep_queues_what_needs_a_template_check_and_publishes_every_skip() {
    // GIVEN the estate and an import queue
    let world = estate().with_queue();
    // WHEN a dry-run sweep of the app-* stacks runs
    let answer = world.answer(json!({"sweep":{"dryRun":true,"stackName":"app-*"}})).await;
    // THEN the three routed stacks are queued, grouped by account and region, as dry runs of this sweep
    let sweep = summary(&answer);
    assert_eq!(sweep["id"], "sweep-req-7f3e");
    assert_eq!(queued_stacks(&world), ["app-one", "app-ruled", "app-two"]);
    let first = world.queue.messages.lock().unwrap()[0].clone();
    assert_eq!(first.group, "111122223333:us-east-1");
    let body: Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(body["importStack"]["dryRun"], true);
    assert_eq!(body["trigger"], json!({"kind":"sweep","id":"sweep-req-7f3e"}));
    // AND the stacks decided without an import are published directly, each once, with the sweep as trigger
    let mut reasons: Vec<String> = world.published().iter().map(|o| o["reason"].as_str().unwrap().to_owned()).collect();
    reasons.sort();
    assert_eq!(reasons, ["ALREADY_PROVISIONED", "NESTED_STACK", "NO_ROUTE", "OPTED_OUT"]);
    assert!(world.published().iter().all(|o| o["trigger"] == json!({"kind":"sweep","id":"sweep-req-7f3e"})));
    // AND the stack being created is not part of it, nor are the stacks the glob leaves out
    assert_eq!(sweep["stacks"], 7, "{sweep}");
    assert_eq!(sweep["queued"], 3);
    assert_eq!(sweep["byOutcome"], json!({"SKIPPED": 4}));
    assert_eq!(sweep["complete"], true);
    assert_eq!((sweep["accounts"].clone(), sweep["regions"].clone()), (json!(["111122223333"]), json!(["us-east-1"])));
    // AND the whole estate cost one listing and one load of the provisioned products: no call per stack
    assert_eq!(world.count("DescribeStacks"), 1, "{:?}", world.calls());
    assert_eq!(world.count("SearchProvisionedProducts"), 1);
    assert_eq!(world.count("SendMessageBatch"), 1);
    // AND the summary is published once
    assert_eq!(world.publisher.summaries.lock().unwrap().len(), 1);
    assert_eq!(world.publisher.summaries.lock().unwrap()[0].subject(), "SWEEP: 7 stacks, 3 queued");
}

#[tokio::test]
async fn with_discovery_a_sweep_queues_the_stacks_nothing_routes_instead_of_skipping_them() {
    // GIVEN the estate, an import queue, and discovery on
    let world = estate().with_queue().discovery();
    // WHEN a dry-run sweep of the app-* stacks runs
    let answer = world.answer(json!({"sweep":{"dryRun":true,"stackName":"app-*"}})).await;
    // THEN the untagged stack is queued with the routed ones: its template may route it
    assert_eq!(summary(&answer)["queued"], 4, "{answer}");
    let reasons: Vec<Value> = world.published().iter().map(|o| o["reason"].clone()).collect();
    assert!(!reasons.contains(&json!("NO_ROUTE")), "{reasons:?}");
}

#[tokio::test]
async fn without_a_queue_the_sweep_decides_each_stack_itself() {
    // GIVEN the estate and no import queue
    let world = estate();
    // WHEN a dry-run sweep of every stack runs
    let answer = world.answer(json!({"sweep":{"dryRun":true}})).await;
    // THEN the four routed stacks are planned in place (their templates checked), the six others skipped, and
    // nothing is imported
    let sweep = summary(&answer);
    assert_eq!(sweep["queued"], 0);
    assert_eq!(sweep["stacks"], 10);
    assert_eq!(sweep["byOutcome"], json!({"PLANNED": 4, "SKIPPED": 6}), "{sweep}");
    assert_eq!(
        sweep["byReason"],
        json!({"ELIGIBLE": 4, "ALREADY_PROVISIONED": 2, "NESTED_STACK": 1, "NO_ROUTE": 1, "OPTED_OUT": 1,
               "STACKSET_INSTANCE": 1})
    );
    assert_eq!(world.count("GetTemplate"), 4);
    assert_eq!(world.count("ImportAsProvisionedProduct"), 0);
    assert_eq!(world.count("SendMessageBatch"), 0);
}

#[tokio::test]
async fn unknown_sweep_fields_are_refused() {
    let world = estate().with_queue();
    let answer = world.answer(json!({"sweep":{"dryRun":true,"account":"111122223333"}})).await;
    assert_eq!(outcomes(&answer)[0]["reason"], "INVALID_REQUEST");
    assert!(world.calls().iter().all(|call| call.starts_with("Publish")), "{:?}", world.calls());
}

#[tokio::test]
async fn an_unreachable_region_or_account_is_reported_and_the_rest_is_swept() {
    // GIVEN a region that cannot be reached
    let world = estate().with_queue().unreachable_region("eu-west-1");
    // WHEN the sweep names it, another account, and the home region
    let answer = world
        .answer(json!({"sweep":{"stackName":"app-*","accounts":["111122223333","444455556666"],
                               "regions":["eu-west-1","us-east-1"]}}))
        .await;
    // THEN both are reported failed, and the home region is swept
    let sweep = summary(&answer);
    let failed = sweep["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 2, "{sweep}");
    assert_eq!((failed[0]["account"].clone(), failed[0]["region"].clone()), (json!("444455556666"), Value::Null));
    assert_eq!(
        (failed[1]["account"].clone(), failed[1]["region"].clone()),
        (json!("111122223333"), json!("eu-west-1"))
    );
    assert_eq!(sweep["queued"], 3);
    assert_eq!(sweep["complete"], true);
}

#[tokio::test(start_paused = true)]
async fn a_sweep_out_of_time_answers_a_cursor_that_resumes_it_without_repeating_a_stack() {
    // GIVEN no queue, and each stack read taking 100 s (so three routed stacks do not fit in 300 s)
    let world = estate().slow_describe(Duration::from_secs(100));
    let request = json!({"dryRun":true,"stackName":"app-*"});
    // WHEN the sweep runs with 300 s left
    let first = world.handle(json!({ "sweep": request }), 300).await.unwrap();
    // THEN it stops after two decided stacks with a cursor, and publishes no summary yet
    let sweep = summary(&first);
    assert_eq!(sweep["complete"], false, "{sweep}");
    let cursor = sweep["cursor"].as_str().unwrap().to_owned();
    assert!(world.publisher.summaries.lock().unwrap().is_empty());
    let planned_first = world.published().iter().filter(|o| o["reason"] == "ELIGIBLE").count();
    assert_eq!(planned_first, 2);

    // WHEN it is resumed with the cursor
    let mut resumed = request.clone();
    resumed["cursor"] = json!(cursor);
    let second = world.handle(json!({ "sweep": resumed }), 300).await.unwrap();
    // THEN it completes, counting the whole sweep, and no stack was decided twice
    let sweep = summary(&second);
    assert_eq!(sweep["complete"], true, "{sweep}");
    assert_eq!(sweep["id"], summary(&first)["id"]);
    assert_eq!(sweep["stacks"], 7);
    let mut stacks: Vec<String> =
        world.published().iter().map(|o| o["stack"]["name"].as_str().unwrap().to_owned()).collect();
    let decided = stacks.len();
    stacks.sort();
    stacks.dedup();
    assert_eq!(stacks.len(), decided, "{stacks:?}");
    assert_eq!(decided, 7);
    assert_eq!(world.publisher.summaries.lock().unwrap().len(), 1);

    // AND a cursor sent with other fields is refused
    let mut other = request;
    other["stackName"] = json!("other-*");
    other["cursor"] = json!(cursor);
    let refused = world.answer(json!({ "sweep": other })).await;
    assert_eq!(outcomes(&refused)[0]["reason"], "INVALID_REQUEST");
}

#[tokio::test]
async fn a_rerun_after_an_import_queues_only_what_is_still_unimported() {
    // GIVEN one of the routed stacks was imported since the first sweep
    let world = estate().with_queue();
    world.answer(json!({"sweep":{"stackName":"app-*"}})).await;
    world.queue.messages.lock().unwrap().clear();
    world.provisioned.products.lock().unwrap().push(provisioned_product(
        "pp-one",
        "app-one",
        &arn("app-one", "us-east-1"),
    ));
    // WHEN the sweep runs again
    let answer = world.answer(json!({"sweep":{"stackName":"app-*"}})).await;
    // THEN only the two still unimported are queued
    assert_eq!(queued_stacks(&world), ["app-ruled", "app-two"]);
    assert_eq!(summary(&answer)["byReason"]["ALREADY_PROVISIONED"], 2);
}

#[tokio::test]
async fn with_a_queue_a_stack_event_is_queued_once_and_decided_from_the_queue() {
    // GIVEN the import queue
    let world = World::importable().with_queue();
    let event = event_file("stack-create-complete.json");
    // WHEN the same event is delivered twice
    assert_eq!(world.answer(event.clone()).await, json!({"queued": 1}));
    assert_eq!(world.answer(event.clone()).await, json!({"queued": 1}));
    // THEN one work item waits in its account and region's group, and nothing was decided yet
    let messages = world.queue.messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].group, "111122223333:us-east-1");
    assert!(world.published().is_empty());
    // WHEN the queue delivers it
    let record = json!({"Records":[{"messageId":"m-1","body":messages[0].body,
                                    "attributes":{"MessageGroupId":messages[0].group}}]});
    let answer = world.answer(record).await;
    // THEN it is imported, and the outcome names the event that queued it
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(world.published()[0]["reason"], "RECORD_SUCCEEDED");
    assert_eq!(world.published()[0]["trigger"]["kind"], "event");
    assert_eq!(world.published()[0]["trigger"]["id"], event["id"]);
}

#[tokio::test]
async fn a_queue_that_refuses_the_event_fails_the_invocation_so_it_is_retried() {
    let world = World::importable().with_queue().queue_refuses();
    let result = world.handle(event_file("stack-create-complete.json"), 300).await;
    assert!(matches!(result, Err(HandlerError::Unqueued { .. })), "{result:?}");
}

#[tokio::test]
async fn after_a_record_to_retry_the_rest_of_its_group_is_retried_undecided() {
    // GIVEN three queued stacks: two in one account and region, one in another region; the first import is busy
    let busy = failure(FailureKind::Permanent, "ImportAsProvisionedProduct", "InvalidStateException");
    let world = World::importable()
        .stack(stack(&arn("second", "us-east-1"), "CREATE_COMPLETE", &routed_tags()), TEMPLATE_YAML)
        .stack(stack(&arn("elsewhere", "eu-west-1"), "CREATE_COMPLETE", &routed_tags()), TEMPLATE_YAML)
        .refusing_import(ImportError::Busy(busy));
    let record = |id: &str, stack: &str| {
        let message = QueuedImport {
            stack: StackArn::parse(stack).unwrap(),
            dry_run: None,
            trigger: sc_stack_importer::outcome::Trigger::new(sc_stack_importer::outcome::TriggerKind::Event, id),
        }
        .message();
        json!({"messageId":id,"body":message.body,"attributes":{"MessageGroupId":message.group}})
    };
    let batch = json!({"Records":[record("m-1", ARN), record("m-2", &arn("second", "us-east-1")),
                                  record("m-3", &arn("elsewhere", "eu-west-1"))]});
    // WHEN the batch is delivered
    let answer = world.answer(batch).await;
    // THEN the busy record and the later record of its group are retried; the other group's record is decided
    assert_eq!(answer, json!({"batchItemFailures":[{"itemIdentifier":"m-1"},{"itemIdentifier":"m-2"}]}));
    let decided: Vec<String> =
        world.published().iter().map(|o| o["stack"]["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(decided, ["payments-api", "elsewhere"], "m-2 must not be decided before m-1");
}

#[tokio::test]
async fn with_a_queue_a_sweep_out_of_time_queues_its_own_continuation() {
    // GIVEN the estate, an import queue, and an invocation with less time left than a sweep keeps in reserve
    let world = estate().with_queue();
    let first = world.handle(json!({"sweep":{"dryRun":true,"stackName":"app-*"}}), 10).await.unwrap();
    // THEN nothing was swept yet, and the rest of the sweep waits on the queue in a group of its own
    let sweep = summary(&first);
    assert_eq!((sweep["complete"].clone(), sweep["continued"].clone()), (json!(false), json!(true)), "{sweep}");
    let continuation = world.queue.messages.lock().unwrap().pop().unwrap();
    assert_eq!(continuation.group, format!("sweep:{}", sweep["id"].as_str().unwrap()));
    let body: Value = serde_json::from_str(&continuation.body).unwrap();
    assert_eq!(body["sweep"]["cursor"], sweep["cursor"]);
    assert!(world.publisher.summaries.lock().unwrap().is_empty());
    // WHEN the queue delivers the continuation
    let record = json!({"Records":[{"messageId":"m-c","body":continuation.body,
                                    "attributes":{"MessageGroupId":continuation.group}}]});
    assert_eq!(world.answer(record).await, json!({"batchItemFailures": []}));
    // THEN the same sweep completes: its work items are queued and its one summary is published
    assert_eq!(queued_stacks(&world), ["app-one", "app-ruled", "app-two"]);
    let summaries = world.publisher.summaries.lock().unwrap().clone();
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].id, sweep["id"].as_str().unwrap());
    assert_eq!((summaries[0].totals.stacks, summaries[0].totals.queued), (7, 3));
}

#[tokio::test]
async fn a_hub_sweeps_every_account_of_the_organization_in_every_region_named() {
    // GIVEN a hub over two accounts, with routed stacks in both accounts and two regions
    let member = |name: &str, account: &str, region: &str| {
        let arn =
            format!("arn:aws:cloudformation:{region}:{account}:stack/{name}/0b9a4c20-5ad5-11ef-a1b2-0a1b2c3d4e5f");
        stack(&arn, "CREATE_COMPLETE", &routed_tags())
    };
    let world = World::new()
        .hub_of(&["444455556666", "111122223333"])
        .with_queue()
        .stack(member("a", "111122223333", "us-east-1"), TEMPLATE_YAML)
        .stack(member("b", "111122223333", "eu-west-1"), TEMPLATE_YAML)
        .stack(member("c", "444455556666", "us-east-1"), TEMPLATE_YAML)
        .stack(member("d", "444455556666", "eu-west-1"), TEMPLATE_YAML)
        .stack(member("e", "444455556666", "ap-south-1"), TEMPLATE_YAML);
    // WHEN a sweep names the whole organization and two regions
    let answer = world.answer(json!({"sweep":{"accounts":["*"],"regions":["us-east-1","eu-west-1"]}})).await;
    // THEN each account and region was listed once, and each of its stacks queued in its own group
    let sweep = summary(&answer);
    assert_eq!(sweep["accounts"], json!(["111122223333", "444455556666"]), "{sweep}");
    assert_eq!((sweep["stacks"].clone(), sweep["queued"].clone()), (json!(4), json!(4)));
    assert_eq!(world.count("DescribeStacks (all)"), 4);
    assert_eq!(world.count("ListAccounts"), 1);
    let mut groups: Vec<String> = world.queue.messages.lock().unwrap().iter().map(|m| m.group.clone()).collect();
    groups.sort();
    assert_eq!(
        groups,
        ["111122223333:eu-west-1", "111122223333:us-east-1", "444455556666:eu-west-1", "444455556666:us-east-1"]
    );
}
