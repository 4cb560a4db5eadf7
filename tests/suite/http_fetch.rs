//! `HttpTemplateFetcher` against a one-connection HTTP/1.1 server on 127.0.0.1: statuses, size cap, encoding, schemes,
//! transport failures, the allow-list, redirects, and that a pre-signed URL's credentials never reach an error
//! message.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio::time::timeout;

use sc_stack_importer::aws::HttpTemplateFetcher;
use sc_stack_importer::aws::http::MAX_TEMPLATE_BYTES;
use sc_stack_importer::ports::{FetchError, TemplateFetcher};
use sc_stack_importer::url_allow::UrlAllowList;

const TEMPLATE: &str = "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n";

/// Beyond this, a test server stops writing: a fetcher that reads everything would see an incomplete body, not the cap.
const ENDLESS_BODY_LIMIT: u64 = 64 * 1024 * 1024;

/// What the test server answers on its one connection.
enum Reply {
    /// These bytes, as they are, then close.
    Raw(Vec<u8>),
    /// A chunked body that never ends (until the client goes away or `ENDLESS_BODY_LIMIT`).
    EndlessChunked,
}

/// What the server saw and did.
#[derive(Debug)]
struct Served {
    /// `GET /path?query HTTP/1.1`
    request_line: String,
    /// Body bytes the kernel accepted before the client went away.
    body_bytes_written: u64,
}

/// Starts a server on 127.0.0.1:0 that answers exactly one connection; returns its base URL (`http://127.0.0.1:port`).
async fn serve_once(reply: Reply) -> (String, JoinHandle<Served>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let request_line = read_request_head(&mut stream).await;
        let body_bytes_written = match reply {
            Reply::Raw(bytes) => {
                // The client may hang up early (that is what some tests check): a failed write is not a failure here.
                let _ = stream.write_all(&bytes).await;
                let _ = stream.shutdown().await;
                bytes.len() as u64
            }
            Reply::EndlessChunked => write_endless_chunked(&mut stream).await,
        };
        Served { request_line, body_bytes_written }
    });
    (base, server)
}

/// Reads up to the blank line that ends the request head (a GET has no body) and returns the request line.
async fn read_request_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        let read = stream.read(&mut buffer).await.unwrap();
        assert!(read > 0, "the client closed before finishing its request");
        head.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_owned()
}

async fn write_endless_chunked(stream: &mut TcpStream) -> u64 {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() {
        return 0;
    }
    let chunk = vec![b'a'; 64 * 1024];
    let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
    framed.extend_from_slice(&chunk);
    framed.extend_from_slice(b"\r\n");
    let mut written = 0u64;
    while written < ENDLESS_BODY_LIMIT {
        if stream.write_all(&framed).await.is_err() {
            break;
        }
        written += chunk.len() as u64;
    }
    written
}

