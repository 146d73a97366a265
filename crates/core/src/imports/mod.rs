//! Table imports (ImportTable): a new table filled from the objects under
//! a key prefix of a bucket in the local stand-in for S3 or an
//! S3-compatible service (`s3`), in
//! DynamoDB JSON, Ion or CSV, uncompressed, gzip or zstd.
//!
//! The table is created marked `importing` (DescribeTable says CREATING)
//! and the request answers IN_PROGRESS; a background thread writes the
//! items through the write path (so indexes and counts are made as for any
//! write); a record that is not a valid
//! item for the table counts in ErrorCount and is skipped, as DynamoDB
//! does. The end commits the table's unmarking and the import's COMPLETED
//! state together; a crash before leaves a marked table, which the next
//! start drops, and an IN_PROGRESS import, which it records FAILED.

pub mod ion;
pub mod item_sources;

use crate::catalog::TableMeta;
use crate::local_s3::S3Failure;
use crate::primary_key::key_of_item;
use crate::write::{ItemWrite, Mutation};
use crate::{keys, storage_error, Database};
use dynalith_model::size::{item_size, MAX_ITEM_SIZE};
use dynalith_model::{DynamoError, ErrorKind, Item};
use item_sources::{InputFormat, Record};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Read as _;
use std::sync::Arc;

/// Items written per storage transaction.
const WRITE_BATCH: usize = 100;

pub const IN_PROGRESS: &str = "IN_PROGRESS";
pub const COMPLETED: &str = "COMPLETED";
pub const FAILED: &str = "FAILED";

/// One import, as persisted at `keys::import_entry`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ImportMeta {
    pub id: String,
    pub arn: String,
    pub status: String,
    pub table_arn: String,
    /// TableId, the table's UUID.
    pub table_id: String,
    pub client_token: String,
    /// S3BucketSource, InputFormatOptions and TableCreationParameters as
    /// the request gave them.
    pub s3_bucket_source: serde_json::Value,
    pub input_format: String,
    pub input_format_options: Option<serde_json::Value>,
    pub input_compression_type: String,
    pub table_creation_parameters: serde_json::Value,
    pub start_time: f64,
    pub end_time: Option<f64>,
    pub processed_size_bytes: i64,
    pub processed_item_count: i64,
    pub imported_item_count: i64,
    pub error_count: i64,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    /// The request as sent, to tell a retry (same ClientToken, same
    /// parameters) from a conflict.
    pub request: Option<serde_json::Value>,
}

impl ImportMeta {
    fn log_group_arn(&self) -> String {
        let region = self.arn.split(':').nth(3).unwrap_or("us-east-1");
        format!(
            "arn:aws:logs:{region}:{}:log-group:/aws-dynamodb/imports:*",
            crate::ACCOUNT_ID
        )
    }

    /// ImportTableDescription.
    pub fn description(&self) -> serde_json::Value {
        let mut d = serde_json::json!({
            "ImportArn": self.arn,
            "ImportStatus": self.status,
            "TableArn": self.table_arn,
            "TableId": self.table_id,
            "ClientToken": self.client_token,
            "S3BucketSource": self.s3_bucket_source,
            "ErrorCount": self.error_count,
            "CloudWatchLogGroupArn": self.log_group_arn(),
            "InputFormat": self.input_format,
            "InputCompressionType": self.input_compression_type,
            "TableCreationParameters": self.table_creation_parameters,
            "StartTime": self.start_time,
            "ProcessedSizeBytes": self.processed_size_bytes,
            "ProcessedItemCount": self.processed_item_count,
            "ImportedItemCount": self.imported_item_count,
        });
        let optional = [
            ("InputFormatOptions", self.input_format_options.clone()),
            ("EndTime", self.end_time.map(Into::into)),
            ("FailureCode", self.failure_code.clone().map(Into::into)),
            (
                "FailureMessage",
                self.failure_message.clone().map(Into::into),
            ),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                d[name] = value;
            }
        }
        d
    }

    /// ImportSummary, as ListImports gives it.
    pub fn summary(&self) -> serde_json::Value {
        let mut s = serde_json::json!({
            "ImportArn": self.arn,
            "ImportStatus": self.status,
            "TableArn": self.table_arn,
            "S3BucketSource": self.s3_bucket_source,
            "CloudWatchLogGroupArn": self.log_group_arn(),
            "InputFormat": self.input_format,
            "StartTime": self.start_time,
        });
        if let Some(end) = self.end_time {
            s["EndTime"] = end.into();
        }
        s
    }
}

