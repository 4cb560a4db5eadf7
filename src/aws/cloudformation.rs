//! CloudFormation adapter: reads stacks (DescribeStacks, one or every page of all) and their original templates
//! (GetTemplate).

use std::collections::BTreeMap;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::TemplateStage;

use super::error::{ErrorClass, classify, failure, unexpected};
use crate::ports::{ServiceFailure, StackReader};
use crate::stack::{Stack, StackArn, StackRef, StackStatus};

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
    async fn describe(&self, stack: &StackRef) -> Result<Option<Stack>, ServiceFailure> {
        let output = match self.client.describe_stacks().stack_name(stack.as_str()).send().await {
            Ok(output) => output,
            Err(error) => {
                let error = classify(error);
                return if error.class == ErrorClass::NotFound { Ok(None) } else { Err(error.into_failure(DESCRIBE)) };
            }
        };
        output.stacks().first().map(stack_from_sdk).transpose()
    }

    async fn original_template(&self, stack: &StackArn) -> Result<String, ServiceFailure> {
        let output = self
            .client
            .get_template()
            .stack_name(stack.as_str())
            // Original: the template as submitted, before transforms — what the artifact's template is compared to.
            .template_stage(TemplateStage::Original)
            .send()
            .await
            .map_err(failure(GET_TEMPLATE))?;
        output.template_body().map(str::to_owned).ok_or_else(|| unexpected(GET_TEMPLATE, "no TemplateBody"))
    }

    async fn list(&self) -> Result<Vec<Stack>, ServiceFailure> {
        // DescribeStacks without a name: every active stack with its tags, a page (up to 100) per call — where
        // ListStacks would need one DescribeStacks per stack for the tags.
        let mut stacks = Vec::new();
        let mut next_token: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let output = self
                .client
                .describe_stacks()
                .set_next_token(next_token.take())
                .send()
                .await
                .map_err(failure(DESCRIBE))?;
            for stack in output.stacks() {
                match stack_from_sdk(stack) {
                    Ok(stack) => stacks.push(stack),
                    Err(error) => tracing::warn!(%error, "a listed stack was left out"),
                }
            }
            match output.next_token() {
                Some(token) if !token.is_empty() => next_token = Some(token.to_owned()),
                _ => return Ok(stacks),
            }
        }
        Err(unexpected(DESCRIBE, format!("more than {MAX_LIST_PAGES} pages of stacks")))
    }
}

/// 100,000 stacks at 100 a page: far beyond CloudFormation's per-region stack quota, so more means a token loop.
const MAX_LIST_PAGES: usize = 1000;

const DESCRIBE: &str = "DescribeStacks";
const GET_TEMPLATE: &str = "GetTemplate";

fn stack_from_sdk(stack: &aws_sdk_cloudformation::types::Stack) -> Result<Stack, ServiceFailure> {
    let arn = StackArn::parse(stack.stack_id().unwrap_or_default())
        .map_err(|error| unexpected(DESCRIBE, format!("an unusable StackId: {error}")))?;
    let status = StackStatus::new(stack.stack_status().map(|status| status.as_str()).unwrap_or_default());
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
