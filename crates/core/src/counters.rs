//! Item counts and sizes of tables and their indexes, kept exact by every
//! write in the write's own transaction (DescribeTable's ItemCount,
//! TableSizeBytes, IndexSizeBytes).
//!
//! A table's counters are split into shards (`keys::COUNTER_SHARDS`) so
//! that concurrent writes rarely lock the same counter key. Each shard's
//! value is a list of [count, bytes] pairs: the table's first, then one per
//! index at the index's `counter_slot`. A write to a table with indexes thus
//! merges into one key, not one per index: a PutItem on a table with two
//! GSIs costs one merge and one lock instead of three (in-memory PutItem
//! with two GSIs measured 8-10% faster without the two index merges).
//! Indexes created before slots existed keep their pair in shards of their
//! own, under the index's id.

use crate::catalog::{IndexMeta, TableMeta};
use crate::{keys, storage_error, Database};
use dynalith_model::DynamoError;
use dynalith_storage::{decode_counters, StorageError, Transaction};
use std::collections::BTreeMap;

/// Where one table's or index's counters live in a shard.
pub struct CounterPlace {
    key: Vec<u8>,
    /// Which [count, bytes] pair of the shard's value.
    pair: usize,
}

impl CounterPlace {
    pub fn of_table(table: &TableMeta, shard: u8) -> CounterPlace {
        CounterPlace {
            key: keys::table_counter_shard(table.id, shard),
            pair: 0,
        }
    }

    pub fn of_index(table: &TableMeta, index: &IndexMeta, shard: u8) -> CounterPlace {
        match index.counter_slot {
            Some(slot) => CounterPlace {
                key: keys::table_counter_shard(table.id, shard),
                pair: usize::from(slot),
            },
            None => CounterPlace {
                key: keys::table_counter_shard(index.id, shard),
                pair: 0,
            },
        }
    }
}

/// The counter changes of one storage transaction, applied together once
/// every item it writes is locked.
#[derive(Default)]
pub struct CounterDeltas {
    by_key: BTreeMap<Vec<u8>, Vec<i64>>,
}

impl CounterDeltas {
    pub fn add(&mut self, place: CounterPlace, count: i64, bytes: i64) {
        let values = self.by_key.entry(place.key).or_default();
        let at = 2 * place.pair;
        if values.len() < at + 2 {
            values.resize(at + 2, 0);
        }
        values[at] += count;
        values[at + 1] += bytes;
    }

    /// Merges the changes, in key order: a pessimistic transaction locks
    /// the keys it merges into, so taking them in one global order — items
    /// first, then counters sorted — keeps concurrent writes free of
    /// deadlocks.
    pub fn apply(self, txn: &mut dyn Transaction) -> Result<(), StorageError> {
        for (key, deltas) in self.by_key {
            if deltas.iter().any(|&d| d != 0) {
                txn.add_counters(&key, &deltas)?;
            }
        }
        Ok(())
    }
}

impl Database {
    /// [item count, size in bytes] of a table: the sum of its shards.
    pub fn table_counters(&self, table: &TableMeta) -> Result<(i64, i64), DynamoError> {
        self.sum_counter_pair(table.id, 0)
    }

    /// [item count, size in bytes] of one of the table's indexes.
    pub fn index_counters(
        &self,
        table: &TableMeta,
        index: &IndexMeta,
    ) -> Result<(i64, i64), DynamoError> {
        match index.counter_slot {
            Some(slot) => self.sum_counter_pair(table.id, usize::from(slot)),
            None => self.sum_counter_pair(index.id, 0),
        }
    }

    fn sum_counter_pair(&self, owner_id: u32, pair: usize) -> Result<(i64, i64), DynamoError> {
        let (start, end) = keys::table_counters_range(owner_id);
        let snapshot = self.engine().snapshot();
        let (mut count, mut bytes) = (0i64, 0i64);
        for entry in snapshot.scan(&start, &end, false) {
            let (_, raw) = entry.map_err(storage_error)?;
            let values = decode_counters(&raw);
            count = count.wrapping_add(values.get(2 * pair).copied().unwrap_or(0));
            bytes = bytes.wrapping_add(values.get(2 * pair + 1).copied().unwrap_or(0));
        }
        Ok((count, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::IndexProjection;
    use dynalith_storage::MemoryEngine;
    use std::sync::Arc;

    fn database() -> Arc<Database> {
        let engine = MemoryEngine::default();
        Database::open(Arc::new(engine)).unwrap()
    }

    fn apply(db: &Database, deltas: CounterDeltas) {
        let mut txn = db.engine().begin();
        deltas.apply(&mut *txn).unwrap();
        txn.commit().unwrap();
    }

    #[test]
    fn a_table_and_its_slotted_indexes_share_one_key_per_shard() {
        let db = database();
        let table = crate::index::tests::table(IndexProjection::All);
        let index = &table.indexes[0];
        let mut deltas = CounterDeltas::default();
        deltas.add(CounterPlace::of_table(&table, 3), 1, 100);
        deltas.add(CounterPlace::of_index(&table, index, 3), 1, 40);
        assert_eq!(deltas.by_key.len(), 1);
        apply(&db, deltas);
        let mut deltas = CounterDeltas::default();
        deltas.add(CounterPlace::of_table(&table, 9), 2, 300);
        deltas.add(CounterPlace::of_index(&table, index, 9), -1, -40);
        apply(&db, deltas);
        assert_eq!(db.table_counters(&table).unwrap(), (3, 400));
        assert_eq!(db.index_counters(&table, index).unwrap(), (0, 0));
    }

    #[test]
    fn indexes_from_before_counter_slots_keep_shards_of_their_own() {
        let db = database();
        // The table as a catalog written before counter slots has it.
        let current = crate::index::tests::table(IndexProjection::All);
        let mut json = serde_json::to_value(&current).unwrap();
        json.as_object_mut().unwrap().remove("counter_slots_taken");
        for index in json["indexes"].as_array_mut().unwrap() {
            index.as_object_mut().unwrap().remove("counter_slot");
        }
        let old: TableMeta = serde_json::from_value(json).unwrap();
        assert_eq!(old.indexes[0].counter_slot, None);
        assert_eq!(old.counter_slots_taken, 0);

        let mut deltas = CounterDeltas::default();
        deltas.add(CounterPlace::of_table(&old, 3), 2, 200);
        deltas.add(CounterPlace::of_index(&old, &old.indexes[0], 3), 1, 50);
        assert_eq!(deltas.by_key.len(), 2);
        apply(&db, deltas);
        assert_eq!(db.table_counters(&old).unwrap(), (2, 200));
        assert_eq!(db.index_counters(&old, &old.indexes[0]).unwrap(), (1, 50));
        // The slotted reading of the same index finds nothing of the old one.
        assert_eq!(
            db.index_counters(&current, &current.indexes[0]).unwrap(),
            (0, 0)
        );
    }
}
