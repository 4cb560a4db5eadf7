//! Lambda entry point: wiring only. Configuration, one AWS config load, the per-account seam and the publishers,
//! then the runtime loop.
// The SDK clients and the runtime loop nest deep enough in `main`'s future to pass the default query depth.
#![recursion_limit = "256"]

// lambda_runtime turns a handler panic into an invocation error only when panics unwind; with `abort` one bad input
// would kill the process. cargo-lambda builds with `abort` unless the release profile says otherwise (Cargo.toml).
#[cfg(panic = "abort")]
compile_error!("sc-stack-importer must be built with panic = \"unwind\" (see [profile.release] in Cargo.toml)");

use std::time::Duration;

use anyhow::Context;
use aws_config::BehaviorVersion;
use lambda_runtime::{LambdaEvent, run, service_fn};
use serde_json::Value;
use tracing_subscriber::EnvFilter;

use sc_stack_importer::aws::{
    self, EventBridgeOutcomePublisher, HttpTemplateFetcher, MemberAccounts, MemberRole, SnsOutcomePublisher,
};
use sc_stack_importer::config::{self, Config};
use sc_stack_importer::import::PollSchedule;
use sc_stack_importer::known::KnownArtifacts;
use sc_stack_importer::lambda::{Handler, init_error};
use sc_stack_importer::pipeline::{Pipeline, Settings};

/// Time budget of an invocation whose Runtime API gave no deadline (local runs only; Lambda always gives one).
const DEFAULT_BUDGET: Duration = Duration::from_secs(120);

/// Kept free at the end of an invocation to publish the outcome and answer: an SNS and an EventBridge call, in
/// parallel, each bounded by the operation timeout below.
const PUBLISH_RESERVE: Duration = Duration::from_secs(8);

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            if let Some(runtime_api) = config::runtime_api_address()
                && let Err(report) = init_error::report_init_error(&runtime_api, &error.to_string()).await
            {
                eprintln!("the init error could not be reported to the Runtime API: {report}");
            }
            return Err(error.into());
        }
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    if config.json_logs {
        logs.json().with_current_span(false).init();
    } else {
        logs.without_time().init();
    }

    // One load in the init phase; AWS_ENDPOINT_URL(_<SERVICE>) and AWS_REGION are honoured here. Every call gets
    // timeouts, so a hung connection cannot spend the invocation.
    let aws = aws_config::defaults(BehaviorVersion::latest()).timeout_config(aws::sdk_timeouts()).load().await;
    let sns =
        config.outcome_topic_arn.clone().map(|topic| SnsOutcomePublisher::new(aws_sdk_sns::Client::new(&aws), topic));
    let events = config.outcome_event_bus.clone().map(|bus| {
        EventBridgeOutcomePublisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            bus,
            config.outcome_event_source.clone(),
        )
    });
    let queue = config
        .import_queue_url
        .clone()
        .map(|queue_url| aws::SqsImportQueue::new(aws_sdk_sqs::Client::new(&aws), queue_url));
    let store = config
        .artifact_index_table
        .clone()
        .map(|table| aws::DynamoFingerprintStore::new(aws_sdk_dynamodb::Client::new(&aws), table));
    let handler = Handler {
        pipeline: Pipeline {
            accounts: MemberAccounts::new(
                aws,
                config.accept_language,
                config.member_role_name.map(|name| MemberRole { name, external_id: config.member_role_external_id }),
            ),
            templates: HttpTemplateFetcher::new(config.template_url_allow)
                .context("building the template HTTP client")?,
            known: KnownArtifacts::new(store),
            discovery: Default::default(),
            settings: Settings {
                tag_prefix: config.tag_prefix,
                rules: config.rules,
                dry_run: config.dry_run,
                poll: PollSchedule::default(),
                publish_reserve: PUBLISH_RESERVE,
                discovery: config.discovery,
                new_version_on_mismatch: config.new_version_on_mismatch,
            },
        },
        publisher: (sns, events),
        queue,
        default_budget: DEFAULT_BUDGET,
        function_name: config.function_name,
    };
    tracing::info!(
        sns = handler.publisher.0.is_some(),
        eventbridge = handler.publisher.1.is_some(),
        rules = handler.pipeline.settings.rules.len(),
        dry_run = handler.pipeline.settings.dry_run,
        import_queue = handler.queue.is_some(),
        discovery = handler.pipeline.settings.discovery,
        new_version_on_mismatch = handler.pipeline.settings.new_version_on_mismatch,
        "sc-stack-importer ready"
    );

    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| async move { handler.handle(event).await }))
        .await
        .map_err(|error| anyhow::anyhow!(error).context("the Lambda runtime loop stopped"))
}
