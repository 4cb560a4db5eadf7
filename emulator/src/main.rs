//! `sc-emulator`: wiring only. Parses the command line, loads the CloudFormation and STS clients once, listens on
//! 127.0.0.1, prints the address for scripts, and serves until SIGTERM or SIGINT.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use sc_emulator::accounts::sts_identities;
use sc_emulator::cli::{self, Command};
use sc_emulator::clock::SystemClock;
use sc_emulator::server::{bind_loopback, serve};
use sc_emulator::stacks::{CloudFormationStacks, cloudformation_client};
use sc_emulator::{Emulator, EmulatorConfig};
use tokio::signal::unix::{SignalKind, signal};
use tracing_subscriber::EnvFilter;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // Logs go to stderr: stdout carries only the "listening on" line that scripts read.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let options = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("sc-emulator: {message}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    if let Err(message) = cli::check_cloudformation_endpoint(&options, |name| std::env::var(name).ok()) {
        eprintln!("sc-emulator: {message}");
        return ExitCode::from(2);
    }
    let Some(sts_endpoint) = cli::sts_endpoint(&options, |name| std::env::var(name).ok()) else {
        eprintln!("sc-emulator: no STS endpoint (AWS_ENDPOINT_URL_STS, or the CloudFormation endpoint)");
        return ExitCode::from(2);
    };

    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(stream) => stream,
        Err(error) => {
            eprintln!("sc-emulator: cannot watch SIGTERM: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match bind_loopback(options.port).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("sc-emulator: cannot listen on 127.0.0.1:{}: {error}", options.port);
            return ExitCode::FAILURE;
        }
    };
    let address = match listener.local_addr() {
        Ok(address) => address,
        Err(error) => {
            eprintln!("sc-emulator: {error}");
            return ExitCode::FAILURE;
        }
    };

    let client = cloudformation_client(options.cloudformation_endpoint.as_deref()).await;
    let emulator = Arc::new(Emulator::new(EmulatorConfig {
        stacks: CloudFormationStacks::new(client),
        identities: sts_identities(&sts_endpoint).await,
        clock: Arc::new(SystemClock),
        record_step: options.record_step,
        account_id: options.account_id,
        strict: options.strict.clone(),
        artifacts: options.artifacts,
    }));

    println!("listening on http://{address}");
    let _ = std::io::stdout().flush();
    tracing::info!(
        %address,
        cloudformation = options.cloudformation_endpoint.as_deref().unwrap_or("from AWS_ENDPOINT_URL*"),
        sts = %sts_endpoint,
        default_scope = %emulator.default_scope(),
        record_step_ms = options.record_step.as_millis() as u64,
        version_creating_ms = options.artifacts.creating.as_millis() as u64,
        artifact_limit = options.artifacts.limit,
        search_lag_ms = options.strict.rules.search_lag.as_millis() as u64,
        failed_import_keeps_name = options.strict.rules.failed_import_keeps_name,
        strict_idempotency = options.strict.rules.strict_idempotency,
        https_template_urls = options.strict.https_template_urls,
        latency = ?options.strict.latency,
        "Service Catalog emulator ready"
    );

    serve(listener, emulator, async move {
        tokio::select! {
            _ = terminate.recv() => tracing::info!("SIGTERM: stopping"),
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: stopping"),
        }
    })
    .await;
    ExitCode::SUCCESS
}
