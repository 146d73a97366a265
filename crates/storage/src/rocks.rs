//! The embedded engine: a plain RocksDB database, with transactions made
//! of our own row locks (`row_locks`) and one WriteBatch each.
//!
//! Why locks rather than optimistic validation: DynamoDB clients hammer
//! single hot items (counters, conditional writes); with per-key locks a
//! contended write waits for the holder instead of failing validation and
//! retrying, and the core takes locks in key order so multi-item
//! transactions cannot deadlock. A transaction's batch is written in one
//! atomic `Write`, so readers see all of it or nothing.
//!
//! Durability: in durable mode every commit is written to the WAL, and the
//! WAL is fsynced by one background thread that batches every commit
//! waiting for it (`group_sync`); requests await that sync before they
//! answer instead of blocking a thread in `commit`.

use crate::counters::{add_into, decode_counters, encode_counters};
use crate::disk_reads::DiskReadWatch;
use crate::group_sync::{DurabilityWait, GroupSync};
use crate::idle_compaction::{IdleCompaction, LEVEL0_COMPACTION_TRIGGER};
use crate::memory_first::{self, MemoryFirst};
use crate::own_writes::{OwnWrites, PendingWrites, WriteLog};
use crate::range_iterators::RangeIterators;
use crate::row_locks::{HeldLocks, RowLocks};
use crate::{
    Engine, FailureCause, KeyValue, RangeVisitor, ReadView, Result, ScanIter, StorageError,
    StorageFailure, Transaction,
};
use rocksdb::{
    BlockBasedOptions, Direction, Env, ErrorKind as RocksErrorKind, IteratorMode, MergeOperands,
    Options, ReadOptions, ReadTier, SliceTransform, SnapshotWithThreadMode, WriteBatch,
    WriteBatchIteratorCf, WriteOptions, DB,
};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How to open the engine.
#[derive(Clone, Debug)]
pub struct RocksOptions {
    /// Where the database lives; ignored in memory.
    pub path: PathBuf,
    /// Keep everything in memory (tests, ephemeral use): nothing on disk.
    pub in_memory: bool,
    /// How long a writer waits for another writer's lock before the
    /// operation is retried.
    pub lock_timeout_ms: u64,
    /// When set, range reads whose bounds share their first `n` bytes
    /// (one partition, for the core's layout) consult per-prefix bloom
    /// filters and skip the files without that prefix; every other range
    /// read walks the keys in total order.
    pub range_prefix_len: Option<usize>,
    /// Bytes of uncompressed SST blocks kept in memory (0: none). The cache
    /// fills only as data beyond the memtables is read, so a small database
    /// never uses it. HyperClockCache reserves address space for its
    /// capacity: beyond [`MAX_BLOCK_CACHE_BYTES`] that reservation fails.
    pub block_cache_bytes: usize,
    /// Bytes of writes a memtable takes before it is flushed to an SST
    /// file (RocksDB's `write_buffer_size`; its WAL file is about as big).
    pub memtable_bytes: usize,
    /// Bytes per second that flushes and compactions together may write
    /// (0: unlimited). Pacing them keeps them from holding a CPU the
    /// request threads need for milliseconds at a time.
    pub background_write_bytes_per_sec: u64,
    /// When set, level 0 is merged into the levels below once no write
    /// has come for this long (`idle_compaction`), so that reads after a
    /// burst of writes consult one sorted run fewer per flushed file.
    pub compact_level0_when_idle_for: Option<Duration>,
}

/// How long writes must have stopped before level 0 is compacted.
pub const DEFAULT_IDLE_BEFORE_LEVEL0_COMPACTION: Duration = Duration::from_secs(2);

/// 16 MiB: small at idle (RocksDB allocates memtable arenas as they fill).
pub const DEFAULT_MEMTABLE_BYTES: usize = 16 << 20;

