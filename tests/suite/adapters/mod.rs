//! The AWS adapters against `aws-smithy-mocks`: the exact requests each port call sends, and how each answer (and
//! each failure) comes back through the port. No network: every client answers from its rules, or (for the
//! per-account seam) from an in-memory HTTP connector.

mod accounts;
mod cloudformation;
mod dynamodb;
mod members;
mod publishers;
mod servicecatalog;
mod sqs;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;
use aws_smithy_types::retry::RetryConfig;

use sc_stack_importer::stack::StackArn;

const ARN: &str =
    "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/5b5e8a40-9f7c-11ef-8f3a-0affd3a1b2c3";

fn stack_arn() -> StackArn {
    StackArn::parse(ARN).unwrap()
}

/// The inputs a rule was asked to answer, in order: `mock!(..).match_requests(sent.recorder())` records every call
/// (once per operation call, not once per retry attempt).
struct Sent<I>(Arc<Mutex<Vec<I>>>);

impl<I: Clone + Send + Sync + 'static> Sent<I> {
    fn new() -> Self {
        Self(Arc::new(Mutex::new(Vec::new())))
    }

    fn recorder(&self) -> impl Fn(&I) -> bool + Send + Sync + 'static {
        let sent = Arc::clone(&self.0);
        move |input: &I| {
            sent.lock().unwrap().push(input.clone());
            true
        }
    }

    fn all(&self) -> Vec<I> {
        self.0.lock().unwrap().clone()
    }

    fn only(&self) -> I {
        let all = self.all();
        assert_eq!(all.len(), 1, "expected exactly one request");
        all.into_iter().next().unwrap()
    }
}

/// Three attempts, 1 ms apart: the SDK's standard retry behaviour without the test waiting seconds for it.
fn fast_retries() -> RetryConfig {
    RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(1))
}

/// A generic (unmodeled) service error, as the SDK builds it from a response whose code it does not model; also the
/// metadata of a modeled one.
fn metadata(code: &str, message: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message(message).build()
}

/// A raw HTTP answer: the SDK's own deserializer and retry classifiers see it exactly as from the wire.
fn http_response(status: u16, content_type: &'static str, body: impl Into<String>) -> Response {
    let mut response = Response::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body.into()));
    response.headers_mut().insert("Content-Type", content_type);
    response
}

/// A CloudFormation (awsQuery) error document.
fn query_error(status: u16, code: &str, message: &str) -> Response {
    http_response(
        status,
        "text/xml",
        format!(
            "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>{message}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>"
        ),
    )
}

/// A Service Catalog (awsJson 1.1) error document.
fn json_error(status: u16, code: &str, message: &str) -> Response {
    let body = serde_json::json!({"__type": code, "Message": message});
    http_response(status, "application/x-amz-json-1.1", body.to_string())
}
