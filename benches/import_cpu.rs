//! CPU per import: the real `Handler`, wired as `src/main.rs` wires it (one `SdkConfig` with the same timeouts,
//! `OwnAccount`, the real `HttpTemplateFetcher`, SNS and EventBridge publishers, JSON logs at `info`), imports one
//! stack per invocation against a fake AWS on 127.0.0.1 in the same process, and the CPU the invoking thread spent is
//! divided by the number of imports. The same is measured for the floor — the same number of bare signed calls
//! through the same SDK clients — so that the import's CPU reads as "n signed calls plus the function's own work".
//!
//! The fake answers every call of one import with canned, realistic responses: CloudFormation `DescribeStacks` and
//! `GetTemplate` (query protocol, XML), Service Catalog `SearchProvisionedProducts` (by physical id, then by name; both
//! empty), `DescribeProvisioningArtifact` (its `Info.TemplateUrl` a pre-signed-looking URL on the fake),
//! `ImportAsProvisionedProduct`, `DescribeRecord` (`SUCCEEDED` at the first read) (JSON 1.1), the template `GET`, SNS
//! `Publish` (query, XML) and EventBridge `PutEvents` (JSON 1.1) — ten requests per import, checked. It is stateless
//! and runs on its own OS thread with its own tokio runtime, so its CPU is not the function's. The stack is tagged with
//! its product and artifact, and its template (YAML, short-form tags) is the artifact's (JSON, long form, other key
//! order), so every import is a real one that ends `IMPORTED/RECORD_SUCCEEDED`.
//!
//! CPU is read from `/proc/thread-self/schedstat` (nanoseconds on CPU) and, as a cross-check, from
//! `/proc/thread-self/stat` (utime + stime, clock ticks); the other threads of the process (the fake, tokio's blocking
//! pool) from `/proc/self/task/*/`. The function's standard output (one EMF metrics line and one JSON log line per
//! import) goes, as in Lambda, to a pipe: the bench runs itself as a child whose stdout the parent reads and counts.
//!
//! Run: `cargo bench --bench import_cpu`. `IMPORT_CPU_ITERATIONS` (300), `IMPORT_CPU_WARMUP` (20) and
//! `IMPORT_CPU_ROUNDS` (5) change the run; the figures printed are per import and the median over the rounds.
//! Profile one phase (`import`, `describe-record` or `calls`), with symbols (the bench profile inherits `strip`):
//! `CARGO_PROFILE_BENCH_STRIP=false cargo bench --bench import_cpu --no-run`, then `IMPORT_CPU_CHILD=1
//! IMPORT_CPU_PHASE=import IMPORT_CPU_ROUNDS=1 valgrind --tool=callgrind --separate-threads=yes
//! --zero-before=import_cpu::profile_start target/release/deps/import_cpu-… > /dev/null`.

// A bench, like a test, stops at the first thing that is not as expected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// The SDK clients, the handler and the runtime nest deep enough in `main`'s futures to pass the default query depth.
#![recursion_limit = "256"]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_config::BehaviorVersion;
use aws_sdk_servicecatalog::types::{AccessLevelFilter, AccessLevelFilterKey, ProvisionedProductViewFilterBy};
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tracing_subscriber::EnvFilter;

use sc_stack_importer::aws::{EventBridgeOutcomePublisher, HttpTemplateFetcher, OwnAccount, SnsOutcomePublisher};
use sc_stack_importer::config::Config;
use sc_stack_importer::import::PollSchedule;
use sc_stack_importer::lambda::Handler;
use sc_stack_importer::pipeline::{Pipeline, Settings};
use sc_stack_importer::ports::TemplateFetcher;

const CHILD_ENV: &str = "IMPORT_CPU_CHILD";

const ACCOUNT: &str = "123456789012";
const STACK_NAME: &str = "payments-api";
const STACK_UUID: &str = "0b9a4c20-5ad5-11ef-a1b2-0a1b2c3d4e5f";
const PRODUCT: &str = "prod-bench5f2q7xzk4";
const ARTIFACT: &str = "pa-bench7hd2m4wq9";
const RECORD: &str = "rec-bench3kq8v2n6p";
const PROVISIONED: &str = "pp-bench9w4t6r2yk";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:stack-import-outcomes";
const BUS: &str = "stack-import-outcomes";

/// The requests one import makes, by operation, as the fake counts them.
const EXPECTED_PER_IMPORT: [(Op, u64); 9] = [
    (Op::DescribeStacks, 1),
    (Op::GetTemplate, 1),
    (Op::SearchProvisionedProducts, 2),
    (Op::DescribeProvisioningArtifact, 1),
    (Op::TemplateGet, 1),
    (Op::ImportAsProvisionedProduct, 1),
    (Op::DescribeRecord, 1),
    (Op::Publish, 1),
    (Op::PutEvents, 1),
];
const CALLS_PER_IMPORT: u64 = 10;

