//! Test fixtures: an emulator on 127.0.0.1:0 reading stacks from a fake local AWS (`fake_aws`) through the real
//! CloudFormation SDK and learning callers' accounts from its STS, and the real Service Catalog SDK client pointed at
//! the emulator, signing as the tests' own account.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
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
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use sc_emulator::accounts::sts_identities;
use sc_emulator::catalog::ArtifactRules;
use sc_emulator::clock::ManualClock;
use sc_emulator::server::RunningServer;
use sc_emulator::stacks::{CloudFormationStacks, cloudformation_client};
use sc_emulator::strict::StrictMode;
use sc_emulator::{Emulator, EmulatorConfig};

pub use crate::fake_aws::{FakeAws, FakeStack};

/// The tests' own account, in which `add_stack` puts stacks (in `REGION`): the fake AWS's default account, which it
/// gives `TEST_KEY` as moto gives every key it does not know, and the emulator's account for requests without
/// credentials, so the SDK client and raw requests share one catalog, as the e2e suite's function and tools do.
pub const ACCOUNT: &str = crate::fake_aws::DEFAULT_ACCOUNT;
pub const REGION: &str = "us-east-1";
/// The access key id the tests' SDK client signs with.
pub const TEST_KEY: &str = "AKIDTESTS";
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
        Self::start_configured(strict, ArtifactRules::default()).await
    }

    /// An emulator with strict-mode switches and artifact rules (`--version-creating-ms`, `--artifact-limit`).
    pub async fn start_configured(strict: StrictMode, artifacts: ArtifactRules) -> Self {
        let aws = FakeAws::start().await;
        let endpoint = aws.endpoint();
        Self::with(aws, &endpoint, strict, artifacts).await
    }

    /// An emulator reading stacks from `cloudformation` rather than from its fake AWS (which still serves templates).
    pub async fn start_reading(cloudformation: &str) -> Self {
        Self::with(FakeAws::start().await, cloudformation, StrictMode::default(), ArtifactRules::default()).await
    }

    /// STS is always the fake AWS's.
    async fn with(aws: FakeAws, cloudformation: &str, strict: StrictMode, artifacts: ArtifactRules) -> Self {
        let clock = Arc::new(ManualClock::starting_at(SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000)));
        let stacks = CloudFormationStacks::new(cloudformation_client(Some(cloudformation)).await);
        let emulator = Emulator::new(EmulatorConfig {
            stacks,
            identities: sts_identities(&aws.endpoint()).await,
            clock: clock.clone(),
            record_step: STEP,
            account_id: ACCOUNT.to_owned(),
            strict,
            artifacts,
        });
        let server = RunningServer::start(Arc::new(emulator), 0).await.expect("start emulator");
        let client = sdk_client(&server.endpoint());
        Self { aws, clock, client, server }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// A Service Catalog client that signs with `access_key_id` for `region`.
    pub fn client_as(&self, access_key_id: &str, region: &str) -> Client {
        sdk_client_as(&self.server.endpoint(), access_key_id, region)
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
        self.seed_as(&self.client, name, template).await
    }

    /// `seed` with another client.
    pub async fn seed_as(&self, client: &Client, name: &str, template: &str) -> Seeded {
        let template_url = self.aws.put_template(&format!("{name}.yaml"), template);
        let output = client
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
        import_as(&self.client, seeded, name, stack_arn, token).await
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

/// ImportAsProvisionedProduct with `client`.
pub async fn import_as(
    client: &Client,
    seeded: &Seeded,
    name: &str,
    stack_arn: &str,
    token: &str,
) -> Result<ImportAsProvisionedProductOutput, SdkError<ImportAsProvisionedProductError>> {
    client
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

/// A client signing as the tests' own account (`TEST_KEY`) in `REGION`.
pub fn sdk_client(endpoint: &str) -> Client {
    sdk_client_as(endpoint, TEST_KEY, REGION)
}

pub fn sdk_client_as(endpoint: &str, access_key_id: &str, region: &str) -> Client {
    let config = aws_sdk_servicecatalog::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(access_key_id, "secret", None, None, "tests"))
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
