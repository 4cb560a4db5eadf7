//! How long a template close to the 1 MiB cap takes to parse, compare and fingerprint: `make bench`, or
//! `cargo bench -p cfn-template --bench compare`. The target is a 1 MiB template parsed and compared in under 20 ms.
//!
//! The template is generated here: resources of four kinds (bucket, function, policy, queue) with nested properties,
//! tags, a multi-line inline function and intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::If`,
//! `Fn::Select`), as much of them as fits in 1 MiB. JSON bodies are pretty-printed, as CloudFormation's console and
//! most tools write them; YAML bodies use the short-form tags (`!Ref`, `!GetAtt a.b`, `!Sub` …).
//!
//! Times are the benchmark thread's time on the CPU (Linux's `/proc/thread-self/schedstat`), not wall-clock time:
//! on a shared two-core machine other processes' builds would otherwise be measured too. Single-threaded code on an
//! idle machine takes the same either way. Where `/proc` is missing (macOS), wall-clock time is used.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use cfn_template::{MAX_TEMPLATE_BYTES, Template};
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group, criterion_main};
use serde_json::{Map, Value, json};
use serde_norway::Value as Yaml;
use serde_norway::value::{Tag, TaggedValue};

/// Bodies are grown to just under this size: the cap, less room for a caller's own additions.
const TARGET_BYTES: usize = MAX_TEMPLATE_BYTES - 4 * 1024;

fn resource(index: usize) -> (String, Value) {
    let tags = json!([
        {"Key": "team", "Value": "payments"},
        {"Key": "stage", "Value": {"Ref": "Stage"}},
        {"Key": "cost-centre", "Value": format!("cc-{}", 1000 + index % 97)},
        {"Key": "name", "Value": {"Fn::Sub": format!("${{AWS::StackName}}-resource-{index}")}},
    ]);
    match index % 4 {
        0 => (
            format!("Bucket{index}"),
            json!({
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",
                "Properties": {
                    "BucketName": {"Fn::Sub": format!("${{AWS::StackName}}-${{AWS::Region}}-data-{index}")},
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": {"Fn::GetAtt": ["Key", "Arn"]}}, "BucketKeyEnabled": true}
                    ]},
                    "LifecycleConfiguration": {"Rules": [
                        {"Id": "expire-old", "Status": "Enabled", "ExpirationInDays": 365,
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 30}},
                        {"Id": "archive", "Status": "Enabled", "Transitions": [
                            {"StorageClass": "GLACIER", "TransitionInDays": 90}]}
                    ]},
                    "Tags": tags,
                }
            }),
        ),
        1 => (
            format!("Function{index}"),
            json!({
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "handler", index.to_string()]]},
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": [format!("Role{index}"), "Arn"]},
                    "Timeout": 30,
                    "MemorySize": 512,
                    "Environment": {"Variables": {
                        "TABLE": {"Ref": format!("Table{index}")},
                        "QUEUE_URL": {"Fn::GetAtt": [format!("Queue{}", index + 2), "QueueUrl"]},
                        "STAGE": {"Ref": "Stage"},
                    }},
                    "Code": {"ZipFile": format!(
                        "import json\nimport os\n\n\ndef handler(event, context):\n    \
                         print(json.dumps(event))\n    return {{\"statusCode\": 200, \"body\": \"{index}\"}}\n"
                    )},
                    "Tags": tags,
                }
            }),
        ),
        2 => (
            format!("Policy{index}"),
            json!({
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "Description": format!("Read and write access for worker {index}"),
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
                            "Resource": [
                                {"Fn::Join": ["", ["arn:aws:s3:::", {"Ref": format!("Bucket{}", index - 2)}]]},
                                {"Fn::Join": ["", ["arn:aws:s3:::", {"Ref": format!("Bucket{}", index - 2)}, "/*"]]}
                            ]},
                        {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
                            "Resource": {"Fn::GetAtt": [format!("Queue{}", index + 1), "Arn"]},
                            "Condition": {"StringEquals": {"aws:RequestedRegion": {"Ref": "AWS::Region"}}}}
                    ]},
                }
            }),
        ),
        _ => (
            format!("Queue{index}"),
            json!({
                "Type": "AWS::SQS::Queue",
                "Condition": "IsProd",
                "Properties": {
                    "QueueName": {"Fn::If": ["IsProd", {"Fn::Sub": format!("${{AWS::StackName}}-q{index}")},
                        {"Ref": "AWS::NoValue"}]},
                    "DelaySeconds": index % 10,
                    "VisibilityTimeout": 120,
                    "MessageRetentionPeriod": 1_209_600,
                    "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetters", "Arn"]},
                        "maxReceiveCount": 5},
                    "KmsMasterKeyId": {"Fn::Select": [0, {"Fn::Split": [",", {"Ref": "KeyIds"}]}]},
                    "Tags": tags,
                }
            }),
        ),
    }
}

