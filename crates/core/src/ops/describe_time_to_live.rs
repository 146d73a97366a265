//! DescribeTimeToLive. A table's Time to Live takes effect at once, so its
//! status is ENABLED or DISABLED, never DynamoDB's passing ENABLING or
//! DISABLING.

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeTimeToLiveInput {
    table_name: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeTimeToLiveInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name(input.table_name.as_deref(), "tableName");
    v.finish()?;
    let name = input.table_name.unwrap_or_default();
    let table = db
        .catalog()
        .get(&name)
        .ok_or_else(|| DynamoError::table_not_found(&name))?;
    let description = match &table.time_to_live_attribute {
        Some(attribute) => json!({"TimeToLiveStatus": "ENABLED", "AttributeName": attribute}),
        None => json!({"TimeToLiveStatus": "DISABLED"}),
    };
    let mut response = Map::new();
    response.insert("TimeToLiveDescription".into(), description);
    super::respond(response)
}
