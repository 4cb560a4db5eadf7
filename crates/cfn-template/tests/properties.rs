//! Properties of parsing, comparing and fingerprinting templates, checked on generated input (proptest):
//!
//! - parsing never panics, whatever the body, and a hostile one (alias bombs, deep nesting) is parsed or refused in
//!   bounded time, with every body whose aliases would expand past the documented limits refused;
//! - comparison is reflexive and symmetric, and agrees with the fingerprint;
//! - the canonical form is a fixed point of parsing;
//! - one template written as JSON (compact, pretty, keys in any order) and as YAML (with or without short-form tags)
//!   is one template, with one fingerprint.
//!
//! Each property runs [`DEFAULT_CASES`] cases unless `PROPTEST_CASES` says otherwise; `make fuzz` runs 20,000.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cfn_template::{Difference, DifferenceKind, MAX_DIFFERENCES, MAX_TEMPLATE_BYTES, Template, describe};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};
use serde_norway::Value as Yaml;
use serde_norway::value::{Tag, TaggedValue};

/// Cases per property in a plain `cargo test`, which CI runs in debug builds on two cores. The proptest macro lets
/// `PROPTEST_CASES` override it (`make fuzz`).
const DEFAULT_CASES: u32 = 64;

/// Not a timing assertion: any single parse taking this long means something expanded or looped that should not.
/// Unoptimized builds on a busy two-core machine get more room.
const SANITY_BOUND: Duration = Duration::from_secs(if cfg!(debug_assertions) { 10 } else { 2 });

/// What the alias guard documents: aliases may expand a template to 500,000 values and 1 MiB of text, no further.
const DOCUMENTED_MAX_VALUES: u64 = 500_000;
const DOCUMENTED_MAX_TEXT_BYTES: u64 = MAX_TEMPLATE_BYTES as u64;

fn config() -> ProptestConfig {
    ProptestConfig::with_cases(DEFAULT_CASES)
}

// ---------------------------------------------------------------------------------------------------------------
// Generators: text, template-shaped JSON values, and hostile YAML.

/// Strings that YAML reads as something else when unquoted, or that look like YAML syntax, aliases or tags.
#[rustfmt::skip]
const TRICKY_TEXT: &[&str] = &[
    "", " ", "80", "-1", "007", "0.5", "1.0", "1e3", "0x1F", "0o17", "+1", ".5", "1_000", ".inf", "-.inf", ".nan",
    "true", "False", "yes", "no", "on", "off", "y", "null", "Null", "~", "2010-09-09", "12:30:00", "*a", "&a", "*",
    "&", "!Ref x", "!!str", "!", "- x", "-", "? x", "a: b", "a:b", "#x", "x #y", "'", "\"", "\\", "|", ">", "@x",
    "`x", "%x", "{", "}", "[", "]", ",", "---", "...", "<<", "=", " lead", "trail ", "a\nb", "a\n", "\n", "\n\n",
    "\t", "\r\n", "\u{85}", "\u{2028}", "\u{feff}x", "\u{0}", "${AWS::StackName}-x", "arn:aws:s3:::b/*",
    "s3:*Object", "é", "😀",
];

/// Any text a template may hold. The private-use code points U+E000–U+F8FF are left out: the alias guard uses
/// U+E000 in its probe copy and documents that no template needs it.
fn text() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => "[A-Za-z][A-Za-z0-9-]{0,10}",
        2 => "[ -~]{0,16}",
        1 => "[\\x{0}-\\x{7f}]{0,6}",
        1 => "[\\x{80}-\\x{D7FF}\\x{F900}-\\x{10FFFF}]{0,4}",
        2 => select(TRICKY_TEXT).prop_map(str::to_owned),
        1 => (select(TRICKY_TEXT), "[ -~]{0,6}", select(TRICKY_TEXT)).prop_map(|(a, b, c)| format!("{a}{b}{c}")),
    ]
}

/// Mapping keys: mostly names, sometimes any text.
fn key() -> impl Strategy<Value = String> + Clone {
    prop_oneof![6 => "[A-Za-z][A-Za-z0-9]{0,8}", 1 => text()]
}

fn logical_id() -> impl Strategy<Value = String> + Clone {
    "[A-Z][A-Za-z0-9]{0,7}"
}

