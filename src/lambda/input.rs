//! The input shapes (docs/CONTRACT.md §1, §1d, §7) — an EventBridge stack status event, an SQS batch (of such events,
//! of import queue work items, or of a sweep's continuation), a manual request, a sweep — parsed once into work.
//! Nothing here fails: bad input becomes an item that ends INVALID_REQUEST.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::{AccountId, Region};
use crate::outcome::{Trigger, TriggerKind};
use crate::pipeline::{StackRequest, Task, WorkItem};
use crate::queue::QueuedImport;
use crate::routing::RouteFields;
use crate::stack::{StackArn, StackName, StackRef};
use crate::sweep::SweepRequest;
use crate::text::truncate;

pub const STACK_EVENT_SOURCE: &str = "aws.cloudformation";
pub const STACK_EVENT_DETAIL_TYPE: &str = "CloudFormation Stack Status Change";
/// More imports than this in one manual request are refused whole: each import can take minutes to follow.
pub const MAX_MANUAL_IMPORTS: usize = 50;
/// The largest batch an SQS event source mapping delivers; a direct invocation claiming more is not from SQS.
pub const MAX_QUEUE_RECORDS: usize = 10_000;

/// One invocation's payload, by shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Invocation {
    StackEvent(WorkItem),
    Queue(Vec<QueueItem>),
    Manual(Vec<WorkItem>),
    Sweep(SweepRequest),
}

/// An SQS record and the work its body asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    pub message_id: String,
    /// `MessageGroupId`, on a FIFO queue's records: a group's later records wait for its earlier ones.
    pub group: Option<String>,
    pub work: QueueWork,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QueueWork {
    /// One stack: a queued work item, or an event (a redriven dead-letter queue).
    Decide(WorkItem),
    /// The rest of a sweep, queued by the invocation that ran out of time.
    Sweep(SweepRequest),
}

/// The `detail` of a "CloudFormation Stack Status Change" event. Every field is optional in real events.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
struct StackStatusChange {
    #[serde(default)]
    stack_id: Option<String>,
}

impl Invocation {
    /// Sorts a payload into its shape. `request_id` identifies manual requests (Lambda's request id).
    pub fn parse(payload: Value, request_id: &str) -> Invocation {
        match payload {
            Value::Object(mut object) => {
                if let Some(records) = object.remove("Records") {
                    Invocation::Queue(queue_items(records))
                } else if let Some(sweep) = object.remove("sweep") {
                    let refuse = |message| {
                        let trigger = Trigger::new(TriggerKind::Manual, request_id);
                        Invocation::Manual(vec![WorkItem { trigger, task: invalid(message) }])
                    };
                    match (object.keys().next(), SweepRequest::parse(sweep)) {
                        (Some(field), _) => refuse(format!("unknown field {:?} beside \"sweep\"", truncate(field, 60))),
                        (None, Ok(request)) => Invocation::Sweep(request),
                        (None, Err(message)) => refuse(message),
                    }
                } else if object.contains_key("source") || object.contains_key("detail-type") {
                    let trigger_id = object.get("id").and_then(Value::as_str).unwrap_or(request_id);
                    let trigger = Trigger::new(TriggerKind::Event, trigger_id);
                    Invocation::StackEvent(WorkItem { trigger, task: event_task(Value::Object(object)) })
                } else {
                    Invocation::Manual(manual_items(object, request_id))
                }
            }
            other => {
                let trigger = Trigger::new(TriggerKind::Manual, request_id);
                let message =
                    format!("the payload is a JSON {}, not an object (docs/CONTRACT.md §1)", json_type(&other));
                Invocation::Manual(vec![WorkItem { trigger, task: Task::Invalid { stack: None, message } }])
            }
        }
    }
}

