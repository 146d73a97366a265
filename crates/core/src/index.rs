//! Secondary-index entries: whether an item belongs in an index, under
//! which storage key, and which of its attributes the entry carries. Pure
//! functions; the write path (`write.rs`) and the backfill apply them.

use crate::catalog::{IndexKind, IndexMeta, IndexProjection, KeyAttribute, TableMeta};
use crate::primary_key::KeyFault;
use crate::{keys, stored_item};
use dynalith_model::{AttributeValue, DynamoError, Item};

/// DynamoDB counts this much overhead per local-index entry in item
/// collection sizes and in the entry's write cost.
pub const ENTRY_OVERHEAD_BYTES: usize = 100;

/// An item's entry in one index.
#[derive(Debug, PartialEq)]
pub struct Entry {
    pub key: Vec<u8>,
    /// The stored form of the projected item.
    pub bytes: Vec<u8>,
    /// DynamoDB size of the projected item.
    pub size: usize,
}

impl Entry {
    /// What a local-index entry adds to its item collection.
    pub fn storage_size(&self) -> usize {
        self.size + ENTRY_OVERHEAD_BYTES
    }
}

/// The item's values of the key attributes `attributes`, or None when it
/// lacks one or has one of another type.
fn values_of<'s, 'i>(
    attributes: impl Iterator<Item = &'s KeyAttribute>,
    item: &'i Item,
) -> Option<Vec<&'i AttributeValue>> {
    attributes
        .map(|attribute| {
            item.get(&attribute.name)
                .filter(|value| attribute.scalar_type.matches(value))
        })
        .collect()
}

/// The attributes of `item` that `index` holds.
pub fn project(table: &TableMeta, index: &IndexMeta, item: &Item) -> Item {
    match &index.projection {
        IndexProjection::All => item.clone(),
        _ => item
            .iter()
            .filter(|(name, _)| index.projects(table, name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect(),
    }
}

/// The item's entry in `index`, or None when the item lacks an index key
/// attribute (indexes are sparse). An index key of the wrong type is
/// rejected before any write (`check_item`), so here it can only come from
/// an item written before the index existed, which DynamoDB leaves out of
/// the index as well. `stored` is the item's own stored form
/// (`stored_item::encode`): an ALL projection's entry is that, as it is.
pub fn entry(
    table: &TableMeta,
    index: &IndexMeta,
    item: &Item,
    stored: &[u8],
) -> Result<Option<Entry>, DynamoError> {
    let schema = &index.key_schema;
    let (Some(partition), Some(sort)) = (
        values_of(schema.partition_attributes(), item),
        values_of(schema.sort_attributes(), item),
    ) else {
        return Ok(None);
    };
    // Empty strings and binaries are legal attribute values but not keys.
    if (partition.iter().chain(&sort)).any(|value| crate::primary_key::empty_kind(value).is_some())
    {
        return Ok(None);
    }
    let table_keys = values_of(table.key_schema.attributes(), item)
        .ok_or_else(|| DynamoError::internal("indexed item without its table key"))?;
    let key = keys::index_entry_key(index.id, &partition, &sort, &table_keys)?;
    let (bytes, size) = match index.projection {
        IndexProjection::All => (stored.to_vec(), stored_item::size(stored)?),
        _ => stored_item::encode(&project(table, index, item))?,
    };
    Ok(Some(Entry { key, bytes, size }))
}

/// How a write produced an item, which words DynamoDB's errors about its
/// index keys.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The item was given whole (PutItem, BatchWriteItem, ...).
    Given,
    /// An update expression computed it.
    Updated,
}

/// Rejects an item about to be written whose index key attribute has the
/// wrong type, an empty value or an oversized value, with DynamoDB's
/// messages.
pub fn check_item(table: &TableMeta, item: &Item, origin: Origin) -> Result<(), DynamoError> {
    Ok(check_item_keys(table, item, origin)?)
}

/// `check_item`, telling a type mismatch from other faults.
pub fn check_item_keys(table: &TableMeta, item: &Item, origin: Origin) -> Result<(), KeyFault> {
    crate::vectors::check_item(table, item).map_err(KeyFault::Invalid)?;
    for index in &table.indexes {
        let partition_attributes = index.key_schema.partition_attributes().count();
        for (position, attribute) in index.key_schema.attributes().enumerate() {
            if table.key_schema.is_key_attribute(&attribute.name) {
                continue;
            }
            let Some(value) = item.get(&attribute.name) else {
                continue;
            };
            if !attribute.scalar_type.matches(value) {
                return Err(KeyFault::Mismatch(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    attribute.name,
                    attribute.scalar_type.as_str(),
                    value.value_type(),
                    index.name
                ))));
            }
            if let Some(kind) = crate::primary_key::empty_kind(value) {
                return Err(KeyFault::Invalid(match origin {
                    Origin::Given => crate::primary_key::empty_index_key_error(
                        kind,
                        &index.name,
                        &attribute.name,
                    ),
                    Origin::Updated => DynamoError::validation(format!(
                        "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value."
                    )),
                }));
            }
            let limit = if position < partition_attributes {
                crate::primary_key::MAX_PARTITION_KEY_BYTES
            } else {
                crate::primary_key::MAX_SORT_KEY_BYTES
            };
            if crate::primary_key::key_value_length(value) > limit {
                return Err(KeyFault::Invalid(DynamoError::validation(
                    "One or more parameter values were invalid: Size limit exceeded",
                )));
            }
        }
        if index.key_schema.is_multi_attribute() {
            check_aggregate_sizes(index, item).map_err(KeyFault::Invalid)?;
        }
    }
    Ok(())
}

