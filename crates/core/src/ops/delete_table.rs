//! DeleteTable. The catalog entry goes at once; the table's items are
//! removed in the background (their keys carry the dropped table's id, which
//! is never reused, so nothing can see them meanwhile). In a Region of a
//! global table only that Region's replica goes (`global_tables`). With a
//! transient status set, the table is described and listed DELETING, and
//! its name held, for that long (`table_status`).

use crate::catalog::IndexStatus;
use crate::{describe, Database};
use dynalith_model::{DynamoError, ErrorKind};
use serde_json::Map;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let name = super::shapes::table_name_of(body, context)?;

    let _changes = db.catalog().lock_changes();
    let mut response = Map::new();
    // DynamoDB answers a table already DELETING without an error.
    if db.catalog().get(&name).is_none() {
        if let Some(deleting) = db.deleting_table(&name, Some(&context.region))? {
            response.insert("TableDescription".into(), deleting.deleted);
            return super::respond(response);
        }
    }
    let table = db.catalog().require_changeable_in(&name, &context.region)?;
    crate::global_tables::in_region(&table, &context.region)?;
    // An index still being built holds the table (DynamoDB: while any
    // global index is CREATING, UPDATING or DELETING; here only a
    // backfill lasts).
    if table
        .indexes
        .iter()
        .any(|i| i.status != IndexStatus::Active)
    {
        return Err(DynamoError::new(
            ErrorKind::ResourceInUse,
            "Attempt to change a resource which is still in use: Cannot delete table while indexes are being created, updated, or deleted.",
        ));
    }
    if table.deletion_protection {
        return Err(DynamoError::validation(
            "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.",
        ));
    }
    let mut description = describe::deleted_table_description(db, &table)?;
    if let Some(d) = description.as_object_mut() {
        crate::global_tables::describe(d, &table, &context.region, db.catalog().transitions());
    }
    // In a Region of a global table only that Region's replica goes; the
    // table stays in the others.
    let mut kept = (*table).clone();
    if let Some(removed) = crate::global_tables::delete_replica(&mut kept, &context.region)? {
        (db.catalog().transitions()).replica_deleted(&mut kept, removed);
        let mut txn = db.engine().begin();
        crate::catalog::write_entry(&mut *txn, &kept)?;
        txn.commit().map_err(crate::storage_error)?;
        db.catalog().publish(kept);
    } else {
        // Described as it was, DELETING, while the status lasts.
        let mut described = describe::table_description(db, &table, "DELETING")?;
        if let Some(d) = described.as_object_mut() {
            crate::global_tables::describe(d, &table, &context.region, db.catalog().transitions());
        }
        db.check_room_for_a_transition(Some(&*table), false)?;
        db.drop_table(&table)?;
        db.remember_deleting(&table, described, description.clone())?;
    }

    response.insert("TableDescription".into(), description);
    super::respond(response)
}

#[cfg(test)]
mod tests {
    use crate::catalog::{IndexKind, IndexMeta, IndexProjection, IndexStatus};
    use crate::test_support::{create_table, open_cached, run};
    use crate::{Operation, RequestContext};
    use dynalith_model::ErrorKind;

    #[test]
    fn a_table_whose_index_is_being_built_is_not_deleted() {
        let db = open_cached();
        create_table(&db, "building");
        let mut table = (*db.catalog().get("building").unwrap()).clone();
        table.indexes.push(IndexMeta {
            id: 9_999,
            name: "gsi".into(),
            kind: IndexKind::Global,
            key_schema: table.key_schema.clone(),
            projection: IndexProjection::All,
            throughput: Default::default(),
            on_demand: Default::default(),
            warm_throughput: None,
            status: IndexStatus::Creating,
            counter_slot: None,
            auto_scaling: Default::default(),
        });
        db.catalog().publish(table.clone());
        let body = br#"{"TableName":"building"}"#;
        let error = db
            .execute(Operation::DeleteTable, body, &RequestContext::default())
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::ResourceInUse);
        assert_eq!(
            error.message,
            "Attempt to change a resource which is still in use: Cannot delete table while indexes are being created, updated, or deleted."
        );
        assert!(db.catalog().get("building").is_some());

        // Once the index is built, the table goes.
        table.indexes[0].status = IndexStatus::Active;
        db.catalog().publish(table);
        run(&db, Operation::DeleteTable, r#"{"TableName":"building"}"#);
        assert!(db.catalog().get("building").is_none());
    }
}