fn template(resources: usize) -> Value {
    let mut outputs = Map::new();
    for index in (0..resources).step_by(10) {
        outputs.insert(
            format!("Output{index}"),
            json!({"Value": {"Fn::GetAtt": [format!("Bucket{}", index - index % 4), "Arn"]},
                "Export": {"Name": {"Fn::Sub": format!("${{AWS::StackName}}-out-{index}")}}}),
        );
    }
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "Generated for the cfn-template benchmark",
        "Parameters": {"Stage": {"Type": "String", "Default": "prod", "AllowedValues": ["dev", "prod"]},
            "KeyIds": {"Type": "CommaDelimitedList"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
        "Resources": (0..resources).map(resource).collect::<Map<_, _>>(),
        "Outputs": outputs,
    })
}

/// The YAML a person writes: intrinsic functions in short form, `Fn::GetAtt` as `Res.Attr`.
fn short_form(value: &Value) -> Yaml {
    match value {
        Value::Object(entries) if entries.len() == 1 => {
            let Some((key, inner)) = entries.iter().next() else { unreachable!("one entry") };
            let name = match key.as_str() {
                "Ref" | "Condition" => Some(key.as_str()),
                _ => key.strip_prefix("Fn::"),
            };
            match (name, inner) {
                (Some("GetAtt"), Value::Array(pair)) => {
                    let dotted = pair.iter().map(|part| part.as_str().unwrap()).collect::<Vec<_>>().join(".");
                    tagged("GetAtt", Yaml::String(dotted))
                }
                (Some(name), _) => tagged(name, short_form(inner)),
                (None, _) => Yaml::Mapping([(Yaml::String(key.clone()), short_form(inner))].into_iter().collect()),
            }
        }
        Value::Object(entries) => {
            Yaml::Mapping(entries.iter().map(|(key, inner)| (Yaml::String(key.clone()), short_form(inner))).collect())
        }
        Value::Array(items) => Yaml::Sequence(items.iter().map(short_form).collect()),
        other => serde_norway::to_value(other).unwrap(),
    }
}

fn tagged(name: &str, value: Yaml) -> Yaml {
    Yaml::Tagged(Box::new(TaggedValue { tag: Tag::new(name), value }))
}

fn json_body(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

fn yaml_body(value: &Value) -> String {
    serde_norway::to_string(&short_form(value)).unwrap()
}

/// The largest template whose body, as `write` writes it, fits in [`TARGET_BYTES`].
fn largest_fitting(write: fn(&Value) -> String) -> (Value, String) {
    let per_resource = write(&template(400)).len() / 400;
    let mut resources = TARGET_BYTES / per_resource;
    loop {
        let value = template(resources);
        let body = write(&value);
        if body.len() <= TARGET_BYTES {
            return (value, body);
        }
        resources -= 1 + (body.len() - TARGET_BYTES) / per_resource;
    }
}

fn parse(body: &str) -> Template {
    Template::parse(body).unwrap()
}

/// The benchmark thread's time on the CPU, in nanoseconds.
struct CpuTime;

/// When the process started, for the wall-clock fallback.
static STARTED: LazyLock<Instant> = LazyLock::new(Instant::now);

fn cpu_nanos() -> u64 {
    // The first of schedstat's three numbers is the thread's time on the CPU so far, in nanoseconds.
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|stat| stat.split_whitespace().next().and_then(|nanos| nanos.parse().ok()))
        .unwrap_or_else(|| u64::try_from(STARTED.elapsed().as_nanos()).unwrap_or(u64::MAX))
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = Duration;

    fn start(&self) -> u64 {
        cpu_nanos()
    }

    fn end(&self, started: u64) -> Duration {
        Duration::from_nanos(cpu_nanos().saturating_sub(started))
    }

    fn add(&self, left: &Duration, right: &Duration) -> Duration {
        *left + *right
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        // Nanoseconds, shown as wall-clock durations are.
        static WALL_TIME: WallTime = WallTime;
        WALL_TIME.formatter()
    }
}

