//! Kinesis Data Streams destinations: a table's item changes sent to a
//! Kinesis data stream (EnableKinesisStreamingDestination and its
//! siblings), the core's half; the server delivers them.
//!
//! Each enablement of a destination keeps its own record log: a
//! `StreamMeta` marked `kinesis`, hidden from the Streams API, whose
//! records the write path commits in the item's transaction with both
//! images, as DynamoDB sends them to Kinesis. The delivery reads the log
//! from a stored cursor and removes what Kinesis has taken, so records
//! go out at least once and, per item, in order, across restarts.
//!
//! Statuses: ENABLING until the delivery has found the Kinesis stream
//! (then ACTIVE) or cannot (ENABLE_FAILED, with the reason); DISABLED
//! after DisableKinesisStreamingDestination. DISABLING and UPDATING are
//! only ever answered: both changes are complete when they return.

use crate::catalog::TableMeta;
use crate::streams::record::{time_to_live_identity, Stored};
use crate::streams::StreamMeta;
use crate::validate::Violations;
use crate::{keys, storage_error, Database};
use dynalith_model::DynamoError;
use dynalith_storage::ControlFlow;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::sync::Arc;

/// ApproximateCreationDateTimePrecision's values; DynamoDB's default is
/// microseconds.
pub const PRECISIONS: &[&str] = &["MILLISECOND", "MICROSECOND"];
pub const DEFAULT_PRECISION: &str = "MICROSECOND";

/// The cursor's reader name in the trigger-cursor keys of a log.
const CURSOR: &str = "kinesis";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DestinationStatus {
    Enabling,
    Active,
    EnableFailed,
    Disabled,
}

impl DestinationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationStatus::Enabling => "ENABLING",
            DestinationStatus::Active => "ACTIVE",
            DestinationStatus::EnableFailed => "ENABLE_FAILED",
            DestinationStatus::Disabled => "DISABLED",
        }
    }

    /// Whether writes record their changes for the destination.
    pub fn records(self) -> bool {
        matches!(
            self,
            DestinationStatus::Enabling | DestinationStatus::Active
        )
    }
}

/// One Kinesis data stream a table has been enabled for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KinesisDestination {
    pub stream_arn: String,
    pub status: DestinationStatus,
    /// Why enabling failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_description: Option<String>,
    /// ApproximateCreationDateTimePrecision.
    pub precision: String,
    /// The id of the current enablement's record log.
    pub log: u32,
}

/// The record logs of `table`'s destinations that writes add to.
pub(crate) fn recording_logs(table: &TableMeta) -> impl Iterator<Item = u32> + '_ {
    table
        .kinesis_destinations
        .iter()
        .filter(|d| d.status.records())
        .map(|d| d.log)
}

/// The Region and stream name of a Kinesis data stream's ARN
/// (`arn:PARTITION:kinesis:REGION:ACCOUNT:stream/NAME`).
pub fn parse_stream_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("kinesis"), Some(region), Some(account), Some(rest)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let name = rest.strip_prefix("stream/")?;
    let valid_name = (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    let valid_account = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    (!partition.is_empty() && !region.is_empty() && valid_account && valid_name)
        .then_some((region, name))
}

/// The checked members of Enable-, Update- and
/// DisableKinesisStreamingDestination: the table's name (from a name or an
/// ARN) and the stream's ARN.
pub(crate) struct DestinationRequest<'a> {
    pub table_name: &'a str,
    pub stream_arn: String,
}

