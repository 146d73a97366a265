//! UntagResource: removes tags from a table by key (keys it does not have
//! are ignored).

use super::tags;
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagResourceInput {
    resource_arn: Option<String>,
    tag_keys: Option<Vec<String>>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: UntagResourceInput = parse_input(body)?;
    let mut v = Violations::new();
    if v.require(&input.tag_keys, "tagKeys") {
        for (i, key) in input.tag_keys.iter().flatten().enumerate() {
            v.length_between(
                format_args!("'{key}'"),
                key.chars().count(),
                &format!("tagKeys.{}.member", i + 1),
                1,
                128,
            );
        }
    }
    v.finish()?;
    let keys = input.tag_keys.unwrap_or_default();
    if keys.is_empty() {
        return Err(DynamoError::validation(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    let _changes = db.catalog().lock_changes();
    let current = tags::table_of_arn(db, input.resource_arn.as_deref(), "UntagResource")?;
    let mut table = (*current).clone();
    for key in &keys {
        table.tags.remove(key);
    }
    db.save_table(&table)?;
    db.catalog().publish(table);
    super::respond(Map::new())
}
