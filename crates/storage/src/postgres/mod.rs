//! The PostgreSQL engine: dynalith's data in a PostgreSQL-protocol database
//! (PostgreSQL itself, or a compatible distributed one), for deployments
//! that want that database's replication, backups and operations rather
//! than files of dynalith's own.
//!
//! Everything lives in one table of the chosen schema, `kv (k bytea primary
//! key, v bytea)`: bytea compares as unsigned bytes, the order the core's
//! key layout is built for, so a range read is a range scan of the primary
//! key's index.
//!
//! Transactions behave as the embedded engine's do. `get_for_update` takes
//! a transaction-scoped advisory lock on the key's 64-bit hash, then reads
//! the latest committed value: unlike a row lock it also covers keys that do
//! not exist yet (two conditional puts of a new item must not both see it
//! absent), and every front end sharing the database honours it. Writes are
//! buffered and sent in one round trip with the COMMIT. Counter additions
//! neither read nor lock their key: the commit adds them to whatever is
//! committed by then (`add_counters` in SQL), as RocksDB's merge operator
//! does. A lock wait that times out, or a deadlock PostgreSQL breaks, is a
//! `Conflict`, which the core retries.
//!
//! Snapshots are REPEATABLE READ, read-only transactions. Durability is the
//! database's: a commit returns once its WAL record is flushed (with
//! PostgreSQL's default `synchronous_commit`), so nothing waits afterwards.

mod connection;
mod ownership;
mod sql;
mod tls;
mod transaction;

use crate::own_writes::OwnWrites;
use crate::{DurabilityWait, Engine, ReadView, Result, StorageError, Transaction};
use connection::{pg_error, ConnectErrors, Connection, Connector, PgConnection, CONNECTIONS_HELD};
use ownership::Ownership;
use sql::{quoted_schema, schema_sql};
use std::cell::RefCell;
use std::str::FromStr;
use std::time::Duration;
use transaction::{PgSnapshot, PgTransaction};

/// How to reach the database.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// A libpq-style connection string or `postgres://` URL.
    pub url: String,
    /// The schema that holds dynalith's table, created when missing. Several
    /// dynalith deployments can share a database under different schemas.
    pub schema: String,
    /// Connections kept open; requests beyond that many wait for one.
    pub pool_size: u32,
    /// How long a writer waits for another writer's lock before the
    /// operation is retried.
    pub lock_timeout: Duration,
    /// Refuse to open while another engine holds the schema, and hold it
    /// until dropped. Several engines on one schema share data and locks
    /// correctly, but a server keeps state beside them (its catalog cache,
    /// and at start-up it clears what a crash left half-done, which would
    /// be another live server's work in progress).
    pub exclusive: bool,
    /// With `exclusive`: when another engine holds the schema, open anyway
    /// without it, and take it once that engine lets it go (see
    /// `PgEngine::follows`).
    pub follow: bool,
    /// CA certificates (PEM) that the server's certificate must chain to
    /// when the URL says `sslmode=require`, instead of the system's roots
    /// (`tls`).
    pub ca_file: Option<std::path::PathBuf>,
}

impl PgOptions {
    pub fn new(url: impl Into<String>) -> Self {
        PgOptions {
            url: url.into(),
            schema: "dynalith".to_string(),
            pool_size: 16,
            lock_timeout: Duration::from_secs(2),
            exclusive: true,
            follow: false,
            ca_file: None,
        }
    }

    pub fn with_ca_file(mut self, file: impl Into<std::path::PathBuf>) -> Self {
        self.ca_file = Some(file.into());
        self
    }

    /// Lets other engines open the same schema at the same time.
    pub fn shared(mut self) -> Self {
        self.exclusive = false;
        self
    }

    /// Follows the engine holding the schema, if one does, instead of
    /// refusing to open.
    pub fn following(mut self) -> Self {
        self.follow = true;
        self
    }

    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    pub fn with_pool_size(mut self, size: u32) -> Self {
        self.pool_size = size;
        self
    }
}

