//! Properties of input parsing, over generated payloads: whatever JSON arrives — well-formed shapes with odd values,
//! near misses, or anything at all — the function answers, never panics, and gives exactly one outcome per item.
//! `PROPTEST_CASES` sets how many payloads (256 by default; `make fuzz` runs many more).

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use sc_stack_importer::lambda::input::MAX_MANUAL_IMPORTS;

use crate::fakes::ARN;
use crate::world::World;

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!(ARN)),
        Just(json!("payments-api")),
        Just(json!("aws.cloudformation")),
        Just(json!("CloudFormation Stack Status Change")),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// Field names the function knows, and others.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "source",
            "detail-type",
            "detail",
            "id",
            "resources",
            "stack-id",
            "Records",
            "messageId",
            "body",
            "requestPayload",
            "stackName",
            "stackArn",
            "productId",
            "provisioningArtifactId",
            "provisionedProductName",
            "dryRun",
            "imports",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z-]{1,12}",
    ]
}

/// A stack status event with any detail, id and resources.
fn event_like() -> impl Strategy<Value = Value> {
    (any_json(), any_json(), any_json()).prop_map(|(detail, id, resources)| {
        json!({"source":"aws.cloudformation","detail-type":"CloudFormation Stack Status Change",
               "id":id,"resources":resources,"detail":detail})
    })
}

/// A manual batch of any requests.
fn batch_like() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(any_json(), 1..(MAX_MANUAL_IMPORTS + 5))
}

/// An SQS batch whose bodies are any JSON (as text), text that is not JSON, or no body.
fn queue_like() -> impl Strategy<Value = Vec<Value>> {
    let body = prop_oneof![
        any_json().prop_map(|value| json!(value.to_string())),
        ".{0,30}".prop_map(Value::String),
        any_json()
    ];
    prop::collection::vec(body, 1..12).prop_map(|bodies| {
        bodies.into_iter().enumerate().map(|(n, body)| json!({"messageId": format!("m-{n}"), "body": body})).collect()
    })
}

/// The function's answer on a world with nothing in it: no panic, and whatever was published.
fn answer(payload: Value) -> (Result<Value, String>, Vec<Value>) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
    runtime.block_on(async {
        let world = World::new();
        let answer = world.handle(payload, 300).await.map_err(|error| error.to_string());
        (answer, world.published())
    })
}

/// How many outcomes docs/CONTRACT.md §1 promises for a payload: one per SQS record, one per request of a
/// well-formed manual batch, and one otherwise (the stack, or the refusal of the whole payload).
fn promised_outcomes(payload: &Value) -> usize {
    let Value::Object(object) = payload else { return 1 };
    if let Some(records) = object.get("Records") {
        return match records {
            Value::Array(records) => records.len(),
            _ => 1,
        };
    }
    if object.contains_key("source") || object.contains_key("detail-type") {
        return 1;
    }
    let only_batch_fields = object.keys().all(|key| key == "imports" || key == "dryRun");
    let dry_run_ok = object.get("dryRun").is_none_or(Value::is_boolean);
    match object.get("imports") {
        Some(Value::Array(imports))
            if only_batch_fields && dry_run_ok && (1..=MAX_MANUAL_IMPORTS).contains(&imports.len()) =>
        {
            imports.len()
        }
        _ => 1,
    }
}

proptest! {
    #[test]
    fn any_payload_is_answered_with_exactly_the_outcomes_promised(payload in any_json()) {
        let (answer, published) = answer(payload.clone());
        prop_assert_eq!(published.len(), promised_outcomes(&payload), "{}", payload);
        if let Ok(Value::Object(answer)) = &answer && let Some(Value::Array(outcomes)) = answer.get("outcomes") {
            prop_assert_eq!(outcomes.len(), published.len());
        }
    }

    #[test]
    fn a_stack_event_gives_one_outcome_whatever_its_fields(event in event_like()) {
        let (answer, published) = answer(event);
        prop_assert_eq!(published.len(), 1);
        if let Ok(answer) = answer {
            prop_assert_eq!(answer["outcomes"].as_array().map(Vec::len), Some(1));
        }
    }

    #[test]
    fn a_manual_batch_gives_one_outcome_per_request_in_order_or_one_refusal(imports in batch_like()) {
        let count = imports.len();
        let (answer, published) = answer(json!({"imports": imports}));
        let outcomes = answer.map_err(TestCaseError::fail)?["outcomes"].as_array().cloned().unwrap_or_default();
        let expected = if count > MAX_MANUAL_IMPORTS { 1 } else { count };
        prop_assert_eq!(outcomes.len(), expected);
        prop_assert_eq!(published.len(), expected);
    }

    #[test]
    fn a_queue_batch_settles_every_record_and_retries_only_listed_ones(records in queue_like()) {
        let count = records.len();
        let (answer, published) = answer(json!({"Records": records}));
        let answer = answer.map_err(TestCaseError::fail)?;
        prop_assert_eq!(published.len(), count);
        let failures = answer["batchItemFailures"].as_array().cloned().unwrap_or_default();
        prop_assert!(failures.len() <= count);
        for failure in failures {
            prop_assert!(failure["itemIdentifier"].as_str().is_some_and(|id| id.starts_with("m-")));
        }
    }
}
