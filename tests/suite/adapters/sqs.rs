//! `SqsImportQueue`: work items sent ten per SendMessageBatch with their group and deduplication ids, and a refused
//! entry reported as a failed send.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchOutput;
use aws_sdk_sqs::types::{BatchResultErrorEntry, SendMessageBatchResultEntry};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

use sc_stack_importer::aws::SqsImportQueue;
use sc_stack_importer::ports::{ImportQueue, QueueMessage};

use super::*;

const QUEUE_URL: &str = "https://sqs.us-east-1.amazonaws.com/111122223333/imports.fifo";

fn queue(rules: &[&Rule]) -> SqsImportQueue {
    let client = mock_client!(aws_sdk_sqs, RuleMode::Sequential, rules, |c| c.retry_config(fast_retries()));
    SqsImportQueue::new(client, QUEUE_URL.to_owned())
}

fn message(number: usize) -> QueueMessage {
    QueueMessage {
        group: "111122223333:us-east-1".into(),
        deduplication_id: format!("dedup-{number}"),
        body: format!("{{\"n\":{number}}}"),
    }
}

fn all_sent() -> SendMessageBatchOutput {
    let ok = SendMessageBatchResultEntry::builder().id("0").message_id("m").md5_of_message_body("x").build().unwrap();
    SendMessageBatchOutput::builder().successful(ok).set_failed(Some(vec![])).build().unwrap()
}

#[tokio::test]
async fn messages_go_ten_per_batch_with_their_group_and_deduplication_id() {
    // GIVEN 23 work items
    let sent = Sent::new();
    let rules: Vec<Rule> = (0..3)
        .map(|_| mock!(Client::send_message_batch).match_requests(sent.recorder()).then_output(all_sent))
        .collect();
    let messages: Vec<QueueMessage> = (0..23).map(message).collect();
    // WHEN they are sent
    queue(&rules.iter().collect::<Vec<_>>()).send(&messages).await.unwrap();
    // THEN three batches of 10, 10 and 3 went to the queue, each entry carrying its group, id and body in order
    let requests = sent.all();
    assert_eq!(requests.iter().map(|r| r.entries().len()).collect::<Vec<_>>(), [10, 10, 3]);
    assert!(requests.iter().all(|r| r.queue_url() == Some(QUEUE_URL)));
    let third = &requests[2].entries()[2];
    assert_eq!(third.message_group_id(), Some("111122223333:us-east-1"));
    assert_eq!(third.message_deduplication_id(), Some("dedup-22"));
    assert_eq!(third.message_body(), "{\"n\":22}");
}

#[tokio::test]
async fn a_refused_entry_fails_the_send() {
    // GIVEN a queue that refuses one entry of the batch
    let rule = mock!(Client::send_message_batch).then_output(|| {
        let refused = BatchResultErrorEntry::builder()
            .id("1")
            .code("KmsAccess.DeniedException")
            .message("no key")
            .sender_fault(true)
            .build()
            .unwrap();
        SendMessageBatchOutput::builder().set_successful(Some(vec![])).failed(refused).build().unwrap()
    });
    // WHEN two items are sent
    let error = queue(&[&rule]).send(&[message(0), message(1)]).await.unwrap_err();
    // THEN the send failed, saying what the queue said
    assert_eq!(error.refused, 1);
    assert!(error.to_string().contains("KmsAccess.DeniedException: no key"), "{error}");
}