fn benches(c: &mut Criterion<CpuTime>) {
    // The template whose pretty JSON is close to 1 MiB, and the same template as YAML (smaller: no quotes, braces).
    let (json_value, json_1mib) = largest_fitting(json_body);
    let yaml_of_json = yaml_body(&json_value);
    // A template whose YAML alone is close to 1 MiB: more resources.
    let (_, yaml_1mib) = largest_fitting(yaml_body);
    // The same YAML with one alias-like `*name` in it (IAM's `s3:*Object`), which sends the body through the alias
    // guard's probe: a second parse of a rewritten copy.
    let yaml_1mib_probed = yaml_1mib.replacen("s3:GetObject", "s3:*Object", 1);
    let resources = json_value.get("Resources").and_then(Value::as_object).map_or(0, Map::len);
    assert!(parse(&json_1mib).differences(&parse(&yaml_of_json)).is_empty());
    eprintln!(
        "pretty JSON: {} bytes, {resources} resources; the same as YAML: {} bytes; YAML alone: {} bytes",
        json_1mib.len(),
        yaml_of_json.len(),
        yaml_1mib.len()
    );

    // Flat sampling: every sample runs the same few iterations, as suits benchmarks of milliseconds.
    let mut group = c.benchmark_group("parse");
    group.sampling_mode(SamplingMode::Flat);
    for (name, body) in [("json_1mib", &json_1mib), ("yaml_1mib", &yaml_1mib), ("yaml_1mib_probed", &yaml_1mib_probed)]
    {
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| b.iter(|| parse(black_box(body))));
    }
    group.finish();

    let mut group = c.benchmark_group("compare");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("parse_json_and_yaml_then_differences", |b| {
        b.iter(|| {
            let stack = parse(black_box(&yaml_of_json));
            let artifact = parse(black_box(&json_1mib));
            stack.differences(&artifact)
        });
    });
    // The same template as pretty and as compact JSON: the usual case, both bodies from CloudFormation.
    let compact_json = serde_json::to_string(&json_value).unwrap();
    group.bench_function("parse_two_json_then_differences", |b| {
        b.iter(|| {
            let stack = parse(black_box(&json_1mib));
            let artifact = parse(black_box(&compact_json));
            stack.differences(&artifact)
        });
    });
    let stack = parse(&yaml_of_json);
    let artifact = parse(&json_1mib);
    group.bench_function("differences_only", |b| b.iter(|| black_box(&stack).differences(black_box(&artifact))));
    // A copy with one change, late in key order (an output added): the walk goes down to it and reports it.
    let mut changed = json_value.clone();
    if let Some(Value::Object(outputs)) = changed.get_mut("Outputs") {
        outputs.insert("Late".to_owned(), json!({"Value": "x"}));
    }
    let changed = parse(&serde_json::to_string(&changed).unwrap());
    group.bench_function("differences_one_late_change", |b| {
        b.iter(|| black_box(&stack).differences(black_box(&changed)));
    });
    group.finish();

    let mut group = c.benchmark_group("fingerprint");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("json_1mib", |b| b.iter(|| black_box(&artifact).fingerprint()));
    group.bench_function("parse_json_then_fingerprint", |b| b.iter(|| parse(black_box(&json_1mib)).fingerprint()));
    group.finish();

    // Dropping a parsed 1 MiB template is part of every comparison too; measured apart to see its share.
    let mut group = c.benchmark_group("drop");
    group.sampling_mode(SamplingMode::Flat);
    group.bench_function("parsed_json_1mib", |b| {
        b.iter_batched(|| parse(&json_1mib), drop, BatchSize::LargeInput);
    });
    group.finish();
}

criterion_group! {
    name = compare;
    // A few seconds a benchmark on a 2-core machine; `cargo bench -- --measurement-time 20` for steadier figures.
    config = Criterion::default().with_measurement(CpuTime).sample_size(30).warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = benches
}
criterion_main!(compare);
