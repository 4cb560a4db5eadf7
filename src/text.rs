//! Text helpers: cutting what goes into messages and published fields to a size without splitting a character, and
//! the shell-style globs of routing rules and URL allow-lists.

/// Cuts a string to `max_chars` characters, marking the cut with `…`.
pub fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((index, _)) => format!("{}…", &text[..index]),
        None => text.to_owned(),
    }
}

/// Shell-style glob over the whole text: `*` any run (also empty), `?` exactly one character; case-sensitive.
/// 64 hex digits of SHA-256 over the parts, each length-prefixed so that no two lists of parts collide: outcome ids,
/// queue deduplication ids and cursor bindings are all made with it.
pub fn digest(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it currently stands for up to: linear backtracking.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_never_splits_a_character() {
        assert_eq!(truncate("ééé", 2), "éé…");
        assert_eq!(truncate("ab", 5), "ab");
    }

    #[test]
    fn globs_match_whole_names() {
        assert!(glob_matches("payments-*", "payments-api"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("a?c", "abc"));
        assert!(!glob_matches("a?c", "ac"));
        assert!(glob_matches("*-api-*", "x-api-y-api-z"));
        assert!(!glob_matches("payments", "payments-api"));
        assert!(!glob_matches("Payments-*", "payments-api"));
        assert!(glob_matches("a**b", "ab"));
    }

    #[test]
    fn a_pathological_glob_finishes_quickly() {
        let text = "a".repeat(2000);
        assert!(!glob_matches(&format!("{}b", "*a".repeat(50)), &text));
    }
}