/// Per CPU the process may use. On one CPU of the benchmark machine a
/// 1M-item BatchWriteItem load (~100k items/s, the heaviest write load it
/// takes) ran as fast paced at this rate as unpaced, while an unpaced
/// background thread writes ~100 MB/s when it has the CPU, so paced it
/// sleeps most of the time. Scales with the CPUs, as the write rate does.
const BACKGROUND_WRITE_BYTES_PER_SEC_PER_CPU: u64 = 24 << 20;
/// The limiter's refill period: how long a paced background thread sleeps
/// at most before it may write again.
const BACKGROUND_WRITE_REFILL_US: i64 = 1000;
/// How much a background thread writes between two asks of the limiter
/// (RocksDB's default, 1 MiB, is ~10 ms of compaction work).
const BACKGROUND_WRITE_BUFFER_BYTES: u64 = 64 << 10;

/// The default [`RocksOptions::background_write_bytes_per_sec`] for the
/// CPUs this process may run on (its affinity and cgroup quota).
pub fn default_background_write_bytes_per_sec() -> u64 {
    BACKGROUND_WRITE_BYTES_PER_SEC_PER_CPU * usable_cpus() as u64
}

/// The CPUs this process may run on (its affinity and cgroup quota).
fn usable_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// 256 MiB: at 1M items of ~200 B (~250 MB of blocks) GetItem runs 10%
/// and Query 16% faster than with RocksDB's default of 32 MiB, at 375 MB
/// instead of 125 MB of RSS (docs/design.md, "Reads at 1M items").
pub const DEFAULT_BLOCK_CACHE_BYTES: usize = 256 << 20;
/// 1 TiB: 16 TiB made RocksDB abort at start-up on a 24 GiB machine.
pub const MAX_BLOCK_CACHE_BYTES: usize = 1 << 40;

impl RocksOptions {
    pub fn durable(path: impl Into<PathBuf>) -> Self {
        RocksOptions {
            path: path.into(),
            in_memory: false,
            lock_timeout_ms: 2000,
            range_prefix_len: None,
            block_cache_bytes: DEFAULT_BLOCK_CACHE_BYTES,
            memtable_bytes: DEFAULT_MEMTABLE_BYTES,
            background_write_bytes_per_sec: default_background_write_bytes_per_sec(),
            compact_level0_when_idle_for: Some(DEFAULT_IDLE_BEFORE_LEVEL0_COMPACTION),
        }
    }

    pub fn in_memory() -> Self {
        RocksOptions {
            path: PathBuf::from("/dynalith-in-memory"),
            in_memory: true,
            lock_timeout_ms: 2000,
            range_prefix_len: None,
            block_cache_bytes: DEFAULT_BLOCK_CACHE_BYTES,
            memtable_bytes: DEFAULT_MEMTABLE_BYTES,
            background_write_bytes_per_sec: default_background_write_bytes_per_sec(),
            compact_level0_when_idle_for: Some(DEFAULT_IDLE_BEFORE_LEVEL0_COMPACTION),
        }
    }

    /// See [`RocksOptions::block_cache_bytes`].
    pub fn with_block_cache_bytes(mut self, bytes: usize) -> Self {
        self.block_cache_bytes = bytes;
        self
    }

    /// See [`RocksOptions::memtable_bytes`].
    pub fn with_memtable_bytes(mut self, bytes: usize) -> Self {
        self.memtable_bytes = bytes;
        self
    }

    /// See [`RocksOptions::background_write_bytes_per_sec`].
    pub fn with_background_write_bytes_per_sec(mut self, bytes: u64) -> Self {
        self.background_write_bytes_per_sec = bytes;
        self
    }

    /// See [`RocksOptions::compact_level0_when_idle_for`].
    pub fn with_level0_compaction_when_idle_for(mut self, quiet: Option<Duration>) -> Self {
        self.compact_level0_when_idle_for = quiet;
        self
    }

    /// See [`RocksOptions::range_prefix_len`].
    pub fn with_range_prefix_len(mut self, len: usize) -> Self {
        self.range_prefix_len = Some(len);
        self
    }
}

