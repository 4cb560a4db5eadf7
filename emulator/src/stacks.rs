//! CloudFormation adapter: what an import needs to know about a stack (DescribeStacks) and its template
//! (GetTemplate), and the original template a new artifact is made from, read through the real SDK from whatever endpoint the emulator was given, as the caller: with the
//! caller's access key id in the caller's region, so that moto reads the stack in the caller's account and region.

use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::config::{IdentityCache, Region};
use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::TemplateStage;

use crate::accounts::Caller;
use crate::catalog::StackFacts;
use crate::sdk::{FALLBACK_REGION, caller_credentials, local_config};

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

    /// The region of the emulator's own calls: that of requests without SigV4 credentials.
    pub fn default_region(&self) -> String {
        self.client.config().region().map_or_else(|| FALLBACK_REGION.to_owned(), ToString::to_string)
    }

    /// The same CloudFormation, asked as `caller`: its access key id (with the placeholder secret) and session
    /// token, in its region. A caller without SigV4 credentials reads as the emulator itself, as before.
    pub fn as_caller(&self, caller: &Caller) -> Self {
        let Some(key) = &caller.key else {
            return self.clone();
        };
        let config = self
            .client
            .config()
            .to_builder()
            .credentials_provider(caller_credentials(&key.access_key_id, key.session_token.as_deref()))
            .identity_cache(IdentityCache::no_cache())
            .region(Region::new(caller.scope.region.clone()))
            .build();
        Self { client: Client::from_conf(config) }
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

    /// The template as it was submitted (`TemplateStage=Original`: transforms not yet expanded), which is what an
    /// artifact made from the stack (`ImportFromPhysicalId`) keeps.
    pub async fn original_template(&self, stack_id: &str) -> Result<String, StackReadError> {
        let output = self
            .client
            .get_template()
            .stack_name(stack_id)
            .template_stage(TemplateStage::Original)
            .send()
            .await
            .map_err(read_error)?;
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

/// The CloudFormation client. The endpoint is `endpoint` when given, otherwise the SDK's own
/// `AWS_ENDPOINT_URL_CLOUDFORMATION` / `AWS_ENDPOINT_URL` / profile settings. Region and credentials (those of
/// requests without SigV4 credentials) come from the environment only (`sdk::local_config`).
pub async fn cloudformation_client(endpoint: Option<&str>) -> Client {
    let shared = local_config(Duration::from_secs(20)).await;
    let mut config = aws_sdk_cloudformation::config::Builder::from(&shared);
    if let Some(endpoint) = endpoint {
        config = config.endpoint_url(endpoint);
    }
    Client::from_conf(config.build())
}
