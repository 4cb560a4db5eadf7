//! Semantic comparison of CloudFormation templates: whether a stack's template and a Service Catalog provisioning
//! artifact's template are the same template once JSON vs YAML, formatting and short-form tags are set aside, and if
//! not, where they first differ.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde_json::{Map, Value};
use serde_norway::Value as Yaml;
use serde_norway::value::TaggedValue;

/// CloudFormation accepts template bodies of at most 1 MB (from S3; 51,200 bytes inline), so a larger body cannot be
/// a deployable template and is refused before any parser sees it. Callers may also stop downloading at this size.
pub const MAX_TEMPLATE_BYTES: usize = 1024 * 1024;

/// A caller needs the first few differences to explain a mismatch, not all of them.
pub const MAX_DIFFERENCES: usize = 50;

/// serde_norway expands every YAML alias by copying its anchored node, and its own repetition limit (100 alias jumps
/// per event) stops exponential "billion laughs" documents but not wide ones: a 15 KB body of one 3,000-item anchor
/// aliased 3,000 times builds 9 million values. A 1 MiB body without aliases holds at most about 500,000 values
/// (`[0,0,0,…]`), so aliases may expand a template to that size and no further.
const MAX_EXPANDED_VALUES: u64 = 500_000;

/// Stands in for `*` before an alias name in the probe copy of a YAML body, so the probe parses each alias as a
/// plain string instead of expanding it. A private-use code point: no template needs it.
const PROBE_ALIAS: char = '\u{E000}';

/// Stands in for `&` before an anchor name in the probe copy: a YAML tag survives parsing, an anchor does not.
const PROBE_ANCHOR_TAG: &str = "sc-stack-importer-anchor:";

/// The YAML core schema's tags (`!!str`, `!!binary` …) give a scalar's type; they are not CloudFormation functions.
const YAML_CORE_TAG: &str = "tag:yaml.org,2002:";

/// A template in canonical form: JSON values whose scalars are strings or null, whose intrinsic functions are in
/// long form, and whose root is a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Template(Value);

/// Why a body is not a template that can be compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateParseError {
    message: String,
    line: Option<usize>,
    column: Option<usize>,
}

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
        let document = if body.trim_start().starts_with('{') {
            // A YAML flow mapping (`{Resources: …}`) also starts with a brace; CloudFormation accepts it as YAML.
            match serde_json::from_str::<Value>(body) {
                Ok(document) => document,
                Err(json_error) => parse_yaml(body).map_err(|_| TemplateParseError::json(&json_error))?,
            }
        } else {
            parse_yaml(body)?
        };
        match canonical(document) {
            Value::Object(sections) => Ok(Template(Value::Object(sections))),
            other => Err(TemplateParseError::new(format!(
                "template is not a JSON or YAML mapping (it is {})",
                kind_of(&other)
            ))),
        }
    }

    /// Where `self` (the stack's template) and `other` (the artifact's template) differ, in key order; empty when
    /// they are the same template. At most [`MAX_DIFFERENCES`] are collected.
    pub fn differences(&self, other: &Template) -> Vec<Difference> {
        let mut found = Vec::new();
        compare("", &self.0, &other.0, &mut found);
        found
    }
}

impl TemplateParseError {
    fn new(message: String) -> Self {
        TemplateParseError { message, line: None, column: None }
    }

    fn json(error: &serde_json::Error) -> Self {
        TemplateParseError {
            message: format!("template is not valid JSON: {error}"),
            // serde_json reports line 0 when the error has no position.
            line: Some(error.line()).filter(|line| *line > 0),
            column: Some(error.column()).filter(|_| error.line() > 0),
        }
    }

    fn yaml(error: &serde_norway::Error) -> Self {
        let location = error.location();
        TemplateParseError {
            message: format!("template is not valid YAML: {error}"),
            line: location.as_ref().map(serde_norway::Location::line),
            column: location.as_ref().map(serde_norway::Location::column),
        }
    }