pub struct RocksEngine {
    // Declared before `db`: their threads hold the database and must stop
    // first.
    group_sync: Option<GroupSync>,
    // Held for its thread, which stops when it is dropped.
    _idle_compaction: Option<IdleCompaction>,
    /// Durable databases only: whether reads wait on the disk.
    disk_reads: Option<Arc<DiskReadWatch>>,
    /// Durable databases only: read-only calls tried with their reads
    /// limited to memory while reads wait on the disk.
    memory_first: Option<MemoryFirst>,
    range_iterators: Arc<RangeIterators>,
    /// The same, for reads limited to memory.
    range_iterators_in_memory: Arc<RangeIterators>,
    db: Arc<DB>,
    durable: bool,
    write_options: WriteOptions,
    /// For point reads: one kept, not one made and freed per read.
    point_read: ReadOptions,
    point_read_in_memory: ReadOptions,
    locks: RowLocks,
    /// Why a write failed, once one failed with an I/O error: RocksDB then
    /// accepts no more writes (a flush could not write its file, say), as
    /// after a failed log sync.
    write_failure: OnceLock<String>,
    range_prefix_len: Option<usize>,
    // Keeps the in-memory environment alive as long as the database.
    _env: Option<Env>,
}

const COUNTER_MERGE: &str = "dynalith.add_i64";

fn merge_counters(
    _key: &[u8],
    existing: Option<&[u8]>,
    operands: &MergeOperands,
) -> Option<Vec<u8>> {
    let mut total = existing.map(decode_counters).unwrap_or_default();
    for operand in operands {
        add_into(&mut total, &decode_counters(operand));
    }
    Some(encode_counters(&total))
}

pub(crate) fn engine_error(error: rocksdb::Error) -> StorageError {
    match error.kind() {
        RocksErrorKind::Busy | RocksErrorKind::TimedOut | RocksErrorKind::TryAgain => {
            StorageError::Conflict
        }
        RocksErrorKind::Incomplete if memory_first::reads_limited_to_memory() => {
            memory_first::read_needed_device();
            StorageError::NeedsDevice
        }
        _ => StorageError::Engine(error.into_string()),
    }
}

/// Read options for this thread's reads: limited to the memtables and the
/// block cache while a call is tried from memory (`memory_first`).
fn read_options() -> ReadOptions {
    let mut options = ReadOptions::default();
    if memory_first::reads_limited_to_memory() {
        options.set_read_tier(ReadTier::BlockCache);
    }
    options
}

