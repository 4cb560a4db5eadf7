//! Test fixtures: a fake local AWS (CloudFormation's awsQuery protocol for DescribeStacks and GetTemplate, plus
//! plain GETs of template files like moto's S3), an emulator on 127.0.0.1:0 reading stacks from it through the real
//! CloudFormation SDK, and the real Service Catalog SDK client pointed at the emulator.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_sdk_servicecatalog::Client;
use aws_sdk_servicecatalog::config::retry::RetryConfig;
use aws_sdk_servicecatalog::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_servicecatalog::error::SdkError;
use aws_sdk_servicecatalog::operation::import_as_provisioned_product::{
    ImportAsProvisionedProductError, ImportAsProvisionedProductOutput,
};
use aws_sdk_servicecatalog::types::RecordDetail;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sc_emulator::clock::ManualClock;
use sc_emulator::server::RunningServer;
use sc_emulator::stacks::{CloudFormationStacks, cloudformation_client};
use sc_emulator::strict::StrictMode;
use sc_emulator::{Emulator, EmulatorConfig};
use tokio::net::TcpListener;

pub const ACCOUNT: &str = "111122223333";
pub const STEP: Duration = Duration::from_secs(1);

pub const TEMPLATE_YAML: &str = "\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Name:
    Type: String
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Ref Name
Outputs:
  QueueArn:
    Value: !GetAtt Queue.Arn
";

/// The same template as `TEMPLATE_YAML`, as CloudFormation may hand it back in JSON.
pub const TEMPLATE_JSON: &str = r#"{"AWSTemplateFormatVersion":"2010-09-09",
  "Parameters":{"Name":{"Type":"String"}},
  "Resources":{"Queue":{"Type":"AWS::SQS::Queue","Properties":{"QueueName":{"Ref":"Name"}}}},
  "Outputs":{"QueueArn":{"Value":{"Fn::GetAtt":["Queue","Arn"]}}}}"#;

pub const OTHER_TEMPLATE_YAML: &str = "\
Resources:
  Topic:
    Type: AWS::SNS::Topic
";

#[derive(Debug, Clone)]
pub struct FakeStack {
    pub arn: String,
    pub name: String,
    pub status: String,
    pub parent_id: Option<String>,
    pub template: String,
}

#[derive(Debug, Default)]
struct FakeState {
    stacks: Vec<FakeStack>,
    files: HashMap<String, String>,
    calls: HashMap<String, usize>,
}

/// CloudFormation and S3, as far as an import reads them.
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

    /// Serves `body` at `/templates/<name>` and returns its URL.
    pub fn put_template(&self, name: &str, body: &str) -> String {
        let path = format!("/templates/{name}");
        self.state.lock().expect("fake state").files.insert(path.clone(), body.to_owned());
        format!("{}{path}", self.endpoint())
    }

    pub fn add_stack(&self, name: &str, status: &str, template: &str) -> String {
        self.add(FakeStack {
            arn: format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{name}/{}", fastrand::u64(..)),
            name: name.to_owned(),
            status: status.to_owned(),
            parent_id: None,
            template: template.to_owned(),
        })
    }

    pub fn add(&self, stack: FakeStack) -> String {
        let arn = stack.arn.clone();
        self.state.lock().expect("fake state").stacks.push(stack);
        arn
    }

    /// How many times CloudFormation was called with this `Action`.
    pub fn calls(&self, action: &str) -> usize {
        self.state.lock().expect("fake state").calls.get(action).copied().unwrap_or_default()
    }
}

