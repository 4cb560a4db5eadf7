//! Template bodies to canonical [`Template`]s: the size cap, the choice between JSON and YAML, and the check that
//! the document is a mapping.

use serde_json::Value;
use serde_norway::Value as Yaml;

use crate::canonical::{Template, canonical};
use crate::error::TemplateParseError;
use crate::limits::MAX_TEMPLATE_BYTES;
use crate::{alias_guard, yaml_tags};

impl Template {
    /// Reads a JSON or YAML template body into canonical form.
    pub fn parse(body: &str) -> Result<Template, TemplateParseError> {
        if body.len() > MAX_TEMPLATE_BYTES {
            return Err(TemplateParseError::new(format!(
                "template is {} bytes, over the {MAX_TEMPLATE_BYTES}-byte limit (CloudFormation's maximum template \
                 size is 1 MB)",
                body.len()
            )));
        }
        // Objects in S3 written by Windows tools may start with a byte order mark, which serde_json rejects.
        let body = body.strip_prefix('\u{feff}').unwrap_or(body);
        if body.trim().is_empty() {
            return Err(TemplateParseError::new("template is empty".to_owned()));
        }
        let mut document = if body.trim_start().starts_with('{') {
            // A YAML flow mapping (`{Resources: …}`) also starts with a brace; CloudFormation accepts it as YAML.
            match serde_json::from_str::<Value>(body) {
                Ok(document) => document,
                Err(json_error) => parse_yaml(body).map_err(|_| TemplateParseError::json(&json_error))?,
            }
        } else {
            parse_yaml(body)?
        };
        canonical(&mut document);
        match document {
            Value::Object(sections) => Ok(Template(Value::Object(sections))),
            other => Err(TemplateParseError::new(format!(
                "template is not a JSON or YAML mapping (it is {})",
                kind_of(&other)
            ))),
        }
    }
}

