//! TagResource: adds tags to a table (a key given again takes the new
//! value).

use super::tags::{self, TagInput};
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagResourceInput {
    resource_arn: Option<String>,
    tags: Option<Vec<TagInput>>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: TagResourceInput = parse_input(body)?;
    let mut v = Violations::new();
    v.require(&input.tags, "tags");
    v.finish()?;
    let given = input.tags.unwrap_or_default();
    if given.is_empty() {
        return Err(DynamoError::validation(
            "Atleast one Tag needs to be provided as Input.",
        ));
    }
    tags::check_tags(&given)?;
    let _changes = db.catalog().lock_changes();
    let current = tags::table_of_arn(db, input.resource_arn.as_deref(), "TagResource")?;
    let mut table = (*current).clone();
    table.tags = tags::merged(std::mem::take(&mut table.tags), &given)?;
    db.save_table(&table)?;
    db.catalog().publish(table);
    super::respond(Map::new())
}
