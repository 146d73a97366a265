//! CreateGlobalTable (global tables version 2017.11.29): refused as
//! DynamoDB refuses it now (`legacy_global_tables`); UpdateTable's
//! ReplicaUpdates makes global tables.

use super::legacy_global_tables::{check_name, version_not_supported};
use crate::validate::Violations;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateGlobalTableInput {
    global_table_name: Option<String>,
    replication_group: Option<Vec<serde_json::Value>>,
}

pub fn execute(body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: CreateGlobalTableInput = parse_input(body)?;
    let mut v = Violations::new();
    check_name(&mut v, input.global_table_name.as_deref());
    v.require(&input.replication_group, "replicationGroup");
    v.finish()?;
    Err(version_not_supported())
}
