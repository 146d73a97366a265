//! The storage key layout. Every key starts with a one-byte space tag;
//! table data is further prefixed by the table's numeric id, which is never
//! reused, so a table deleted and re-created under the same name can never
//! see its predecessor's data.
//!
//! ```text
//! catalog entry   01 'T' <table name>                       -> TableMeta JSON
//! next table id   01 'I'                                    -> u32 BE
//! pending drop    01 'D' <table id u32 BE>                  -> empty
//! deleting table  01 'R' <table name>                       -> DeletingTable JSON
//! request token   01 'X' <ClientRequestToken>               -> token record
//! stream entry    01 'S' <stream id u32 BE>                 -> StreamMeta JSON
//! trigger cursor  01 'G' <stream id u32 BE> <trigger target> -> next sequence u64 BE
//! backup entry    01 'B' <backup id u32 BE>                 -> BackupMeta JSON
//! export entry    01 'E' <export id>                        -> ExportMeta JSON
//! import entry    01 'M' <import id>                        -> ImportMeta JSON
//! bulk operation  01 'U' <operation id>                     -> BulkOperationMeta JSON
//! item            02 <table id> <hash(pk) u64 BE> <pk> [<sk>] -> stored item
//! table counters  03 <table id> <shard u8>                  -> [item count, bytes]
//! index entry     02 <index id> <hash(ipk…)> <ipk…> [<isk…>] <pk> [<sk>] -> projected item
//! index counters  03 <index id> <shard u8>                  -> [entry count, bytes]
//! item collection 04 <table id> <pk>                        -> [bytes]
//! stream record   05 <stream id u32 BE> <sequence u64 BE>   -> stream record
//! history record  07 <table id u32 BE> <sequence u64 BE>    -> point-in-time recovery change
//! ```
//! A backup's items are laid out as a table's, under the backup's id (from
//! the table-id sequence): `02 <backup id> <hash(pk)> <pk> [<sk>]`, so a
//! partial copy is dropped like a deleted table's data.
//! Stream ids come from the table-id sequence too; a stream's records are
//! in sequence order, which is commit order (`streams::sequencer`).
//! Index ids come from the table-id sequence, so an index is laid out like
//! a table whose keys are the index keys followed by the table keys (which
//! make each entry unique): Query, Scan, parallel scan and dropping all work
//! on it unchanged.
//! A partition is contiguous and ordered by sort key, so Query is one range
//! read; partitions are ordered by hash, so Scan walks hash order as
//! DynamoDB does and parallel-scan segments are even slices of the hash
//! space.

use dynalith_model::{AttributeValue, DynamoError};

const CATALOG: u8 = 0x01;
const ITEMS: u8 = 0x02;
const COUNTERS: u8 = 0x03;
const COLLECTIONS: u8 = 0x04;
const STREAM_RECORDS: u8 = 0x05;
const HISTORY: u8 = 0x07;

pub fn table_entry(name: &str) -> Vec<u8> {
    let mut key = vec![CATALOG, b'T'];
    key.extend_from_slice(name.as_bytes());
    key
}

pub fn table_entries_range() -> (Vec<u8>, Vec<u8>) {
    (vec![CATALOG, b'T'], vec![CATALOG, b'T' + 1])
}

/// A counter of catalog changes: a server following another on one
/// PostgreSQL schema reloads its catalog when it moves.
pub fn catalog_version() -> Vec<u8> {
    vec![CATALOG, b'V']
}

/// Where the server holding a shared schema can be reached (its URL).
pub fn leader_address() -> Vec<u8> {
    vec![CATALOG, b'L']
}

/// A scaling activity, at its place in the log (`auto_scaling::activities`).
pub fn scaling_activity(place: u64) -> Vec<u8> {
    let mut key = vec![CATALOG, b'A'];
    key.extend_from_slice(&place.to_be_bytes());
    key
}

pub fn scaling_activities_range() -> (Vec<u8>, Vec<u8>) {
    (vec![CATALOG, b'A'], vec![CATALOG, b'A' + 1])
}

pub fn next_table_id() -> Vec<u8> {
    vec![CATALOG, b'I']
}