fn attribute() -> impl Strategy<Value = String> + Clone {
    "[A-Z][A-Za-z]{0,6}(\\.[A-Z][A-Za-z]{0,5})?"
}

fn scalar() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        8 => text().prop_map(Value::String),
        1 => any::<i64>().prop_map(Value::from),
        1 => (0_u64..100_000).prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => (-100_000_i32..100_000, 0_i32..5).prop_map(|(mantissa, scale)| {
            Value::from(f64::from(mantissa) / 10_f64.powi(scale))
        }),
        1 => any::<f64>().prop_filter("JSON numbers are finite", |number| number.is_finite()).prop_map(Value::from),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => Just(Value::Null),
    ]
}

fn entry(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_owned(), value);
    Value::Object(map)
}

const OTHER_FUNCTIONS: &[&str] = &[
    "Fn::Equals",
    "Fn::Not",
    "Fn::And",
    "Fn::FindInMap",
    "Fn::GetAZs",
    "Fn::ImportValue",
    "Fn::Split",
    "Fn::Cidr",
    "Fn::Length",
    "Fn::ToJsonString",
    "Fn::Transform",
];

/// Intrinsic functions in long form, the way a JSON template writes them.
fn intrinsic(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    prop_oneof![
        logical_id().prop_map(|id| json!({"Ref": id})),
        select(&["AWS::Region", "AWS::StackName", "AWS::NoValue"][..]).prop_map(|name| json!({"Ref": name})),
        (logical_id(), attribute()).prop_map(|(id, attribute)| json!({"Fn::GetAtt": [id, attribute]})),
        (logical_id(), attribute()).prop_map(|(id, attribute)| json!({"Fn::GetAtt": format!("{id}.{attribute}")})),
        text().prop_map(|template| json!({"Fn::Sub": template})),
        (text(), prop::collection::btree_map("[A-Za-z]{1,6}", inner.clone(), 0..3))
            .prop_map(|(template, variables)| json!({"Fn::Sub": [template, variables]})),
        (text(), prop::collection::vec(inner.clone(), 0..4))
            .prop_map(|(delimiter, items)| json!({"Fn::Join": [delimiter, items]})),
        (logical_id(), inner.clone(), inner.clone())
            .prop_map(|(condition, then, otherwise)| json!({"Fn::If": [condition, then, otherwise]})),
        (0_u8..4, inner.clone()).prop_map(|(index, list)| json!({"Fn::Select": [index, list]})),
        inner.clone().prop_map(|value| json!({"Fn::Base64": value})),
        logical_id().prop_map(|condition| json!({"Condition": condition})),
        (select(OTHER_FUNCTIONS), inner).prop_map(|(function, argument)| entry(function, argument)),
    ]
}

fn object(entries: BTreeMap<String, Value>) -> Value {
    Value::Object(entries.into_iter().collect())
}

/// A property's value: scalars, lists, mappings and intrinsic functions, nested a few levels.
fn property_value() -> impl Strategy<Value = Value> + Clone {
    scalar().prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            2 => prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            2 => prop::collection::btree_map(key(), inner.clone(), 0..5).prop_map(object),
            3 => intrinsic(inner),
        ]
    })
}

fn resource() -> impl Strategy<Value = Value> {
    (
        "AWS::[A-Z][A-Za-z0-9]{1,8}::[A-Z][A-Za-z]{1,10}",
        prop::option::of(prop::collection::btree_map(key(), property_value(), 0..6)),
        prop::option::of(logical_id()),
        prop::option::of(prop::collection::vec(logical_id(), 0..3)),
        prop::option::of(select(&["Retain", "Delete", "Snapshot"][..])),
    )
        .prop_map(|(kind, properties, condition, depends_on, deletion_policy)| {
            let mut resource = Map::new();
            resource.insert("Type".to_owned(), Value::String(kind));
            if let Some(properties) = properties {
                resource.insert("Properties".to_owned(), object(properties));
            }
            if let Some(condition) = condition {
                resource.insert("Condition".to_owned(), Value::String(condition));
            }
            if let Some(depends_on) = depends_on {
                resource.insert("DependsOn".to_owned(), json!(depends_on));
            }
            if let Some(policy) = deletion_policy {
                resource.insert("DeletionPolicy".to_owned(), json!(policy));
            }
            Value::Object(resource)
        })
}

