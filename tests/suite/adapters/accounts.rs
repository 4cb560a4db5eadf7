//! `OwnAccount`, the per-account seam: which region (and whose credentials) the ports it opens call. Its clients are
//! real SDK clients made from one `SdkConfig`; an in-memory HTTP client stands in for the network and records where
//! each request went and how it was signed.

use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region as SdkRegion, SdkConfig};
use aws_sdk_cloudformation::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;

use sc_stack_importer::aws::OwnAccount;
use sc_stack_importer::config::AcceptLanguage;
use sc_stack_importer::ids::{AccountId, ProductId, ProvisionedProductName, RecordId, Region, Scope};
use sc_stack_importer::ports::{Accounts, Importer, ProductVersions, ProvisionedProducts, StackReader};
use sc_stack_importer::stack::{StackArn, StackName, StackRef};

use super::*;

const HOME: &str = "us-east-1";
const ACCESS_KEY: &str = "AKIDOWNACCOUNT";

/// Where one request went: its host, and the `<region>/<service>` its signature is scoped to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Call {
    host: String,
    signed_for: String,
}

/// Answers every request without a network: CloudFormation "does not exist", Service Catalog an answer that every
/// operation the ports call can read. Records each request.
#[derive(Debug, Clone, Default)]
struct Wire(Arc<Mutex<Vec<Call>>>);

impl HttpConnector for Wire {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let host = request.uri().split('/').nth(2).unwrap_or_default().to_owned();
        let authorization = request.headers().get("authorization").unwrap_or_default();
        // `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/<service>/aws4_request, …`
        let credential = authorization.split("Credential=").nth(1).unwrap_or_default();
        let scope: Vec<&str> = credential.split(['/', ',']).collect();
        assert_eq!(scope.first(), Some(&ACCESS_KEY), "signed with the function's own credentials: {authorization}");
        let signed_for = scope.get(2..4).map(|parts| parts.join("/")).unwrap_or_default();
        self.0.lock().unwrap().push(Call { host: host.clone(), signed_for });
        let response = if host.starts_with("cloudformation.") {
            query_error(400, "ValidationError", "Stack with id payments-api does not exist")
        } else {
            http_response(
                200,
                "application/x-amz-json-1.1",
                r#"{"ProvisionedProducts":[],"ProvisioningArtifactDetails":[],
                    "RecordDetail":{"RecordId":"rec-1","Status":"SUCCEEDED"}}"#,
            )
        };
        HttpConnectorFuture::ready(Ok(response))
    }
}

impl Wire {
    fn calls(&self) -> Vec<Call> {
        self.0.lock().unwrap().clone()
    }
}

fn own_account(wire: &Wire) -> OwnAccount {
    let wire = wire.clone();
    let http: SharedHttpClient = http_client_fn(move |_, _| SharedHttpConnector::new(wire.clone()));
    let config = SdkConfig::builder()
        .region(SdkRegion::new(HOME))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            ACCESS_KEY, "secret", None, None, "test",
        )))
        .http_client(http)
        .behavior_version(BehaviorVersion::latest())
        .build();
    OwnAccount::new(config, AcceptLanguage::En)
}

fn stack_scope(account: &str, region: &str) -> Scope {
    Scope::Stack { account: AccountId::parse(account).unwrap(), region: Region::parse(region).unwrap() }
}

/// Calls each of the four ports once, as the pipeline would.
async fn use_every_port(account: &OwnAccount, scope: &Scope, stack: &StackRef) {
    let ports = account.open(scope).await.expect("the ports open without a network");
    assert_eq!(ports.stacks.describe(stack).await, Ok(None));
    assert_eq!(ports.provisioned.by_name(&ProvisionedProductName::parse("payments-api").unwrap()).await, Ok(None));
    assert_eq!(ports.versions.list(&ProductId::parse("prod-1").unwrap()).await, Ok(vec![]));
    let record = ports.importer.record(&RecordId::parse("rec-1").unwrap()).await.unwrap();
    assert_eq!(record.id.as_str(), "rec-1");
}

fn calls_to(region: &str) -> Vec<Call> {
    [("cloudformation", 1), ("servicecatalog", 3)]
        .into_iter()
        .flat_map(|(service, count)| {
            std::iter::repeat_n(
                Call { host: format!("{service}.{region}.amazonaws.com"), signed_for: format!("{region}/{service}") },
                count,
            )
        })
        .collect()
}

#[tokio::test]
async fn the_home_scope_calls_the_function_s_own_region() {
    let wire = Wire::default();
    let account = own_account(&wire);

    use_every_port(&account, &Scope::Home, &StackRef::Name(StackName::parse("payments-api").unwrap())).await;

    assert_eq!(wire.calls(), calls_to(HOME));
}

#[tokio::test]
async fn a_stack_in_another_region_is_read_and_imported_in_that_region() {
    // GIVEN a stack in eu-west-1, while the function runs in us-east-1
    let wire = Wire::default();
    let account = own_account(&wire);
    let arn =
        StackArn::parse("arn:aws:cloudformation:eu-west-1:111122223333:stack/payments-api/5b5e8a40-9f7c-11ef").unwrap();
    // WHEN its scope is opened and every port used, and then the home scope's
    use_every_port(&account, &arn.scope(), &StackRef::Arn(arn.clone())).await;
    use_every_port(&account, &Scope::Home, &StackRef::Arn(arn)).await;
    // THEN the stack's ports call eu-west-1, and the home ports still call us-east-1
    assert_eq!(wire.calls(), [calls_to("eu-west-1"), calls_to(HOME)].concat());
}

#[tokio::test]
async fn a_stack_in_the_home_region_is_read_in_the_home_region_whatever_its_account() {
    // GIVEN stacks of the function's region, in its account and in another: both are looked up with the function's
    // own credentials (the Wire checks every signature), in the home region
    let wire = Wire::default();
    let account = own_account(&wire);

    use_every_port(&account, &stack_scope("111122223333", HOME), &StackRef::Arn(stack_arn())).await;
    use_every_port(&account, &stack_scope("444455556666", HOME), &StackRef::Arn(stack_arn())).await;

    assert_eq!(wire.calls(), [calls_to(HOME), calls_to(HOME)].concat());
}

#[tokio::test]
async fn a_call_to_a_server_that_never_answers_ends_as_a_transient_failure_within_the_operation_timeout() {
    // GIVEN the function's SDK timeouts, and a CloudFormation endpoint on loopback that accepts and never answers
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let config = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(SdkRegion::new(HOME))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::for_tests()))
        .endpoint_url(endpoint)
        .timeout_config(sc_stack_importer::aws::sdk_timeouts())
        .build();
    let account = OwnAccount::new(config, AcceptLanguage::En);
    let ports = account.open(&Scope::Home).await.unwrap();
    // WHEN the stack is read
    let started = std::time::Instant::now();
    let stack = StackRef::Name(StackName::parse("payments-api").unwrap());
    let failure = tokio::time::timeout(std::time::Duration::from_secs(30), ports.stacks.describe(&stack))
        .await
        .expect("the SDK's own timeouts end the call")
        .unwrap_err();
    // THEN it fails as transient (worth a retry) once the operation timeout (7 s) is spent, not never
    assert!(failure.is_transient(), "{failure}");
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "{:?}", started.elapsed());
    silent.abort();
}
