//! Identifiers shaped like the real service's: a prefix and 13 lowercase letters and digits (`prod-`, `pa-`, `pp-`,
//! `rec-`, `prodview-`).

const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const SUFFIX_LEN: usize = 13;

pub fn new_id(prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + SUFFIX_LEN);
    id.push_str(prefix);
    for _ in 0..SUFFIX_LEN {
        id.push(char::from(ALPHABET[fastrand::usize(..ALPHABET.len())]));
    }
    id
}

/// A request id in the UUID layout the SDK logs (`x-amzn-RequestId`).
pub fn new_request_id() -> String {
    let hex = |count: usize| -> String {
        (0..count).map(|_| char::from(b"0123456789abcdef"[fastrand::usize(..16)])).collect()
    };
    format!("{}-{}-{}-{}-{}", hex(8), hex(4), hex(4), hex(4), hex(12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_its_prefix_and_thirteen_lowercase_alphanumerics() {
        let id = new_id("pp-");
        let suffix = id.strip_prefix("pp-").expect("prefix kept");
        assert_eq!(suffix.len(), 13);
        assert!(suffix.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit()), "{id}");
    }

    #[test]
    fn two_ids_differ() {
        assert_ne!(new_id("rec-"), new_id("rec-"));
    }

    #[test]
    fn a_request_id_has_the_uuid_layout() {
        let parts: Vec<usize> = new_request_id().split('-').map(str::len).collect();
        assert_eq!(parts, vec![8, 4, 4, 4, 12]);
    }
}