/// Shape (a): the task an EventBridge event asks for.
fn event_task(event: Value) -> Task {
    let source = event.get("source").and_then(Value::as_str).unwrap_or_default();
    let detail_type = event.get("detail-type").and_then(Value::as_str).unwrap_or_default();
    if source != STACK_EVENT_SOURCE || detail_type != STACK_EVENT_DETAIL_TYPE {
        return Task::Unsupported {
            stack: None,
            message: format!(
                "event {:?}/{:?} is not a \"{STACK_EVENT_DETAIL_TYPE}\" event from {STACK_EVENT_SOURCE}",
                truncate(source, 100),
                truncate(detail_type, 100)
            ),
        };
    }
    let event: EventBridgeEvent<Option<StackStatusChange>> = match serde_json::from_value(event) {
        Ok(event) => event,
        Err(error) => return Task::Invalid { stack: None, message: format!("malformed stack status event: {error}") },
    };
    let from_detail = event.detail.and_then(|detail| detail.stack_id);
    let from_resources = event.resources.and_then(|resources| resources.into_iter().next());
    let Some(stack_id) = from_detail.or(from_resources) else {
        return Task::Invalid {
            stack: None,
            message: "the event names no stack (no detail.stack-id, no resources)".into(),
        };
    };
    match StackArn::parse(&stack_id) {
        Ok(arn) => {
            Task::Import(StackRequest { stack: StackRef::Arn(arn), route: RouteFields::default(), dry_run: None })
        }
        Err(error) => Task::Invalid { stack: None, message: error.to_string() },
    }
}

/// Shape (b): every record of an SQS batch, each with the id to report back in `batchItemFailures`.
fn queue_items(records: Value) -> Vec<QueueItem> {
    let refuse = |message: String| {
        let item =
            WorkItem { trigger: Trigger::new(TriggerKind::Queue, ""), task: Task::Invalid { stack: None, message } };
        vec![QueueItem { message_id: String::new(), group: None, work: QueueWork::Decide(item) }]
    };
    let records = match records {
        Value::Array(records) if records.len() > MAX_QUEUE_RECORDS => {
            return refuse(format!(
                "`Records` holds {} records; an SQS batch holds at most {MAX_QUEUE_RECORDS}",
                records.len()
            ));
        }
        Value::Array(records) => records,
        _ => return refuse("`Records` is not a list".into()),
    };
    records
        .into_iter()
        .enumerate()
        .map(|(index, record)| {
            let message_id = record
                .get("messageId")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("record-{index}"));
            let group =
                record.pointer("/attributes/MessageGroupId").and_then(Value::as_str).map(|group| truncate(group, 128));
            let trigger = Trigger::new(TriggerKind::Queue, &message_id);
            let work = match record.get("body") {
                Some(Value::String(body)) => body_work(body, trigger),
                _ => QueueWork::Decide(WorkItem {
                    trigger,
                    task: Task::Invalid { stack: None, message: "the SQS record has no string body".into() },
                }),
            };
            QueueItem { message_id, group, work }
        })
        .collect()
}

/// An SQS body holds an import queue work item, a sweep's continuation, an EventBridge event, or the Lambda
/// on-failure record that wraps one in `requestPayload`. A work item names its own trigger (the event or sweep that
/// queued it); the others are triggered by the message.
fn body_work(body: &str, message: Trigger) -> QueueWork {
    let parsed = serde_json::from_str::<Value>(body);
    if let Ok(Value::Object(object)) = &parsed {
        if object.contains_key("importStack") {
            return QueueWork::Decide(match QueuedImport::parse(Value::Object(object.clone())) {
                Ok(queued) => WorkItem {
                    trigger: queued.trigger,
                    task: Task::Import(StackRequest {
                        stack: StackRef::Arn(queued.stack),
                        route: RouteFields::default(),
                        dry_run: queued.dry_run,
                    }),
                },
                Err(problem) => WorkItem { trigger: message, task: invalid(problem) },
            });
        }
        if let (Some(sweep), 1) = (object.get("sweep"), object.len()) {
            return match SweepRequest::parse(sweep.clone()) {
                Ok(request) => QueueWork::Sweep(request),
                Err(problem) => QueueWork::Decide(WorkItem { trigger: message, task: invalid(problem) }),
            };
        }
    }
    QueueWork::Decide(WorkItem { trigger: message, task: body_task(parsed) })
}

