//! CloudFormation adapter: reads stacks (DescribeStacks) and their original templates (GetTemplate).

use std::collections::BTreeMap;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::TemplateStage;

use super::error::service_error;
use crate::ports::{ServiceError, ServiceErrorKind, StackReader};
use crate::stack::{Stack, StackArn, StackRef};

#[derive(Debug, Clone)]
pub struct CloudFormationStackReader {
    client: Client,
}

impl CloudFormationStackReader {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

impl StackReader for CloudFormationStackReader {
    async fn describe_stack(&self, stack: &StackRef) -> Result<Option<Stack>, ServiceError> {
        let output = match self.client.describe_stacks().stack_name(stack.as_str()).send().await {
            Ok(output) => output,
            Err(error) => {
                let error = service_error(error);
                return if error.kind == ServiceErrorKind::NotFound { Ok(None) } else { Err(error) };
            }
        };
        output.stacks().first().map(stack_from_sdk).transpose()
    }

    async fn original_template(&self, stack: &StackArn) -> Result<String, ServiceError> {
        let output = self
            .client
            .get_template()
            .stack_name(stack.as_str())
            // Original: the template as submitted, before transforms — what the artifact's template is compared to.
            .template_stage(TemplateStage::Original)
            .send()
            .await
            .map_err(service_error)?;
        output.template_body().map(str::to_owned).ok_or_else(|| {
            ServiceError::new(ServiceErrorKind::Other, "NoTemplateBody", "GetTemplate returned no TemplateBody")
        })
    }
}

fn stack_from_sdk(stack: &aws_sdk_cloudformation::types::Stack) -> Result<Stack, ServiceError> {
    let invalid = |what: String| ServiceError::new(ServiceErrorKind::Other, "UnexpectedResponse", what);
    let arn = StackArn::parse(stack.stack_id().unwrap_or_default())
        .map_err(|error| invalid(format!("DescribeStacks returned an unusable StackId: {error}")))?;
    let status = stack.stack_status().map(|status| status.as_str().to_owned()).unwrap_or_default();
    let changed_at = stack
        .last_updated_time()
        .or(stack.creation_time())
        .map(|time| format!("{}.{:09}", time.secs(), time.subsec_nanos()))
        .unwrap_or_default();
    let tags: BTreeMap<String, String> = stack
        .tags()
        .iter()
        .filter_map(|tag| Some((tag.key()?.to_owned(), tag.value().unwrap_or_default().to_owned())))
        .collect();
    Ok(Stack { arn, status, parent_id: stack.parent_id().map(str::to_owned), changed_at, tags })
}
