//! Order-preserving, self-delimiting byte encodings of DynamoDB key values.
//!
//! Each encoding's memcmp order equals DynamoDB's order for that key type,
//! and no encoding is a prefix of another, so a partition key and a sort key
//! can be concatenated into one storage key, compared as a pair, and decoded
//! back one after the other. The reader must know each part's type (from the
//! table's key schema); the encodings carry no type tag.

mod bytes;
mod number;

pub use bytes::{decode_binary, decode_string, encode_binary, encode_string};
pub use number::{decode_number, encode_number};

use std::fmt;

/// The input is not a value written by this crate's encoders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeError;

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed encoded key value")
    }
}

impl std::error::Error for DecodeError {}

/// Hash of an encoded partition key, used to spread partitions. Stable across
/// versions and platforms (XXH3-64 with the default seed), because it may be
/// persisted or compared between nodes.
pub fn partition_hash(encoded_partition_key: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(encoded_partition_key)
}