/// A template-shaped JSON value: a root mapping with a `Resources` section of resources, and some of the other
/// sections.
fn template_value() -> impl Strategy<Value = Value> {
    (
        prop::option::of(text()),
        any::<bool>(),
        prop::collection::btree_map(logical_id(), (select(&["String", "Number"][..]), scalar()), 0..3),
        prop::collection::btree_map(logical_id(), resource(), 0..6),
        prop::collection::btree_map(logical_id(), property_value(), 0..3),
        prop::option::of(prop::collection::btree_map(key(), property_value(), 0..3)),
    )
        .prop_map(|(description, versioned, parameters, resources, outputs, metadata)| {
            let mut sections = Map::new();
            if versioned {
                sections.insert("AWSTemplateFormatVersion".to_owned(), json!("2010-09-09"));
            }
            if let Some(description) = description {
                sections.insert("Description".to_owned(), Value::String(description));
            }
            if !parameters.is_empty() {
                let parameters = parameters
                    .into_iter()
                    .map(|(name, (kind, default))| (name, json!({"Type": kind, "Default": default})))
                    .collect();
                sections.insert("Parameters".to_owned(), Value::Object(parameters));
            }
            sections.insert("Resources".to_owned(), object(resources));
            if !outputs.is_empty() {
                let outputs = outputs.into_iter().map(|(name, value)| (name, json!({"Value": value}))).collect();
                sections.insert("Outputs".to_owned(), Value::Object(outputs));
            }
            if let Some(metadata) = metadata {
                sections.insert("Metadata".to_owned(), object(metadata));
            }
            Value::Object(sections)
        })
}

fn template_with_resources() -> impl Strategy<Value = Value> {
    template_value().prop_filter("a resource to change", |value| {
        value.get("Resources").and_then(Value::as_object).is_some_and(|resources| !resources.is_empty())
    })
}

/// Pieces of YAML and JSON syntax, to be strung together at random.
#[rustfmt::skip]
const YAML_TOKENS: &[&str] = &[
    "&a ", "*a", "&b ", "*b", "&a", "*", "&", "!Ref ", "!GetAtt ", "!Sub ", "!!str ", "!!binary ", "!<tag:x> ", "!",
    "!!", "a", "b", "Resources", "x.y", ": ", ":", "- ", "-", "? ", "[", "]", "{", "}", ", ", ",", "\n", "\n  ",
    "\n    ", "  ", "\t", "'", "\"", "#", "|", "|-", ">", "---\n", "...\n", "%YAML 1.2\n", "%TAG ! tag:x,2000:\n",
    "\u{feff}", "\u{E000}a", "!sc-stack-importer-anchor:a ", "<<: ", "1", "1e400", "~", "null", "\\", "\r",
    "\u{85}", "\u{0}", "é",
];

/// An alias-heavy YAML body: a list of `base_items` strings of `item_len` bytes, anchored; then one anchored level
/// per fan-out, each a list (or mapping) of that many aliases of the level below; then `copies` aliases of the top
/// level in a resource's properties.
#[derive(Debug, Clone)]
struct AliasPlan {
    base_items: usize,
    item_len: usize,
    fan_outs: Vec<usize>,
    copies: usize,
    mappings: bool,
}

/// What the plan's body would expand to, counted as the guard's documentation counts: every value (each list,
/// mapping, string and key) and the bytes of every string and key. Also how many alias jumps serde_norway makes to
/// expand it, and about how many events the body is: serde_norway refuses a document that needs more than 100 jumps
/// per event ("repetition limit exceeded"), whatever the guard says.
#[derive(Debug, Clone, Copy, Default)]
struct Expansion {
    values: u64,
    text_bytes: u64,
    alias_jumps: u64,
    events: u64,
}

