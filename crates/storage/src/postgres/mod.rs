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

mod ownership;
mod tls;

use crate::own_writes::{FinalWrite, OwnWrites};
use crate::{
    DurabilityWait, Engine, KeyValue, ReadView, Result, ScanIter, StorageError, Transaction,
};
use ownership::Ownership;
use postgres::error::SqlState;
use postgres::{Client, SimpleQueryMessage, Statement};
use std::cell::{Cell, RefCell};
use std::str::FromStr;
use std::time::Duration;

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

/// The schema's name as an SQL identifier. Only plain names are taken, so
/// quoting never has to escape anything.
fn quoted_schema(schema: &str) -> Result<String> {
    let plain = !schema.is_empty()
        && schema.len() <= 63
        && schema
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !schema.as_bytes()[0].is_ascii_digit();
    if !plain {
        return Err(StorageError::Engine(format!(
            "invalid PostgreSQL schema name {schema:?}: letters, digits and _ only"
        )));
    }
    Ok(format!("\"{schema}\""))
}

/// The SQLSTATE `check_fence` raises.
const FENCED: &str = "DYN01";

fn schema_sql(schema: &str) -> String {
    format!(
        "SELECT pg_advisory_lock({SETUP_LOCK});
         CREATE SCHEMA IF NOT EXISTS {schema};
         CREATE TABLE IF NOT EXISTS {schema}.kv (k bytea PRIMARY KEY, v bytea NOT NULL);
         -- One row: the term of the server holding the schema (`Fence`).
         CREATE TABLE IF NOT EXISTS {schema}.fence
           (one boolean PRIMARY KEY DEFAULT true CHECK (one), term bigint NOT NULL);
         INSERT INTO {schema}.fence (term) VALUES (0) ON CONFLICT DO NOTHING;
         CREATE OR REPLACE FUNCTION {schema}.check_fence(fence_lock bigint, held_term bigint)
           RETURNS boolean LANGUAGE plpgsql AS $$
           BEGIN
             IF held_term IS NULL THEN
               RETURN true;
             END IF;
             PERFORM pg_advisory_xact_lock_shared(fence_lock);
             IF (SELECT f.term FROM {schema}.fence f) IS DISTINCT FROM held_term THEN
               RAISE EXCEPTION 'another dynalith server holds this schema now'
                 USING ERRCODE = '{FENCED}';
             END IF;
             RETURN true;
           END $$;
         CREATE OR REPLACE FUNCTION {schema}.lock_and_get(lock_id bigint, wanted bytea,
             fence_lock bigint, held_term bigint)
           RETURNS bytea LANGUAGE plpgsql AS $$
           DECLARE
             found bytea;
             fenced_term bigint;
           BEGIN
             -- check_fence, inlined: a statement fewer per write.
             IF held_term IS NULL THEN
               PERFORM pg_advisory_xact_lock(lock_id);
             ELSE
               PERFORM pg_advisory_xact_lock_shared(fence_lock), pg_advisory_xact_lock(lock_id);
             END IF;
             -- A new statement: in READ COMMITTED it sees every commit made
             -- before the locks were granted.
             SELECT (SELECT v FROM {schema}.kv WHERE k = wanted),
                    (SELECT f.term FROM {schema}.fence f)
               INTO found, fenced_term;
             IF held_term IS NOT NULL AND fenced_term IS DISTINCT FROM held_term THEN
               RAISE EXCEPTION 'another dynalith server holds this schema now'
                 USING ERRCODE = '{FENCED}';
             END IF;
             RETURN found;
           END $$;
         -- Counters as `dynalith_storage::encode_counters` lays them out
         -- (i64s, little-endian), added element-wise; the shorter operand
         -- counts as zeros.
         CREATE OR REPLACE FUNCTION {schema}.add_counters(current bytea, delta bytea)
           RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT AS $$
           DECLARE
             n int := greatest(length(current), length(delta)) / 8;
             total bytea := decode(repeat('00', n * 8), 'hex');
             a bigint;
             b bigint;
           BEGIN
             FOR i IN 0 .. n - 1 LOOP
               a := 0;
               b := 0;
               FOR j IN 0 .. 7 LOOP
                 IF i * 8 + 8 <= length(current) THEN
                   a := a | (get_byte(current, i * 8 + j)::bigint << (8 * j));
                 END IF;
                 IF i * 8 + 8 <= length(delta) THEN
                   b := b | (get_byte(delta, i * 8 + j)::bigint << (8 * j));
                 END IF;
               END LOOP;
               a := a + b;
               FOR j IN 0 .. 7 LOOP
                 total := set_byte(total, i * 8 + j, ((a >> (8 * j)) & 255)::int);
               END LOOP;
             END LOOP;
             RETURN total;
           END $$;
         SELECT pg_advisory_unlock({SETUP_LOCK});"
    )
}