impl RocksEngine {
    pub fn open(options: &RocksOptions) -> Result<Self> {
        // The database's id lives in its MANIFEST (RocksDB's default); the
        // deprecated IDENTITY file would cost a new database two more syncs
        // at start-up. Not wrapped by the crate, so set from a string, first,
        // before anything the options must keep alive is attached.
        let mut db_options = Options::default()
            .get_options_from_string("write_identity_file=false")
            .map_err(engine_error)?;
        db_options.create_if_missing(true);
        // Opening starts this many threads to load the SST files' readers,
        // even when there are none; RocksDB's 16 cost a 2-core machine ~0.5
        // ms of start-up for nothing.
        db_options.set_max_file_opening_threads(usable_cpus().min(16) as i32);
        db_options.set_merge_operator_associative(COUNTER_MERGE, merge_counters);
        // Small footprint by default; RocksDB grows its memtables on demand.
        db_options.set_write_buffer_size(options.memtable_bytes);
        // Up to three full memtables may wait for their flush before writes
        // stop (RocksDB's default: one). Paced flushes finish later, and
        // with one waiting memtable a write burst stopped all writes for
        // 100-250 ms; with three, 2-round A/B: in-memory PutItem +22% and
        // UpdateItem +20% (2/2), durable PutItem p99 24.5 -> 4.5 ms.
        // Memtables are allocated as they fill: idle memory is unchanged.
        db_options.set_max_write_buffer_number(4);
        db_options.set_max_background_jobs(2);
        db_options.set_level_zero_file_num_compaction_trigger(LEVEL0_COMPACTION_TRIGGER as i32);
        // The leader of a group of concurrent writes inserts every batch of
        // the group into the memtable itself, instead of waking each writer
        // to insert its own in parallel: with the request threads sharing
        // one or two cores, those wake-ups were context switches for no
        // parallelism. Alternating rounds (3 each): durable PutItem +5%,
        // UpdateItem +3%, PutItem with GSIs +0.5% (3/3 each); in memory,
        // where fewer writers meet in a group, -1%..+3% (within noise).
        db_options.set_allow_concurrent_memtable_write(false);
        if options.background_write_bytes_per_sec > 0 {
            // Flushes and compactions share the CPUs with the request
            // threads, and a runnable background thread keeps a CPU for a
            // whole scheduler tick (4 ms at 250 Hz) once it has it: with
            // one CPU, every request in flight then waits those 4 ms (write
            // p99 ~5 ms with 32 connections). Paced by a limiter refilled
            // every millisecond, and writing through small buffers so that
            // it asks the limiter every 64 KB, background work runs in
            // slices of well under a millisecond and sleeps in between:
            // write p99 -17..-48% at saturation and -50% at half load,
            // throughput and a 1M-item bulk load unchanged (docs/design.md).
            db_options.set_ratelimiter(
                options.background_write_bytes_per_sec as i64,
                BACKGROUND_WRITE_REFILL_US,
                10,
            );
            db_options.set_writable_file_max_buffer_size(BACKGROUND_WRITE_BUFFER_BYTES);
        }
        // Flushed and compacted files go to disk a megabyte at a time as
        // they are written. Otherwise a flush's closing fsync writes the
        // whole file at once, and every WAL sync queued behind it on the
        // disk waits: durable PutItem with two GSIs (3 alternating rounds)
        // had a p99 of 22-97 ms and stalls of 70-200 ms; with this, 6-7 ms
        // and 12 ms, at the same throughput.
        db_options.set_bytes_per_sync(1 << 20);
        db_options.set_compression_type(rocksdb::DBCompressionType::Lz4);
        db_options.set_keep_log_file_num(2);
        // Every write first reads its item (get-for-update), and most
        // PutItems write new keys: bloom filters let those reads skip the
        // SST files and the memtable that cannot hold the key.
        let mut table_options = BlockBasedOptions::default();
        table_options.set_bloom_filter(10.0, false);
        if options.block_cache_bytes == 0 {
            // RocksDB's HyperClockCache cannot be empty (it aborts).
            table_options.disable_cache();
        } else {
            // HyperClockCache, sized by its use: an estimated entry charge
            // of 0 lets its table grow with the cached blocks instead of
            // allocating for the capacity.
            table_options.set_block_cache(&rocksdb::Cache::new_hyper_clock_cache(
                options.block_cache_bytes,
                0,
            ));
        }
        table_options.set_whole_key_filtering(true);
        // A hash index inside each data block lets a point read (GetItem,
        // get-for-update) find its key without the binary search over the
        // block's restart points: GetItem at 1M items 6-13% faster, in 4 of
        // 5 alternating rounds (docs/design.md); range reads keep the
        // binary search.
        table_options.set_data_block_index_type(rocksdb::DataBlockIndexType::BinaryAndHash);
        // A full key (a restart point) every 4 entries of a data block
        // instead of every 16: a point read's hash-index hit, and a range
        // read's seek, then walk at most 3 prefix-compressed entries to
        // their key instead of up to 15, each a cache miss in a cold block.
        // At 1M items (3 alternating rounds each, in memory and durable):
        // GetItem +4..+7%, Query10 +3..+5% (3/3), for SST files ~10%
        // bigger; every 2 entries gained another 1-2% for more size.
        table_options.set_block_restart_interval(4);
        db_options.set_block_based_table_factory(&table_options);
        db_options.set_memtable_whole_key_filtering(true);
        db_options.set_memtable_prefix_bloom_ratio(0.02);
        if let Some(len) = options.range_prefix_len {
            db_options.set_prefix_extractor(SliceTransform::create_fixed_prefix(len));
        }
        // The WAL is written by the sync thread's FlushWAL, not by every
        // commit: one write and one fsync per group of commits.
        db_options.set_manual_wal_flush(!options.in_memory);
        // Reuse obsolete WAL files instead of creating new ones: a sync of
        // a write that overwrites allocated blocks of a file whose size does
        // not change costs the file system no metadata update (on the
        // benchmark VM 57 instead of 80-100 us of system CPU per fdatasync,
        // and the sync CPU is what bounds durable writes on one core).
        // Recycled records carry their log number, so recovery (RocksDB's
        // default point-in-time mode) stops at the first record of an
        // earlier use of the file.
        if !options.in_memory {
            db_options.set_recycle_log_file_num(2);
        }
        let env = if options.in_memory {
            let env = Env::mem_env().map_err(engine_error)?;
            db_options.set_env(&env);
            Some(env)
        } else {
            // RocksDB syncs its files and the data directory's entries, not
            // the data directory's own entry: without this a power cut could
            // take back a new database, its synced writes included.
            crate::create_dir_all_durably(&options.path)
                .map_err(|e| StorageError::Engine(format!("{}: {e}", options.path.display())))?;
            None
        };
        let db = Arc::new(DB::open(&db_options, &options.path).map_err(engine_error)?);
        let mut write_options = WriteOptions::default();
        // Durable commits go to the WAL unsynced; `group_sync` syncs them
        // before anyone is told about them.
        write_options.disable_wal(options.in_memory);
        let group_sync = if options.in_memory {
            None
        } else {
            let (published, synced) = (db.clone(), db.clone());
            let group_sync = GroupSync::start(
                move || published.latest_sequence_number(),
                move || synced.flush_wal(true).map_err(|e| e.into_string()),
            )
            .map_err(|e| StorageError::Engine(format!("cannot start the WAL sync thread: {e}")))?;
            Some(group_sync)
        };
        let range_iterators = Arc::new(RangeIterators::new(db.clone(), ReadTier::All));
        let range_iterators_in_memory =
            Arc::new(RangeIterators::new(db.clone(), ReadTier::BlockCache));
        let released = [range_iterators.clone(), range_iterators_in_memory.clone()];
        let disk_reads = (!options.in_memory).then(|| Arc::new(DiskReadWatch::new()));
        let watched = disk_reads.clone();
        let idle_compaction = (disk_reads.is_some()
            || options.compact_level0_when_idle_for.is_some())
        .then(|| {
            IdleCompaction::start(
                db.clone(),
                options.compact_level0_when_idle_for,
                move || {
                    for iterators in &released {
                        iterators.release_idle();
                    }
                    if let Some(watch) = &watched {
                        watch.look();
                    }
                },
            )
        })
        .transpose()
        .map_err(|e| StorageError::Engine(format!("cannot start the compaction thread: {e}")))?;
        Ok(RocksEngine {
            group_sync,
            _idle_compaction: idle_compaction,
            memory_first: disk_reads.is_some().then(MemoryFirst::default),
            disk_reads,
            range_iterators,
            range_iterators_in_memory,
            db,
            durable: !options.in_memory,
            write_options,
            point_read: ReadOptions::default(),
            point_read_in_memory: {
                let mut options = ReadOptions::default();
                options.set_read_tier(ReadTier::BlockCache);
                options
            },
            locks: RowLocks::new(Duration::from_millis(options.lock_timeout_ms)),
            write_failure: OnceLock::new(),
            range_prefix_len: options.range_prefix_len,
            _env: env,
        })
    }
}