/// A multi-attribute key's partition values together may take at most the
/// bytes one partition value may, and its sort values those of one sort
/// value: the values the item has count, whether or not it has them all
/// (DynamoDB's rule and message).
fn check_aggregate_sizes(index: &IndexMeta, item: &Item) -> Result<(), DynamoError> {
    let schema = &index.key_schema;
    let kinds = [
        (
            "HASH",
            schema.partition_attributes().collect::<Vec<_>>(),
            crate::primary_key::MAX_PARTITION_KEY_BYTES,
        ),
        (
            "RANGE",
            schema.sort_attributes().collect(),
            crate::primary_key::MAX_SORT_KEY_BYTES,
        ),
    ];
    for (kind, attributes, limit) in kinds {
        let size: usize = (attributes.iter())
            .filter_map(|a| item.get(&a.name))
            .map(crate::primary_key::key_value_length)
            .sum();
        if size > limit {
            let names: Vec<&str> = attributes.iter().map(|a| a.name.as_str()).collect();
            return Err(DynamoError::validation(format!(
                "Aggregate size for {kind} key attributes {} of index {} has exceeded limit {limit} bytes, with actual size {size} bytes",
                names.join(", "),
                index.name
            )));
        }
    }
    Ok(())
}

/// The write units DynamoDB charges an index for one item write: one
/// write of the new entry when it appears, of the old one when it goes,
/// both when the index key changes, and one of the larger when only
/// projected attributes change; nothing when the entry is untouched. A
/// local index's entries are charged with their 100-byte overhead.
pub fn write_units(kind: IndexKind, before: Option<&Entry>, after: Option<&Entry>) -> f64 {
    let units = |e: &Entry| {
        let size = match kind {
            IndexKind::Local => e.storage_size(),
            IndexKind::Global => e.size,
        };
        crate::capacity::write_units(size)
    };
    match (before, after) {
        (None, None) => 0.0,
        (Some(b), None) => units(b),
        (None, Some(a)) => units(a),
        (Some(b), Some(a)) if b.key != a.key => units(b) + units(a),
        (Some(b), Some(a)) if b.bytes == a.bytes => 0.0,
        (Some(b), Some(a)) => units(b).max(units(a)),
    }
}

