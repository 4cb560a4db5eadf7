//! SQS adapter: sends work items to the FIFO import queue (docs/CONTRACT.md §7), ten per SendMessageBatch.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use crate::ports::{ImportQueue, QueueError, QueueMessage};

/// The most entries SendMessageBatch takes.
const BATCH: usize = 10;

#[derive(Debug, Clone)]
pub struct SqsImportQueue {
    client: Client,
    queue_url: String,
}

impl SqsImportQueue {
    pub fn new(client: Client, queue_url: String) -> Self {
        Self { client, queue_url }
    }
}

impl ImportQueue for SqsImportQueue {
    async fn send(&self, messages: &[QueueMessage]) -> Result<(), QueueError> {
        let refused = |refused: usize, message: String| QueueError { sent: messages.len(), refused, message };
        for chunk in messages.chunks(BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(index, message)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(index.to_string())
                        .message_body(&message.body)
                        .message_group_id(&message.group)
                        .message_deduplication_id(&message.deduplication_id)
                        .build()
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| refused(chunk.len(), error.to_string()))?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|error| refused(chunk.len(), super::error::classify(error).to_string()))?;
            // SendMessageBatch answers 200 when some entries were refused; `Failed` lists them.
            if let Some(first) = output.failed().first() {
                return Err(refused(
                    output.failed().len(),
                    format!("{}: {}", first.code(), first.message().unwrap_or_default()),
                ));
            }
        }
        Ok(())
    }
}