    /// The 1-based line the parser stopped at, when it reported one.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The 1-based column the parser stopped at, when it reported one.
    pub fn column(&self) -> Option<usize> {
        self.column
    }
}

impl fmt::Display for TemplateParseError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Both parsers already end their messages with "at line L column C".
        formatter.write_str(&self.message)
    }
}

impl std::error::Error for TemplateParseError {}

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
                let child = key_path(path, key);
                match (stack_entries.get(key), artifact_entries.get(key)) {
                    (Some(in_stack), Some(in_artifact)) => compare(&child, in_stack, in_artifact, found),
                    (Some(_), None) => found.push(Difference { path: child, kind: DifferenceKind::OnlyInStack }),
                    (None, Some(_)) => found.push(Difference { path: child, kind: DifferenceKind::OnlyInArtifact }),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(stack_items), Value::Array(artifact_items)) if stack_items.len() == artifact_items.len() => {
            for (index, (in_stack, in_artifact)) in stack_items.iter().zip(artifact_items).enumerate() {
                compare(&format!("{path}[{index}]"), in_stack, in_artifact, found);
            }
        }
        _ if stack == artifact => {}
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

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) | Value::Number(_) | Value::String(_) => "a scalar",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Scalars become strings because CloudFormation converts property values to the type each property expects:
/// `Port: 80` and `"Port": "80"` deploy the same resource. The long form `Fn::GetAtt: "Res.Attr"` becomes the list
/// form, which is how CloudFormation reads it.
fn canonical(value: Value) -> Value {
    match value {
        Value::Bool(flag) => Value::String(flag.to_string()),
        Value::Number(number) => Value::String(number.to_string()),
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        Value::Object(entries) => {
            let entries: Map<String, Value> = entries.into_iter().map(|(key, value)| (key, canonical(value))).collect();
            Value::Object(get_att_as_list(entries))
        }
        Value::Null | Value::String(_) => value,
    }
}

/// CloudFormation reads `Res.Attr.Sub` as resource `Res`, attribute `Attr.Sub`: logical IDs cannot contain dots,
/// attribute names can (`Endpoint.Address`).
fn get_att_as_list(entries: Map<String, Value>) -> Map<String, Value> {
    let pair = match entries.get("Fn::GetAtt") {
        Some(Value::String(target)) if entries.len() == 1 => target
            .split_once('.')
            .map(|(resource, attribute)| vec![Value::String(resource.to_owned()), Value::String(attribute.to_owned())]),
        _ => None,
    };
    match pair {
        Some(pair) => single_entry("Fn::GetAtt".to_owned(), Value::Array(pair)),
        None => entries,
    }
}

fn single_entry(key: String, value: Value) -> Map<String, Value> {
    let mut entry = Map::new();
    entry.insert(key, value);
    entry
}

fn parse_yaml(body: &str) -> Result<Value, TemplateParseError> {
    if may_contain_alias(body) {
        check_alias_expansion(body)?;
    }
    let document: Yaml = serde_norway::from_str(body).map_err(|error| TemplateParseError::yaml(&error))?;
    from_yaml(document)
}