/// A complete HTTP/1.1 response with `Content-Length` and `Connection: close`.
fn response(status: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Allowed: the test servers on 127.0.0.1, any port. Not allowed: everything else, 127.0.0.2 included.
fn fetcher() -> HttpTemplateFetcher {
    HttpTemplateFetcher::new(UrlAllowList::parse("http://127.0.0.1:*").unwrap()).unwrap()
}

/// Fetches with a bound: a fetcher that hangs fails the test instead of stalling it.
async fn fetch(url: &str) -> Result<String, FetchError> {
    timeout(Duration::from_secs(30), fetcher().fetch(url)).await.expect("the fetch ends")
}

async fn served(server: JoinHandle<Served>) -> Served {
    timeout(Duration::from_secs(30), server).await.expect("the server finishes").unwrap()
}

/// A port nothing listens on: bound by us a moment ago, then released.
async fn dead_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_200_gives_the_body_and_the_whole_url_is_requested() {
    // GIVEN a pre-signed URL whose object exists
    let (base, server) = serve_once(Reply::Raw(response("200 OK", TEMPLATE.as_bytes()))).await;
    // WHEN it is fetched
    let template = fetch(&format!("{base}/templates/app.yaml?X-Amz-Signature=abc&X-Amz-Expires=900")).await;
    // THEN the body comes back as it is, and the query (the signature) was sent with the request
    assert_eq!(template, Ok(TEMPLATE.to_owned()));
    assert_eq!(
        served(server).await.request_line,
        "GET /templates/app.yaml?X-Amz-Signature=abc&X-Amz-Expires=900 HTTP/1.1"
    );
}

#[tokio::test]
async fn a_missing_object_is_not_worth_retrying() {
    for status in ["404 Not Found", "410 Gone"] {
        let (base, _server) = serve_once(Reply::Raw(response(status, b"<Error><Code>NoSuchKey</Code></Error>"))).await;

        let error = fetch(&format!("{base}/templates/app.yaml")).await.unwrap_err();

        assert!(!error.retryable, "{status}: {error}");
        assert!(error.message.contains(&status[..3]), "{status}: {error}");
    }
}

#[tokio::test]
async fn a_server_error_or_a_refused_url_is_worth_retrying() {
    // 403: an expired pre-signed URL, which a fresh DescribeProvisioningArtifact replaces
    for status in ["500 Internal Server Error", "503 Service Unavailable", "403 Forbidden"] {
        let (base, _server) = serve_once(Reply::Raw(response(status, b"<Error/>"))).await;

        let error = fetch(&format!("{base}/templates/app.yaml")).await.unwrap_err();

        assert!(error.retryable, "{status}: {error}");
        assert!(error.message.contains(&status[..3]), "{status}: {error}");
    }
}

#[tokio::test]
async fn a_template_of_exactly_the_cap_is_read() {
    let body = vec![b'a'; MAX_TEMPLATE_BYTES];
    let (base, _server) = serve_once(Reply::Raw(response("200 OK", &body))).await;

    let template = fetch(&format!("{base}/t.yaml")).await.unwrap();

    assert_eq!(template.len(), MAX_TEMPLATE_BYTES);
}

// ---------------------------------------------------------------------------------------------------------------
// Size cap
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_declared_length_over_the_cap_is_refused_before_reading_the_body() {
    // GIVEN a server that announces one byte more than the cap but sends only a few
    let mut reply = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        MAX_TEMPLATE_BYTES + 1
    )
    .into_bytes();
    reply.extend_from_slice(b"Resources:");
    let (base, _server) = serve_once(Reply::Raw(reply)).await;
    // WHEN it is fetched
    let error = fetch(&format!("{base}/t.yaml")).await.unwrap_err();
    // THEN the announced size alone refuses it (reading would have failed on the short body instead)
    assert!(error.message.contains("larger than"), "{error}");
    assert!(!error.retryable, "{error}");
}

#[tokio::test]
async fn an_undeclared_body_over_the_cap_is_refused() {
    // GIVEN a body with no Content-Length, delimited by the connection closing, one byte over the cap
    let mut reply = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n".to_vec();
    reply.extend(std::iter::repeat_n(b'a', MAX_TEMPLATE_BYTES + 1));
    let (base, _server) = serve_once(Reply::Raw(reply)).await;

    let error = fetch(&format!("{base}/t.yaml")).await.unwrap_err();

    assert!(error.message.contains("larger than"), "{error}");
    assert!(!error.retryable, "{error}");
}

#[tokio::test]
async fn an_endless_chunked_body_is_cut_off_at_the_cap_not_read_to_the_end() {
    // GIVEN a server streaming a chunked body that never ends
    let (base, server) = serve_once(Reply::EndlessChunked).await;
    // WHEN it is fetched
    let error = fetch(&format!("{base}/t.yaml")).await.unwrap_err();
    // THEN the fetcher stops at the cap and hangs up: the server could write little more than the cap plus what the
    // socket buffers hold, far from the whole stream
    assert!(error.message.contains("larger than"), "{error}");
    assert!(!error.retryable, "{error}");
    let served = served(server).await;
    assert!(served.body_bytes_written < ENDLESS_BODY_LIMIT / 2, "{served:?}");
}

// ---------------------------------------------------------------------------------------------------------------
// Content and URLs
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_body_that_is_not_utf8_is_refused() {
    let (base, _server) = serve_once(Reply::Raw(response("200 OK", &[b'{', 0xff, 0xfe, b'}']))).await;

    let error = fetch(&format!("{base}/t.json")).await.unwrap_err();

    assert!(error.message.contains("UTF-8"), "{error}");
    assert!(!error.retryable, "{error}");
}

#[tokio::test]
async fn a_url_that_is_not_http_is_refused_without_any_request() {
    // GIVEN a listener that would see any connection attempt
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    for url in [
        "file:///etc/passwd".to_owned(),
        format!("ftp://{address}/template.yaml"),
        format!("gopher://{address}/template.yaml"),
        "not a url".to_owned(),
        String::new(),
    ] {
        // WHEN it is fetched
        let error = fetch(&url).await.unwrap_err();
        // THEN it fails for good, before any connection
        assert!(!error.retryable, "{url:?}: {error}");
    }
    let connection = timeout(Duration::from_millis(200), listener.accept()).await;
    assert!(connection.is_err(), "a request was made: {connection:?}");
}

