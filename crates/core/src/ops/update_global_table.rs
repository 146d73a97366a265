//! UpdateGlobalTable (global tables version 2017.11.29): a replica's
//! creation is refused, anything else finds no global table
//! (`legacy_global_tables`).

use super::legacy_global_tables::{check_name, not_found, version_not_supported};
use crate::validate::Violations;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateGlobalTableInput {
    global_table_name: Option<String>,
    replica_updates: Option<Vec<ReplicaUpdateInput>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicaUpdateInput {
    create: Option<serde_json::Value>,
}

pub fn execute(body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: UpdateGlobalTableInput = parse_input(body)?;
    let mut v = Violations::new();
    check_name(&mut v, input.global_table_name.as_deref());
    v.require(&input.replica_updates, "replicaUpdates");
    v.finish()?;
    let updates = input.replica_updates.unwrap_or_default();
    if updates.is_empty() {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid",
        ));
    }
    // Checked before the table is looked for (recorded).
    if updates.iter().any(|u| u.create.is_some()) {
        return Err(version_not_supported());
    }
    Err(not_found(
        input.global_table_name.as_deref().unwrap_or_default(),
    ))
}
