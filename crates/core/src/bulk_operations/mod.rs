//! Bulk put items (StartBulkPutItems): items read from the objects under
//! a key prefix of a bucket (the local stand-in for S3 or an S3-compatible
//! service, `s3`) and put into an existing table, each optionally under a
//! condition of its own (`records`), with a report of what was not written
//! (`report`).
//!
//! The request answers IN_PROGRESS; a background thread reads the objects
//! in key order and writes through the write path, so indexes, counts and
//! stream records are made as for any PutItem. Records without a condition
//! are written in transactions of up to `WRITE_BATCH` (a key met twice in
//! one keeps its last item, as consecutive puts would leave it); a record
//! with a condition is written alone, after those before it. A record that
//! is not a valid item counts in FailedItemCount (the operation then ends
//! COMPLETED_WITH_ERRORS); a false condition does not, as in DynamoDB.
//! CancelBulkOperation marks the operation CANCELLING, which the writer
//! sees between batches; what it wrote stays. A crash leaves an operation
//! IN_PROGRESS or CANCELLING, which the next start records FAILED.

pub mod records;
pub mod report;

use crate::catalog::{IndexKind, TableMeta};
use crate::local_s3::S3Failure;
use crate::ops::expressions::{self, ExpressionTexts, Names, Values, WriteCondition};
use crate::write::{ItemWrite, Mutation, WriteOutcome};
use crate::{keys, storage_error, Database};
use dynalith_model::{DynamoError, ErrorKind, Item};
use records::{BulkInputFormat, BulkRecord};
use report::{Report, ReportTarget};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Items written per storage transaction.
const WRITE_BATCH: usize = 100;

pub const IN_PROGRESS: &str = "IN_PROGRESS";
pub const COMPLETED: &str = "COMPLETED";
pub const COMPLETED_WITH_ERRORS: &str = "COMPLETED_WITH_ERRORS";
pub const CANCELLING: &str = "CANCELLING";
pub const CANCELLED: &str = "CANCELLED";
pub const FAILED: &str = "FAILED";

/// Whether an operation with this status is still running.
pub fn is_running(status: &str) -> bool {
    status == IN_PROGRESS || status == CANCELLING
}

/// One bulk operation, as persisted at `keys::bulk_operation_entry`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct BulkOperationMeta {
    /// 32 lower-case hex digits: ListBulkOperations' NextToken.
    pub id: String,
    pub arn: String,
    pub status: String,
    pub table_name: String,
    /// TableId, the table's UUID.
    pub table_id: String,
    pub client_token: String,
    /// InputS3Configuration and OutputS3Configuration as the request gave
    /// them.
    pub input: Value,
    pub output: Value,
    pub start_time: f64,
    pub end_time: Option<f64>,
    pub processed_item_count: i64,
    pub failed_item_count: i64,
    pub processed_input_bytes: i64,
    /// Known once every input object has been read.
    pub total_input_bytes: Option<i64>,
    /// BulkPutBytes written to the table itself.
    pub table_bytes: i64,
    /// BulkPutBytes written to each index, by name.
    pub index_bytes: BTreeMap<String, IndexBytes>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub max_write_request_units: Option<i64>,
    pub performance_tier: String,
    /// The request as sent, to tell a retry (same ClientToken, same
    /// parameters) from a conflict.
    pub request: Option<Value>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct IndexBytes {
    pub local: bool,
    pub bytes: i64,
}