pub fn import_not_found(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ImportNotFound,
        format!("Import not found: {arn}"),
    )
}

/// How the source objects are compressed (InputCompressionType).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn parse(name: &str) -> Option<Compression> {
        match name {
            "NONE" => Some(Compression::None),
            "GZIP" => Some(Compression::Gzip),
            "ZSTD" => Some(Compression::Zstd),
            _ => None,
        }
    }

    pub(crate) fn decompress(self, bytes: Vec<u8>) -> std::io::Result<Vec<u8>> {
        match self {
            Compression::None => Ok(bytes),
            Compression::Gzip => {
                let mut out = Vec::new();
                flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut out)?;
                Ok(out)
            }
            Compression::Zstd => zstd::stream::decode_all(&bytes[..]),
        }
    }
}

/// Where an import reads from, and how.
pub struct Source {
    pub bucket: String,
    /// S3BucketOwner (`crate::s3::Bucket`).
    pub bucket_owner: Option<String>,
    pub key_prefix: String,
    pub format: InputFormat,
    pub compression: Compression,
}

impl Database {
    /// Every import, oldest first.
    pub(crate) fn imports(&self) -> Result<Vec<ImportMeta>, DynamoError> {
        let (start, end) = keys::import_entries_range();
        let snapshot = self.engine().snapshot();
        let mut imports = Vec::new();
        for entry in snapshot.scan(&start, &end, false) {
            let (_, value) = entry.map_err(storage_error)?;
            imports.push(
                serde_json::from_slice(&value)
                    .map_err(|e| DynamoError::internal(format!("corrupt import entry: {e}")))?,
            );
        }
        Ok(imports)
    }

    pub(crate) fn import(&self, arn: &str) -> Result<ImportMeta, DynamoError> {
        self.imports()?
            .into_iter()
            .find(|i| i.arn == arn)
            .ok_or_else(|| import_not_found(arn))
    }

    pub(crate) fn save_import(&self, import: &ImportMeta) -> Result<(), DynamoError> {
        let mut txn = self.engine().begin();
        txn.put(&keys::import_entry(&import.id), &encode(import)?)
            .map_err(storage_error)?;
        txn.commit().map_err(storage_error)
    }

    /// Records the imports a crash interrupted as failed (their tables are
    /// dropped as unfinished, see `drop_unfinished_restores`).
    pub(crate) fn fail_unfinished_imports(&self) -> Result<(), DynamoError> {
        for mut import in self.imports()? {
            if import.status == IN_PROGRESS {
                import.status = FAILED.into();
                import.end_time = Some(crate::now_epoch_seconds());
                import.failure_code = Some("UNKNOWN".into());
                import.failure_message =
                    Some("The server stopped before the import finished".into());
                self.save_import(&import)?;
            }
        }
        Ok(())
    }

    /// Runs the import in the background (`run_import`); `import` is
    /// already saved IN_PROGRESS and `table` created, marked importing.
    pub(crate) fn start_import(&self, import: ImportMeta, table: Arc<TableMeta>, source: Source) {
        let Some(db) = self.self_ref.upgrade() else {
            return;
        };
        std::thread::spawn(move || {
            let mut import = import;
            if let Err(e) = db.run_import(&mut import, table, &source) {
                tracing::error!(import = %import.arn, %e, "recording the end of an import failed");
            }
        });
    }

    /// Fills `table` (new, marked importing) from `source`, counting into
    /// `import`, then commits the table's unmarking with the import's
    /// end. On failure the table is dropped and the import recorded
    /// FAILED.
    pub(crate) fn run_import(
        &self,
        import: &mut ImportMeta,
        table: Arc<TableMeta>,
        source: &Source,
    ) -> Result<(), DynamoError> {
        let filled = self.fill_from(import, &table, source);
        let _changes = self.catalog().lock_changes();
        let current = self.catalog().get(&table.name).filter(|t| t.id == table.id);
        import.end_time = Some(crate::now_epoch_seconds());
        match (filled, current) {
            (Ok(()), Some(current)) => {
                let mut done = (*current).clone();
                done.importing = false;
                import.status = COMPLETED.into();
                let mut txn = self.engine().begin();
                crate::catalog::write_entry(&mut *txn, &done)?;
                txn.put(&keys::import_entry(&import.id), &encode(import)?)
                    .map_err(storage_error)?;
                txn.commit().map_err(storage_error)?;
                self.catalog().publish(done);
                Ok(())
            }
            (filled, current) => {
                let failure = match filled {
                    Err(failure) => failure,
                    Ok(()) => S3Failure {
                        code: "UNKNOWN",
                        message: "The table was deleted during the import".into(),
                    },
                };
                import.status = FAILED.into();
                import.failure_code = Some(failure.code.into());
                import.failure_message = Some(failure.message);
                if let Some(current) = current {
                    self.drop_table(&current)?;
                }
                self.save_import(import)
            }
        }
    }

