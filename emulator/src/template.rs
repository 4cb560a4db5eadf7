//! Whether a stack's template is the artifact's template. ImportAsProvisionedProduct "requires that the
//! CloudFormation stack template matches the associated provisioning artifact"; the API reference does not say how
//! strictly, so the emulator compares the parsed documents: JSON or YAML, key order, whitespace, comments and
//! short-form functions (`!Ref x` ≡ `{"Ref": "x"}`, `!GetAtt a.b` ≡ `{"Fn::GetAtt": ["a", "b"]}`) do not matter;
//! any other difference does.

use serde_norway::Value;
use serde_norway::value::TaggedValue;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateComparison {
    Same,
    Different,
    /// One of the two is neither JSON nor YAML; the text says which and why.
    Unreadable(String),
}

pub fn compare(stack_template: &str, artifact_template: &str) -> TemplateComparison {
    let stack = match parse(stack_template) {
        Ok(document) => document,
        Err(reason) => return TemplateComparison::Unreadable(format!("the stack's template is unreadable: {reason}")),
    };
    let artifact = match parse(artifact_template) {
        Ok(document) => document,
        Err(reason) => {
            return TemplateComparison::Unreadable(format!("the artifact's template is unreadable: {reason}"));
        }
    };
    if stack == artifact { TemplateComparison::Same } else { TemplateComparison::Different }
}

/// JSON first (strict, and tab-indented JSON is not valid YAML), then YAML.
fn parse(text: &str) -> Result<Value, String> {
    let document = match serde_json::from_str::<Value>(text) {
        Ok(document) => document,
        Err(_) => serde_norway::from_str::<Value>(text).map_err(|error| error.to_string())?,
    };
    Ok(long_form(document))
}

/// Rewrites CloudFormation's YAML short-form functions as the JSON long form.
fn long_form(value: Value) -> Value {
    match value {
        Value::Tagged(tagged) => {
            let TaggedValue { tag, value } = *tagged;
            let tag = tag.to_string();
            let function = tag.trim_start_matches('!');
            let argument = match (function, long_form(value)) {
                ("GetAtt", Value::String(dotted)) => match dotted.split_once('.') {
                    Some((resource, attribute)) => {
                        Value::Sequence(vec![Value::String(resource.to_owned()), Value::String(attribute.to_owned())])
                    }
                    None => Value::String(dotted),
                },
                (_, argument) => argument,
            };
            let key = if function == "Ref" || function == "Condition" {
                function.to_owned()
            } else {
                format!("Fn::{function}")
            };
            let mut mapping = serde_norway::Mapping::new();
            mapping.insert(Value::String(key), argument);
            Value::Mapping(mapping)
        }
        Value::Mapping(mapping) => {
            Value::Mapping(mapping.into_iter().map(|(key, value)| (key, long_form(value))).collect())
        }
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(long_form).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Name"},
        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}, "maxReceiveCount": 3}}}},
        "Parameters": {"Name": {"Type": "String"}}}"#;

    const YAML: &str = "# a queue\nParameters:\n  Name:\n    Type: String\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Name\n      RedrivePolicy:\n        deadLetterTargetArn: !GetAtt Dlq.Arn\n        maxReceiveCount: 3\n";

    #[test]
    fn the_same_template_in_json_and_in_short_form_yaml_is_the_same() {
        assert_eq!(compare(JSON, YAML), TemplateComparison::Same);
    }

    #[test]
    fn key_order_and_whitespace_do_not_matter() {
        let reordered = r#"{"Parameters":{"Name":{"Type":"String"}},"Resources":{"Queue":{"Properties":{"RedrivePolicy":{"maxReceiveCount":3,"deadLetterTargetArn":{"Fn::GetAtt":["Dlq","Arn"]}},"QueueName":{"Ref":"Name"}},"Type":"AWS::SQS::Queue"}}}"#;
        assert_eq!(compare(JSON, reordered), TemplateComparison::Same);
    }

    #[test]
    fn a_changed_value_is_a_different_template() {
        let changed = YAML.replace("maxReceiveCount: 3", "maxReceiveCount: 5");
        assert_eq!(compare(JSON, &changed), TemplateComparison::Different);
    }

    #[test]
    fn an_added_resource_is_a_different_template() {
        let added = format!("{YAML}  Topic:\n    Type: AWS::SNS::Topic\n");
        assert_eq!(compare(YAML, &added), TemplateComparison::Different);
    }

    #[test]
    fn a_tab_indented_json_template_is_read_as_json() {
        let tabbed = "{\n\t\"Resources\": {\n\t\t\"Topic\": {\"Type\": \"AWS::SNS::Topic\"}\n\t}\n}";
        let yaml = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n";
        assert_eq!(compare(tabbed, yaml), TemplateComparison::Same);
    }

    #[test]
    fn an_unparsable_template_is_reported_as_unreadable() {
        let verdict = compare("Resources: [unclosed", YAML);
        assert!(
            matches!(verdict, TemplateComparison::Unreadable(ref reason) if reason.contains("stack")),
            "{verdict:?}"
        );
    }
}
