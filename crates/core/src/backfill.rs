//! Filling a new global index from the table's existing items, in the
//! background, while writes go on.
//!
//! The index is published (status CREATING) under the exclusive write gate
//! before the backfill starts, so every write committed after that
//! maintains the index itself. The backfill then walks a snapshot taken
//! after the publication: each item in it is re-read under its row lock,
//! the way a write would, and gets its entry unless a write already made
//! it. Items written later are not in the snapshot and need nothing. So
//! whatever the interleaving, the finished index holds exactly the entries
//! of the table's items, and the entry counters count each once.

use crate::catalog::{IndexStatus, TableMeta};
use crate::counters::{CounterDeltas, CounterPlace};
use crate::{index, keys, storage_error, stored_item, Database};
use dynalith_model::DynamoError;
use dynalith_storage::StorageError;
use std::sync::Arc;

/// Items handled per storage transaction: small enough that a backfill
/// never holds many row locks at once.
const CHUNK: usize = 128;

impl Database {
    /// Starts filling `index_name` of `table_name` in the background.
    pub(crate) fn start_backfill(&self, table_name: String, index_name: String) {
        let Some(db) = self.self_ref.upgrade() else {
            return;
        };
        std::thread::spawn(move || {
            if let Err(e) = db.backfill(&table_name, &index_name) {
                tracing::error!(table = %table_name, index = %index_name, %e, "index backfill failed; it resumes at the next start");
            }
        });
    }

    /// Restarts the backfills a crash or shutdown interrupted; entries
    /// already made are kept.
    pub(crate) fn resume_backfills(&self) {
        for name in self.catalog().names() {
            let Some(table) = self.catalog().get(&name) else {
                continue;
            };
            for index in &table.indexes {
                if index.status == IndexStatus::Creating {
                    self.start_backfill(name.clone(), index.name.clone());
                }
            }
        }
    }

    /// The backfill itself; stops quietly when the table or the index goes
    /// away meanwhile.
    fn backfill(&self, table_name: &str, index_name: &str) -> Result<(), DynamoError> {
        let started = std::time::Instant::now();
        let Some(table) = self.catalog().get(table_name) else {
            return Ok(());
        };
        let snapshot = self.engine().snapshot();
        let (start, end) = keys::table_items_range(table.id);
        let mut entries = snapshot.scan(&start, &end, false);
        loop {
            let mut chunk = Vec::with_capacity(CHUNK);
            for entry in entries.by_ref().take(CHUNK) {
                let (key, _) = entry.map_err(storage_error)?;
                chunk.push(key);
            }
            if chunk.is_empty() {
                break;
            }
            if !self.backfill_chunk(&table, index_name, &chunk)? {
                return Ok(());
            }
        }
        // With a transient status set, the index stays CREATING at least
        // that long, as DynamoDB's backfills take minutes (`table_status`).
        let hold = (self.catalog().transitions().delay()).saturating_sub(started.elapsed());
        std::thread::sleep(hold);
        self.finish_backfill(&table, index_name)
    }

    /// Makes the entries of the items under `item_keys`; false when the
    /// index or its table no longer exists.
    fn backfill_chunk(
        &self,
        table: &Arc<TableMeta>,
        index_name: &str,
        item_keys: &[Box<[u8]>],
    ) -> Result<bool, DynamoError> {
        loop {
            let _gate = self.write_gate.read();
            let current = match self.catalog().get(&table.name) {
                Some(current) if current.id == table.id => current,
                _ => return Ok(false),
            };
            let Some(index) = current.index(index_name) else {
                return Ok(false);
            };
            let mut txn = self.engine().begin();
            let attempt = (|| -> Result<(), StorageError> {
                // Counter shards are merged after every row lock is held,
                // in key order, as the write path does (no deadlock).
                let mut counters = CounterDeltas::default();
                for key in item_keys {
                    let Some(stored) = txn.get_for_update(key)? else {
                        continue;
                    };
                    let entry = stored_item::decode(&stored)
                        .and_then(|item| index::entry(&current, index, &item, &stored))
                        .map_err(|e| StorageError::Engine(e.message))?;
                    let Some(entry) = entry else {
                        continue;
                    };
                    if txn.get(&entry.key)?.is_none() {
                        txn.put(&entry.key, &entry.bytes)?;
                        let shard = keys::counter_shard_of_item_key(key);
                        counters.add(
                            CounterPlace::of_index(&current, index, shard),
                            1,
                            entry.size as i64,
                        );
                    }
                }
                counters.apply(&mut *txn)?;
                txn.commit()
            })();
            match attempt {
                Ok(()) => return Ok(true),
                Err(StorageError::Conflict) => continue,
                Err(e) => return Err(storage_error(e)),
            }
        }
    }

    /// Marks the index ACTIVE.
    fn finish_backfill(&self, table: &TableMeta, index_name: &str) -> Result<(), DynamoError> {
        let _changes = self.catalog().lock_changes();
        let Some(current) = self.catalog().get(&table.name).filter(|t| t.id == table.id) else {
            return Ok(());
        };
        let mut updated = (*current).clone();
        let Some(index) = updated.indexes.iter_mut().find(|i| i.name == index_name) else {
            return Ok(());
        };
        index.status = IndexStatus::Active;
        self.save_table(&updated)?;
        self.catalog().publish(updated);
        Ok(())
    }

    /// Persists a table's catalog entry (the caller holds the change lock).
    pub(crate) fn save_table(&self, table: &TableMeta) -> Result<(), DynamoError> {
        let mut txn = self.engine().begin();
        crate::catalog::write_entry(&mut *txn, table)?;
        txn.commit().map_err(storage_error)
    }
}
