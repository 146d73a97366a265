//! The in-memory engine (`dynalith serve --in-memory`): a persistent tree
//! of partitions (`partitions.rs`) behind a read-write lock, with the
//! embedded engine's row locks and own-writes overlay for transactions.
//!
//! Why not RocksDB on its in-memory Env, which this mode ran on before:
//! nothing here is ever persisted, yet RocksDB still flushed memtables into
//! LZ4-compressed files and compacted them, a third of the core in a write
//! workload with two global indexes (docs/design.md, "Storage engine: in
//! memory").
//! A persistent map gives snapshots for the price of cloning its root: a
//! snapshot shares every node with the live map, and a write copies only
//! the nodes on its path that a snapshot still shares. With no snapshot
//! open (the common case: reads are short) writes update the nodes in
//! place.

use crate::counters::{add_into, decode_counters, encode_counters};
use crate::own_writes::{OwnWrites, PendingWrites, WriteLog};
use crate::row_locks::{HeldLocks, RowLocks};
use crate::{
    DurabilityWait, Engine, KeyValue, RangeVisitor, ReadView, Result, ScanIter, Transaction,
};
use parking_lot::RwLock;
use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

mod entries;
mod partitions;
mod tree_key;

use entries::{Entries, Entry};
use partitions::Map;
use tree_key::TreeKey;

/// How many keys `delete_range` removes per hold of the write lock, so
/// that dropping a big table never stops the other writers for long.
const DELETE_RANGE_BATCH: usize = 1000;

/// How many entries an owned range read copies out of the map at a time.
const OWNED_RANGE_CHUNK: usize = 64;

pub struct MemoryEngine {
    map: RwLock<Map>,
    locks: RowLocks,
}

impl MemoryEngine {
    /// An empty engine whose writers wait up to `lock_timeout` for another
    /// writer's row lock before the operation is retried.
    pub fn new(lock_timeout: Duration) -> Self {
        MemoryEngine {
            map: RwLock::new(Map::default()),
            locks: RowLocks::new(lock_timeout),
        }
    }

    /// The live map as of now: later writes copy the nodes they would
    /// change instead of changing this view.
    fn view(&self) -> Map {
        self.map.read().clone()
    }
}

impl Default for MemoryEngine {
    fn default() -> Self {
        MemoryEngine::new(Duration::from_secs(2))
    }
}

/// An entry copied out of the map.
fn copied((key, value): Entry<'_>) -> KeyValue {
    (Box::from(key), Box::from(&value[..]))
}

/// Lends `map`'s entries in `[start, end)` to `visit` until it breaks.
fn visit_map(map: &Map, start: &[u8], end: &[u8], reverse: bool, visit: &mut RangeVisitor<'_>) {
    for (key, value) in Entries::between(map, start, end, reverse) {
        if visit(key, value).is_break() {
            return;
        }
    }
}

fn scan_map<'m>(map: &'m Map, start: &[u8], end: &[u8], reverse: bool) -> ScanIter<'m> {
    let bound = |key: &[u8]| Box::<[u8]>::from(key);
    let entries = Entries::between(map, bound(start), bound(end), reverse);
    Box::new(entries.map(|entry| Ok(copied(entry))))
}

/// A range read that owns its view of the map, for readers that cannot lend
/// one (a transaction reads the latest commits at each scan). It copies
/// entries out a chunk at a time, resuming after the last key it copied.
struct OwnedRange {
    map: Map,
    lower: Bound<Box<[u8]>>,
    upper: Bound<Box<[u8]>>,
    reverse: bool,
    chunk: VecDeque<KeyValue>,
    exhausted: bool,
}

impl OwnedRange {
    fn new(map: Map, start: &[u8], end: &[u8], reverse: bool) -> Self {
        OwnedRange {
            map,
            lower: Bound::Included(start.into()),
            upper: Bound::Excluded(end.into()),
            reverse,
            chunk: VecDeque::new(),
            exhausted: start >= end,
        }
    }

    fn refill(&mut self) {
        let entries = Entries::new(
            &self.map,
            self.lower.as_ref(),
            self.upper.as_ref(),
            self.reverse,
        );
        self.chunk = entries.take(OWNED_RANGE_CHUNK).map(copied).collect();
        match self.chunk.back() {
            Some((last, _)) if self.chunk.len() == OWNED_RANGE_CHUNK => {
                let resume = Bound::Excluded(last.clone());
                if self.reverse {
                    self.upper = resume;
                } else {
                    self.lower = resume;
                }
            }
            _ => self.exhausted = true,
        }
    }
}

impl Iterator for OwnedRange {
    type Item = Result<KeyValue>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.chunk.is_empty() && !self.exhausted {
            self.refill();
        }
        self.chunk.pop_front().map(Ok)
    }
}

