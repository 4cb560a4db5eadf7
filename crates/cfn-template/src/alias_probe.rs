//! The probe copy of a YAML body: each alias rewritten as a plain string and each anchor as a tag, so that parsing
//! the copy expands nothing and the alias guard can count what the real parse would build.

use crate::error::TemplateParseError;

/// Stands in for `*` before an alias name in the probe copy of a YAML body, so the probe parses each alias as a
/// plain string instead of expanding it. A private-use code point: no template needs it.
const PROBE_ALIAS: char = '\u{E000}';

/// Stands in for `&` before an anchor name in the probe copy: a YAML tag survives parsing, an anchor does not.
/// A body that uses it is refused with an error naming it, so the spelling it had in sc-stack-importer is kept.
const PROBE_ANCHOR_TAG: &str = "sc-stack-importer-anchor:";

/// Any `*name` where libyaml could start an alias sends the body through the alias check, which then tells real
/// aliases from text that merely looks like one.
pub(crate) fn may_contain_alias(body: &str) -> bool {
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

/// The body with `*name` as `<PROBE_ALIAS>name` and `&name` as `!<PROBE_ANCHOR_TAG>name`. A node may carry a tag and
/// an anchor but not two tags, so a tag beside an anchor is blanked out. Strings may be altered too; the probe is
/// only counted, never compared. A body that already uses the anchor tag is refused.
pub(crate) fn probe_copy(body: &str) -> Result<String, TemplateParseError> {
    if body.contains(PROBE_ANCHOR_TAG) {
        // A template could forge a small "anchor" with this tag and hide a large real one behind it.
        return Err(TemplateParseError::new(format!("template uses the reserved YAML tag !{PROBE_ANCHOR_TAG}")));
    }
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
    Ok(copy)
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

/// The alias name a probe string stands for, if it stands for one.
pub(crate) fn alias_name(text: &str) -> Option<&str> {
    let name = text.strip_prefix(PROBE_ALIAS)?;
    (!name.is_empty() && name.bytes().all(is_anchor_byte)).then_some(name)
}

/// The anchor name a probe tag stands for, if it stands for one; `shown` is the tag as serde_norway displays it.
pub(crate) fn anchor_name(shown: &str) -> Option<&str> {
    shown.strip_prefix('!').unwrap_or(shown).strip_prefix(PROBE_ANCHOR_TAG)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(body: &str) -> String {
        match probe_copy(body) {
            Ok(copy) => copy,
            Err(error) => panic!("expected a probe copy, got: {error}"),
        }
    }

    #[test]
    fn anchors_become_tags_and_aliases_plain_strings() {
        assert_eq!(probe("a: &x [1]\nb: *x"), "a: !sc-stack-importer-anchor:x  [1]\nb: \u{e000}x");
        assert_eq!(alias_name("\u{e000}x"), Some("x"));
        assert_eq!(anchor_name("!sc-stack-importer-anchor:x"), Some("x"));
    }

    #[test]
    fn a_tag_beside_an_anchor_is_blanked_on_either_side() {
        assert_eq!(probe("a: &x !Sub y"), "a: !sc-stack-importer-anchor:x       y");
        assert_eq!(probe("a: !Sub &x y"), "a:      !sc-stack-importer-anchor:x  y");
    }

    #[test]
    fn asterisks_inside_text_are_not_taken_for_aliases() {
        assert!(!may_contain_alias("b: '2*3'\nc: x*y\nd: '*'"));
        assert!(may_contain_alias("a: [*x]"));
        // After a colon, libyaml could start an alias (`{"a":*b}`), so the probe rewrites it; the rewritten text
        // does not start with the marker, so it is not counted as an alias.
        assert_eq!(probe("a: s3:*Object"), "a: s3:\u{e000}Object");
        assert_eq!(alias_name("s3:\u{e000}Object"), None);
    }

    #[test]
    fn a_body_using_the_probe_tag_is_refused() {
        let refused = probe_copy("a: !sc-stack-importer-anchor:x 1\nb: *x").map_err(|error| error.to_string());
        assert_eq!(refused, Err("template uses the reserved YAML tag !sc-stack-importer-anchor:".to_owned()));
    }
}