impl BulkOperationMeta {
    /// BulkOperationDescription.
    pub fn description(&self) -> Value {
        let (mut local, mut global) = (serde_json::Map::new(), serde_json::Map::new());
        for (name, index) in &self.index_bytes {
            let target = if index.local { &mut local } else { &mut global };
            target.insert(name.clone(), json!({ "BulkPutBytes": index.bytes }));
        }
        let indexes: i64 = self.index_bytes.values().map(|i| i.bytes).sum();
        let mut usage = json!({
            "TableName": self.table_name,
            "BulkPutBytes": self.table_bytes + indexes,
            "Table": { "BulkPutBytes": self.table_bytes },
        });
        if !local.is_empty() {
            usage["LocalSecondaryIndexes"] = Value::Object(local);
        }
        if !global.is_empty() {
            usage["GlobalSecondaryIndexes"] = Value::Object(global);
        }
        let mut d = json!({
            "BulkOperationArn": self.arn,
            "BulkOperationStatus": self.status,
            "TableDetails": [{ "TableName": self.table_name, "TableId": self.table_id }],
            "ClientToken": self.client_token,
            "InputS3Configuration": self.input,
            "OutputS3Configuration": self.output,
            "StartTime": self.start_time,
            "ProcessedItemCount": self.processed_item_count,
            "ProcessedInputBytes": self.processed_input_bytes,
            "BulkOperationUsage": [usage],
            "FailedItemCount": self.failed_item_count,
            "PerformanceTier": self.performance_tier,
        });
        let optional = [
            ("EndTime", self.end_time.map(Into::into)),
            ("TotalInputBytes", self.total_input_bytes.map(Into::into)),
            ("FailureCode", self.failure_code.clone().map(Into::into)),
            (
                "FailureMessage",
                self.failure_message.clone().map(Into::into),
            ),
            (
                "MaxWriteRequestUnits",
                self.max_write_request_units.map(Into::into),
            ),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                d[name] = value;
            }
        }
        d
    }

    /// BulkOperationSummary, as ListBulkOperations gives it.
    pub fn summary(&self) -> Value {
        let mut s = json!({
            "BulkOperationArn": self.arn,
            "BulkOperationStatus": self.status,
            "StartTime": self.start_time,
        });
        if let Some(end) = self.end_time {
            s["EndTime"] = end.into();
        }
        s
    }

    fn count_usage(&mut self, outcome: &WriteOutcome) {
        self.table_bytes += outcome.new_size as i64;
        for index in &outcome.index_units {
            let entry = self
                .index_bytes
                .entry(index.name.clone())
                .or_insert(IndexBytes {
                    local: index.kind == IndexKind::Local,
                    bytes: 0,
                });
            entry.bytes += index.written_bytes as i64;
        }
    }
}

/// A new operation's id: 32 lower-case hex digits (ListBulkOperations'
/// NextToken pattern is `([0-9a-f]{16})+`), the first 16 the start time in
/// microseconds, made strictly increasing within the process, then 16
/// random ones. Entries are keyed by id, so storage order is start order:
/// operations started in the same instant still list in the order they
/// started.
pub fn new_operation_id() -> String {
    static LAST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let now = crate::now_epoch_micros().max(0) as u64;
    let previous = LAST
        .fetch_update(
            std::sync::atomic::Ordering::Relaxed,
            std::sync::atomic::Ordering::Relaxed,
            |last| Some(now.max(last + 1)),
        )
        .unwrap_or(now);
    let micros = now.max(previous + 1);
    let random = uuid::Uuid::new_v4().as_u64_pair().0;
    format!("{micros:016x}{random:016x}")
}

pub fn bulk_operation_not_found(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceNotFound,
        format!("Requested resource not found: Bulk operation: {arn} not found"),
    )
}

/// Where a bulk put reads from, and how; where it reports.
pub struct BulkPutJob {
    pub bucket: String,
    pub bucket_owner: Option<String>,
    pub key_prefix: String,
    pub format: BulkInputFormat,
    pub compression: crate::imports::Compression,
    pub report: ReportTarget,
}

/// How a run ended short of a failure.
enum Ended {
    Finished,
    Cancelled,
}

/// Paces writes to MaxWriteRequestUnits: the units written so far may not
/// run ahead of the rate times the time since the start.
struct Pace {
    started: Instant,
    units_per_second: Option<f64>,
    units: f64,
}

impl Pace {
    fn wait_for(&mut self, units: f64) {
        self.units += units;
        let Some(rate) = self.units_per_second else {
            return;
        };
        let due = Duration::from_secs_f64(self.units / rate);
        if let Some(ahead) = due.checked_sub(self.started.elapsed()) {
            std::thread::sleep(ahead);
        }
    }
}

/// Everything a run needs at hand while it goes through the records.
struct Run<'a> {
    db: &'a Database,
    op: &'a mut BulkOperationMeta,
    table: &'a Arc<TableMeta>,
    report: Report<'a>,
    pace: Pace,
    /// Unconditional puts waiting for their transaction, by storage key.
    batch: BTreeMap<Vec<u8>, Item>,
    /// CancelBulkOperation was seen: no more records are taken.
    cancel_seen: bool,
}