/// What one index was charged for a write, for ConsumedCapacity.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexUnits {
    pub name: String,
    pub kind: IndexKind,
    pub units: f64,
    /// The size of the entry the write left in the index (with a local
    /// index's overhead), 0 when it removed the entry or is a read: what a
    /// bulk operation reports as the index's BulkPutBytes.
    pub written_bytes: usize,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::{
        BillingMode, IndexStatus, KeyAttribute, KeySchema, ScalarType, Throughput,
    };

    fn attr(name: &str, t: ScalarType) -> KeyAttribute {
        KeyAttribute {
            name: name.into(),
            scalar_type: t,
        }
    }

    /// A table with one global index `g` (gpk, gsk) of the given projection.
    pub(crate) fn table(projection: IndexProjection) -> TableMeta {
        let key_schema =
            KeySchema::single(attr("pk", ScalarType::S), Some(attr("sk", ScalarType::S)));
        TableMeta {
            id: 1,
            name: "t".into(),
            uuid: "u".into(),
            region: "us-east-1".into(),
            key_schema,
            attribute_definitions: vec![],
            billing_mode: BillingMode::PayPerRequest,
            throughput: Throughput::default(),
            on_demand: Default::default(),
            warm_throughput: None,
            created_at: 0.0,
            updating_since: None,
            pay_per_request_at: Some(0.0),
            deletion_protection: false,
            stream: None,
            table_class: "STANDARD".into(),
            table_class_given: false,
            table_class_changed_at: None,
            time_to_live_attribute: None,
            time_to_live_change: None,
            deleting_indexes: Vec::new(),
            deleting_replicas: Vec::new(),
            tags: Default::default(),
            encryption: None,
            resource_policies: Default::default(),
            contributor_insights: Default::default(),
            kinesis_destinations: Vec::new(),
            indexes: vec![IndexMeta {
                id: 2,
                name: "g".into(),
                kind: IndexKind::Global,
                key_schema: KeySchema::single(
                    attr("gpk", ScalarType::S),
                    Some(attr("gsk", ScalarType::N)),
                ),
                projection,
                throughput: Throughput::default(),
                on_demand: Default::default(),
                warm_throughput: None,
                status: IndexStatus::Active,
                counter_slot: Some(1),
                auto_scaling: Default::default(),
            }],
            vector_indexes: Vec::new(),
            replicas: Vec::new(),
            own_region_overrides: None,
            region_bound: false,
            strong_consistency: None,
            counter_slots_taken: 1,
            restore: None,
            point_in_time_recovery: None,
            importing: false,
            auto_scaling: Default::default(),
        }
    }

    fn item(json: &str) -> Item {
        serde_json::from_str(json).unwrap()
    }

    /// `entry` of an item, given its stored form as the write path has it.
    fn entry_of(t: &TableMeta, index: &IndexMeta, item: &Item) -> Option<Entry> {
        let (stored, _) = stored_item::encode(item).unwrap();
        entry(t, index, item, &stored).unwrap()
    }

    #[test]
    fn entries_are_sparse_and_projected() {
        let t = table(IndexProjection::Include(vec!["a".into()]));
        let index = &t.indexes[0];
        let without = item(r#"{"pk":{"S":"p"},"sk":{"S":"s"},"gpk":{"S":"g"}}"#);
        assert_eq!(entry_of(&t, index, &without), None);
        let wrong_type = item(r#"{"pk":{"S":"p"},"sk":{"S":"s"},"gpk":{"S":"g"},"gsk":{"S":"x"}}"#);
        assert_eq!(entry_of(&t, index, &wrong_type), None);
        assert!(check_item(&t, &wrong_type, Origin::Given).is_err());
        let full = item(
            r#"{"pk":{"S":"p"},"sk":{"S":"s"},"gpk":{"S":"g"},"gsk":{"N":"1"},"a":{"S":"x"},"b":{"S":"y"}}"#,
        );
        let e = entry_of(&t, index, &full).unwrap();
        let projected = stored_item::decode(&e.bytes).unwrap();
        let mut names: Vec<&str> = projected.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(names, ["a", "gpk", "gsk", "pk", "sk"]);
    }

    #[test]
    fn an_all_projection_entry_is_the_item_as_stored() {
        let t = table(IndexProjection::All);
        let index = &t.indexes[0];
        let full = item(
            r#"{"pk":{"S":"p"},"sk":{"S":"s"},"gpk":{"S":"g"},"gsk":{"N":"1"},"a":{"L":[{"N":"-0.50"}]}}"#,
        );
        let (stored, size) = stored_item::encode(&full).unwrap();
        let e = entry(&t, index, &full, &stored).unwrap().unwrap();
        assert_eq!((e.bytes, e.size), (stored, size));
        let without = item(r#"{"pk":{"S":"p"},"sk":{"S":"s"},"gpk":{"S":"g"}}"#);
        assert_eq!(entry_of(&t, index, &without), None);
    }

    #[test]
    fn charges_follow_the_entry_change() {
        let t = table(IndexProjection::KeysOnly);
        let index = &t.indexes[0];
        let a = entry_of(
            &t,
            index,
            &item(r#"{"pk":{"S":"p"},"sk":{"S":"s"},"gpk":{"S":"g"},"gsk":{"N":"1"}}"#),
        );
        let b = entry_of(
            &t,
            index,
            &item(r#"{"pk":{"S":"p"},"sk":{"S":"s"},"gpk":{"S":"h"},"gsk":{"N":"1"}}"#),
        );
        let g = IndexKind::Global;
        assert_eq!(write_units(g, None, None), 0.0);
        assert_eq!(write_units(g, None, a.as_ref()), 1.0);
        assert_eq!(write_units(g, a.as_ref(), a.as_ref()), 0.0);
        assert_eq!(write_units(g, a.as_ref(), b.as_ref()), 2.0);
        assert_eq!(write_units(g, a.as_ref(), None), 1.0);
    }
}
