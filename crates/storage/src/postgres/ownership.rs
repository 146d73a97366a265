//! One server per schema: a session advisory lock, held on a connection of
//! its own for as long as the engine lives.
//!
//! A session lock lasts only as long as its connection. A PostgreSQL
//! restart, a failover or a dropped connection ends it silently, and a
//! second server could then take the schema while this one still serves
//! it. So a keeper thread pings the connection; when it is gone, the keeper
//! reconnects and takes the lock again. If another server took it in the
//! meantime, this engine refuses every further operation: its catalog and
//! its background work would now compete with that server's.
//!
//! An engine opened to follow (`PgOptions::following`) does not give up
//! when another server holds the schema: it opens without the lock, and the
//! keeper keeps asking for it until the holder is gone, then holds it as
//! any owner does. The server above serves reads meanwhile and sends its
//! writes to the holder (`--shared-schema`).

use super::connection::pg_error;
use super::tls::Connections;
use crate::{Result, StorageError};
use postgres::error::SqlState;
use postgres::{Client, Config};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long opening waits for a schema another engine holds: a server that
/// just exited holds it until PostgreSQL notices the disconnect.
const OWNER_WAIT: Duration = Duration::from_secs(3);
/// How long raising the term waits for the previous holder's writes before
/// it says so in the log (and waits on).
const RAISE_WAIT: Duration = Duration::from_secs(5);
/// How often the keeper checks the lock's connection.
const CHECK_EVERY: Duration = Duration::from_millis(500);

pub(super) struct Ownership {
    /// Why the schema was lost, once it was.
    lost: Arc<OnceLock<String>>,
    /// Whether this engine holds the schema's lock: false only while a
    /// following engine waits for another server to let it go.
    held: Arc<AtomicBool>,
    /// This holder's term (see `Fence`), -1 while it holds nothing.
    term: Arc<AtomicI64>,
    /// Dropped to stop the keeper, which then closes its connection.
    stop: Option<mpsc::Sender<()>>,
    keeper: Option<JoinHandle<()>>,
}

