//! DescribeTable.

use crate::validate::Violations;
use crate::{describe, Database};
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeTableInput {
    table_name: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeTableInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name(input.table_name.as_deref(), "tableName");
    v.finish()?;
    let name = input.table_name.unwrap_or_default();
    let table = db
        .catalog()
        .get(&name)
        .ok_or_else(|| DynamoError::table_not_found(&name))?;
    let mut response = Map::new();
    response.insert(
        "Table".into(),
        describe::table_description(db, &table, "ACTIVE")?,
    );
    super::respond(response)
}
