//! CloudFormation adapter: what an import needs to know about a stack (DescribeStacks) and its template
//! (GetTemplate), read through the real SDK from whatever endpoint the emulator was given.

use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::environment::{EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider};
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::meta::region::RegionProviderChain;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::config::{Credentials, Region};
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::catalog::StackFacts;

/// How an import's stack read can fail: the stack is not there (the caller's problem), or CloudFormation could not
/// be asked (the emulator's problem).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StackReadError {
    #[error("{0}")]
    NotFound(String),
    #[error("CloudFormation could not be read: {0}")]
    Unavailable(String),
}

#[derive(Debug, Clone)]
pub struct CloudFormationStacks {
    client: Client,
}

impl CloudFormationStacks {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    pub async fn describe(&self, stack_id: &str) -> Result<StackFacts, StackReadError> {
        let output = self.client.describe_stacks().stack_name(stack_id).send().await.map_err(read_error)?;
        let stack = output
            .stacks()
            .first()
            .ok_or_else(|| StackReadError::NotFound(format!("Stack with id {stack_id} does not exist")))?;
        Ok(StackFacts {
            stack_id: stack.stack_id().unwrap_or(stack_id).to_owned(),
            name: stack.stack_name().unwrap_or_default().to_owned(),
            status: stack.stack_status().map(|status| status.as_str().to_owned()).unwrap_or_default(),
            parent_id: stack.parent_id().filter(|parent| !parent.is_empty()).map(str::to_owned),
        })
    }

    pub async fn template(&self, stack_id: &str) -> Result<String, StackReadError> {
        let output = self.client.get_template().stack_name(stack_id).send().await.map_err(read_error)?;
        Ok(output.template_body().unwrap_or_default().to_owned())
    }
}

/// CloudFormation answers an unknown stack with `ValidationError` "Stack with id X does not exist".
fn read_error<E, R>(error: SdkError<E, R>) -> StackReadError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if let SdkError::ServiceError(context) = &error {
        let service_error = context.err();
        let message = service_error.message().unwrap_or_default();
        if service_error.code() == Some("ValidationError") && message.contains("does not exist") {
            return StackReadError::NotFound(message.to_owned());
        }
    }
    StackReadError::Unavailable(DisplayErrorContext(&error).to_string())
}

/// One `aws_config` load for the CloudFormation client. The endpoint is `endpoint` when given, otherwise the SDK's
/// own `AWS_ENDPOINT_URL_CLOUDFORMATION` / `AWS_ENDPOINT_URL` / profile settings. Region and credentials come from
/// the environment only, falling back to `us-east-1` and placeholder keys: the full default chains would ask the
/// EC2 instance metadata service, which is neither local nor needed by a local CloudFormation such as moto.
pub async fn cloudformation_client(endpoint: Option<&str>) -> Client {
    let region = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
        .or_else(Region::from_static("us-east-1"));
    let credentials = CredentialsProviderChain::first_try("Environment", EnvironmentVariableCredentialsProvider::new())
        .or_else("Placeholder", Credentials::new("sc-emulator", "sc-emulator", None, None, "sc-emulator"));
    let shared = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .credentials_provider(credentials)
        .timeout_config(TimeoutConfig::builder().operation_timeout(Duration::from_secs(20)).build())
        .load()
        .await;
    let mut config = aws_sdk_cloudformation::config::Builder::from(&shared);
    if let Some(endpoint) = endpoint {
        config = config.endpoint_url(endpoint);
    }
    Client::from_conf(config.build())
}