/// Makes the pool's connections, each with its statements prepared once.
#[derive(Clone)]
struct Connector {
    config: postgres::Config,
    connections: tls::Connections,
    schema: String,
    lock_timeout: Duration,
}

struct PgConnection {
    client: Client,
    /// The schema, quoted, for the statements sent as text.
    schema: String,
    statements: Statements,
    /// Set when a rollback failed: the connection may still be inside a
    /// transaction and must not be handed out again.
    poisoned: bool,
}

thread_local! {
    /// Connections the current thread holds (see `PgEngine::connection`).
    static CONNECTIONS_HELD: Cell<usize> = const { Cell::new(0) };
}

/// A connection from the pool, or one opened beyond it for a thread that
/// already holds one. (The overflow is boxed as the rare case; the pooled
/// one is not, to save an allocation per operation.)
#[allow(clippy::large_enum_variant)]
enum Connection {
    Pooled(r2d2::PooledConnection<Connector>),
    Overflow(Box<PgConnection>),
}

impl std::ops::Deref for Connection {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        match self {
            Connection::Pooled(pooled) => pooled,
            Connection::Overflow(own) => own,
        }
    }
}

impl std::ops::DerefMut for Connection {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match self {
            Connection::Pooled(pooled) => pooled,
            Connection::Overflow(own) => own,
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        CONNECTIONS_HELD.set(CONNECTIONS_HELD.get().saturating_sub(1));
    }
}

struct Statements {
    get: Statement,
    lock_and_get: Statement,
    check_fence: Statement,
    range_forward: Statement,
    range_backward: Statement,
    write: Statement,
    delete_batch: Statement,
}

impl Statements {
    fn prepare(client: &mut Client, schema: &str) -> std::result::Result<Self, postgres::Error> {
        let range = "SELECT k, v FROM {schema}.kv WHERE k >= $1 AND k < $2 ORDER BY k";
        let range = range.replace("{schema}", schema);
        Ok(Statements {
            get: client.prepare(&format!("SELECT v FROM {schema}.kv WHERE k = $1"))?,
            lock_and_get: client
                .prepare(&format!("SELECT {schema}.lock_and_get($1, $2, $3, $4)"))?,
            check_fence: client.prepare(&format!("SELECT {schema}.check_fence($1, $2)"))?,
            range_forward: client.prepare(&format!("{range} LIMIT $3"))?,
            range_backward: client.prepare(&format!("{range} DESC LIMIT $3"))?,
            // The keys of a transaction's writes are distinct, so the
            // deletes, the upserts and the counter additions never touch
            // the same row.
            write: client.prepare(&format!(
                "WITH gone AS (DELETE FROM {schema}.kv WHERE k = ANY($1::bytea[])),
                 added AS ({})
                 INSERT INTO {schema}.kv (k, v) SELECT * FROM unnest($2::bytea[], $3::bytea[])
                 ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                add_counters_sql(schema, "SELECT * FROM unnest($4::bytea[], $5::bytea[])")
            ))?,
            delete_batch: client.prepare(&format!(
                "DELETE FROM {schema}.kv WHERE k IN
                   (SELECT k FROM {schema}.kv WHERE k >= $1 AND k < $2 ORDER BY k LIMIT $3)"
            ))?,
        })
    }
}

