//! Reads an artifact's template from the URL it was created from: one plain-HTTP GET (moto's S3 on loopback serves
//! path-style URLs such as `http://127.0.0.1:5000/bucket/template.yaml`). There is no TLS on purpose, so an `https`
//! URL (a real S3 bucket) is refused rather than fetched from the internet.

use std::time::Duration;

use cfn_template::MAX_TEMPLATE_BYTES;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::Uri;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FetchError {
    #[error("'{0}' is not a plain http:// URL (the emulator fetches templates without TLS)")]
    UnsupportedUrl(String),
    #[error("GET {url} failed: {reason}")]
    Failed { url: String, reason: String },
    #[error("GET {url} answered HTTP {status}")]
    Status { url: String, status: u16 },
}

pub async fn fetch_text(url: &str) -> Result<String, FetchError> {
    match tokio::time::timeout(FETCH_TIMEOUT, fetch(url)).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::Failed { url: url.to_owned(), reason: "timed out".to_owned() }),
    }
}

async fn fetch(url: &str) -> Result<String, FetchError> {
    let uri: Uri = url.parse().map_err(|_| FetchError::UnsupportedUrl(url.to_owned()))?;
    if uri.scheme_str() != Some("http") {
        return Err(FetchError::UnsupportedUrl(url.to_owned()));
    }
    let host = uri.host().ok_or_else(|| FetchError::UnsupportedUrl(url.to_owned()))?;
    let port = uri.port_u16().unwrap_or(80);
    let failed = |reason: String| FetchError::Failed { url: url.to_owned(), reason };

    let stream = TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port))
        .await
        .map_err(|error| failed(error.to_string()))?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|error| failed(error.to_string()))?;
    let driver = tokio::spawn(connection);

    let authority = uri.authority().map(|authority| authority.as_str().to_owned()).unwrap_or_else(|| host.to_owned());
    let path = uri.path_and_query().map(|path| path.as_str()).unwrap_or("/");
    let request = hyper::Request::get(path)
        .header(hyper::header::HOST, authority)
        .body(Empty::<Bytes>::new())
        .map_err(|error| failed(error.to_string()))?;
    let response = sender.send_request(request).await.map_err(|error| failed(error.to_string()))?;
    let status = response.status().as_u16();
    // The comparison refuses a larger body (CloudFormation's own limit for a template in S3), so reading stops there.
    let body = Limited::new(response.into_body(), MAX_TEMPLATE_BYTES)
        .collect()
        .await
        .map_err(|error| failed(error.to_string()))?
        .to_bytes();
    driver.abort();
    if !(200..300).contains(&status) {
        return Err(FetchError::Status { url: url.to_owned(), status });
    }
    String::from_utf8(body.to_vec()).map_err(|_| failed("the body is not UTF-8".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_https_url_is_refused_without_a_connection() {
        let error = fetch_text("https://bucket.s3.amazonaws.com/template.yaml").await.expect_err("https");
        assert!(matches!(error, FetchError::UnsupportedUrl(_)), "{error}");
    }

    #[tokio::test]
    async fn a_closed_port_is_a_failed_fetch() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let error = fetch_text(&format!("http://127.0.0.1:{port}/bucket/t.yaml")).await.expect_err("closed");
        assert!(matches!(error, FetchError::Failed { .. }), "{error}");
    }
}