// ---- the fake AWS ---------------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    DescribeStacks,
    GetTemplate,
    SearchProvisionedProducts,
    DescribeProvisioningArtifact,
    ImportAsProvisionedProduct,
    DescribeRecord,
    TemplateGet,
    Publish,
    PutEvents,
    Unknown,
}

/// What the fake served: requests per operation and connections accepted.
#[derive(Default)]
struct Served {
    requests: [AtomicU64; 10],
    connections: AtomicU64,
}

impl Served {
    fn snapshot(&self) -> ([u64; 10], u64) {
        (self.requests.each_ref().map(|count| count.load(Ordering::Relaxed)), self.connections.load(Ordering::Relaxed))
    }
}

/// The canned answers, complete HTTP responses, by operation.
struct Answers(BTreeMap<Op, Vec<u8>>);

fn http_response(status: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nx-amzn-RequestId: 5f0c7d3e-8a41-4c1b-9d2e-6b7a8c9d0e1f\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nDate: Sat, 28 Nov 2026 18:44:02 GMT\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

fn stack_arn() -> String {
    format!("arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/{STACK_NAME}/{STACK_UUID}")
}

/// The stack's template as it was submitted: YAML with short-form tags.
const STACK_TEMPLATE: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Description: Payments API - job queue, dead-letter queue, event topic and a depth alarm
Parameters:
  Stage:
    Type: String
    AllowedValues: [dev, prod]
    Default: prod
  MaxReceiveCount:
    Type: Number
    Default: 5
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  DeadLetterQueue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '${AWS::StackName}-dlq'
      MessageRetentionPeriod: 1209600
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub '${AWS::StackName}-jobs'
      VisibilityTimeout: 120
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt DeadLetterQueue.Arn
        maxReceiveCount: !Ref MaxReceiveCount
      Tags:
        - Key: team
          Value: payments
        - Key: stage
          Value: !Ref Stage
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Join ['-', [!Ref 'AWS::StackName', events]]
      KmsMasterKeyId: alias/aws/sns
  Subscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: sqs
      Endpoint: !GetAtt Queue.Arn
      RawMessageDelivery: true
  QueuePolicy:
    Type: AWS::SQS::QueuePolicy
    Properties:
      Queues: [!Ref Queue]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Service: sns.amazonaws.com
            Action: sqs:SendMessage
            Resource: !GetAtt Queue.Arn
            Condition:
              ArnEquals:
                aws:SourceArn: !Ref Topic
  DepthAlarm:
    Type: AWS::CloudWatch::Alarm
    Condition: IsProd
    Properties:
      AlarmDescription: !Sub 'Jobs pile up in ${Queue.QueueName}'
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Dimensions:
        - Name: QueueName
          Value: !GetAtt Queue.QueueName
      Statistic: Maximum
      Period: 300
      EvaluationPeriods: 3
      Threshold: 1000
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [!Ref Topic]
Outputs:
  QueueUrl:
    Value: !Ref Queue
    Export:
      Name: !Sub '${AWS::StackName}-queue-url'
  QueueArn:
    Value: !GetAtt Queue.Arn
  TopicArn:
    Value: !Ref Topic
"#;

/// The same template as the product's artifact holds it: JSON, long-form intrinsics, another key order.
fn artifact_template() -> String {
    let template = json!({
        "Outputs": {
            "TopicArn": {"Value": {"Ref": "Topic"}},
            "QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}},
            "QueueUrl": {"Export": {"Name": {"Fn::Sub": "${AWS::StackName}-queue-url"}}, "Value": {"Ref": "Queue"}}
        },
        "Resources": {
            "DepthAlarm": {
                "Condition": "IsProd",
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmActions": [{"Ref": "Topic"}],
                    "ComparisonOperator": "GreaterThanThreshold",
                    "Threshold": 1000,
                    "EvaluationPeriods": 3,
                    "Period": 300,
                    "Statistic": "Maximum",
                    "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["Queue", "QueueName"]}}],
                    "MetricName": "ApproximateNumberOfMessagesVisible",
                    "Namespace": "AWS/SQS",
                    "AlarmDescription": {"Fn::Sub": "Jobs pile up in ${Queue.QueueName}"}
                }
            },
            "QueuePolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "PolicyDocument": {
                        "Statement": [{
                            "Condition": {"ArnEquals": {"aws:SourceArn": {"Ref": "Topic"}}},
                            "Resource": {"Fn::GetAtt": ["Queue", "Arn"]},
                            "Action": "sqs:SendMessage",
                            "Principal": {"Service": "sns.amazonaws.com"},
                            "Effect": "Allow"
                        }],
                        "Version": "2012-10-17"
                    },
                    "Queues": [{"Ref": "Queue"}]
                }
            },
            "Subscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "RawMessageDelivery": true,
                    "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
                    "Protocol": "sqs",
                    "TopicArn": {"Ref": "Topic"}
                }
            },
            "Topic": {
                "Type": "AWS::SNS::Topic",
                "Properties": {
                    "KmsMasterKeyId": "alias/aws/sns",
                    "TopicName": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "events"]]}
                }
            },
            "Queue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "Tags": [{"Key": "team", "Value": "payments"}, {"Key": "stage", "Value": {"Ref": "Stage"}}],
                    "RedrivePolicy": {
                        "maxReceiveCount": {"Ref": "MaxReceiveCount"},
                        "deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}
                    },
                    "VisibilityTimeout": 120,
                    "QueueName": {"Fn::Sub": "${AWS::StackName}-jobs"}
                }
            },
            "DeadLetterQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {"MessageRetentionPeriod": 1209600, "QueueName": {"Fn::Sub": "${AWS::StackName}-dlq"}}
            }
        },
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
        "Parameters": {
            "MaxReceiveCount": {"Default": 5, "Type": "Number"},
            "Stage": {"Default": "prod", "AllowedValues": ["dev", "prod"], "Type": "String"}
        },
        "Description": "Payments API - job queue, dead-letter queue, event topic and a depth alarm",
        "AWSTemplateFormatVersion": "2010-09-09"
    });
    serde_json::to_string_pretty(&template).unwrap()
}

