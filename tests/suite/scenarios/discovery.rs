//! Discovery and new versions (docs/CONTRACT.md §9): a stack nothing routes, routed by its template; a routed stack
//! that matches no artifact, imported into a version made from it.

use std::time::Duration;

use serde_json::{Value, json};

use sc_stack_importer::ports::FetchError;
use sc_stack_importer::stack::Stack;

use super::outcomes;
use crate::fakes::*;
use crate::world::{World, invocation};

const OTHER_PRODUCT: &str = "prod-otherproduct01";
const OTHER_ARTIFACT: &str = "pa-otherartifact01";
/// The stack's template with one more resource: drift no artifact has.
const DRIFTED: &str = r#"{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"Queue":{"Type":"AWS::SQS::Queue","Properties":{"QueueName":{"Fn::Sub":"${AWS::StackName}-q"}}},"Extra":{"Type":"AWS::SNS::Topic"}}}"#;

/// Routed to the product only: any of its active artifacts may match.
fn product_tag() -> Vec<(&'static str, &'static str)> {
    vec![("sc-import:product-id", PRODUCT)]
}

fn untagged(arn: &str) -> Stack {
    stack(arn, "CREATE_COMPLETE", &[])
}

fn second_arn() -> String {
    ARN.replace("payments-api", "orders-api")
}

async fn decide(world: &World, arn: &str) -> Value {
    let answer = world.answer(json!({"stackArn": arn})).await;
    outcomes(&answer)[0].clone()
}

fn discovering() -> World {
    catalog().discovery()
}

/// An untagged stack, and two products: one has the stack's template as its newest artifact, the other does not.
fn catalog() -> World {
    World::new()
        .stack(untagged(ARN), TEMPLATE_YAML)
        .artifact(PRODUCT, "pa-older0000001", true, 50, OTHER_TEMPLATE)
        .artifact(PRODUCT, ARTIFACT, true, 100, TEMPLATE_JSON)
        .artifact(OTHER_PRODUCT, OTHER_ARTIFACT, true, 100, OTHER_TEMPLATE)
        .record_statuses(&["SUCCEEDED"])
}

#[tokio::test(start_paused = true)]
async fn an_untagged_stack_is_routed_by_its_template_to_the_one_product_that_has_it() {
    let world = discovering();

    let outcome = decide(&world, ARN).await;

    assert_eq!(outcome["outcome"], "IMPORTED", "{outcome}");
    assert_eq!(
        outcome["target"],
        json!({"productId":PRODUCT,"provisioningArtifactId":ARTIFACT,"provisionedProductName":"payments-api"})
    );
    assert!(outcome["message"].as_str().unwrap().contains("discovered"), "{outcome}");
    let order = &world.orders()[0];
    assert_eq!((order.product.as_str(), order.artifact.as_str()), (PRODUCT, ARTIFACT));
    assert_eq!(world.count("SearchProducts"), 1);
    assert_eq!(world.count("GET "), 3, "every active artifact's template read once: {:?}", world.calls());
}

#[tokio::test(start_paused = true)]
async fn a_warm_function_discovers_the_next_stack_without_any_catalog_call() {
    let world = discovering().stack(untagged(&second_arn()), TEMPLATE_JSON);
    let handler = world.handler();
    handler.handle(invocation(json!({"stackArn": ARN}), 300)).await.unwrap();
    let before = world.calls().len();

    let answer = handler.handle(invocation(json!({"stackArn": second_arn()}), 300)).await.unwrap();

    assert_eq!(outcomes(&answer)[0]["outcome"], "IMPORTED", "{answer}");
    let catalog: Vec<String> = world.calls()[before..]
        .iter()
        .filter(|call| {
            ["SearchProducts", "ListProvisioningArtifacts", "DescribeProvisioningArtifact", "GET "]
                .iter()
                .any(|operation| call.starts_with(operation))
        })
        .cloned()
        .collect();
    assert_eq!(catalog, Vec::<String>::new(), "the warm index answered");
}

