//! dynalith's core: the catalog, the operations, and the single
//! read-modify-write path, on top of any storage [`Engine`].
//!
//! ```no_run
//! use dynalith_core::{Database, Operation, RequestContext};
//! use dynalith_storage::MemoryEngine;
//! use std::sync::Arc;
//!
//! let engine = MemoryEngine::default();
//! let db = Database::open(Arc::new(engine)).unwrap();
//! let body = br#"{"TableName":"t","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],
//!   "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;
//! let response = db.execute(Operation::CreateTable, body, &RequestContext::default()).unwrap();
//! ```

pub mod auto_scaling;
mod backfill;
pub mod backups;
pub mod bulk_operations;
pub mod capacity;
pub mod catalog;
pub mod contributor_insights;
pub mod counters;
mod describe;
pub mod encryption;
pub mod exports;
pub mod global_tables;
pub mod imports;
pub mod index;
pub mod key_range;
pub mod keys;
pub mod kinesis;
pub mod local_s3;
mod ops;
mod partiql;
pub mod point_in_time;
pub mod primary_key;
pub mod read_cache;
pub mod read_page;
pub mod request_tokens;
pub mod resource_policies;
pub mod s3;
pub mod stored_item;
pub mod streams;
pub mod table_reference;
pub mod table_status;
#[cfg(test)]
mod test_support;
pub mod throughput;
mod ttl;
mod updated_item;
pub mod validate;
pub mod vectors;
pub mod warm_throughput;
pub mod write;

pub use ops::Operation;

use catalog::Catalog;
use dynalith_model::DynamoError;
use dynalith_storage::{Engine, StorageError};
use std::sync::Arc;

/// The account every ARN names: credentials are not tied to accounts yet.
pub const ACCOUNT_ID: &str = "000000000000";

/// What the transport knows about a request that the operations need.
#[derive(Clone, Debug)]
pub struct RequestContext {
    /// From the signature's credential scope; names ARNs.
    pub region: String,
    /// The authority the client addressed (`Host`), which DescribeEndpoints
    /// hands back.
    pub host: Option<String>,
}

impl Default for RequestContext {
    fn default() -> Self {
        RequestContext {
            region: "us-east-1".to_string(),
            host: None,
        }
    }
}

/// A storage failure as the client sees it.
pub(crate) fn storage_error(error: StorageError) -> DynamoError {
    match error {
        StorageError::Conflict => {
            DynamoError::internal("the request conflicted with another; retry it")
        }
        StorageError::Unsupported(why) => {
            DynamoError::validation(format!("One or more parameter values were invalid: {why}"))
        }
        // Not a failure: the call was a try from memory, and runs again.
        StorageError::NeedsDevice => DynamoError::internal("a read needed the storage device"),
        other => {
            tracing::error!(%other, "storage failure");
            DynamoError::internal("Internal server error")
        }
    }
}

/// Microseconds since the epoch (Kinesis records' creation times).
pub(crate) fn now_epoch_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// Seconds since the epoch, as DynamoDB reports timestamps.
pub(crate) fn now_epoch_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as f64 / 1000.0)
        .unwrap_or(0.0)
}

/// A time a client sent (epoch seconds), to the millisecond, as every time
/// here is kept. A time read from an answer (an EarliestRestorableDateTime,
/// a backup's creation time) may come back a hair off: the SDKs carry it
/// through whole seconds and nanoseconds (the Rust SDK sent
/// 1764652800.122999906 for 1764652800.123), and parsing the decimal may
/// round to a neighbouring float (a ListBackups bound once missed the
/// backup whose creation time it was). It must still name that
/// millisecond and compare equal to it.
pub(crate) fn to_the_millisecond(epoch_seconds: f64) -> f64 {
    (epoch_seconds * 1000.0).round() / 1000.0
}

/// Quotas that DynamoDB fixes and dynalith lets an operator choose.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest item collection (items and local-index entries sharing a
    /// partition-key value) on a table with local indexes.
    pub item_collection_bytes: i64,
    /// How long stream records are kept, and a disabled stream readable
    /// (DynamoDB: 24 hours).
    pub stream_retention_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            item_collection_bytes: 10 * 1024 * 1024 * 1024,
            stream_retention_seconds: streams::RETENTION_SECONDS as u64,
        }
    }
}