/// A pre-signed S3 GET URL, as Service Catalog hands one out, but on the fake.
fn template_url(fake: SocketAddr) -> String {
    format!(
        "http://{fake}/cf-templates-1a2b3c4d5e6f-us-east-1/payments-queue.json?X-Amz-Algorithm=AWS4-HMAC-SHA256\
         &X-Amz-Credential=ASIAEXAMPLEEXAMPLE12%2F20261128%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261128T184402Z\
         &X-Amz-Expires=900&X-Amz-SignedHeaders=host\
         &X-Amz-Signature=3f1c6a2b9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b"
    )
}

fn record_detail(status: &str) -> Value {
    json!({
        "RecordId": RECORD,
        "ProvisionedProductName": STACK_NAME,
        "Status": status,
        "CreatedTime": 1_795_891_442.318,
        "UpdatedTime": 1_795_891_443.027,
        "ProvisionedProductType": "CFN_STACK",
        "RecordType": "IMPORT_FROM_PHYSICAL_ID",
        "ProvisionedProductId": PROVISIONED,
        "ProductId": PRODUCT,
        "ProvisioningArtifactId": ARTIFACT,
        "PathId": "lpv3-bench2c7w5n8q4",
        "RecordErrors": [],
        "RecordTags": [{"Key": "team", "Value": "payments"}],
        "LaunchRoleArn": ""
    })
}

