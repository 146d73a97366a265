//! On-demand backups: a copy of a table's items, with the table's
//! definition as it was, from which RestoreTableFromBackup makes a new
//! table.
//!
//! A backup's items are stored as a table's are, under the backup's own id
//! (`keys`), copied from one snapshot of the table, so the backup is the
//! table at one instant even while writes go on. The copy is written in
//! batches under a pending-drop marker, and the backup's entry (with the
//! marker's removal) commits only when the copy is complete: a crash
//! midway leaves no backup, and the next start drops the partial copy like
//! a deleted table's data.

use crate::catalog::TableMeta;
use crate::{keys, storage_error, stored_item, Database};
use dynalith_model::{DynamoError, ErrorKind};
use serde::{Deserialize, Serialize};

/// Items copied per storage transaction.
const COPY_BATCH: usize = 1000;

/// One backup, as persisted at `keys::backup_entry`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BackupMeta {
    /// Prefix of the backup's item keys.
    pub id: u32,
    pub name: String,
    pub arn: String,
    pub created_at: f64,
    pub item_count: i64,
    /// The items' DynamoDB size, as the table reported it.
    pub size_bytes: i64,
    /// The table's definition when the backup was taken.
    pub source: TableMeta,
}

/// The backup APIs' answer for a table that does not exist.
pub fn table_not_found(name: &str) -> DynamoError {
    DynamoError::new(ErrorKind::TableNotFound, format!("Table not found: {name}"))
}

impl BackupMeta {
    /// Whether a request signed for `region` finds the backup. A backup is
    /// a resource of the Region it was made in (its ARN's); one of a
    /// table that answers in every Region (`TableMeta::answers_in`: not
    /// yet global) is found in every Region, as that table is.
    pub fn kept_in(&self, region: &str) -> bool {
        !self.source.region_bound || self.source.region == region
    }
}

pub fn backup_not_found(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::BackupNotFound,
        format!("Backup not found: {arn}"),
    )
}

impl Database {
    /// Copies `table`'s items, as of now, into a new backup named `name`.
    /// The caller holds the catalog's change lock.
    pub(crate) fn create_backup(
        &self,
        table: &TableMeta,
        name: &str,
    ) -> Result<BackupMeta, DynamoError> {
        let id = crate::catalog::next_id(self.engine())?;
        let next = id
            .checked_add(1)
            .ok_or_else(|| DynamoError::internal("table ids exhausted"))?;
        let mut txn = self.engine().begin();
        txn.put(&keys::next_table_id(), &next.to_be_bytes())
            .map_err(storage_error)?;
        txn.put(&keys::pending_drop(id), b"")
            .map_err(storage_error)?;
        txn.commit().map_err(storage_error)?;

        let created_at = crate::now_epoch_seconds();
        let (item_count, size_bytes) = self.copy_items(table.id, id)?;
        let millis = (created_at * 1000.0) as u64;
        let tag =
            xxhash_rust::xxh3::xxh3_64(format!("{}/{id}/{name}", table.uuid).as_bytes()) as u32;
        let backup = BackupMeta {
            id,
            name: name.to_string(),
            arn: format!("{}/backup/{millis:014}-{tag:08x}", table.arn()),
            created_at,
            item_count,
            size_bytes,
            source: table.clone(),
        };
        let encoded =
            serde_json::to_vec(&backup).map_err(|e| DynamoError::internal(e.to_string()))?;
        let mut txn = self.engine().begin();
        txn.put(&keys::backup_entry(id), &encoded)
            .map_err(storage_error)?;
        txn.delete(&keys::pending_drop(id)).map_err(storage_error)?;
        txn.commit().map_err(storage_error)?;
        Ok(backup)
    }

    /// Copies every item of `from` (a table or backup id) under `to`, from
    /// one snapshot; returns the items' count and DynamoDB size.
    fn copy_items(&self, from: u32, to: u32) -> Result<(i64, i64), DynamoError> {
        self.copy_items_from(&*self.engine().snapshot(), from, to)
    }

    /// `copy_items` from a snapshot the caller took.
    pub(crate) fn copy_items_from(
        &self,
        snapshot: &dyn dynalith_storage::ReadView,
        from: u32,
        to: u32,
    ) -> Result<(i64, i64), DynamoError> {
        let (start, end) = keys::table_items_range(from);
        let mut batch = Vec::with_capacity(COPY_BATCH);
        let (mut count, mut size) = (0i64, 0i64);
        for entry in snapshot.scan(&start, &end, false) {
            let (key, value) = entry.map_err(storage_error)?;
            let copied = keys::item_key_in(to, &key)
                .ok_or_else(|| DynamoError::internal("corrupt item key"))?;
            count += 1;
            size += stored_item::size(&value)? as i64;
            batch.push((copied, value));
            if batch.len() == COPY_BATCH {
                self.put_all(std::mem::take(&mut batch))?;
            }
        }
        self.put_all(batch)?;
        Ok((count, size))
    }

