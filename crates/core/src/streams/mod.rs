//! DynamoDB Streams: a change record for every item write that changes an
//! item, committed in the write's own storage transaction, and the
//! registry of streams the DynamoDBStreams_20120810 API reads.
//!
//! Each stream is one shard that stays open while the stream is enabled
//! and closes when it is disabled or its table deleted (DynamoDB splits
//! shards every few hours; a reader following `NextShardIterator` cannot
//! tell). A stream outlives its table, readable and DISABLED, for the
//! 24 hours DynamoDB keeps records (`retention`).
//!
//! Records are keyed by a database-wide sequence number (`sequencer`),
//! which orders them by commit: two writes of one item hold its row lock
//! in turn and take their numbers under it, so an item's records are in
//! the order of its changes, as DynamoDB promises.

pub mod iterator;
pub mod reader;
pub mod record;
pub mod retention;
pub mod sequencer;
pub mod triggers;

use crate::catalog::{KeySchema, StreamSettings, TableMeta};
use crate::{keys, storage_error};
use dynalith_model::{DynamoError, ErrorKind};
use dynalith_storage::{Engine, Transaction};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How long records (and streams no longer enabled) are kept.
pub const RETENTION_SECONDS: f64 = 24.0 * 60.0 * 60.0;

/// One stream, as persisted at `keys::stream_entry`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamMeta {
    /// Prefix of the stream's record keys, from the table-id sequence.
    pub id: u32,
    /// The stream's creation time, which names its ARN.
    pub label: String,
    pub view_type: String,
    pub table_name: String,
    pub table_id: u32,
    pub region: String,
    pub key_schema: KeySchema,
    pub created_at: f64,
    /// The sequence number the stream's shard starts at.
    pub first_sequence: u64,
    /// Records below this sequence number were removed after 24 hours.
    #[serde(default)]
    pub trimmed_before: u64,
    /// When the stream was disabled or its table deleted.
    pub disabled_at: Option<f64>,
    /// The records kept for a Kinesis destination (`kinesis`) rather than
    /// a DynamoDB stream: the Streams API does not show it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kinesis: bool,
}

impl StreamMeta {
    pub fn new(id: u32, table: &TableMeta, settings: &StreamSettings, first: u64) -> StreamMeta {
        StreamMeta {
            id,
            label: settings.label.clone(),
            view_type: settings.view_type.clone(),
            table_name: table.name.clone(),
            table_id: table.id,
            region: table.region.clone(),
            key_schema: table.key_schema.clone(),
            created_at: crate::now_epoch_seconds(),
            first_sequence: first,
            trimmed_before: 0,
            disabled_at: None,
            kinesis: false,
        }
    }

    pub fn arn(&self) -> String {
        stream_arn(&self.region, &self.table_name, &self.label)
    }

    /// DynamoDB's shard ids: `shardId-` with twenty digits and eight hex.
    pub fn shard_id(&self) -> String {
        let millis = (self.created_at * 1000.0) as u64;
        let tag = xxhash_rust::xxh3::xxh3_64(self.arn().as_bytes()) as u32;
        format!("shardId-{millis:020}-{tag:08x}")
    }

    pub fn is_enabled(&self) -> bool {
        self.disabled_at.is_none()
    }

    /// The first sequence number a reader may still read.
    pub fn oldest_readable(&self) -> u64 {
        self.first_sequence.max(self.trimmed_before)
    }

    pub fn persist(&self, txn: &mut dyn Transaction) -> Result<(), DynamoError> {
        let encoded = serde_json::to_vec(self).map_err(|e| DynamoError::internal(e.to_string()))?;
        txn.put(&keys::stream_entry(self.id), &encoded)
            .map_err(storage_error)
    }
}

/// A stream of table "t" (key "pk", a string) in us-east-1, for tests.
#[cfg(test)]
pub(crate) fn test_stream(id: u32, view_type: &str) -> StreamMeta {
    use crate::catalog::{KeyAttribute, ScalarType};
    StreamMeta {
        id,
        label: "2026-01-01T00:00:00.000".into(),
        view_type: view_type.into(),
        table_name: "t".into(),
        table_id: 1,
        region: "us-east-1".into(),
        key_schema: KeySchema::single(
            KeyAttribute {
                name: "pk".into(),
                scalar_type: ScalarType::S,
            },
            None,
        ),
        created_at: 0.0,
        first_sequence: 1,
        trimmed_before: 0,
        disabled_at: None,
        kinesis: false,
    }
}