impl RocksEngine {
    fn write(&self, batch: WriteBatch) -> Result<()> {
        self.db
            .write_opt(batch, &self.write_options)
            .map_err(|error| {
                if error.kind() == RocksErrorKind::IOError {
                    let _ = self.write_failure.set(error.clone().into_string());
                }
                engine_error(error)
            })
    }
}

fn bounded(start: &[u8], end: &[u8]) -> ReadOptions {
    let mut read_options = read_options();
    read_options.set_iterate_lower_bound(start.to_vec());
    read_options.set_iterate_upper_bound(end.to_vec());
    read_options
}

/// Whether both bounds have the same partition prefix.
fn one_prefix(prefix_len: Option<usize>, start: &[u8], end: &[u8]) -> bool {
    prefix_len
        .is_some_and(|len| start.len() >= len && end.len() >= len && start[..len] == end[..len])
}

/// A range read: bounded, and in prefix mode when both bounds share one
/// prefix. With a prefix extractor, an iterator that is in neither prefix
/// mode nor total order may silently skip keys, so every read picks one.
struct RangeRead<'k> {
    options: ReadOptions,
    mode: IteratorMode<'k>,
}

impl<'k> RangeRead<'k> {
    fn new(prefix_len: Option<usize>, start: &'k [u8], end: &'k [u8], reverse: bool) -> Self {
        let mut options = bounded(start, end);
        let mode = if one_prefix(prefix_len, start, end) {
            // Seek from a bound (not SeekToFirst/Last), so that the prefix
            // comes from a key inside the range.
            options.set_prefix_same_as_start(true);
            if reverse {
                IteratorMode::From(end, Direction::Reverse)
            } else {
                IteratorMode::From(start, Direction::Forward)
            }
        } else {
            options.set_total_order_seek(true);
            if reverse {
                IteratorMode::End
            } else {
                IteratorMode::Start
            }
        };
        RangeRead { options, mode }
    }
}