impl Answers {
    fn new(fake: SocketAddr) -> Self {
        let xml = "text/xml";
        let json = "application/x-amz-json-1.1";
        let arn = stack_arn();
        let describe_stacks = format!(
            r#"<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult>
    <Stacks>
      <member>
        <StackId>{arn}</StackId>
        <StackName>{STACK_NAME}</StackName>
        <ChangeSetId>arn:aws:cloudformation:us-east-1:{ACCOUNT}:changeSet/awscli-cloudformation-package-deploy-1795891400/8d4e5f60-5ad5-11ef-9c1b-0e2f3a4b5c6d</ChangeSetId>
        <Description>Payments API - job queue, dead-letter queue, event topic and a depth alarm</Description>
        <Parameters>
          <member><ParameterKey>Stage</ParameterKey><ParameterValue>prod</ParameterValue></member>
          <member><ParameterKey>MaxReceiveCount</ParameterKey><ParameterValue>5</ParameterValue></member>
        </Parameters>
        <CreationTime>2026-11-28T18:41:07.512Z</CreationTime>
        <LastUpdatedTime>2026-11-28T18:43:31.204Z</LastUpdatedTime>
        <RollbackConfiguration/>
        <StackStatus>UPDATE_COMPLETE</StackStatus>
        <DisableRollback>false</DisableRollback>
        <NotificationARNs/>
        <Capabilities/>
        <Outputs>
          <member><OutputKey>QueueUrl</OutputKey><OutputValue>https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/payments-api-jobs</OutputValue><ExportName>payments-api-queue-url</ExportName></member>
          <member><OutputKey>QueueArn</OutputKey><OutputValue>arn:aws:sqs:us-east-1:{ACCOUNT}:payments-api-jobs</OutputValue></member>
          <member><OutputKey>TopicArn</OutputKey><OutputValue>arn:aws:sns:us-east-1:{ACCOUNT}:payments-api-events</OutputValue></member>
        </Outputs>
        <Tags>
          <member><Key>sc-import:product-id</Key><Value>{PRODUCT}</Value></member>
          <member><Key>sc-import:provisioning-artifact-id</Key><Value>{ARTIFACT}</Value></member>
          <member><Key>team</Key><Value>payments</Value></member>
          <member><Key>cost-center</Key><Value>cc-4711</Value></member>
        </Tags>
        <EnableTerminationProtection>false</EnableTerminationProtection>
        <DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation>
      </member>
    </Stacks>
  </DescribeStacksResult>
  <ResponseMetadata><RequestId>5f0c7d3e-8a41-4c1b-9d2e-6b7a8c9d0e1f</RequestId></ResponseMetadata>
</DescribeStacksResponse>
"#
        );
        let get_template = format!(
            r#"<GetTemplateResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <GetTemplateResult>
    <TemplateBody>{}</TemplateBody>
    <StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable>
  </GetTemplateResult>
  <ResponseMetadata><RequestId>6a1d8e4f-9b52-4d2c-8e3f-7c8b9d0e1f2a</RequestId></ResponseMetadata>
</GetTemplateResponse>
"#,
            xml_escape(STACK_TEMPLATE)
        );
        let search = json!({"ProvisionedProducts": [], "TotalResultsCount": 0}).to_string();
        let describe_artifact = json!({
            "ProvisioningArtifactDetail": {
                "Id": ARTIFACT,
                "Name": "v3",
                "Description": "job queue with a dead-letter queue and a depth alarm",
                "Type": "CLOUD_FORMATION_TEMPLATE",
                "CreatedTime": 1_795_800_000.125,
                "Active": true,
                "Guidance": "DEFAULT",
                "SourceRevision": ""
            },
            "Info": {"TemplateUrl": template_url(fake)},
            "Status": "AVAILABLE"
        })
        .to_string();
        let import = json!({"RecordDetail": record_detail("CREATED")}).to_string();
        let describe_record = json!({"RecordDetail": record_detail("SUCCEEDED"), "RecordOutputs": []}).to_string();
        let publish = r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
  <PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId></PublishResult>
  <ResponseMetadata><RequestId>f187a3c1-b0c4-5b1e-8c2f-1d3e4f5a6b7c</RequestId></ResponseMetadata>
</PublishResponse>
"#;
        let put_events =
            json!({"FailedEntryCount": 0, "Entries": [{"EventId": "11710aed-b79e-4468-a20b-bb3c0c3b4860"}]})
                .to_string();
        let unknown = json!({"__type": "UnknownOperationException", "message": "the fake does not know this call"});
        Self(BTreeMap::from([
            (Op::DescribeStacks, http_response("200 OK", xml, &describe_stacks)),
            (Op::GetTemplate, http_response("200 OK", xml, &get_template)),
            (Op::SearchProvisionedProducts, http_response("200 OK", json, &search)),
            (Op::DescribeProvisioningArtifact, http_response("200 OK", json, &describe_artifact)),
            (Op::ImportAsProvisionedProduct, http_response("200 OK", json, &import)),
            (Op::DescribeRecord, http_response("200 OK", json, &describe_record)),
            (Op::TemplateGet, http_response("200 OK", "application/json", &artifact_template())),
            (Op::Publish, http_response("200 OK", xml, publish)),
            (Op::PutEvents, http_response("200 OK", json, &put_events)),
            (Op::Unknown, http_response("400 Bad Request", json, &unknown.to_string())),
        ]))
    }
}

/// Which call a request is: by `X-Amz-Target` (JSON 1.1), by `Action=` (query), or a `GET` of the template.
fn route(method: &str, target: Option<&str>, body: &[u8]) -> Op {
    if method == "GET" {
        return Op::TemplateGet;
    }
    if let Some(target) = target {
        return match target.rsplit('.').next() {
            Some("SearchProvisionedProducts") => Op::SearchProvisionedProducts,
            Some("DescribeProvisioningArtifact") => Op::DescribeProvisioningArtifact,
            Some("ImportAsProvisionedProduct") => Op::ImportAsProvisionedProduct,
            Some("DescribeRecord") => Op::DescribeRecord,
            Some("PutEvents") => Op::PutEvents,
            _ => Op::Unknown,
        };
    }
    let action = body
        .split(|&byte| byte == b'&')
        .find_map(|field| field.strip_prefix(b"Action="))
        .map(|action| String::from_utf8_lossy(action).into_owned());
    match action.as_deref() {
        Some("DescribeStacks") => Op::DescribeStacks,
        Some("GetTemplate") => Op::GetTemplate,
        Some("Publish") => Op::Publish,
        _ => Op::Unknown,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

/// One keep-alive HTTP/1.1 connection: requests with a `Content-Length` body (or none), answered in order.
async fn serve(mut stream: TcpStream, answers: Arc<Answers>, served: Arc<Served>) {
    let _ = stream.set_nodelay(true);
    let mut buffer: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let head_end = loop {
            if let Some(end) = find(&buffer, b"\r\n\r\n") {
                break end + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let method = lines.next().and_then(|line| line.split(' ').next()).unwrap_or_default().to_owned();
        let (mut length, mut target) = (0usize, None);
        for line in lines {
            let Some((name, value)) = line.split_once(':') else { continue };
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("x-amz-target") {
                target = Some(value.trim().to_owned());
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                panic!("the fake reads Content-Length bodies only, got {line}");
            }
        }
        while buffer.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => buffer.extend_from_slice(&chunk[..read]),
            }
        }
        let op = route(&method, target.as_deref(), &buffer[head_end..head_end + length]);
        buffer.drain(..head_end + length);
        served.requests[op as usize].fetch_add(1, Ordering::Relaxed);
        if stream.write_all(&answers.0[&op]).await.is_err() {
            return;
        }
    }
}

/// Starts the fake on 127.0.0.1 on its own thread and runtime.
fn start_fake() -> (SocketAddr, Arc<Served>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let served = Arc::new(Served::default());
    let answers = Arc::new(Answers::new(address));
    let counters = Arc::clone(&served);
    std::thread::Builder::new()
        .name("fake-aws".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                loop {
                    let (stream, _) = listener.accept().await.unwrap();
                    counters.connections.fetch_add(1, Ordering::Relaxed);
                    tokio::spawn(serve(stream, Arc::clone(&answers), Arc::clone(&counters)));
                }
            });
        })
        .unwrap();
    (address, served)
}