/// An upsert adding the counters `rows` (key, encoded deltas) yields to what
/// each key holds. Only such a statement locks a counter's row, and in a
/// transaction's commit it runs last, right before COMMIT, so a counter row
/// is never held while its holder waits for another lock. (Should
/// PostgreSQL still find a deadlock, it is a `Conflict`, which the core
/// retries.)
fn add_counters_sql(schema: &str, rows: &str) -> String {
    format!(
        "INSERT INTO {schema}.kv (k, v) {rows}
         ON CONFLICT (k) DO UPDATE SET v = {schema}.add_counters({schema}.kv.v, excluded.v)"
    )
}

/// The pool retries a failed connect until a request's wait runs out, and
/// that request then fails with the last error; logging each attempt as
/// well would flood the log while the database is down.
#[derive(Debug)]
struct ConnectErrors;

impl r2d2::HandleError<postgres::Error> for ConnectErrors {
    fn handle_error(&self, error: postgres::Error) {
        tracing::debug!(error = %describe(&error), "cannot open a PostgreSQL connection");
    }
}

impl r2d2::ManageConnection for Connector {
    type Connection = PgConnection;
    type Error = postgres::Error;

    fn connect(&self) -> std::result::Result<PgConnection, postgres::Error> {
        let mut client = self.connections.connect(&self.config)?;
        client.batch_execute(&format!(
            "SET lock_timeout = {}; SET bytea_output = 'hex'",
            self.lock_timeout.as_millis().max(1)
        ))?;
        let statements = Statements::prepare(&mut client, &self.schema)?;
        Ok(PgConnection {
            client,
            schema: self.schema.clone(),
            statements,
            poisoned: false,
        })
    }

    fn is_valid(&self, conn: &mut PgConnection) -> std::result::Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut PgConnection) -> bool {
        conn.poisoned || conn.client.is_closed()
    }
}

/// A bytea value as SQL text. `decode` rather than a `'\x..'` literal,
/// whose meaning depends on `standard_conforming_strings`.
fn bytea_literal(bytes: &[u8]) -> String {
    format!("decode('{}','hex')", hex::encode(bytes))
}

/// A bytea value as the simple query protocol returns it (hex output).
fn decode_bytea_text(text: &str) -> Result<Vec<u8>> {
    text.strip_prefix("\\x")
        .and_then(|digits| hex::decode(digits).ok())
        .ok_or_else(|| StorageError::Engine("unexpected bytea text from PostgreSQL".into()))
}

/// The error message PostgreSQL gave, without the driver's wrapping.
fn describe(error: &postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{}: {}", db.code().code(), db.message());
    }
    // The driver's message names the step; its source says what failed
    // ("Connection refused").
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text += &format!(": {cause}");
        source = cause.source();
    }
    text
}

fn pg_error(error: postgres::Error) -> StorageError {
    let retry = [
        SqlState::LOCK_NOT_AVAILABLE,
        SqlState::T_R_DEADLOCK_DETECTED,
        SqlState::T_R_SERIALIZATION_FAILURE,
    ];
    match error.code() {
        Some(code) if retry.contains(code) => StorageError::Conflict,
        Some(&SqlState::PROGRAM_LIMIT_EXCEEDED) => StorageError::Unsupported(format!(
            "the PostgreSQL storage of this server cannot hold it: {}",
            describe(&error)
        )),
        _ => StorageError::Engine(format!("PostgreSQL: {}", describe(&error))),
    }
}

