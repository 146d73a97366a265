//! DescribeTable.

use crate::{describe, Database};
use dynalith_model::DynamoError;
use serde_json::Map;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let name = super::shapes::table_name_of(body, context)?;
    let table = db
        .catalog()
        .get(&name)
        .ok_or_else(|| DynamoError::table_not_found(&name))?;
    crate::global_tables::in_region(&table, &context.region)?;
    // A table an ImportTable is still filling is CREATING, as DynamoDB's
    // is until its import ends.
    let status = if table.importing {
        "CREATING"
    } else {
        "ACTIVE"
    };
    let mut description = describe::table_description(db, &table, status)?;
    if let Some(d) = description.as_object_mut() {
        crate::global_tables::describe(d, &table, &context.region);
    }
    let mut response = Map::new();
    response.insert("Table".into(), description);
    super::respond(response)
}
