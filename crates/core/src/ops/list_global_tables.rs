//! ListGlobalTables (global tables version 2017.11.29): none exist, so the
//! list is empty, as DynamoDB answers it now (`legacy_global_tables`); the
//! global tables of version 2019.11.21 are not listed here on DynamoDB
//! either.

use crate::validate::Violations;
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListGlobalTablesInput {
    exclusive_start_global_table_name: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    limit: Option<i64>,
}

pub fn execute(body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: ListGlobalTablesInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name_with_min(
        input.exclusive_start_global_table_name.as_deref(),
        "exclusiveStartGlobalTableName",
        3,
        false,
    );
    v.at_least(input.limit, "limit", 1);
    v.finish()?;
    let mut response = Map::new();
    response.insert("GlobalTables".into(), Value::Array(Vec::new()));
    super::respond(response)
}
