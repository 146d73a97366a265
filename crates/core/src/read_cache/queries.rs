//! The query cache: whole Query and Scan responses, by table and request.
//!
//! Each table has a state word: a generation, bumped as each write begins
//! and ends, and the number of writes in flight. A response is cached with
//! the state its read began in, and served only while the table is still in
//! that state with no write in flight, and still has the same definition.
//! So a cached page is always the page a read would return now; any write
//! to the table retires its cached pages, as DAX's query cache does only
//! when its TTL runs out.

use super::budgeted_lru::{BudgetedLru, ENTRY_OVERHEAD};
use super::Counters;
use crate::catalog::TableMeta;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const SHARDS: usize = 16;
const IN_FLIGHT_BITS: u32 = 24;
const IN_FLIGHT: u64 = (1 << IN_FLIGHT_BITS) - 1;
const ONE_WRITE: u64 = 1;
const ONE_GENERATION: u64 = 1 << IN_FLIGHT_BITS;
/// Responses larger than this share of a shard are not cached: one big
/// Scan page would otherwise evict many small ones.
const LARGEST_SHARE: usize = 4;

pub(super) struct QueryCache {
    tables: parking_lot::RwLock<HashMap<u32, Arc<AtomicU64>>>,
    shards: Box<[parking_lot::Mutex<BudgetedLru<QueryKey, Entry>>]>,
    shard_budget: usize,
    pub counters: Counters,
}

#[derive(Hash, PartialEq, Eq)]
struct QueryKey {
    table_id: u32,
    operation: u8,
    body: Box<[u8]>,
}

struct Entry {
    state: u64,
    table: Arc<TableMeta>,
    response: Arc<[u8]>,
}

/// A read that missed; `store` caches its response.
pub struct QueryTicket {
    key: QueryKey,
    state: u64,
    table: Arc<TableMeta>,
    table_state: Arc<AtomicU64>,
}

pub enum QueryLookup {
    Hit(Vec<u8>),
    Miss(QueryTicket),
    /// The cache is off, or the table has a write in flight.
    Uncached,
}

impl QueryCache {
    pub fn new(budget: usize) -> Self {
        let shard_budget = budget / SHARDS;
        QueryCache {
            tables: parking_lot::RwLock::new(HashMap::new()),
            shards: (0..SHARDS)
                .map(|_| parking_lot::Mutex::new(BudgetedLru::new(shard_budget)))
                .collect(),
            shard_budget,
            counters: Counters::default(),
        }
    }

    fn state_of(&self, table_id: u32) -> Arc<AtomicU64> {
        if let Some(state) = self.tables.read().get(&table_id) {
            return Arc::clone(state);
        }
        Arc::clone(self.tables.write().entry(table_id).or_default())
    }

    fn shard(&self, key: &QueryKey) -> &parking_lot::Mutex<BudgetedLru<QueryKey, Entry>> {
        let hash = xxhash_rust::xxh3::xxh3_64_with_seed(&key.body, u64::from(key.table_id));
        &self.shards[hash as usize % SHARDS]
    }

    pub fn lookup(&self, table: &Arc<TableMeta>, operation: u8, body: &[u8]) -> QueryLookup {
        let table_state = self.state_of(table.id);
        let state = table_state.load(Ordering::SeqCst);
        if state & IN_FLIGHT != 0 {
            self.counters.bypass();
            return QueryLookup::Uncached;
        }
        let key = QueryKey {
            table_id: table.id,
            operation,
            body: body.into(),
        };
        if let Some(entry) = self.shard(&key).lock().get(&key) {
            if entry.state == state && Arc::ptr_eq(&entry.table, table) {
                self.counters.hit();
                return QueryLookup::Hit(entry.response.to_vec());
            }
        }
        self.counters.miss();
        QueryLookup::Miss(QueryTicket {
            key,
            state,
            table: Arc::clone(table),
            table_state,
        })
    }

    pub fn store(&self, ticket: QueryTicket, response: &[u8]) {
        let weight = ticket.key.body.len() + response.len() + ENTRY_OVERHEAD;
        // A write has begun since the read did: the entry could never be
        // served (`lookup` compares states), so it is not kept.
        if ticket.table_state.load(Ordering::SeqCst) != ticket.state
            || weight > self.shard_budget / LARGEST_SHARE
        {
            return;
        }
        let entry = Entry {
            state: ticket.state,
            table: ticket.table,
            response: response.into(),
        };
        self.shard(&ticket.key)
            .lock()
            .insert(ticket.key, entry, weight);
    }

    pub fn mark(&self, table_id: u32) {
        self.state_of(table_id)
            .fetch_add(ONE_GENERATION + ONE_WRITE, Ordering::SeqCst);
    }

    pub fn unmark(&self, table_id: u32) {
        // The count is at least one (this write's), so subtracting it
        // cannot borrow from the generation.
        self.state_of(table_id)
            .fetch_add(ONE_GENERATION - ONE_WRITE, Ordering::SeqCst);
    }

    pub fn bytes(&self) -> usize {
        self.shards.iter().map(|s| s.lock().bytes()).sum()
    }
}
