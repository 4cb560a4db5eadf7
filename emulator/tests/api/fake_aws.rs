//! A fake local AWS, as moto behaves for what the emulator asks of it, in the protocols the real SDK clients speak:
//! CloudFormation's awsQuery (`DescribeStacks`, `GetTemplate`), STS's awsQuery (`GetCallerIdentity`), and plain GETs
//! of template files like moto's S3.
//!
//! Like moto, it works out a request's account from the access key id in its SigV4 credential scope (a registered
//! key is its account's; any other key is the default account, 123456789012) and its region from the same scope,
//! and keeps stacks per account and region: a stack is found only by a request in the stack's account and region.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::support::{ACCOUNT, REGION};

/// The account of access keys the fake does not know: moto's default.
pub const DEFAULT_ACCOUNT: &str = "123456789012";

#[derive(Debug, Clone)]
pub struct FakeStack {
    pub arn: String,
    pub name: String,
    pub status: String,
    pub parent_id: Option<String>,
    pub template: String,
}

/// One request as the fake saw it: its `Action`, and the access key id and region it was signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    pub action: String,
    pub access_key_id: String,
    pub region: String,
    pub session_token: Option<String>,
}

#[derive(Debug, Default)]
struct FakeState {
    stacks: Vec<FakeStack>,
    files: HashMap<String, String>,
    calls: HashMap<String, usize>,
    signed: Vec<Signed>,
    /// The form parameters of every CloudFormation and STS call, in order.
    forms: Vec<HashMap<String, String>>,
    /// Access key id → account, as moto knows the keys it handed out (IAM users, AssumeRole).
    keys: HashMap<String, String>,
    /// Access keys STS refuses to describe.
    refused: Vec<String>,
}