// ---- CPU accounting -------------------------------------------------------------------------------------------------

/// CPU time so far: this thread's (ns from schedstat, ticks from stat), and every thread's by name.
#[derive(Debug, Clone, Default)]
struct Cpu {
    thread_ns: u64,
    /// utime and stime of this thread.
    thread_ticks: (u64, u64),
    process_ticks: u64,
    /// Nanoseconds on CPU per thread name (`comm`), over the process's threads alive now.
    by_name: BTreeMap<String, u64>,
}

/// utime and stime of a `/proc/…/stat` line: fields 14 and 15, counted after the `)` that ends the command name.
fn stat_ticks(path: &str) -> (u64, u64) {
    let stat = std::fs::read_to_string(path).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    // After `pid (comm) ` the fields are numbered from 3 (state): utime is 14, stime 15.
    (fields[14 - 3].parse().unwrap(), fields[15 - 3].parse().unwrap())
}

fn schedstat_ns(path: &str) -> u64 {
    std::fs::read_to_string(path).unwrap().split(' ').next().unwrap().parse().unwrap()
}

fn cpu_now() -> Cpu {
    let mut by_name = BTreeMap::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let dir = task.path();
        let (Ok(comm), Ok(schedstat)) =
            (std::fs::read_to_string(dir.join("comm")), std::fs::read_to_string(dir.join("schedstat")))
        else {
            continue; // a thread that ended meanwhile
        };
        let ns: u64 = schedstat.split(' ').next().unwrap().parse().unwrap();
        *by_name.entry(comm.trim().to_owned()).or_default() += ns;
    }
    Cpu {
        thread_ns: schedstat_ns("/proc/thread-self/schedstat"),
        thread_ticks: stat_ticks("/proc/thread-self/stat"),
        process_ticks: {
            let (user, system) = stat_ticks("/proc/self/stat");
            user + system
        },
        by_name,
    }
}

fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8(output.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(100)
}

/// One measured phase, per iteration.
#[derive(Debug, Clone)]
struct Figures {
    cpu_ms: f64,
    /// This thread's CPU from its utime and stime: user, system.
    cpu_ms_ticks: (f64, f64),
    process_ms_ticks: f64,
    wall_ms: f64,
    requests: f64,
    connections: f64,
    other_threads_ms: BTreeMap<String, f64>,
}

