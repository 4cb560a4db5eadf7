//! HTTP plumbing: a listener on 127.0.0.1 only, one hyper HTTP/1.1 connection task per client, and a graceful stop
//! that lets requests in flight finish. `POST /` is Service Catalog (held back by strict mode's latency);
//! `/_emulator/latency` is the emulator's own control endpoint, and `GET /_emulator/templates/<artifact id>` serves
//! the templates of artifacts made from stacks (never held back).

use std::convert::Infallible;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::{ErrorCode, ServiceError};
use crate::ids::new_request_id;
use crate::{Emulator, control, operations, template_urls, wire};

/// Far above any Service Catalog request this emulator accepts (they carry URLs, not templates).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// How long a stop waits for requests in flight (an import may be reading CloudFormation).
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// Binds 127.0.0.1:`port` (0: any free port). There is no way to listen elsewhere: this is a local dev tool without
/// authentication.
pub async fn bind_loopback(port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).await
}

/// Serves until `shutdown` completes, then stops accepting and drains open connections.
/// The emulator learns the address here, for the URLs of the templates it serves.
pub async fn serve(listener: TcpListener, emulator: Arc<Emulator>, shutdown: impl Future<Output = ()>) {
    match listener.local_addr() {
        Ok(address) => emulator.listening_on(address),
        Err(error) => tracing::warn!(%error, "the listener's address is unknown: template URLs name port 0"),
    }
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _peer)) => stream,
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        continue;
                    }
                };
                let emulator = Arc::clone(&emulator);
                let service = service_fn(move |request| {
                    let emulator = Arc::clone(&emulator);
                    async move { Ok::<_, Infallible>(respond(&emulator, request).await) }
                });
                let connection = graceful.watch(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after {DRAIN_TIMEOUT:?}; stopping anyway");
    }
}

/// A server running on its own task, for tests and embedding.
pub struct RunningServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningServer {
    /// Binds 127.0.0.1:`port` and serves `emulator` until `stop` is called or the handle is dropped.
    pub async fn start(emulator: Arc<Emulator>, port: u16) -> std::io::Result<Self> {
        let listener = bind_loopback(port).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, emulator, async move {
            let _ = stopped.await;
        }));
        Ok(Self { addr, stop: Some(stop), task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, the value for `AWS_ENDPOINT_URL_SERVICE_CATALOG`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn respond(emulator: &Emulator, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    if parts.uri.path() == control::LATENCY_PATH {
        let outcome = match parts.method {
            Method::GET => Ok(control::latency_table(emulator)),
            Method::POST => read_body(body).await.and_then(|body| control::set_latency(emulator, &body)),
            _ => Err(not_served(&parts.method, parts.uri.path(), "the control endpoint answers GET and POST")),
        };
        return answer(outcome, "-", control::LATENCY_PATH);
    }
    if let Some(artifact_id) = template_urls::artifact_id_in(parts.uri.path()) {
        return match parts.method {
            Method::GET => template_answer(control::kept_template(emulator, artifact_id)),
            _ => answer(
                Err(not_served(&parts.method, parts.uri.path(), "a template is read with GET")),
                "-",
                template_urls::TEMPLATES_PATH,
            ),
        };
    }

    let header = |name: &str| parts.headers.get(name).and_then(|value| value.to_str().ok());
    let target = header("x-amz-target").map(str::to_owned);
    // The account and region the request acts in, for the log: learned once the request is known to be an operation.
    let mut scope = String::from("-");
    let outcome = async {
        if parts.method != Method::POST || parts.uri.path() != "/" {
            return Err(not_served(&parts.method, parts.uri.path(), "Service Catalog answers POST / only"));
        }
        let operation = wire::operation_name(target.as_deref())?;
        let body = read_body(body).await?;
        let caller = emulator.caller(header("authorization"), header("x-amz-security-token")).await?;
        scope = caller.scope.to_string();
        operations::handle(emulator, operation, &body, &caller).await
    }
    .await;

    let operation = target.as_deref().and_then(|target| target.strip_prefix(wire::TARGET_PREFIX)).unwrap_or("-");
    // Strict mode's latency: the operation has run; only its answer is held back, as with a slow response.
    let delay = emulator.delays().of(operation);
    if !delay.is_zero() {
        tracing::debug!(operation, delay_ms = delay.as_millis() as u64, "holding the answer back");
        tokio::time::sleep(delay).await;
    }
    answer(outcome, &scope, operation)
}

fn not_served(method: &Method, path: &str, what: &str) -> ServiceError {
    ServiceError::new(ErrorCode::UnknownOperation, format!("{method} {path} is not served: {what}"))
}

async fn read_body(body: Incoming) -> Result<Bytes, ServiceError> {
    Ok(Limited::new(body, MAX_REQUEST_BYTES)
        .collect()
        .await
        .map_err(|error| ServiceError::new(ErrorCode::Serialization, format!("the request body: {error}")))?
        .to_bytes())
}

/// A kept template: its text with status 200, as a file server answers; an unknown one is a 404 with the error body.
fn template_answer(outcome: Result<String, ServiceError>) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match outcome {
        Ok(template) => (StatusCode::OK, "text/plain; charset=utf-8", template),
        Err(error) => {
            tracing::info!(error = error.code.type_name(), message = %error.message, "template: 404");
            (StatusCode::NOT_FOUND, wire::CONTENT_TYPE, wire::error_body(&error))
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    response
}

/// The HTTP answer: the JSON body with status 200, or the error body with the error's status; AWS JSON 1.1 headers.
/// `scope` is the caller's account and region, for the log.
fn answer(outcome: Result<serde_json::Value, ServiceError>, scope: &str, operation: &str) -> Response<Full<Bytes>> {
    let (status, body) = match outcome {
        Ok(answer) => {
            tracing::info!(operation, %scope, "200");
            (StatusCode::OK, answer.to_string())
        }
        Err(error) => {
            tracing::info!(operation, %scope, error = error.code.type_name(), message = %error.message, "{}", error.code.http_status());
            let status = StatusCode::from_u16(error.code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
            (status, wire::error_body(&error))
        }
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(wire::CONTENT_TYPE));
    if let Ok(request_id) = hyper::header::HeaderValue::from_str(&new_request_id()) {
        headers.insert("x-amzn-requestid", request_id);
    }
    response
}