/// What an operator chooses when opening a database.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub limits: Limits,
    pub read_cache: read_cache::ReadCacheOptions,
    /// The directory standing in for S3 (`local_s3`); None: exports fail
    /// and imports find no bucket.
    pub s3_dir: Option<std::path::PathBuf>,
    /// An S3-compatible service to use instead of `s3_dir` (`s3`).
    pub s3_remote: Option<Arc<dyn s3::RemoteS3>>,
    /// Throttle requests over provisioned capacity and on-demand maximums
    /// (`throughput`).
    pub enforce_throughput: bool,
    /// How often the auto scaler observes consumption (`auto_scaling`);
    /// None: DynamoDB's minute.
    pub auto_scaling_period: Option<std::time::Duration>,
    /// How long a table stays CREATING, UPDATING or DELETING, and a new
    /// global index CREATING at least (`table_status`); zero: changes are
    /// immediate.
    pub transient_status: std::time::Duration,
}

/// One database: an engine and its catalog.
pub struct Database {
    engine: Arc<dyn Engine>,
    catalog: Catalog,
    limits: Limits,
    /// Shared by every write attempt, taken exclusively to publish index
    /// creation and deletion (see `write.rs`).
    write_gate: parking_lot::RwLock<()>,
    request_tokens: request_tokens::RequestTokens,
    /// Lets background work (index backfills, the TTL sweeper) hold the
    /// database.
    self_ref: std::sync::Weak<Database>,
    /// Whether the thread deleting expired items runs (`ttl.rs`).
    ttl_sweeper_started: std::sync::atomic::AtomicBool,
    /// Whether the thread scaling provisioned capacity runs
    /// (`auto_scaling/scaler.rs`), and how often it looks.
    scaler_started: std::sync::atomic::AtomicBool,
    auto_scaling_period: std::time::Duration,
    streams: streams::Streams,
    /// Whether the thread trimming stream records and folding history runs
    /// (`streams/retention.rs`).
    retention_started: std::sync::atomic::AtomicBool,
    read_cache: read_cache::ReadCache,
    s3: s3::ObjectStore,
    throughput: throughput::ThroughputLimits,
    /// Opened by `open_follower`: serves reads only, runs no background
    /// work.
    follower: bool,
}

impl Database {
    pub fn open(engine: Arc<dyn Engine>) -> Result<Arc<Database>, DynamoError> {
        Database::open_with(engine, Settings::default())
    }

    pub fn open_with(
        engine: Arc<dyn Engine>,
        settings: Settings,
    ) -> Result<Arc<Database>, DynamoError> {
        let db = Database::assemble(engine, settings, false)?;
        db.resume_pending_drops()?;
        db.drop_unfinished_restores()?;
        db.fail_unfinished_exports()?;
        db.fail_unfinished_imports()?;
        db.fail_unfinished_bulk_operations()?;
        db.resume_backfills();
        db.resume_ttl();
        db.resume_scaling();
        db.register_unrecorded_streams()?;
        db.resume_history_sequence()?;
        let recovering = db.catalog.names().iter().any(|name| {
            db.catalog
                .get(name)
                .is_some_and(|t| t.point_in_time_recovery.is_some())
        });
        if recovering || !db.streams.all().is_empty() {
            db.start_retention();
        }
        Ok(db)
    }

    /// A database for a server that follows another on the same storage
    /// (a shared PostgreSQL schema): it answers the operations
    /// `Operation::served_by_followers` names and refuses the others, which
    /// its server sends to the one it follows. It finishes nothing a
    /// crash left half-done and starts no background work: that is the
    /// other server's, which may be in the middle of it. Its catalog is
    /// read again when the other server changes it (`refresh_catalog`);
    /// it has no read cache, since it does not see the writes that would
    /// invalidate one.
    pub fn open_follower(
        engine: Arc<dyn Engine>,
        settings: Settings,
    ) -> Result<Arc<Database>, DynamoError> {
        let settings = Settings {
            read_cache: read_cache::ReadCacheOptions::default(),
            ..settings
        };
        Database::assemble(engine, settings, true)
    }

