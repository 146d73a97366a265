//! DeleteTable. The catalog entry goes at once; the table's items are
//! removed in the background (their keys carry the dropped table's id, which
//! is never reused, so nothing can see them meanwhile).

use crate::{describe, keys, storage_error, Database};
use dynalith_model::DynamoError;
use serde_json::Map;

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let name = super::shapes::table_name_of(body)?;

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
    let description = describe::table_description(db, &table, "DELETING")?;
    let ids: Vec<u32> = std::iter::once(table.id)
        .chain(table.indexes.iter().map(|i| i.id))
        .collect();
    let mut txn = db.engine().begin();
    txn.delete(&keys::table_entry(&name))
        .map_err(storage_error)?;
    for &id in &ids {
        txn.put(&keys::pending_drop(id), b"")
            .map_err(storage_error)?;
    }
    // The table's stream stays readable, disabled, for its retention time.
    let stream = crate::streams::disable(db.streams(), &table, &mut *txn)?;
    txn.commit().map_err(storage_error)?;
    // No write may straddle the drop: one that started earlier could
    // otherwise land after the data is gone.
    db.publish_exclusively(|| db.catalog().unpublish(&name));
    if let Some(stream) = stream {
        db.streams().publish(stream);
    }
    for id in ids {
        db.drop_table_data(id);
    }

    let mut response = Map::new();
    response.insert("TableDescription".into(), description);
    super::respond(response)
}
