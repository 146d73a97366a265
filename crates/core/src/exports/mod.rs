//! Table exports (ExportTableToPointInTime): a table's items as they were
//! at one moment, written as DynamoDB writes them to S3 — into the local
//! stand-in for S3 or an S3-compatible service (`s3`):
//!
//! ```text
//! <prefix>/AWSDynamoDB/<export id>/_started
//! <prefix>/AWSDynamoDB/<export id>/data/<name>.json.gz   (or .ion.gz)
//! <prefix>/AWSDynamoDB/<export id>/manifest-files.json   (+ .checksum)
//! <prefix>/AWSDynamoDB/<export id>/manifest-summary.json (+ .checksum)
//! ```
//!
//! As in DynamoDB, the table needs point-in-time recovery: the items are
//! the table's as one snapshot holds them, less the changes its recovery
//! history records after the requested moment (`point_in_time`), so an
//! export never holds up the table's writes and sees exactly that moment. The
//! request answers IN_PROGRESS; a background thread writes the files and
//! then records COMPLETED (or FAILED, with DynamoDB's FailureCode and
//! FailureMessage). An export a crash interrupts is recorded FAILED at the
//! next start.

pub mod item_lines;

use crate::catalog::TableMeta;
use crate::local_s3::S3Failure;
use crate::{keys, storage_error, stored_item, Database};
use dynalith_model::{DynamoError, ErrorKind};
use item_lines::Format;
use md5::Digest as _;
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::sync::Arc;

/// Items per data file. DynamoDB writes at least one file per partition;
/// one file per this many items keeps each file's buffer small.
const ITEMS_PER_FILE: u64 = 100_000;

pub const IN_PROGRESS: &str = "IN_PROGRESS";
pub const COMPLETED: &str = "COMPLETED";
pub const FAILED: &str = "FAILED";

/// One export, as persisted at `keys::export_entry`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ExportMeta {
    pub id: String,
    pub arn: String,
    pub status: String,
    pub table_name: String,
    /// The exported table's storage id, which its ARN alone does not name
    /// once a table of the same name replaced it.
    pub table_storage_id: u32,
    pub table_arn: String,
    /// TableId, the table's UUID.
    pub table_id: String,
    pub start_time: f64,
    pub end_time: Option<f64>,
    pub export_time: f64,
    pub client_token: String,
    pub s3_bucket: String,
    pub s3_bucket_owner: Option<String>,
    pub s3_prefix: Option<String>,
    pub s3_sse_algorithm: Option<String>,
    pub s3_sse_kms_key_id: Option<String>,
    pub export_format: String,
    pub export_type: String,
    /// The window of an incremental export (ExportType
    /// INCREMENTAL_EXPORT); None for a full one.
    #[serde(default)]
    pub incremental: Option<IncrementalExport>,
    pub manifest: Option<String>,
    pub billed_size_bytes: Option<i64>,
    pub item_count: Option<i64>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    /// The request as sent, to tell a retry (same ClientToken, same
    /// parameters) from a conflict.
    pub request: Option<serde_json::Value>,
}

/// IncrementalExportSpecification: the changes made at or after `from`
/// and before `to` (seconds since the epoch).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct IncrementalExport {
    pub from: f64,
    pub to: f64,
    /// NEW_IMAGE or NEW_AND_OLD_IMAGES.
    pub view_type: String,
}

impl IncrementalExport {
    fn description(&self) -> serde_json::Value {
        serde_json::json!({
            "ExportFromTime": self.from,
            "ExportToTime": self.to,
            "ExportViewType": self.view_type,
        })
    }
}

