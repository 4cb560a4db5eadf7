//! The `sc-emulator` program as a script runs it: the line it prints, an SDK call, SIGTERM, the strict switches and
//! the artifact switches.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_servicecatalog::operation::create_provisioning_artifact::CreateProvisioningArtifactError;
use aws_sdk_servicecatalog::operation::describe_record::DescribeRecordError;
use aws_sdk_servicecatalog::types::{ProductType, ProvisioningArtifactProperties};

use crate::support::{sdk_client, service_error};

/// Starts the program with `args` and reads its startup line; the child and the endpoint it names.
async fn spawn(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sc-emulator"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sc-emulator");
    let stdout = child.stdout.take().expect("stdout");
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .expect("join")
    .expect("read line");
    let endpoint = line.trim().strip_prefix("listening on ").expect("listening line").to_owned();
    (child, endpoint)
}

/// Sends SIGTERM and waits (at most 10 s) for the program to exit; its status.
async fn terminate(mut child: Child) -> ExitStatus {
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(Instant::now() < deadline, "still running 10 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_program_prints_its_address_serves_the_sdk_and_exits_cleanly_on_sigterm() {
    // GIVEN the program started on a free port
    let (child, endpoint) =
        spawn(&["--port", "0", "--cloudformation-endpoint", "http://127.0.0.1:9", "--record-step-ms", "10"]).await;
    // THEN its first line names a loopback address
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");

    // AND it answers the SDK
    let error = sdk_client(&endpoint).describe_record().id("rec-doesnotexist1").send().await.expect_err("unknown");
    assert!(matches!(service_error(error), DescribeRecordError::ResourceNotFoundException(_)));

    // AND SIGTERM stops it with status 0
    let status = terminate(child).await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn the_program_takes_every_strict_switch_as_the_e2e_harness_passes_them() {
    // GIVEN the program started with every strict-mode switch
    let (child, endpoint) = spawn(&[
        "--port",
        "0",
        "--cloudformation-endpoint",
        "http://127.0.0.1:9",
        "--search-lag-ms",
        "1000",
        "--failed-import-keeps-name",
        "--strict-idempotency",
        "--https-template-urls",
        "--latency",
        "DescribeRecord=300",
        "--latency=SearchProvisionedProducts=1",
    ])
    .await;
    // THEN the named operation holds back its answer, and another does not
    let client = sdk_client(&endpoint);
    let started = Instant::now();
    let error = client.describe_record().id("rec-doesnotexist1").send().await.expect_err("unknown");
    assert!(matches!(service_error(error), DescribeRecordError::ResourceNotFoundException(_)));
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    let started = Instant::now();
    client.search_provisioned_products().send().await.expect("search");
    assert!(started.elapsed() < Duration::from_millis(300), "{:?}", started.elapsed());
    let status = terminate(child).await;
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn the_program_takes_the_artifact_switches() {
    // GIVEN the program with a limit of two artifacts per product, and versions AVAILABLE at once
    let (child, endpoint) = spawn(&[
        "--port",
        "0",
        "--cloudformation-endpoint",
        "http://127.0.0.1:9",
        "--artifact-limit",
        "2",
        "--version-creating-ms=0",
    ])
    .await;
    let client = sdk_client(&endpoint);
    let properties = |name: &str| {
        ProvisioningArtifactProperties::builder()
            .name(name)
            .info("LoadTemplateFromURL", "http://127.0.0.1:9/templates/t.yaml")
            .build()
    };
    let created = client
        .create_product()
        .name("payments")
        .owner("platform-team")
        .product_type(ProductType::CloudFormationTemplate)
        .provisioning_artifact_parameters(properties("v1"))
        .send()
        .await
        .expect("CreateProduct");
    let product_id = created
        .product_view_detail()
        .and_then(|detail| detail.product_view_summary())
        .and_then(|summary| summary.product_id())
        .expect("product id");
    // THEN a second artifact is accepted and a third is over the limit
    let add =
        |name: &str| client.create_provisioning_artifact().product_id(product_id).parameters(properties(name)).send();
    add("v2").await.expect("the second of two");
    let error = add("v3").await.expect_err("a third");
    assert!(matches!(service_error(error), CreateProvisioningArtifactError::LimitExceededException(_)));
    let status = terminate(child).await;
    assert!(status.success(), "{status:?}");
}

#[test]
fn the_program_refuses_an_unknown_latency_operation() {
    let output = Command::new(env!("CARGO_BIN_EXE_sc-emulator"))
        .args(["--port", "0", "--cloudformation-endpoint", "http://127.0.0.1:9", "--latency", "ProvisionProduct=5"])
        .output()
        .expect("run sc-emulator");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("ProvisionProduct"));
    assert!(output.stdout.is_empty(), "nothing may look like a listening line");
}

#[test]
fn the_program_refuses_to_start_without_a_cloudformation_endpoint() {
    let output = Command::new(env!("CARGO_BIN_EXE_sc-emulator"))
        .args(["--port", "0"])
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_CLOUDFORMATION")
        .output()
        .expect("run sc-emulator");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--cloudformation-endpoint"));
    assert!(output.stdout.is_empty(), "nothing may look like a listening line");
}