/// A deleted table still DELETING (`table_status`).
pub fn deleting_table(name: &str) -> Vec<u8> {
    let mut key = vec![CATALOG, b'R'];
    key.extend_from_slice(name.as_bytes());
    key
}

pub fn deleting_tables_range() -> (Vec<u8>, Vec<u8>) {
    (vec![CATALOG, b'R'], vec![CATALOG, b'R' + 1])
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

pub fn request_token(token: &str) -> Vec<u8> {
    let mut key = vec![CATALOG, b'X'];
    key.extend_from_slice(token.as_bytes());
    key
}

pub fn request_tokens_range() -> (Vec<u8>, Vec<u8>) {
    (vec![CATALOG, b'X'], vec![CATALOG, b'X' + 1])
}

pub fn stream_entry(stream_id: u32) -> Vec<u8> {
    let mut key = vec![CATALOG, b'S'];
    key.extend_from_slice(&stream_id.to_be_bytes());
    key
}

pub fn stream_entries_range() -> (Vec<u8>, Vec<u8>) {
    (vec![CATALOG, b'S'], vec![CATALOG, b'S' + 1])
}

pub fn backup_entry(backup_id: u32) -> Vec<u8> {
    let mut key = vec![CATALOG, b'B'];
    key.extend_from_slice(&backup_id.to_be_bytes());
    key
}

pub fn backup_entries_range() -> (Vec<u8>, Vec<u8>) {
    (vec![CATALOG, b'B'], vec![CATALOG, b'B' + 1])
}

/// Export ids start with their time, so exports list oldest first.
pub fn export_entry(export_id: &str) -> Vec<u8> {
    let mut key = vec![CATALOG, b'E'];
    key.extend_from_slice(export_id.as_bytes());
    key
}

pub fn export_entries_range() -> (Vec<u8>, Vec<u8>) {
    (vec![CATALOG, b'E'], vec![CATALOG, b'E' + 1])
}

/// Import ids start with their time, so imports list oldest first.
pub fn import_entry(import_id: &str) -> Vec<u8> {
    let mut key = vec![CATALOG, b'M'];
    key.extend_from_slice(import_id.as_bytes());
    key
}

pub fn import_entries_range() -> (Vec<u8>, Vec<u8>) {
    (vec![CATALOG, b'M'], vec![CATALOG, b'M' + 1])
}

pub fn bulk_operation_entry(operation_id: &str) -> Vec<u8> {
    let mut key = vec![CATALOG, b'U'];
    key.extend_from_slice(operation_id.as_bytes());
    key
}

pub fn bulk_operation_entries_range() -> (Vec<u8>, Vec<u8>) {
    (vec![CATALOG, b'U'], vec![CATALOG, b'U' + 1])
}

/// `item_key` (of any table or backup) moved under `table_id`.
pub fn item_key_in(table_id: u32, item_key: &[u8]) -> Option<Vec<u8>> {
    let rest = item_key.get(5..)?;
    let mut key = Vec::with_capacity(item_key.len());
    key.push(ITEMS);
    key.extend_from_slice(&table_id.to_be_bytes());
    key.extend_from_slice(rest);
    Some(key)
}

/// Where a trigger delivering to `target` resumes in a stream.
pub fn trigger_cursor(stream_id: u32, target: &str) -> Vec<u8> {
    let mut key = vec![CATALOG, b'G'];
    key.extend_from_slice(&stream_id.to_be_bytes());
    key.extend_from_slice(target.as_bytes());
    key
}

/// Every trigger cursor of a stream lies in `[start, end)`.
pub fn trigger_cursors_range(stream_id: u32) -> (Vec<u8>, Vec<u8>) {
    let start = trigger_cursor(stream_id, "");
    let end = prefix_end(&start).unwrap_or_else(|| vec![CATALOG, b'G' + 1]);
    (start, end)
}

pub fn stream_record(stream_id: u32, sequence: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(13);
    key.push(STREAM_RECORDS);
    key.extend_from_slice(&stream_id.to_be_bytes());
    key.extend_from_slice(&sequence.to_be_bytes());
    key
}

/// The sequence number of a stream record's key (or a history record's:
/// both are a tag, a u32 id and the u64 number).
pub fn sequence_of_stream_record(key: &[u8]) -> Option<u64> {
    let raw: [u8; 8] = key.get(5..13)?.try_into().ok()?;
    Some(u64::from_be_bytes(raw))
}

/// A change to a table with point-in-time recovery, in sequence order.
pub fn history_record(table_id: u32, sequence: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(13);
    key.push(HISTORY);
    key.extend_from_slice(&table_id.to_be_bytes());
    key.extend_from_slice(&sequence.to_be_bytes());
    key
}

/// Every history record of a table lies in `[start, end)`.
pub fn history_range(table_id: u32) -> (Vec<u8>, Vec<u8>) {
    let start = [&[HISTORY][..], &table_id.to_be_bytes()].concat();
    let end = prefix_end(&start).unwrap_or_else(|| vec![HISTORY + 1]);
    (start, end)
}

/// Every record of a stream lies in `[start, end)`.
pub fn stream_records_range(stream_id: u32) -> (Vec<u8>, Vec<u8>) {
    let start = [&[STREAM_RECORDS][..], &stream_id.to_be_bytes()].concat();
    let end = prefix_end(&start).unwrap_or_else(|| vec![STREAM_RECORDS + 1]);
    (start, end)
}

/// Counters are split in shards: a pessimistic transaction locks every key
/// it writes, merge operands included, so one counter key per table would
/// serialize all writes to the table — each waiting for the previous one's
/// fsync — and defeat group commit.
pub const COUNTER_SHARDS: u64 = 64;

/// One shard of a table's (or index's) counters.
pub fn table_counter_shard(table_id: u32, shard: u8) -> Vec<u8> {
    let mut key = vec![COUNTERS];
    key.extend_from_slice(&table_id.to_be_bytes());
    key.push(shard);
    key
}

/// The counter shard an item's writes update: from its partition hash, so
/// writes to different items rarely share one.
pub fn counter_shard_of_item_key(item_key: &[u8]) -> u8 {
    (hash_of_item_key(item_key).unwrap_or(0) % COUNTER_SHARDS) as u8
}

/// Every counter key of a table lies in `[start, end)`.
pub fn table_counters_range(table_id: u32) -> (Vec<u8>, Vec<u8>) {
    let start = [&[COUNTERS][..], &table_id.to_be_bytes()].concat();
    let end = prefix_end(&start).unwrap_or_else(|| vec![COUNTERS + 1]);
    (start, end)
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
    let mut key = partition_prefix_of(table_id, &[partition])?;
    if let Some(sort) = sort {
        encode_key_value(&mut key, sort)?;
    }
    Ok(key)
}

/// `02 | id | hash | enc(pk₁) … enc(pkₙ)`: the prefix of every key of one
/// partition whose key has the partition values `partition` (one value
/// but for a global index with a multi-attribute partition key, whose
/// values are hashed and ordered together as one). Encodings are
/// prefix-free, so no other partition's key starts with it.
pub fn partition_prefix_of(
    table_id: u32,
    partition: &[&AttributeValue],
) -> Result<Vec<u8>, DynamoError> {
    let mut encoded_partition = Vec::with_capacity(32);
    for value in partition {
        encode_key_value(&mut encoded_partition, value)?;
    }
    let mut key = Vec::with_capacity(ITEM_KEY_HASH_END + encoded_partition.len() + 16);
    key.push(ITEMS);
    key.extend_from_slice(&table_id.to_be_bytes());
    key.extend_from_slice(&dynalith_codec::partition_hash(&encoded_partition).to_be_bytes());
    key.extend_from_slice(&encoded_partition);
    Ok(key)
}

/// The storage key of an item's entry in an index: the index's partition
/// and sort values, then the table's key values, so that entries sharing
/// index keys stay apart. Encodings are self-delimiting, so several sort
/// values in a row order as the tuple of them.
pub fn index_entry_key(
    index_id: u32,
    index_partition: &[&AttributeValue],
    index_sort: &[&AttributeValue],
    table_keys: &[&AttributeValue],
) -> Result<Vec<u8>, DynamoError> {
    let mut key = partition_prefix_of(index_id, index_partition)?;
    for value in index_sort.iter().chain(table_keys) {
        encode_key_value(&mut key, value)?;
    }
    Ok(key)
}

/// The size counter of the item collection of one partition-key value (on
/// tables with local indexes).
pub fn item_collection(table_id: u32, partition: &AttributeValue) -> Result<Vec<u8>, DynamoError> {
    let mut key = vec![COLLECTIONS];
    key.extend_from_slice(&table_id.to_be_bytes());
    encode_key_value(&mut key, partition)?;
    Ok(key)
}

/// Every item-collection counter of a table lies in `[start, end)`.
pub fn item_collections_range(table_id: u32) -> (Vec<u8>, Vec<u8>) {
    let start = [&[COLLECTIONS][..], &table_id.to_be_bytes()].concat();
    let end = prefix_end(&start).unwrap_or_else(|| vec![COLLECTIONS + 1]);
    (start, end)
}

/// Length of `02 | table id | hash(pk)`, the part of an item key before
/// its encoded key values.
const ITEM_KEY_HASH_END: usize = 13;

/// Every key of one partition (a table's items, an index's entries)
/// starts with the same `PARTITION_PREFIX_LEN` bytes, and a Query reads
/// within one such prefix: the storage engine keeps per-prefix bloom
/// filters so that a Query skips the files that cannot hold its partition.
pub const PARTITION_PREFIX_LEN: usize = ITEM_KEY_HASH_END;

/// The first key of the slice of a table's hash space that starts at
/// `hash` (parallel-scan segments).
pub fn hash_range_start(table_id: u32, hash: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(ITEM_KEY_HASH_END);
    key.push(ITEMS);
    key.extend_from_slice(&table_id.to_be_bytes());
    key.extend_from_slice(&hash.to_be_bytes());
    key
}

/// The partition hash stored in an item key.
pub fn hash_of_item_key(key: &[u8]) -> Option<u64> {
    let raw: [u8; 8] = key.get(5..ITEM_KEY_HASH_END)?.try_into().ok()?;
    Some(u64::from_be_bytes(raw))
}

/// The encoded key values after the table id and hash of an item key.
pub fn encoded_key_values(key: &[u8]) -> Option<&[u8]> {
    key.get(ITEM_KEY_HASH_END..)
}

/// The smallest key greater than `key`: in byte order nothing sorts
/// between `key` and `key ++ [0x00]`, so a forward read resumes exactly
/// after an ExclusiveStartKey with this as its inclusive start.
pub fn key_after(key: &[u8]) -> Vec<u8> {
    let mut next = Vec::with_capacity(key.len() + 1);
    next.extend_from_slice(key);
    next.push(0);
    next
}

/// The smallest key greater than every key that starts with `prefix`
/// (exclusive end of a prefix range); None when no such key exists
/// (the prefix is empty or all 0xFF).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|&b| b != 0xFF)?;
    let mut end = prefix[..=last].to_vec();
    end[last] += 1;
    Some(end)
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

    #[test]
    fn prefix_end_bounds_every_extension() {
        assert_eq!(prefix_end(&[1, 2, 3]), Some(vec![1, 2, 4]));
        assert_eq!(prefix_end(&[1, 0xFF, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF]), None);
        let prefix = [7u8, 0xFF];
        let end = prefix_end(&prefix).unwrap();
        for tail in [&[][..], &[0], &[0xFF, 0xFF, 0xFF]] {
            let key = [&prefix[..], tail].concat();
            assert!(prefix[..] <= key[..] && key < end);
        }
    }

    #[test]
    fn key_after_is_the_immediate_successor() {
        let key = item_key(3, &AttributeValue::S("a".into()), None).unwrap();
        let next = key_after(&key);
        assert!(key < next);
        // Every longer key with `key` as prefix sorts at or after `next`.
        assert!(next <= [&key[..], &[0, 0]].concat());
        assert_eq!(hash_of_item_key(&key), hash_of_item_key(&next));
    }
}