/// YAML (1.2, as serde_norway reads it) to JSON, with CloudFormation's short-form tags in long form.
fn from_yaml(node: Yaml) -> Result<Value, TemplateParseError> {
    Ok(match node {
        Yaml::Null => Value::Null,
        Yaml::Bool(flag) => Value::String(flag.to_string()),
        Yaml::Number(number) => Value::String(number.to_string()),
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

/// Any `*name` where libyaml could start an alias sends the body through the alias check, which then tells real
/// aliases from text that merely looks like one.
fn may_contain_alias(body: &str) -> bool {
    let bytes = body.as_bytes();
    body.match_indices('*').any(|(at, _)| starts_anchor_or_alias(bytes, at))
}

/// libyaml reads `*name` as an alias and `&name` as an anchor only where a token starts: at the beginning, after a
/// blank or line break, after a flow indicator, or after the `:` of a JSON-like key (`{"a":*b}`). Any non-ASCII
/// byte counts as a boundary too, because YAML's NEL, LS, PS and byte order mark are not ASCII. Names are ASCII
/// letters, digits, `_` and `-`. This must find every real alias and anchor: serde_norway expands the aliases it has
/// read even when it later reports a syntax error.
fn starts_anchor_or_alias(bytes: &[u8], at: usize) -> bool {
    let after_boundary = match at.checked_sub(1).and_then(|before| bytes.get(before)) {
        None => true,
        Some(byte) => {
            !byte.is_ascii()
                || byte.is_ascii_whitespace()
                || matches!(byte, b'[' | b']' | b'{' | b'}' | b',' | b':' | b'?' | b'-')
        }
    };
    after_boundary && bytes.get(at + 1).is_some_and(|next| is_anchor_byte(*next))
}

fn is_anchor_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

/// CloudFormation refuses templates with YAML aliases ("YAML aliases are not allowed in CloudFormation templates"),
/// so a real stack never has one; they are still resolved, but only after a probe proves the expansion small. The
/// probe parses a copy in which each alias is a plain string and each anchor a tag, so nothing is expanded, then
/// adds up what each alias would copy.
fn check_alias_expansion(body: &str) -> Result<(), TemplateParseError> {
    if body.contains(PROBE_ANCHOR_TAG) {
        // A template could forge a small "anchor" with this tag and hide a large real one behind it.
        return Err(TemplateParseError::new(format!("template uses the reserved YAML tag !{PROBE_ANCHOR_TAG}")));
    }
    let probe: Yaml = serde_norway::from_str(&probe_copy(body)).map_err(|error| TemplateParseError::yaml(&error))?;
    let mut expansion = AliasExpansion::default();
    let values = expansion.size(&probe)?;
    if expansion.aliases == 0 {
        return Ok(());
    }
    if let Some(name) = expansion.redefined {
        return Err(TemplateParseError::new(format!("template's YAML anchor &{name} is defined more than once")));
    }
    if values > MAX_EXPANDED_VALUES {
        return Err(TemplateParseError::new(format!(
            "template's YAML aliases expand to more than {MAX_EXPANDED_VALUES} values"
        )));
    }
    Ok(())
}

/// The body with `*name` as `<PROBE_ALIAS>name` and `&name` as `!<PROBE_ANCHOR_TAG>name`. A node may carry a tag and
/// an anchor but not two tags, so a tag beside an anchor is blanked out. Strings may be altered too; the probe is
/// only counted, never compared.
fn probe_copy(body: &str) -> String {
    let bytes = body.as_bytes();
    let mut blanked = vec![false; bytes.len()];
    for (at, _) in body.match_indices('&') {
        if starts_anchor_or_alias(bytes, at) {
            blank_tag_after(bytes, anchor_name_end(bytes, at + 1), &mut blanked);
            blank_tag_before(bytes, at, &mut blanked);
        }
    }
    let mut copy = String::with_capacity(body.len() + body.len() / 4);
    let mut chars = body.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if blanked.get(at).copied().unwrap_or(false) {
            copy.push(' ');
            continue;
        }
        let node_property = starts_anchor_or_alias(bytes, at);
        match c {
            '*' if node_property => copy.push(PROBE_ALIAS),
            '&' if node_property => {
                copy.push('!');
                copy.push_str(PROBE_ANCHOR_TAG);
                while let Some((_, name_char)) =
                    chars.next_if(|(_, next)| next.is_ascii() && is_anchor_byte(*next as u8))
                {
                    copy.push(name_char);
                }
                // A tag runs on through `,` and `:`, which may follow an anchor directly.
                copy.push(' ');
            }
            other => copy.push(other),
        }
    }
    copy
}

fn anchor_name_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    while bytes.get(end).is_some_and(|byte| is_anchor_byte(*byte)) {
        end += 1;
    }
    end
}

fn ends_token(byte: u8) -> bool {
    byte.is_ascii_whitespace() || matches!(byte, b',' | b'[' | b']' | b'{' | b'}')
}

/// `&a !Sub x`: the node's tag follows its anchor, possibly on the next line.
fn blank_tag_after(bytes: &[u8], from: usize, blanked: &mut [bool]) {
    let mut at = from;
    while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
        at += 1;
    }
    if bytes.get(at) != Some(&b'!') {
        return;
    }
    while let Some(byte) = bytes.get(at) {
        if ends_token(*byte) {
            break;
        }
        if let Some(slot) = blanked.get_mut(at) {
            *slot = true;
        }
        at += 1;
    }
}