impl AliasPlan {
    fn body(&self) -> String {
        let item = "x".repeat(self.item_len);
        let mut body = String::from("Metadata:\n");
        body.push_str(&format!("  L0: &l0 [{}]\n", vec![item.as_str(); self.base_items].join(", ")));
        for (level, fan_out) in self.fan_outs.iter().enumerate() {
            let below = format!("*l{level}");
            let aliases: Vec<String> = if self.mappings {
                (0..*fan_out).map(|index| format!("k{index}: {below}")).collect()
            } else {
                vec![below; *fan_out]
            };
            let (open, close) = if self.mappings { ('{', '}') } else { ('[', ']') };
            body.push_str(&format!("  L{n}: &l{n} {open}{}{close}\n", aliases.join(", "), n = level + 1));
        }
        let top = format!("*l{}", self.fan_outs.len());
        body.push_str(&format!(
            "Resources:\n  R:\n    Type: AWS::SQS::Queue\n    Properties:\n      P: [{}]\n",
            vec![top.as_str(); self.copies].join(", ")
        ));
        body
    }

    /// The same template with every alias written out: JSON, built only for plans that are small once expanded.
    fn expanded(&self) -> Value {
        let mut level = Value::Array(vec![Value::String("x".repeat(self.item_len)); self.base_items]);
        let mut metadata = Map::new();
        metadata.insert("L0".to_owned(), level.clone());
        for (index, fan_out) in self.fan_outs.iter().enumerate() {
            level = if self.mappings {
                Value::Object((0..*fan_out).map(|key| (format!("k{key}"), level.clone())).collect())
            } else {
                Value::Array(vec![level.clone(); *fan_out])
            };
            metadata.insert(format!("L{}", index + 1), level.clone());
        }
        json!({
            "Metadata": metadata,
            "Resources": {"R": {"Type": "AWS::SQS::Queue", "Properties": {"P": vec![level; self.copies]}}},
        })
    }

    /// Counts what the body expands to; `at_least` lower, `at_most` upper bounds (anchors and sections aside).
    fn expansion(&self) -> Expansion {
        let mut total = Expansion {
            values: 1 + self.base_items as u64,
            text_bytes: (self.base_items * self.item_len) as u64,
            alias_jumps: 0,
            // The sections, keys and resource around the levels: about 20 events.
            events: 20 + 2 + self.base_items as u64 + self.copies as u64,
        };
        let mut level = total;
        // Jumps to expand one alias of the level: the alias itself, and those inside what it copies.
        let mut level_jumps: u64 = 1;
        for fan_out in &self.fan_outs {
            let fan_out = *fan_out as u64;
            let keys = if self.mappings { fan_out } else { 0 };
            let key_bytes =
                if self.mappings { (0..fan_out).map(|key| format!("k{key}").len() as u64).sum() } else { 0 };
            level.values = (1 + keys).saturating_add(fan_out.saturating_mul(level.values));
            level.text_bytes = key_bytes.saturating_add(fan_out.saturating_mul(level.text_bytes));
            total.values = total.values.saturating_add(level.values);
            total.text_bytes = total.text_bytes.saturating_add(level.text_bytes);
            total.alias_jumps = total.alias_jumps.saturating_add(fan_out.saturating_mul(level_jumps));
            total.events += 3 + fan_out + keys;
            level_jumps = fan_out.saturating_mul(level_jumps).saturating_add(1);
        }
        let copies = self.copies as u64;
        total.values = total.values.saturating_add(copies.saturating_mul(level.values));
        total.text_bytes = total.text_bytes.saturating_add(copies.saturating_mul(level.text_bytes));
        total.alias_jumps = total.alias_jumps.saturating_add(copies.saturating_mul(level_jumps));
        total
    }
}

/// In debug builds (`cargo test`), plans that the guard accepts but that expand to more than a tenth of its limit
/// are left out: each takes seconds to expand unoptimized. Release runs (`make fuzz`) keep them.
fn alias_plan() -> impl Strategy<Value = AliasPlan> {
    alias_plan_of_any_size().prop_filter("expands to seconds of work in a debug build", |plan| {
        let expansion = plan.expansion();
        let accepted = expansion.values <= DOCUMENTED_MAX_VALUES && expansion.text_bytes <= DOCUMENTED_MAX_TEXT_BYTES;
        !(cfg!(debug_assertions) && accepted && expansion.values > DOCUMENTED_MAX_VALUES / 10)
    })
}