impl Ownership {
    /// Takes the schema's lock on `client` (waiting a little for a server
    /// that just exited) and starts keeping it. When another server holds
    /// it, `follow` opens at once without it and takes it once that server
    /// is gone.
    pub(super) fn take(
        config: &Config,
        connections: &Connections,
        mut client: Client,
        lock_id: i64,
        fence_lock: i64,
        schema: &str,
        follow: bool,
    ) -> Result<Ownership> {
        let deadline = Instant::now() + OWNER_WAIT;
        let mut held = true;
        while !try_lock(&mut client, lock_id)? {
            // A following engine need not wait for a holder that just
            // exited: its keeper takes the lock as soon as it is free.
            if follow {
                tracing::info!(%schema, "another dynalith server holds this PostgreSQL schema; following it");
                held = false;
                break;
            }
            if Instant::now() >= deadline {
                return Err(StorageError::Engine(format!(
                    "another dynalith server is using schema {schema:?} of this database"
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let term = if held {
            raise_term(&mut client, fence_lock, schema)?
        } else {
            -1
        };
        let held = Arc::new(AtomicBool::new(held));
        let term = Arc::new(AtomicI64::new(term));
        let lost = Arc::new(OnceLock::new());
        let (stop, stopped) = mpsc::channel();
        let keeper = Keeper {
            config: config.clone(),
            connections: connections.clone(),
            client,
            lock_id,
            schema: schema.to_string(),
            lost: Arc::clone(&lost),
            held: Arc::clone(&held),
            term: Arc::clone(&term),
            fence_lock,
        };
        let keeper = std::thread::Builder::new()
            .name("pg-schema-owner".into())
            .spawn(move || keeper.run(stopped))
            .map_err(|e| StorageError::Engine(format!("cannot start a thread: {e}")))?;
        Ok(Ownership {
            lost,
            held,
            term,
            stop: Some(stop),
            keeper: Some(keeper),
        })
    }

    /// An error for every operation once another server owns the schema.
    pub(super) fn check(&self) -> Result<()> {
        match self.lost.get() {
            None => Ok(()),
            Some(why) => Err(StorageError::Engine(why.clone())),
        }
    }

    /// Why this engine no longer holds the schema, once another took it.
    pub(super) fn lost(&self) -> Option<String> {
        self.lost.get().cloned()
    }

    /// The term its writes must find in the fence: -1, which none finds,
    /// while it follows.
    pub(super) fn term(&self) -> i64 {
        self.term.load(Ordering::Acquire)
    }

    /// Whether this engine holds the schema (a following engine: not yet).
    pub(super) fn held(&self) -> bool {
        self.held.load(Ordering::Acquire)
    }
}

impl Drop for Ownership {
    /// Releases the schema before returning, so that a server started
    /// right after this engine is dropped finds it free.
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(keeper) = self.keeper.take() {
            let _ = keeper.join();
        }
    }
}

/// Raises the schema's term once every write of the previous holder still
/// in flight has ended (they hold the fence's lock shared), and returns the
/// new term: from now on the previous holder's writes fail.
fn raise_term(client: &mut Client, fence_lock: i64, schema: &str) -> Result<i64> {
    // Plain names only (`quoted_schema`), so quoting needs no escaping.
    let raise = format!("UPDATE \"{schema}\".fence SET term = term + 1 RETURNING term");
    // Waiting in PostgreSQL's queue rather than trying now and then: once
    // this request is queued, new shared requests wait behind it, so a
    // previous holder that still writes cannot starve it.
    client
        .batch_execute(&format!("SET lock_timeout = {}", RAISE_WAIT.as_millis()))
        .map_err(pg_error)?;
    let started = Instant::now();
    loop {
        match client.execute("SELECT pg_advisory_lock($1)", &[&fence_lock]) {
            Ok(_) => break,
            Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => {
                tracing::warn!(%schema, waited = ?started.elapsed(), "waiting for the previous holder's writes to end");
            }
            Err(e) => return Err(pg_error(e)),
        }
    }
    let raised = client.query_one(&raise, &[]).map(|row| row.get(0));
    let unlocked = client.execute("SELECT pg_advisory_unlock($1)", &[&fence_lock]);
    let reset = client.batch_execute("SET lock_timeout = 0");
    let term = raised.map_err(pg_error)?;
    unlocked.map_err(pg_error)?;
    reset.map_err(pg_error)?;
    Ok(term)
}

/// The term the fence holds now.
fn current_term(client: &mut Client, schema: &str) -> Result<i64> {
    client
        .query_one(&format!("SELECT term FROM \"{schema}\".fence"), &[])
        .map(|row| row.get(0))
        .map_err(pg_error)
}

fn try_lock(client: &mut Client, lock_id: i64) -> Result<bool> {
    let row = client
        .query_one("SELECT pg_try_advisory_lock($1)", &[&lock_id])
        .map_err(pg_error)?;
    Ok(row.get(0))
}

struct Keeper {
    config: Config,
    connections: Connections,
    client: Client,
    lock_id: i64,
    schema: String,
    lost: Arc<OnceLock<String>>,
    held: Arc<AtomicBool>,
    term: Arc<AtomicI64>,
    fence_lock: i64,
}

impl Keeper {
    fn run(mut self, stopped: mpsc::Receiver<()>) {
        let mut broken_since: Option<Instant> = None;
        loop {
            match stopped.recv_timeout(CHECK_EVERY) {
                Err(RecvTimeoutError::Timeout) => {}
                // The engine is gone: returning closes the connection,
                // which releases the lock.
                Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
            }
            if !self.held.load(Ordering::Acquire) {
                self.ask_for_the_lock();
                continue;
            }
            if !self.client.is_closed() && self.client.simple_query("").is_ok() {
                continue;
            }
            if broken_since.is_none() {
                tracing::warn!(schema = %self.schema, "lost the connection that holds this server's PostgreSQL schema; reconnecting");
                broken_since = Some(Instant::now());
            }
            match self.retake() {
                Ok(true) => {
                    tracing::info!(
                        schema = %self.schema,
                        after = ?broken_since.take().map(|since| since.elapsed()),
                        "holding the PostgreSQL schema again"
                    );
                }
                Ok(false) => {
                    let why = format!(
                        "another dynalith server took schema {:?} while this server's connection to \
                         PostgreSQL was down; restart this server",
                        self.schema
                    );
                    tracing::error!("{why}");
                    let _ = self.lost.set(why);
                    return;
                }
                // PostgreSQL is still unreachable (every operation fails
                // meanwhile); try again at the next check.
                Err(e) => tracing::debug!(error = %e, "PostgreSQL still unreachable"),
            }
        }
    }

    /// One attempt of a following engine to take the schema, on a new
    /// connection if its own broke.
    fn ask_for_the_lock(&mut self) {
        let attempt = if self.client.is_closed() || self.client.simple_query("").is_err() {
            self.retake()
        } else {
            try_lock(&mut self.client, self.lock_id)
        };
        let raised = attempt.and_then(|taken| {
            taken
                .then(|| raise_term(&mut self.client, self.fence_lock, &self.schema))
                .transpose()
        });
        match raised {
            Ok(Some(term)) => {
                tracing::info!(schema = %self.schema, term, "the server this one followed is gone; this server now holds the PostgreSQL schema");
                self.term.store(term, Ordering::Release);
                self.held.store(true, Ordering::Release);
            }
            Ok(None) => {}
            Err(e) => tracing::debug!(error = %e, "PostgreSQL unreachable while following"),
        }
    }

    /// A new connection with the lock, if the schema is still free and no
    /// other server held it meanwhile (which raised the term).
    fn retake(&mut self) -> Result<bool> {
        let mut client = self.connections.open(&self.config)?;
        let taken = try_lock(&mut client, self.lock_id)?;
        if !taken {
            return Ok(false);
        }
        let ours = self.term.load(Ordering::Acquire);
        let held_by_others_meanwhile =
            ours >= 0 && current_term(&mut client, &self.schema)? != ours;
        // Holding the lock again with a stale term would only fail every
        // write; the connection drops, releasing it for the others.
        if held_by_others_meanwhile {
            return Ok(false);
        }
        self.client = client;
        Ok(true)
    }
}
