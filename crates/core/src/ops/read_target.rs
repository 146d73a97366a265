//! What a Query or Scan reads: a table, or one of its secondary indexes
//! (`IndexName`). An index is read like a table whose keys are the index
//! keys followed by the table keys (see `keys.rs`); what differs is which
//! attributes its entries hold and how its starting keys look.

use super::read_common::{projection_top_level_names, Filter, Selection};
use crate::catalog::{
    IndexKind, IndexMeta, IndexProjection, IndexStatus, KeyAttribute, KeySchema, TableMeta,
};
use crate::keys;
use crate::primary_key::key_of_key_param;
use crate::read_page::{decode_key_attributes, FetchFromTable};
use dynalith_expr::Bindings;
use dynalith_model::{DynamoError, Item};
use std::sync::Arc;

pub struct ReadTarget {
    pub table: Arc<TableMeta>,
    pub index: Option<IndexMeta>,
}

impl ReadTarget {
    /// The table, or its index `index_name`, with DynamoDB's checks on
    /// reading it.
    pub fn resolve(
        table: Arc<TableMeta>,
        index_name: Option<&str>,
        consistent_read: bool,
    ) -> Result<ReadTarget, DynamoError> {
        let Some(name) = index_name else {
            return Ok(ReadTarget { table, index: None });
        };
        let index = table.index(name).cloned().ok_or_else(|| {
            DynamoError::validation(format!(
                "The table does not have the specified index: {name}"
            ))
        })?;
        if index.kind == IndexKind::Global && consistent_read {
            return Err(DynamoError::validation(
                "Consistent reads are not supported on global secondary indexes",
            ));
        }
        if index.status == IndexStatus::Creating {
            return Err(DynamoError::validation(format!(
                "Cannot read from backfilling global secondary index: {name}"
            )));
        }
        Ok(ReadTarget {
            table,
            index: Some(index),
        })
    }

    /// The id under which the target's keys are stored.
    pub fn storage_id(&self) -> u32 {
        self.index.as_ref().map_or(self.table.id, |i| i.id)
    }

    /// The key schema that key conditions address.
    pub fn key_schema(&self) -> &KeySchema {
        self.index
            .as_ref()
            .map_or(&self.table.key_schema, |i| &i.key_schema)
    }

    /// The key attributes in storage-key order: the index's, then the
    /// table's. A name may appear twice (an index keyed on a table key).
    fn key_attributes(&self) -> Vec<&KeyAttribute> {
        let table_keys = self.table.key_schema.attributes();
        match &self.index {
            Some(index) => index.key_schema.attributes().chain(table_keys).collect(),
            None => table_keys.collect(),
        }
    }

    /// Whether an ExclusiveStartKey names exactly the target's key
    /// attributes (for an index: its keys and the table's).
    pub fn start_key_has_key_names(&self, start: &Item) -> bool {
        let attributes = self.key_attributes();
        let mut names: Vec<&str> = attributes.iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        start.len() == names.len() && names.iter().all(|n| start.contains_key(*n))
    }

    /// The storage key of an ExclusiveStartKey whose names were checked;
    /// type mismatches get "The provided key element does not match the
    /// schema", other key errors the starting-key prefix.
    pub fn start_storage_key(&self, start: &Item) -> Result<Vec<u8>, DynamoError> {
        let table_key =
            key_of_key_param(&self.table, &table_key_of(&self.table, start)).map_err(|e| {
                if e.message == "The provided key element does not match the schema" {
                    e
                } else {
                    DynamoError::validation(format!(
                        "The provided starting key is invalid: {}",
                        e.message
                    ))
                }
            })?;
        let Some(index) = &self.index else {
            return Ok(table_key);
        };
        let mismatch =
            || DynamoError::validation("The provided key element does not match the schema");
        let value = |attribute: &KeyAttribute| {
            start
                .get(&attribute.name)
                .filter(|v| attribute.scalar_type.matches(v))
                .ok_or_else(mismatch)
        };
        let values = |attributes: &mut dyn Iterator<Item = &KeyAttribute>| {
            attributes.map(value).collect::<Result<Vec<_>, _>>()
        };
        keys::index_entry_key(
            index.id,
            &values(&mut index.key_schema.partition_attributes())?,
            &values(&mut index.key_schema.sort_attributes())?,
            &values(&mut self.table.key_schema.attributes())?,
        )
    }

    /// LastEvaluatedKey from the storage key of the last item read.
    pub fn last_evaluated_key(&self, storage_key: &[u8]) -> Result<Item, DynamoError> {
        let (item, _) = decode_key_attributes(self.key_attributes().into_iter(), storage_key)?;
        Ok(item)
    }

    /// Whether a page must read each item from the table rather than the
    /// index: a local index whose entries lack attributes the request
    /// returns. DynamoDB fetches those from the table (and charges for
    /// it); a global index cannot, so asking one for them is an error, and
    /// so is filtering on them, on either kind of index.
    pub fn fetch_from_table(
        &self,
        select_all: bool,
        selection: &Selection,
        filter: Option<&Filter>,
        bindings: Bindings<'_>,
    ) -> Result<Option<FetchFromTable>, DynamoError> {
        let Some(index) = &self.index else {
            return Ok(None);
        };
        if index.projection == IndexProjection::All {
            return Ok(None);
        }
        // DynamoDB lists them in a Java HashSet's order.
        let outside = |names: Vec<&str>| -> Vec<String> {
            let mut missing: Vec<&str> = Vec::new();
            for name in names {
                if !index.projects(&self.table, name) && !missing.contains(&name) {
                    missing.push(name);
                }
            }
            dynalith_expr::java_hash_set_order(missing)
                .into_iter()
                .map(String::from)
                .collect()
        };
        if let Some(filter) = filter {
            let missing = outside(filter.top_level_names(bindings));
            if !missing.is_empty() {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid: Secondary index {} does not project one or more filter attributes: [{}]",
                    index.name,
                    missing.join(", ")
                )));
            }
        }
        let returned = match selection {
            Selection::Expression(projection) => projection_top_level_names(projection, bindings),
            Selection::Attributes(names) => names.iter().map(String::as_str).collect(),
            Selection::All | Selection::Count => Vec::new(),
        };
        let missing = outside(returned);
        if !select_all && missing.is_empty() {
            return Ok(None);
        }
        match index.kind {
            IndexKind::Local => Ok(Some(FetchFromTable {
                table: Arc::clone(&self.table),
                index: index.clone(),
            })),
            IndexKind::Global if select_all => Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                index.name
            ))),
            IndexKind::Global => Err(DynamoError::validation(format!(
                "One or more parameter values were invalid: Global secondary index {} does not project [{}]",
                index.name,
                missing.join(", ")
            ))),
        }
    }
}

/// The table-key part of an index starting key.
fn table_key_of(table: &TableMeta, start: &Item) -> Item {
    table
        .key_schema
        .attributes()
        .filter_map(|a| start.get(&a.name).map(|v| (a.name.clone(), v.clone())))
        .collect()
}
