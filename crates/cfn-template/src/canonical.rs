//! The canonical form every template is compared and fingerprinted in: scalars as strings, intrinsic functions in
//! long form, `Fn::GetAtt` as a two-item list.

use serde_json::{Map, Value};

/// A template in canonical form: JSON values whose scalars are strings or null, whose intrinsic functions are in
/// long form, and whose root is a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Template(pub(crate) Value);

impl Template {
    /// Whether CloudFormation processes this template before it deploys it: a top-level `Transform` (SAM, language
    /// extensions, macros) or an `Fn::Transform` anywhere. What such a stack runs is not what its template says.
    pub fn has_transform(&self) -> bool {
        fn any_fn_transform(value: &Value) -> bool {
            match value {
                Value::Object(entries) => {
                    entries.contains_key("Fn::Transform") || entries.values().any(any_fn_transform)
                }
                Value::Array(items) => items.iter().any(any_fn_transform),
                _ => false,
            }
        }
        self.0.get("Transform").is_some() || any_fn_transform(&self.0)
    }
}

/// Scalars become strings because CloudFormation converts property values to the type each property expects:
/// `Port: 80` and `"Port": "80"` deploy the same resource. The long form `Fn::GetAtt: "Res.Attr"` becomes the list
/// form, which is how CloudFormation reads it. Done in place: rebuilding every mapping took a third of the time a
/// 1 MiB JSON template takes to parse.
pub(crate) fn canonical(value: &mut Value) {
    match value {
        Value::Bool(flag) => *value = Value::String(flag.to_string()),
        Value::Number(number) => *value = Value::String(number.to_string()),
        Value::Array(items) => items.iter_mut().for_each(canonical),
        Value::Object(entries) => {
            entries.values_mut().for_each(canonical);
            get_att_as_list(entries);
        }
        Value::Null | Value::String(_) => {}
    }
}

/// CloudFormation reads `Res.Attr.Sub` as resource `Res`, attribute `Attr.Sub`: logical IDs cannot contain dots,
/// attribute names can (`Endpoint.Address`).
fn get_att_as_list(entries: &mut Map<String, Value>) {
    if entries.len() != 1 {
        return;
    }
    if let Some(target) = entries.get_mut("Fn::GetAtt")
        && let Value::String(text) = target
        && let Some((resource, attribute)) = text.split_once('.')
    {
        *target = Value::Array(vec![Value::String(resource.to_owned()), Value::String(attribute.to_owned())]);
    }
}

pub(crate) fn single_entry(key: String, value: Value) -> Map<String, Value> {
    let mut entry = Map::new();
    entry.insert(key, value);
    entry
}

#[cfg(test)]
mod tests {
    use crate::DifferenceKind;
    use crate::test_support::{only, same, template};

    #[test]
    fn a_transform_at_the_top_or_in_a_value_is_seen() {
        assert!(
            template("Transform: AWS::Serverless-2016-10-31\nResources: {Q: {Type: AWS::SQS::Queue}}").has_transform()
        );
        assert!(
            template("Resources: {Q: {Type: AWS::SQS::Queue, Properties: {'Fn::Transform': {Name: AWS::Include}}}}")
                .has_transform()
        );
        assert!(!template("Resources: {Transform: {Type: AWS::SQS::Queue}}").has_transform());
    }

    #[test]
    fn short_form_get_att_splits_at_the_first_dot() {
        same(
            "Outputs: {Host: {Value: !GetAtt Db.Endpoint.Address}}",
            r#"{"Outputs": {"Host": {"Value": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}}}}"#,
        );
    }

    #[test]
    fn short_form_get_att_list_equals_the_dotted_string() {
        same("Outputs: {Arn: {Value: !GetAtt [Bucket, Arn]}}", "Outputs: {Arn: {Value: !GetAtt Bucket.Arn}}");
    }

    #[test]
    fn long_form_get_att_string_equals_the_list() {
        same(
            r#"{"Outputs": {"Arn": {"Value": {"Fn::GetAtt": "Bucket.Arn"}}}}"#,
            r#"{"Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Bucket", "Arn"]}}}}"#,
        );
        same(
            "Outputs: {Host: {Value: {Fn::GetAtt: Db.Endpoint.Address}}}",
            "Outputs: {Host: {Value: !GetAtt [Db, Endpoint.Address]}}",
        );
    }

    #[test]
    fn get_att_without_a_dot_is_left_as_written() {
        let differences = template("Outputs: {A: {Value: !GetAtt Bucket}}")
            .differences(&template("Outputs: {A: {Value: !GetAtt [Bucket]}}"));
        assert_eq!(differences, vec![only(DifferenceKind::Changed, "Outputs.A.Value.Fn::GetAtt")]);
    }

    #[test]
    fn numbers_and_booleans_equal_their_string_forms() {
        same(
            "Resources: {Sg: {Properties: {FromPort: 80, Enabled: true, Weight: 0.5}}}",
            r#"{"Resources": {"Sg": {"Properties": {"FromPort": "80", "Enabled": "true", "Weight": "0.5"}}}}"#,
        );
        same(
            r#"{"Resources": {"Sg": {"Properties": {"FromPort": 80, "Enabled": false}}}}"#,
            "Resources: {Sg: {Properties: {FromPort: '80', Enabled: 'false'}}}",
        );
    }

    #[test]
    fn floats_are_not_rounded_into_integers() {
        same("Mappings: {M: {K: {V: 1.0}}}", r#"{"Mappings": {"M": {"K": {"V": "1.0"}}}}"#);
        let differences = template("Mappings: {M: {K: {V: 1.0}}}").differences(&template("Mappings: {M: {K: {V: 1}}}"));
        assert_eq!(differences, vec![only(DifferenceKind::Changed, "Mappings.M.K.V")]);
    }

    #[test]
    fn null_is_not_an_empty_string() {
        same("Metadata: {Note: ~}", r#"{"Metadata": {"Note": null}}"#);
        let differences = template("Metadata: {Note: }").differences(&template(r#"{"Metadata": {"Note": ""}}"#));
        assert_eq!(differences, vec![only(DifferenceKind::Changed, "Metadata.Note")]);
    }
}