fn alias_plan_of_any_size() -> impl Strategy<Value = AliasPlan> {
    prop_oneof![
        // Wide: one big anchor aliased many times.
        (1_usize..3000, 1_usize..8, 1_usize..3000, any::<bool>()).prop_map(
            |(base_items, item_len, copies, mappings)| {
                AliasPlan { base_items, item_len, fan_outs: vec![], copies, mappings }
            }
        ),
        // Long strings: few values, much text.
        (1_usize..4, 1_000_usize..200_000, 1_usize..40).prop_map(|(base_items, item_len, copies)| AliasPlan {
            base_items,
            item_len,
            fan_outs: vec![],
            copies,
            mappings: false,
        }),
        // Nested: aliases of aliases, "billion laughs" when deep.
        (1_usize..20, 1_usize..4, prop::collection::vec(1_usize..12, 1..9), 1_usize..20, any::<bool>()).prop_map(
            |(base_items, item_len, fan_outs, copies, mappings)| AliasPlan {
                base_items,
                item_len,
                fan_outs,
                copies,
                mappings,
            }
        ),
    ]
}

// ---------------------------------------------------------------------------------------------------------------
// Writers: the same template as JSON in other key orders and spacing, and as YAML with or without short forms.

/// A deterministic stream of choices (xorshift), so a writer's choices are part of the generated case.
struct Choices(u64);