/// A stream's ARN: its table's ARN, `/stream/` and its label.
pub fn stream_arn(region: &str, table_name: &str, label: &str) -> String {
    format!(
        "arn:aws:dynamodb:{region}:{}:table/{table_name}/stream/{label}",
        crate::ACCOUNT_ID
    )
}

/// Every stream, in memory, and the sequence numbers of their records.
pub struct Streams {
    by_id: RwLock<BTreeMap<u32, Arc<StreamMeta>>>,
    sequencer: sequencer::Sequencer,
}

impl Streams {
    /// Reads every stream entry; the next sequence number follows the
    /// highest one any stream holds or any reader has passed, so numbers
    /// never repeat.
    pub fn load(engine: &dyn Engine) -> Result<Streams, DynamoError> {
        let (start, end) = keys::stream_entries_range();
        let snapshot = engine.snapshot();
        let mut by_id = BTreeMap::new();
        let mut next = 1u64;
        for entry in snapshot.scan(&start, &end, false) {
            let (_, value) = entry.map_err(storage_error)?;
            let meta: StreamMeta = serde_json::from_slice(&value)
                .map_err(|e| DynamoError::internal(format!("corrupt stream entry: {e}")))?;
            next = next.max(meta.first_sequence).max(meta.trimmed_before);
            let (records_start, records_end) = keys::stream_records_range(meta.id);
            if let Some(last) = snapshot.scan(&records_start, &records_end, true).next() {
                let (key, _) = last.map_err(storage_error)?;
                if let Some(sequence) = keys::sequence_of_stream_record(&key) {
                    next = next.max(sequence + 1);
                }
            }
            // A Kinesis destination's log deletes what it delivered, so its
            // cursor may be past every record left.
            let (cursors_start, cursors_end) = keys::trigger_cursors_range(meta.id);
            for cursor in snapshot.scan(&cursors_start, &cursors_end, false) {
                let (_, value) = cursor.map_err(storage_error)?;
                if let Ok(bytes) = <[u8; 8]>::try_from(&value[..]) {
                    next = next.max(u64::from_be_bytes(bytes));
                }
            }
            by_id.insert(meta.id, Arc::new(meta));
        }
        Ok(Streams {
            by_id: RwLock::new(by_id),
            sequencer: sequencer::Sequencer::starting_at(next),
        })
    }

    pub fn sequencer(&self) -> &sequencer::Sequencer {
        &self.sequencer
    }

    pub fn get(&self, id: u32) -> Option<Arc<StreamMeta>> {
        self.by_id.read().get(&id).cloned()
    }

    /// Every DynamoDB stream, oldest first.
    pub fn all(&self) -> Vec<Arc<StreamMeta>> {
        self.by_id
            .read()
            .values()
            .filter(|s| !s.kinesis)
            .cloned()
            .collect()
    }

    /// Every stream and Kinesis destination's record log, for retention.
    pub fn all_with_kinesis_logs(&self) -> Vec<Arc<StreamMeta>> {
        self.by_id.read().values().cloned().collect()
    }

    /// The stream an ARN names, or DynamoDB's ResourceNotFoundException.
    pub fn by_arn(&self, arn: &str) -> Result<Arc<StreamMeta>, DynamoError> {
        self.by_id
            .read()
            .values()
            .find(|s| !s.kinesis && s.arn() == arn)
            .cloned()
            .ok_or_else(|| stream_not_found(arn))
    }

    /// Publishes a committed change to a stream's entry.
    pub fn publish(&self, meta: StreamMeta) {
        self.by_id.write().insert(meta.id, Arc::new(meta));
    }

    pub fn unpublish(&self, id: u32) {
        self.by_id.write().remove(&id);
    }
}

pub fn stream_not_found(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: Stream: {arn} not found"),
    )
}

/// The stream of `table` that is being written to, if any.
pub(crate) fn enabled_stream_id(table: &TableMeta) -> Option<u32> {
    table
        .stream
        .as_ref()
        .filter(|s| s.enabled)
        .and_then(|s| s.id)
}

