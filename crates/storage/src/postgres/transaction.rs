//! Transactions and snapshots: a connection held for their life, range
//! reads a page of rows at a time.

use super::connection::{pg_error, Connection, PgConnection};
use super::{Fence, PgEngine, FIRST_PAGE_ROWS, LAST_PAGE_ROWS, PAGE_BYTES};
use crate::own_writes::OwnWrites;
use crate::{KeyValue, ReadView, Result, ScanIter, StorageError, Transaction};
use std::cell::RefCell;

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

pub(super) struct PgTransaction<'e> {
    pub(super) engine: &'e PgEngine,
    /// The connection of the open PostgreSQL transaction, from the first
    /// lock on; reads before that use any connection.
    pub(super) open: RefCell<Option<Connection>>,
    pub(super) own_writes: OwnWrites,
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
pub(super) struct PgSnapshot {
    conn: RefCell<Result<Connection, String>>,
}

impl PgSnapshot {
    pub(super) fn take(engine: &PgEngine) -> PgSnapshot {
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
