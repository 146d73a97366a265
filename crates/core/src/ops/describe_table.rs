//! DescribeTable.

use crate::table_status::TableStatus;
use crate::{describe, Database};
use dynalith_model::DynamoError;
use serde_json::Map;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let name = super::shapes::table_name_of(body, context)?;
    let mut response = Map::new();
    let Some(table) = db.catalog().get(&name) else {
        let deleting = (db.deleting_table(&name, Some(&context.region))?)
            .ok_or_else(|| DynamoError::table_not_found(&name))?;
        response.insert("Table".into(), deleting.described);
        return super::respond(response);
    };
    crate::global_tables::in_region(&table, &context.region)?;
    let status = (db.catalog().transitions()).status_in(&table, &context.region);
    let mut description = describe::table_description(db, &table, status.as_str())?;
    if let Some(d) = description.as_object_mut() {
        if status == TableStatus::Creating {
            describe::indexes_created_with_the_table(d);
        }
        let deleting = db.catalog().transitions().deleting_indexes(&table);
        describe::append_global_indexes(d, deleting.cloned());
        crate::global_tables::describe(d, &table, &context.region, db.catalog().transitions());
    }
    response.insert("Table".into(), description);
    super::respond(response)
}
