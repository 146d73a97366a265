//! A local directory standing in for Amazon S3, where table exports are
//! written and table imports read (`--s3-dir`). Bucket `B` is the
//! directory `B` under it; object key `K` is the file at the path `K`
//! inside the bucket, its `/`-separated parts as directories. A key whose
//! parts could leave the bucket (`..`, `.`, empty parts) is refused.
//!
//! Objects are written to a temporary name, synced and renamed, so a reader
//! sees a whole object or none, as with S3.

use dynalith_storage::{create_dir_all_durably, sync_parent};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why an object could not be read or written, as an export's or import's
/// FailureCode and FailureMessage.
#[derive(Debug, Clone, PartialEq)]
pub struct S3Failure {
    pub code: &'static str,
    pub message: String,
}

impl S3Failure {
    pub fn new(code: &'static str, message: impl Into<String>) -> S3Failure {
        S3Failure {
            code,
            message: message.into(),
        }
    }

    fn io(what: &Path, error: std::io::Error) -> S3Failure {
        S3Failure::new("S3IOError", format!("{}: {error}", what.display()))
    }
}

/// The stand-in for S3, or its absence (an in-memory server started
/// without `--s3-dir` has nowhere to put objects).
#[derive(Clone, Debug, Default)]
pub struct LocalS3 {
    root: Option<PathBuf>,
}

impl LocalS3 {
    pub fn new(root: Option<PathBuf>) -> LocalS3 {
        LocalS3 { root }
    }

    /// The bucket's directory. `create`: make it if missing (exports);
    /// otherwise it must exist (imports read from it).
    fn bucket(&self, bucket: &str, create: bool) -> Result<PathBuf, S3Failure> {
        let Some(root) = &self.root else {
            return Err(S3Failure::new(
                "S3NoSuchBucket",
                format!(
                    "The specified bucket does not exist: {bucket} (this server has no S3 directory; start it with --s3-dir)"
                ),
            ));
        };
        if !is_plain_part(bucket) {
            return Err(S3Failure::new(
                "S3InvalidBucketName",
                format!("The specified bucket is not valid: {bucket}"),
            ));
        }
        let path = root.join(bucket);
        if create {
            create_dir_all_durably(&path).map_err(|e| S3Failure::io(&path, e))?;
        } else if !path.is_dir() {
            return Err(S3Failure::new(
                "S3NoSuchBucket",
                format!("The specified bucket does not exist: {bucket}"),
            ));
        }
        Ok(path)
    }

    /// Writes (or replaces) one object, durably: an export that says it
    /// is complete must still be whole after a power cut.
    pub fn put(&self, bucket: &str, key: &str, bytes: &[u8]) -> Result<(), S3Failure> {
        let path = object_path(&self.bucket(bucket, true)?, key)?;
        if let Some(parent) = path.parent() {
            create_dir_all_durably(parent).map_err(|e| S3Failure::io(parent, e))?;
        }
        let temporary = path.with_extension(format!("dynalith-{}.tmp", uuid::Uuid::new_v4()));
        let written = std::fs::File::create(&temporary).and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
        written
            .and_then(|()| std::fs::rename(&temporary, &path))
            .and_then(|()| sync_parent(&path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&temporary);
                S3Failure::io(&path, e)
            })
    }

    pub fn get(&self, bucket: &str, key: &str) -> Result<Vec<u8>, S3Failure> {
        let path = object_path(&self.bucket(bucket, false)?, key)?;
        std::fs::read(&path).map_err(|e| S3Failure::io(&path, e))
    }

    /// The keys of the bucket's objects that start with `prefix`, in
    /// lexicographic order as S3 lists them.
    pub fn list(&self, bucket: &str, prefix: &str) -> Result<Vec<String>, S3Failure> {
        let root = self.bucket(bucket, false)?;
        let mut keys = Vec::new();
        let mut pending = vec![(root.clone(), String::new())];
        while let Some((dir, key_prefix)) = pending.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| S3Failure::io(&dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| S3Failure::io(&dir, e))?;
                let Ok(name) = entry.file_name().into_string() else {
                    continue;
                };
                let key = format!("{key_prefix}{name}");
                let kind = entry.file_type().map_err(|e| S3Failure::io(&dir, e))?;
                if kind.is_dir() {
                    // Only directories that can hold a key with the prefix.
                    let below = format!("{key}/");
                    if below.starts_with(prefix) || prefix.starts_with(&below) {
                        pending.push((entry.path(), below));
                    }
                } else if kind.is_file() && key.starts_with(prefix) && !is_temporary(&name) {
                    keys.push(key);
                }
            }
        }
        keys.sort();
        Ok(keys)
    }
}