/// An event body, or the Lambda on-failure record that wraps one in `requestPayload`.
fn body_task(parsed: serde_json::Result<Value>) -> Task {
    match parsed {
        Ok(Value::Object(mut object)) => match object.remove("requestPayload") {
            Some(payload @ Value::Object(_)) => event_task(payload),
            Some(other) => Task::Invalid {
                stack: None,
                message: format!("requestPayload is a JSON {}, not an event", json_type(&other)),
            },
            None => event_task(Value::Object(object)),
        },
        Ok(other) => Task::Invalid {
            stack: None,
            message: format!("the SQS body is a JSON {}, not an event", json_type(&other)),
        },
        Err(error) => Task::Invalid { stack: None, message: format!("the SQS body is not JSON: {error}") },
    }
}

/// Shape (c): one request, or `{"imports": [...]}` with an optional batch-wide `dryRun`.
fn manual_items(mut object: Map<String, Value>, request_id: &str) -> Vec<WorkItem> {
    let item = |task| WorkItem { trigger: Trigger::new(TriggerKind::Manual, request_id), task };
    let Some(imports) = object.remove("imports") else {
        return vec![item(manual_task(object, None))];
    };
    let batch_dry_run = match object.remove("dryRun") {
        None => None,
        Some(Value::Bool(flag)) => Some(flag),
        Some(other) => {
            return vec![item(invalid(format!("dryRun must be true or false, not a JSON {}", json_type(&other))))];
        }
    };
    if let Some(field) = object.keys().next() {
        return vec![item(invalid(format!("unknown field {:?} beside \"imports\"", truncate(field, 60))))];
    }
    match imports {
        Value::Array(imports) if imports.is_empty() => vec![item(invalid("\"imports\" is empty".into()))],
        Value::Array(imports) if imports.len() > MAX_MANUAL_IMPORTS => vec![item(invalid(format!(
            "\"imports\" holds {} requests; at most {MAX_MANUAL_IMPORTS} are taken in one invocation",
            imports.len()
        )))],
        Value::Array(imports) => imports
            .into_iter()
            .map(|request| match request {
                Value::Object(fields) => item(manual_task(fields, batch_dry_run)),
                other => item(invalid(format!("an import request is a JSON {}, not an object", json_type(&other)))),
            })
            .collect(),
        other => vec![item(invalid(format!("\"imports\" is a JSON {}, not a list", json_type(&other))))],
    }
}

fn invalid(message: String) -> Task {
    Task::Invalid { stack: None, message }
}

/// A manual request object. Unknown fields are refused: a misspelt `productId` must not silently fall back to tags.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ManualRequest {
    stack_name: Option<String>,
    stack_arn: Option<String>,
    /// The stack's account and region, for a stack named by `stackName` (docs/CONTRACT.md §8).
    account: Option<String>,
    region: Option<String>,
    product_id: Option<String>,
    provisioning_artifact_id: Option<String>,
    provisioned_product_name: Option<String>,
    dry_run: Option<bool>,
}

