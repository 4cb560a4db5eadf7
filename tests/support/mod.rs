//! An in-memory AWS for handler scenarios: stacks, a catalog, template URLs and outcome destinations that behave
//! like the services do, and remember every call.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

use sc_stack_importer::handler::{Importer, PollSchedule, Settings};
use sc_stack_importer::outcome::Outcome;
use sc_stack_importer::ports::*;
use sc_stack_importer::routing::RoutingRule;
use sc_stack_importer::stack::{Stack, StackArn, StackRef};

pub const ARN: &str =
    "arn:aws:cloudformation:us-east-1:111122223333:stack/payments-api/0b9a4c20-5ad5-11ef-a1b2-0a1b2c3d4e5f";
pub const PRODUCT: &str = "prod-abcdefghijklm";
pub const ARTIFACT: &str = "pa-abcdefghijklm";
pub const TEMPLATE_JSON: &str = r#"{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"Queue":{"Type":"AWS::SQS::Queue","Properties":{"QueueName":{"Fn::Sub":"${AWS::StackName}-q"}}}}}"#;
pub const TEMPLATE_YAML: &str = "AWSTemplateFormatVersion: 2010-09-09\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub '${AWS::StackName}-q'\n";
pub const OTHER_TEMPLATE: &str =
    r#"{"AWSTemplateFormatVersion":"2010-09-09","Resources":{"Topic":{"Type":"AWS::SNS::Topic"}}}"#;

