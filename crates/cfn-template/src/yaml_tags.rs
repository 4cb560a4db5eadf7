//! YAML values to JSON values, with CloudFormation's short-form tags (`!Ref`, `!GetAtt`, `!Sub` …) in long form.

use serde_json::{Map, Value};
use serde_norway::Value as Yaml;
use serde_norway::value::TaggedValue;

use crate::canonical::single_entry;
use crate::error::TemplateParseError;

/// The YAML core schema's tags (`!!str`, `!!binary` …) give a scalar's type; they are not CloudFormation functions.
const YAML_CORE_TAG: &str = "tag:yaml.org,2002:";

/// YAML (1.2, as serde_norway reads it) to JSON, with CloudFormation's short-form tags in long form.
pub(crate) fn from_yaml(node: Yaml) -> Result<Value, TemplateParseError> {
    Ok(match node {
        Yaml::Null => Value::Null,
        Yaml::Bool(flag) => Value::String(flag.to_string()),
        Yaml::Number(number) => Value::String(number_text(&number)),
        Yaml::String(text) => Value::String(text),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(from_yaml).collect::<Result<_, _>>()?),
        Yaml::Mapping(entries) => {
            let mut map = Map::new();
            for (key, value) in entries {
                map.insert(key_text(key)?, from_yaml(value)?);
            }
            Value::Object(map)
        }
        Yaml::Tagged(tagged) => long_form(*tagged)?,
    })
}

/// A number as the JSON parser writes it, so that one number is one text in either format: serde_norway and
/// serde_json write some floats differently (`1e20`, `1e+20`). YAML's `.inf` and `.nan` have no JSON form and keep
/// serde_norway's.
fn number_text(number: &serde_norway::Number) -> String {
    match number.as_f64() {
        Some(float) if number.is_f64() => {
            serde_json::Number::from_f64(float).map_or_else(|| number.to_string(), |json| json.to_string())
        }
        _ => number.to_string(),
    }
}

/// JSON keys are strings, and YAML `80:` or `true:` name the same key as `"80":` or `"true":`.
fn key_text(key: Yaml) -> Result<String, TemplateParseError> {
    match key {
        Yaml::String(text) => Ok(text),
        Yaml::Number(number) => Ok(number.to_string()),
        Yaml::Bool(flag) => Ok(flag.to_string()),
        Yaml::Null => Ok("null".to_owned()),
        Yaml::Sequence(_) | Yaml::Mapping(_) | Yaml::Tagged(_) => Err(TemplateParseError::new(
            "template has a mapping key that is a list, a mapping or a tagged value".to_owned(),
        )),
    }
}

/// CloudFormation's short forms: `!Ref` and `!Condition` keep their name, every other `!Name` is `Fn::Name`.
fn long_form(tagged: TaggedValue) -> Result<Value, TemplateParseError> {
    // serde_norway versions differ in whether the stored tag keeps its leading `!`; Display always adds one.
    let shown = tagged.tag.to_string();
    let name = shown.strip_prefix('!').unwrap_or(&shown);
    let value = from_yaml(tagged.value)?;
    if name.starts_with(YAML_CORE_TAG) {
        return Ok(value);
    }
    let function = match name {
        "Ref" | "Condition" => name.to_owned(),
        _ => format!("Fn::{name}"),
    };
    Ok(Value::Object(single_entry(function, value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{parse_error, same};
    use serde_norway::value::Tag;

    #[test]
    fn short_form_ref_and_condition_become_long_form() {
        same(
            "Resources: {Q: {Type: AWS::SQS::Queue, Condition: IsProd, Properties: {QueueName: !Ref Name, \
             Flag: !Condition IsProd}}}",
            r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Condition": "IsProd",
                "Properties": {"QueueName": {"Ref": "Name"}, "Flag": {"Condition": "IsProd"}}}}}"#,
        );
    }

    #[test]
    fn every_other_short_form_tag_becomes_its_fn_function() {
        for name in [
            "Sub",
            "Join",
            "Select",
            "Split",
            "If",
            "Equals",
            "And",
            "Or",
            "Not",
            "FindInMap",
            "GetAZs",
            "ImportValue",
            "Base64",
            "Cidr",
            "Transform",
            "Length",
            "ToJsonString",
            "ForEach",
        ] {
            same(
                &format!("Resources: {{R: {{Properties: {{P: !{name} [a, b]}}}}}}"),
                &format!(r#"{{"Resources": {{"R": {{"Properties": {{"P": {{"Fn::{name}": ["a", "b"]}}}}}}}}}}"#),
            );
        }
    }

    #[test]
    fn nested_short_form_tags_are_converted_at_every_level() {
        same(
            r#"
Resources:
  Topic:
    Properties:
      TopicName: !Join
        - "-"
        - - !Ref Stage
          - !Sub "${AWS::Region}-alerts"
          - !Select [0, !GetAZs ""]
          - !If [IsProd, !GetAtt Queue.Arn, !Ref "AWS::NoValue"]
"#,
            r#"{"Resources": {"Topic": {"Properties": {"TopicName": {"Fn::Join": ["-", [
                {"Ref": "Stage"},
                {"Fn::Sub": "${AWS::Region}-alerts"},
                {"Fn::Select": ["0", {"Fn::GetAZs": ""}]},
                {"Fn::If": ["IsProd", {"Fn::GetAtt": ["Queue", "Arn"]}, {"Ref": "AWS::NoValue"}]}
            ]]}}}}}"#,
        );
    }

    #[test]
    fn tags_are_read_with_or_without_a_leading_bang() {
        // serde_norway has stored tags both ways across versions.
        for spelling in ["Ref", "!Ref"] {
            let tagged = Yaml::Tagged(Box::new(TaggedValue {
                tag: Tag::new(spelling),
                value: Yaml::String("Bucket".to_owned()),
            }));
            let converted = from_yaml(tagged).ok();
            assert_eq!(converted, Some(serde_json::json!({"Ref": "Bucket"})), "spelling {spelling}");
        }
    }

    #[test]
    fn yaml_core_schema_tags_describe_the_scalar_not_a_function() {
        same("Parameters: {P: {Default: !!str 80}}", r#"{"Parameters": {"P": {"Default": "80"}}}"#);
    }

    #[test]
    fn a_float_is_the_same_text_whether_json_or_yaml_holds_it() {
        // serde_norway writes 1e20 where serde_json writes 1e+20; the long mantissa needs a correctly rounded parse.
        same(
            "Metadata: {A: 1e20, B: 1.5e-7, C: 0.1, D: -2.2910339597059498e-144, E: 1.7976931348623157e308, F: .inf}",
            r#"{"Metadata": {"A": 1e20, "B": 1.5e-7, "C": 0.1, "D": -2.2910339597059498e-144,
                "E": 1.7976931348623157e308, "F": ".inf"}}"#,
        );
    }

    #[test]
    fn non_string_yaml_keys_become_their_string_form() {
        same(
            "Mappings: {Ports: {80: {Open: yes}, 443: {Open: no}, true: {Open: maybe}}}",
            r#"{"Mappings": {"Ports": {"80": {"Open": "yes"}, "443": {"Open": "no"}, "true": {"Open": "maybe"}}}}"#,
        );
    }

    #[test]
    fn a_list_or_tagged_mapping_key_is_a_parse_error() {
        let message = "template has a mapping key that is a list, a mapping or a tagged value";
        assert_eq!(parse_error("? [a, b]\n: c\n").to_string(), message);
        assert_eq!(parse_error("!Ref x: c\n").to_string(), message);
    }
}