#[tokio::test(start_paused = true)]
async fn a_version_added_since_the_index_was_built_is_found_and_a_deactivated_one_dropped() {
    // GIVEN a warm index, and then a new product version holding a second stack's template
    let drifted_arn = ARN.replace("payments-api", "ledger-api");
    let world = discovering().stack(untagged(&drifted_arn), DRIFTED);
    let handler = world.handler();
    handler.handle(invocation(json!({"stackArn": ARN}), 300)).await.unwrap();
    let world = world.artifact(OTHER_PRODUCT, "pa-addedlater001", true, 300, DRIFTED);
    // WHEN the second stack comes half a minute later
    tokio::time::advance(Duration::from_secs(31)).await;
    let answer = handler.handle(invocation(json!({"stackArn": drifted_arn}), 300)).await.unwrap();
    // THEN the miss rebuilt the index, and the new version routes the stack
    let outcome = &outcomes(&answer)[0];
    assert_eq!(outcome["target"]["provisioningArtifactId"], "pa-addedlater001", "{outcome}");
    assert_eq!(world.count("SearchProducts"), 2);

    // AND once that version is deactivated, an index rebuilt after it no longer routes by it
    let third_arn = ARN.replace("payments-api", "ledger-two");
    let world = world.stack(untagged(&third_arn), DRIFTED);
    for artifact in world.versions.products.lock().unwrap().get_mut(OTHER_PRODUCT).unwrap() {
        artifact.active = artifact.id.as_str() != "pa-addedlater001";
    }
    tokio::time::advance(Duration::from_secs(6 * 60)).await;
    let answer = handler.handle(invocation(json!({"stackArn": third_arn}), 300)).await.unwrap();
    assert_eq!(outcomes(&answer)[0]["reason"], "NO_ROUTE", "{answer}");
}