#[tokio::test]
async fn a_refused_connection_is_worth_retrying() {
    let port = dead_port().await;

    let error = fetch(&format!("http://127.0.0.1:{port}/t.yaml")).await.unwrap_err();

    assert!(error.retryable, "{error}");
    assert!(error.message.contains("127.0.0.1"), "{error}");
}

// ---------------------------------------------------------------------------------------------------------------
// Pre-signed URL credentials stay out of errors
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_failed_status_does_not_reveal_the_query_string() {
    let (base, _server) =
        serve_once(Reply::Raw(response("403 Forbidden", b"<Error><Code>AccessDenied</Code></Error>"))).await;

    let error = fetch(&format!("{base}/t.yaml?X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=secret")).await.unwrap_err();

    assert!(error.message.contains("/t.yaml"), "{error}");
    for shown in [error.message.clone(), error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains("secret"), "{shown}");
        assert!(!shown.contains("AKIDEXAMPLE"), "{shown}");
    }
}

#[tokio::test]
async fn a_transport_failure_does_not_reveal_the_query_string() {
    let port = dead_port().await;

    let error = fetch(&format!("http://127.0.0.1:{port}/t.yaml?X-Amz-Credential=AKIDEXAMPLE&X-Amz-Signature=secret"))
        .await
        .unwrap_err();

    for shown in [error.message.clone(), error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains("secret"), "{shown}");
        assert!(!shown.contains("AKIDEXAMPLE"), "{shown}");
    }
}

#[tokio::test]
async fn an_oversize_or_garbled_answer_does_not_reveal_the_query_string() {
    let (base, _server) = serve_once(Reply::Raw(response("200 OK", &[0xff, 0xfe]))).await;
    let garbled = fetch(&format!("{base}/t.yaml?X-Amz-Signature=secret")).await.unwrap_err();
    let (base, _server) = serve_once(Reply::EndlessChunked).await;
    let oversize = fetch(&format!("{base}/t.yaml?X-Amz-Signature=secret")).await.unwrap_err();
    let refused_scheme = fetch("ftp://127.0.0.1/t.yaml?X-Amz-Signature=secret").await.unwrap_err();

    for error in [garbled, oversize, refused_scheme] {
        assert!(!error.message.contains("secret"), "{error}");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Where a template may come from
// ---------------------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_host_nobody_allowed_is_never_requested() {
    // GIVEN a server on 127.0.0.2, a host that stands for "a host nobody allowed" (the allow-list names 127.0.0.1)
    let listener = TcpListener::bind("127.0.0.2:0").await.unwrap();
    let url = format!("http://{}/templates/app.yaml?X-Amz-Signature=abc", listener.local_addr().unwrap());
    // WHEN the fetcher is asked for its URL
    let error = fetch(&url).await.unwrap_err();
    // THEN it is refused as not allowed, names the allow-list, keeps the query out, and nothing connected
    assert!(error.refused && !error.retryable, "{error:?}");
    assert!(error.message.contains("TEMPLATE_URL_ALLOW") && error.message.contains("http://127.0.0.1:*"), "{error}");
    assert!(!error.message.contains("X-Amz-Signature"), "{error}");
    let accepted = timeout(Duration::from_millis(300), listener.accept()).await;
    assert!(accepted.is_err(), "the refused host was connected to");
}

#[tokio::test]
async fn https_is_not_allowed_where_only_http_is() {
    let error = fetch("https://127.0.0.1:9/templates/app.yaml").await.unwrap_err();
    assert!(error.refused, "{error:?}");
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    // GIVEN an allowed URL that redirects to a host nobody allowed
    let redirect = b"HTTP/1.1 302 Found\r\nlocation: http://127.0.0.2:9/elsewhere\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
    let (base, server) = serve_once(Reply::Raw(redirect.to_vec())).await;
    // WHEN it is fetched
    let error = fetch(&format!("{base}/templates/app.yaml")).await.unwrap_err();
    // THEN the redirect is the answer, final, and only the allowed URL was requested
    assert!(!error.retryable && !error.refused, "{error:?}");
    assert!(error.message.contains("302") && error.message.contains("redirects are not followed"), "{error}");
    assert_eq!(served(server).await.request_line, "GET /templates/app.yaml HTTP/1.1");
}
