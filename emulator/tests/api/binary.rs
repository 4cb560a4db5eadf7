//! The `sc-emulator` program as a script runs it: the line it prints, an SDK call, SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_servicecatalog::operation::describe_record::DescribeRecordError;

use crate::support::{sdk_client, service_error};

#[tokio::test]
async fn the_program_prints_its_address_serves_the_sdk_and_exits_cleanly_on_sigterm() {
    // GIVEN the program started on a free port
    let mut child = Command::new(env!("CARGO_BIN_EXE_sc-emulator"))
        .args(["--port", "0", "--cloudformation-endpoint", "http://127.0.0.1:9", "--record-step-ms", "10"])
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
    // THEN its first line names a loopback address
    let endpoint = line.trim().strip_prefix("listening on ").expect("listening line").to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{line}");

    // AND it answers the SDK
    let error = sdk_client(&endpoint).describe_record().id("rec-doesnotexist1").send().await.expect_err("unknown");
    assert!(matches!(service_error(error), DescribeRecordError::ResourceNotFoundException(_)));

    // AND SIGTERM stops it with status 0
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "still running 10 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
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
