//! The artifact fingerprint store in DynamoDB (`ARTIFACT_INDEX_TABLE`): one item per artifact, `artifactId` (the
//! table's hash key) and `fingerprint`. Artifact ids are unique across accounts and regions and an artifact's
//! template never changes, so an item is written once and never updated or expired.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use cfn_template::Fingerprint;

use super::error::{failure, unexpected};
use crate::ids::ArtifactId;
use crate::ports::{FingerprintStore, ServiceFailure};

const BATCH_GET: &str = "BatchGetItem";
const BATCH_WRITE: &str = "BatchWriteItem";

/// DynamoDB's limits: 100 keys per BatchGetItem, 25 items per BatchWriteItem.
const GET_BATCH: usize = 100;
const WRITE_BATCH: usize = 25;

/// Rounds of resending what DynamoDB left unprocessed (it does under throttling) before giving up on a batch.
const UNPROCESSED_ROUNDS: usize = 5;

const KEY: &str = "artifactId";
const FINGERPRINT: &str = "fingerprint";

#[derive(Debug, Clone)]
pub struct DynamoFingerprintStore {
    client: Client,
    table: String,
}

impl DynamoFingerprintStore {
    pub fn new(client: Client, table: String) -> Self {
        Self { client, table }
    }
}

impl FingerprintStore for DynamoFingerprintStore {
    async fn recall(&self, artifacts: &[ArtifactId]) -> Result<Vec<(ArtifactId, Fingerprint)>, ServiceFailure> {
        let mut found = Vec::new();
        for chunk in artifacts.chunks(GET_BATCH) {
            let keys =
                chunk.iter().map(|artifact| HashMap::from([(KEY.to_owned(), text(artifact.as_str()))])).collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .consistent_read(false)
                    .build()
                    .map_err(|error| unexpected(BATCH_GET, error.to_string()))?,
            );
            for _ in 0..UNPROCESSED_ROUNDS {
                let Some(keys) = request.take() else { break };
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .map_err(failure(BATCH_GET))?;
                let items = output.responses().and_then(|tables| tables.get(&self.table));
                found.extend(items.into_iter().flatten().filter_map(stored));
                request = output.unprocessed_keys().and_then(|tables| tables.get(&self.table)).cloned();
            }
        }
        Ok(found)
    }

    async fn remember(&self, learnt: &[(ArtifactId, Fingerprint)]) -> Result<(), ServiceFailure> {
        for chunk in learnt.chunks(WRITE_BATCH) {
            let mut writes: Vec<WriteRequest> = chunk
                .iter()
                .map(|(artifact, fingerprint)| {
                    let item = HashMap::from([
                        (KEY.to_owned(), text(artifact.as_str())),
                        (FINGERPRINT.to_owned(), text(fingerprint.as_str())),
                    ]);
                    let put = PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .map_err(|error| unexpected(BATCH_WRITE, error.to_string()))?;
                    Ok(WriteRequest::builder().put_request(put).build())
                })
                .collect::<Result<_, ServiceFailure>>()?;
            for _ in 0..UNPROCESSED_ROUNDS {
                if writes.is_empty() {
                    break;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, std::mem::take(&mut writes))
                    .send()
                    .await
                    .map_err(failure(BATCH_WRITE))?;
                writes =
                    output.unprocessed_items().and_then(|tables| tables.get(&self.table)).cloned().unwrap_or_default();
            }
            if !writes.is_empty() {
                return Err(unexpected(BATCH_WRITE, format!("{} items were left unprocessed", writes.len())));
            }
        }
        Ok(())
    }
}

fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

/// An item as written by `remember`; anything else in the table (a malformed id or fingerprint) is ignored.
fn stored(item: &HashMap<String, AttributeValue>) -> Option<(ArtifactId, Fingerprint)> {
    let artifact = ArtifactId::parse(item.get(KEY)?.as_s().ok()?).ok()?;
    let fingerprint = Fingerprint::parse(item.get(FINGERPRINT)?.as_s().ok()?)?;
    Some((artifact, fingerprint))
}