impl ExportMeta {
    /// How S3 is to encrypt this export's objects.
    fn bucket(&self) -> crate::s3::Bucket<'_> {
        crate::s3::Bucket {
            name: &self.s3_bucket,
            expected_owner: self.s3_bucket_owner.as_deref(),
        }
    }

    fn encryption(&self) -> crate::s3::Encryption<'_> {
        crate::s3::Encryption {
            algorithm: self.s3_sse_algorithm.as_deref(),
            kms_key_id: self.s3_sse_kms_key_id.as_deref(),
        }
    }

    /// The key under which this export's files lie.
    fn base_key(&self) -> String {
        match self.s3_prefix.as_deref().map(|p| p.trim_end_matches('/')) {
            Some(prefix) if !prefix.is_empty() => format!("{prefix}/AWSDynamoDB/{}", self.id),
            _ => format!("AWSDynamoDB/{}", self.id),
        }
    }

    /// ExportDescription.
    pub fn description(&self) -> serde_json::Value {
        let mut d = serde_json::json!({
            "ExportArn": self.arn,
            "ExportStatus": self.status,
            "StartTime": self.start_time,
            "TableArn": self.table_arn,
            "TableId": self.table_id,
            "ExportTime": self.export_time,
            "ClientToken": self.client_token,
            "S3Bucket": self.s3_bucket,
            "ExportFormat": self.export_format,
            "ExportType": self.export_type,
        });
        let optional = [
            ("EndTime", self.end_time.map(serde_json::Value::from)),
            (
                "S3BucketOwner",
                self.s3_bucket_owner.clone().map(Into::into),
            ),
            ("S3Prefix", self.s3_prefix.clone().map(Into::into)),
            (
                "S3SseAlgorithm",
                self.s3_sse_algorithm.clone().map(Into::into),
            ),
            (
                "S3SseKmsKeyId",
                self.s3_sse_kms_key_id.clone().map(Into::into),
            ),
            ("ExportManifest", self.manifest.clone().map(Into::into)),
            ("BilledSizeBytes", self.billed_size_bytes.map(Into::into)),
            ("ItemCount", self.item_count.map(Into::into)),
            ("FailureCode", self.failure_code.clone().map(Into::into)),
            (
                "FailureMessage",
                self.failure_message.clone().map(Into::into),
            ),
            (
                "IncrementalExportSpecification",
                self.incremental
                    .as_ref()
                    .map(IncrementalExport::description),
            ),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                d[name] = value;
            }
        }
        d
    }

    /// ExportSummary, as ListExports gives it.
    pub fn summary(&self) -> serde_json::Value {
        serde_json::json!({
            "ExportArn": self.arn,
            "ExportStatus": self.status,
            "ExportType": self.export_type,
        })
    }
}

pub fn export_not_found(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ExportNotFound,
        format!("Export not found: {arn}"),
    )
}

/// A new export or import id: the time in milliseconds, 14 digits, and 8
/// random hexadecimal digits, as DynamoDB's look.
pub fn new_job_id(now: f64) -> String {
    let random = uuid::Uuid::new_v4().as_u128() as u32;
    format!("{:014}-{random:08x}", (now * 1000.0) as u64)
}

/// What the data files of an export add up to.
#[derive(Default)]
struct Written {
    item_count: i64,
    billed_size_bytes: i64,
    /// manifest-files.json, one line per data file.
    manifest_lines: Vec<u8>,
}

/// One data file being filled.
struct DataFile {
    encoder: flate2::write::GzEncoder<Vec<u8>>,
    items: u64,
}

impl DataFile {
    fn new(format: Format) -> Result<DataFile, S3Failure> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder
            .write_all(format.file_header())
            .map_err(compression_failure)?;
        Ok(DataFile { encoder, items: 0 })
    }
}

fn compression_failure(e: std::io::Error) -> S3Failure {
    S3Failure {
        code: "UNKNOWN",
        message: format!("compressing a data file failed: {e}"),
    }
}

fn internal_failure(e: DynamoError) -> S3Failure {
    S3Failure {
        code: "UNKNOWN",
        message: e.message,
    }
}

fn md5_hex(bytes: &[u8]) -> String {
    md5::Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn md5_base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(bytes))
}

