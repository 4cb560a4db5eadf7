//! `TEMPLATE_URL_ALLOW`: the only places an artifact template may be read from (docs/CONTRACT.md §6). A template URL
//! comes from Service Catalog, but whoever can create an artifact chooses it; without a bound the function would GET
//! any host it can reach, the link-local metadata address included.

use std::fmt;

use crate::text::{glob_matches, truncate};

/// Service Catalog hands out pre-signed S3 URLs for artifact templates.
pub const DEFAULT_ALLOW: &str = "https://*.amazonaws.com,https://*.amazonaws.com.cn";

/// Comma-separated `scheme://host[:port]` patterns; `*` in the host matches any run of characters, a port of `*` any
/// port, and no port the scheme's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlAllowList(Vec<UrlPattern>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct UrlPattern {
    scheme: String,
    /// Lower case: host names compare case-insensitively.
    host: String,
    /// `None`: any port (a pattern without a port means the scheme's default, resolved when parsed).
    port: Option<u16>,
}

impl UrlAllowList {
    pub fn parse(list: &str) -> Result<Self, String> {
        let patterns: Vec<UrlPattern> = list
            .split(',')
            .map(str::trim)
            .filter(|pattern| !pattern.is_empty())
            .map(UrlPattern::parse)
            .collect::<Result<_, _>>()?;
        if patterns.is_empty() {
            return Err("no pattern: give at least one scheme://host[:port]".into());
        }
        Ok(Self(patterns))
    }

    /// Whether a URL with this scheme, host and port (`None`: the scheme's default) may be requested.
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let scheme = scheme.to_ascii_lowercase();
        let Some(port) = port.or_else(|| default_port(&scheme)) else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        self.0.iter().any(|pattern| {
            pattern.scheme == scheme
                && glob_matches(&pattern.host, &host)
                && pattern.port.is_none_or(|wanted| wanted == port)
        })
    }
}

impl Default for UrlAllowList {
    fn default() -> Self {
        // The default list is a constant known to parse; the test below holds it to that.
        Self::parse(DEFAULT_ALLOW).unwrap_or(Self(Vec::new()))
    }
}

impl fmt::Display for UrlAllowList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let patterns: Vec<String> = self
            .0
            .iter()
            .map(|pattern| match pattern.port {
                Some(port) => format!("{}://{}:{port}", pattern.scheme, pattern.host),
                None => format!("{}://{}:*", pattern.scheme, pattern.host),
            })
            .collect();
        f.write_str(&patterns.join(","))
    }
}

impl UrlPattern {
    fn parse(raw: &str) -> Result<Self, String> {
        let refuse = |why: &str| format!("{:?} {why} (expected scheme://host[:port])", truncate(raw, 100));
        let (scheme, rest) = raw.split_once("://").ok_or_else(|| refuse("has no scheme"))?;
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https") {
            return Err(refuse("is not http or https"));
        }
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, "*")) => (host, Port::Any),
            Some((host, port)) => (host, Port::Exactly(port.parse().map_err(|_| refuse("has a bad port"))?)),
            None => (rest, Port::Default),
        };
        let host_ok =
            !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'*'));
        if !host_ok {
            return Err(refuse("has a bad host (letters, digits, '.', '-' and '*' only; no path)"));
        }
        let port = match port {
            Port::Any => None,
            Port::Exactly(port) => Some(port),
            Port::Default => default_port(&scheme),
        };
        Ok(Self { scheme, host: host.to_ascii_lowercase(), port })
    }
}

enum Port {
    Any,
    Exactly(u16),
    Default,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_allows_s3_over_https_only() {
        let allow = UrlAllowList::default();
        assert_eq!(allow.to_string(), "https://*.amazonaws.com:443,https://*.amazonaws.com.cn:443");
        assert!(allow.allows("https", "sc-templates.s3.us-east-1.amazonaws.com", None));
        assert!(allow.allows("https", "bucket.s3.cn-north-1.amazonaws.com.cn", Some(443)));
        assert!(allow.allows("HTTPS", "Bucket.S3.AmazonAWS.com", None), "host names are case-insensitive");
        assert!(!allow.allows("http", "bucket.s3.amazonaws.com", None), "no plain HTTP");
        assert!(!allow.allows("https", "bucket.s3.amazonaws.com", Some(8443)), "the default port only");
        assert!(!allow.allows("https", "amazonaws.com.evil.example", None));
        assert!(!allow.allows("http", "169.254.169.254", None), "not the metadata address");
        assert!(!allow.allows("http", "127.0.0.1", Some(80)));
    }

    #[test]
    fn a_star_port_allows_any_port_and_an_explicit_one_only_itself() {
        let allow = UrlAllowList::parse("http://127.0.0.1:*, https://templates.example:8443").unwrap();
        assert!(allow.allows("http", "127.0.0.1", Some(49152)));
        assert!(allow.allows("http", "127.0.0.1", None));
        assert!(!allow.allows("http", "127.0.0.2", Some(49152)), "another loopback host is another host");
        assert!(allow.allows("https", "templates.example", Some(8443)));
        assert!(!allow.allows("https", "templates.example", None));
        assert_eq!(allow.to_string(), "http://127.0.0.1:*,https://templates.example:8443");
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in
            ["", " , ", "127.0.0.1", "ftp://x", "https://", "https://host/path", "https://host:port", "https://a b"]
        {
            assert!(UrlAllowList::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