impl Choices {
    fn new(seed: u64) -> Self {
        Choices(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn flip(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// JSON with each mapping's keys in another order and blanks of every kind between tokens.
fn json_reordered(value: &Value, choices: &mut Choices, out: &mut String) {
    fn blank(choices: &mut Choices, out: &mut String) {
        out.push_str(["", " ", "\n  ", "\t", "\r\n"][(choices.next() % 5) as usize]);
    }
    match value {
        Value::Object(entries) => {
            let mut entries: Vec<(&String, &Value)> = entries.iter().collect();
            if choices.flip() {
                entries.reverse();
            } else if !entries.is_empty() {
                let by = (choices.next() % entries.len() as u64) as usize;
                entries.rotate_left(by);
            }
            out.push('{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                blank(choices, out);
                out.push_str(&serde_json::to_string(key).unwrap());
                blank(choices, out);
                out.push(':');
                blank(choices, out);
                json_reordered(item, choices, out);
            }
            blank(choices, out);
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                blank(choices, out);
                json_reordered(item, choices, out);
            }
            blank(choices, out);
            out.push(']');
        }
        scalar => out.push_str(&serde_json::to_string(scalar).unwrap()),
    }
}

/// The YAML value of a JSON value; with `short` choices, single-entry `Ref`, `Condition` and `Fn::*` mappings become
/// short-form tags where one can be written (`!Ref x`, `!GetAtt a.b` or `!GetAtt [a, b]`, `!Sub …`). A node has at
/// most one tag, so a function directly inside a short form stays in long form (`!Base64 {Ref: x}`).
fn to_yaml(value: &Value, short: &mut Option<Choices>) -> Yaml {
    to_yaml_node(value, short, true)
}

fn to_yaml_node(value: &Value, short: &mut Option<Choices>, may_tag: bool) -> Yaml {
    match value {
        Value::Object(entries) => {
            if let (true, 1, Some(choices)) = (may_tag, entries.len(), short.as_mut())
                && let Some((key, inner)) = entries.iter().next()
                && let Some(name) = short_form_name(key)
                && choices.flip()
            {
                if name == "GetAtt"
                    && let Value::Array(pair) = inner
                    && let [Value::String(resource), Value::String(attribute)] = pair.as_slice()
                    && !resource.contains('.')
                    && choices.flip()
                {
                    return tagged(name, Yaml::String(format!("{resource}.{attribute}")));
                }
                return tagged(name, to_yaml_node(inner, short, false));
            }
            Yaml::Mapping(entries.iter().map(|(key, item)| (Yaml::String(key.clone()), to_yaml(item, short))).collect())
        }
        Value::Array(items) => Yaml::Sequence(items.iter().map(|item| to_yaml(item, short)).collect()),
        scalar => serde_norway::to_value(scalar).unwrap(),
    }
}

fn short_form_name(key: &str) -> Option<&str> {
    let name = match key {
        "Ref" | "Condition" => key,
        _ => key.strip_prefix("Fn::")?,
    };
    (!name.is_empty() && name.bytes().all(|byte| byte.is_ascii_alphanumeric())).then_some(name)
}

fn tagged(name: &str, value: Yaml) -> Yaml {
    Yaml::Tagged(Box::new(TaggedValue { tag: Tag::new(name), value }))
}

fn yaml_body(value: &Value, short: Option<Choices>) -> String {
    let mut short = short;
    serde_norway::to_string(&to_yaml(value, &mut short)).unwrap()
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

fn parse(body: &str) -> Template {
    match Template::parse(body) {
        Ok(template) => template,
        Err(error) => panic!("expected a template, got: {error}\n{body}"),
    }
}

/// Parses within [`SANITY_BOUND`], whatever the outcome.
fn parse_timed(body: &str) -> Result<Template, cfn_template::TemplateParseError> {
    let started = Instant::now();
    let parsed = Template::parse(body);
    let elapsed = started.elapsed();
    assert!(elapsed < SANITY_BOUND, "parsing took {elapsed:?} for a body of {} bytes", body.len());
    parsed
}

fn swapped(differences: &[Difference]) -> Vec<Difference> {
    differences
        .iter()
        .map(|difference| Difference {
            path: difference.path.clone(),
            kind: match difference.kind {
                DifferenceKind::OnlyInStack => DifferenceKind::OnlyInArtifact,
                DifferenceKind::OnlyInArtifact => DifferenceKind::OnlyInStack,
                DifferenceKind::Changed => DifferenceKind::Changed,
            },
        })
        .collect()
}

fn assert_same(left: &Template, right: &Template, bodies: (&str, &str)) {
    let differences = left.differences(right);
    assert!(differences.is_empty(), "{}\n--- left:\n{}\n--- right:\n{}", describe(&differences, 5), bodies.0, bodies.1);
    assert_eq!(left.fingerprint(), right.fingerprint(), "\n--- left:\n{}\n--- right:\n{}", bodies.0, bodies.1);
}

/// Changes one place of a template value, chosen by `choices`: a scalar replaced, a key removed or added, or a list
/// made longer or shorter. The result may still be the same template (`80` for `"80"`), which the properties allow.
fn mutate(value: &mut Value, choices: &mut Choices, depth: usize) {
    // The root stays a mapping: a list or scalar is not a template at all.
    let descend = depth == 0 || (depth < 6 && !choices.next().is_multiple_of(3));
    match value {
        Value::Object(entries) if !entries.is_empty() && descend => {
            let index = (choices.next() % entries.len() as u64) as usize;
            if let Some(child) = entries.values_mut().nth(index) {
                mutate(child, choices, depth + 1);
            }
        }
        Value::Array(items) if !items.is_empty() && descend => {
            let index = (choices.next() % items.len() as u64) as usize;
            if let Some(child) = items.get_mut(index) {
                mutate(child, choices, depth + 1);
            }
        }
        Value::Object(entries) => match choices.next() % 3 {
            0 if !entries.is_empty() => {
                let index = (choices.next() % entries.len() as u64) as usize;
                if let Some(key) = entries.keys().nth(index).cloned() {
                    entries.remove(&key);
                }
            }
            1 => {
                entries.insert(format!("Added{}", choices.next() % 4), json!("added"));
            }
            _ if depth > 0 => *value = json!(["replaced"]),
            _ => {
                entries.insert("Description".to_owned(), json!("replaced"));
            }
        },
        Value::Array(items) => match choices.next() % 3 {
            0 => {
                items.pop();
            }
            1 => items.push(json!("added")),
            _ => *value = json!({"Replaced": "x"}),
        },
        _ => {
            *value = match choices.next() % 4 {
                0 => json!("changed"),
                1 => json!(80),
                2 => Value::Null,
                _ => json!({"Ref": "Changed"}),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(config())]

    /// Any text at all is read as a template or refused with an error.
    #[test]
    fn parsing_arbitrary_text_never_panics(
        body in any::<String>(),
        bytes in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        let _ = parse_timed(&body);
        let _ = parse_timed(&String::from_utf8_lossy(&bytes));
    }

    /// Strings of YAML syntax (anchors, aliases, tags, flow and block collections, odd indentation) never panic.
    #[test]
    fn parsing_yaml_like_text_never_panics(tokens in prop::collection::vec(select(YAML_TOKENS), 0..64)) {
        let body: String = tokens.concat();
        let _ = parse_timed(&body);
        let _ = parse_timed(&format!("Resources:\n  {}", body.replace('\n', "\n  ")));
    }

    /// Deep nesting, in every way JSON and YAML can nest, is parsed or refused, never a stack overflow. Both parsers
    /// stop at 128 levels; block nesting is kept shorter, as its indentation grows with the square of its depth.
    #[test]
    fn deep_nesting_never_panics(depth in 1_usize..1200, style in 0_u8..6) {
        let body = match style {
            0 => format!("A: {}x{}", "[".repeat(depth), "]".repeat(depth)),
            1 => format!("A: {}x{}", "{a: ".repeat(depth), "}".repeat(depth)),
            2 => format!("{}\"x\"{}", "{\"a\":".repeat(depth), "}".repeat(depth)),
            3 => (0..depth.min(300)).map(|level| format!("{}a:\n", " ".repeat(level))).collect(),
            4 => {
                let lists: String = (0..depth.min(300)).map(|level| format!("{}-\n", " ".repeat(level))).collect();
                format!("A:\n{lists}x\n")
            }
            _ => format!("A: {}x", "!Ref ".repeat(depth)),
        };
        let _ = parse_timed(&body);
    }

    /// A template body with a few characters inserted, removed or repeated is parsed or refused, never a panic.
    #[test]
    fn damaged_templates_never_panic(
        value in template_value(),
        as_yaml in any::<bool>(),
        seed in any::<u64>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0_u8..3, select(YAML_TOKENS)), 1..8),
    ) {
        let body = if as_yaml {
            yaml_body(&value, Some(Choices::new(seed)))
        } else {
            serde_json::to_string_pretty(&value).unwrap()
        };
        let mut chars: Vec<char> = body.chars().collect();
        for (at, edit, token) in edits {
            let at = at.index(chars.len() + 1);
            match edit {
                0 => { chars.splice(at..at, token.chars()); }
                1 if at < chars.len() => { chars.remove(at); }
                _ => {
                    let line_start = chars[..at].iter().rposition(|c| *c == '\n').map_or(0, |newline| newline + 1);
                    let line: Vec<char> = chars[line_start..at].to_vec();
                    chars.splice(line_start..line_start, line);
                }
            }
        }
        let body: String = chars.into_iter().collect();
        let _ = parse_timed(&body);
    }

    /// Alias-heavy YAML is parsed or refused in bounded time; a body whose aliases expand past the documented limits
    /// is refused, and one well within them is read as the template with every alias written out.
    #[test]
    fn alias_expansion_is_bounded(plan in alias_plan()) {
        let body = plan.body();
        prop_assume!(body.len() <= MAX_TEMPLATE_BYTES);
        let expansion = plan.expansion();
        let parsed = parse_timed(&body);
        if expansion.values > DOCUMENTED_MAX_VALUES || expansion.text_bytes > DOCUMENTED_MAX_TEXT_BYTES {
            let error = parsed.err().map(|error| error.to_string());
            prop_assert!(
                error.as_deref().is_some_and(|error| error.contains("YAML aliases expand to more than")),
                "{plan:?} expands to {expansion:?} and was not refused for it: {error:?}"
            );
        } else if expansion.values <= DOCUMENTED_MAX_VALUES / 10
            && expansion.text_bytes <= DOCUMENTED_MAX_TEXT_BYTES / 4
        {
            match parsed {
                Ok(template) => {
                    let written_out = Template::parse(&plan.expanded().to_string()).unwrap();
                    prop_assert_eq!(template.differences(&written_out), vec![]);
                }
                // Near or past serde_norway's own limit of 100 alias jumps per event, its refusal is an answer too.
                Err(error) if expansion.alias_jumps > 50 * expansion.events => {
                    prop_assert!(error.to_string().contains("repetition limit exceeded"), "{plan:?}: {error}");
                }
                Err(error) => panic!("{plan:?} ({expansion:?}) was refused: {error}"),
            }
        }
    }

    /// A template is the same as itself, and its canonical form reads back as the same template: same canonical text,
    /// same fingerprint.
    #[test]
    fn comparison_is_reflexive_and_the_canonical_form_a_fixed_point(value in template_value()) {
        let body = serde_json::to_string(&value).unwrap();
        let template = parse(&body);
        prop_assert_eq!(template.differences(&template), vec![]);
        let canonical = template.canonical_json();
        let again = parse(&canonical);
        prop_assert_eq!(&again, &template);
        prop_assert_eq!(again.differences(&template), vec![]);
        prop_assert_eq!(again.canonical_json(), canonical);
        prop_assert_eq!(again.fingerprint(), template.fingerprint());
    }

    /// Comparing b with a reports what comparing a with b reports, the sides swapped; both are empty exactly when the
    /// fingerprints are equal.
    #[test]
    fn comparison_is_symmetric_and_agrees_with_the_fingerprint(
        left in template_value(),
        right in template_value(),
        seeds in prop::collection::vec(any::<u64>(), 1..4),
    ) {
        let stack = parse(&left.to_string());
        let mut pairs = vec![(stack.clone(), parse(&right.to_string()))];
        for seed in seeds {
            let mut changed = left.clone();
            mutate(&mut changed, &mut Choices::new(seed), 0);
            pairs.push((stack.clone(), parse(&changed.to_string())));
        }
        for (a, b) in pairs {
            let forward = a.differences(&b);
            let backward = b.differences(&a);
            prop_assert!(forward.len() <= MAX_DIFFERENCES);
            prop_assert_eq!(swapped(&forward), backward);
            prop_assert_eq!(forward.is_empty(), a == b);
            prop_assert_eq!(forward.is_empty(), a.fingerprint() == b.fingerprint());
            prop_assert_eq!(forward.is_empty(), a.canonical_json() == b.canonical_json());
        }
    }

    /// A change in one resource is reported at its path, and only there.
    #[test]
    fn a_change_is_reported_where_it_is(
        value in template_with_resources(),
        pick in any::<prop::sample::Index>(),
        how in 0_u8..3,
    ) {
        let resources = value.get("Resources").and_then(Value::as_object).cloned().unwrap_or_default();
        let ids: Vec<&String> = resources.keys().collect();
        let id = ids[pick.index(ids.len())].clone();
        let mut changed = value.clone();
        let resource = changed.pointer_mut(&format!("/Resources/{id}")).unwrap();
        let expected = match how {
            0 => {
                resource["Type"] = json!("AWS::Changed::Type1");
                vec![Difference { path: format!("Resources.{id}.Type"), kind: DifferenceKind::Changed }]
            }
            1 => {
                resource["UpdateReplacePolicy"] = json!("Retain");
                let path = format!("Resources.{id}.UpdateReplacePolicy");
                vec![Difference { path, kind: DifferenceKind::OnlyInArtifact }]
            }
            _ => {
                changed["Resources"].as_object_mut().unwrap().remove(&id);
                vec![Difference { path: format!("Resources.{id}"), kind: DifferenceKind::OnlyInStack }]
            }
        };
        let differences = parse(&value.to_string()).differences(&parse(&changed.to_string()));
        prop_assert_eq!(differences, expected);
    }

    /// One template written as compact, pretty or reordered JSON and as YAML with or without short-form tags is one
    /// template with one fingerprint.
    #[test]
    fn json_and_yaml_forms_are_one_template(value in template_value(), seed in any::<u64>()) {
        let compact = serde_json::to_string(&value).unwrap();
        let template = parse(&compact);
        let mut reordered = String::from(["", " ", "\n"][(seed % 3) as usize]);
        json_reordered(&value, &mut Choices::new(seed), &mut reordered);
        let bodies = [
            serde_json::to_string_pretty(&value).unwrap(),
            reordered,
            yaml_body(&value, None),
            yaml_body(&value, Some(Choices::new(seed))),
            yaml_body(&value, Some(Choices::new(!seed))),
        ];
        for body in &bodies {
            assert_same(&template, &parse(body), (&compact, body));
        }
    }
}

/// The expansion model above agrees with the guard on the plans its unit tests pin: 480 copies of a 999-item list
/// are accepted (the guard's unit test parses them), 520 refused.
#[test]
fn the_expansion_model_matches_the_guard_at_its_edges() {
    let within = AliasPlan { base_items: 999, item_len: 1, fan_outs: vec![], copies: 480, mappings: false };
    assert!(within.expansion().values < DOCUMENTED_MAX_VALUES);
    let beyond = AliasPlan { base_items: 999, item_len: 1, fan_outs: vec![], copies: 520, mappings: false };
    assert!(beyond.expansion().values > DOCUMENTED_MAX_VALUES);
    assert!(Template::parse(&beyond.body()).is_err());
}