    fn put_all(&self, entries: Vec<(Vec<u8>, Box<[u8]>)>) -> Result<(), DynamoError> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut txn = self.engine().begin();
        for (key, value) in &entries {
            txn.put(key, value).map_err(storage_error)?;
        }
        txn.commit().map_err(storage_error)
    }

    /// Every backup, oldest first.
    pub(crate) fn backups(&self) -> Result<Vec<BackupMeta>, DynamoError> {
        let (start, end) = keys::backup_entries_range();
        let snapshot = self.engine().snapshot();
        let mut backups = Vec::new();
        for entry in snapshot.scan(&start, &end, false) {
            let (_, value) = entry.map_err(storage_error)?;
            backups.push(
                serde_json::from_slice(&value)
                    .map_err(|e| DynamoError::internal(format!("corrupt backup entry: {e}")))?,
            );
        }
        Ok(backups)
    }

    /// The backup `arn` as a request signed for `region` finds it.
    pub(crate) fn backup(&self, arn: &str, region: &str) -> Result<BackupMeta, DynamoError> {
        // What names no backup at all (a table's ARN, say) is DynamoDB's
        // "Invalid Backup ARN"; a backup's that is not kept, not found.
        let resource = arn.splitn(6, ':').collect::<Vec<_>>();
        let shaped = resource.len() == 6
            && resource[0] == "arn"
            && resource[2] == "dynamodb"
            && matches!(
                resource[5].split('/').collect::<Vec<_>>().as_slice(),
                ["table", name, "backup", id] if !name.is_empty() && !id.is_empty()
            );
        if !shaped {
            return Err(DynamoError::validation("Invalid Backup ARN"));
        }
        self.backups()?
            .into_iter()
            .find(|b| b.arn == arn && b.kept_in(region))
            .ok_or_else(|| backup_not_found(arn))
    }

    /// Forgets a backup and drops its items in the background.
    pub(crate) fn delete_backup(&self, backup: &BackupMeta) -> Result<(), DynamoError> {
        let mut txn = self.engine().begin();
        txn.delete(&keys::backup_entry(backup.id))
            .map_err(storage_error)?;
        txn.put(&keys::pending_drop(backup.id), b"")
            .map_err(storage_error)?;
        txn.commit().map_err(storage_error)?;
        self.drop_table_data(backup.id);
        Ok(())
    }

    /// Writes the items stored under `from` (a backup's id, or a point-in-
    /// time recovery base's) into `table` (new and empty) through the write
    /// path, which makes their index entries and counts.
    pub(crate) fn restore_items(
        &self,
        from: u32,
        table: &std::sync::Arc<TableMeta>,
    ) -> Result<(), DynamoError> {
        let (start, end) = keys::table_items_range(from);
        let snapshot = self.engine().snapshot();
        let mut batch = Vec::with_capacity(COPY_BATCH);
        for entry in snapshot.scan(&start, &end, false) {
            let (key, value) = entry.map_err(storage_error)?;
            let key = keys::item_key_in(table.id, &key)
                .ok_or_else(|| DynamoError::internal("corrupt backup item key"))?;
            batch.push((key, stored_item::decode(&value)?));
            if batch.len() == COPY_BATCH {
                self.write_restored(table, std::mem::take(&mut batch))?;
            }
        }
        self.write_restored(table, batch)
    }

    pub(crate) fn write_restored(
        &self,
        table: &std::sync::Arc<TableMeta>,
        items: Vec<(Vec<u8>, dynalith_model::Item)>,
    ) -> Result<(), DynamoError> {
        if items.is_empty() {
            return Ok(());
        }
        let writes = items
            .into_iter()
            .map(|(key, item)| crate::write::ItemWrite {
                table: std::sync::Arc::clone(table),
                key,
                // Called again if the write is retried after a conflict.
                decide: Box::new(move |_| Ok(crate::write::Mutation::Put(item.clone()))),
            })
            .collect();
        self.write_items(writes).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{create_table, open_durable as open, run};
    use crate::{keys, Operation};

    #[test]
    fn a_restore_cut_short_by_a_crash_leaves_no_table() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = open(dir.path());
            create_table(&db, "src");
            run(
                &db,
                Operation::PutItem,
                r#"{"TableName":"src","Item":{"pk":{"S":"a"}}}"#,
            );
            let backup = run(
                &db,
                Operation::CreateBackup,
                r#"{"TableName":"src","BackupName":"bak"}"#,
            );
            let arn = backup["BackupDetails"]["BackupArn"].as_str().unwrap();
            run(
                &db,
                Operation::RestoreTableFromBackup,
                &format!(r#"{{"TargetTableName":"dst","BackupArn":"{arn}"}}"#),
            );
            // Put the restored table back in the state a crash during its
            // restore would have left: still in progress.
            let key = keys::table_entry("dst");
            let mut entry: serde_json::Value =
                serde_json::from_slice(&db.engine().get(&key).unwrap().unwrap()).unwrap();
            entry["restore"]["in_progress"] = true.into();
            let mut txn = db.engine().begin();
            txn.put(&key, &serde_json::to_vec(&entry).unwrap()).unwrap();
            txn.commit().unwrap();
            db.engine().flush().unwrap();
        }
        let db = open(dir.path());
        assert!(db.catalog().get("dst").is_none());
        assert!(db.catalog().get("src").is_some());
        let listed = run(&db, Operation::ListBackups, "{}");
        assert_eq!(listed["BackupSummaries"].as_array().unwrap().len(), 1);
    }
}