    fn assemble(
        engine: Arc<dyn Engine>,
        settings: Settings,
        follower: bool,
    ) -> Result<Arc<Database>, DynamoError> {
        let catalog = Catalog::load(&*engine, settings.transient_status)?;
        let request_tokens = request_tokens::RequestTokens::load(&*engine)?;
        let streams = streams::Streams::load(&*engine)?;
        Ok(Arc::new_cyclic(|self_ref| Database {
            engine,
            catalog,
            request_tokens,
            limits: settings.limits,
            write_gate: parking_lot::RwLock::new(()),
            self_ref: self_ref.clone(),
            ttl_sweeper_started: std::sync::atomic::AtomicBool::new(false),
            scaler_started: std::sync::atomic::AtomicBool::new(false),
            auto_scaling_period: settings
                .auto_scaling_period
                .unwrap_or(auto_scaling::scaler::DEFAULT_PERIOD),
            streams,
            retention_started: std::sync::atomic::AtomicBool::new(false),
            read_cache: read_cache::ReadCache::new(settings.read_cache),
            s3: match settings.s3_remote {
                Some(remote) => s3::ObjectStore::Remote(remote),
                None => s3::ObjectStore::Directory(local_s3::LocalS3::new(settings.s3_dir)),
            },
            throughput: throughput::ThroughputLimits::new(settings.enforce_throughput),
            follower,
        }))
    }

    /// Whether this database was opened by `open_follower`.
    pub fn is_follower(&self) -> bool {
        self.follower
    }

    /// Reads the catalog again if it changed in storage since it was read:
    /// for a follower, whose leader changes it. Whether it had changed.
    pub fn refresh_catalog(&self) -> Result<bool, DynamoError> {
        self.catalog.refresh(&*self.engine)
    }