/// The registry entry of a table's enabled stream, marked disabled now
/// (UpdateTable turning it off, DeleteTable), persisted in `txn`; published
/// by the caller after the commit.
pub(crate) fn disable(
    streams: &Streams,
    table: &TableMeta,
    txn: &mut dyn Transaction,
) -> Result<Option<StreamMeta>, DynamoError> {
    let Some(meta) = enabled_stream_id(table).and_then(|id| streams.get(id)) else {
        return Ok(None);
    };
    let mut meta = (*meta).clone();
    meta.disabled_at = Some(crate::now_epoch_seconds());
    meta.persist(txn)?;
    Ok(Some(meta))
}

impl crate::Database {
    /// Gives every table whose stream was enabled before streams kept
    /// records (its settings have no id) a registered stream, so that the
    /// ARN its description names can be read; records start now.
    pub(crate) fn register_unrecorded_streams(&self) -> Result<(), DynamoError> {
        let _changes = self.catalog().lock_changes();
        for name in self.catalog().names() {
            let Some(table) = self.catalog().get(&name) else {
                continue;
            };
            let Some(settings) = table
                .stream
                .as_ref()
                .filter(|s| s.enabled && s.id.is_none())
            else {
                continue;
            };
            let id = crate::catalog::next_id(self.engine())?;
            let next = id
                .checked_add(1)
                .ok_or_else(|| DynamoError::internal("table ids exhausted"))?;
            let mut updated = (*table).clone();
            let settings = StreamSettings {
                id: Some(id),
                ..settings.clone()
            };
            let first = self.streams().sequencer().peek_next();
            let stream = StreamMeta::new(id, &updated, &settings, first);
            updated.stream = Some(settings);
            let mut txn = self.engine().begin();
            txn.put(&keys::next_table_id(), &next.to_be_bytes())
                .map_err(storage_error)?;
            crate::catalog::write_entry(&mut *txn, &updated)?;
            stream.persist(&mut *txn)?;
            txn.commit().map_err(storage_error)?;
            self.catalog().publish(updated);
            self.streams().publish(stream);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{create_table, open_durable as open, run};
    use crate::{keys, Operation};

    #[test]
    fn a_stream_recorded_before_records_were_kept_is_registered_at_start_up() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = open(dir.path());
            create_table(&db, "old");
            // The catalog entry as an earlier version wrote it: stream
            // settings without an id.
            let key = keys::table_entry("old");
            let mut entry: serde_json::Value =
                serde_json::from_slice(&db.engine().get(&key).unwrap().unwrap()).unwrap();
            entry["stream"] = serde_json::json!({
                "enabled": true, "view_type": "KEYS_ONLY", "label": "2020-01-01T00:00:00.000"
            });
            let mut txn = db.engine().begin();
            txn.put(&key, &serde_json::to_vec(&entry).unwrap()).unwrap();
            txn.commit().unwrap();
            db.engine().flush().unwrap();
        }
        let db = open(dir.path());
        let arn =
            "arn:aws:dynamodb:us-east-1:000000000000:table/old/stream/2020-01-01T00:00:00.000";
        let described = run(&db, Operation::DescribeTable, r#"{"TableName":"old"}"#);
        assert_eq!(described["Table"]["LatestStreamArn"], arn);
        run(
            &db,
            Operation::PutItem,
            r#"{"TableName":"old","Item":{"pk":{"S":"a"}}}"#,
        );
        let stream = run(
            &db,
            Operation::DescribeStream,
            &format!(r#"{{"StreamArn":"{arn}"}}"#),
        );
        let shard = &stream["StreamDescription"]["Shards"][0]["ShardId"];
        let iterator = run(
            &db,
            Operation::GetShardIterator,
            &format!(
                r#"{{"StreamArn":"{arn}","ShardId":{shard},"ShardIteratorType":"TRIM_HORIZON"}}"#
            ),
        );
        let records = run(
            &db,
            Operation::GetRecords,
            &serde_json::json!({"ShardIterator": iterator["ShardIterator"]}).to_string(),
        );
        assert_eq!(records["Records"].as_array().unwrap().len(), 1);
        assert_eq!(records["Records"][0]["eventName"], "INSERT");
    }
}