/// A required S3Bucket member at `path`: at most 255 characters of
/// DynamoDB's pattern (`check_bucket_name`).
pub fn check_bucket(v: &mut crate::validate::Violations, bucket: &Option<String>, path: &str) {
    if v.require(bucket, path) {
        let bucket = bucket.as_deref().unwrap_or_default();
        v.length_between(format_args!("'{bucket}'"), bucket.len(), path, 0, 255);
        check_bucket_name(v, bucket, path);
    }
}

/// DynamoDB's pattern for the S3Bucket of exports and imports,
/// `^[a-z0-9A-Z]+[\.\-\w]*[a-z0-9A-Z]+$`.
pub fn check_bucket_name(v: &mut crate::validate::Violations, name: &str, path: &str) {
    let bytes = name.as_bytes();
    let valid = bytes.len() >= 2
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if !valid {
        v.push(
            format_args!("'{name}'"),
            path,
            "Member must satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$",
        );
    }
}

/// A bucket name or key part that names exactly one directory entry.
fn is_plain_part(part: &str) -> bool {
    !part.is_empty() && part != "." && part != ".." && !part.contains(['/', '\\', '\0'])
}

fn is_temporary(name: &str) -> bool {
    name.contains(".dynalith-") && name.ends_with(".tmp")
}

fn object_path(bucket: &Path, key: &str) -> Result<PathBuf, S3Failure> {
    let mut path = bucket.to_path_buf();
    for part in key.split('/') {
        if !is_plain_part(part) {
            return Err(S3Failure::new(
                "S3InvalidKey",
                format!("This server cannot store the object key {key:?}: its parts must be non-empty and not . or .."),
            ));
        }
        path.push(part);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_round_trip_and_list_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let s3 = LocalS3::new(Some(dir.path().to_path_buf()));
        s3.put("b", "p/AWSDynamoDB/x/data/one.json.gz", b"1")
            .unwrap();
        s3.put("b", "p/AWSDynamoDB/x/manifest-files.json", b"2")
            .unwrap();
        s3.put("b", "q/other", b"3").unwrap();
        assert_eq!(s3.get("b", "q/other").unwrap(), b"3");
        assert_eq!(
            s3.list("b", "p/").unwrap(),
            vec![
                "p/AWSDynamoDB/x/data/one.json.gz".to_string(),
                "p/AWSDynamoDB/x/manifest-files.json".to_string()
            ]
        );
        assert_eq!(s3.list("b", "p/AWSDynamoDB/x/d").unwrap().len(), 1);
        assert_eq!(s3.list("b", "").unwrap().len(), 3);
        assert_eq!(s3.list("b", "r").unwrap().len(), 0);
    }

    #[test]
    fn keys_and_buckets_cannot_leave_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let s3 = LocalS3::new(Some(dir.path().join("s3")));
        for key in ["../x", "a/../../x", "a//b", "/a", "a/./b"] {
            assert_eq!(s3.put("b", key, b"").unwrap_err().code, "S3InvalidKey");
        }
        assert_eq!(
            s3.put("..", "x", b"").unwrap_err().code,
            "S3InvalidBucketName"
        );
        assert_eq!(s3.list("absent", "").unwrap_err().code, "S3NoSuchBucket");
        let none = LocalS3::new(None);
        assert_eq!(none.put("b", "k", b"").unwrap_err().code, "S3NoSuchBucket");
    }
}
