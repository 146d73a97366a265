//! UpdateTable's VectorIndexUpdates: one vector index added or removed
//! per request (`vectors`). A new index is ACTIVE at once: searches are
//! exact reads of the table, so there is nothing to backfill.

use super::index_updates::{merged_definitions, prune_definitions};
use super::UpdateTableInput;
use crate::catalog::TableMeta;
use crate::validate::Violations;
use crate::vectors::VectorIndexInput;
use dynalith_model::{DynamoError, ErrorKind};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VectorIndexUpdateInput {
    create: Option<VectorIndexInput>,
    delete: Option<super::IndexNameInput>,
}

pub(super) fn check_members(v: &mut Violations, updates: &[VectorIndexUpdateInput]) {
    for (i, update) in updates.iter().enumerate() {
        let member = format!("vectorIndexUpdates.{}.member", i + 1);
        if let Some(create) = &update.create {
            crate::vectors::check_members(v, create, &format!("{member}.create"));
        }
        if let Some(delete) = &update.delete {
            v.name(
                delete.index_name.as_deref(),
                &format!("{member}.delete.indexName"),
            );
        }
    }
}

/// Applies the request's one vector index change to `table`.
pub(super) fn apply(
    table: &mut TableMeta,
    input: &UpdateTableInput,
    updates: &[VectorIndexUpdateInput],
) -> Result<(), DynamoError> {
    let [update] = updates else {
        return Err(DynamoError::invalid_parameter(
            "Only one vector index can be added or removed per UpdateTable operation",
        ));
    };
    match (&update.create, &update.delete) {
        (Some(create), None) => {
            let definitions = match input.attribute_definitions.as_deref() {
                Some(requested) => merged_definitions(table, requested)?,
                None => table.attribute_definitions.clone(),
            };
            let names: Vec<&str> = table.indexes.iter().map(|i| i.name.as_str()).collect();
            let added = crate::vectors::definitions(
                std::slice::from_ref(create),
                &table.vector_indexes,
                &definitions,
                &names,
                table.billing_mode,
            )?;
            table.vector_indexes.extend(added);
            // Keep the definitions the search schemas use.
            for definition in definitions {
                let kept = table
                    .attribute_definitions
                    .iter()
                    .any(|d| d.name == definition.name);
                if !kept && table.vector_indexes_use(&definition.name) {
                    table.attribute_definitions.push(definition);
                }
            }
            Ok(())
        }
        (None, Some(delete)) => {
            let name = delete.index_name.as_deref().unwrap_or_default();
            let Some(position) = table.vector_indexes.iter().position(|i| i.name == name) else {
                return Err(DynamoError::new(
                    ErrorKind::ResourceNotFound,
                    format!(
                        "Requested resource not found: Index {name} for table {}",
                        table.name
                    ),
                ));
            };
            table.vector_indexes.remove(position);
            prune_definitions(table);
            Ok(())
        }
        _ => Err(DynamoError::invalid_parameter(
            "One of Create or Delete must be specified in a VectorIndexUpdate",
        )),
    }
}

/// Whether a vector index is named `name` (the table's index names are
/// one namespace).
pub(super) fn names_vector_index(table: &TableMeta, name: &str) -> bool {
    table.vector_indexes.iter().any(|i| i.name == name)
}