    fn fill_from(
        &self,
        import: &mut ImportMeta,
        table: &Arc<TableMeta>,
        source: &Source,
    ) -> Result<(), S3Failure> {
        let s3 = self.s3();
        let bucket = crate::s3::Bucket {
            name: &source.bucket,
            expected_owner: source.bucket_owner.as_deref(),
        };
        let keys = s3.list(bucket, &source.key_prefix)?;
        if keys.is_empty() {
            return Err(S3Failure {
                code: "S3NoSuchKey",
                message: format!(
                    "No objects found under the prefix {:?} of bucket {}",
                    source.key_prefix, source.bucket
                ),
            });
        }
        // Each key's last item, and how many records named the key.
        let mut batch: BTreeMap<Vec<u8>, (Item, i64)> = BTreeMap::new();
        for key in keys {
            let bytes = s3.get(bucket, &key)?;
            import.processed_size_bytes += bytes.len() as i64;
            let text = source
                .compression
                .decompress(bytes)
                .map_err(|e| e.to_string())
                .and_then(|b| String::from_utf8(b).map_err(|e| e.to_string()));
            let mut take = |record: Record| {
                import.processed_item_count += 1;
                let checked =
                    record.and_then(|item| key_of_valid_item(table, &item).map(|key| (key, item)));
                match checked {
                    Ok((item_key, item)) => {
                        // A key met twice keeps its last item; both
                        // records count as imported.
                        let records = batch.get(&item_key).map_or(0, |(_, n)| *n);
                        batch.insert(item_key, (item, records + 1));
                        if batch.len() == WRITE_BATCH {
                            self.write_imported(import, table, std::mem::take(&mut batch));
                        }
                    }
                    Err(error) => {
                        tracing::debug!(import = %import.arn, object = %key, %error, "import record skipped");
                        import.error_count += 1;
                    }
                }
            };
            match text {
                Ok(text) => item_sources::visit_records(&source.format, table, &text, &mut take),
                Err(e) => take(Err(format!("{key}: cannot be read as text: {e}"))),
            }
        }
        self.write_imported(import, table, batch);
        Ok(())
    }

    /// Writes a batch in one transaction; if that is refused, item by
    /// item, counting the refused ones' records as errors.
    fn write_imported(
        &self,
        import: &mut ImportMeta,
        table: &Arc<TableMeta>,
        batch: BTreeMap<Vec<u8>, (Item, i64)>,
    ) {
        if batch.is_empty() {
            return;
        }
        let write = |key: Vec<u8>, item: Item| ItemWrite {
            table: Arc::clone(table),
            key,
            decide: Box::new(move |_| Ok(Mutation::Put(item.clone()))),
        };
        let records: i64 = batch.values().map(|(_, n)| n).sum();
        let writes = batch
            .iter()
            .map(|(key, (item, _))| write(key.clone(), item.clone()))
            .collect();
        if self.write_items(writes).is_ok() {
            import.imported_item_count += records;
            return;
        }
        for (key, (item, records)) in batch {
            match self.write_item(write(key, item)) {
                Ok(_) => import.imported_item_count += records,
                Err(error) => {
                    tracing::debug!(import = %import.arn, %error, "import item refused");
                    import.error_count += records;
                }
            }
        }
    }
}

/// An item's storage key, once it is known to be a valid item of the
/// table: its keys, its size and its index keys.
pub(crate) fn key_of_valid_item(table: &TableMeta, item: &Item) -> Result<Vec<u8>, String> {
    let key = key_of_item(table, item).map_err(|e| e.message)?;
    if item_size(item) > MAX_ITEM_SIZE {
        return Err("Item size has exceeded the maximum allowed size".into());
    }
    crate::index::check_item(table, item, crate::index::Origin::Given).map_err(|e| e.message)?;
    Ok(key)
}

fn encode(import: &ImportMeta) -> Result<Vec<u8>, DynamoError> {
    serde_json::to_vec(import).map_err(|e| DynamoError::internal(e.to_string()))
}

#[cfg(test)]
mod tests;
