//! ListTagsOfResource: a table's tags, ordered by key. A table has at most
//! 50, so one page holds them all and NextToken is never returned.

use super::tags;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTagsOfResourceInput {
    resource_arn: Option<String>,
    #[allow(dead_code)]
    next_token: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: ListTagsOfResourceInput = parse_input(body)?;
    let table = tags::table_of_arn(db, input.resource_arn.as_deref(), "ListTagsOfResource")?;
    let listed: Vec<Value> = table
        .tags
        .iter()
        .map(|(key, value)| json!({"Key": key, "Value": value}))
        .collect();
    let mut response = Map::new();
    response.insert("Tags".into(), listed.into());
    super::respond(response)
}
