//! Strict mode: the switches that make the emulator behave less kindly than by default, so that the function's
//! handling of eventual consistency, failed imports, reused tokens, refused template URLs and slow calls can be
//! tested. All are off by default, which is the emulator's original behaviour. The catalog's rules live in
//! `catalog::CatalogRules`; this module adds the template URL as answered and the per-operation answer delays.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::catalog::CatalogRules;

/// Every strict-mode switch, as the command line sets them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrictMode {
    /// Search lag, failed imports kept in ERROR, strict idempotency.
    pub rules: CatalogRules,
    /// Artifact answers report `Info.TemplateUrl` with `https://` in place of `http://`.
    pub https_template_urls: bool,
    /// How long each named operation holds back its answer.
    pub latency: BTreeMap<String, Duration>,
}

/// The template URL an artifact answer reports: as given at creation, or with `https://` in place of `http://` when
/// `https` is set. The emulator itself still fetches the URL as given.
pub fn reported_template_url(url: &str, https: bool) -> String {
    let plain = url.get(..7).filter(|scheme| scheme.eq_ignore_ascii_case("http://")).and(url.get(7..));
    match plain {
        Some(rest) if https => format!("https://{rest}"),
        _ => url.to_owned(),
    }
}

/// `OPERATION=MS`, as `--latency` takes it. Whether the operation exists is the caller's check.
pub fn parse_latency(text: &str) -> Result<(String, Duration), String> {
    let invalid = || format!("--latency '{text}' must be OPERATION=MS, e.g. SearchProvisionedProducts=8000");
    let (operation, millis) = text.split_once('=').ok_or_else(invalid)?;
    let millis: u64 = millis.trim().parse().map_err(|_| invalid())?;
    let operation = operation.trim();
    if operation.is_empty() {
        return Err(invalid());
    }
    Ok((operation.to_owned(), Duration::from_millis(millis)))
}

/// How long each operation holds back its answer: set from the command line, changed at run time through the
/// control endpoint. An operation without an entry answers at once.
#[derive(Debug, Default)]
pub struct OperationDelays {
    delays: Mutex<BTreeMap<String, Duration>>,
}

impl OperationDelays {
    pub fn new(initial: BTreeMap<String, Duration>) -> Self {
        let delays = initial.into_iter().filter(|(_, delay)| !delay.is_zero()).collect();
        Self { delays: Mutex::new(delays) }
    }

    /// The delay of `operation` (zero when none is set).
    pub fn of(&self, operation: &str) -> Duration {
        self.table().get(operation).copied().unwrap_or_default()
    }

    /// Sets the delay of `operation`; zero removes it.
    pub fn set(&self, operation: &str, delay: Duration) {
        let mut table = self.table();
        if delay.is_zero() {
            table.remove(operation);
        } else {
            table.insert(operation.to_owned(), delay);
        }
    }

    /// Every delay now set, by operation name.
    pub fn snapshot(&self) -> BTreeMap<String, Duration> {
        self.table().clone()
    }

    /// A panic while holding the lock cannot leave the table half-changed (each change is one insert or remove).
    fn table(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Duration>> {
        self.delays.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_http_url_is_rewritten_and_only_when_asked() {
        let url = "http://127.0.0.1:5000/templates/queue.yaml";
        assert_eq!(reported_template_url(url, false), url);
        assert_eq!(reported_template_url(url, true), "https://127.0.0.1:5000/templates/queue.yaml");
        assert_eq!(reported_template_url("HTTP://host/t.yaml", true), "https://host/t.yaml");
        let secure = "https://bucket.s3.amazonaws.com/t.yaml";
        assert_eq!(reported_template_url(secure, true), secure);
        assert_eq!(reported_template_url("ftp://x", true), "ftp://x");
        assert_eq!(reported_template_url("http:", true), "http:");
    }

    #[test]
    fn a_latency_is_an_operation_and_milliseconds() {
        assert_eq!(
            parse_latency("SearchProvisionedProducts=8000"),
            Ok(("SearchProvisionedProducts".to_owned(), Duration::from_secs(8)))
        );
        for bad in ["SearchProvisionedProducts", "=100", "DescribeRecord=soon", "DescribeRecord=-1"] {
            assert!(parse_latency(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn delays_are_set_read_and_removed_by_a_zero() {
        let delays = OperationDelays::new(BTreeMap::from([
            ("DescribeRecord".to_owned(), Duration::from_millis(5)),
            ("SearchProvisionedProducts".to_owned(), Duration::ZERO),
        ]));
        assert_eq!(delays.of("DescribeRecord"), Duration::from_millis(5));
        assert_eq!(delays.snapshot().len(), 1, "a zero delay is no entry");
        delays.set("SearchProvisionedProducts", Duration::from_secs(8));
        assert_eq!(delays.of("SearchProvisionedProducts"), Duration::from_secs(8));
        delays.set("DescribeRecord", Duration::ZERO);
        assert_eq!(delays.of("DescribeRecord"), Duration::ZERO);
        assert_eq!(delays.snapshot().keys().collect::<Vec<_>>(), ["SearchProvisionedProducts"]);
    }
}