/// Rows a range read asks for first; each further page asks for more, up
/// to `LAST_PAGE_ROWS` or about `PAGE_BYTES`, so a Query of 10 items does
/// not fetch thousands and a Scan does not pay a round trip per handful of
/// items.
const FIRST_PAGE_ROWS: i64 = 32;
const LAST_PAGE_ROWS: i64 = 2048;
const PAGE_BYTES: i64 = 1 << 20;
/// How long a connection attempt may take, unless the URL says otherwise.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Keys a dropped table's cleanup deletes per statement.
const DELETE_BATCH: i64 = 1000;
/// The advisory lock that serializes the schema's creation between front
/// ends starting together.
const SETUP_LOCK: i64 = 0x6479_6e61_6c69_7468; // "dynalith"
/// The advisory lock behind the schema's fence (`Fence`), mixed with the
/// schema's seed.
const FENCE_LOCK: i64 = 0x6665_6e63_6500_0000; // "fence"

pub struct PgEngine {
    pool: r2d2::Pool<Connector>,
    /// For connections beyond the pool's (see `connection`).
    connector: Connector,
    /// Mixed into every key's lock id, so that deployments in different
    /// schemas of one database do not share locks.
    lock_seed: u64,
    /// The schema's lock, when exclusive.
    owner: Option<Ownership>,
    /// The id of the fence's advisory lock.
    fence_lock: i64,
}

/// What keeps a server that lost its schema from writing to it. The holder
/// of the schema's lock has a term, one more than its predecessor's, kept
/// in the schema's `fence` table. Every write transaction of an exclusive
/// engine checks, in its first statement, that the table still holds its
/// term, and takes the fence's advisory lock shared until it ends. A new
/// holder takes that lock exclusively to raise the term: it waits for the
/// writes in flight, and every write that starts later sees the new term
/// and fails. So nothing a superseded server does after its successor took
/// over lands, even when it has not noticed yet (only its lock's connection
/// broke, and it goes on writing through the others for up to a keeper's
/// check).
#[derive(Clone, Copy)]
struct Fence {
    lock: i64,
    /// None for an engine that shares its schema without a lock
    /// (`PgOptions::shared`), which writes unchecked; -1 for one that
    /// follows another and must not write at all.
    term: Option<i64>,
}

impl Fence {
    /// `check_fence`'s arguments as SQL text.
    fn arguments(&self) -> String {
        match self.term {
            Some(term) => format!("{}, {term}", self.lock),
            None => format!("{}, NULL::bigint", self.lock),
        }
    }
}

