//! Template URL adapter: reads an artifact's template with a plain GET of the URL Service Catalog returns (pre-signed
//! for S3), with a size cap and a timeout.

use std::time::Duration;

use crate::ports::{FetchError, TemplateFetcher};

/// Reading stops at the size the template parser refuses anyway (CloudFormation's 1 MB limit).
pub const MAX_TEMPLATE_BYTES: usize = cfn_template::MAX_TEMPLATE_BYTES;

#[derive(Debug, Clone)]
pub struct HttpTemplateFetcher {
    client: reqwest::Client,
}

impl HttpTemplateFetcher {
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()?;
        Ok(Self { client })
    }
}

impl TemplateFetcher for HttpTemplateFetcher {
    async fn fetch(&self, url: &str) -> Result<String, FetchError> {
        let parsed = reqwest::Url::parse(url)
            .map_err(|error| FetchError { message: format!("bad template URL: {error}"), retryable: false })?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(FetchError {
                message: format!("template URL scheme {} is not http(s)", parsed.scheme()),
                retryable: false,
            });
        }
        // Pre-signed URLs carry credentials in the query: log and report only scheme, host and path.
        let shown = format!("{}{}", parsed.origin().ascii_serialization(), parsed.path());
        let mut response =
            self.client.get(parsed).send().await.map_err(|error| FetchError {
                message: format!("GET {shown}: {}", without_url(error)),
                retryable: true,
            })?;
        let status = response.status();
        if !status.is_success() {
            // A missing object stays missing; anything else (an expired pre-signed URL, 5xx) may pass on retry,
            // which asks Service Catalog for a fresh URL.
            let retryable = !matches!(status.as_u16(), 404 | 410);
            return Err(FetchError { message: format!("GET {shown} answered {status}"), retryable });
        }
        if response.content_length().is_some_and(|length| length > MAX_TEMPLATE_BYTES as u64) {
            return Err(too_large(&shown));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| FetchError { message: format!("GET {shown}: {}", without_url(error)), retryable: true })?
        {
            if body.len() + chunk.len() > MAX_TEMPLATE_BYTES {
                return Err(too_large(&shown));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| FetchError {
            message: format!("GET {shown}: the template is not UTF-8 text"),
            retryable: false,
        })
    }
}

fn too_large(shown: &str) -> FetchError {
    FetchError {
        message: format!("GET {shown}: the template is larger than {MAX_TEMPLATE_BYTES} bytes"),
        retryable: false,
    }
}

/// The error and its causes (connection refused, timed out …), without the URL and its pre-signed query.
fn without_url(error: reqwest::Error) -> String {
    super::error::display_chain(&error.without_url())
}
