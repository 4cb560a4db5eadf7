//! Where two canonical templates differ, as dotted key paths, and a short description of those places.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::canonical::Template;

/// A caller needs the first few differences to explain a mismatch, not all of them.
pub const MAX_DIFFERENCES: usize = 50;

/// Where two templates differ: a key on one side only, or a value that is not the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// Dotted key path from the template root, e.g. `Resources.Bucket.Properties.Tags[2].Value`.
    pub path: String,
    pub kind: DifferenceKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DifferenceKind {
    OnlyInStack,
    OnlyInArtifact,
    Changed,
}

impl Template {
    /// Where `self` (the stack's template) and `other` (the artifact's template) differ, in key order; empty when
    /// they are the same template. At most [`MAX_DIFFERENCES`] are collected.
    pub fn differences(&self, other: &Template) -> Vec<Difference> {
        let mut found = Vec::new();
        if self.0 != other.0 {
            compare("", &self.0, &other.0, &mut found);
        }
        found
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let where_ = match self.kind {
            DifferenceKind::OnlyInStack => "only in the stack",
            DifferenceKind::OnlyInArtifact => "only in the artifact",
            DifferenceKind::Changed => "differs",
        };
        write!(formatter, "{} {where_}", self.path)
    }
}

/// The first `limit` differences (at least one) as one sentence fragment, with a count of the rest, e.g.
/// `Resources.Queue2 only in the stack; Resources.Bucket.Properties.BucketName differs (and 3 more)`.
pub fn describe(differences: &[Difference], limit: usize) -> String {
    if differences.is_empty() {
        return "no differences".to_owned();
    }
    let shown = limit.max(1).min(differences.len());
    let mut text = differences.iter().take(shown).map(Difference::to_string).collect::<Vec<_>>().join("; ");
    let rest = differences.len().saturating_sub(shown);
    if rest > 0 {
        // A full list may be the walk's cap rather than the real count.
        let at_least = if differences.len() >= MAX_DIFFERENCES { "at least " } else { "" };
        text.push_str(&format!(" (and {at_least}{rest} more)"));
    }
    text
}

/// Called only on two values that differ, and reports where: mappings are walked over the union of their keys and
/// lists of one length item by item, going down only into entries that differ, and anything else is reported whole.
/// So `differences` is empty exactly when the two templates are equal, which the fingerprint relies on; two equal
/// templates cost one equality check, and paths are written only for the places walked into or reported.
fn compare(path: &str, stack: &Value, artifact: &Value, found: &mut Vec<Difference>) {
    if found.len() >= MAX_DIFFERENCES {
        return;
    }
    match (stack, artifact) {
        (Value::Object(stack_entries), Value::Object(artifact_entries)) => {
            // Sorted explicitly: serde_json keeps insertion order when any crate enables its `preserve_order`.
            let keys: BTreeSet<&String> = stack_entries.keys().chain(artifact_entries.keys()).collect();
            for key in keys {
                if found.len() >= MAX_DIFFERENCES {
                    return;
                }
                match (stack_entries.get(key), artifact_entries.get(key)) {
                    (Some(in_stack), Some(in_artifact)) if in_stack != in_artifact => {
                        compare(&key_path(path, key), in_stack, in_artifact, found);
                    }
                    (Some(_), Some(_)) | (None, None) => {}
                    (Some(_), None) => {
                        found.push(Difference { path: key_path(path, key), kind: DifferenceKind::OnlyInStack });
                    }
                    (None, Some(_)) => {
                        found.push(Difference { path: key_path(path, key), kind: DifferenceKind::OnlyInArtifact });
                    }
                }
            }
        }
        (Value::Array(stack_items), Value::Array(artifact_items)) if stack_items.len() == artifact_items.len() => {
            for (index, (in_stack, in_artifact)) in stack_items.iter().zip(artifact_items).enumerate() {
                if in_stack != in_artifact {
                    compare(&format!("{path}[{index}]"), in_stack, in_artifact, found);
                }
            }
        }
        _ => found.push(Difference { path: path.to_owned(), kind: DifferenceKind::Changed }),
    }
}

