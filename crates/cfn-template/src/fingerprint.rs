//! A template's fingerprint: the SHA-256 of its canonical form, a key to look a template up by.

use std::fmt;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::canonical::Template;

/// The SHA-256, as 64 lowercase hex digits, of a template's canonical form written as compact JSON with each
/// mapping's keys in byte order and strings escaped as serde_json escapes them.
///
/// It is for discovery: routing a stack by its template, by looking its fingerprint up among those of known templates
/// (provisioning artifacts, say) instead of comparing it with each of them. Two templates have the same fingerprint
/// exactly when [`Template::differences`] between them is empty: both see only the canonical form, `differences` is
/// empty exactly when the two canonical forms are equal, and the serialization is one-to-one on canonical forms, so
/// two different templates could share a fingerprint only through a SHA-256 collision. A fingerprint says nothing
/// about where templates differ; `differences` does. Changing the serialization changes every fingerprint, which
/// matters to anyone who stored one; a unit test pins one value so that such a change cannot go unnoticed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fingerprint stored as text (see [`Fingerprint::as_str`]): exactly 64 lowercase hex digits, or `None`.
    pub fn parse(text: &str) -> Option<Fingerprint> {
        let valid = text.len() == 64 && text.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        valid.then(|| Fingerprint(text.to_owned()))
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl Template {
    /// This template's [`Fingerprint`]; the same for every body [`Template::parse`] reads as this template.
    pub fn fingerprint(&self) -> Fingerprint {
        let mut hasher = Sha256::new();
        write_canonical(&self.0, &mut hasher);
        Fingerprint(hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect())
    }

    /// The canonical form as compact JSON with each mapping's keys in byte order: the text [`Template::fingerprint`]
    /// hashes. [`Template::parse`] reads it back as this same template, so it can stand in for the body it came from
    /// wherever a template is stored or shown.
    pub fn canonical_json(&self) -> String {
        let mut text = Vec::new();
        write_canonical(&self.0, &mut text);
        // Only whole characters and ASCII escapes are written, so the text is always UTF-8.
        String::from_utf8(text).unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
    }
}

/// Where the serialization goes: the hasher, or the text of [`Template::canonical_json`].
trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Sha256 {
    fn put(&mut self, bytes: &[u8]) {
        self.update(bytes);
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Written by hand rather than with serde_json's serializer: `Map` iterates in insertion order when any crate in
/// the build enables serde_json's `preserve_order` (the AWS SDK's HTTP client does, so the function's and the
/// emulator's builds have it, while this crate's own tests do not), and the fingerprint must not depend on how a
/// body ordered its keys. Canonical templates hold only null, strings, lists and mappings; booleans and numbers are
/// written too so that the function is total.
fn write_canonical(value: &Value, out: &mut impl Sink) {
    match value {
        Value::Null => out.put(b"null"),
        Value::Bool(flag) => out.put(flag.to_string().as_bytes()),
        Value::Number(number) => out.put(number.to_string().as_bytes()),
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.put(b"[");
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.put(b",");
                }
                write_canonical(item, out);
            }
            out.put(b"]");
        }
        Value::Object(entries) => {
            out.put(b"{");
            // Without `preserve_order` a `Map` is a `BTreeMap` and already iterates in byte order.
            if entries.keys().is_sorted() {
                write_entries(entries.iter(), out);
            } else {
                let mut sorted: Vec<(&String, &Value)> = entries.iter().collect();
                sorted.sort_unstable_by_key(|(key, _)| *key);
                write_entries(sorted.into_iter(), out);
            }
            out.put(b"}");
        }
    }
}

fn write_entries<'a>(entries: impl Iterator<Item = (&'a String, &'a Value)>, out: &mut impl Sink) {
    for (index, (key, item)) in entries.enumerate() {
        if index > 0 {
            out.put(b",");
        }
        write_string(key, out);
        out.put(b":");
        write_canonical(item, out);
    }
}

/// A JSON string as serde_json writes it: `"` and `\` escaped, control characters as `\n`-style or `\u00xx`
/// escapes, everything else (non-ASCII included) as it is. Escaping is what keeps the serialization one-to-one: a
/// key holding `":"` cannot pass for the end of a key and the start of its value.
fn write_string(text: &str, out: &mut impl Sink) {
    out.put(b"\"");
    let bytes = text.as_bytes();
    let mut unwritten = 0;
    for (at, byte) in bytes.iter().enumerate() {
        let short = match byte {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            0x0c => b'f',
            b'\n' => b'n',
            b'\r' => b'r',
            b'\t' => b't',
            0x00..=0x1f => b'u',
            _ => continue,
        };
        // Every byte escaped is ASCII, so `at` is a char boundary and the run before it is whole characters.
        if let Some(run) = bytes.get(unwritten..at) {
            out.put(run);
        }
        if short == b'u' {
            out.put(&[b'\\', b'u', b'0', b'0', hex_digit(byte >> 4), hex_digit(byte & 0x0f)]);
        } else {
            out.put(&[b'\\', short]);
        }
        unwritten = at + 1;
    }
    if let Some(run) = bytes.get(unwritten..) {
        out.put(run);
    }
    out.put(b"\"");
}