async fn measure<F, Fut>(served: &Served, iterations: u64, tick: u64, mut body: F) -> Figures
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = ()>,
{
    let main_name = std::fs::read_to_string("/proc/thread-self/comm").unwrap().trim().to_owned();
    let (requests_before, connections_before) = served.snapshot();
    let before = cpu_now();
    let started = Instant::now();
    for iteration in 0..iterations {
        body(iteration).await;
    }
    let wall = started.elapsed();
    let after = cpu_now();
    let (requests_after, connections_after) = served.snapshot();
    let n = iterations as f64;
    let ms_per_tick = 1000.0 / tick as f64;
    let other_threads_ms = after
        .by_name
        .iter()
        .filter(|(name, _)| **name != main_name)
        .map(|(name, ns)| {
            let spent = ns - before.by_name.get(name).copied().unwrap_or(0).min(*ns);
            (name.clone(), spent as f64 / 1e6 / n)
        })
        .collect();
    Figures {
        cpu_ms: (after.thread_ns - before.thread_ns) as f64 / 1e6 / n,
        cpu_ms_ticks: (
            (after.thread_ticks.0 - before.thread_ticks.0) as f64 * ms_per_tick / n,
            (after.thread_ticks.1 - before.thread_ticks.1) as f64 * ms_per_tick / n,
        ),
        process_ms_ticks: (after.process_ticks - before.process_ticks) as f64 * ms_per_tick / n,
        wall_ms: wall.as_secs_f64() * 1000.0 / n,
        requests: (requests_after.iter().sum::<u64>() - requests_before.iter().sum::<u64>()) as f64 / n,
        connections: (connections_after - connections_before) as f64 / n,
        other_threads_ms,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 { values[middle] } else { (values[middle - 1] + values[middle]) / 2.0 }
}

// ---- the function, wired as main.rs wires it -------------------------------------------------------------------

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

fn invocation(payload: Value, iteration: u64) -> LambdaEvent<Value> {
    let mut context = Context::default();
    context.request_id = format!("8f2d4c6e-1a3b-4c5d-9e7f-{iteration:012x}");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    context.deadline = now + 120_000;
    LambdaEvent::new(payload, context)
}

async fn bench() {
    let (fake, served) = start_fake();
    let endpoint = format!("http://{fake}");

    // The configuration as Lambda's environment would give it, read by the function's own reader.
    let env = BTreeMap::from([
        ("OUTCOME_TOPIC_ARN", TOPIC.to_owned()),
        ("OUTCOME_EVENT_BUS", BUS.to_owned()),
        ("TEMPLATE_URL_ALLOW", "http://127.0.0.1:*".to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", "sc-stack-importer".to_owned()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".to_owned()),
    ]);
    let config = Config::from_lookup(|name| env.get(name).cloned()).unwrap();

    // src/main.rs: logs at `info` unless RUST_LOG says otherwise, JSON as the deployed LoggingConfig asks.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    if config.json_logs {
        logs.json().with_current_span(false).init();
    } else {
        logs.without_time().init();
    }

    // src/main.rs's one config load, with what the environment gives in Lambda (region, credentials) given here, and
    // the fake as every service's endpoint.
    let aws = aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(sc_stack_importer::aws::sdk_timeouts())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&endpoint)
        .credentials_provider(aws_sdk_servicecatalog::config::Credentials::new(
            "ASIAEXAMPLEEXAMPLE12",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            Some("IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN".to_owned()),
            None,
            "bench",
        ))
        .load()
        .await;
    let sns =
        config.outcome_topic_arn.clone().map(|topic| SnsOutcomePublisher::new(aws_sdk_sns::Client::new(&aws), topic));
    let events = config.outcome_event_bus.clone().map(|bus| {
        EventBridgeOutcomePublisher::new(
            aws_sdk_eventbridge::Client::new(&aws),
            bus,
            config.outcome_event_source.clone(),
        )
    });
    let handler = Handler {
        pipeline: Pipeline {
            accounts: OwnAccount::new(aws.clone(), config.accept_language),
            templates: HttpTemplateFetcher::new(config.template_url_allow).unwrap(),
            known: sc_stack_importer::known::KnownArtifacts::new(
                None::<sc_stack_importer::aws::DynamoFingerprintStore>,
            ),
            discovery: Default::default(),
            settings: Settings {
                tag_prefix: config.tag_prefix,
                rules: config.rules,
                dry_run: config.dry_run,
                // The record answers SUCCEEDED at the first read, which comes at once: no waiting in the figures.
                poll: PollSchedule { first: Duration::ZERO, ..PollSchedule::default() },
                publish_reserve: Duration::from_secs(8),
                discovery: config.discovery,
                new_version_on_mismatch: config.new_version_on_mismatch,
            },
        },
        publisher: (sns, events),
        queue: None::<sc_stack_importer::aws::SqsImportQueue>,
        default_budget: Duration::from_secs(120),
        function_name: config.function_name,
    };

    let handler = &handler;
    let import = move |iteration: u64| async move {
        let answer = handler.handle(invocation(json!({"stackName": STACK_NAME}), iteration)).await.unwrap();
        let outcome = &answer["outcomes"][0];
        assert_eq!(
            (outcome["outcome"].as_str(), outcome["reason"].as_str()),
            (Some("IMPORTED"), Some("RECORD_SUCCEEDED")),
            "{answer}"
        );
    };

    // The floor: bare signed calls through clients from the same SdkConfig (so the same HTTP client and pool).
    let catalog = aws_sdk_servicecatalog::Client::new(&aws);
    let cloudformation = aws_sdk_cloudformation::Client::new(&aws);
    let sns = aws_sdk_sns::Client::new(&aws);
    let eventbridge = aws_sdk_eventbridge::Client::new(&aws);
    let fetcher =
        HttpTemplateFetcher::new(sc_stack_importer::url_allow::UrlAllowList::parse("http://127.0.0.1:*").unwrap())
            .unwrap();
    let url = template_url(fake);
    let message = json!({"schemaVersion": "1", "id": "0123456789abcdef0123456789abcdef", "outcome": "IMPORTED",
        "reason": "RECORD_SUCCEEDED", "message": "stack payments-api is now provisioned product payments-api",
        "retryable": false, "stack": {"arn": stack_arn(), "name": STACK_NAME, "status": "UPDATE_COMPLETE",
        "account": ACCOUNT, "region": "us-east-1"}, "target": {"productId": PRODUCT, "provisioningArtifactId": ARTIFACT,
        "provisionedProductName": STACK_NAME}, "record": {"recordId": RECORD, "status": "SUCCEEDED",
        "provisionedProductId": PROVISIONED, "errors": []}, "trigger": {"kind": "manual", "id": "8f2d4c6e"},
        "dryRun": false, "time": "2026-11-28T18:44:02Z"})
    .to_string();
    let (catalog, cloudformation, sns, eventbridge, fetcher, url, message) =
        (&catalog, &cloudformation, &sns, &eventbridge, &fetcher, &url, &message);
    let describe_records = move |_| async move {
        for _ in 0..CALLS_PER_IMPORT {
            catalog.describe_record().accept_language("en").id(RECORD).send().await.unwrap();
        }
    };
    let same_calls = move |_| async move {
        let arn = stack_arn();
        cloudformation.describe_stacks().stack_name(STACK_NAME).send().await.unwrap();
        let access = AccessLevelFilter::builder().key(AccessLevelFilterKey::Account).value("self").build();
        for query in [format!("physicalId:{arn}"), format!("name:{STACK_NAME}")] {
            catalog
                .search_provisioned_products()
                .accept_language("en")
                .access_level_filter(access.clone())
                .filters(ProvisionedProductViewFilterBy::SearchQuery, vec![query])
                .page_size(100)
                .send()
                .await
                .unwrap();
        }
        cloudformation
            .get_template()
            .stack_name(&arn)
            .template_stage(aws_sdk_cloudformation::types::TemplateStage::Original)
            .send()
            .await
            .unwrap();
        catalog
            .describe_provisioning_artifact()
            .accept_language("en")
            .product_id(PRODUCT)
            .provisioning_artifact_id(ARTIFACT)
            .send()
            .await
            .unwrap();
        fetcher.fetch(url).await.unwrap();
        catalog
            .import_as_provisioned_product()
            .accept_language("en")
            .product_id(PRODUCT)
            .provisioning_artifact_id(ARTIFACT)
            .provisioned_product_name(STACK_NAME)
            .physical_id(&arn)
            .idempotency_token("9d5e0a4f1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5")
            .send()
            .await
            .unwrap();
        catalog.describe_record().accept_language("en").id(RECORD).send().await.unwrap();
        let attribute = |value: &str| {
            aws_sdk_sns::types::MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .unwrap()
        };
        let publish = sns
            .publish()
            .topic_arn(TOPIC)
            .subject("IMPORTED: payments-api")
            .message(message)
            .message_attributes("outcome", attribute("IMPORTED"))
            .message_attributes("reason", attribute("RECORD_SUCCEEDED"))
            .send();
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .event_bus_name(BUS)
            .source("sc-stack-importer")
            .detail_type("Stack Import Outcome")
            .detail(message)
            .resources(arn.clone())
            .build();
        let put = eventbridge.put_events().entries(entry).send();
        let (published, put) = tokio::join!(publish, put);
        published.unwrap();
        put.unwrap();
    };

    let tick = clock_ticks_per_second();
    let iterations = env_number("IMPORT_CPU_ITERATIONS", 300).max(1);
    let warmup = env_number("IMPORT_CPU_WARMUP", 20);
    let rounds = env_number("IMPORT_CPU_ROUNDS", 5).max(1);

    // Warm-up: the clients, connections and the allocator's pools, as in a warm Lambda.
    let (requests_before, _) = served.snapshot();
    for iteration in 0..warmup.max(1) {
        import(iteration).await;
    }
    let (requests_after, _) = served.snapshot();
    let imports = warmup.max(1);
    for (op, expected) in EXPECTED_PER_IMPORT {
        let count = requests_after[op as usize] - requests_before[op as usize];
        assert_eq!(count, expected * imports, "{op:?}: {count} requests for {imports} imports");
    }
    assert_eq!(requests_after[Op::Unknown as usize], 0, "the fake was asked something it does not know");
    for iteration in 0..warmup.max(1) {
        describe_records(iteration).await;
        same_calls(iteration).await;
    }

    eprintln!(
        "import_cpu: {iterations} iterations x {rounds} rounds (after {warmup} warm-up), CLK_TCK {tick}; \
         CPU of the invoking thread (schedstat ns; in brackets its utime and stime, in clock ticks)"
    );
    // For a profile of one phase: `IMPORT_CPU_PHASE=import` (or `describe-record`, `calls`) measures only that one.
    if let Ok(phase) = std::env::var("IMPORT_CPU_PHASE") {
        for _ in 0..rounds {
            profile_start();
            let figures = match phase.as_str() {
                "import" => measure(&served, iterations, tick, import).await,
                "describe-record" => measure(&served, iterations, tick, describe_records).await,
                "calls" => measure(&served, iterations, tick, same_calls).await,
                other => panic!("IMPORT_CPU_PHASE={other}: not import, describe-record or calls"),
            };
            eprintln!("  {phase}: {figures:?}");
        }
        return;
    }
    let (mut import_figures, mut floor_figures, mut same_figures) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let imported = measure(&served, iterations, tick, import).await;
        let floor = measure(&served, iterations, tick, describe_records).await;
        let same = measure(&served, iterations, tick, same_calls).await;
        assert_eq!(imported.requests, CALLS_PER_IMPORT as f64, "requests per import");
        assert_eq!(floor.requests, CALLS_PER_IMPORT as f64);
        assert_eq!(same.requests, CALLS_PER_IMPORT as f64);
        for (name, figures) in [("import", &imported), ("10 x DescribeRecord", &floor), ("the 10 calls, bare", &same)] {
            let others: Vec<String> =
                figures.other_threads_ms.iter().map(|(name, ms)| format!("{name} {ms:.3}")).collect();
            eprintln!(
                "  round {round} {name:<20} CPU {:>6.3} ms [user {:>5.2} sys {:>4.2}] | process {:>5.2} ms | \
                 wall {:>6.3} ms | {:.1} requests, {:.2} new connections | other threads ms: {}",
                figures.cpu_ms,
                figures.cpu_ms_ticks.0,
                figures.cpu_ms_ticks.1,
                figures.process_ms_ticks,
                figures.wall_ms,
                figures.requests,
                figures.connections,
                others.join(", ")
            );
        }
        import_figures.push(imported);
        floor_figures.push(floor);
        same_figures.push(same);
    }
    let cpu = |figures: &[Figures]| median(figures.iter().map(|figures| figures.cpu_ms).collect());
    let wall = |figures: &[Figures]| median(figures.iter().map(|figures| figures.wall_ms).collect());
    let process = |figures: &[Figures]| median(figures.iter().map(|figures| figures.process_ms_ticks).collect());
    let (import_cpu, floor_cpu, same_cpu) = (cpu(&import_figures), cpu(&floor_figures), cpu(&same_figures));
    eprintln!("median over {rounds} rounds, per iteration (ms):");
    eprintln!(
        "  import (10 requests)           CPU {import_cpu:.3}  wall {:.3}  process (incl. the fake) {:.2}",
        wall(&import_figures),
        process(&import_figures)
    );
    eprintln!(
        "  floor: 10 x DescribeRecord     CPU {floor_cpu:.3}  wall {:.3}  process (incl. the fake) {:.2}",
        wall(&floor_figures),
        process(&floor_figures)
    );
    eprintln!(
        "  floor: the import's 10 calls   CPU {same_cpu:.3}  wall {:.3}  process (incl. the fake) {:.2}",
        wall(&same_figures),
        process(&same_figures)
    );
    // The host's noise moves whole rounds up and down together: the ratio within a round is the steadier figure.
    let ratio = |figures: &[Figures]| {
        median(import_figures.iter().zip(figures).map(|(import, floor)| import.cpu_ms / floor.cpu_ms).collect())
    };
    let own =
        median(import_figures.iter().zip(&same_figures).map(|(import, same)| import.cpu_ms - same.cpu_ms).collect());
    eprintln!(
        "  import / 10 x DescribeRecord = {:.2}, import / its 10 bare calls = {:.2} (medians of the rounds' ratios); \
         import - its 10 bare calls = {own:.3} ms (the function's own work)",
        ratio(&floor_figures),
        ratio(&same_figures)
    );
}

/// Marks where a profile of one phase starts: `valgrind --tool=callgrind --zero-before=import_cpu::profile_start`.
#[inline(never)]
fn profile_start() {
    std::hint::black_box(());
}

/// The parent: runs the bench as a child whose standard output — the function's logs and metrics — is a pipe, as in
/// Lambda, and counts its lines. The figures come on standard error.
fn parent() {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(std::env::args_os().skip(1))
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = 0u64;
    let mut last = String::new();
    for line in BufReader::new(stdout).lines() {
        last = line.unwrap();
        lines += 1;
    }
    let status = child.wait().unwrap();
    let iterations = env_number("IMPORT_CPU_ITERATIONS", 300).max(1);
    let invocations =
        iterations * env_number("IMPORT_CPU_ROUNDS", 5).max(1) + env_number("IMPORT_CPU_WARMUP", 20).max(1);
    eprintln!(
        "the function wrote {lines} lines to stdout ({:.1} per invocation; the last: {})",
        lines as f64 / invocations as f64,
        last.chars().take(160).collect::<String>()
    );
    assert!(status.success(), "the bench failed: {status}");
}

fn main() {
    if std::env::var_os(CHILD_ENV).is_some() {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(bench());
    } else {
        parent();
    }
}
