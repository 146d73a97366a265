//! What a write costs on a table with vector indexes, as DynamoDB meters
//! it (recorded in eu-west-2 and us-east-1, 2026-08 to 2026-10, by the
//! paritysuite conformance suite's `vectorSearch/consumedCapacity` tests):
//!
//! * a write bills the item with each attribute a vector index reads
//!   counted as its name and four bytes per dimension, whatever numbers the
//!   vector holds (1 to 1,024 dimensions, numbers from 1e-30 to 38 digits),
//!   and TableSizeBytes follows that figure; a read, and the 400 KB limit,
//!   size the vector as the list of numbers it is;
//! * each vector index whose stored view the write changes (the entry of
//!   the item's projected attributes, present only while the item has the
//!   vector) reports VectorWriteRequestBytes: that entry's size, the vector
//!   counted as above, at least 1,024. An overwrite that leaves the entry
//!   as it was reports nothing: replication is delta-based.
//!
//! When a write removes the entry, the entry removed is what is measured
//! (DynamoDB's figure for that was not recorded).

use super::VectorIndexMeta;
use crate::catalog::TableMeta;
use dynalith_model::size::value_size;
use dynalith_model::{AttributeValue, Item};

/// What a vector costs per dimension.
const BYTES_PER_DIMENSION: usize = 4;

/// The least VectorWriteRequestBytes an index reports.
const MIN_WRITE_BYTES: usize = 1024;

/// The size a write bills `item` at, `size` being its stored size.
pub fn billed_size(table: &TableMeta, item: Option<&Item>, size: usize) -> usize {
    let Some(item) = item else {
        return size;
    };
    let mut billed = size;
    for (i, index) in table.vector_indexes.iter().enumerate() {
        // Two indexes may read one attribute: it is billed once.
        let attribute = &index.vector_attribute;
        if table.vector_indexes[..i]
            .iter()
            .any(|earlier| &earlier.vector_attribute == attribute)
        {
            continue;
        }
        if let Some(vector) = item.get(attribute) {
            billed = billed.saturating_sub(value_size(vector)) + vector_bytes(index);
        }
    }
    billed
}

/// VectorWriteRequestBytes of each vector index whose stored view the
/// write from `old` to `new` changes, in the table's index order.
pub fn write_bytes(
    table: &TableMeta,
    old: Option<&Item>,
    new: Option<&Item>,
) -> Vec<(String, usize)> {
    table
        .vector_indexes
        .iter()
        .filter_map(|index| {
            let before = entry(table, index, old);
            let after = entry(table, index, new);
            if before == after {
                return None;
            }
            let changed = after.or(before)?;
            let size = changed
                .iter()
                .map(|(name, value)| {
                    name.len()
                        + if **name == index.vector_attribute {
                            vector_bytes(index)
                        } else {
                            value_size(value)
                        }
                })
                .sum::<usize>();
            Some((index.name.clone(), size.max(MIN_WRITE_BYTES)))
        })
        .collect()
}

fn vector_bytes(index: &VectorIndexMeta) -> usize {
    BYTES_PER_DIMENSION * index.dimensions
}

/// The attributes `index` holds of `item`: none when the item has no
/// vector, so is not in the index.
fn entry<'a>(
    table: &TableMeta,
    index: &VectorIndexMeta,
    item: Option<&'a Item>,
) -> Option<Vec<(&'a String, &'a AttributeValue)>> {
    let item = item?;
    item.get(&index.vector_attribute)?;
    Some(
        item.iter()
            .filter(|(name, _)| index.projects(table, name))
            .collect(),
    )
}
