//! The AWS SDK configuration the emulator's own clients share (CloudFormation to read stacks, STS to learn accounts),
//! and the credentials it acts with on a caller's behalf.

use std::time::Duration;

use aws_config::environment::{EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider};
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::meta::region::RegionProviderChain;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_cloudformation::config::{Credentials, Region};

/// The region of the emulator's own calls, and of requests that carry no SigV4 credentials, when neither
/// `AWS_REGION` nor `AWS_DEFAULT_REGION` says otherwise.
pub const FALLBACK_REGION: &str = "us-east-1";

/// The secret the emulator signs with when it acts as a caller. It only ever knows the caller's access key id (a
/// request carries no secret), and moto checks no signature, so any secret works there. A local-only shortcut: real
/// AWS would refuse every such call.
pub const PLACEHOLDER_SECRET: &str = "sc-emulator-placeholder-secret";

/// One `aws_config` load. Region and credentials come from the environment only, falling back to `us-east-1` and
/// placeholder keys: the full default chains would ask the EC2 instance metadata service, which is neither local nor
/// needed by a local AWS such as moto.
pub async fn local_config(operation_timeout: Duration) -> SdkConfig {
    let region = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(Region::from_static(FALLBACK_REGION));
    let credentials = CredentialsProviderChain::first_try("Environment", EnvironmentVariableCredentialsProvider::new())
        .or_else("Placeholder", Credentials::new("sc-emulator", "sc-emulator", None, None, "sc-emulator"));
    aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .timeout_config(TimeoutConfig::builder().operation_timeout(operation_timeout).build())
        .load()
        .await
}

/// Credentials that carry a caller's access key id (and session token, if it sent one) with the placeholder secret.
pub fn caller_credentials(access_key_id: &str, session_token: Option<&str>) -> Credentials {
    Credentials::new(access_key_id, PLACEHOLDER_SECRET, session_token.map(str::to_owned), None, "sc-emulator-caller")
}
