//! `MemberAccounts`, the hub's per-account seam: the own account with the function's credentials, a member account
//! with the member role's (AssumeRole once per credential lifetime), in the stack's region; a role that cannot be
//! assumed named in the failure; the organization's active accounts. Real SDK clients over an in-memory HTTP client
//! that plays STS, Organizations, CloudFormation and Service Catalog, and records who signed each request.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_config::{BehaviorVersion, Region as SdkRegion, SdkConfig};
use aws_sdk_cloudformation::config::{Credentials, SharedCredentialsProvider};
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorFuture, SharedHttpClient, SharedHttpConnector, http_client_fn,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;

use sc_stack_importer::aws::{MemberAccounts, MemberRole};
use sc_stack_importer::config::AcceptLanguage;
use sc_stack_importer::ids::{AccountId, Region, Scope};
use sc_stack_importer::ports::{Accounts, FailureKind, StackReader};
use sc_stack_importer::stack::{StackName, StackRef};

use super::*;

const HOME: &str = "us-east-1";
const OWN: &str = "111122223333";
const MEMBER: &str = "444455556666";
const OWN_KEY: &str = "AKIDHUB";
const MEMBER_KEY: &str = "ASIAMEMBER";

/// One request: the service (host's first label), the region and key it was signed with, and its body.
#[derive(Debug, Clone)]
struct Call {
    service: String,
    region: String,
    key: String,
    body: String,
}

#[derive(Debug, Clone)]
struct Wire {
    calls: Arc<Mutex<Vec<Call>>>,
    /// How long the credentials AssumeRole hands out last.
    lifetime: Duration,
    /// AssumeRole answers AccessDenied.
    refuse: bool,
}

impl Wire {
    fn new(lifetime: Duration) -> Self {
        Self { calls: Arc::default(), lifetime, refuse: false }
    }

    fn calls(&self, service: &str) -> Vec<Call> {
        self.calls.lock().unwrap().iter().filter(|call| call.service == service).cloned().collect()
    }

    fn assume_roles(&self) -> Vec<Call> {
        self.calls("sts").into_iter().filter(|call| call.body.contains("Action=AssumeRole")).collect()
    }
}

fn sts_xml(result: &str, body: &str) -> String {
    format!(
        "<{result}Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><{result}Result>{body}</{result}Result>\
         <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></{result}Response>"
    )
}

impl HttpConnector for Wire {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let host = request.uri().split('/').nth(2).unwrap_or_default().to_owned();
        let service = host.split('.').next().unwrap_or_default().to_owned();
        let authorization = request.headers().get("authorization").unwrap_or_default();
        let credential = authorization.split("Credential=").nth(1).unwrap_or_default();
        let scope: Vec<&str> = credential.split(['/', ',']).collect();
        let body = String::from_utf8_lossy(request.body().bytes().unwrap_or_default()).into_owned();
        let call = Call {
            service: service.clone(),
            region: scope.get(2).copied().unwrap_or_default().to_owned(),
            key: scope.first().copied().unwrap_or_default().to_owned(),
            body: body.clone(),
        };
        self.calls.lock().unwrap().push(call);
        let response = match service.as_str() {
            "sts" if body.contains("Action=GetCallerIdentity") => http_response(
                200,
                "text/xml",
                sts_xml(
                    "GetCallerIdentity",
                    &format!(
                        "<Arn>arn:aws:sts::{OWN}:assumed-role/hub/fn</Arn><UserId>AROA:fn</UserId><Account>{OWN}</Account>"
                    ),
                ),
            ),
            "sts" if self.refuse => http_response(
                403,
                "text/xml",
                "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
                 <Code>AccessDenied</Code><Message>User: arn:aws:sts::111122223333:assumed-role/hub/fn is not \
                 authorized to perform: sts:AssumeRole</Message></Error><RequestId>r-1</RequestId></ErrorResponse>",
            ),
            "sts" => {
                let expiry = humantime::format_rfc3339_seconds(SystemTime::now() + self.lifetime);
                http_response(
                    200,
                    "text/xml",
                    sts_xml(
                        "AssumeRole",
                        &format!(
                            "<Credentials><AccessKeyId>{MEMBER_KEY}</AccessKeyId><SecretAccessKey>s</SecretAccessKey>\
                             <SessionToken>t</SessionToken><Expiration>{expiry}</Expiration></Credentials>\
                             <AssumedRoleUser><AssumedRoleId>AROA:sc</AssumedRoleId>\
                             <Arn>arn:aws:sts::{MEMBER}:assumed-role/member/sc</Arn></AssumedRoleUser>"
                        ),
                    ),
                )
            }
            "organizations" if body.contains("page-2") => http_response(
                200,
                "application/x-amz-json-1.1",
                r#"{"Accounts":[{"Id":"999988887777","Status":"SUSPENDED"},{"Id":"444455556666","Status":"ACTIVE"}]}"#,
            ),
            "organizations" => http_response(
                200,
                "application/x-amz-json-1.1",
                r#"{"Accounts":[{"Id":"111122223333","Status":"ACTIVE"}],"NextToken":"page-2"}"#,
            ),
            _ => query_error(400, "ValidationError", "Stack with id payments-api does not exist"),
        };
        HttpConnectorFuture::ready(Ok(response))
    }
}

fn accounts(wire: &Wire, role: Option<MemberRole>) -> MemberAccounts {
    let wire = wire.clone();
    let http: SharedHttpClient = http_client_fn(move |_, _| SharedHttpConnector::new(wire.clone()));
    let config = SdkConfig::builder()
        .region(SdkRegion::new(HOME))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(OWN_KEY, "secret", None, None, "test")))
        .http_client(http)
        .retry_config(fast_retries())
        .behavior_version(BehaviorVersion::latest())
        .build();
    MemberAccounts::new(config, AcceptLanguage::En, role)
}

