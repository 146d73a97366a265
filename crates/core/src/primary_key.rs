//! Extracting and validating an item's primary key, with DynamoDB's rules
//! and messages, and turning it into the item's storage key.

use crate::catalog::{KeyAttribute, TableMeta};
use crate::keys;
use dynalith_model::{AttributeValue, DynamoError, Item};

/// DynamoDB's limits on key values, in bytes.
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// The length DynamoDB's key-size limits measure.
pub fn key_value_length(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::N(n) => n.storage_size(),
        _ => 0,
    }
}

/// Empty strings and binaries are legal in general but not in keys.
fn check_not_empty(attribute: &KeyAttribute, value: &AttributeValue) -> Result<(), DynamoError> {
    let kind = match value {
        AttributeValue::S(s) if s.is_empty() => "string",
        AttributeValue::B(b) if b.is_empty() => "binary",
        _ => return Ok(()),
    };
    Err(DynamoError::validation(format!(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {}",
        attribute.name
    )))
}

fn check_sizes(
    partition: &AttributeValue,
    sort: Option<&AttributeValue>,
) -> Result<(), DynamoError> {
    if key_value_length(partition) > MAX_PARTITION_KEY_BYTES {
        return Err(DynamoError::invalid_parameter(format!(
            "Size of hashkey has exceeded the maximum size limit of{MAX_PARTITION_KEY_BYTES} bytes"
        )));
    }
    if sort.is_some_and(|s| key_value_length(s) > MAX_SORT_KEY_BYTES) {
        return Err(DynamoError::invalid_parameter(format!(
            "Aggregated size of all range keys has exceeded the size limit of {MAX_SORT_KEY_BYTES} bytes"
        )));
    }
    Ok(())
}

/// The storage key of an item about to be written (PutItem and friends):
/// every key attribute must be present with its declared type.
pub fn key_of_item(table: &TableMeta, item: &Item) -> Result<Vec<u8>, DynamoError> {
    let mut values = [None, None];
    for (slot, attribute) in values.iter_mut().zip(table.key_schema.attributes()) {
        let value = item.get(&attribute.name).ok_or_else(|| {
            DynamoError::invalid_parameter(format!(
                "Missing the key {} in the item",
                attribute.name
            ))
        })?;
        if !attribute.scalar_type.matches(value) {
            return Err(DynamoError::invalid_parameter(format!(
                "Type mismatch for key {} expected: {} actual: {}",
                attribute.name,
                attribute.scalar_type.as_str(),
                value.value_type()
            )));
        }
        check_not_empty(attribute, value)?;
        *slot = Some(value);
    }
    let partition =
        values[0].ok_or_else(|| DynamoError::internal("table without partition key"))?;
    check_sizes(partition, values[1])?;
    keys::item_key(table.id, partition, values[1])
}

/// The storage key named by a `Key` parameter (GetItem, DeleteItem, ...):
/// exactly the key attributes, with their declared types.
pub fn key_of_key_param(table: &TableMeta, key: &Item) -> Result<Vec<u8>, DynamoError> {
    let mismatch = || DynamoError::validation("The provided key element does not match the schema");
    let expected = table.key_schema.attributes().count();
    if key.len() != expected {
        return Err(mismatch());
    }
    let mut values = [None, None];
    for (slot, attribute) in values.iter_mut().zip(table.key_schema.attributes()) {
        let value = key.get(&attribute.name).ok_or_else(mismatch)?;
        if !attribute.scalar_type.matches(value) {
            return Err(mismatch());
        }
        check_not_empty(attribute, value)?;
        *slot = Some(value);
    }
    let partition = values[0].ok_or_else(mismatch)?;
    check_sizes(partition, values[1])?;
    keys::item_key(table.id, partition, values[1])
}

/// Just the key attributes of an item (for ALL_OLD of a missing item, stream
/// records, LastEvaluatedKey).
pub fn key_attributes(table: &TableMeta, item: &Item) -> Item {
    table
        .key_schema
        .attributes()
        .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
        .collect()
}
