//! DeleteTable. The catalog entry goes at once; the table's items are
//! removed in the background (their keys carry the dropped table's id, which
//! is never reused, so nothing can see them meanwhile).

use crate::validate::Violations;
use crate::{describe, keys, storage_error, Database};
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteTableInput {
    table_name: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: DeleteTableInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name(input.table_name.as_deref(), "tableName");
    v.finish()?;
    let name = input.table_name.unwrap_or_default();

    let _changes = db.catalog().lock_changes();
    let table = db
        .catalog()
        .get(&name)
        .ok_or_else(|| DynamoError::table_not_found(&name))?;
    if table.deletion_protection {
        return Err(DynamoError::validation(format!(
            "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first. Table: {}",
            table.arn()
        )));
    }
    let (count, size) = db.table_counters(table.id)?;
    let mut txn = db.engine().begin();
    txn.delete(&keys::table_entry(&name))
        .map_err(storage_error)?;
    txn.put(&keys::pending_drop(table.id), b"")
        .map_err(storage_error)?;
    txn.commit().map_err(storage_error)?;
    db.catalog().unpublish(&name);
    db.drop_table_data(table.id);

    let mut response = Map::new();
    response.insert(
        "TableDescription".into(),
        describe::table_description(&table, "DELETING", count, size),
    );
    super::respond(response)
}