impl PgConnection {
    fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let row = self
            .client
            .query_opt(&self.statements.get, &[&key])
            .map_err(pg_error)?;
        Ok(row.map(|row| row.get(0)))
    }

    fn lock_and_get(&mut self, lock_id: i64, key: &[u8], fence: Fence) -> Result<Option<Vec<u8>>> {
        let row = self
            .client
            .query_one(
                &self.statements.lock_and_get,
                &[&lock_id, &key, &fence.lock, &fence.term],
            )
            .map_err(pg_error)?;
        Ok(row.get(0))
    }

    /// BEGIN and `lock_and_get` in one round trip: a simple query may
    /// carry both, with the key as a hex literal.
    fn begin_lock_and_get(
        &mut self,
        lock_id: i64,
        key: &[u8],
        fence: Fence,
    ) -> Result<Option<Vec<u8>>> {
        let sql = format!(
            "BEGIN; SELECT {}.lock_and_get({lock_id}, {}, {})",
            self.schema,
            bytea_literal(key),
            fence.arguments()
        );
        let messages = self.client.simple_query(&sql).map_err(pg_error)?;
        let text = messages.iter().find_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(row.get(0)),
            _ => None,
        });
        match text {
            Some(Some(text)) => decode_bytea_text(text).map(Some),
            Some(None) => Ok(None),
            None => Err(StorageError::Engine("lock_and_get returned no row".into())),
        }
    }

    /// The transaction's writes and its COMMIT in one round trip, after
    /// `opening` (the BEGIN and fence check of a transaction that locked
    /// nothing before). On an error the transaction is rolled back here.
    fn write_and_commit(
        &mut self,
        opening: &str,
        writes: &[(Box<[u8]>, FinalWrite)],
    ) -> Result<()> {
        let mut deleted = Vec::new();
        let mut written = Vec::new();
        let mut added = Vec::new();
        for (key, write) in writes {
            let key = bytea_literal(key);
            match write {
                FinalWrite::Put(value) => {
                    written.push(format!("({key}, {})", bytea_literal(value)))
                }
                FinalWrite::Delete => deleted.push(key),
                FinalWrite::Add(deltas) => {
                    added.push(format!("({key}, {})", bytea_literal(deltas)))
                }
            }
        }
        let mut sql = opening.to_string();
        if !deleted.is_empty() {
            sql += &format!(
                "DELETE FROM {}.kv WHERE k IN ({});",
                self.schema,
                deleted.join(",")
            );
        }
        if !written.is_empty() {
            sql += &format!(
                "INSERT INTO {}.kv (k, v) VALUES {} ON CONFLICT (k) DO UPDATE SET v = excluded.v;",
                self.schema,
                written.join(",")
            );
        }
        if !added.is_empty() {
            sql += &add_counters_sql(&self.schema, &format!("VALUES {}", added.join(",")));
            sql += ";";
        }
        sql += "COMMIT";
        let committed = self.client.batch_execute(&sql).map_err(pg_error);
        if committed.is_err() && self.client.batch_execute("ROLLBACK").is_err() {
            self.poisoned = true;
        }
        committed
    }

    fn range(
        &mut self,
        start: &[u8],
        end: &[u8],
        reverse: bool,
        rows: i64,
    ) -> Result<Vec<KeyValue>> {
        let statement = if reverse {
            &self.statements.range_backward
        } else {
            &self.statements.range_forward
        };
        let found = self
            .client
            .query(statement, &[&start, &end, &rows])
            .map_err(pg_error)?;
        Ok(found
            .into_iter()
            .map(|row| {
                let key: Vec<u8> = row.get(0);
                let value: Vec<u8> = row.get(1);
                (key.into_boxed_slice(), value.into_boxed_slice())
            })
            .collect())
    }

    fn write(&mut self, writes: &[(Box<[u8]>, FinalWrite)]) -> Result<()> {
        let mut deleted: Vec<&[u8]> = Vec::new();
        let mut keys: Vec<&[u8]> = Vec::new();
        let mut values: Vec<&[u8]> = Vec::new();
        let mut counter_keys: Vec<&[u8]> = Vec::new();
        let mut counter_deltas: Vec<&[u8]> = Vec::new();
        for (key, write) in writes {
            match write {
                FinalWrite::Put(value) => {
                    keys.push(key);
                    values.push(value);
                }
                FinalWrite::Delete => deleted.push(key),
                FinalWrite::Add(deltas) => {
                    counter_keys.push(key);
                    counter_deltas.push(deltas);
                }
            }
        }
        self.client
            .execute(
                &self.statements.write,
                &[&deleted, &keys, &values, &counter_keys, &counter_deltas],
            )
            .map_err(pg_error)?;
        Ok(())
    }
}

