//! The storage layer: a small transactional ordered key-value interface, and
//! the engines that implement it.
//!
//! Everything DynamoDB-specific (key layout, indexes, streams, TTL) lives
//! above this trait, in the core, so that every engine behaves the same and
//! the second engine, a PostgreSQL-protocol database (`postgres`), needs
//! nothing of the operations; a third, `memory`, keeps everything in one
//! persistent map for `--in-memory` servers and tests. An engine provides ordered keys, atomic
//! multi-key transactions with per-key locking (`get_for_update`), snapshot
//! reads, and commutative counters.

mod counters;
mod disk_reads;
mod durable_dirs;
mod failure;
mod group_sync;
mod idle_compaction;
mod memory;
mod memory_first;
mod own_writes;
mod postgres;
mod range_iterators;
mod rocks;
mod row_locks;

pub use counters::{decode_counters, encode_counters};
pub use durable_dirs::{create_dir_all_durably, sync_parent};
pub use failure::{FailureCause, StorageFailure};
pub use group_sync::DurabilityWait;
pub use memory::MemoryEngine;
pub use memory_first::MemoryFirst;
pub use postgres::{PgEngine, PgOptions};
pub use rocks::{
    default_background_write_bytes_per_sec, RocksEngine, RocksOptions, DEFAULT_BLOCK_CACHE_BYTES,
    DEFAULT_IDLE_BEFORE_LEVEL0_COMPACTION, DEFAULT_MEMTABLE_BYTES, MAX_BLOCK_CACHE_BYTES,
};
pub use std::ops::ControlFlow;

/// What can go wrong below the core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// Another transaction holds a lock this one needs, or wrote a key this
    /// one read. The core retries the whole operation.
    #[error("transaction conflict")]
    Conflict,
    /// The data is beyond what the engine can store, though DynamoDB would
    /// take it (a PostgreSQL index row holds at most 2704 bytes, so the
    /// longest keys do not fit). Nothing is written; not retried.
    #[error("{0}")]
    Unsupported(String),
    /// A read limited to memory (`MemoryFirst`) needed the storage device.
    /// The call's result is thrown away and the call run again.
    #[error("a read needed the storage device")]
    NeedsDevice,
    /// The engine failed (I/O error, corruption). Not retried.
    #[error("storage failure: {0}")]
    Engine(String),
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// A key and its value, as returned by range scans.
pub type KeyValue = (Box<[u8]>, Box<[u8]>);

/// A boxed iterator over a key range.
pub type ScanIter<'a> = Box<dyn Iterator<Item = Result<KeyValue>> + 'a>;

/// What `ReadView::visit_range` lends each key and value to; it breaks to
/// end the read.
pub type RangeVisitor<'v> = dyn FnMut(&[u8], &[u8]) -> ControlFlow<()> + 'v;

/// Reads: from a transaction (its own writes included) or from a snapshot.
pub trait ReadView {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;

    /// Keys in `[start, end)`, ascending, or descending when `reverse`.
    fn scan<'s>(&'s self, start: &[u8], end: &[u8], reverse: bool) -> ScanIter<'s>;

    /// The same keys as `scan`, in the same order, lent to `visit` one at a
    /// time until it breaks. Nothing is copied out of the engine: a Query
    /// page copies each stored item once, straight into the response.
    fn visit_range(
        &self,
        start: &[u8],
        end: &[u8],
        reverse: bool,
        visit: &mut RangeVisitor<'_>,
    ) -> Result<()> {
        for entry in self.scan(start, end, reverse) {
            let (key, value) = entry?;
            if visit(&key, &value).is_break() {
                break;
            }
        }
        Ok(())
    }
}

/// One atomic unit of writes. Dropping it without `commit` rolls it back.
pub trait Transaction: ReadView {
    /// Reads the latest committed value and locks the key until commit, so
    /// that read-check-write is atomic against every other writer.
    fn get_for_update(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()>;
    fn delete(&mut self, key: &[u8]) -> Result<()>;
    /// Adds `deltas` element-wise to the i64 counters stored at `key`
    /// without reading or locking it, so that hot counters (item counts,
    /// table sizes) never serialize writers.
    fn add_counters(&mut self, key: &[u8], deltas: &[i64]) -> Result<()>;
    /// Makes every write visible, atomically. In a durable engine they are
    /// durable once `Engine::pending_durability` resolves.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// A storage engine.
pub trait Engine: Send + Sync {
    fn begin(&self) -> Box<dyn Transaction + '_>;
    /// A consistent point-in-time view for reads that span many keys.
    fn snapshot(&self) -> Box<dyn ReadView + '_>;
    /// Latest committed value, without a snapshot or locks.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// The latest committed entries of `[start, end)`, as
    /// `ReadView::visit_range` lends them: one consistent view for this one
    /// read, which an engine may serve faster than a snapshot's.
    fn visit_latest_range(
        &self,
        start: &[u8],
        end: &[u8],
        reverse: bool,
        visit: &mut RangeVisitor<'_>,
    ) -> Result<()> {
        self.snapshot().visit_range(start, end, reverse, visit)
    }
    /// Removes every key in `[start, end)` in batches, not atomically. Only
    /// for data no reader can reach any more (a dropped table's keys).
    fn delete_range(&self, start: &[u8], end: &[u8]) -> Result<()>;
    /// Persists everything (used at shutdown).
    fn flush(&self) -> Result<()>;
    /// What a request must await before it answers, so that nothing it
    /// wrote or read is acknowledged before it is durable: commits return
    /// before their log record is synced, and a read may see such a commit.
    /// `None` when everything visible is durable (always, in memory).
    fn pending_durability(&self) -> Option<DurabilityWait>;
    /// A hint from the request threads that they have nothing to run, so
    /// every request in flight is waiting: a durable engine syncs now
    /// rather than wait for more commits to share the sync.
    fn request_threads_idle(&self) {}
    /// Whether calls may now wait on something other than the CPU: on the
    /// network (a database server), or on the disk once the data has
    /// outgrown memory. The server then runs operations on threads made for
    /// blocking, where many waits overlap, not inline on its request
    /// threads.
    fn calls_may_block(&self) -> bool {
        false
    }
    /// Bytes the request threads have read from the storage device (not
    /// the page cache), where the engine watches them.
    fn request_disk_read_bytes(&self) -> Option<u64> {
        None
    }
    /// While calls may block, a call that changes nothing can first be run
    /// inline with its reads limited to memory (see `MemoryFirst`), by
    /// engines that can tell a read in memory from one on the device.
    fn memory_first(&self) -> Option<&MemoryFirst> {
        None
    }
    /// Why the engine can no longer make anything durable (its log could
    /// not be written, or it refuses writes after a flush could not write
    /// its file: a full disk, an I/O error), once that happened. It stays
    /// so: every request that waits for durability fails from then on, and
    /// only reopening the storage recovers.
    fn failure(&self) -> Option<StorageFailure> {
        None
    }
}
