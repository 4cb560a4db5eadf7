//! Whether a stack, as it is now, may become a Service Catalog provisioned product — the checks that need nothing
//! but the DescribeStacks answer.

use crate::decision::{Reason, Verdict};
use crate::stack::{Stack, StackStatus};

/// Service Catalog tags every stack it provisions with the provisioned product's ARN.
pub const PROVISIONED_PRODUCT_TAG: &str = "aws:servicecatalog:provisionedProductArn";

/// Checks in the order an operator reads them: first "can it be imported at all", then "should it be".
pub fn check(stack: &Stack, tag_prefix: &str) -> Result<(), Verdict> {
    let name = stack.name().as_str();
    if !stack.status.is_importable() {
        return Err(Verdict::new(
            Reason::StatusNotEligible,
            format!(
                "stack {name} is {}; only {} stacks can be imported",
                stack.status,
                StackStatus::IMPORTABLE.join(", ")
            ),
        ));
    }
    if let Some(parent) = &stack.parent_id {
        return Err(Verdict::new(
            Reason::NestedStack,
            format!("stack {name} is nested in {parent}; only its root stack can be imported"),
        ));
    }
    if is_stackset_instance(name) {
        return Err(Verdict::new(
            Reason::StacksetInstance,
            format!("stack {name} is a StackSet instance, managed by its StackSet"),
        ));
    }
    if let Some(provisioned_product) = stack.tag(PROVISIONED_PRODUCT_TAG) {
        return Err(Verdict::new(
            Reason::AlreadyProvisioned,
            format!("stack {name} belongs to provisioned product {provisioned_product}"),
        ));
    }
    if is_provisioned_product_stack_name(name, stack.arn.account().as_str()) {
        return Err(Verdict::new(Reason::AlreadyProvisioned, format!("stack {name} was launched by Service Catalog")));
    }
    let skip_tag = format!("{tag_prefix}skip");
    if stack.tag(&skip_tag).is_some_and(|value| value.trim().eq_ignore_ascii_case("true")) {
        return Err(Verdict::new(Reason::OptedOut, format!("stack {name} is tagged {skip_tag}=true")));
    }
    Ok(())
}

/// Service Catalog names the stacks it launches `SC-<account>-pp-<provisioned product id suffix>`.
pub fn is_provisioned_product_stack_name(name: &str, account: &str) -> bool {
    name.strip_prefix("SC-").and_then(|rest| rest.strip_prefix(account)).is_some_and(|rest| rest.starts_with("-pp-"))
}

/// StackSets name each stack instance `StackSet-<stack set name>-<uuid>`; DescribeStacks has no other marker.
pub fn is_stackset_instance(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("StackSet-") else {
        return false;
    };
    // The generated suffix is a UUID: 8-4-4-4-12 hex digits, after the set's own name.
    let groups: Vec<&str> = rest.rsplitn(6, '-').collect();
    let [last, fourth, third, second, first, set_name] = groups.as_slice() else {
        return false;
    };
    let hex_len = |part: &str, len: usize| part.len() == len && part.chars().all(|c| c.is_ascii_hexdigit());
    !set_name.is_empty()
        && hex_len(first, 8)
        && hex_len(second, 4)
        && hex_len(third, 4)
        && hex_len(fourth, 4)
        && hex_len(last, 12)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::StackArn;
    use std::collections::BTreeMap;

    fn stack(name: &str, status: &str) -> Stack {
        Stack {
            arn: StackArn::parse(&format!("arn:aws:cloudformation:us-east-1:111122223333:stack/{name}/uuid-1"))
                .unwrap(),
            status: StackStatus::new(status),
            parent_id: None,
            changed_at: "2026-11-28T18:43:48Z".into(),
            tags: BTreeMap::new(),
        }
    }

    fn reason(result: Result<(), Verdict>) -> Option<Reason> {
        result.err().map(|verdict| verdict.reason)
    }

    #[test]
    fn a_complete_stack_is_importable() {
        for status in StackStatus::IMPORTABLE {
            assert_eq!(reason(check(&stack("payments-api", status), "sc-import:")), None, "{status}");
        }
    }

    #[test]
    fn a_stack_in_progress_or_failed_is_not_importable() {
        for status in [
            "CREATE_IN_PROGRESS",
            "ROLLBACK_COMPLETE",
            "DELETE_COMPLETE",
            "UPDATE_ROLLBACK_FAILED",
            "REVIEW_IN_PROGRESS",
        ] {
            assert_eq!(reason(check(&stack("payments-api", status), "sc-import:")), Some(Reason::StatusNotEligible));
        }
    }

    #[test]
    fn a_nested_stack_is_not_importable() {
        let mut nested = stack("payments-api-Queue-1ABC", "CREATE_COMPLETE");
        nested.parent_id = Some("arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/uuid-0".into());
        assert_eq!(reason(check(&nested, "sc-import:")), Some(Reason::NestedStack));
    }

    #[test]
    fn a_stackset_instance_is_not_importable() {
        let instance = stack("StackSet-baseline-1d2c3b4a-aaaa-bbbb-cccc-0123456789ab", "CREATE_COMPLETE");
        assert_eq!(reason(check(&instance, "sc-import:")), Some(Reason::StacksetInstance));
    }

    #[test]
    fn a_stack_merely_named_like_a_stackset_is_importable() {
        assert!(!is_stackset_instance("StackSet-demo"));
        assert!(!is_stackset_instance("StackSet-1d2c3b4a-aaaa-bbbb-cccc-0123456789ab"));
        assert!(!is_stackset_instance("MyStackSet-x-1d2c3b4a-aaaa-bbbb-cccc-0123456789ab"));
    }

    #[test]
    fn a_stack_tagged_by_service_catalog_is_already_provisioned() {
        let mut managed = stack("payments-api", "CREATE_COMPLETE");
        managed.tags.insert(
            PROVISIONED_PRODUCT_TAG.into(),
            "arn:aws:servicecatalog:us-east-1:111122223333:stack/x/pp-1".into(),
        );
        assert_eq!(reason(check(&managed, "sc-import:")), Some(Reason::AlreadyProvisioned));
    }

    #[test]
    fn a_stack_named_by_service_catalog_is_already_provisioned() {
        let managed = stack("SC-111122223333-pp-abcdefghijklm", "UPDATE_COMPLETE");
        assert_eq!(reason(check(&managed, "sc-import:")), Some(Reason::AlreadyProvisioned));
        assert!(!is_provisioned_product_stack_name("SC-999999999999-pp-x", "111122223333"));
    }

    #[test]
    fn a_stack_tagged_skip_is_opted_out() {
        let mut skipped = stack("payments-api", "CREATE_COMPLETE");
        skipped.tags.insert("sc-import:skip".into(), "True".into());
        assert_eq!(reason(check(&skipped, "sc-import:")), Some(Reason::OptedOut));
        skipped.tags.insert("sc-import:skip".into(), "false".into());
        assert_eq!(reason(check(&skipped, "sc-import:")), None);
    }

    #[test]
    fn the_skip_tag_follows_the_configured_prefix() {
        let mut skipped = stack("payments-api", "CREATE_COMPLETE");
        skipped.tags.insert("platform/skip".into(), "true".into());
        assert_eq!(reason(check(&skipped, "sc-import:")), None);
        assert_eq!(reason(check(&skipped, "platform/")), Some(Reason::OptedOut));
    }
}
