//! The import queue's work items (docs/CONTRACT.md §7): what a queued message says, which message group it joins and
//! which deduplication id keeps one stack change from being queued twice.

use serde::Deserialize;
use serde_json::json;

use crate::outcome::{Trigger, TriggerKind};
use crate::ports::QueueMessage;
use crate::stack::StackArn;
use crate::text::digest;

/// One stack to decide, queued by an event or a sweep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedImport {
    pub stack: StackArn,
    /// The sweep's `dryRun`; `None` leaves it to the consuming function's `DRY_RUN`.
    pub dry_run: Option<bool>,
    /// What found the stack: the outcome, decided later from the queue, names it.
    pub trigger: Trigger,
}

impl QueuedImport {
    /// The message: grouped by the stack's account and region, so that one account and region imports one stack at a
    /// time while others proceed, and deduplicated by stack and trigger, so that a trigger delivered twice (an
    /// EventBridge event's at-least-once delivery) queues the stack once.
    pub fn message(&self) -> QueueMessage {
        let mut item = json!({ "importStack": { "stackArn": self.stack.as_str() }, "trigger": &self.trigger });
        if let Some(dry_run) = self.dry_run {
            item["importStack"]["dryRun"] = dry_run.into();
        }
        QueueMessage {
            group: group_of(&self.stack),
            deduplication_id: digest(&[self.stack.as_str(), kind_name(self.trigger.kind), &self.trigger.id]),
            body: item.to_string(),
        }
    }

    /// A queued body, if it is a work item (`{"importStack":…,"trigger":…}`); `Err` says what is wrong with it.
    pub fn parse(body: serde_json::Value) -> Result<QueuedImport, String> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct Body {
            import_stack: ImportStack,
            trigger: RawTrigger,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        struct ImportStack {
            stack_arn: String,
            dry_run: Option<bool>,
        }
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawTrigger {
            kind: TriggerKind,
            id: String,
        }
        let body: Body = serde_json::from_value(body).map_err(|error| format!("malformed work item: {error}"))?;
        let stack = StackArn::parse(&body.import_stack.stack_arn).map_err(|error| error.to_string())?;
        Ok(QueuedImport {
            stack,
            dry_run: body.import_stack.dry_run,
            trigger: Trigger::new(body.trigger.kind, &body.trigger.id),
        })
    }
}

/// `<account>:<region>`: the unit Service Catalog imports in, and so the unit that imports one stack at a time.
pub fn group_of(stack: &StackArn) -> String {
    format!("{}:{}", stack.account(), stack.region())
}

fn kind_name(kind: TriggerKind) -> &'static str {
    match kind {
        TriggerKind::Event => "event",
        TriggerKind::Queue => "queue",
        TriggerKind::Manual => "manual",
        TriggerKind::Sweep => "sweep",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:cloudformation:eu-west-1:111122223333:stack/orders/0b9a4c20-5ad5-11ef-a1b2-0a1b2c3d4e5f";

    fn queued(trigger: Trigger, dry_run: Option<bool>) -> QueuedImport {
        QueuedImport { stack: StackArn::parse(ARN).unwrap(), dry_run, trigger }
    }

    #[test]
    fn a_work_item_is_grouped_by_account_and_region_and_reads_back_the_same() {
        let item = queued(Trigger::new(TriggerKind::Sweep, "sweep-1"), Some(true));
        let message = item.message();
        assert_eq!(message.group, "111122223333:eu-west-1");
        assert_eq!(message.deduplication_id.len(), 64);
        let body: serde_json::Value = serde_json::from_str(&message.body).unwrap();
        assert_eq!(
            body,
            json!({"importStack":{"stackArn":ARN,"dryRun":true},"trigger":{"kind":"sweep","id":"sweep-1"}})
        );
        assert_eq!(QueuedImport::parse(body).unwrap(), item);
    }

    #[test]
    fn one_stack_change_dedups_and_another_trigger_does_not() {
        let event = queued(Trigger::new(TriggerKind::Event, "ev-1"), None).message();
        assert_eq!(
            event.deduplication_id,
            queued(Trigger::new(TriggerKind::Event, "ev-1"), None).message().deduplication_id
        );
        assert_ne!(
            event.deduplication_id,
            queued(Trigger::new(TriggerKind::Event, "ev-2"), None).message().deduplication_id
        );
        assert_ne!(
            event.deduplication_id,
            queued(Trigger::new(TriggerKind::Sweep, "ev-1"), None).message().deduplication_id
        );
        assert!(!event.body.contains("dryRun"), "{}", event.body);
    }

    #[test]
    fn malformed_work_items_say_why() {
        for body in [
            json!({"importStack":{"stackArn":ARN}}),
            json!({"importStack":{"stackArn":"arn:aws:sns:us-east-1:1:t"},"trigger":{"kind":"event","id":"x"}}),
            json!({"importStack":{"stackArn":ARN,"force":true},"trigger":{"kind":"event","id":"x"}}),
            json!({"importStack":{"stackArn":ARN},"trigger":{"kind":"cron","id":"x"}}),
            json!({"importStack":{"stackArn":ARN,"dryRun":"yes"},"trigger":{"kind":"event","id":"x"}}),
        ] {
            assert!(QueuedImport::parse(body.clone()).is_err(), "{body}");
        }
    }
}