/// Reads up to `rows` entries of `[start, end)`, descending when asked.
type FetchPage<'s> = Box<dyn FnMut(&[u8], &[u8], bool, i64) -> Result<Vec<KeyValue>> + 's>;

/// A range read, a page of rows at a time, each page from `fetch`.
struct Pages<'s> {
    fetch: FetchPage<'s>,
    start: Vec<u8>,
    end: Vec<u8>,
    reverse: bool,
    page: std::vec::IntoIter<KeyValue>,
    rows: i64,
    done: bool,
}

impl<'s> Pages<'s> {
    fn new(
        start: &[u8],
        end: &[u8],
        reverse: bool,
        fetch: impl FnMut(&[u8], &[u8], bool, i64) -> Result<Vec<KeyValue>> + 's,
    ) -> Self {
        Pages {
            fetch: Box::new(fetch),
            start: start.to_vec(),
            end: end.to_vec(),
            reverse,
            page: Vec::new().into_iter(),
            rows: FIRST_PAGE_ROWS,
            done: start >= end,
        }
    }
}

impl Iterator for Pages<'_> {
    type Item = Result<KeyValue>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(entry) = self.page.next() {
            return Some(Ok(entry));
        }
        if self.done {
            return None;
        }
        let page = match (self.fetch)(&self.start, &self.end, self.reverse, self.rows) {
            Ok(page) => page,
            Err(e) => {
                self.done = true;
                return Some(Err(e));
            }
        };
        self.done = (page.len() as i64) < self.rows;
        if let Some((last, _)) = page.last() {
            if self.reverse {
                self.end = last.to_vec();
            } else {
                // The least key after `last`.
                self.start = last.to_vec();
                self.start.push(0);
            }
        }
        // Big rows make for fewer per page: a page holds about what one
        // DynamoDB page reads, not thousands of 400 KB items.
        let bytes: usize = page.iter().map(|(k, v)| k.len() + v.len()).sum();
        let per_row = (bytes / page.len().max(1)).max(1) as i64;
        self.rows = (self.rows * 4)
            .min(LAST_PAGE_ROWS)
            .min((PAGE_BYTES / per_row).max(1));
        self.page = page.into_iter();
        self.page.next().map(Ok)
    }
}

struct PgTransaction<'e> {
    engine: &'e PgEngine,
    /// The connection of the open PostgreSQL transaction, from the first
    /// lock on; reads before that use any connection.
    open: RefCell<Option<Connection>>,
    own_writes: OwnWrites,
}

impl PgTransaction<'_> {
    /// Runs `f` on the open transaction's connection, or on a pooled one
    /// when none is open.
    fn with_connection<T>(&self, f: impl FnOnce(&mut PgConnection) -> Result<T>) -> Result<T> {
        if let Some(conn) = self.open.borrow_mut().as_mut() {
            return f(conn);
        }
        let mut conn = self.engine.connection()?;
        f(&mut conn)
    }

    /// Locks `key` for the rest of the transaction (opening it first) and
    /// reads its latest committed value.
    fn lock_and_get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let lock_id = self.engine.lock_id(key);
        let open = self.open.get_mut();
        if let Some(conn) = open.as_mut() {
            // The fence was checked, and its lock taken, when the
            // transaction began.
            let checked = Fence {
                term: None,
                ..self.engine.fence()
            };
            return conn.lock_and_get(lock_id, key, checked);
        }
        // Kept as open before BEGIN runs: whatever fails after it, the
        // transaction is rolled back when this one drops.
        let conn = open.insert(self.engine.connection()?);
        conn.begin_lock_and_get(lock_id, key, self.engine.fence())
    }
}