impl Database {
    /// Every bulk operation, oldest first (ids order by start,
    /// `new_operation_id`).
    pub(crate) fn bulk_operations(&self) -> Result<Vec<BulkOperationMeta>, DynamoError> {
        let (start, end) = keys::bulk_operation_entries_range();
        let snapshot = self.engine().snapshot();
        let mut operations: Vec<BulkOperationMeta> = Vec::new();
        for entry in snapshot.scan(&start, &end, false) {
            let (_, value) = entry.map_err(storage_error)?;
            operations.push(serde_json::from_slice(&value).map_err(|e| {
                DynamoError::internal(format!("corrupt bulk operation entry: {e}"))
            })?);
        }
        Ok(operations)
    }

    pub(crate) fn bulk_operation(&self, arn: &str) -> Result<BulkOperationMeta, DynamoError> {
        self.bulk_operations()?
            .into_iter()
            .find(|o| o.arn == arn)
            .ok_or_else(|| bulk_operation_not_found(arn))
    }

    pub(crate) fn save_bulk_operation(&self, op: &BulkOperationMeta) -> Result<(), DynamoError> {
        let encoded = serde_json::to_vec(op).map_err(|e| DynamoError::internal(e.to_string()))?;
        let mut txn = self.engine().begin();
        txn.put(&keys::bulk_operation_entry(&op.id), &encoded)
            .map_err(storage_error)?;
        txn.commit().map_err(storage_error)
    }

    /// Changes the saved operation `arn` as `change` says, reading and
    /// writing it under its row lock, so that a cancellation and the
    /// writer's progress never overwrite one another. `change` returns
    /// whether to write.
    pub(crate) fn change_bulk_operation<T>(
        &self,
        arn: &str,
        change: impl FnOnce(&mut BulkOperationMeta) -> Result<T, DynamoError>,
    ) -> Result<T, DynamoError> {
        let id = arn.rsplit('/').next().unwrap_or_default();
        let key = keys::bulk_operation_entry(id);
        let mut txn = self.engine().begin();
        let stored = txn.get_for_update(&key).map_err(storage_error)?;
        let mut op: BulkOperationMeta = match stored {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| DynamoError::internal(format!("corrupt bulk operation entry: {e}")))?,
            None => return Err(bulk_operation_not_found(arn)),
        };
        if op.arn != arn {
            return Err(bulk_operation_not_found(arn));
        }
        let answer = change(&mut op)?;
        let encoded = serde_json::to_vec(&op).map_err(|e| DynamoError::internal(e.to_string()))?;
        txn.put(&key, &encoded).map_err(storage_error)?;
        txn.commit().map_err(storage_error)?;
        Ok(answer)
    }

    /// Records the operations a crash interrupted as failed: what they
    /// wrote stays, as after any failure.
    pub(crate) fn fail_unfinished_bulk_operations(&self) -> Result<(), DynamoError> {
        for mut op in self.bulk_operations()? {
            if is_running(&op.status) {
                op.status = FAILED.into();
                op.end_time = Some(crate::now_epoch_seconds());
                op.failure_code = Some("InternalServerError".into());
                op.failure_message =
                    Some("The server stopped before the bulk operation finished".into());
                self.save_bulk_operation(&op)?;
            }
        }
        Ok(())
    }

    /// Runs the operation in the background; `op` is already saved
    /// IN_PROGRESS.
    pub(crate) fn start_bulk_put(
        &self,
        op: BulkOperationMeta,
        table: Arc<TableMeta>,
        job: BulkPutJob,
    ) {
        let Some(db) = self.self_ref.upgrade() else {
            return;
        };
        std::thread::spawn(move || {
            let mut op = op;
            if let Err(e) = db.run_bulk_put(&mut op, &table, &job) {
                tracing::error!(operation = %op.arn, %e, "recording the end of a bulk operation failed");
            }
        });
    }

    fn run_bulk_put(
        &self,
        op: &mut BulkOperationMeta,
        table: &Arc<TableMeta>,
        job: &BulkPutJob,
    ) -> Result<(), DynamoError> {
        let report = Report::new(&job.report, self.s3(), &op.id);
        let pace = Pace {
            started: Instant::now(),
            units_per_second: op.max_write_request_units.map(|u| u as f64),
            units: 0.0,
        };
        let mut run = Run {
            db: self,
            op,
            table,
            report,
            pace,
            batch: BTreeMap::new(),
            cancel_seen: false,
        };
        let ended = run.read_all(job);
        let Run { op, report, .. } = run;
        let ended = ended.and_then(|ended| report.finish().map(|()| ended));
        op.end_time = Some(crate::now_epoch_seconds());
        match ended {
            Ok(Ended::Finished) if op.failed_item_count > 0 => {
                op.status = COMPLETED_WITH_ERRORS.into()
            }
            Ok(Ended::Finished) => op.status = COMPLETED.into(),
            Ok(Ended::Cancelled) => {
                op.status = CANCELLED.into();
                op.failure_code = Some("CancelledByUser".into());
                op.failure_message =
                    Some("The bulk operation was cancelled by CancelBulkOperation".into());
            }
            Err(failure) => {
                op.status = FAILED.into();
                op.failure_code = Some(failure.code.into());
                op.failure_message = Some(failure.message);
            }
        }
        self.save_bulk_operation(op)
    }
}