/// Coral's checks on TableName (a name or ARN), StreamArn (37 to 1024
/// characters) and the operation's precision at `precision_path`, then
/// whether StreamArn names a Kinesis data stream.
pub(crate) fn check_request<'a>(
    table_name: Option<&'a str>,
    stream_arn: Option<&str>,
    precision: Option<&str>,
    precision_path: &str,
    context: &crate::RequestContext,
) -> Result<DestinationRequest<'a>, DynamoError> {
    let mut v = Violations::new();
    crate::table_reference::check_member(&mut v, table_name, "tableName");
    if v.require(&stream_arn, "streamArn") {
        if let Some(arn) = stream_arn {
            v.length_between(
                format_args!("'{arn}'"),
                arn.chars().count(),
                "streamArn",
                37,
                1024,
            );
        }
    }
    v.one_of(precision, precision_path, PRECISIONS);
    v.finish()?;
    let table_name = crate::table_reference::required(table_name, "tableName", context)?;
    let stream_arn = stream_arn.unwrap_or_default().to_string();
    if parse_stream_arn(&stream_arn).is_none() {
        return Err(DynamoError::validation(format!(
            "Invalid StreamArn: {stream_arn} is not the ARN of a Kinesis data stream \
             (arn:aws:kinesis:REGION:ACCOUNT:stream/NAME)"
        )));
    }
    Ok(DestinationRequest {
        table_name,
        stream_arn,
    })
}

/// The table a destination operation names, or DynamoDB's
/// ResourceNotFoundException.
pub(crate) fn table(
    db: &Database,
    name: &str,
    region: &str,
) -> Result<Arc<TableMeta>, DynamoError> {
    db.catalog()
        .require_in(name, region)
        .map_err(|_| DynamoError::table_not_found(name))
}

/// The destination of `table` for `stream_arn` that is ACTIVE, which
/// Update and Disable need; `operation` names the one asking.
pub(crate) fn active_destination<'a>(
    table: &'a mut TableMeta,
    stream_arn: &str,
    operation: &str,
) -> Result<&'a mut KinesisDestination, DynamoError> {
    table
        .kinesis_destinations
        .iter_mut()
        .find(|d| d.stream_arn == stream_arn && d.status == DestinationStatus::Active)
        .ok_or_else(|| invalid_state(&operation.to_lowercase(), operation, "ACTIVE"))
}

/// DynamoDB's answer to a destination operation the destination's state
/// does not allow: `operation` (ENABLE, DISABLE, UPDATE) needs `needed`.
pub(crate) fn invalid_state(action: &str, operation: &str, needed: &str) -> DynamoError {
    DynamoError::validation(format!(
        "Table is not in a valid state to {action} Kinesis Streaming Destination: \
         {operation}KinesisStreamingDestination must be {needed} to perform {} operation.",
        operation.to_uppercase()
    ))
}

/// Saves `table` with its destinations changed, and any record log made or
/// closed with them, switching writes over at once (no write in flight
/// records for a log that is not yet, or no longer, the destination's).
pub(crate) fn save_destinations(
    db: &Database,
    table: TableMeta,
    new_log: Option<StreamMeta>,
    closed_log: Option<StreamMeta>,
) -> Result<(), DynamoError> {
    let mut txn = db.engine().begin();
    if let Some(log) = &new_log {
        let next = log
            .id
            .checked_add(1)
            .ok_or_else(|| DynamoError::internal("table ids exhausted"))?;
        txn.put(&keys::next_table_id(), &next.to_be_bytes())
            .map_err(storage_error)?;
        log.persist(&mut *txn)?;
    }
    if let Some(log) = &closed_log {
        log.persist(&mut *txn)?;
    }
    crate::catalog::write_entry(&mut *txn, &table)?;
    txn.commit().map_err(storage_error)?;
    db.publish_exclusively(|| {
        db.catalog().publish(table);
        for log in new_log.into_iter().chain(closed_log) {
            db.streams().publish(log);
        }
    });
    db.start_retention();
    Ok(())
}

/// A record log for a new enablement of a destination of `table`.
pub(crate) fn new_log(id: u32, table: &TableMeta, first_sequence: u64) -> StreamMeta {
    StreamMeta {
        id,
        label: format!("kinesis-{id}"),
        view_type: "NEW_AND_OLD_IMAGES".into(),
        table_name: table.name.clone(),
        table_id: table.id,
        region: table.region.clone(),
        key_schema: table.key_schema.clone(),
        created_at: crate::now_epoch_seconds(),
        first_sequence,
        trimmed_before: 0,
        disabled_at: None,
        kinesis: true,
    }
}

