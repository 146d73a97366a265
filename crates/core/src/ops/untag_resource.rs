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
    v.require(&input.tag_keys, "tagKeys");
    v.finish()?;
    let keys = input.tag_keys.unwrap_or_default();
    if keys.is_empty() {
        return Err(DynamoError::validation(
            "Atleast one Tag Key needs to be provided as Input.",
        ));
    }
    // DynamoDB checks the keys with its own texts, not Coral's, and
    // refuses more keys than a table may have tags.
    for key in &keys {
        tags::check_tag_key(Some(key))?;
        tags::check_not_reserved(key)?;
    }
    if keys.len() > tags::MAX_TAGS {
        return Err(tags::too_many_tags());
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