/// Lends each entry of a range read to `visit`. The crate's iterator
/// positions itself from the read's mode; its raw form then steps without
/// copying entries out.
fn visit_entries<D: rocksdb::DBAccess>(
    iter: rocksdb::DBIteratorWithThreadMode<'_, D>,
    reverse: bool,
    visit: &mut RangeVisitor<'_>,
) -> Result<()> {
    let mut raw: rocksdb::DBRawIteratorWithThreadMode<'_, D> = iter.into();
    while let Some((key, value)) = raw.item() {
        if visit(key, value).is_break() {
            return Ok(());
        }
        if reverse {
            raw.prev();
        } else {
            raw.next();
        }
    }
    raw.status().map_err(engine_error)
}

fn map_iter<'a, I>(iter: I) -> ScanIter<'a>
where
    I: Iterator<Item = std::result::Result<KeyValue, rocksdb::Error>> + 'a,
{
    Box::new(iter.map(|r| r.map_err(engine_error)))
}

struct RocksTransaction<'e> {
    engine: &'e RocksEngine,
    writes: PendingWrites<WriteBatch>,
    /// Released as the transaction drops, after its commit is visible.
    locked: HeldLocks<'e>,
}

impl WriteLog for WriteBatch {
    fn put(&mut self, key: &[u8], value: &[u8]) {
        WriteBatch::put(self, key, value);
    }

    fn delete(&mut self, key: &[u8]) {
        WriteBatch::delete(self, key);
    }

    fn add_counters(&mut self, key: &[u8], deltas: &[i64]) {
        self.merge(key, encode_counters(deltas));
    }

    fn is_empty(&self) -> bool {
        WriteBatch::is_empty(self)
    }

    fn replay(&self, own: &mut OwnWrites) {
        self.iterate_cf(&mut BatchReplay(own));
    }
}

/// Rebuilds a transaction's own writes from its batch.
struct BatchReplay<'o>(&'o mut OwnWrites);

impl WriteBatchIteratorCf for BatchReplay<'_> {
    fn put_cf(&mut self, _cf: u32, key: &[u8], value: &[u8]) {
        self.0.put(key, value);
    }

    fn delete_cf(&mut self, _cf: u32, key: &[u8]) {
        self.0.delete(key);
    }

    fn merge_cf(&mut self, _cf: u32, key: &[u8], value: &[u8]) {
        self.0.add_counters(key, &decode_counters(value));
    }
}

impl ReadView for RocksTransaction<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        if self.writes.is_empty() {
            return self.engine.get(key);
        }
        self.writes.own_writes().read(key, || self.engine.get(key))
    }

    fn scan<'s>(&'s self, start: &[u8], end: &[u8], reverse: bool) -> ScanIter<'s> {
        let read = RangeRead::new(self.engine.range_prefix_len, start, end, reverse);
        let committed = map_iter(self.engine.db.iterator_opt(read.mode, read.options));
        if self.writes.is_empty() {
            return committed;
        }
        self.writes
            .own_writes()
            .merge_range(committed, start, end, reverse)
    }
}

impl Transaction for RocksTransaction<'_> {
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
        let batch = std::mem::take(&mut self.writes).into_log();
        self.engine.write(batch)
        // The locks are released as the transaction drops, after the write
        // is visible.
    }
}

struct RocksSnapshot<'db> {
    snapshot: SnapshotWithThreadMode<'db, DB>,
    range_prefix_len: Option<usize>,
}