fn parse_yaml(body: &str) -> Result<Value, TemplateParseError> {
    alias_guard::check(body)?;
    let document: Yaml = serde_norway::from_str(body).map_err(|error| TemplateParseError::yaml(&error))?;
    yaml_tags::from_yaml(document)
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) | Value::Number(_) | Value::String(_) => "a scalar",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DifferenceKind;
    use crate::test_support::{JSON_TEMPLATE, YAML_TEMPLATE, only, parse_error, same, template};

    #[test]
    fn yaml_and_json_forms_of_one_template_are_the_same() {
        same(YAML_TEMPLATE, JSON_TEMPLATE);
        same(JSON_TEMPLATE, YAML_TEMPLATE);
    }

    #[test]
    fn key_order_whitespace_comments_and_quoting_do_not_matter() {
        let reordered = r#"
# Deployed by the payments pipeline
Outputs: {BucketArn: {Value: !GetAtt 'Bucket.Arn'}}
Resources:
    Bucket:
        Properties:
            VersioningConfiguration: {Status: 'Enabled'}   # kept on
            BucketName:    !Sub '${AWS::StackName}-data'
        Type: 'AWS::S3::Bucket'
Parameters: {Stage: {Default: prod, Type: "String"}}
Description: "Payments API"
AWSTemplateFormatVersion: '2010-09-09'
"#;
        same(YAML_TEMPLATE, reordered);
        let compact_json: String = JSON_TEMPLATE.lines().map(str::trim).collect();
        same(&compact_json, JSON_TEMPLATE);
    }

    #[test]
    fn an_unquoted_format_version_date_is_the_json_string() {
        // YAML 1.2 has no timestamp type, so 2010-09-09 stays the string CloudFormation expects.
        same("AWSTemplateFormatVersion: 2010-09-09", r#"{"AWSTemplateFormatVersion": "2010-09-09"}"#);
    }

    #[test]
    fn block_scalars_compare_by_their_exact_content() {
        let literal = r#"
Resources:
  F:
    Properties:
      Code:
        ZipFile: |
          import json
          def handler(e, c):
            return 1
"#;
        same(
            literal,
            r#"{"Resources": {"F": {"Properties": {"Code": {
                "ZipFile": "import json\ndef handler(e, c):\n  return 1\n"}}}}}"#,
        );
        // Folding joins "import json" and "def handler…" with a space: another string, so another template.
        let folded = literal.replace("ZipFile: |", "ZipFile: >");
        let differences = template(literal).differences(&template(&folded));
        assert_eq!(differences, vec![only(DifferenceKind::Changed, "Resources.F.Properties.Code.ZipFile")]);
    }

    #[test]
    fn a_yaml_flow_mapping_starting_with_a_brace_is_read_as_yaml() {
        same("{Resources: {Q: {Type: AWS::SQS::Queue}}}", r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}"#);
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        same("\u{feff}{\"Description\": \"x\"}", "Description: x");
        same("\u{feff}Description: x", "Description: x");
    }

    #[test]
    fn a_list_is_not_a_template() {
        let error = parse_error("- Resources\n- Outputs\n");
        assert_eq!(error.to_string(), "template is not a JSON or YAML mapping (it is a list)");
    }

    #[test]
    fn a_scalar_is_not_a_template() {
        let error = parse_error("just some text");
        assert_eq!(error.to_string(), "template is not a JSON or YAML mapping (it is a scalar)");
    }

    #[test]
    fn an_empty_body_is_not_a_template() {
        assert_eq!(parse_error("").to_string(), "template is empty");
        assert_eq!(parse_error("  \n\t\n").to_string(), "template is empty");
        assert_eq!(
            parse_error("# only a comment\n").to_string(),
            "template is not a JSON or YAML mapping (it is null)"
        );
    }

    #[test]
    fn invalid_yaml_is_reported_with_its_line_and_column() {
        let error = parse_error("Resources:\n  Bucket: [unclosed\n");
        assert!(error.to_string().starts_with("template is not valid YAML: "), "{error}");
        assert_eq!(error.line(), Some(3));
        assert!(error.column().is_some());
    }

    #[test]
    fn invalid_json_is_reported_with_its_line_and_column() {
        // A stray closing brace is invalid YAML too, so the JSON parser's error is the one reported.
        let error = parse_error("{\n  \"Resources\": {\n    \"Bucket\": {}\n  }}}\n");
        assert!(error.to_string().starts_with("template is not valid JSON: "), "{error}");
        assert!(error.to_string().ends_with("at line 4 column 5"), "{error}");
        assert_eq!((error.line(), error.column()), (Some(4), Some(5)));
    }

    #[test]
    fn duplicate_yaml_keys_are_a_parse_error() {
        let error = parse_error("Resources: {}\nResources: {}\n");
        assert!(error.to_string().contains("duplicate entry"), "{error}");
    }

    #[test]
    fn bodies_over_one_mebibyte_are_refused_before_parsing() {
        // Not valid YAML either: the size check must come first.
        let body = format!("Description: [{}", "x".repeat(MAX_TEMPLATE_BYTES));
        let error = parse_error(&body);
        assert_eq!(
            error.to_string(),
            format!(
                "template is {} bytes, over the 1048576-byte limit (CloudFormation's maximum template size is 1 MB)",
                body.len()
            )
        );
        assert_eq!(error.line(), None);
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let depth = 10_000;
        let yaml = format!("A: {}{}", "[".repeat(depth), "]".repeat(depth));
        let json = format!("{{\"A\": {}{}}}", "[".repeat(depth), "]".repeat(depth));
        assert!(Template::parse(&yaml).is_err());
        assert!(Template::parse(&json).is_err());
    }

    #[test]
    fn odd_bodies_never_panic() {
        for body in [
            "{",
            "}",
            "[",
            "*",
            "&",
            "*a",
            "&a",
            "!",
            "!Ref",
            "!GetAtt",
            "a: !GetAtt",
            "a: !GetAtt .",
            "a: !GetAtt [",
            "---\n---",
            "a: 1\n---\nb: 2",
            "? ? ?",
            "a: &a\nb: *a",
            "a: *",
            "{\"a\": 1e400}",
            "a: .nan",
            "a: -.inf",
            "a: 0x",
            "%YAML 1.2\n---\na: 1",
            "a: !<tag:x> 1",
            "a: !!binary aGk=",
            "\u{0}",
            "a: \"\\uD800\"",
            "\t",
            "a:\n\tb: 1",
            "{\"a\":*b}",
            "a: &a !x &b 1",
            "a: &x1 [*x1]",
            "a: !sc-stack-importer-anchor:x 1\nb: *x",
        ] {
            let _ = Template::parse(body);
        }
    }
}