/// A destination the server delivers to.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryTarget {
    pub table: String,
    pub stream_arn: String,
    pub log: u32,
    pub status: DestinationStatus,
    pub precision: String,
}

/// Records for one PutRecords call.
pub struct KinesisBatch {
    pub records: Vec<KinesisRecord>,
    log: u32,
    first: u64,
    next: u64,
}

/// One Kinesis record: its partition key and data (JSON, not yet base64).
pub struct KinesisRecord {
    pub partition_key: String,
    pub data: Vec<u8>,
}

impl Database {
    /// Every destination whose records are to be delivered.
    pub fn kinesis_delivery_targets(&self) -> Vec<DeliveryTarget> {
        let mut targets = Vec::new();
        for name in self.catalog().names() {
            let Some(table) = self.catalog().get(&name) else {
                continue;
            };
            for destination in &table.kinesis_destinations {
                if destination.status.records() {
                    targets.push(DeliveryTarget {
                        table: table.name.clone(),
                        stream_arn: destination.stream_arn.clone(),
                        log: destination.log,
                        status: destination.status,
                        precision: destination.precision.clone(),
                    });
                }
            }
        }
        targets
    }

    /// Ends the ENABLING of the destination recording into `log`: ACTIVE
    /// once its Kinesis stream was found, ENABLE_FAILED with `failure`
    /// otherwise (its records stop and its log goes). Nothing happens if
    /// the destination has moved on meanwhile (disabled, enabled again).
    pub fn settle_kinesis_destination(
        &self,
        table: &str,
        log: u32,
        failure: Option<String>,
    ) -> Result<(), DynamoError> {
        let _changes = self.catalog().lock_changes();
        let Some(current) = self.catalog().get(table) else {
            return Ok(());
        };
        let mut updated = (*current).clone();
        let Some(destination) = updated
            .kinesis_destinations
            .iter_mut()
            .find(|d| d.log == log && d.status == DestinationStatus::Enabling)
        else {
            return Ok(());
        };
        let closed = failure.as_ref().and_then(|_| closed_log(self, log));
        destination.status = match failure {
            None => DestinationStatus::Active,
            Some(_) => DestinationStatus::EnableFailed,
        };
        destination.status_description = failure;
        save_destinations(self, updated, None, closed)
    }

