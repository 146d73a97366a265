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

/// Empty strings and binaries are legal in general but not in keys: the
/// kind of value an empty one is, as DynamoDB's messages name it.
pub(crate) fn empty_kind(value: &AttributeValue) -> Option<&'static str> {
    match value {
        AttributeValue::S(s) if s.is_empty() => Some("string"),
        AttributeValue::B(b) if b.is_empty() => Some("binary"),
        _ => None,
    }
}

/// DynamoDB's refusal of an empty value (`kind`) for the key attribute
/// `name` of a table.
pub(crate) fn empty_key_error(kind: &str, name: &str) -> DynamoError {
    DynamoError::validation(format!(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {name}"
    ))
}

/// The same refusal for the key attribute `name` of the index `index`.
pub(crate) fn empty_index_key_error(kind: &str, index: &str, name: &str) -> DynamoError {
    DynamoError::validation(format!(
        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: {index}, IndexKey: {name}"
    ))
}

fn check_not_empty(attribute: &KeyAttribute, value: &AttributeValue) -> Result<(), DynamoError> {
    match empty_kind(value) {
        Some(kind) => Err(empty_key_error(kind, &attribute.name)),
        None => Ok(()),
    }
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

/// Why a key (or an index key) was refused. DynamoDB checks values up
/// front but types as it runs the request, so a transaction reports a
/// type mismatch as its cancellation reason and refuses the whole request
/// only for the rest (recorded against DynamoDB in four Regions by the
/// paritysuite conformance suite, 2026-06).
pub enum KeyFault {
    /// An attribute of the wrong type, or a `Key` that does not name
    /// exactly the key attributes.
    Mismatch(DynamoError),
    /// Anything else: a missing attribute, an empty or oversized value.
    Invalid(DynamoError),
}

impl From<KeyFault> for DynamoError {
    fn from(fault: KeyFault) -> DynamoError {
        match fault {
            KeyFault::Mismatch(error) | KeyFault::Invalid(error) => error,
        }
    }
}

/// The storage key of an item about to be written (PutItem and friends):
/// every key attribute must be present with its declared type.
pub fn key_of_item(table: &TableMeta, item: &Item) -> Result<Vec<u8>, DynamoError> {
    Ok(item_key(table, item)?)
}

/// `key_of_item`, telling a type mismatch from other faults.
pub fn item_key(table: &TableMeta, item: &Item) -> Result<Vec<u8>, KeyFault> {
    let mut values = [None, None];
    for (slot, attribute) in values.iter_mut().zip(table.key_schema.attributes()) {
        let value = item.get(&attribute.name).ok_or_else(|| {
            KeyFault::Invalid(DynamoError::invalid_parameter(format!(
                "Missing the key {} in the item",
                attribute.name
            )))
        })?;
        if !attribute.scalar_type.matches(value) {
            return Err(KeyFault::Mismatch(DynamoError::invalid_parameter(format!(
                "Type mismatch for key {} expected: {} actual: {}",
                attribute.name,
                attribute.scalar_type.as_str(),
                value.value_type()
            ))));
        }
        check_not_empty(attribute, value).map_err(KeyFault::Invalid)?;
        *slot = Some(value);
    }
    let partition = values[0]
        .ok_or_else(|| KeyFault::Invalid(DynamoError::internal("table without partition key")))?;
    check_sizes(partition, values[1]).map_err(KeyFault::Invalid)?;
    keys::item_key(table.id, partition, values[1]).map_err(KeyFault::Invalid)
}

/// The storage key named by a `Key` parameter (GetItem, DeleteItem, ...):
/// exactly the key attributes, with their declared types.
pub fn key_of_key_param(table: &TableMeta, key: &Item) -> Result<Vec<u8>, DynamoError> {
    Ok(param_key(table, key)?)
}

/// `key_of_key_param`, telling a mismatch from other faults.
pub fn param_key(table: &TableMeta, key: &Item) -> Result<Vec<u8>, KeyFault> {
    let mismatch = || {
        KeyFault::Mismatch(DynamoError::validation(
            "The provided key element does not match the schema",
        ))
    };
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
        check_not_empty(attribute, value).map_err(KeyFault::Invalid)?;
        *slot = Some(value);
    }
    let partition = values[0].ok_or_else(mismatch)?;
    check_sizes(partition, values[1]).map_err(KeyFault::Invalid)?;
    keys::item_key(table.id, partition, values[1]).map_err(KeyFault::Invalid)
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