impl Run<'_> {
    fn read_all(&mut self, job: &BulkPutJob) -> Result<Ended, S3Failure> {
        let s3 = self.db.s3();
        let bucket = crate::s3::Bucket {
            name: &job.bucket,
            expected_owner: job.bucket_owner.as_deref(),
        };
        let keys = s3.list(bucket, &job.key_prefix)?;
        if keys.is_empty() {
            return Err(S3Failure::new(
                "S3NoSuchKey",
                format!(
                    "No objects found under the prefix {:?} of bucket {}",
                    job.key_prefix, job.bucket
                ),
            ));
        }
        for key in keys {
            if self.cancel_seen {
                return Ok(Ended::Cancelled);
            }
            let bytes = s3.get(bucket, &key)?;
            self.op.processed_input_bytes += bytes.len() as i64;
            let text = job
                .compression
                .decompress(bytes)
                .map_err(|e| e.to_string())
                .and_then(|b| String::from_utf8(b).map_err(|e| e.to_string()));
            let text = match text {
                Ok(text) => text,
                Err(e) => {
                    // An object that cannot be read is one failed record.
                    self.op.processed_item_count += 1;
                    self.op.failed_item_count += 1;
                    let message = format!("The object cannot be read: {e}");
                    self.report.error(&key, 0, &message, None)?;
                    continue;
                }
            };
            let mut outcome = Ok(());
            records::visit_records(job.format, &text, &mut |number, record| {
                if outcome.is_ok() && !self.cancel_seen {
                    outcome = self.take(&key, number, record);
                }
            });
            outcome?;
            self.flush()?;
            self.check_table()?;
            self.save_progress();
        }
        if self.cancel_seen {
            return Ok(Ended::Cancelled);
        }
        self.op.total_input_bytes = Some(self.op.processed_input_bytes);
        Ok(Ended::Finished)
    }

    /// Fails the operation once its table is gone (deleted, or deleted and
    /// created again): the rest of the records have nowhere to go.
    fn check_table(&self) -> Result<(), S3Failure> {
        let current = self.db.catalog().get(&self.table.name);
        if current.is_some_and(|t| t.id == self.table.id) {
            return Ok(());
        }
        Err(S3Failure::new(
            "ResourceNotFoundException",
            format!(
                "Table {} was deleted during the bulk operation",
                self.table.name
            ),
        ))
    }

    /// Saves the counts so far, keeping a CANCELLING mark made meanwhile,
    /// and notes the mark (`cancel_seen`).
    fn save_progress(&mut self) {
        let progress = self.op.clone();
        let arn = progress.arn.clone();
        let saved = self.db.change_bulk_operation(&arn, |stored| {
            let cancelling = stored.status == CANCELLING;
            *stored = progress;
            if cancelling {
                stored.status = CANCELLING.into();
            }
            Ok(cancelling)
        });
        match saved {
            Ok(cancelling) => self.cancel_seen |= cancelling,
            Err(e) => {
                tracing::warn!(operation = %self.op.arn, %e, "recording a bulk operation's progress failed")
            }
        }
    }

    fn take(
        &mut self,
        s3_key: &str,
        number: usize,
        record: records::Record,
    ) -> Result<(), S3Failure> {
        // Progress is saved (and a cancellation seen) every batch of
        // records, so that a long object is not read to its end once the
        // operation is cancelled.
        if self.op.processed_item_count % WRITE_BATCH as i64 == 0 {
            self.check_table()?;
            self.save_progress();
            if self.cancel_seen {
                return Ok(());
            }
        }
        self.op.processed_item_count += 1;
        let record = match record {
            Ok(record) => record,
            Err(message) => return self.failed(s3_key, number, &message, None),
        };
        let key = match crate::imports::key_of_valid_item(self.table, &record.item) {
            Ok(key) => key,
            Err(message) => return self.failed(s3_key, number, &message, item_value(&record.item)),
        };
        let BulkRecord {
            item,
            condition_expression,
            expression_attribute_names: names,
            expression_attribute_values: values,
        } = record;
        let Some(condition) = condition_expression else {
            if names.is_some() || values.is_some() {
                let message = "ExpressionAttributeNames and ExpressionAttributeValues can only be given with a ConditionExpression";
                return self.failed(s3_key, number, message, item_value(&item));
            }
            self.batch.insert(key, item);
            if self.batch.len() == WRITE_BATCH {
                self.flush()?;
            }
            return Ok(());
        };
        // A conditional put reads the item as the puts before it left it.
        self.flush()?;
        match self.put_if(key, &item, &condition, names.as_ref(), values.as_ref()) {
            Ok(None) => Ok(()),
            Ok(Some(existing)) => {
                let existing = existing.as_ref().and_then(item_value);
                let attempted = item_value(&item).unwrap_or(Value::Null);
                self.report
                    .condition_failure(s3_key, number, attempted, existing)
            }
            Err(e) => self.failed(s3_key, number, &e.message, item_value(&item)),
        }
    }

    fn failed(
        &mut self,
        s3_key: &str,
        number: usize,
        message: &str,
        item: Option<Value>,
    ) -> Result<(), S3Failure> {
        self.op.failed_item_count += 1;
        self.report.error(s3_key, number, message, item)
    }

    /// Puts `item` if `condition` (with its names and values) holds of the
    /// item there now.
    /// `Ok(Some(existing))` when it does not (the item found, if any).
    fn put_if(
        &mut self,
        key: Vec<u8>,
        item: &Item,
        condition: &str,
        names: Option<&Names>,
        values: Option<&Values>,
    ) -> Result<Option<Option<Item>>, DynamoError> {
        let texts = ExpressionTexts {
            condition: Some(condition),
            ..ExpressionTexts::default()
        };
        let prepared = expressions::prepare(names, values, &texts, &["ConditionExpression"])?;
        expressions::check_scalar_keys(&prepared, self.table)?;
        let condition = WriteCondition::new(&prepared, None, None)?;
        let mut found: Option<Option<Item>> = None;
        let written = self.db.write_item(ItemWrite {
            table: Arc::clone(self.table),
            key,
            decide: Box::new(|old: Option<&Item>| {
                found = Some(old.cloned());
                condition.check(old, false)?;
                Ok(Mutation::Put(item.clone()))
            }),
        });
        match written {
            Ok(outcome) => {
                self.wrote(&outcome);
                Ok(None)
            }
            Err(e) if e.kind == ErrorKind::ConditionalCheckFailed => Ok(Some(found.flatten())),
            Err(e) => Err(e),
        }
    }

    /// Writes the waiting unconditional puts in one transaction; if that is
    /// refused, one by one, counting the refused ones as failed.
    fn flush(&mut self) -> Result<(), S3Failure> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let write = |key: Vec<u8>, item: Item| ItemWrite {
            table: Arc::clone(self.table),
            key,
            decide: Box::new(move |_| Ok(Mutation::Put(item.clone()))),
        };
        let writes = (batch.iter())
            .map(|(key, item)| write(key.clone(), item.clone()))
            .collect();
        match self.db.write_items(writes) {
            Ok(outcomes) => outcomes.iter().for_each(|o| self.wrote(o)),
            Err(_) => {
                for (key, item) in batch {
                    match self.db.write_item(write(key, item)) {
                        Ok(outcome) => self.wrote(&outcome),
                        Err(e) => {
                            tracing::debug!(operation = %self.op.arn, %e, "bulk put refused");
                            self.op.failed_item_count += 1;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn wrote(&mut self, outcome: &WriteOutcome) {
        self.op.count_usage(outcome);
        let index_units: f64 = outcome.index_units.iter().map(|i| i.units).sum();
        self.pace.wait_for(outcome.table_units() + index_units);
    }
}

/// An item as the report shows it (DynamoDB JSON), if it can be shown.
fn item_value(item: &Item) -> Option<Value> {
    crate::ops::attributes_value(item).ok()
}

#[cfg(test)]
mod tests;
