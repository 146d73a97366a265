//! The storage key layout. Every key starts with a one-byte space tag;
//! table data is further prefixed by the table's numeric id, which is never
//! reused, so a table deleted and re-created under the same name can never
//! see its predecessor's data.
//!
//! ```text
//! catalog entry   01 'T' <table name>                       -> TableMeta JSON
//! next table id   01 'I'                                    -> u32 BE
//! pending drop    01 'D' <table id u32 BE>                  -> empty
//! item            02 <table id> <hash(pk) u64 BE> <pk> [<sk>] -> stored item
//! table counters  03 <table id>                             -> [item count, bytes]
//! ```
//! A partition is contiguous and ordered by sort key, so Query is one range
//! read; partitions are ordered by hash, so Scan walks hash order as
//! DynamoDB does and parallel-scan segments are even slices of the hash
//! space.

use dynalith_model::{AttributeValue, DynamoError};

const CATALOG: u8 = 0x01;
const ITEMS: u8 = 0x02;
const COUNTERS: u8 = 0x03;

pub fn table_entry(name: &str) -> Vec<u8> {
    let mut key = vec![CATALOG, b'T'];
    key.extend_from_slice(name.as_bytes());
    key
}

pub fn table_entries_range() -> (Vec<u8>, Vec<u8>) {
    (vec![CATALOG, b'T'], vec![CATALOG, b'T' + 1])
}

pub fn next_table_id() -> Vec<u8> {
    vec![CATALOG, b'I']
}

pub fn pending_drop(table_id: u32) -> Vec<u8> {
    let mut key = vec![CATALOG, b'D'];
    key.extend_from_slice(&table_id.to_be_bytes());
    key
}

pub fn pending_drops_range() -> (Vec<u8>, Vec<u8>) {
    (vec![CATALOG, b'D'], vec![CATALOG, b'D' + 1])
}

pub fn table_id_of_pending_drop(key: &[u8]) -> Option<u32> {
    let raw: [u8; 4] = key.get(2..6)?.try_into().ok()?;
    Some(u32::from_be_bytes(raw))
}

pub fn table_counters(table_id: u32) -> Vec<u8> {
    let mut key = vec![COUNTERS];
    key.extend_from_slice(&table_id.to_be_bytes());
    key
}

/// Every item key of a table lies in `[start, end)`.
pub fn table_items_range(table_id: u32) -> (Vec<u8>, Vec<u8>) {
    let mut start = vec![ITEMS];
    start.extend_from_slice(&table_id.to_be_bytes());
    let mut end = vec![ITEMS];
    end.extend_from_slice(&(u64::from(table_id) + 1).to_be_bytes()[4..]);
    if table_id == u32::MAX {
        end = vec![ITEMS + 1];
    }
    (start, end)
}

/// Appends the order-preserving encoding of a key attribute value.
pub fn encode_key_value(out: &mut Vec<u8>, value: &AttributeValue) -> Result<(), DynamoError> {
    match value {
        AttributeValue::S(s) => dynalith_codec::encode_string(out, s),
        AttributeValue::N(n) => dynalith_codec::encode_number(out, n),
        AttributeValue::B(b) => dynalith_codec::encode_binary(out, b),
        other => {
            return Err(DynamoError::internal(format!(
                "key attribute of type {} reached the key encoder",
                other.value_type()
            )))
        }
    }
    Ok(())
}

/// The storage key of an item, from its (validated) key attribute values.
pub fn item_key(
    table_id: u32,
    partition: &AttributeValue,
    sort: Option<&AttributeValue>,
) -> Result<Vec<u8>, DynamoError> {
    let mut encoded_partition = Vec::with_capacity(32);
    encode_key_value(&mut encoded_partition, partition)?;
    let mut key = Vec::with_capacity(13 + encoded_partition.len() + 16);
    key.push(ITEMS);
    key.extend_from_slice(&table_id.to_be_bytes());
    key.extend_from_slice(&dynalith_codec::partition_hash(&encoded_partition).to_be_bytes());
    key.extend_from_slice(&encoded_partition);
    if let Some(sort) = sort {
        encode_key_value(&mut key, sort)?;
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_keys_stay_inside_their_table_range() {
        for table_id in [0, 1, 255, 256, u32::MAX - 1, u32::MAX] {
            let (start, end) = table_items_range(table_id);
            let key = item_key(table_id, &AttributeValue::S("x".into()), None).unwrap();
            assert!(start <= key && key < end, "table {table_id}");
        }
    }
}
