//! Lambda entry point: wiring only. Configuration, one AWS config load, the adapters, then the runtime loop.
// The SDK clients and the runtime loop nest deep enough in `main`'s future to pass the default query depth.
#![recursion_limit = "256"]

use anyhow::Context;
use aws_config::BehaviorVersion;
use lambda_runtime::{LambdaEvent, run, service_fn};
use serde_json::Value;
use tracing_subscriber::EnvFilter;

use sc_stack_importer::aws::{
    CloudFormationStackReader, EventBridgeOutcomePublisher, HttpTemplateFetcher, ServiceCatalogCatalog,
    SnsOutcomePublisher,
};
use sc_stack_importer::config::{self, Config};
use sc_stack_importer::handler::{Importer, PollSchedule, Settings};
use sc_stack_importer::runtime;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            if let Some(runtime_api) = config::runtime_api_address() {
                if let Err(report) = runtime::report_init_error(&runtime_api, &error.to_string()).await {
                    eprintln!("the init error could not be reported to the Runtime API: {report}");
                }
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

    // One load in the init phase; AWS_ENDPOINT_URL(_<SERVICE>) and AWS_REGION are honoured here.
    let aws = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let sns =
        config.outcome_topic_arn.clone().map(|topic| SnsOutcomePublisher::new(aws_sdk_sns::Client::new(&aws), topic));
    let events = config.outcome_event_bus.clone().map(|bus| {
        EventBridgeOutcomePublisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            bus,
            config.outcome_event_source.clone(),
        )
    });
    let importer = Importer {
        stacks: CloudFormationStackReader::new(aws_sdk_cloudformation::Client::new(&aws)),
        catalog: ServiceCatalogCatalog::new(aws_sdk_servicecatalog::Client::new(&aws), config.accept_language),
        templates: HttpTemplateFetcher::new().context("building the template HTTP client")?,
        publisher: (sns, events),
        settings: Settings {
            tag_prefix: config.tag_prefix,
            rules: config.rules,
            dry_run: config.dry_run,
            poll: PollSchedule::default(),
        },
    };
    tracing::info!(
        sns = importer.publisher.0.is_some(),
        eventbridge = importer.publisher.1.is_some(),
        rules = importer.settings.rules.len(),
        dry_run = importer.settings.dry_run,
        "sc-stack-importer ready"
    );

    let importer = &importer;
    run(service_fn(move |event: LambdaEvent<Value>| async move { importer.handle(event).await }))
        .await
        .map_err(|error| anyhow::anyhow!(error).context("the Lambda runtime loop stopped"))
}