/// ISO 8601 in UTC with milliseconds, as the manifests write times.
fn iso_time(epoch_seconds: f64) -> String {
    let nanos = (epoch_seconds * 1000.0).round() as i128 * 1_000_000;
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

impl Database {
    /// Every export, oldest first.
    pub(crate) fn exports(&self) -> Result<Vec<ExportMeta>, DynamoError> {
        let (start, end) = keys::export_entries_range();
        let snapshot = self.engine().snapshot();
        let mut exports = Vec::new();
        for entry in snapshot.scan(&start, &end, false) {
            let (_, value) = entry.map_err(storage_error)?;
            exports.push(
                serde_json::from_slice(&value)
                    .map_err(|e| DynamoError::internal(format!("corrupt export entry: {e}")))?,
            );
        }
        Ok(exports)
    }

    pub(crate) fn export(&self, arn: &str) -> Result<ExportMeta, DynamoError> {
        self.exports()?
            .into_iter()
            .find(|e| e.arn == arn)
            .ok_or_else(|| export_not_found(arn))
    }

    pub(crate) fn save_export(&self, export: &ExportMeta) -> Result<(), DynamoError> {
        let encoded =
            serde_json::to_vec(export).map_err(|e| DynamoError::internal(e.to_string()))?;
        let mut txn = self.engine().begin();
        txn.put(&keys::export_entry(&export.id), &encoded)
            .map_err(storage_error)?;
        txn.commit().map_err(storage_error)
    }

    /// Records the exports a crash interrupted as failed.
    pub(crate) fn fail_unfinished_exports(&self) -> Result<(), DynamoError> {
        for mut export in self.exports()? {
            if export.status == IN_PROGRESS {
                export.status = FAILED.into();
                export.end_time = Some(crate::now_epoch_seconds());
                export.failure_code = Some("UNKNOWN".into());
                export.failure_message =
                    Some("The server stopped before the export finished".into());
                self.save_export(&export)?;
            }
        }
        Ok(())
    }

    /// Writes the export's files in the background, then records how it
    /// ended. `export` is already saved IN_PROGRESS.
    pub(crate) fn start_export(&self, export: ExportMeta, table: Arc<TableMeta>) {
        let Some(db) = self.self_ref.upgrade() else {
            return;
        };
        std::thread::spawn(move || {
            let mut export = export;
            match db.write_export(&export, &table) {
                Ok(written) => {
                    export.status = COMPLETED.into();
                    export.item_count = Some(written.item_count);
                    export.billed_size_bytes = Some(written.billed_size_bytes);
                    export.manifest = Some(format!("{}/manifest-summary.json", export.base_key()));
                }
                Err(failure) => {
                    tracing::warn!(export = %export.arn, code = failure.code, message = %failure.message, "export failed");
                    export.status = FAILED.into();
                    export.failure_code = Some(failure.code.into());
                    export.failure_message = Some(failure.message);
                }
            }
            export.end_time = Some(crate::now_epoch_seconds());
            if let Err(e) = db.save_export(&export) {
                tracing::error!(export = %export.arn, %e, "recording the end of an export failed");
            }
        });
    }

    fn write_export(&self, export: &ExportMeta, table: &TableMeta) -> Result<Written, S3Failure> {
        let put = |key: &str, bytes: &[u8]| {
            self.s3()
                .put(export.bucket(), key, bytes, export.encryption())
        };
        let base = export.base_key();
        put(&format!("{base}/_started"), b"")?;
        let format = Format::parse(&export.export_format).unwrap_or(Format::DynamoDbJson);
        let mut written = Written::default();
        let mut file = DataFile::new(format)?;
        let mut line = Vec::new();
        let mut failure = None;
        // Adds one item's line to the current data file, stored once full.
        let mut add = |line: &[u8], size: usize| -> Result<(), S3Failure> {
            file.encoder.write_all(line).map_err(compression_failure)?;
            file.items += 1;
            written.item_count += 1;
            written.billed_size_bytes += size as i64;
            if file.items == ITEMS_PER_FILE {
                let full = std::mem::replace(&mut file, DataFile::new(format)?);
                self.put_data_file(export, format, full, &mut written)?;
            }
            Ok(())
        };
        // A failure to store a file stops the walk; it is reported as the
        // export's failure, not as the walk's internal error.
        let mut stop = |f: S3Failure| {
            let error = DynamoError::internal(f.message.clone());
            failure = Some(f);
            error
        };
        let decoded = |stored: &[u8]| -> Result<Option<dynalith_model::Item>, DynamoError> {
            format
                .needs_item()
                .then(|| stored_item::decode(stored))
                .transpose()
        };
        let millis = |seconds: f64| (seconds * 1000.0).round() as u64;
        let visited = match &export.incremental {
            None => self.visit_items_at(table, millis(export.export_time), &mut |stored| {
                line.clear();
                format.write_line(
                    &mut line,
                    stored_item::json(stored)?,
                    decoded(stored)?.as_ref(),
                );
                add(&line, stored_item::size(stored)?).map_err(&mut stop)
            }),
            Some(window) => {
                let with_old = window.view_type == "NEW_AND_OLD_IMAGES";
                self.visit_changes_between(
                    table,
                    millis(window.from),
                    millis(window.to),
                    &mut |old, new, time| {
                        let old = old.map(stored_item::decode).transpose()?;
                        let new_size = new.map(stored_item::size).transpose()?.unwrap_or(0);
                        let new = new.map(stored_item::decode).transpose()?;
                        let Some(either) = new.as_ref().or(old.as_ref()) else {
                            return Ok(());
                        };
                        let keys = crate::primary_key::key_attributes(table, either);
                        line.clear();
                        let old = old.as_ref().filter(|_| with_old);
                        format.write_change_line(&mut line, time * 1000, &keys, old, new.as_ref());
                        add(&line, new_size).map_err(&mut stop)
                    },
                )
            }
        };
        if let Some(failure) = failure {
            return Err(failure);
        }
        visited.map_err(internal_failure)?;
        // The last file, which is the only one, and empty, for an empty
        // table (DynamoDB writes a file even for an empty partition).
        if file.items > 0 || written.manifest_lines.is_empty() {
            self.put_data_file(export, format, file, &mut written)?;
        }
        let files_key = format!("{base}/manifest-files.json");
        put(&files_key, &written.manifest_lines)?;
        put(
            &format!("{base}/manifest-files.checksum"),
            md5_hex(&written.manifest_lines).as_bytes(),
        )?;
        let summary = serde_json::json!({
            "version": "2020-06-30",
            "exportArn": export.arn,
            "startTime": iso_time(export.start_time),
            "endTime": iso_time(crate::now_epoch_seconds()),
            "tableArn": export.table_arn,
            "tableId": export.table_id,
            "exportTime": iso_time(export.export_time),
            "s3Bucket": export.s3_bucket,
            "s3Prefix": export.s3_prefix,
            "s3SseAlgorithm": export.s3_sse_algorithm.as_deref().unwrap_or("AES256"),
            "s3SseKmsKeyId": export.s3_sse_kms_key_id,
            "manifestFilesS3Key": files_key,
            "billedSizeBytes": written.billed_size_bytes,
            "itemCount": written.item_count,
            "outputFormat": export.export_format,
            "exportType": export.export_type,
        });
        let mut summary = summary;
        if let Some(window) = &export.incremental {
            summary["exportFromTime"] = iso_time(window.from).into();
            summary["exportToTime"] = iso_time(window.to).into();
            summary["outputView"] = window.view_type.clone().into();
        }
        let summary = serde_json::to_vec(&summary).map_err(|e| S3Failure {
            code: "UNKNOWN",
            message: e.to_string(),
        })?;
        put(
            &format!("{base}/manifest-summary.checksum"),
            md5_hex(&summary).as_bytes(),
        )?;
        put(&format!("{base}/manifest-summary.json"), &summary)?;
        Ok(written)
    }

    fn put_data_file(
        &self,
        export: &ExportMeta,
        format: Format,
        file: DataFile,
        written: &mut Written,
    ) -> Result<(), S3Failure> {
        let bytes = file.encoder.finish().map_err(compression_failure)?;
        // A random name, as DynamoDB's: 26 characters of [a-z0-9].
        let name: String = uuid::Uuid::new_v4()
            .as_u128()
            .to_be_bytes()
            .iter()
            .chain(uuid::Uuid::new_v4().as_u128().to_be_bytes().iter())
            .take(26)
            .map(|b| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[usize::from(*b) % 36]))
            .collect();
        let key = format!("{}/data/{name}.{}", export.base_key(), format.extension());
        self.s3()
            .put(export.bucket(), &key, &bytes, export.encryption())?;
        let line = serde_json::json!({
            "itemCount": file.items,
            "md5": md5_base64(&bytes),
            "etag": md5_hex(&bytes),
            "dataFileS3Key": key,
        });
        written
            .manifest_lines
            .extend_from_slice(line.to_string().as_bytes());
        written.manifest_lines.push(b'\n');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{create_table, enable_recovery, open_with_s3, run};
    use crate::Operation;
    use std::io::Read as _;

    fn wait_until_done(db: &crate::Database, arn: &str) -> serde_json::Value {
        for _ in 0..500 {
            let d = run(
                db,
                Operation::DescribeExport,
                &format!(r#"{{"ExportArn":"{arn}"}}"#),
            );
            if d["ExportDescription"]["ExportStatus"] != "IN_PROGRESS" {
                return d["ExportDescription"].clone();
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("export {arn} did not finish");
    }

    /// The items of a completed export, as the data files hold them.
    fn exported_lines(s3: &std::path::Path, description: &serde_json::Value) -> Vec<String> {
        let bucket = s3.join(description["S3Bucket"].as_str().unwrap());
        let manifest = description["ExportManifest"].as_str().unwrap();
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(bucket.join(manifest)).unwrap()).unwrap();
        let files_key = summary["manifestFilesS3Key"].as_str().unwrap();
        let mut lines = Vec::new();
        for line in std::fs::read_to_string(bucket.join(files_key))
            .unwrap()
            .lines()
        {
            let entry: serde_json::Value = serde_json::from_str(line).unwrap();
            let data =
                std::fs::read(bucket.join(entry["dataFileS3Key"].as_str().unwrap())).unwrap();
            let mut text = String::new();
            flate2::read::GzDecoder::new(&data[..])
                .read_to_string(&mut text)
                .unwrap();
            let count = text.lines().count();
            assert_eq!(entry["itemCount"], count as u64);
            lines.extend(text.lines().map(str::to_string));
        }
        lines.sort();
        assert_eq!(summary["itemCount"], lines.len() as u64);
        lines
    }

    #[test]
    fn an_export_holds_the_items_of_its_moment() {
        let s3 = tempfile::tempdir().unwrap();
        let db = open_with_s3(s3.path());
        create_table(&db, "tbl");
        enable_recovery(&db, "tbl");
        let put = |item: &str| {
            run(
                &db,
                Operation::PutItem,
                &format!(r#"{{"TableName":"tbl","Item":{item}}}"#),
            );
        };
        put(r#"{"pk":{"S":"a"},"v":{"N":"1"}}"#);
        put(r#"{"pk":{"S":"b"}}"#);
        std::thread::sleep(std::time::Duration::from_millis(5));
        let before = crate::now_epoch_seconds();
        std::thread::sleep(std::time::Duration::from_millis(5));
        put(r#"{"pk":{"S":"a"},"v":{"N":"2"}}"#);
        put(r#"{"pk":{"S":"c"}}"#);
        run(
            &db,
            Operation::DeleteItem,
            r#"{"TableName":"tbl","Key":{"pk":{"S":"b"}}}"#,
        );

        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/tbl";
        let then = run(
            &db,
            Operation::ExportTableToPointInTime,
            &format!(
                r#"{{"TableArn":"{arn}","S3Bucket":"bk","S3Prefix":"p/","ExportTime":{before}}}"#
            ),
        );
        assert_eq!(then["ExportDescription"]["ExportStatus"], "IN_PROGRESS");
        let then = wait_until_done(
            &db,
            then["ExportDescription"]["ExportArn"].as_str().unwrap(),
        );
        assert_eq!(then["ExportStatus"], "COMPLETED", "{then}");
        assert_eq!(
            exported_lines(s3.path(), &then),
            vec![
                r#"{"Item":{"pk":{"S":"a"},"v":{"N":"1"}}}"#,
                r#"{"Item":{"pk":{"S":"b"}}}"#
            ]
        );
        assert!(then["ExportManifest"]
            .as_str()
            .unwrap()
            .starts_with("p/AWSDynamoDB/"));

        let now = run(
            &db,
            Operation::ExportTableToPointInTime,
            &format!(r#"{{"TableArn":"{arn}","S3Bucket":"bk","ExportFormat":"ION"}}"#),
        );
        let now = wait_until_done(&db, now["ExportDescription"]["ExportArn"].as_str().unwrap());
        assert_eq!(now["ItemCount"], 2);
        assert_eq!(
            exported_lines(s3.path(), &now),
            vec![
                r#"$ion_1_0 {Item:{"pk":"a","v":2.}}"#.to_string(),
                r#"{Item:{"pk":"c"}}"#.to_string()
            ]
        );
        let listed = run(
            &db,
            Operation::ListExports,
            &format!(r#"{{"TableArn":"{arn}"}}"#),
        );
        assert_eq!(listed["ExportSummaries"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn an_incremental_export_holds_each_changed_item_once_with_its_images() {
        let s3 = tempfile::tempdir().unwrap();
        let db = open_with_s3(s3.path());
        create_table(&db, "tbl");
        enable_recovery(&db, "tbl");
        let write = |operation, body: &str| {
            run(&db, operation, &format!(r#"{{"TableName":"tbl",{body}}}"#));
        };
        write(
            Operation::PutItem,
            r#""Item":{"pk":{"S":"a"},"v":{"N":"1"}}"#,
        );
        write(Operation::PutItem, r#""Item":{"pk":{"S":"b"}}"#);
        write(Operation::PutItem, r#""Item":{"pk":{"S":"same"}}"#);
        std::thread::sleep(std::time::Duration::from_millis(5));
        let from = crate::now_epoch_seconds();
        std::thread::sleep(std::time::Duration::from_millis(5));
        write(
            Operation::PutItem,
            r#""Item":{"pk":{"S":"a"},"v":{"N":"2"}}"#,
        );
        write(
            Operation::PutItem,
            r#""Item":{"pk":{"S":"a"},"v":{"N":"3"}}"#,
        );
        write(Operation::DeleteItem, r#""Key":{"pk":{"S":"b"}}"#);
        write(Operation::PutItem, r#""Item":{"pk":{"S":"c"}}"#);
        write(Operation::PutItem, r#""Item":{"pk":{"S":"gone"}}"#);
        write(Operation::DeleteItem, r#""Key":{"pk":{"S":"gone"}}"#);
        std::thread::sleep(std::time::Duration::from_millis(5));
        let to = crate::now_epoch_seconds();
        std::thread::sleep(std::time::Duration::from_millis(5));
        write(Operation::PutItem, r#""Item":{"pk":{"S":"after"}}"#);

        // The job behind ExportTableToPointInTime, with a window shorter
        // than the 15 minutes the operation requires.
        let full = run(
            &db,
            Operation::ExportTableToPointInTime,
            r#"{"TableArn":"arn:aws:dynamodb:us-east-1:000000000000:table/tbl","S3Bucket":"bk"}"#,
        );
        wait_until_done(
            &db,
            full["ExportDescription"]["ExportArn"].as_str().unwrap(),
        );
        let mut export = db.exports().unwrap().remove(0);
        export.id = super::new_job_id(crate::now_epoch_seconds());
        export.arn = format!("{}/export/{}", export.table_arn, export.id);
        export.status = super::IN_PROGRESS.into();
        export.export_type = "INCREMENTAL_EXPORT".into();
        export.export_time = to;
        export.incremental = Some(super::IncrementalExport {
            from,
            to,
            view_type: "NEW_AND_OLD_IMAGES".into(),
        });
        db.save_export(&export).unwrap();
        db.start_export(export.clone(), db.catalog().get("tbl").unwrap());
        let done = wait_until_done(&db, &export.arn);
        assert_eq!(done["ExportStatus"], "COMPLETED", "{done}");
        assert_eq!(
            done["IncrementalExportSpecification"]["ExportViewType"],
            "NEW_AND_OLD_IMAGES"
        );
        let lines: Vec<serde_json::Value> = exported_lines(s3.path(), &done)
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let seen: Vec<(String, serde_json::Value, serde_json::Value)> = lines
            .iter()
            .map(|l| {
                let micros: u64 = l["Metadata"]["WriteTimestampMicros"]["N"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(micros >= (from * 1e6) as u64 && micros < (to * 1e6) as u64);
                (
                    l["Keys"]["pk"]["S"].as_str().unwrap().to_string(),
                    l["OldImage"].clone(),
                    l["NewImage"].clone(),
                )
            })
            .collect();
        let item = |json: &str| serde_json::from_str::<serde_json::Value>(json).unwrap();
        assert_eq!(
            seen,
            vec![
                (
                    "a".into(),
                    item(r#"{"pk":{"S":"a"},"v":{"N":"1"}}"#),
                    item(r#"{"pk":{"S":"a"},"v":{"N":"3"}}"#)
                ),
                (
                    "b".into(),
                    item(r#"{"pk":{"S":"b"}}"#),
                    serde_json::Value::Null
                ),
                (
                    "c".into(),
                    serde_json::Value::Null,
                    item(r#"{"pk":{"S":"c"}}"#)
                ),
            ]
        );
    }

    #[test]
    fn an_export_a_crash_interrupts_is_recorded_failed_at_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let arn = {
            let db = crate::test_support::open_durable(dir.path());
            create_table(&db, "tbl");
            enable_recovery(&db, "tbl");
            let started = run(
                &db,
                Operation::ExportTableToPointInTime,
                r#"{"TableArn":"arn:aws:dynamodb:us-east-1:000000000000:table/tbl","S3Bucket":"bk"}"#,
            );
            // The state a crash before the export's end leaves.
            let mut export = db.exports().unwrap().remove(0);
            wait_until_done(&db, &export.arn);
            export.status = super::IN_PROGRESS.into();
            db.save_export(&export).unwrap();
            db.engine().flush().unwrap();
            started["ExportDescription"]["ExportArn"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let db = crate::test_support::open_durable(dir.path());
        let described = run(
            &db,
            Operation::DescribeExport,
            &format!(r#"{{"ExportArn":"{arn}"}}"#),
        );
        assert_eq!(described["ExportDescription"]["ExportStatus"], "FAILED");
        assert!(described["ExportDescription"]["EndTime"].is_number());
    }

    #[test]
    fn without_a_directory_for_s3_the_export_fails_as_for_a_missing_bucket() {
        let engine: std::sync::Arc<dyn dynalith_storage::Engine> =
            std::sync::Arc::new(dynalith_storage::MemoryEngine::default());
        let db = crate::Database::open(engine).unwrap();
        create_table(&db, "tbl");
        enable_recovery(&db, "tbl");
        let started = run(
            &db,
            Operation::ExportTableToPointInTime,
            r#"{"TableArn":"arn:aws:dynamodb:us-east-1:000000000000:table/tbl","S3Bucket":"bk"}"#,
        );
        let done = wait_until_done(
            &db,
            started["ExportDescription"]["ExportArn"].as_str().unwrap(),
        );
        assert_eq!(done["ExportStatus"], "FAILED");
        assert_eq!(done["FailureCode"], "S3NoSuchBucket");
    }
}