/// `!Sub &a x`: the node's tag comes before its anchor on the same line.
fn blank_tag_before(bytes: &[u8], anchor_at: usize, blanked: &mut [bool]) {
    let mut end = anchor_at;
    while end > 0 && bytes.get(end - 1).is_some_and(|byte| matches!(byte, b' ' | b'\t')) {
        end -= 1;
    }
    if end == anchor_at {
        return;
    }
    let mut start = end;
    while start > 0 && bytes.get(start - 1).is_some_and(|byte| !ends_token(*byte)) {
        start -= 1;
    }
    if bytes.get(start) == Some(&b'!') {
        for slot in blanked.iter_mut().take(end).skip(start) {
            *slot = true;
        }
    }
}

/// Counts the values serde_norway would build from the original body. An alias refers to the anchor of its name
/// before it; one inside that anchor's own node would recurse. YAML lets a later anchor reuse a name, but
/// serde_norway 0.9 numbers anchors by how many distinct names it has seen, so a reused name shares its number with
/// the next new anchor and its aliases can resolve to that later node: a document with aliases must not reuse one.
#[derive(Default)]
struct AliasExpansion {
    /// Anchor name → values in its node, or `None` while the node is still being read.
    anchors: HashMap<String, Option<u64>>,
    aliases: usize,
    redefined: Option<String>,
}

impl AliasExpansion {
    fn size(&mut self, node: &Yaml) -> Result<u64, TemplateParseError> {
        match node {
            Yaml::String(text) => match alias_name(text) {
                Some(name) => {
                    self.aliases += 1;
                    match self.anchors.get(name) {
                        Some(Some(values)) => Ok(*values),
                        Some(None) => Err(TemplateParseError::new(format!(
                            "template's YAML alias *{name} is inside its own anchor"
                        ))),
                        None => Err(TemplateParseError::new(format!(
                            "template's YAML alias *{name} has no anchor before it"
                        ))),
                    }
                }
                None => Ok(1),
            },
            Yaml::Sequence(items) => {
                items.iter().try_fold(1_u64, |total, item| Ok(total.saturating_add(self.size(item)?)))
            }
            Yaml::Mapping(entries) => entries.iter().try_fold(1_u64, |total, (key, value)| {
                Ok(total.saturating_add(self.size(key)?).saturating_add(self.size(value)?))
            }),
            Yaml::Tagged(tagged) => {
                let shown = tagged.tag.to_string();
                let anchor = shown.strip_prefix('!').unwrap_or(&shown).strip_prefix(PROBE_ANCHOR_TAG);
                // A blanked tag wrapped the node in the original, and any other tag wraps it here: one more value.
                match anchor {
                    Some(name) => {
                        if self.anchors.insert(name.to_owned(), None).is_some() && self.redefined.is_none() {
                            self.redefined = Some(name.to_owned());
                        }
                        let values = self.size(&tagged.value)?.saturating_add(1);
                        self.anchors.insert(name.to_owned(), Some(values));
                        Ok(values)
                    }
                    None => Ok(self.size(&tagged.value)?.saturating_add(1)),
                }
            }
            Yaml::Null | Yaml::Bool(_) | Yaml::Number(_) => Ok(1),
        }
    }
}

