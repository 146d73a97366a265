//! The read cache, dynalith's take on DAX: an item cache for GetItem and
//! BatchGetItem, and a query cache for Query and Scan, in the server's own
//! memory and off unless given a size.
//!
//! Unlike DAX, it is never stale. DAX caches for a TTL and only learns of
//! the writes that pass through it; here every write passes through the one
//! write path, which tells the cache before it commits and after (see
//! `items.rs` and `queries.rs`). So a cached answer is the answer storage
//! would give, strongly consistent reads may use it too, and turning the
//! cache on changes how fast reads are, never what they return (consumed
//! capacity included: DynamoDB's accounting does not know about caches).

mod budgeted_lru;
mod items;
mod queries;

use dynalith_storage::StorageError;
use items::ItemCache;
use queries::QueryCache;
pub use queries::{QueryLookup, QueryTicket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Memory for each cache, in bytes (0 turns it off).
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadCacheOptions {
    pub item_bytes: usize,
    pub query_bytes: usize,
}

/// Which request a cached response answers.
#[derive(Clone, Copy)]
pub enum CachedRead {
    Query = 1,
    Scan = 2,
    /// A PartiQL SELECT run as a Query: Query refuses some of what it
    /// answers (ops/query.rs, `Origin`), so its answers are kept apart.
    StatementQuery = 3,
}

/// A stored item as read: from storage, or shared with the cache.
pub enum Stored {
    Loaded(Vec<u8>),
    Cached(Arc<[u8]>),
}

impl std::ops::Deref for Stored {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Stored::Loaded(bytes) => bytes,
            Stored::Cached(bytes) => bytes,
        }
    }
}

#[derive(Default)]
pub(crate) struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    bypasses: AtomicU64,
}

impl Counters {
    fn hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }

    fn miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }

    fn bypass(&self) {
        self.bypasses.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self, bytes: usize) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            bypasses: self.bypasses.load(Ordering::Relaxed),
            bytes,
        }
    }
}

/// How a cache has served reads since start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Answered from the cache.
    pub hits: u64,
    /// Read from storage, then cached if no write intervened.
    pub misses: u64,
    /// Read from storage past the cache, with a write in flight.
    pub bypasses: u64,
    /// Memory the cached entries take, as the cache counts it.
    pub bytes: usize,
}

pub struct ReadCache {
    items: Option<ItemCache>,
    queries: Option<QueryCache>,
}

impl ReadCache {
    pub fn new(options: ReadCacheOptions) -> Self {
        ReadCache {
            items: (options.item_bytes > 0).then(|| ItemCache::new(options.item_bytes)),
            queries: (options.query_bytes > 0).then(|| QueryCache::new(options.query_bytes)),
        }
    }

    /// The stored item under `key`, from the cache or from `load`.
    pub fn get_item(
        &self,
        key: &[u8],
        load: impl FnOnce() -> Result<Option<Vec<u8>>, StorageError>,
    ) -> Result<Option<Stored>, StorageError> {
        match &self.items {
            Some(items) => items.get(key, load),
            None => Ok(load()?.map(Stored::Loaded)),
        }
    }

    pub fn items_enabled(&self) -> bool {
        self.items.is_some()
    }

    pub fn queries_enabled(&self) -> bool {
        self.queries.is_some()
    }

    pub fn lookup_query(
        &self,
        table: &Arc<crate::catalog::TableMeta>,
        read: CachedRead,
        body: &[u8],
    ) -> QueryLookup {
        match &self.queries {
            Some(queries) => queries.lookup(table, read as u8, body),
            None => QueryLookup::Uncached,
        }
    }

    pub fn store_query(&self, ticket: QueryTicket, response: &[u8]) {
        if let Some(queries) = &self.queries {
            queries.store(ticket, response);
        }
    }

    /// Announces a write of these item keys to these tables; the returned
    /// guard must live until the write has committed (or failed).
    pub(crate) fn begin_write<'a>(
        &'a self,
        item_keys: Vec<&'a [u8]>,
        table_ids: Vec<u32>,
    ) -> WriteInFlight<'a> {
        if let Some(items) = &self.items {
            for key in &item_keys {
                items.mark(key);
            }
        }
        if let Some(queries) = &self.queries {
            for &id in &table_ids {
                queries.mark(id);
            }
        }
        WriteInFlight {
            cache: self,
            item_keys,
            table_ids,
        }
    }

    pub fn enabled(&self) -> bool {
        self.items.is_some() || self.queries.is_some()
    }

    pub fn item_stats(&self) -> CacheStats {
        self.items
            .as_ref()
            .map_or_else(CacheStats::default, |c| c.counters.snapshot(c.bytes()))
    }

    pub fn query_stats(&self) -> CacheStats {
        self.queries
            .as_ref()
            .map_or_else(CacheStats::default, |c| c.counters.snapshot(c.bytes()))
    }
}

/// A write between its announcement and its commit.
pub(crate) struct WriteInFlight<'a> {
    cache: &'a ReadCache,
    item_keys: Vec<&'a [u8]>,
    table_ids: Vec<u32>,
}

impl Drop for WriteInFlight<'_> {
    fn drop(&mut self) {
        if let Some(items) = &self.cache.items {
            for key in &self.item_keys {
                items.unmark(key);
            }
        }
        if let Some(queries) = &self.cache.queries {
            for &id in &self.table_ids {
                queries.unmark(id);
            }
        }
    }
}

#[cfg(test)]
mod tests;
