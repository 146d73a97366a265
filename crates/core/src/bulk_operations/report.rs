//! The report of a bulk put: the records it could not write, in the
//! output bucket the request names (OutputS3Configuration), one JSON
//! object per line, split by OutputType:
//!
//! ```text
//! <S3KeyPrefix>/AWSDynamoDB/<operation id>/ERROR/part-00001.json
//! <S3KeyPrefix>/AWSDynamoDB/<operation id>/CONDITION_CHECK_FAILURE/part-00001.json
//! <S3KeyPrefix>/AWSDynamoDB/<operation id>/manifest.json
//! ```
//!
//! An ERROR line names the input object and record number and says why
//! (`{"S3Key":..,"RecordNumber":..,"ErrorMessage":..}`, with the `Item`
//! when the record had a readable one); a CONDITION_CHECK_FAILURE line holds
//! the item the record tried to put and, when there was one, the item it
//! found (`ExistingItem`). The manifest lists the files with their line
//! counts. DynamoDB documents what each report holds but not its layout;
//! this one follows the export's (`AWSDynamoDB/<id>/` under the prefix).

use crate::local_s3::S3Failure;
use crate::s3::{Bucket, Encryption, ObjectStore};
use serde_json::{json, Value};

/// Lines a part file holds before the next one starts.
const LINES_PER_PART: usize = 10_000;

/// Where the report goes and what it is to hold.
#[derive(Clone, Debug)]
pub struct ReportTarget {
    pub bucket: String,
    pub bucket_owner: Option<String>,
    pub prefix: Option<String>,
    pub sse_algorithm: Option<String>,
    pub sse_kms_key_id: Option<String>,
    pub errors: bool,
    pub condition_failures: bool,
}

impl ReportTarget {
    fn base_key(&self, operation_id: &str) -> String {
        match self.prefix.as_deref().map(|p| p.trim_end_matches('/')) {
            Some(prefix) if !prefix.is_empty() => format!("{prefix}/AWSDynamoDB/{operation_id}"),
            _ => format!("AWSDynamoDB/{operation_id}"),
        }
    }
}

/// The report being written: lines wait here until a part is full.
pub struct Report<'a> {
    target: &'a ReportTarget,
    store: &'a ObjectStore,
    base: String,
    kinds: [Kind; 2],
}

struct Kind {
    name: &'static str,
    wanted: bool,
    pending: Vec<String>,
    /// Written parts: key and line count.
    parts: Vec<(String, usize)>,
}

impl<'a> Report<'a> {
    pub fn new(target: &'a ReportTarget, store: &'a ObjectStore, operation_id: &str) -> Self {
        let kind = |name, wanted| Kind {
            name,
            wanted,
            pending: Vec::new(),
            parts: Vec::new(),
        };
        Report {
            target,
            store,
            base: target.base_key(operation_id),
            kinds: [
                kind("ERROR", target.errors),
                kind("CONDITION_CHECK_FAILURE", target.condition_failures),
            ],
        }
    }

    /// A record that could not be read or was not a valid item.
    pub fn error(
        &mut self,
        s3_key: &str,
        record_number: usize,
        message: &str,
        item: Option<Value>,
    ) -> Result<(), S3Failure> {
        let mut line = json!({
            "S3Key": s3_key,
            "RecordNumber": record_number,
            "ErrorMessage": message,
        });
        if let Some(item) = item {
            line["Item"] = item;
        }
        self.add(0, line)
    }

    /// A record whose condition was false.
    pub fn condition_failure(
        &mut self,
        s3_key: &str,
        record_number: usize,
        item: Value,
        existing: Option<Value>,
    ) -> Result<(), S3Failure> {
        let mut line = json!({
            "S3Key": s3_key,
            "RecordNumber": record_number,
            "Item": item,
        });
        if let Some(existing) = existing {
            line["ExistingItem"] = existing;
        }
        self.add(1, line)
    }

    fn add(&mut self, kind: usize, line: Value) -> Result<(), S3Failure> {
        if !self.kinds[kind].wanted {
            return Ok(());
        }
        self.kinds[kind].pending.push(line.to_string());
        if self.kinds[kind].pending.len() == LINES_PER_PART {
            self.flush(kind)?;
        }
        Ok(())
    }

    fn flush(&mut self, kind: usize) -> Result<(), S3Failure> {
        let pending = std::mem::take(&mut self.kinds[kind].pending);
        if pending.is_empty() {
            return Ok(());
        }
        let key = format!(
            "{}/{}/part-{:05}.json",
            self.base,
            self.kinds[kind].name,
            self.kinds[kind].parts.len() + 1
        );
        let mut body = pending.join("\n");
        body.push('\n');
        self.put(&key, body.as_bytes())?;
        self.kinds[kind].parts.push((key, pending.len()));
        Ok(())
    }

    /// Writes what is pending and, when anything was reported, the
    /// manifest.
    pub fn finish(mut self) -> Result<(), S3Failure> {
        for kind in 0..self.kinds.len() {
            self.flush(kind)?;
        }
        if self.kinds.iter().all(|k| k.parts.is_empty()) {
            return Ok(());
        }
        let files: Vec<Value> = (self.kinds.iter())
            .flat_map(|kind| {
                kind.parts.iter().map(|(key, lines)| {
                    json!({ "OutputType": kind.name, "S3Key": key, "RecordCount": lines })
                })
            })
            .collect();
        let manifest = json!({ "Files": files });
        self.put(
            &format!("{}/manifest.json", self.base),
            manifest.to_string().as_bytes(),
        )
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), S3Failure> {
        let bucket = Bucket {
            name: &self.target.bucket,
            expected_owner: self.target.bucket_owner.as_deref(),
        };
        let encryption = Encryption {
            algorithm: self.target.sse_algorithm.as_deref(),
            kms_key_id: self.target.sse_kms_key_id.as_deref(),
        };
        self.store.put(bucket, key, bytes, encryption)
    }
}
