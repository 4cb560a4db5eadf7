//! `DynamoFingerprintStore`: fingerprints read back 100 keys per BatchGetItem and written 25 items per
//! BatchWriteItem, what DynamoDB leaves unprocessed sent again, and a malformed item ignored.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemOutput;
use aws_sdk_dynamodb::operation::batch_write_item::BatchWriteItemOutput;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use cfn_template::{Fingerprint, Template};

use sc_stack_importer::aws::DynamoFingerprintStore;
use sc_stack_importer::ids::ArtifactId;
use sc_stack_importer::ports::{FailureKind, FingerprintStore};

use super::*;

const TABLE: &str = "sc-stack-importer-artifacts";

fn store(rules: &[&Rule]) -> DynamoFingerprintStore {
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, rules, |c| c.retry_config(fast_retries()));
    DynamoFingerprintStore::new(client, TABLE.to_owned())
}

fn artifact(number: usize) -> ArtifactId {
    ArtifactId::parse(&format!("pa-{number:013}")).unwrap()
}

fn fingerprint(number: usize) -> Fingerprint {
    Template::parse(&format!("Resources: {{Q{number}: {{Type: AWS::SQS::Queue}}}}")).unwrap().fingerprint()
}

fn item(artifact: &str, fingerprint: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("artifactId".to_owned(), AttributeValue::S(artifact.into())),
        ("fingerprint".to_owned(), AttributeValue::S(fingerprint.into())),
    ])
}

#[tokio::test]
async fn fingerprints_are_read_back_a_hundred_keys_a_call_and_malformed_items_ignored() {
    // GIVEN 150 artifacts, of which the table holds two well-formed items and one malformed
    let sent = Sent::new();
    let first = mock!(Client::batch_get_item).match_requests(sent.recorder()).then_output(|| {
        let items =
            vec![item(artifact(1).as_str(), fingerprint(1).as_str()), item(artifact(2).as_str(), "not a fingerprint")];
        BatchGetItemOutput::builder().responses(TABLE, items).build()
    });
    let second = mock!(Client::batch_get_item).match_requests(sent.recorder()).then_output(|| {
        BatchGetItemOutput::builder().responses(TABLE, vec![item("pa-0000000000120", &"a".repeat(64))]).build()
    });
    let artifacts: Vec<ArtifactId> = (0..150).map(artifact).collect();
    // WHEN they are recalled
    let recalled = store(&[&first, &second]).recall(&artifacts).await.unwrap();
    // THEN two calls asked for 100 and 50 keys of the table, and the two well-formed items came back
    let sizes: Vec<usize> =
        sent.all().iter().map(|request| request.request_items().unwrap()[TABLE].keys().len()).collect();
    assert_eq!(sizes, [100, 50]);
    assert_eq!(
        recalled,
        vec![(artifact(1), fingerprint(1)), (artifact(120), Fingerprint::parse(&"a".repeat(64)).unwrap())]
    );
}

#[tokio::test]
async fn keys_left_unprocessed_are_asked_for_again() {
    let sent = Sent::new();
    let throttled = mock!(Client::batch_get_item).match_requests(sent.recorder()).then_output(|| {
        let left = KeysAndAttributes::builder()
            .keys(HashMap::from([("artifactId".to_owned(), AttributeValue::S(artifact(1).to_string()))]))
            .build()
            .unwrap();
        BatchGetItemOutput::builder()
            .responses(TABLE, vec![item(artifact(0).as_str(), fingerprint(0).as_str())])
            .unprocessed_keys(TABLE, left)
            .build()
    });
    let rest = mock!(Client::batch_get_item).match_requests(sent.recorder()).then_output(|| {
        BatchGetItemOutput::builder()
            .responses(TABLE, vec![item(artifact(1).as_str(), fingerprint(1).as_str())])
            .build()
    });

    let recalled = store(&[&throttled, &rest]).recall(&[artifact(0), artifact(1)]).await.unwrap();

    assert_eq!(recalled, vec![(artifact(0), fingerprint(0)), (artifact(1), fingerprint(1))]);
    assert_eq!(sent.all()[1].request_items().unwrap()[TABLE].keys().len(), 1, "only the unprocessed key again");
}

#[tokio::test]
async fn fingerprints_are_written_twenty_five_items_a_call_and_unprocessed_ones_resent() {
    let sent = Sent::new();
    let batch = |left: usize| {
        mock!(Client::batch_write_item).match_requests(sent.recorder()).then_output(move || {
            let unprocessed: Vec<WriteRequest> = (0..left)
                .map(|n| {
                    let put = PutRequest::builder().set_item(Some(item(artifact(n).as_str(), fingerprint(n).as_str())));
                    WriteRequest::builder().put_request(put.build().unwrap()).build()
                })
                .collect();
            BatchWriteItemOutput::builder().unprocessed_items(TABLE, unprocessed).build()
        })
    };
    let (first, resend, second) = (batch(2), batch(0), batch(0));
    let learnt: Vec<(ArtifactId, Fingerprint)> = (0..30).map(|n| (artifact(n), fingerprint(n))).collect();

    store(&[&first, &resend, &second]).remember(&learnt).await.unwrap();

    let requests = sent.all();
    let sizes: Vec<usize> = requests.iter().map(|request| request.request_items().unwrap()[TABLE].len()).collect();
    assert_eq!(sizes, [25, 2, 5]);
    let put = requests[0].request_items().unwrap()[TABLE][3].put_request().unwrap();
    assert_eq!(put.item(), &item(artifact(3).as_str(), fingerprint(3).as_str()));
}

#[tokio::test]
async fn a_table_that_cannot_be_read_is_a_failure_of_the_call() {
    let denied = mock!(Client::batch_get_item).then_error(|| {
        aws_sdk_dynamodb::operation::batch_get_item::BatchGetItemError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized to perform dynamodb:BatchGetItem")
                .build(),
        )
    });

    let failure = store(&[&denied]).recall(&[artifact(0)]).await.unwrap_err();

    assert_eq!((failure.kind, failure.operation), (FailureKind::AccessDenied, "BatchGetItem"));
}