impl ReadView for RocksSnapshot<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.snapshot
            .get_opt(key, read_options())
            .map_err(engine_error)
    }

    fn scan<'s>(&'s self, start: &[u8], end: &[u8], reverse: bool) -> ScanIter<'s> {
        let read = RangeRead::new(self.range_prefix_len, start, end, reverse);
        map_iter(self.snapshot.iterator_opt(read.mode, read.options))
    }

    fn visit_range(
        &self,
        start: &[u8],
        end: &[u8],
        reverse: bool,
        visit: &mut RangeVisitor<'_>,
    ) -> Result<()> {
        let read = RangeRead::new(self.range_prefix_len, start, end, reverse);
        visit_entries(
            self.snapshot.iterator_opt(read.mode, read.options),
            reverse,
            visit,
        )
    }
}

impl Engine for RocksEngine {
    fn begin(&self) -> Box<dyn Transaction + '_> {
        Box::new(RocksTransaction {
            engine: self,
            writes: PendingWrites::default(),
            locked: HeldLocks::new(&self.locks),
        })
    }

    fn snapshot(&self) -> Box<dyn ReadView + '_> {
        Box::new(RocksSnapshot {
            snapshot: self.db.snapshot(),
            range_prefix_len: self.range_prefix_len,
        })
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let options = if memory_first::reads_limited_to_memory() {
            &self.point_read_in_memory
        } else {
            &self.point_read
        };
        self.db.get_opt(key, options).map_err(engine_error)
    }

    fn visit_latest_range(
        &self,
        start: &[u8],
        end: &[u8],
        reverse: bool,
        visit: &mut RangeVisitor<'_>,
    ) -> Result<()> {
        if one_prefix(self.range_prefix_len, start, end) {
            let iterators = if memory_first::reads_limited_to_memory() {
                &self.range_iterators_in_memory
            } else {
                &self.range_iterators
            };
            return iterators.visit(start, end, reverse, visit);
        }
        let read = RangeRead::new(self.range_prefix_len, start, end, reverse);
        visit_entries(
            self.db.iterator_opt(read.mode, read.options),
            reverse,
            visit,
        )
    }

    fn delete_range(&self, start: &[u8], end: &[u8]) -> Result<()> {
        const BATCH: usize = 1000;
        loop {
            let mut batch = WriteBatch::default();
            let read = RangeRead::new(self.range_prefix_len, start, end, false);
            let iter = self.db.iterator_opt(read.mode, read.options);
            for entry in iter.take(BATCH) {
                let (key, _) = entry.map_err(engine_error)?;
                batch.delete(key);
            }
            if batch.is_empty() {
                return Ok(());
            }
            self.write(batch)?;
        }
    }

    fn flush(&self) -> Result<()> {
        if !self.durable {
            // Nothing to persist, and the in-memory Env cannot sync a WAL.
            return Ok(());
        }
        self.db.flush_wal(true).map_err(engine_error)?;
        self.db.flush().map_err(engine_error)
    }

    fn pending_durability(&self) -> Option<DurabilityWait> {
        let group_sync = self.group_sync.as_ref()?;
        group_sync.wait_for(self.db.latest_sequence_number())
    }

    fn request_threads_idle(&self) {
        if let Some(group_sync) = &self.group_sync {
            group_sync.request_threads_idle();
        }
    }

    fn calls_may_block(&self) -> bool {
        self.disk_reads
            .as_ref()
            .is_some_and(|watch| watch.reads_wait())
    }

    fn request_disk_read_bytes(&self) -> Option<u64> {
        self.disk_reads.as_ref().map(|watch| watch.bytes_read())
    }

    fn memory_first(&self) -> Option<&MemoryFirst> {
        self.memory_first.as_ref()
    }

    fn failure(&self) -> Option<StorageFailure> {
        let group_sync = self.group_sync.as_ref()?;
        let (cause, why) = match group_sync.failure() {
            Some(why) => (FailureCause::LogSync, why.to_string()),
            None => (FailureCause::Write, self.write_failure.get()?.clone()),
        };
        Some(StorageFailure { cause, why })
    }
}