pub fn event_file(name: &str) -> Value {
    let path = format!("{}/events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn stack(arn: &str, status: &str, tags: &[(&str, &str)]) -> Stack {
    Stack {
        arn: StackArn::parse(arn).unwrap(),
        status: status.into(),
        parent_id: None,
        changed_at: "1795891400.000000000".into(),
        tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

pub fn routed_tags() -> Vec<(&'static str, &'static str)> {
    vec![("sc-import:product-id", PRODUCT), ("sc-import:provisioning-artifact-id", ARTIFACT)]
}

#[derive(Clone)]
pub struct FakeArtifact {
    pub id: String,
    pub active: bool,
    pub created: i64,
    pub template_url: String,
}

pub fn err(kind: ServiceErrorKind, code: &str) -> ServiceError {
    ServiceError::new(kind, code, format!("{code} from the fake"))
}

/// One world per test. Fields are public so tests arrange exactly what they need.
#[derive(Default)]
pub struct FakeAws {
    pub stacks: Mutex<HashMap<String, Stack>>,
    pub stack_templates: Mutex<HashMap<String, String>>,
    pub describe_stack_errors: Mutex<VecDeque<ServiceError>>,
    pub products: Mutex<BTreeMap<String, Vec<FakeArtifact>>>,
    pub provisioned: Mutex<Vec<ProvisionedProductSummary>>,
    pub search_errors: Mutex<VecDeque<ServiceError>>,
    pub import_errors: Mutex<VecDeque<ServiceError>>,
    /// Statuses DescribeRecord walks through; the last one repeats.
    pub record_statuses: Mutex<VecDeque<String>>,
    pub record_errors: Mutex<Vec<(String, String)>>,
    pub imports: Mutex<Vec<ImportInput>>,
    pub records_by_token: Mutex<HashMap<String, String>>,
    pub urls: Mutex<HashMap<String, Result<String, FetchError>>>,
    pub published: Mutex<Vec<Outcome>>,
    pub publish_fails: Mutex<bool>,
    pub calls: Mutex<Vec<String>>,
}

impl FakeAws {
    /// A stack tagged for import, a product whose artifact has the same template, nothing provisioned yet.
    pub fn with_importable_stack() -> Self {
        let aws = FakeAws::default();
        aws.add_stack(stack(ARN, "CREATE_COMPLETE", &routed_tags()), TEMPLATE_YAML);
        aws.add_artifact(PRODUCT, ARTIFACT, true, 100, TEMPLATE_JSON);
        aws.record_statuses.lock().unwrap().extend(["IN_PROGRESS".to_string(), "SUCCEEDED".to_string()]);
        aws
    }

    pub fn add_stack(&self, stack: Stack, template: &str) {
        self.stack_templates.lock().unwrap().insert(stack.arn.to_string(), template.into());
        self.stacks.lock().unwrap().insert(stack.arn.to_string(), stack);
    }

    pub fn add_artifact(&self, product: &str, artifact: &str, active: bool, created: i64, template: &str) {
        let url = format!("https://templates.example/{product}/{artifact}.json?X-Amz-Signature=abc");
        self.urls.lock().unwrap().insert(url.clone(), Ok(template.into()));
        self.products.lock().unwrap().entry(product.into()).or_default().push(FakeArtifact {
            id: artifact.into(),
            active,
            created,
            template_url: url,
        });
    }

    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    pub fn count(&self, operation: &str) -> usize {
        self.calls().iter().filter(|call| call.starts_with(operation)).count()
    }

    pub fn published(&self) -> Vec<Value> {
        self.published.lock().unwrap().iter().map(Outcome::to_json).collect()
    }

    fn record(&self, call: String) {
        self.calls.lock().unwrap().push(call);
    }

    fn next_record_status(&self) -> String {
        let mut statuses = self.record_statuses.lock().unwrap();
        if statuses.len() > 1 {
            statuses.pop_front().unwrap()
        } else {
            statuses.front().cloned().unwrap_or("SUCCEEDED".into())
        }
    }
}

impl StackReader for FakeAws {
    async fn describe_stack(&self, stack: &StackRef) -> Result<Option<Stack>, ServiceError> {
        self.record(format!("DescribeStacks {}", stack.as_str()));
        if let Some(error) = self.describe_stack_errors.lock().unwrap().pop_front() {
            return Err(error);
        }
        let stacks = self.stacks.lock().unwrap();
        Ok(match stack {
            StackRef::Arn(arn) => stacks.get(arn.as_str()).cloned(),
            StackRef::Name(name) => stacks.values().find(|s| s.name() == name).cloned(),
        })
    }

    async fn original_template(&self, stack: &StackArn) -> Result<String, ServiceError> {
        self.record(format!("GetTemplate {stack}"));
        self.stack_templates
            .lock()
            .unwrap()
            .get(stack.as_str())
            .cloned()
            .ok_or(err(ServiceErrorKind::NotFound, "ValidationError"))
    }
}

impl Catalog for FakeAws {
    async fn search_provisioned_products(
        &self,
        query: &ProvisionedProductQuery,
    ) -> Result<Vec<ProvisionedProductSummary>, ServiceError> {
        self.record(format!("SearchProvisionedProducts {query:?}"));
        if let Some(error) = self.search_errors.lock().unwrap().pop_front() {
            return Err(error);
        }
        let provisioned = self.provisioned.lock().unwrap();
        Ok(provisioned
            .iter()
            .filter(|p| match query {
                ProvisionedProductQuery::PhysicalId(arn) => p.physical_id.as_deref() == Some(arn),
                // Like the real full-text search, a name query also finds longer names.
                ProvisionedProductQuery::Name(name) => p.name.contains(name.as_str()),
            })
            .cloned()
            .collect())
    }

    async fn list_artifacts(&self, product_id: &str) -> Result<Vec<ArtifactSummary>, ServiceError> {
        self.record(format!("ListProvisioningArtifacts {product_id}"));
        let products = self.products.lock().unwrap();
        let artifacts = products.get(product_id).ok_or(err(ServiceErrorKind::NotFound, "ResourceNotFoundException"))?;
        Ok(artifacts
            .iter()
            .map(|a| ArtifactSummary { id: a.id.clone(), active: a.active, created: a.created })
            .collect())
    }

    async fn describe_artifact(&self, product_id: &str, artifact_id: &str) -> Result<ArtifactDetail, ServiceError> {
        self.record(format!("DescribeProvisioningArtifact {product_id} {artifact_id}"));
        let products = self.products.lock().unwrap();
        products
            .get(product_id)
            .and_then(|artifacts| artifacts.iter().find(|a| a.id == artifact_id))
            .map(|a| ArtifactDetail { id: a.id.clone(), active: a.active, template_url: Some(a.template_url.clone()) })
            .ok_or(err(ServiceErrorKind::NotFound, "ResourceNotFoundException"))
    }

    async fn import(&self, input: &ImportInput) -> Result<RecordSnapshot, ServiceError> {
        self.record(format!("ImportAsProvisionedProduct {}", input.physical_id));
        self.imports.lock().unwrap().push(input.clone());
        if let Some(error) = self.import_errors.lock().unwrap().pop_front() {
            return Err(error);
        }
        // The idempotency token: the same token answers with the first request's record.
        let mut tokens = self.records_by_token.lock().unwrap();
        let next = format!("rec-{}", tokens.len() + 1);
        let record_id = tokens.entry(input.idempotency_token.clone()).or_insert(next).clone();
        Ok(RecordSnapshot {
            record_id,
            status: "CREATED".into(),
            provisioned_product_id: Some("pp-1".into()),
            errors: vec![],
        })
    }

    async fn describe_record(&self, record_id: &str) -> Result<RecordSnapshot, ServiceError> {
        self.record(format!("DescribeRecord {record_id}"));
        let status = self.next_record_status();
        if status == "SUCCEEDED" {
            let input = self.imports.lock().unwrap().last().cloned();
            if let Some(input) = input {
                let mut provisioned = self.provisioned.lock().unwrap();
                if !provisioned.iter().any(|p| p.physical_id.as_deref() == Some(&input.physical_id)) {
                    provisioned.push(ProvisionedProductSummary {
                        id: "pp-1".into(),
                        name: input.provisioned_product_name,
                        physical_id: Some(input.physical_id),
                    });
                }
            }
        }
        let errors = if status == "FAILED" { self.record_errors.lock().unwrap().clone() } else { vec![] };
        Ok(RecordSnapshot { record_id: record_id.into(), status, provisioned_product_id: Some("pp-1".into()), errors })
    }
}

impl TemplateFetcher for FakeAws {
    async fn fetch(&self, url: &str) -> Result<String, FetchError> {
        self.record(format!("GET {url}"));
        self.urls
            .lock()
            .unwrap()
            .get(url)
            .cloned()
            .unwrap_or(Err(FetchError { message: "404 Not Found".into(), retryable: false }))
    }
}

impl OutcomePublisher for FakeAws {
    async fn publish(&self, outcome: &Outcome) -> Result<(), PublishError> {
        self.record(format!("Publish {}", outcome.reason().as_str()));
        self.published.lock().unwrap().push(outcome.clone());
        if *self.publish_fails.lock().unwrap() {
            return Err(PublishError { destination: "fake topic".into(), message: "AuthorizationError".into() });
        }
        Ok(())
    }
}

pub fn settings(rules: &str, dry_run: bool) -> Settings {
    Settings {
        tag_prefix: "sc-import:".into(),
        rules: RoutingRule::parse_all(rules).unwrap(),
        dry_run,
        poll: PollSchedule {
            first_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(5),
            safety_margin: Duration::from_secs(10),
            default_budget: Duration::from_secs(60),
        },
    }
}

pub fn importer(aws: &FakeAws, settings: Settings) -> Importer<&FakeAws, &FakeAws, &FakeAws, &FakeAws> {
    Importer { stacks: aws, catalog: aws, templates: aws, publisher: aws, settings }
}

/// The function's answer to `payload` with five minutes left; the invocation must not fail.
pub async fn answer(aws: &FakeAws, settings: Settings, payload: Value) -> Value {
    importer(aws, settings)
        .handle(invocation(payload, 300))
        .await
        .unwrap_or_else(|error| panic!("the invocation failed: {error}"))
}

/// An invocation as the runtime delivers it, with `seconds` left before the deadline.
pub fn invocation(payload: Value, seconds: u64) -> LambdaEvent<Value> {
    let mut context = Context::default();
    context.request_id = "req-7f3e".into();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    context.deadline = now + seconds * 1000;
    LambdaEvent::new(payload, context)
}
