//! The item cache: each item's stored bytes, or its absence, by storage
//! key, for GetItem and BatchGetItem.
//!
//! It is kept coherent with the write path rather than left to expire as
//! DAX's is: a write marks its keys before it commits and unmarks them
//! after. A marked key is read from storage and not cached, and a read may
//! only cache what it loaded if its shard saw no mark or unmark since the
//! read began (the shard's generation), so a value read before a write
//! committed cannot be cached after it.

use super::budgeted_lru::{BudgetedLru, ENTRY_OVERHEAD};
use super::{Counters, Stored};
use dynalith_storage::StorageError;
use std::collections::HashMap;
use std::sync::Arc;

const SHARDS: usize = 64;

pub(super) struct ItemCache {
    shards: Box<[parking_lot::Mutex<Shard>]>,
    pub counters: Counters,
}

enum Lookup {
    Hit(Option<Arc<[u8]>>),
    /// A write of the key is in flight.
    Writing,
    /// Not cached; the shard's generation when the read began.
    Miss(u64),
}

struct Shard {
    entries: BudgetedLru<Box<[u8]>, Option<Arc<[u8]>>>,
    /// Bumped by every mark and unmark.
    generation: u64,
    /// Keys with a write in flight, and how many.
    writing: HashMap<Box<[u8]>, u32>,
}

impl ItemCache {
    pub fn new(budget: usize) -> Self {
        ItemCache {
            shards: (0..SHARDS)
                .map(|_| {
                    parking_lot::Mutex::new(Shard {
                        entries: BudgetedLru::new(budget / SHARDS),
                        generation: 0,
                        writing: HashMap::new(),
                    })
                })
                .collect(),
            counters: Counters::default(),
        }
    }

    fn shard(&self, key: &[u8]) -> &parking_lot::Mutex<Shard> {
        &self.shards[xxhash_rust::xxh3::xxh3_64(key) as usize % SHARDS]
    }

    pub fn get(
        &self,
        key: &[u8],
        load: impl FnOnce() -> Result<Option<Vec<u8>>, StorageError>,
    ) -> Result<Option<Stored>, StorageError> {
        let shard = self.shard(key);
        // Decided under the lock; storage is read without it.
        let looked_up = {
            let mut shard = shard.lock();
            if let Some(cached) = shard.entries.get(key) {
                Lookup::Hit(cached.clone())
            } else if shard.writing.contains_key(key) {
                Lookup::Writing
            } else {
                Lookup::Miss(shard.generation)
            }
        };
        let generation = match looked_up {
            Lookup::Hit(cached) => {
                self.counters.hit();
                return Ok(cached.map(Stored::Cached));
            }
            Lookup::Writing => {
                self.counters.bypass();
                return Ok(load()?.map(Stored::Loaded));
            }
            Lookup::Miss(generation) => generation,
        };
        self.counters.miss();
        let loaded: Option<Arc<[u8]>> = load()?.map(Arc::from);
        let mut shard = shard.lock();
        if shard.generation == generation {
            let weight = key.len() + loaded.as_ref().map_or(0, |v| v.len()) + ENTRY_OVERHEAD;
            shard.entries.insert(key.into(), loaded.clone(), weight);
        }
        Ok(loaded.map(Stored::Cached))
    }

    /// Marks a key as being written: its entry goes, and reads bypass the
    /// cache until `unmark`.
    pub fn mark(&self, key: &[u8]) {
        let mut shard = self.shard(key).lock();
        shard.entries.remove(key);
        *shard.writing.entry(key.into()).or_insert(0) += 1;
        shard.generation += 1;
    }

    pub fn unmark(&self, key: &[u8]) {
        // No entry can have appeared since `mark`: reads bypassed the
        // cache, and those begun before it saw the generation move.
        let mut shard = self.shard(key).lock();
        if let Some(count) = shard.writing.get_mut(key) {
            *count -= 1;
            if *count == 0 {
                shard.writing.remove(key);
            }
        }
        shard.generation += 1;
    }

    pub fn bytes(&self) -> usize {
        self.shards.iter().map(|s| s.lock().entries.bytes()).sum()
    }
}
