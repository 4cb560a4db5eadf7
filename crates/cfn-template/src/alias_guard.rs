//! The bound on YAML alias expansion: a body's aliases are counted on a probe copy, where nothing is expanded,
//! before serde_norway is allowed to expand them.

use std::collections::HashMap;

use serde_norway::Value as Yaml;

use crate::alias_probe::{alias_name, anchor_name, may_contain_alias, probe_copy};
use crate::error::TemplateParseError;
use crate::limits::MAX_TEMPLATE_BYTES;

/// serde_norway expands every YAML alias by copying its anchored node, and its own repetition limit (100 alias jumps
/// per event) stops exponential "billion laughs" documents but not wide ones: a 15 KB body of one 3,000-item anchor
/// aliased 3,000 times builds 9 million values. A 1 MiB body without aliases holds at most about 500,000 values
/// (`[0,0,0,…]`), so aliases may expand a template to that size and no further.
const MAX_EXPANDED_VALUES: u64 = 500_000;

/// Counting values alone lets a long string through: one 500 KB anchored string aliased 170,000 times fits in a
/// 1 MiB body and would expand to 85 GB. A body without aliases holds at most 1 MiB of text, so aliases may expand
/// a template's text to that size and no further.
const MAX_EXPANDED_TEXT_BYTES: u64 = MAX_TEMPLATE_BYTES as u64;

/// Refuses a YAML body whose aliases would expand past [`MAX_EXPANDED_VALUES`] values or
/// [`MAX_EXPANDED_TEXT_BYTES`] bytes of text, or that serde_norway would resolve wrongly. It must run before
/// serde_norway reads the body itself, since that read expands every alias.
pub(crate) fn check(body: &str) -> Result<(), TemplateParseError> {
    if may_contain_alias(body) { check_alias_expansion(body) } else { Ok(()) }
}

/// CloudFormation refuses templates with YAML aliases ("YAML aliases are not allowed in CloudFormation templates"),
/// so a real stack never has one; they are still resolved, but only after a probe proves the expansion small. The
/// probe parses a copy in which each alias is a plain string and each anchor a tag, so nothing is expanded, then
/// adds up what each alias would copy.
fn check_alias_expansion(body: &str) -> Result<(), TemplateParseError> {
    let probe: Yaml = serde_norway::from_str(&probe_copy(body)?).map_err(|error| TemplateParseError::yaml(&error))?;
    let mut expansion = AliasExpansion::default();
    let expanded = expansion.size(&probe)?;
    if expansion.aliases == 0 {
        return Ok(());
    }
    if let Some(name) = expansion.redefined {
        return Err(TemplateParseError::new(format!("template's YAML anchor &{name} is defined more than once")));
    }
    if expanded.values > MAX_EXPANDED_VALUES {
        return Err(TemplateParseError::new(format!(
            "template's YAML aliases expand to more than {MAX_EXPANDED_VALUES} values"
        )));
    }
    if expanded.text_bytes > MAX_EXPANDED_TEXT_BYTES {
        return Err(TemplateParseError::new(format!(
            "template's YAML aliases expand to more than {MAX_EXPANDED_TEXT_BYTES} bytes of text"
        )));
    }
    Ok(())
}

/// What a node expands to: how many values, and how many bytes of text in its strings and keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Footprint {
    values: u64,
    text_bytes: u64,
}

impl Footprint {
    fn scalar(text_bytes: usize) -> Self {
        Footprint { values: 1, text_bytes: u64::try_from(text_bytes).unwrap_or(u64::MAX) }
    }

    fn plus(self, other: Footprint) -> Self {
        Footprint {
            values: self.values.saturating_add(other.values),
            text_bytes: self.text_bytes.saturating_add(other.text_bytes),
        }
    }

    /// The node as a whole: a list, a mapping, or a tag around a value is one more value.
    fn plus_one_value(self) -> Self {
        self.plus(Footprint { values: 1, text_bytes: 0 })
    }
}

/// Counts the values and text serde_norway would build from the original body. An alias refers to the anchor of its
/// name before it; one inside that anchor's own node would recurse. YAML lets a later anchor reuse a name, but
/// serde_norway 0.9 numbers anchors by how many distinct names it has seen, so a reused name shares its number with
/// the next new anchor and its aliases can resolve to that later node: a document with aliases must not reuse one.
#[derive(Default)]
struct AliasExpansion {
    /// Anchor name → its node's footprint, or `None` while the node is still being read.
    anchors: HashMap<String, Option<Footprint>>,
    aliases: usize,
    redefined: Option<String>,
}

impl AliasExpansion {
    fn size(&mut self, node: &Yaml) -> Result<Footprint, TemplateParseError> {
        match node {
            Yaml::String(text) => match alias_name(text) {
                Some(name) => {
                    self.aliases += 1;
                    match self.anchors.get(name) {
                        Some(Some(footprint)) => Ok(*footprint),
                        Some(None) => Err(TemplateParseError::new(format!(
                            "template's YAML alias *{name} is inside its own anchor"
                        ))),
                        None => Err(TemplateParseError::new(format!(
                            "template's YAML alias *{name} has no anchor before it"
                        ))),
                    }
                }
                None => Ok(Footprint::scalar(text.len())),
            },
            Yaml::Sequence(items) => {
                let start = Footprint::default().plus_one_value();
                items.iter().try_fold(start, |total, item| Ok(total.plus(self.size(item)?)))
            }
            Yaml::Mapping(entries) => {
                let start = Footprint::default().plus_one_value();
                entries
                    .iter()
                    .try_fold(start, |total, (key, value)| Ok(total.plus(self.size(key)?).plus(self.size(value)?)))
            }
            Yaml::Tagged(tagged) => {
                let shown = tagged.tag.to_string();
                let anchor = anchor_name(&shown);
                // A blanked tag wrapped the node in the original, and any other tag wraps it here: one more value.
                match anchor {
                    Some(name) => {
                        if self.anchors.insert(name.to_owned(), None).is_some() && self.redefined.is_none() {
                            self.redefined = Some(name.to_owned());
                        }
                        let footprint = self.size(&tagged.value)?.plus_one_value();
                        self.anchors.insert(name.to_owned(), Some(footprint));
                        Ok(footprint)
                    }
                    None => Ok(self.size(&tagged.value)?.plus_one_value()),
                }
            }
            // Canonical form writes these as short strings ("true", "80"); their text is not worth counting.
            Yaml::Null | Yaml::Bool(_) | Yaml::Number(_) => Ok(Footprint::scalar(0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Template;
    use crate::test_support::{parse_error, same};
    use serde_json::Value;
    use std::time::{Duration, Instant};

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
    fn a_long_string_aliased_many_times_is_refused() {
        // Some twenty values but about 2 MiB of text; 900 KiB (eight copies and the anchor) is within the limit.
        let text = "x".repeat(100 * 1024);
        let aliases = ["*a"; 20].join(",");
        let error = parse_error(&format!("Metadata: {{A: &a {text}, B: [{aliases}]}}"));
        assert_eq!(error.to_string(), "template's YAML aliases expand to more than 1048576 bytes of text");
        let aliases = ["*a"; 8].join(",");
        assert!(Template::parse(&format!("Metadata: {{A: &a {text}, B: [{aliases}]}}")).is_ok());
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
}
