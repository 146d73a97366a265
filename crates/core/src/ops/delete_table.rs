//! DeleteTable. The catalog entry goes at once; the table's items are
//! removed in the background (their keys carry the dropped table's id, which
//! is never reused, so nothing can see them meanwhile).

use crate::{describe, Database};
use dynalith_model::DynamoError;
use serde_json::Map;

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let name = super::shapes::table_name_of(body)?;

    let _changes = db.catalog().lock_changes();
    let table = db.catalog().require_changeable(&name)?;
    if table.deletion_protection {
        return Err(DynamoError::validation(
            "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
        ));
    }
    let description = describe::table_description(db, &table, "DELETING")?;
    db.drop_table(&table)?;

    let mut response = Map::new();
    response.insert("TableDescription".into(), description);
    super::respond(response)
}