impl PgEngine {
    /// Connects, creates the schema, its table and its function when
    /// missing, and opens the pool.
    pub fn open(options: &PgOptions) -> Result<Self> {
        let schema = quoted_schema(&options.schema)?;
        let mut config = postgres::Config::from_str(&options.url)
            .map_err(|e| StorageError::Engine(format!("invalid PostgreSQL URL: {e}")))?;
        // Without a timeout, a connect to a host that drops packets waits
        // for the kernel's (minutes): the pool's and the schema keeper's
        // reconnects while the network is down would hang that long, and
        // shutdown with them. The URL's `connect_timeout` wins.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        // Named for PostgreSQL's activity views (and an operator), unless
        // the URL names them.
        if config.get_application_name().is_none() {
            config.application_name(&format!("dynalith schema {}", options.schema));
        }
        // The set-up connection goes on to hold the schema; its name tells
        // PostgreSQL's activity views (and an operator) what it is.
        let mut owner_config = config.clone();
        owner_config.application_name(&format!("dynalith owner of schema {}", options.schema));
        let connections = tls::Connections::for_config(&config, options.ca_file.as_deref())?;
        let mut setup = connections.open(&owner_config)?;
        setup
            .batch_execute(&schema_sql(&schema))
            .map_err(pg_error)?;
        let lock_seed = xxhash_rust::xxh3::xxh3_64(options.schema.as_bytes());
        let fence_lock = lock_seed as i64 ^ FENCE_LOCK;
        let owner = if options.exclusive {
            let owner_lock = lock_seed as i64 ^ SETUP_LOCK;
            Some(Ownership::take(
                &owner_config,
                &connections,
                setup,
                owner_lock,
                fence_lock,
                &options.schema,
                options.follow,
            )?)
        } else {
            None
        };
        let connector = Connector {
            config,
            connections,
            schema,
            lock_timeout: options.lock_timeout,
        };
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(1))
            // A checked-out connection is used at once and a broken one
            // fails that use, so no round trip is spent testing it first.
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(10))
            .error_handler(Box::new(ConnectErrors))
            .build(connector.clone())
            .map_err(|e| StorageError::Engine(format!("PostgreSQL pool: {e}")))?;
        Ok(PgEngine {
            pool,
            connector,
            lock_seed,
            owner,
            fence_lock,
        })
    }

    /// Whether another engine holds the schema while this one follows it
    /// (opened with `PgOptions::following`): its server must leave writes
    /// and background work to that one's.
    pub fn follows(&self) -> bool {
        self.owner.as_ref().is_some_and(|owner| !owner.held())
    }

    /// Why this engine stopped serving, if another engine took its schema
    /// while its connection was down: every operation fails from then on.
    pub fn lost_schema(&self) -> Option<String> {
        self.owner.as_ref().and_then(Ownership::lost)
    }

    /// A connection for this thread. One operation may hold several at
    /// once (a transaction's and a snapshot's, say), so a thread that
    /// already holds one never waits for the pool: when the pool has none
    /// free it opens one of its own for the while. Otherwise operations
    /// that each hold one connection could wait forever for their second.
    fn connection(&self) -> Result<Connection> {
        if let Some(owner) = &self.owner {
            owner.check()?;
        }
        let held = CONNECTIONS_HELD.get();
        let connection = if held == 0 {
            Connection::Pooled(
                self.pool
                    .get()
                    .map_err(|e| StorageError::Engine(format!("no PostgreSQL connection: {e}")))?,
            )
        } else if let Some(pooled) = self.pool.try_get() {
            Connection::Pooled(pooled)
        } else {
            let own = r2d2::ManageConnection::connect(&self.connector);
            Connection::Overflow(Box::new(own.map_err(pg_error)?))
        };
        CONNECTIONS_HELD.set(held + 1);
        Ok(connection)
    }

    /// The id of the fence's advisory lock (`Fence`), as `pg_locks` shows
    /// it (`(classid << 32) | objid`).
    pub fn fence_lock(&self) -> i64 {
        self.fence_lock
    }

    fn fence(&self) -> Fence {
        Fence {
            lock: self.fence_lock,
            term: self.owner.as_ref().map(Ownership::term),
        }
    }

    fn lock_id(&self, key: &[u8]) -> i64 {
        xxhash_rust::xxh3::xxh3_64_with_seed(key, self.lock_seed) as i64
    }
}

impl Engine for PgEngine {
    fn begin(&self) -> Box<dyn Transaction + '_> {
        Box::new(PgTransaction {
            engine: self,
            open: RefCell::new(None),
            own_writes: OwnWrites::default(),
        })
    }

    fn snapshot(&self) -> Box<dyn ReadView + '_> {
        Box::new(PgSnapshot::take(self))
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.connection()?.get(key)
    }

    fn delete_range(&self, start: &[u8], end: &[u8]) -> Result<()> {
        let fence = self.fence();
        let mut pooled = self.connection()?;
        let conn: &mut PgConnection = &mut pooled;
        loop {
            // Each batch its own transaction, behind the fence.
            let mut batch = conn.client.transaction().map_err(pg_error)?;
            batch
                .execute(&conn.statements.check_fence, &[&fence.lock, &fence.term])
                .map_err(pg_error)?;
            let deleted = batch
                .execute(
                    &conn.statements.delete_batch,
                    &[&start, &end, &DELETE_BATCH],
                )
                .map_err(pg_error)?;
            batch.commit().map_err(pg_error)?;
            if deleted == 0 {
                return Ok(());
            }
        }
    }

    fn flush(&self) -> Result<()> {
        // Every commit is durable in the database when it returns.
        Ok(())
    }

    fn pending_durability(&self) -> Option<DurabilityWait> {
        None
    }

    fn calls_may_block(&self) -> bool {
        true
    }
}