/// CloudFormation, STS and S3, as far as the emulator reads them.
pub struct FakeAws {
    addr: SocketAddr,
    state: Arc<Mutex<FakeState>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeAws {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeAws {
    pub async fn start() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("bind fake aws");
        let addr = listener.local_addr().expect("fake aws addr");
        let state = Arc::new(Mutex::new(FakeState::default()));
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let state = Arc::clone(&shared);
                let service = service_fn(move |request| {
                    let state = Arc::clone(&state);
                    async move { Ok::<_, Infallible>(fake_aws_answer(&state, request).await) }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        Self { addr, state, task }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state.lock().expect("fake state")
    }

    /// Serves `body` at `/templates/<name>` and returns its URL.
    pub fn put_template(&self, name: &str, body: &str) -> String {
        let path = format!("/templates/{name}");
        self.state().files.insert(path.clone(), body.to_owned());
        format!("{}{path}", self.endpoint())
    }

    /// Makes `access_key_id` belong to `account`, as moto's AssumeRole does for the role's account.
    pub fn register_key(&self, access_key_id: &str, account: &str) {
        self.state().keys.insert(access_key_id.to_owned(), account.to_owned());
    }

    /// Makes STS answer `GetCallerIdentity` for `access_key_id` with an AccessDenied error.
    pub fn refuse_key(&self, access_key_id: &str) {
        self.state().refused.push(access_key_id.to_owned());
    }

    /// A stack of the tests' own account (`ACCOUNT`, in us-east-1); its ARN.
    pub fn add_stack(&self, name: &str, status: &str, template: &str) -> String {
        self.add_stack_in(ACCOUNT, REGION, name, status, template)
    }

    /// A stack in `account` and `region`; its ARN.
    pub fn add_stack_in(&self, account: &str, region: &str, name: &str, status: &str, template: &str) -> String {
        self.add(FakeStack {
            arn: format!("arn:aws:cloudformation:{region}:{account}:stack/{name}/{}", fastrand::u64(..)),
            name: name.to_owned(),
            status: status.to_owned(),
            parent_id: None,
            template: template.to_owned(),
        })
    }

    /// Replaces a stack's template, as an update of the stack would.
    pub fn set_template(&self, arn: &str, template: &str) {
        let mut state = self.state();
        let stack = state.stacks.iter_mut().find(|stack| stack.arn == arn).expect("a known stack");
        stack.template = template.to_owned();
    }

    pub fn add(&self, stack: FakeStack) -> String {
        let arn = stack.arn.clone();
        self.state().stacks.push(stack);
        arn
    }

    /// How many times CloudFormation or STS was called with this `Action`.
    pub fn calls(&self, action: &str) -> usize {
        self.state().calls.get(action).copied().unwrap_or_default()
    }

    /// The form parameters of every call with this `Action` (`StackName`, `TemplateStage` …), in order.
    pub fn requests(&self, action: &str) -> Vec<HashMap<String, String>> {
        let state = self.state();
        state.forms.iter().filter(|form| form.get("Action").map(String::as_str) == Some(action)).cloned().collect()
    }

    /// Every call with this `Action`, with the key and region it was signed with, in order.
    pub fn signed(&self, action: &str) -> Vec<Signed> {
        self.state().signed.iter().filter(|signed| signed.action == action).cloned().collect()
    }
}

/// The access key id and region of a SigV4 `Authorization` header (empty when there is none).
fn credential_scope(authorization: &str) -> (String, String) {
    let scope = authorization.split("Credential=").nth(1).and_then(|rest| rest.split([',', ' ']).next());
    let mut parts = scope.unwrap_or_default().split('/');
    let key = parts.next().unwrap_or_default().to_owned();
    let region = parts.nth(1).unwrap_or_default().to_owned();
    (key, region)
}

/// The account and region in a stack ARN, `arn:aws:cloudformation:<region>:<account>:stack/…`.
fn stack_scope(arn: &str) -> (&str, &str) {
    let parts: Vec<&str> = arn.split(':').collect();
    (parts.get(4).copied().unwrap_or_default(), parts.get(3).copied().unwrap_or_default())
}

async fn fake_aws_answer(state: &Mutex<FakeState>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let header = |name: &str| request.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let authorization = header("authorization").unwrap_or_default();
    let session_token = header("x-amz-security-token");
    let body = request.into_body().collect().await.map(|body| body.to_bytes()).unwrap_or_default();
    let mut state = state.lock().expect("fake state");
    if method == Method::GET {
        return match state.files.get(&path) {
            Some(file) => reply(StatusCode::OK, "text/plain", file.clone()),
            None => reply(StatusCode::NOT_FOUND, "application/xml", "<Error><Code>NoSuchKey</Code></Error>".to_owned()),
        };
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let action = form.get("Action").cloned().unwrap_or_default();
    *state.calls.entry(action.clone()).or_default() += 1;
    let (access_key_id, region) = credential_scope(&authorization);
    let signed =
        Signed { action: action.clone(), access_key_id: access_key_id.clone(), region: region.clone(), session_token };
    state.signed.push(signed);
    state.forms.push(form.clone());
    let account = state.keys.get(&access_key_id).cloned().unwrap_or_else(|| DEFAULT_ACCOUNT.to_owned());

    if action == "GetCallerIdentity" {
        if state.refused.contains(&access_key_id) {
            return error_response(StatusCode::FORBIDDEN, "AccessDenied", "not for this key");
        }
        return reply(
            StatusCode::OK,
            "text/xml",
            format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult>\
                 <Arn>arn:aws:iam::{account}:user/fake</Arn><UserId>AIDAFAKE</UserId><Account>{account}</Account>\
                 </GetCallerIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata>\
                 </GetCallerIdentityResponse>"
            ),
        );
    }

    // CloudFormation: only the stacks of the request's own account and region exist for it.
    let wanted = form.get("StackName").cloned().unwrap_or_default();
    let visible = |stack: &&FakeStack| stack_scope(&stack.arn) == (account.as_str(), region.as_str());
    let found = state.stacks.iter().filter(visible).find(|stack| stack.arn == wanted || stack.name == wanted).cloned();
    let Some(stack) = found else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            &format!("Stack with id {wanted} does not exist"),
        );
    };
    match action.as_str() {
        "DescribeStacks" => {
            let parent = stack.parent_id.as_deref().map(|parent| format!("<ParentId>{}</ParentId>", escape(parent)));
            reply(
                StatusCode::OK,
                "text/xml",
                format!(
                    "<DescribeStacksResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
                     <DescribeStacksResult><Stacks><member><StackId>{}</StackId><StackName>{}</StackName>\
                     <CreationTime>2026-11-28T18:43:48.000Z</CreationTime><StackStatus>{}</StackStatus>{}\
                     </member></Stacks></DescribeStacksResult>\
                     <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></DescribeStacksResponse>",
                    escape(&stack.arn),
                    escape(&stack.name),
                    escape(&stack.status),
                    parent.unwrap_or_default()
                ),
            )
        }
        "GetTemplate" => reply(
            StatusCode::OK,
            "text/xml",
            format!(
                "<GetTemplateResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\
                 <GetTemplateResult><TemplateBody>{}</TemplateBody><StagesAvailable><member>Original</member>\
                 <member>Processed</member></StagesAvailable></GetTemplateResult>\
                 <ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetTemplateResponse>",
                escape(&stack.template)
            ),
        ),
        other => reply(
            StatusCode::BAD_REQUEST,
            "text/xml",
            format!(
                "<ErrorResponse><Error><Code>InvalidAction</Code><Message>{other}</Message></Error></ErrorResponse>"
            ),
        ),
    }
}

/// An awsQuery error, as CloudFormation and STS answer them.
fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Full<Bytes>> {
    reply(
        status,
        "text/xml",
        format!(
            "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error><Type>Sender</Type>\
             <Code>{code}</Code><Message>{}</Message></Error><RequestId>fake</RequestId></ErrorResponse>",
            escape(message)
        ),
    )
}

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}