fn alias_name(text: &str) -> Option<&str> {
    let name = text.strip_prefix(PROBE_ALIAS)?;
    (!name.is_empty() && name.bytes().all(is_anchor_byte)).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_norway::value::Tag;
    use std::time::{Duration, Instant};

    fn template(body: &str) -> Template {
        match Template::parse(body) {
            Ok(template) => template,
            Err(error) => panic!("expected a template, got: {error}\n{body}"),
        }
    }

    fn parse_error(body: &str) -> TemplateParseError {
        match Template::parse(body) {
            Ok(template) => panic!("expected an error, got: {template:?}"),
            Err(error) => error,
        }
    }

    fn same(stack: &str, artifact: &str) {
        let differences = template(stack).differences(&template(artifact));
        assert!(differences.is_empty(), "{}", describe(&differences, 5));
    }

    fn only(kind: DifferenceKind, path: &str) -> Difference {
        Difference { path: path.to_owned(), kind }
    }

    const YAML_TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Description: Payments API
Parameters:
  Stage:
    Type: String
    Default: prod
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-data"
      VersioningConfiguration:
        Status: Enabled
Outputs:
  BucketArn:
    Value: !GetAtt Bucket.Arn
"#;

    const JSON_TEMPLATE: &str = r#"{
  "AWSTemplateFormatVersion": "2010-09-09",
  "Description": "Payments API",
  "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
  "Resources": {
    "Bucket": {
      "Type": "AWS::S3::Bucket",
      "Properties": {
        "BucketName": {"Fn::Sub": "${AWS::StackName}-data"},
        "VersioningConfiguration": {"Status": "Enabled"}
      }
    }
  },
  "Outputs": {"BucketArn": {"Value": {"Fn::GetAtt": ["Bucket", "Arn"]}}}
}"#;

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
    fn short_form_ref_and_condition_become_long_form() {
        same(
            "Resources: {Q: {Type: AWS::SQS::Queue, Condition: IsProd, Properties: {QueueName: !Ref Name, \
             Flag: !Condition IsProd}}}",
            r#"{"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Condition": "IsProd",
                "Properties": {"QueueName": {"Ref": "Name"}, "Flag": {"Condition": "IsProd"}}}}}"#,
        );
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

    #[test]
    fn non_string_yaml_keys_become_their_string_form() {
        same(
            "Mappings: {Ports: {80: {Open: yes}, 443: {Open: no}, true: {Open: maybe}}}",
            r#"{"Mappings": {"Ports": {"80": {"Open": "yes"}, "443": {"Open": "no"}, "true": {"Open": "maybe"}}}}"#,
        );
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
    fn a_list_or_tagged_mapping_key_is_a_parse_error() {
        let message = "template has a mapping key that is a list, a mapping or a tagged value";
        assert_eq!(parse_error("? [a, b]\n: c\n").to_string(), message);
        assert_eq!(parse_error("!Ref x: c\n").to_string(), message);
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
    fn anchors_and_aliases_are_resolved() {
        let yaml = r#"
Metadata:
  Common: &tags
    - {Key: team, Value: payments}
Resources:
  Q: {Properties: {Tags: *tags}}
  T: {Properties: {Tags: *tags}}
"#;
        let tags = r#"[{"Key": "team", "Value": "payments"}]"#;
        same(
            yaml,
            &format!(
                r#"{{"Metadata": {{"Common": {tags}}}, "Resources": {{
                    "Q": {{"Properties": {{"Tags": {tags}}}}},
                    "T": {{"Properties": {{"Tags": {tags}}}}}}}}}"#
            ),
        );
    }

    #[test]
    fn an_anchor_beside_a_short_form_tag_keeps_the_tag() {
        let yaml = r#"
Metadata: {A: &name !Sub '${AWS::StackName}-q', B: !Ref &env Stage}
Outputs: {N: {Value: *name}, E: {Value: *env}}
"#;
        let json = r#"{
            "Metadata": {"A": {"Fn::Sub": "${AWS::StackName}-q"}, "B": {"Ref": "Stage"}},
            "Outputs": {"N": {"Value": {"Fn::Sub": "${AWS::StackName}-q"}}, "E": {"Value": {"Ref": "Stage"}}}}"#;
        same(yaml, json);
    }

    #[test]
    fn an_exponential_alias_bomb_is_refused_quickly() {
        let mut bomb = String::from("a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        let levels = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in levels.windows(2) {
            if let [previous, name] = pair {
                let aliases = vec![format!("*{previous}"); 9].join(", ");
                bomb.push_str(&format!("{name}: &{name} [{aliases}]\n"));
            }
        }
        let started = Instant::now();
        let error = parse_error(&bomb);
        assert!(error.to_string().contains("YAML aliases expand to more than 500000 values"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_wide_alias_bomb_is_refused_before_it_is_expanded() {
        // 1,000 aliases of a 1,000-item list: within serde_norway's repetition limit, a million values.
        let items = vec!["x"; 1000].join(",");
        let aliases = vec!["*a"; 1000].join(",");
        let error = parse_error(&format!("Metadata: {{A: &a [{items}], B: [{aliases}]}}"));
        assert!(error.to_string().contains("YAML aliases expand to more than 500000 values"), "{error}");
    }

    #[test]
    fn an_alias_inside_its_own_anchor_is_refused() {
        let error = parse_error("Metadata: &loop {Again: [*loop]}\n");
        assert_eq!(error.to_string(), "template's YAML alias *loop is inside its own anchor");
    }

    #[test]
    fn a_reused_anchor_name_is_refused_when_aliases_exist() {
        // serde_norway would resolve *x to B's value here, not A's.
        let error = parse_error("Metadata: {A: &x 1, R: &y 2, S: &x 3, B: &z [4], C: *x}\n");
        assert_eq!(error.to_string(), "template's YAML anchor &x is defined more than once");
        same(
            "Metadata: {A: &x 1, S: &x 3}\nDescription: '*x'",
            r#"{"Metadata": {"A": "1", "S": "3"}, "Description": "*x"}"#,
        );
    }

    #[test]
    fn aliases_may_expand_a_template_up_to_the_limit() {
        // Each alias copies the anchored list of 999 items: 1,000 values with the list itself.
        let items = vec!["x"; 999].join(",");
        let body = |copies: usize| format!("Metadata: {{A: &a [{items}], B: [{}]}}", vec!["*a"; copies].join(","));
        let Ok(Template(Value::Object(sections))) = Template::parse(&body(480)) else {
            panic!("480 copies are within the limit");
        };
        let copies = sections.get("Metadata").and_then(|metadata| metadata.get("B")).and_then(Value::as_array);
        assert_eq!(copies.map(Vec::len), Some(480));
        assert!(Template::parse(&body(520)).is_err());
    }

    #[test]
    fn an_alias_before_its_anchor_is_refused() {
        let error = parse_error("Metadata: {A: *later, B: &later x}\n");
        assert_eq!(error.to_string(), "template's YAML alias *later has no anchor before it");
    }

    #[test]
    fn asterisks_and_ampersands_in_text_are_not_aliases() {
        let yaml = r#"
Resources:
  Policy:
    Properties:
      Actions: [s3:*Object, "s3:*", '*']
      Patterns: ["*-prod", '*abc', "&amp"]
      Url: https://example.com/?a=1 &b=2
      Code:
        ZipFile: |
          def handler(*args, **kwargs):
              first, *rest = args  # &anchor-like *alias-like
"#;
        let json = r#"{"Resources": {"Policy": {"Properties": {
            "Actions": ["s3:*Object", "s3:*", "*"],
            "Patterns": ["*-prod", "*abc", "&amp"],
            "Url": "https://example.com/?a=1 &b=2",
            "Code": {"ZipFile":
                "def handler(*args, **kwargs):\n    first, *rest = args  # &anchor-like *alias-like\n"}}}}}"#;
        same(yaml, json);
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
