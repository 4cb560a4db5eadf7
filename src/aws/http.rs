//! Template URL adapter: reads an artifact's template with a plain GET of the URL Service Catalog returns (pre-signed
//! for S3) — only where `TEMPLATE_URL_ALLOW` allows, without following redirects, with a size cap and timeouts.

use std::time::Duration;

use crate::ports::{FetchError, TemplateFetcher};
use crate::url_allow::UrlAllowList;

/// Reading stops at the size the template parser refuses anyway (CloudFormation's 1 MB limit).
pub const MAX_TEMPLATE_BYTES: usize = cfn_template::MAX_TEMPLATE_BYTES;

#[derive(Debug, Clone)]
pub struct HttpTemplateFetcher {
    client: reqwest::Client,
    allow: UrlAllowList,
}

impl HttpTemplateFetcher {
    pub fn new(allow: UrlAllowList) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(15))
            // A redirect would lead to a host the allow-list never judged; pre-signed S3 URLs do not redirect.
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { client, allow })
    }
}

impl TemplateFetcher for HttpTemplateFetcher {
    async fn fetch(&self, url: &str) -> Result<String, FetchError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|error| FetchError::failed(format!("bad template URL: {error}"), false))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(FetchError::failed(format!("template URL scheme {} is not http(s)", parsed.scheme()), false));
        }
        // Pre-signed URLs carry credentials in the query: log and report only scheme, host and path.
        let shown = format!("{}{}", parsed.origin().ascii_serialization(), parsed.path());
        let host = parsed.host_str().unwrap_or_default();
        if !self.allow.allows(parsed.scheme(), host, parsed.port_or_known_default()) {
            return Err(FetchError::refused(format!(
                "template URL {} is not allowed by TEMPLATE_URL_ALLOW ({}); it was not requested",
                parsed.origin().ascii_serialization(),
                self.allow
            )));
        }
        let mut response = self
            .client
            .get(parsed)
            .send()
            .await
            .map_err(|error| FetchError::failed(format!("GET {shown}: {}", without_url(error)), true))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(FetchError::failed(
                format!("GET {shown} answered {status}; redirects are not followed"),
                false,
            ));
        }
        if !status.is_success() {
            // A missing object stays missing; anything else (an expired pre-signed URL, 5xx) may pass on retry,
            // which asks Service Catalog for a fresh URL.
            let retryable = !matches!(status.as_u16(), 404 | 410);
            return Err(FetchError::failed(format!("GET {shown} answered {status}"), retryable));
        }
        if response.content_length().is_some_and(|length| length > MAX_TEMPLATE_BYTES as u64) {
            return Err(too_large(&shown));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| FetchError::failed(format!("GET {shown}: {}", without_url(error)), true))?
        {
            if body.len() + chunk.len() > MAX_TEMPLATE_BYTES {
                return Err(too_large(&shown));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body)
            .map_err(|_| FetchError::failed(format!("GET {shown}: the template is not UTF-8 text"), false))
    }
}

fn too_large(shown: &str) -> FetchError {
    FetchError::failed(format!("GET {shown}: the template is larger than {MAX_TEMPLATE_BYTES} bytes"), false)
}

/// The error and its causes (connection refused, timed out …), without the URL and its pre-signed query.
fn without_url(error: reqwest::Error) -> String {
    super::error::display_chain(&error.without_url())
}