    pub fn request_tokens(&self) -> &request_tokens::RequestTokens {
        &self.request_tokens
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Runs `publish` once no write is in flight, and before any later
    /// write starts: for catalog changes every write must observe at once.
    pub(crate) fn publish_exclusively<T>(&self, publish: impl FnOnce() -> T) -> T {
        let _gate = self.write_gate.write();
        publish()
    }

    pub fn streams(&self) -> &streams::Streams {
        &self.streams
    }

    pub fn engine(&self) -> &dyn Engine {
        &*self.engine
    }

    /// The engine, without keeping it open: it closes once no database
    /// and no call holds it any more (which reopening its storage awaits).
    pub fn engine_in_use(&self) -> std::sync::Weak<dyn Engine> {
        Arc::downgrade(&self.engine)
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn read_cache(&self) -> &read_cache::ReadCache {
        &self.read_cache
    }

    pub fn throughput(&self) -> &throughput::ThroughputLimits {
        &self.throughput
    }

    pub(crate) fn s3(&self) -> &s3::ObjectStore {
        &self.s3
    }

    /// Runs one operation on a JSON request body; returns the JSON response
    /// body. Never waits for the disk; a caller must await
    /// `Engine::pending_durability` before it answers (see the server's
    /// handler). It may wait for another writer's row lock, which is held
    /// only while that writer's operation runs.
    pub fn execute(
        &self,
        operation: Operation,
        body: &[u8],
        context: &RequestContext,
    ) -> Result<Vec<u8>, DynamoError> {
        if self.follower && !operation.served_by_followers(body) {
            return Err(DynamoError::internal(format!(
                "{} must go to the server this one follows",
                operation.name()
            )));
        }
        ops::execute_request(self, operation, body, context)
    }

    /// Removes the data of tables dropped before a crash or restart.
    fn resume_pending_drops(&self) -> Result<(), DynamoError> {
        let (start, end) = keys::pending_drops_range();
        let pending: Vec<u32> = {
            let snapshot = self.engine.snapshot();
            let mut ids = Vec::new();
            for entry in snapshot.scan(&start, &end, false) {
                let (key, _) = entry.map_err(storage_error)?;
                ids.extend(keys::table_id_of_pending_drop(&key));
            }
            ids
        };
        for id in pending {
            self.drop_table_data(id);
        }
        Ok(())
    }

    /// Removes a table: its catalog entry at once (its stream stays
    /// readable, disabled, for its retention time), its data in the
    /// background. The caller holds the catalog's change lock.
    pub(crate) fn drop_table(&self, table: &catalog::TableMeta) -> Result<(), DynamoError> {
        let ids: Vec<u32> = std::iter::once(table.id)
            .chain(table.indexes.iter().map(|i| i.id))
            .chain(table.point_in_time_recovery.as_ref().map(|r| r.base_id))
            .collect();
        let mut txn = self.engine.begin();
        catalog::delete_entry(&mut *txn, &table.name)?;
        for &id in &ids {
            txn.put(&keys::pending_drop(id), b"")
                .map_err(storage_error)?;
        }
        let stream = streams::disable(&self.streams, table, &mut *txn)?;
        // Kinesis destinations stop with the table; what they have not
        // delivered goes with their logs.
        let kinesis_logs: Vec<_> = kinesis::recording_logs(table)
            .filter_map(|log| kinesis::closed_log(self, log))
            .collect();
        for log in &kinesis_logs {
            log.persist(&mut *txn)?;
        }
        txn.commit().map_err(storage_error)?;
        // No write may straddle the drop: one that started earlier could
        // otherwise land after the data is gone.
        self.publish_exclusively(|| self.catalog.unpublish(&table.name));
        for stream in stream.into_iter().chain(kinesis_logs) {
            self.streams.publish(stream);
        }
        for id in ids {
            self.drop_table_data(id);
        }
        Ok(())
    }

    /// Drops the tables whose restore a crash interrupted.
    fn drop_unfinished_restores(&self) -> Result<(), DynamoError> {
        let _changes = self.catalog.lock_changes();
        for name in self.catalog.names() {
            let Some(table) = self.catalog.get(&name) else {
                continue;
            };
            if table.restore.as_ref().is_some_and(|r| r.in_progress) || table.importing {
                tracing::warn!(table = %name, "dropping a table whose restore or import did not finish");
                self.drop_table(&table)?;
            }
        }
        Ok(())
    }

    /// Deletes a dropped table's (or index's) data in the background; the
    /// pending-drop marker goes last, so a crash midway resumes at the next
    /// start.
    pub(crate) fn drop_table_data(&self, table_id: u32) {
        let engine = Arc::clone(&self.engine);
        std::thread::spawn(move || {
            let (start, end) = keys::table_items_range(table_id);
            let (collections_start, collections_end) = keys::item_collections_range(table_id);
            let (counters_start, counters_end) = keys::table_counters_range(table_id);
            let (history_start, history_end) = keys::history_range(table_id);
            let result = engine
                .delete_range(&start, &end)
                .and_then(|()| engine.delete_range(&collections_start, &collections_end))
                .and_then(|()| engine.delete_range(&counters_start, &counters_end))
                .and_then(|()| engine.delete_range(&history_start, &history_end))
                .and_then(|()| {
                    let mut txn = engine.begin();
                    txn.delete(&keys::pending_drop(table_id))?;
                    txn.commit()
                });
            if let Err(e) = result {
                tracing::error!(table_id, %e, "dropping a deleted table's data failed; will resume at restart");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_time_sent_back_a_hair_off_names_its_millisecond() {
        let created = 1_764_652_800_123_f64 / 1000.0;
        for sent_back in [
            f64::from_bits(created.to_bits() + 1),
            f64::from_bits(created.to_bits() - 1),
            "1764652800.122999906".parse().unwrap(),
        ] {
            assert_eq!(super::to_the_millisecond(sent_back), created);
        }
        assert!(super::to_the_millisecond(1_764_652_800.122_4) < created);
    }
}