/// One write of a transaction, applied in order at commit.
enum Write {
    Put(TreeKey, Arc<[u8]>),
    Delete(Box<[u8]>),
    Add(Box<[u8]>, Vec<i64>),
}

/// A transaction's writes, in order.
#[derive(Default)]
struct WriteList(Vec<Write>);

impl WriteLog for WriteList {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.0.push(Write::Put(TreeKey::from(key), value.into()));
    }

    fn delete(&mut self, key: &[u8]) {
        self.0.push(Write::Delete(key.into()));
    }

    fn add_counters(&mut self, key: &[u8], deltas: &[i64]) {
        self.0.push(Write::Add(key.into(), deltas.to_vec()));
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn replay(&self, own: &mut OwnWrites) {
        for write in &self.0 {
            match write {
                Write::Put(key, value) => own.put(key.bytes(), value),
                Write::Delete(key) => own.delete(key),
                Write::Add(key, deltas) => own.add_counters(key, deltas),
            }
        }
    }
}

struct MemoryTransaction<'e> {
    engine: &'e MemoryEngine,
    writes: PendingWrites<WriteList>,
    /// Released as the transaction drops, after its commit is visible.
    locked: HeldLocks<'e>,
}

impl ReadView for MemoryTransaction<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if self.writes.is_empty() {
            return self.engine.get(key);
        }
        self.writes.own_writes().read(key, || self.engine.get(key))
    }

    fn scan<'s>(&'s self, start: &[u8], end: &[u8], reverse: bool) -> ScanIter<'s> {
        let committed: ScanIter<'s> =
            Box::new(OwnedRange::new(self.engine.view(), start, end, reverse));
        if self.writes.is_empty() {
            return committed;
        }
        self.writes
            .own_writes()
            .merge_range(committed, start, end, reverse)
    }
}

impl Transaction for MemoryTransaction<'_> {
    fn get_for_update(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.locked.take(key)?;
        self.get(key)
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.writes.put(key, value);
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.writes.delete(key);
        Ok(())
    }

    fn add_counters(&mut self, key: &[u8], deltas: &[i64]) -> Result<()> {
        self.writes.add_counters(key, deltas);
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        if self.writes.is_empty() {
            return Ok(());
        }
        let WriteList(writes) = std::mem::take(&mut self.writes).into_log();
        // One hold of the write lock: readers see all of the writes or none.
        let mut map = self.engine.map.write();
        for write in writes {
            match write {
                Write::Put(key, value) => {
                    map.insert(key, value);
                }
                Write::Delete(key) => map.remove(&key),
                Write::Add(key, deltas) => {
                    let mut total = map
                        .get(&key)
                        .map(|value| decode_counters(value))
                        .unwrap_or_default();
                    add_into(&mut total, &deltas);
                    map.insert(TreeKey::from(&key[..]), encode_counters(&total).into());
                }
            }
        }
        Ok(())
        // The row locks are released as the transaction drops, after the
        // writes are visible.
    }
}

struct MemorySnapshot {
    map: Map,
}

impl ReadView for MemorySnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map.get(key).map(|value| value.to_vec()))
    }

    fn scan<'s>(&'s self, start: &[u8], end: &[u8], reverse: bool) -> ScanIter<'s> {
        scan_map(&self.map, start, end, reverse)
    }

    fn visit_range(
        &self,
        start: &[u8],
        end: &[u8],
        reverse: bool,
        visit: &mut RangeVisitor<'_>,
    ) -> Result<()> {
        visit_map(&self.map, start, end, reverse, visit);
        Ok(())
    }
}

impl Engine for MemoryEngine {
    fn begin(&self) -> Box<dyn Transaction + '_> {
        Box::new(MemoryTransaction {
            engine: self,
            writes: PendingWrites::default(),
            locked: HeldLocks::new(&self.locks),
        })
    }

    fn snapshot(&self) -> Box<dyn ReadView + '_> {
        Box::new(MemorySnapshot { map: self.view() })
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map.read().get(key).map(|value| value.to_vec()))
    }

    fn visit_latest_range(
        &self,
        start: &[u8],
        end: &[u8],
        reverse: bool,
        visit: &mut RangeVisitor<'_>,
    ) -> Result<()> {
        // Visited outside the lock: the visitor serializes a response page,
        // and writers must not wait for that.
        visit_map(&self.view(), start, end, reverse, visit);
        Ok(())
    }

    fn delete_range(&self, start: &[u8], end: &[u8]) -> Result<()> {
        loop {
            let mut map = self.map.write();
            let keys: Vec<Box<[u8]>> = Entries::between(&map, start, end, false)
                .take(DELETE_RANGE_BATCH)
                .map(|(key, _)| Box::from(key))
                .collect();
            if keys.is_empty() {
                return Ok(());
            }
            for key in keys {
                map.remove(&key);
            }
        }
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn pending_durability(&self) -> Option<DurabilityWait> {
        None
    }
}