    /// The next records of `target`'s log that Kinesis has not taken, at
    /// most `max_records` and (after the first) `max_bytes` of data.
    pub fn next_kinesis_batch(
        &self,
        target: &DeliveryTarget,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<Option<KinesisBatch>, DynamoError> {
        let Some(log) = self.streams().get(target.log) else {
            return Ok(None);
        };
        let cursor = self.trigger_cursor(log.id, CURSOR)?;
        let from = cursor
            .unwrap_or(log.first_sequence)
            .max(log.oldest_readable());
        let readable_end = self.streams().sequencer().readable_end();
        let start = keys::stream_record(log.id, from);
        let end = keys::stream_record(log.id, readable_end.max(from));
        let mut batch = KinesisBatch {
            records: Vec::new(),
            log: log.id,
            first: from,
            next: from,
        };
        let mut bytes = 0usize;
        let mut failure = None;
        self.engine()
            .snapshot()
            .visit_range(&start, &end, false, &mut |key, value| {
                if batch.records.len() == max_records {
                    return ControlFlow::Break(());
                }
                let Some(sequence) = keys::sequence_of_stream_record(key) else {
                    failure = Some(DynamoError::internal("corrupt stream record key"));
                    return ControlFlow::Break(());
                };
                let record = match render(&log, sequence, value, &target.precision) {
                    Ok(record) => record,
                    Err(e) => {
                        failure = Some(e);
                        return ControlFlow::Break(());
                    }
                };
                if !batch.records.is_empty() && bytes + record.data.len() > max_bytes {
                    return ControlFlow::Break(());
                }
                bytes += record.data.len() + record.partition_key.len();
                batch.records.push(record);
                batch.next = sequence + 1;
                ControlFlow::Continue(())
            })
            .map_err(storage_error)?;
        if let Some(e) = failure {
            return Err(e);
        }
        Ok((!batch.records.is_empty()).then_some(batch))
    }

    /// Moves the log's cursor past a batch Kinesis took, and removes its
    /// records.
    pub fn confirm_kinesis_batch(&self, batch: &KinesisBatch) -> Result<(), DynamoError> {
        let mut txn = self.engine().begin();
        txn.put(
            &keys::trigger_cursor(batch.log, CURSOR),
            &batch.next.to_be_bytes(),
        )
        .map_err(storage_error)?;
        txn.commit().map_err(storage_error)?;
        self.engine()
            .delete_range(
                &keys::stream_record(batch.log, batch.first),
                &keys::stream_record(batch.log, batch.next),
            )
            .map_err(storage_error)
    }
}

/// A record log's entry marked closed now, for `save_destinations` to
/// persist; retention forgets the log and its records later.
pub(crate) fn closed_log(db: &Database, log: u32) -> Option<StreamMeta> {
    let mut meta = (*db.streams().get(log)?).clone();
    meta.disabled_at = Some(crate::now_epoch_seconds());
    Some(meta)
}

/// The data of a Kinesis record: DynamoDB's change record as it writes it
/// to Kinesis (no sequence number or view type; the creation time as an
/// integer in the destination's precision).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct KinesisData<'a> {
    aws_region: &'a str,
    #[serde(rename = "eventID")]
    event_id: String,
    event_name: &'a str,
    user_identity: Option<serde_json::Value>,
    record_format: &'static str,
    table_name: &'a str,
    dynamodb: KinesisChange<'a>,
    event_source: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct KinesisChange<'a> {
    approximate_creation_date_time: i64,
    keys: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_image: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_image: Option<&'a RawValue>,
    size_bytes: u64,
    approximate_creation_date_time_precision: &'a str,
}

