//! Where table exports are written and imports read: the local directory
//! standing in for S3 (`local_s3`, `--s3-dir`), or an S3-compatible
//! service reached over HTTP (`--s3-endpoint`: S3 itself, MinIO,
//! LocalStack), whose client the server crate provides (`RemoteS3`), as
//! it owns the outgoing connections and their signatures.

use crate::local_s3::{LocalS3, S3Failure};
use std::sync::Arc;

/// How S3 is to encrypt the objects it is sent: an export's
/// S3SseAlgorithm (`AES256` or `KMS`) and S3SseKmsKeyId. Neither given:
/// as the bucket's default has it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Encryption<'a> {
    pub algorithm: Option<&'a str>,
    pub kms_key_id: Option<&'a str>,
}

/// A bucket as an export or import names it. `expected_owner` is its
/// S3BucketOwner: the account the caller says owns the bucket, which S3
/// checks (`x-amz-expected-bucket-owner`) and refuses the call with 403
/// AccessDenied when another account does, so that an export never lands
/// in, nor an import reads from, a bucket that merely has the right name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bucket<'a> {
    pub name: &'a str,
    pub expected_owner: Option<&'a str>,
}

/// An S3-compatible service. Its calls block: exports and imports run on
/// threads of their own.
pub trait RemoteS3: Send + Sync + std::fmt::Debug {
    /// Writes (or replaces) one object, encrypted as `encryption` asks.
    fn put(
        &self,
        bucket: Bucket<'_>,
        key: &str,
        bytes: &[u8],
        encryption: Encryption<'_>,
    ) -> Result<(), S3Failure>;
    fn get(&self, bucket: Bucket<'_>, key: &str) -> Result<Vec<u8>, S3Failure>;
    /// The keys of the bucket's objects that start with `prefix`, in
    /// lexicographic order as S3 lists them.
    fn list(&self, bucket: Bucket<'_>, prefix: &str) -> Result<Vec<String>, S3Failure>;
}

#[derive(Clone, Debug)]
pub enum ObjectStore {
    Directory(LocalS3),
    Remote(Arc<dyn RemoteS3>),
}

impl ObjectStore {
    /// Writes (or replaces) one object. A directory has no encryption to
    /// ask for, nor an owner to check.
    pub fn put(
        &self,
        bucket: Bucket<'_>,
        key: &str,
        bytes: &[u8],
        encryption: Encryption<'_>,
    ) -> Result<(), S3Failure> {
        match self {
            ObjectStore::Directory(local) => local.put(bucket.name, key, bytes),
            ObjectStore::Remote(remote) => remote.put(bucket, key, bytes, encryption),
        }
    }

    pub fn get(&self, bucket: Bucket<'_>, key: &str) -> Result<Vec<u8>, S3Failure> {
        match self {
            ObjectStore::Directory(local) => local.get(bucket.name, key),
            ObjectStore::Remote(remote) => remote.get(bucket, key),
        }
    }

    pub fn list(&self, bucket: Bucket<'_>, prefix: &str) -> Result<Vec<String>, S3Failure> {
        match self {
            ObjectStore::Directory(local) => local.list(bucket.name, prefix),
            ObjectStore::Remote(remote) => remote.list(bucket, prefix),
        }
    }
}