impl ReadView for PgTransaction<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.own_writes
            .read(key, || self.with_connection(|conn| conn.get(key)))
    }

    fn scan<'s>(&'s self, start: &[u8], end: &[u8], reverse: bool) -> ScanIter<'s> {
        let committed = Pages::new(start, end, reverse, move |start, end, reverse, rows| {
            self.with_connection(|conn| conn.range(start, end, reverse, rows))
        });
        self.own_writes
            .merge_range(Box::new(committed), start, end, reverse)
    }
}

impl Transaction for PgTransaction<'_> {
    fn get_for_update(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let committed = self.lock_and_get(key)?;
        self.own_writes.read(key, || Ok(committed))
    }

    fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        self.own_writes.put(key, value);
        Ok(())
    }

    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.own_writes.delete(key);
        Ok(())
    }

    fn add_counters(&mut self, key: &[u8], deltas: &[i64]) -> Result<()> {
        self.own_writes.add_counters(key, deltas);
        Ok(())
    }

    fn commit(mut self: Box<Self>) -> Result<()> {
        let writes = std::mem::take(&mut self.own_writes).into_final_writes();
        let fence = self.engine.fence();
        match self.open.get_mut().take() {
            None if writes.is_empty() => Ok(()),
            // Nothing was locked, and there is no fence to check: one
            // statement is its own transaction.
            None if fence.term.is_none() => self.engine.connection()?.write(&writes),
            None => {
                let mut conn = self.engine.connection()?;
                let opening = format!(
                    "BEGIN; SELECT {}.check_fence({});",
                    conn.schema,
                    fence.arguments()
                );
                conn.write_and_commit(&opening, &writes)
            }
            // The fence was checked by the first lock.
            Some(mut conn) => conn.write_and_commit("", &writes),
        }
    }
}

impl Drop for PgTransaction<'_> {
    fn drop(&mut self) {
        if let Some(mut conn) = self.open.get_mut().take() {
            if conn.client.batch_execute("ROLLBACK").is_err() {
                conn.poisoned = true;
            }
        }
    }
}

/// A REPEATABLE READ, read-only transaction: every read sees the database
/// as it was when the snapshot was taken.
struct PgSnapshot {
    conn: RefCell<Result<Connection, String>>,
}

impl PgSnapshot {
    fn take(engine: &PgEngine) -> PgSnapshot {
        let conn = engine.connection().and_then(|mut conn| {
            // The snapshot is fixed by the transaction's first statement,
            // so one is run now rather than at the first read.
            conn.client
                .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1")
                .map_err(pg_error)?;
            Ok(conn)
        });
        PgSnapshot {
            conn: RefCell::new(conn.map_err(|e| e.to_string())),
        }
    }

    fn with_connection<T>(&self, f: impl FnOnce(&mut PgConnection) -> Result<T>) -> Result<T> {
        match &mut *self.conn.borrow_mut() {
            Ok(conn) => f(conn),
            Err(failure) => Err(StorageError::Engine(failure.clone())),
        }
    }
}

impl ReadView for PgSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.with_connection(|conn| conn.get(key))
    }

    fn scan<'s>(&'s self, start: &[u8], end: &[u8], reverse: bool) -> ScanIter<'s> {
        Box::new(Pages::new(
            start,
            end,
            reverse,
            move |start, end, reverse, rows| {
                self.with_connection(|conn| conn.range(start, end, reverse, rows))
            },
        ))
    }
}

impl Drop for PgSnapshot {
    fn drop(&mut self) {
        if let Ok(conn) = self.conn.get_mut() {
            if conn.client.batch_execute("ROLLBACK").is_err() {
                conn.poisoned = true;
            }
        }
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

    fn waits_on_network(&self) -> bool {
        true
    }
}
