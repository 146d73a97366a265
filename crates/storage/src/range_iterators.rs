//! Iterators kept from one range read to the next.
//!
//! A RocksDB iterator costs as much to make as a short Query costs to read:
//! it references the current memtables and files, and builds a merging
//! iterator over them in a fresh arena, with a table iterator and an index
//! iterator for every file it seeks in. A kept iterator is refreshed
//! instead (`Iterator::Refresh`), which, while no flush or compaction has
//! changed the set of memtables and files, only moves its read point to
//! the latest sequence number, and keeps its table and index iterators
//! positioned. Engine alone (`examples/read_cost.rs`, one partition of 10
//! items per read, 2026-12-04): 5.8-6.7 us per read at 1M items instead of
//! 8.4-9.4, and 2.0 instead of 3.1 at 10k.
//!
//! Kept iterators are in prefix mode (`prefix_same_as_start`), so they
//! serve only ranges within one partition prefix (a Query page), and have
//! no bounds (a RocksDB iterator's bounds are fixed when it is made): the
//! walk checks them itself. An idle iterator pins the memtables and files
//! it last read, so iterators idle for longer than `KEEP_IDLE_FOR` are
//! dropped, by the next read or by `release_idle`.

use crate::rocks::engine_error;
use crate::{RangeVisitor, Result};
use rocksdb::{DBRawIteratorWithThreadMode, ReadOptions, ReadTier, DB};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Iterators kept at most: more than request threads ever read at once.
const MAX_KEPT: usize = 16;
/// How long an iterator may pin what it last read.
pub(crate) const KEEP_IDLE_FOR: Duration = Duration::from_secs(1);

/// An iterator over the database the pool holds; `'static` because the
/// pool keeps that database alive longer than any of its iterators.
type KeptIterator = DBRawIteratorWithThreadMode<'static, DB>;

pub(crate) struct RangeIterators {
    // Declared before `db`, so that the iterators are dropped first.
    idle: Mutex<Vec<(KeptIterator, Instant)>>,
    db: Arc<DB>,
    /// Where the iterators may read from; fixed when one is made.
    tier: ReadTier,
}

impl RangeIterators {
    pub(crate) fn new(db: Arc<DB>, tier: ReadTier) -> Self {
        RangeIterators {
            idle: Mutex::new(Vec::new()),
            db,
            tier,
        }
    }

    /// Lends the latest committed entries of `[start, end)` to `visit`, in
    /// order; both bounds must have the same partition prefix.
    pub(crate) fn visit(
        &self,
        start: &[u8],
        end: &[u8],
        reverse: bool,
        visit: &mut RangeVisitor<'_>,
    ) -> Result<()> {
        let mut iter = match self.take() {
            Some(mut kept) => {
                kept.refresh().map_err(engine_error)?;
                kept
            }
            None => self.make(),
        };
        walk(&mut iter, start, end, reverse, visit);
        // A failed iterator is not kept.
        iter.status().map_err(engine_error)?;
        self.keep(iter);
        Ok(())
    }

    /// Drops the iterators that have been idle for `KEEP_IDLE_FOR`, so that
    /// they stop pinning memtables and files the database has moved past.
    pub(crate) fn release_idle(&self) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.retain(|(_, since)| since.elapsed() < KEEP_IDLE_FOR);
    }

    fn take(&self) -> Option<KeptIterator> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        // The most recently used one: the least likely to need rebuilding.
        let (iter, since) = idle.pop()?;
        if since.elapsed() >= KEEP_IDLE_FOR {
            // The rest are older still.
            idle.clear();
            return None;
        }
        Some(iter)
    }

    fn keep(&self, iter: KeptIterator) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_KEPT {
            idle.push((iter, Instant::now()));
        }
    }

    fn make(&self) -> KeptIterator {
        let mut options = ReadOptions::default();
        options.set_prefix_same_as_start(true);
        options.set_read_tier(self.tier);
        let iter = self.db.raw_iterator_opt(options);
        // SAFETY: the iterator borrows the database that `self.db` keeps
        // alive at a fixed address; it lives in `self.idle` or on the stack
        // of `visit`, and `idle` is dropped before `db`.
        unsafe { std::mem::transmute::<DBRawIteratorWithThreadMode<'_, DB>, KeptIterator>(iter) }
    }
}

/// Seeks to the range's first entry in the direction of the read and lends
/// entries to `visit` until it breaks or the range ends. Errors are left in
/// the iterator's status.
fn walk(
    iter: &mut KeptIterator,
    start: &[u8],
    end: &[u8],
    reverse: bool,
    visit: &mut RangeVisitor<'_>,
) {
    if reverse {
        // Lands on the last key <= end; the range excludes `end` itself.
        iter.seek_for_prev(end);
        if iter.key().is_some_and(|key| key >= end) {
            iter.prev();
        }
        while let Some((key, value)) = iter.item() {
            if key < start || visit(key, value).is_break() {
                return;
            }
            iter.prev();
        }
    } else {
        iter.seek(start);
        while let Some((key, value)) = iter.item() {
            if key >= end || visit(key, value).is_break() {
                return;
            }
            iter.next();
        }
    }
}