fn manual_task(fields: Map<String, Value>, batch_dry_run: Option<bool>) -> Task {
    let request: ManualRequest = match serde_json::from_value(Value::Object(fields)) {
        Ok(request) => request,
        Err(error) => return invalid(format!("malformed import request: {error}")),
    };
    let place = match (request.account.as_deref(), request.region.as_deref()) {
        (None, None) => None,
        (Some(account), Some(region)) => match (AccountId::parse(account), Region::parse(region)) {
            (Ok(account), Ok(region)) => Some((account, region)),
            (Err(error), _) | (_, Err(error)) => return invalid(error.to_string()),
        },
        _ => return invalid("account and region name the stack's place together: give both, or neither".into()),
    };
    let stack = match (request.stack_arn.as_deref(), request.stack_name.as_deref()) {
        (None, None) => return invalid("an import request needs stackName or stackArn".into()),
        (Some(arn), name) => match StackArn::parse(arn) {
            Ok(arn)
                if place
                    .as_ref()
                    .is_some_and(|(account, region)| account != arn.account() || region != arn.region()) =>
            {
                let message = format!("account and region are not those of stackArn {arn}");
                return Task::Invalid { stack: Some(StackRef::Arn(arn)), message };
            }
            Ok(arn) if name.is_none_or(|name| name == arn.name().as_str()) => StackRef::Arn(arn),
            Ok(arn) => {
                let message = format!(
                    "stackName {:?} is not the stack of stackArn {arn}",
                    truncate(name.unwrap_or_default(), 140)
                );
                return Task::Invalid { stack: Some(StackRef::Arn(arn)), message };
            }
            Err(error) => return invalid(error.to_string()),
        },
        (None, Some(name)) => match (StackName::parse(name), place) {
            (Ok(name), None) => StackRef::Name(name),
            (Ok(name), Some((account, region))) => StackRef::NameIn { name, account, region },
            (Err(error), _) => return invalid(error.to_string()),
        },
    };
    let route = match RouteFields::parse(
        request.product_id.as_deref(),
        request.provisioning_artifact_id.as_deref(),
        request.provisioned_product_name.as_deref(),
        "request",
    ) {
        Ok(route) => route,
        Err(message) => return Task::Invalid { stack: Some(stack), message },
    };
    Task::Import(StackRequest { stack, route, dry_run: request.dry_run.or(batch_dry_run) })
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Scope;
    use serde_json::json;

    const ARN: &str =
        "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a4c20-5ad5-11ef-a1b2-0a1b2c3d4e5f";

    fn stack_event(detail: Value) -> Value {
        json!({"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":STACK_EVENT_DETAIL_TYPE,
               "source":STACK_EVENT_SOURCE,"account":"111122223333","time":"2026-11-28T18:43:48Z","region":"us-east-1",
               "resources":[ARN],"detail":detail})
    }

    fn single(invocation: Invocation) -> WorkItem {
        match invocation {
            Invocation::StackEvent(item) => item,
            Invocation::Manual(mut items) if items.len() == 1 => items.remove(0),
            other => panic!("expected one item, got {other:?}"),
        }
    }

    fn imported_stack(task: &Task) -> &str {
        match task {
            Task::Import(request) => request.stack.as_str(),
            other => panic!("expected an import, got {other:?}"),
        }
    }

    #[test]
    fn a_stack_status_event_names_its_stack_by_arn() {
        let item = single(Invocation::parse(
            stack_event(json!({"stack-id":ARN,"status-details":{"status":"CREATE_COMPLETE"}})),
            "req",
        ));
        assert_eq!(
            item.trigger,
            Trigger { kind: TriggerKind::Event, id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718".into() }
        );
        assert_eq!(imported_stack(&item.task), ARN);
    }

    #[test]
    fn an_event_without_detail_fields_falls_back_to_its_resources() {
        let item = single(Invocation::parse(stack_event(json!({})), "req"));
        assert_eq!(imported_stack(&item.task), ARN);
    }

    #[test]
    fn another_kind_of_event_is_unsupported() {
        let mut event = stack_event(json!({}));
        event["detail-type"] = json!("CloudFormation Resource Status Change");
        assert!(matches!(single(Invocation::parse(event, "req")).task, Task::Unsupported { .. }));
        let scheduled = json!({"source":"aws.events","detail-type":"Scheduled Event","detail":{}});
        assert!(matches!(single(Invocation::parse(scheduled, "req")).task, Task::Unsupported { .. }));
    }

    #[test]
    fn a_stack_event_with_a_foreign_arn_is_invalid() {
        let mut event = stack_event(json!({"stack-id":"arn:aws:s3:::bucket"}));
        event["resources"] = json!([]);
        assert!(matches!(single(Invocation::parse(event, "req")).task, Task::Invalid { .. }));
    }

    #[test]
    fn a_stack_event_with_wrong_types_is_invalid_not_a_panic() {
        for detail in [json!("text"), json!({"stack-id": 42})] {
            let task = single(Invocation::parse(stack_event(detail), "req")).task;
            assert!(matches!(task, Task::Invalid { .. }), "{task:?}");
        }
        let mut event = stack_event(json!({}));
        event["time"] = json!("yesterday");
        assert!(matches!(single(Invocation::parse(event, "req")).task, Task::Invalid { .. }));
    }

    #[test]
    fn sqs_records_carry_events_or_on_failure_records() {
        let event = stack_event(json!({"stack-id":ARN}));
        let wrapped = json!({"version":"1.0","requestContext":{"condition":"RetriesExhausted"},"requestPayload":event,"responseContext":{}});
        let payload = json!({"Records":[
            {"messageId":"m-1","body":event.to_string()},
            {"messageId":"m-2","body":wrapped.to_string()},
            {"messageId":"m-3","body":"not json"},
            {"body":"{}"}
        ]});
        let Invocation::Queue(items) = Invocation::parse(payload, "req") else { panic!("not a queue invocation") };
        assert_eq!(items.iter().map(|i| i.message_id.as_str()).collect::<Vec<_>>(), ["m-1", "m-2", "m-3", "record-3"]);
        assert_eq!(imported_stack(&decided(&items[0]).task), ARN);
        assert_eq!(imported_stack(&decided(&items[1]).task), ARN);
        assert!(matches!(decided(&items[2]).task, Task::Invalid { .. }));
        assert_eq!(decided(&items[0]).trigger, Trigger { kind: TriggerKind::Queue, id: "m-1".into() });
        assert_eq!(items[0].group, None);
    }

    fn decided(item: &QueueItem) -> &WorkItem {
        match &item.work {
            QueueWork::Decide(item) => item,
            other => panic!("expected one stack, got {other:?}"),
        }
    }

    #[test]
    fn import_queue_records_carry_their_group_and_the_trigger_that_queued_them() {
        let item = QueuedImport {
            stack: StackArn::parse(ARN).unwrap(),
            dry_run: Some(true),
            trigger: Trigger::new(TriggerKind::Sweep, "sweep-7"),
        };
        let continuation = json!({"sweep":{"dryRun":true}});
        let payload = json!({"Records":[
            {"messageId":"m-1","body":item.message().body,"attributes":{"MessageGroupId":"111122223333:us-east-1"}},
            {"messageId":"m-2","body":continuation.to_string(),"attributes":{"MessageGroupId":"sweep:sweep-7"}},
            {"messageId":"m-3","body":"{\"importStack\":{},\"trigger\":{}}"}
        ]});
        let Invocation::Queue(items) = Invocation::parse(payload, "req") else { panic!("not a queue invocation") };
        assert_eq!(items[0].group.as_deref(), Some("111122223333:us-east-1"));
        assert_eq!(decided(&items[0]).trigger, Trigger::new(TriggerKind::Sweep, "sweep-7"));
        let Task::Import(request) = &decided(&items[0]).task else { panic!() };
        assert_eq!((request.stack.as_str(), request.dry_run), (ARN, Some(true)));
        assert!(matches!(&items[1].work, QueueWork::Sweep(request) if request.dry_run == Some(true)));
        assert!(matches!(&decided(&items[2]).task, Task::Invalid { message, .. } if message.contains("work item")));
    }

    #[test]
    fn a_sweep_is_its_own_shape_and_refuses_what_it_does_not_know() {
        assert!(matches!(Invocation::parse(json!({"sweep":{}}), "req"), Invocation::Sweep(_)));
        for payload in [json!({"sweep":{"dryrun":true}}), json!({"sweep":{},"dryRun":true}), json!({"sweep":"all"})] {
            let task = single(Invocation::parse(payload.clone(), "req")).task;
            assert!(matches!(task, Task::Invalid { .. }), "{payload} gave {task:?}");
        }
    }

    #[test]
    fn a_manual_request_carries_its_overrides() {
        let request = json!({"stackName":"payments-api","productId":"prod-abcdefghijklm","provisioningArtifactId":"pa-abcdefghijklm",
                             "provisionedProductName":"payments","dryRun":true});
        let item = single(Invocation::parse(request, "req-1"));
        assert_eq!(item.trigger, Trigger { kind: TriggerKind::Manual, id: "req-1".into() });
        let Task::Import(request) = item.task else { panic!() };
        assert_eq!(request.stack.as_str(), "payments-api");
        assert_eq!(request.route.product_id.as_ref().map(|id| id.as_str()), Some("prod-abcdefghijklm"));
        assert_eq!(request.route.provisioned_product_name.as_ref().map(|name| name.as_str()), Some("payments"));
        assert_eq!(request.dry_run, Some(true));
    }

    #[test]
    fn a_manual_request_may_place_a_named_stack_in_another_account_and_region() {
        let item = single(Invocation::parse(
            json!({"stackName":"orders","account":"444455556666","region":"eu-west-1"}),
            "req",
        ));
        let Task::Import(request) = item.task else { panic!() };
        assert_eq!(
            request.stack.scope(),
            Scope::Stack {
                account: AccountId::parse("444455556666").unwrap(),
                region: Region::parse("eu-west-1").unwrap()
            }
        );
        for bad in [
            json!({"stackName":"orders","account":"444455556666"}),
            json!({"stackName":"orders","account":"4444","region":"eu-west-1"}),
            json!({"stackArn":ARN,"account":"444455556666","region":"us-east-1"}),
        ] {
            assert!(matches!(single(Invocation::parse(bad.clone(), "req")).task, Task::Invalid { .. }), "{bad}");
        }
        let same = json!({"stackArn":ARN,"account":"111122223333","region":"us-east-1"});
        assert!(matches!(single(Invocation::parse(same, "req")).task, Task::Import(_)));
    }

    #[test]
    fn a_batch_keeps_request_order_and_its_dry_run_default() {
        let batch =
            json!({"dryRun":true,"imports":[{"stackArn":ARN},{"stackName":"orders","dryRun":false},{"stackName":7}]});
        let Invocation::Manual(items) = Invocation::parse(batch, "req") else { panic!() };
        assert_eq!(items.len(), 3);
        let Task::Import(first) = &items[0].task else { panic!() };
        let Task::Import(second) = &items[1].task else { panic!() };
        assert_eq!((first.stack.as_str(), first.dry_run), (ARN, Some(true)));
        assert_eq!((second.stack.as_str(), second.dry_run), ("orders", Some(false)));
        assert!(matches!(items[2].task, Task::Invalid { .. }));
    }

    #[test]
    fn malformed_manual_requests_are_invalid() {
        for request in [
            json!({}),
            json!({"stackName":""}),
            json!({"stackName":"payments-api","productid":"prod-x"}),
            json!({"stackName":"payments-api","productId":"prod x"}),
            json!({"stackName":"payments-api","dryRun":"yes"}),
            json!({"stackName":"other","stackArn":ARN}),
            json!({"stackArn":"arn:aws:sns:us-east-1:111122223333:topic"}),
            json!({"imports":"payments-api"}),
            json!({"imports":[]}),
            json!({"imports":[], "force":true}),
            json!([1, 2]),
            json!("payments-api"),
            Value::Null,
        ] {
            let task = single(Invocation::parse(request.clone(), "req")).task;
            assert!(matches!(task, Task::Invalid { .. }), "{request} gave {task:?}");
        }
    }

    #[test]
    fn an_oversized_queue_batch_and_an_oversized_event_id_are_bounded() {
        let records: Vec<Value> =
            (0..=MAX_QUEUE_RECORDS).map(|i| json!({"messageId":format!("m-{i}"),"body":"{}"})).collect();
        let Invocation::Queue(items) = Invocation::parse(json!({"Records":records}), "req") else { panic!() };
        assert_eq!(items.len(), 1);
        assert!(matches!(&decided(&items[0]).task, Task::Invalid { message, .. } if message.contains("at most 10000")));

        let mut event = stack_event(json!({"stack-id":ARN}));
        event["id"] = json!("e".repeat(100_000));
        let item = single(Invocation::parse(event, "req"));
        assert!(item.trigger.id.chars().count() <= Trigger::MAX_ID_CHARS + 1, "{}", item.trigger.id.len());
    }

    #[test]
    fn an_oversized_batch_is_refused_whole() {
        let imports: Vec<Value> = (0..=MAX_MANUAL_IMPORTS).map(|i| json!({"stackName":format!("s{i}")})).collect();
        let task = single(Invocation::parse(json!({"imports":imports}), "req")).task;
        assert!(matches!(task, Task::Invalid { ref message, .. } if message.contains("at most 50")), "{task:?}");
    }
}