fn member_role() -> Option<MemberRole> {
    Some(MemberRole { name: "sc-stack-importer-member".into(), external_id: Some("platform-7f3e".into()) })
}

fn scope(account: &str, region: &str) -> Scope {
    Scope::Stack { account: AccountId::parse(account).unwrap(), region: Region::parse(region).unwrap() }
}

async fn describe_in(accounts: &MemberAccounts, scope: &Scope) {
    let ports = accounts.open(scope).await.expect("the ports open");
    let stack = StackRef::Name(StackName::parse("payments-api").unwrap());
    assert_eq!(ports.stacks.describe(&stack).await, Ok(None));
}

#[tokio::test]
async fn a_member_account_s_stack_is_read_with_the_member_role_in_the_stack_s_region() {
    let wire = Wire::new(Duration::from_secs(3600));
    let hub = accounts(&wire, member_role());

    describe_in(&hub, &scope(MEMBER, "eu-west-1")).await;

    let [assumed] = wire.assume_roles().try_into().unwrap();
    assert!(
        assumed.body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A444455556666%3Arole%2Fsc-stack-importer-member"),
        "{}",
        assumed.body
    );
    assert!(assumed.body.contains("ExternalId=platform-7f3e"), "{}", assumed.body);
    assert_eq!(assumed.key, OWN_KEY, "the hub assumes the role with its own credentials");
    let [read] = wire.calls("cloudformation").try_into().unwrap();
    assert_eq!((read.key.as_str(), read.region.as_str()), (MEMBER_KEY, "eu-west-1"));
}

#[tokio::test]
async fn the_role_is_assumed_once_per_credential_lifetime_across_regions_and_invocations() {
    let wire = Wire::new(Duration::from_secs(3600));
    let hub = accounts(&wire, member_role());

    for region in ["eu-west-1", "us-east-1", "eu-west-1", "us-east-1"] {
        describe_in(&hub, &scope(MEMBER, region)).await;
    }

    assert_eq!(wire.assume_roles().len(), 1);
    assert_eq!(wire.calls("cloudformation").len(), 4);
    assert!(wire.calls("cloudformation").iter().all(|call| call.key == MEMBER_KEY));
}

#[tokio::test]
async fn credentials_close_to_their_expiry_are_renewed_before_use() {
    // Credentials that last 4 minutes are already inside the 5 minutes kept in reserve.
    let wire = Wire::new(Duration::from_secs(240));
    let hub = accounts(&wire, member_role());

    describe_in(&hub, &scope(MEMBER, "eu-west-1")).await;
    describe_in(&hub, &scope(MEMBER, "eu-west-1")).await;

    assert_eq!(wire.assume_roles().len(), 2);
}

#[tokio::test]
async fn the_own_account_keeps_the_function_s_credentials() {
    let wire = Wire::new(Duration::from_secs(3600));
    let hub = accounts(&wire, member_role());

    describe_in(&hub, &scope(OWN, "eu-west-1")).await;
    describe_in(&hub, &Scope::Home).await;

    assert!(wire.assume_roles().is_empty());
    assert!(wire.calls("cloudformation").iter().all(|call| call.key == OWN_KEY));
    // Who the function is, asked of STS once.
    assert_eq!(wire.calls("sts").len(), 1);
}

#[tokio::test]
async fn a_role_that_cannot_be_assumed_is_access_denied_naming_the_role() {
    let mut wire = Wire::new(Duration::from_secs(3600));
    wire.refuse = true;
    let hub = accounts(&wire, member_role());

    let Err(failure) = hub.open(&scope(MEMBER, "eu-west-1")).await else { panic!("the role was refused") };

    assert_eq!(failure.kind, FailureKind::AccessDenied);
    assert!(
        failure.message.contains("arn:aws:iam::444455556666:role/sc-stack-importer-member cannot be assumed"),
        "{failure}"
    );
    assert!(wire.calls("cloudformation").is_empty(), "nothing is read without the role");
}

#[tokio::test]
async fn without_a_member_role_only_the_own_account_is_reached() {
    let wire = Wire::new(Duration::from_secs(3600));
    let alone = accounts(&wire, None);
    let own = AccountId::parse(OWN).unwrap();

    assert!(alone.reaches(&own, &own));
    assert!(!alone.reaches(&AccountId::parse(MEMBER).unwrap(), &own));
    assert!(alone.organization().await.is_err());
    assert!(wire.calls("sts").is_empty() && wire.calls("organizations").is_empty());

    // An event for another account's stack says that a member role is missing, rather than "does not exist".
    let Err(failure) = alone.open(&scope(MEMBER, "eu-west-1")).await else { panic!("another account was opened") };
    assert_eq!(failure.kind, FailureKind::AccessDenied);
    assert!(failure.message.contains("needs MEMBER_ROLE_NAME"), "{failure}");
    assert!(wire.assume_roles().is_empty() && wire.calls("cloudformation").is_empty());
    describe_in(&alone, &scope(OWN, "eu-west-1")).await;
}

#[tokio::test]
async fn the_organization_lists_its_active_accounts_page_by_page() {
    let wire = Wire::new(Duration::from_secs(3600));
    let hub = accounts(&wire, member_role());

    let members = hub.organization().await.unwrap();

    assert_eq!(members.iter().map(AccountId::as_str).collect::<Vec<_>>(), [OWN, MEMBER]);
    assert_eq!(wire.calls("organizations").len(), 2);
}