#[tokio::test(start_paused = true)]
async fn a_template_two_products_hold_is_an_ambiguous_route_naming_both() {
    let world = discovering().artifact(OTHER_PRODUCT, "pa-samecopy00001", true, 200, TEMPLATE_JSON);

    let outcome = decide(&world, ARN).await;

    assert_eq!((outcome["outcome"].as_str(), outcome["reason"].as_str()), (Some("FAILED"), Some("AMBIGUOUS_ROUTE")));
    let message = outcome["message"].as_str().unwrap();
    assert!(message.contains(PRODUCT) && message.contains(OTHER_PRODUCT), "{message}");
    assert!(world.orders().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_template_no_product_holds_is_no_route_and_an_inactive_artifact_does_not_count() {
    let world = World::new()
        .discovery()
        .stack(untagged(ARN), TEMPLATE_YAML)
        .artifact(PRODUCT, ARTIFACT, false, 100, TEMPLATE_JSON)
        .artifact(OTHER_PRODUCT, OTHER_ARTIFACT, true, 100, OTHER_TEMPLATE);

    let outcome = decide(&world, ARN).await;

    assert_eq!((outcome["outcome"].as_str(), outcome["reason"].as_str()), (Some("SKIPPED"), Some("NO_ROUTE")));
    assert!(outcome["message"].as_str().unwrap().contains("2 products"), "{outcome}");
    assert_eq!(world.count("GET "), 1, "the inactive artifact is not read");
}

#[tokio::test(start_paused = true)]
async fn without_discovery_an_untagged_stack_is_no_route_without_a_catalog_call() {
    let world = catalog();

    assert_eq!(decide(&world, ARN).await["reason"], "NO_ROUTE");
    assert_eq!(world.count("SearchProducts"), 0);
}

#[tokio::test(start_paused = true)]
async fn unreadable_artifact_templates_are_left_out_and_the_others_still_discovered() {
    let world = discovering()
        .artifact_answering("prod-missingobject", "pa-missingobject", Err(FetchError::failed("404 Not Found", false)))
        .artifact_answering("prod-notatemplate1", "pa-notatemplate1", Ok("- a list\n- is not a template"))
        .artifact_answering("prod-aliasbomb0001", "pa-aliasbomb0001", Ok(&alias_bomb()))
        .stack(untagged(&second_arn()), TEMPLATE_JSON);
    let handler = world.handler();

    let answer = handler.handle(invocation(json!({"stackArn": ARN}), 300)).await.unwrap();

    assert_eq!(outcomes(&answer)[0]["outcome"], "IMPORTED", "{answer}");
    // An index rebuilt later does not read them again: their templates never change.
    assert_eq!(world.count("GET https://templates.example/prod-missingobject"), 1);
    let searched = world.count("SearchProducts");
    tokio::time::advance(Duration::from_secs(6 * 60)).await;
    let answer = handler.handle(invocation(json!({"stackArn": second_arn()}), 300)).await.unwrap();
    assert_eq!(outcomes(&answer)[0]["outcome"], "IMPORTED", "{answer}");
    assert_eq!(world.count("SearchProducts"), searched + 1, "the old index was rebuilt");
    assert_eq!(world.count("GET https://templates.example/prod-missingobject"), 1);
    assert_eq!(world.count("GET "), 6, "six artifacts, each read once");
}

/// A YAML alias bomb: a few hundred bytes that expand to billions of nodes if aliases are followed naively.
fn alias_bomb() -> String {
    let mut body = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let previous = (b'a' + level - 1) as char;
        let this = (b'a' + level) as char;
        body.push_str(&format!("{this}: &{this} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"));
    }
    body
}

#[tokio::test(start_paused = true)]
async fn an_artifact_template_that_cannot_be_read_for_now_makes_discovery_retryable() {
    let world = discovering().artifact_answering(
        "prod-throttled0001",
        "pa-throttled0001",
        Err(FetchError::failed("503", true)),
    );

    let handler = world.handler();

    let answer = handler.handle(invocation(json!({"stackArn": ARN}), 300)).await.unwrap();

    let outcome = &outcomes(&answer)[0];
    assert_eq!((outcome["reason"].as_str(), outcome["retryable"].as_bool()), (Some("AWS_ERROR"), Some(true)));
    assert!(world.orders().is_empty(), "no decision on part of the catalog");
    // AND the retry reads only what it could not read before: what was read is kept
    let url = "https://templates.example/prod-throttled0001/pa-throttled0001.json?X-Amz-Signature=abc";
    world.templates.urls.lock().unwrap().insert(url.into(), Ok(OTHER_TEMPLATE.into()));
    let reads = world.count("GET ");
    let answer = handler.handle(invocation(json!({"stackArn": ARN}), 300)).await.unwrap();
    assert_eq!(outcomes(&answer)[0]["outcome"], "IMPORTED", "{answer}");
    assert_eq!(world.count("GET "), reads + 1);
}

#[tokio::test(start_paused = true)]
async fn a_restarted_function_recalls_fingerprints_from_the_store_and_reads_no_template() {
    let world = discovering().with_store().stack(untagged(&second_arn()), TEMPLATE_JSON);
    world.handler().handle(invocation(json!({"stackArn": ARN}), 300)).await.unwrap();
    assert_eq!(world.store.items.lock().unwrap().len(), 3, "every artifact's fingerprint stored");
    let reads = world.count("GET ");

    // A new handler is a cold start: nothing in memory.
    let answer = world.handler().handle(invocation(json!({"stackArn": second_arn()}), 300)).await.unwrap();

    assert_eq!(outcomes(&answer)[0]["outcome"], "IMPORTED", "{answer}");
    assert_eq!(world.count("GET "), reads, "no template read again");
    assert_eq!(world.count("BatchGetItem"), 2);
}

// -- new versions -------------------------------------------------------------------------------------------------

fn drifted() -> World {
    World::new()
        .stack(stack(ARN, "CREATE_COMPLETE", &product_tag()), DRIFTED)
        .artifact(PRODUCT, ARTIFACT, true, 100, TEMPLATE_JSON)
        .record_statuses(&["SUCCEEDED"])
}

fn made_versions(world: &World) -> Vec<String> {
    world.calls().into_iter().filter(|call| call.starts_with("CreateProvisioningArtifact")).collect()
}

#[tokio::test(start_paused = true)]
async fn a_drifted_stack_gets_a_version_made_from_it_and_is_imported_into_it() {
    let world = drifted().new_versions(2);

    let outcome = decide(&world, ARN).await;

    assert_eq!(outcome["outcome"], "IMPORTED", "{outcome}");
    let made = made_versions(&world);
    assert_eq!(made.len(), 1);
    assert!(made[0].contains(&format!("from {ARN}")) && made[0].contains(" imported-"), "{made:?}");
    assert_eq!(outcome["target"]["versionCreated"], true);
    assert_eq!(outcome["target"]["provisioningArtifactId"], "pa-made00000002");
    assert_eq!(world.orders()[0].artifact.as_str(), "pa-made00000002");
    assert!(outcome["message"].as_str().unwrap().contains("was made from the stack"), "{outcome}");
    assert_eq!(world.count("DescribeProvisioningArtifact prod-abcdefghijklm pa-made"), 3, "polled until AVAILABLE");
    assert_eq!(world.count("ListProvisioningArtifacts"), 1, "the product's versions listed once");
}

#[tokio::test(start_paused = true)]
async fn a_retry_imports_into_the_version_the_first_attempt_made() {
    // GIVEN a version that takes longer to make than the first invocation has
    let world = drifted().new_versions(1000);
    let answer = world.handle(json!({"stackArn": ARN}), 30).await.unwrap();
    let first = &outcomes(&answer)[0];
    assert_eq!((first["reason"].as_str(), first["retryable"].as_bool()), (Some("OUT_OF_TIME"), Some(true)), "{first}");
    world.versions.products.lock().unwrap().get_mut(PRODUCT).unwrap().last_mut().unwrap().creating_reads = 0;
    let reads = world.count("GET https://templates.example/prod-abcdefghijklm/pa-made");

    let second = decide(&world, ARN).await;

    assert_eq!(second["outcome"], "IMPORTED", "{second}");
    assert_eq!(second["target"]["versionCreated"], true);
    assert_eq!(made_versions(&world).len(), 1, "no second version");
    assert_eq!(
        world.count("GET https://templates.example/prod-abcdefghijklm/pa-made"),
        reads,
        "a version made from this stack's template is not read: it may not be readable while it is being made"
    );
    assert_eq!(world.versions.products.lock().unwrap()[PRODUCT].len(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_identical_template_beyond_the_compared_artifacts_is_used_not_duplicated() {
    // GIVEN the drifted template is an old artifact's, behind twenty newer ones
    let mut world = drifted().new_versions(0).artifact(PRODUCT, "pa-oldidentical1", true, 1, DRIFTED);
    for index in 0..20 {
        world = world.artifact(PRODUCT, &format!("pa-newer{index:07}"), true, 1000 + index, OTHER_TEMPLATE);
    }

    let outcome = decide(&world, ARN).await;

    assert_eq!(outcome["outcome"], "IMPORTED", "{outcome}");
    assert_eq!(outcome["target"]["provisioningArtifactId"], "pa-oldidentical1");
    assert_eq!(outcome["target"].get("versionCreated"), None);
    assert!(made_versions(&world).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_product_at_its_quota_is_version_limit() {
    let world = drifted().new_versions(0).artifact_limit(1);

    let outcome = decide(&world, ARN).await;

    assert_eq!((outcome["outcome"].as_str(), outcome["reason"].as_str()), (Some("FAILED"), Some("VERSION_LIMIT")));
    assert!(world.orders().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_template_with_a_transform_is_never_versioned() {
    let transformed = DRIFTED.replacen('{', r#"{"Transform":"AWS::Serverless-2016-10-31","#, 1);
    let world = drifted().new_versions(0).stack(stack(ARN, "CREATE_COMPLETE", &product_tag()), &transformed);

    let outcome = decide(&world, ARN).await;

    assert_eq!(outcome["reason"], "TEMPLATE_MISMATCH", "{outcome}");
    assert!(outcome["message"].as_str().unwrap().contains("Transform"), "{outcome}");
    assert!(made_versions(&world).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_stack_tagged_new_version_false_is_a_mismatch_and_true_needs_the_switch() {
    let mut tags = product_tag();
    tags.push(("sc-import:new-version", "false"));
    let opted_out = drifted().new_versions(0).stack(stack(ARN, "CREATE_COMPLETE", &tags), DRIFTED);
    assert_eq!(decide(&opted_out, ARN).await["reason"], "TEMPLATE_MISMATCH");
    assert!(made_versions(&opted_out).is_empty());

    let mut tags = product_tag();
    tags.push(("sc-import:new-version", "true"));
    let switched_off = drifted().stack(stack(ARN, "CREATE_COMPLETE", &tags), DRIFTED);
    let outcome = decide(&switched_off, ARN).await;
    assert_eq!(outcome["reason"], "TEMPLATE_MISMATCH");
    assert!(outcome["message"].as_str().unwrap().contains("NEW_VERSION_ON_MISMATCH is off"), "{outcome}");
    assert!(made_versions(&switched_off).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_rule_may_turn_versions_off_for_its_stacks() {
    let world = World::new()
        .new_versions(0)
        .rules(r#"[{"stackName":"payments-*","productId":"prod-abcdefghijklm","newVersion":false}]"#)
        .stack(untagged(ARN), DRIFTED)
        .artifact(PRODUCT, ARTIFACT, true, 100, TEMPLATE_JSON);

    assert_eq!(decide(&world, ARN).await["reason"], "TEMPLATE_MISMATCH");
    assert!(made_versions(&world).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_dry_run_plans_the_version_and_makes_nothing() {
    let world = drifted().new_versions(0).dry_run();

    let outcome = decide(&world, ARN).await;

    assert_eq!(outcome["outcome"], "PLANNED", "{outcome}");
    assert!(outcome["message"].as_str().unwrap().contains("would be made"), "{outcome}");
    assert!(made_versions(&world).is_empty());
    assert!(world.orders().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_refused_version_says_shared_products_get_versions_only_in_their_owner_account() {
    let world = drifted().new_versions(0).refusing_new_versions("InvalidParametersException");

    let outcome = decide(&world, ARN).await;

    assert_eq!(outcome["reason"], "TEMPLATE_MISMATCH", "{outcome}");
    assert!(outcome["message"].as_str().unwrap().contains("owns it"), "{outcome}");
}

#[tokio::test(start_paused = true)]
async fn a_route_that_names_its_artifact_is_never_versioned() {
    let mut tags = product_tag();
    tags.push(("sc-import:provisioning-artifact-id", ARTIFACT));
    let world = drifted().new_versions(0).stack(stack(ARN, "CREATE_COMPLETE", &tags), DRIFTED);

    let outcome = decide(&world, ARN).await;

    assert_eq!(outcome["reason"], "TEMPLATE_MISMATCH");
    assert!(outcome["message"].as_str().unwrap().contains("names its artifact"), "{outcome}");
    assert!(made_versions(&world).is_empty());
}