fn hex_digit(nibble: u8) -> u8 {
    if nibble < 10 { b'0' + nibble } else { b'a' + (nibble - 10) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{JSON_TEMPLATE, YAML_TEMPLATE, template};
    use serde_json::Map;
    use std::collections::HashMap;

    fn canonical_text(value: &Value) -> String {
        let mut text = Vec::new();
        write_canonical(value, &mut text);
        match String::from_utf8(text) {
            Ok(text) => text,
            Err(error) => panic!("the serialization is not UTF-8: {error}"),
        }
    }

    fn fingerprint(body: &str) -> Fingerprint {
        template(body).fingerprint()
    }

    fn same_fingerprint(left: &str, right: &str) {
        assert_eq!(fingerprint(left), fingerprint(right), "\n{left}\n---\n{right}");
    }

    fn other_fingerprint(left: &str, right: &str) {
        assert_ne!(fingerprint(left), fingerprint(right), "\n{left}\n---\n{right}");
    }

    #[test]
    fn json_and_yaml_forms_of_one_template_have_one_fingerprint() {
        same_fingerprint(YAML_TEMPLATE, JSON_TEMPLATE);
    }

    #[test]
    fn key_order_does_not_change_the_fingerprint() {
        same_fingerprint(
            "Resources: {B: {Type: AWS::SNS::Topic}, A: {Type: AWS::SQS::Queue, Properties: {Z: '1', Y: '2'}}}",
            r#"{"Resources": {"A": {"Properties": {"Y": "2", "Z": "1"}, "Type": "AWS::SQS::Queue"},
                "B": {"Type": "AWS::SNS::Topic"}}}"#,
        );
        let reordered_json = r#"{"Outputs": {"BucketArn": {"Value": {"Fn::GetAtt": ["Bucket", "Arn"]}}},
            "Resources": {"Bucket": {"Properties": {"VersioningConfiguration": {"Status": "Enabled"},
            "BucketName": {"Fn::Sub": "${AWS::StackName}-data"}}, "Type": "AWS::S3::Bucket"}},
            "Parameters": {"Stage": {"Default": "prod", "Type": "String"}},
            "Description": "Payments API", "AWSTemplateFormatVersion": "2010-09-09"}"#;
        same_fingerprint(JSON_TEMPLATE, reordered_json);
    }

    #[test]
    fn keys_are_written_sorted_whatever_order_the_map_keeps() {
        // With serde_json's `preserve_order` this map would iterate as inserted; the serialization must not.
        let mut entries = Map::new();
        for key in ["b", "a", "B", "é", "a0"] {
            entries.insert(key.to_owned(), Value::String(key.to_uppercase()));
        }
        assert_eq!(canonical_text(&Value::Object(entries)), r#"{"B":"B","a":"A","a0":"A0","b":"B","é":"É"}"#);
    }

    #[test]
    fn short_and_long_forms_have_one_fingerprint() {
        same_fingerprint(
            "Outputs: {A: {Value: !GetAtt Db.Endpoint.Address}, B: {Value: !Ref Name}, \
             C: {Value: !Sub '${AWS::Region}-x'}, D: {Value: !Join ['-', [!Ref A, b]]}}",
            r#"{"Outputs": {"A": {"Value": {"Fn::GetAtt": "Db.Endpoint.Address"}}, "B": {"Value": {"Ref": "Name"}},
                "C": {"Value": {"Fn::Sub": "${AWS::Region}-x"}},
                "D": {"Value": {"Fn::Join": ["-", [{"Ref": "A"}, "b"]]}}}}"#,
        );
    }

    #[test]
    fn whitespace_comments_and_quoting_do_not_change_the_fingerprint() {
        same_fingerprint(
            "# queue for payments\nResources:\n  Q:\n    Type: AWS::SQS::Queue   # standard\n    Properties:\n      \
             DelaySeconds: 5\n",
            "Resources: {Q: {Type: 'AWS::SQS::Queue', Properties: {DelaySeconds: \"5\"}}}",
        );
        let compact_json: String = JSON_TEMPLATE.lines().map(str::trim).collect();
        same_fingerprint(&compact_json, JSON_TEMPLATE);
    }

    #[test]
    fn a_changed_template_has_another_fingerprint() {
        let base = "Resources: {Q: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: 5, Tags: [a, b]}}}";
        for changed in [
            "Resources: {Q: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: 6, Tags: [a, b]}}}",
            "Resources: {Q: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: 5.0, Tags: [a, b]}}}",
            "Resources: {Q: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: 5, Tags: [b, a]}}}",
            "Resources: {Q: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: 5, Tags: [a, b, c]}}}",
            "Resources: {Q: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: 5, Tags: [a, b]}}}\nDescription: x",
            "Resources: {Q: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: !Ref Delay, Tags: [a, b]}}}",
            "Resources: {R: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: 5, Tags: [a, b]}}}",
        ] {
            other_fingerprint(base, changed);
        }
    }

    #[test]
    fn a_known_template_has_a_pinned_fingerprint() {
        // Pinned so that any change to the serialization is noticed: such a change moves every stored fingerprint.
        // The text hashed is reproducible by hand: printf '%s' "$text" | sha256sum.
        let known = template("Resources: {Q: {Type: AWS::SQS::Queue, Properties: {DelaySeconds: 5, Name: !Ref N}}}");
        assert_eq!(
            canonical_text(&known.0),
            r#"{"Resources":{"Q":{"Properties":{"DelaySeconds":"5","Name":{"Ref":"N"}},"Type":"AWS::SQS::Queue"}}}"#
        );
        assert_eq!(known.fingerprint().as_str(), "84a48948f3ae88666b741a3c4146150409b6c4ca7ecf925d95d5d2cd18e88a71");
        assert_eq!(known.canonical_json(), canonical_text(&known.0));
        assert_eq!(template(&known.canonical_json()), known);
    }

    #[test]
    fn a_stored_fingerprint_reads_back_and_anything_else_does_not() {
        let fingerprint = Template::parse("Resources: {Q: {Type: AWS::SQS::Queue}}").unwrap().fingerprint();
        assert_eq!(Fingerprint::parse(fingerprint.as_str()), Some(fingerprint.clone()));
        for stored in ["", "abc", &fingerprint.as_str().to_uppercase(), &format!("{}0", fingerprint), &"g".repeat(64)] {
            assert_eq!(Fingerprint::parse(stored), None, "{stored}");
        }
    }

    #[test]
    fn a_fingerprint_is_64_lowercase_hex_digits() {
        let shown = fingerprint(YAML_TEMPLATE);
        assert_eq!(shown.as_str().len(), 64);
        assert!(shown.as_str().bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f')), "{shown}");
        assert_eq!(shown.to_string(), shown.as_str());
    }

    #[test]
    fn equal_fingerprints_exactly_when_there_are_no_differences() {
        let bodies = [
            YAML_TEMPLATE,
            JSON_TEMPLATE,
            "Description: x",
            r#"{"Description": "x"}"#,
            "Description: y",
            "Description: ~",
            "Description: ''",
            "Metadata: {A: [1, 2]}",
            r#"{"Metadata": {"A": ["1", "2"]}}"#,
            "Metadata: {A: [2, 1]}",
            "Metadata: {A: '1,2'}",
            "Metadata: {A: {B: '1'}}",
            "Metadata: {A.B: '1'}",
            // Without escaping, both would be written {"k":"v":"x"}.
            r#"{"k\":\"v": "x"}"#,
            r#"{"k": "v\":\"x"}"#,
            "Outputs: {O: {Value: !GetAtt A.B}}",
            "Outputs: {O: {Value: {Fn::GetAtt: [A, B]}}}",
            "Outputs: {O: {Value: !GetAtt [A.B]}}",
        ];
        let templates: Vec<Template> = bodies.iter().map(|body| template(body)).collect();
        let mut equal_pairs = 0;
        for (left_index, left) in templates.iter().enumerate() {
            for (right_index, right) in templates.iter().enumerate() {
                let no_differences = left.differences(right).is_empty();
                assert_eq!(
                    left.fingerprint() == right.fingerprint(),
                    no_differences,
                    "{:?} and {:?}",
                    bodies.get(left_index),
                    bodies.get(right_index)
                );
                if left_index != right_index && no_differences {
                    equal_pairs += 1;
                }
            }
        }
        // YAML/JSON, the two `Description: x`, the two `Metadata` lists and the two GetAtt forms, each both ways;
        // the other 298 ordered pairs are unequal.
        assert_eq!(equal_pairs, 8);
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut samples: Vec<String> = (0_u8..0x20).map(|byte| format!("a{}b", char::from(byte))).collect();
        samples.extend(
            ["", "\"", "\\", "\\\"", "é ü", "\u{7f}", "\u{2028}", "\u{e000}", "😀", "a\"b\\c\nd"].map(String::from),
        );
        for sample in samples {
            let expected = serde_json::to_string(&sample).ok();
            assert_eq!(Some(canonical_text(&Value::String(sample.clone()))), expected, "{sample:?}");
        }
    }

    #[test]
    fn fingerprints_find_a_template_among_known_ones() {
        let known: HashMap<Fingerprint, &str> = HashMap::from([
            (fingerprint(JSON_TEMPLATE), "pa-payments"),
            (fingerprint("Description: other"), "pa-other"),
        ]);
        assert_eq!(known.get(&fingerprint(YAML_TEMPLATE)), Some(&"pa-payments"));
        assert_eq!(known.get(&fingerprint("Description: third")), None);
    }
}