fn render(
    log: &StreamMeta,
    sequence: u64,
    stored: &[u8],
    precision: &str,
) -> Result<KinesisRecord, DynamoError> {
    let corrupt =
        |e: serde_json::Error| DynamoError::internal(format!("corrupt stream record: {e}"));
    let record: Stored<'_> = serde_json::from_slice(stored).map_err(corrupt)?;
    let micros = record.c.unwrap_or(record.t.saturating_mul(1_000_000));
    let created = if precision == "MILLISECOND" {
        micros.div_euclid(1000)
    } else {
        micros
    };
    // Unique per record of the database, and across databases by the
    // log's creation time.
    let id = xxhash_rust::xxh3::xxh3_128(
        format!("{}/{}/{sequence}", log.label, log.created_at.to_bits()).as_bytes(),
    );
    let data = KinesisData {
        aws_region: &log.region,
        event_id: uuid::Uuid::from_u128(id).to_string(),
        event_name: record.e,
        user_identity: record.u.then(|| time_to_live_identity(true)),
        record_format: "application/json",
        table_name: &log.table_name,
        dynamodb: KinesisChange {
            approximate_creation_date_time: created,
            keys: record.k,
            new_image: record.n,
            old_image: record.o,
            size_bytes: record.s,
            approximate_creation_date_time_precision: precision,
        },
        event_source: "aws:dynamodb",
    };
    // An item's changes share a partition key, so Kinesis keeps them on
    // one shard, in order.
    let partition_key = format!(
        "{:032X}",
        xxhash_rust::xxh3::xxh3_128(record.k.get().as_bytes())
    );
    Ok(KinesisRecord {
        partition_key,
        data: serde_json::to_vec(&data).map_err(corrupt)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::streams::record::{encode, Change};
    use dynalith_model::{AttributeValue, Item};

    fn log() -> StreamMeta {
        StreamMeta {
            label: "kinesis-3".into(),
            table_name: "orders".into(),
            region: "eu-west-1".into(),
            created_at: 1_700_000_000.5,
            kinesis: true,
            ..crate::streams::test_stream(3, "NEW_AND_OLD_IMAGES")
        }
    }

    /// A Time to Live delete of `{pk: key}`, stored as the write path does.
    fn expired_record(key: &str) -> Vec<u8> {
        let keys: Item = [("pk".to_string(), AttributeValue::S(key.into()))].into();
        let old = serde_json::to_vec(&keys).unwrap();
        let change = Change {
            keys: &keys,
            old: Some((&old, 3)),
            new: None,
            expired: true,
            unchanged: false,
        };
        encode(&change, "NEW_AND_OLD_IMAGES", 1_700_000_000_123_456)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn records_are_dynamodbs_kinesis_json_in_the_destinations_precision() {
        let stored = expired_record("a");
        let micros = render(&log(), 7, &stored, "MICROSECOND").unwrap();
        let data: serde_json::Value = serde_json::from_slice(&micros.data).unwrap();
        assert_eq!(data["eventName"], "REMOVE");
        assert_eq!(data["awsRegion"], "eu-west-1");
        assert_eq!(data["tableName"], "orders");
        assert_eq!(data["recordFormat"], "application/json");
        assert_eq!(data["eventSource"], "aws:dynamodb");
        // Kinesis records spell the Time to Live service's identity in
        // camel case.
        assert_eq!(
            data["userIdentity"],
            serde_json::json!({"principalId": "dynamodb.amazonaws.com", "type": "Service"})
        );
        let change = &data["dynamodb"];
        assert_eq!(
            change["ApproximateCreationDateTime"],
            1_700_000_000_123_456_i64
        );
        assert_eq!(
            change["ApproximateCreationDateTimePrecision"],
            "MICROSECOND"
        );
        assert_eq!(change["Keys"], serde_json::json!({"pk": {"S": "a"}}));
        assert_eq!(change["OldImage"], serde_json::json!({"pk": {"S": "a"}}));
        assert!(change.get("NewImage").is_none());
        assert!(change.get("SequenceNumber").is_none());

        let millis = render(&log(), 7, &stored, "MILLISECOND").unwrap();
        let data: serde_json::Value = serde_json::from_slice(&millis.data).unwrap();
        assert_eq!(
            data["dynamodb"]["ApproximateCreationDateTime"],
            1_700_000_000_123_i64
        );

        // One partition key per item; distinct event ids per record.
        let again = render(&log(), 8, &stored, "MICROSECOND").unwrap();
        let other = render(&log(), 9, &expired_record("b"), "MICROSECOND").unwrap();
        assert_eq!(micros.partition_key, again.partition_key);
        assert_ne!(micros.partition_key, other.partition_key);
        let id = |r: &KinesisRecord| {
            serde_json::from_slice::<serde_json::Value>(&r.data).unwrap()["eventID"].clone()
        };
        assert_ne!(id(&micros), id(&again));
    }

    #[test]
    fn stream_arns_name_a_region_and_a_stream() {
        assert_eq!(
            parse_stream_arn("arn:aws:kinesis:eu-west-1:123456789012:stream/orders-cdc"),
            Some(("eu-west-1", "orders-cdc"))
        );
        for bad in [
            "arn:aws:kinesis:eu-west-1:123456789012:orders",
            "arn:aws:sqs:eu-west-1:123456789012:stream/orders",
            "arn:aws:kinesis:eu-west-1:1234:stream/orders",
            "arn:aws:kinesis::123456789012:stream/orders",
            "arn:aws:kinesis:eu-west-1:123456789012:stream/",
            "arn:aws:kinesis:eu-west-1:123456789012:stream/a b",
            "not an arn at all, but long enough to pass the length",
        ] {
            assert_eq!(parse_stream_arn(bad), None, "{bad}");
        }
    }
}