async fn fake_aws_answer(state: &Mutex<FakeState>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
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
    let wanted = form.get("StackName").cloned().unwrap_or_default();
    let Some(stack) = state.stacks.iter().find(|stack| stack.arn == wanted || stack.name == wanted).cloned() else {
        let message = format!("Stack with id {wanted} does not exist");
        return reply(
            StatusCode::BAD_REQUEST,
            "text/xml",
            format!(
                "<ErrorResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\"><Error><Type>Sender</Type>\
                 <Code>ValidationError</Code><Message>{}</Message></Error><RequestId>fake</RequestId></ErrorResponse>",
                escape(&message)
            ),
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

fn reply(status: StatusCode, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static(content_type));
    response
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// A product and its first artifact, as CreateProduct made them.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub product_id: String,
    pub artifact_id: String,
    pub template_url: String,
}

/// One emulator with a stopped clock, the fake AWS it reads, and an SDK client for it.
pub struct TestEnv {
    pub aws: FakeAws,
    pub clock: Arc<ManualClock>,
    pub client: Client,
    server: RunningServer,
}

impl TestEnv {
    pub async fn start() -> Self {
        Self::start_strict(StrictMode::default()).await
    }

    /// An emulator with strict-mode switches.
    pub async fn start_strict(strict: StrictMode) -> Self {
        let aws = FakeAws::start().await;
        let endpoint = aws.endpoint();
        Self::with(aws, &endpoint, strict).await
    }

    /// An emulator reading stacks from `cloudformation` rather than from its fake AWS (which still serves templates).
    pub async fn start_reading(cloudformation: &str) -> Self {
        Self::with(FakeAws::start().await, cloudformation, StrictMode::default()).await
    }

    async fn with(aws: FakeAws, cloudformation: &str, strict: StrictMode) -> Self {
        let clock = Arc::new(ManualClock::starting_at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000)));
        let stacks = CloudFormationStacks::new(cloudformation_client(Some(cloudformation)).await);
        let emulator = Emulator::new(EmulatorConfig {
            stacks,
            clock: clock.clone(),
            record_step: STEP,
            account_id: "123456789012".to_owned(),
            strict,
        });
        let server = RunningServer::start(Arc::new(emulator), 0).await.expect("start emulator");
        let client = sdk_client(&server.endpoint());
        Self { aws, clock, client, server }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Moves the clock past the end of every record started so far.
    pub fn finish_records(&self) {
        self.advance(STEP * 2);
    }

    /// CreateProduct with one artifact whose template is `template`, served by the fake S3.
    pub async fn seed(&self, name: &str, template: &str) -> Seeded {
        let template_url = self.aws.put_template(&format!("{name}.yaml"), template);
        let output = self
            .client
            .create_product()
            .name(name)
            .owner("platform-team")
            .product_type(aws_sdk_servicecatalog::types::ProductType::CloudFormationTemplate)
            .provisioning_artifact_parameters(
                aws_sdk_servicecatalog::types::ProvisioningArtifactProperties::builder()
                    .name("v1")
                    .info("LoadTemplateFromURL", &template_url)
                    .r#type(aws_sdk_servicecatalog::types::ProvisioningArtifactType::CloudFormationTemplate)
                    .build(),
            )
            .send()
            .await
            .expect("CreateProduct");
        let product_id = output
            .product_view_detail()
            .and_then(|detail| detail.product_view_summary())
            .and_then(|summary| summary.product_id())
            .expect("product id")
            .to_owned();
        let artifact_id = output.provisioning_artifact_detail().and_then(|detail| detail.id()).expect("artifact id");
        Seeded { product_id, artifact_id: artifact_id.to_owned(), template_url }
    }

    pub async fn import(
        &self,
        seeded: &Seeded,
        name: &str,
        stack_arn: &str,
        token: &str,
    ) -> Result<ImportAsProvisionedProductOutput, SdkError<ImportAsProvisionedProductError>> {
        self.client
            .import_as_provisioned_product()
            .accept_language("en")
            .product_id(&seeded.product_id)
            .provisioning_artifact_id(&seeded.artifact_id)
            .provisioned_product_name(name)
            .physical_id(stack_arn)
            .idempotency_token(token)
            .send()
            .await
    }

    /// An import that must be accepted; its record.
    pub async fn imported(&self, seeded: &Seeded, name: &str, stack_arn: &str, token: &str) -> RecordDetail {
        let output = self.import(seeded, name, stack_arn, token).await.expect("import accepted");
        output.record_detail().expect("record detail").clone()
    }

    pub async fn record(&self, id: &str) -> RecordDetail {
        let output = self.client.describe_record().id(id).send().await.expect("DescribeRecord");
        output.record_detail().expect("record detail").clone()
    }
}

pub fn sdk_client(endpoint: &str) -> Client {
    let config = aws_sdk_servicecatalog::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("AKIDTESTS", "secret", None, None, "tests"))
        .endpoint_url(endpoint)
        .retry_config(RetryConfig::disabled())
        .build();
    Client::from_conf(config)
}

/// The service error inside an SDK error, for `matches!`.
pub fn service_error<E: std::fmt::Debug, R: std::fmt::Debug>(error: SdkError<E, R>) -> E {
    match error {
        SdkError::ServiceError(context) => context.into_err(),
        other => panic!("expected a service error, got {other:?}"),
    }
}

/// One raw HTTP exchange with the emulator, for wire-level checks the SDK hides.
pub async fn post_raw(addr: SocketAddr, target: Option<&str>, body: &str) -> (u16, HashMap<String, String>, String) {
    exchange(addr, Method::POST, "/", target, body).await
}

/// One raw HTTP exchange with any method and path (the emulator's control endpoint).
pub async fn exchange(
    addr: SocketAddr,
    method: Method,
    path: &str,
    target: Option<&str>,
    body: &str,
) -> (u16, HashMap<String, String>, String) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(connection);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::CONTENT_TYPE, "application/x-amz-json-1.1");
    if let Some(target) = target {
        request = request.header("x-amz-target", target);
    }
    let response = sender
        .send_request(request.body(Full::new(Bytes::from(body.to_owned()))).expect("request"))
        .await
        .expect("send");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap_or_default().to_owned()))
        .collect();
    let body = response.into_body().collect().await.expect("body").to_bytes();
    (status, headers, String::from_utf8(body.to_vec()).expect("utf-8"))
}
