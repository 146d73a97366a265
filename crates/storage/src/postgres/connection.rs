//! Connections to the database: the pool's (each with its statements
//! prepared), one opened beyond the pool for a thread that already holds
//! one, and the engine's single-round-trip operations on them. PostgreSQL's
//! errors become storage errors here.

use super::sql::{add_counters_sql, Statements};
use super::tls;
use super::Fence;
use crate::own_writes::FinalWrite;
use crate::{KeyValue, Result, StorageError};
use postgres::error::SqlState;
use postgres::{Client, SimpleQueryMessage};
use std::cell::Cell;
use std::time::Duration;

/// Makes the pool's connections, each with its statements prepared once.
#[derive(Clone)]
pub(super) struct Connector {
    pub(super) config: postgres::Config,
    pub(super) connections: tls::Connections,
    pub(super) schema: String,
    pub(super) lock_timeout: Duration,
}

pub(super) struct PgConnection {
    pub(super) client: Client,
    /// The schema, quoted, for the statements sent as text.
    pub(super) schema: String,
    pub(super) statements: Statements,
    /// Set when a rollback failed: the connection may still be inside a
    /// transaction and must not be handed out again.
    pub(super) poisoned: bool,
}

thread_local! {
    /// Connections the current thread holds (see `PgEngine::connection`).
    pub(super) static CONNECTIONS_HELD: Cell<usize> = const { Cell::new(0) };
}

/// A connection from the pool, or one opened beyond it for a thread that
/// already holds one. (The overflow is boxed as the rare case; the pooled
/// one is not, to save an allocation per operation.)
#[allow(clippy::large_enum_variant)]
pub(super) enum Connection {
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

/// The pool retries a failed connect until a request's wait runs out, and
/// that request then fails with the last error; logging each attempt as
/// well would flood the log while the database is down.
#[derive(Debug)]
pub(super) struct ConnectErrors;

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
pub(super) fn describe(error: &postgres::Error) -> String {
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

pub(super) fn pg_error(error: postgres::Error) -> StorageError {
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
    pub(super) fn get(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let row = self
            .client
            .query_opt(&self.statements.get, &[&key])
            .map_err(pg_error)?;
        Ok(row.map(|row| row.get(0)))
    }

    pub(super) fn lock_and_get(
        &mut self,
        lock_id: i64,
        key: &[u8],
        fence: Fence,
    ) -> Result<Option<Vec<u8>>> {
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
    pub(super) fn begin_lock_and_get(
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
    pub(super) fn write_and_commit(
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

    pub(super) fn range(
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

    pub(super) fn write(&mut self, writes: &[(Box<[u8]>, FinalWrite)]) -> Result<()> {
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