/// Logical IDs are alphanumeric, but mapping keys (`t2.micro`) and metadata keys may hold dots or brackets; those are
/// quoted so a path names exactly one place.
fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && !key.chars().any(|c| matches!(c, '.' | '[' | ']' | '"') || c.is_whitespace() || c.is_control());
    match (plain, parent.is_empty()) {
        (true, true) => key.to_owned(),
        (true, false) => format!("{parent}.{key}"),
        (false, _) => format!("{parent}[{}]", Value::String(key.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{only, template};

    #[test]
    fn every_top_level_section_counts() {
        let full = r#"{"AWSTemplateFormatVersion": "2010-09-09", "Description": "d", "Metadata": {"m": "1"},
            "Parameters": {"P": {"Type": "String"}}, "Mappings": {"M": {"k": {"v": "1"}}},
            "Conditions": {"C": {"Fn::Equals": ["a", "b"]}}, "Rules": {"R": {"Assertions": []}},
            "Transform": "AWS::Serverless-2016-10-31", "Resources": {"Q": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {"O": {"Value": "v"}}}"#;
        let Ok(Value::Object(sections)) = serde_json::from_str::<Value>(full) else {
            panic!("fixture is not a JSON object");
        };
        for section in sections.keys() {
            let mut without = sections.clone();
            without.remove(section);
            let reduced = Value::Object(without).to_string();
            let differences = template(full).differences(&template(&reduced));
            assert_eq!(differences, vec![only(DifferenceKind::OnlyInStack, section)]);
        }
    }

    #[test]
    fn a_key_only_in_the_stack_is_reported_without_descending() {
        let stack = template(
            "Resources: {Queue: {Type: AWS::SQS::Queue}, Queue2: {Type: AWS::SQS::Queue, Properties: {A: 1}}}",
        );
        let artifact = template("Resources: {Queue: {Type: AWS::SQS::Queue}}");
        assert_eq!(stack.differences(&artifact), vec![only(DifferenceKind::OnlyInStack, "Resources.Queue2")]);
    }

    #[test]
    fn a_key_only_in_the_artifact_is_reported_without_descending() {
        let stack = template("Resources: {Queue: {Type: AWS::SQS::Queue}}");
        let artifact = template("Resources: {Queue: {Type: AWS::SQS::Queue}, Topic: {Type: AWS::SNS::Topic}}");
        assert_eq!(stack.differences(&artifact), vec![only(DifferenceKind::OnlyInArtifact, "Resources.Topic")]);
    }

    #[test]
    fn a_changed_value_is_reported_at_its_deepest_path() {
        let stack = template("Resources: {Bucket: {Properties: {BucketName: logs, Acl: private}}}");
        let artifact = template("Resources: {Bucket: {Properties: {BucketName: archive, Acl: private}}}");
        assert_eq!(
            stack.differences(&artifact),
            vec![only(DifferenceKind::Changed, "Resources.Bucket.Properties.BucketName")]
        );
    }

    #[test]
    fn a_value_of_another_type_is_changed_at_that_key() {
        let stack = template("Resources: {B: {Properties: {Name: !Ref N}}}");
        let artifact = template("Resources: {B: {Properties: {Name: fixed}}}");
        assert_eq!(stack.differences(&artifact), vec![only(DifferenceKind::Changed, "Resources.B.Properties.Name")]);
    }

    #[test]
    fn a_list_of_another_length_is_reported_at_the_list() {
        let stack = template("Resources: {B: {Properties: {Tags: [{Key: a, Value: '1'}]}}}");
        let artifact = template("Resources: {B: {Properties: {Tags: [{Key: a, Value: '1'}, {Key: b, Value: '2'}]}}}");
        assert_eq!(stack.differences(&artifact), vec![only(DifferenceKind::Changed, "Resources.B.Properties.Tags")]);
    }

    #[test]
    fn a_changed_list_item_is_reported_by_its_index() {
        let stack = template("Resources: {B: {Properties: {Tags: [{Key: a, Value: '1'}, x, {Key: c, Value: '3'}]}}}");
        let artifact =
            template("Resources: {B: {Properties: {Tags: [{Key: a, Value: '1'}, y, {Key: c, Value: '4'}]}}}");
        assert_eq!(
            stack.differences(&artifact),
            vec![
                only(DifferenceKind::Changed, "Resources.B.Properties.Tags[1]"),
                only(DifferenceKind::Changed, "Resources.B.Properties.Tags[2].Value"),
            ]
        );
    }

    #[test]
    fn keys_that_hold_dots_or_spaces_are_quoted_in_paths() {
        let stack = template(r#"{"Mappings": {"Ami": {"t2.micro": {"Id": "a"}, "my key": {"Id": "b"}}}}"#);
        let artifact = template(r#"{"Mappings": {"Ami": {"t2.micro": {"Id": "c"}, "my key": {"Id": "d"}}}}"#);
        let paths: Vec<String> = stack.differences(&artifact).into_iter().map(|difference| difference.path).collect();
        assert_eq!(paths, ["Mappings.Ami[\"my key\"].Id", "Mappings.Ami[\"t2.micro\"].Id"]);
    }

    #[test]
    fn differences_come_in_sorted_key_order() {
        let stack = template("Resources: {Zeta: {Type: A}, Alpha: {Type: A}, Mid: {Type: A}}\nDescription: one");
        let artifact = template("Resources: {Mid: {Type: B}, Beta: {Type: A}}\nDescription: two");
        assert_eq!(
            stack.differences(&artifact),
            vec![
                only(DifferenceKind::Changed, "Description"),
                only(DifferenceKind::OnlyInStack, "Resources.Alpha"),
                only(DifferenceKind::OnlyInArtifact, "Resources.Beta"),
                only(DifferenceKind::Changed, "Resources.Mid.Type"),
                only(DifferenceKind::OnlyInStack, "Resources.Zeta"),
            ]
        );
    }

    #[test]
    fn difference_collection_stops_at_the_cap() {
        let queues = |prefix: &str| {
            let resources: Vec<String> = (0..200).map(|n| format!("\"{prefix}{n:03}\": {{\"Type\": \"q\"}}")).collect();
            template(&format!("{{\"Resources\": {{{}}}}}", resources.join(",")))
        };
        let differences = queues("Stack").differences(&queues("Artifact"));
        assert_eq!(differences.len(), MAX_DIFFERENCES);
        assert_eq!(differences.first(), Some(&only(DifferenceKind::OnlyInArtifact, "Resources.Artifact000")));
    }

    #[test]
    fn describe_lists_each_difference_in_order() {
        let differences = [
            only(DifferenceKind::OnlyInStack, "Resources.Queue2"),
            only(DifferenceKind::OnlyInArtifact, "Resources.Topic"),
            only(DifferenceKind::Changed, "Resources.Bucket.Properties.BucketName"),
        ];
        assert_eq!(
            describe(&differences, 3),
            "Resources.Queue2 only in the stack; Resources.Topic only in the artifact; \
             Resources.Bucket.Properties.BucketName differs"
        );
    }

    #[test]
    fn describe_counts_the_differences_past_the_limit() {
        let differences: Vec<Difference> =
            (1..=6).map(|n| only(DifferenceKind::Changed, &format!("Outputs.O{n}.Value"))).collect();
        assert_eq!(
            describe(&differences, 3),
            "Outputs.O1.Value differs; Outputs.O2.Value differs; Outputs.O3.Value differs (and 3 more)"
        );
        assert_eq!(describe(&differences, 0), "Outputs.O1.Value differs (and 5 more)");
        assert_eq!(describe(&[], 3), "no differences");
    }

    #[test]
    fn describe_says_at_least_when_the_walk_may_have_been_capped() {
        let differences: Vec<Difference> =
            (0..MAX_DIFFERENCES).map(|n| only(DifferenceKind::OnlyInStack, &format!("Resources.R{n}"))).collect();
        assert_eq!(describe(&differences, 1), "Resources.R0 only in the stack (and at least 49 more)");
    }
}
