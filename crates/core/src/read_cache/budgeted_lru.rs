//! An LRU map bounded by the bytes its entries take rather than by their
//! count: cached items and responses range from a few bytes to megabytes.

use lru::LruCache;
use std::borrow::Borrow;
use std::hash::Hash;

/// What one entry costs beyond its key and value bytes (the map's node,
/// its links and the allocations' headers), so that a cache of small or
/// empty entries still respects its budget.
pub(super) const ENTRY_OVERHEAD: usize = 96;

pub(super) struct BudgetedLru<K: Hash + Eq, V> {
    entries: LruCache<K, (V, usize)>,
    bytes: usize,
    budget: usize,
}

impl<K: Hash + Eq, V> BudgetedLru<K, V> {
    pub fn new(budget: usize) -> Self {
        BudgetedLru {
            entries: LruCache::unbounded(),
            bytes: 0,
            budget,
        }
    }

    /// The entry, now the most recently used.
    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.entries.get(key).map(|(value, _)| value)
    }

    /// Adds (or replaces) an entry costing `weight` bytes, evicting the
    /// least recently used ones beyond the budget. An entry bigger than the
    /// whole budget is not kept.
    pub fn insert(&mut self, key: K, value: V, weight: usize) {
        if weight > self.budget {
            self.remove(&key);
            return;
        }
        if let Some((_, (_, replaced))) = self.entries.push(key, (value, weight)) {
            self.bytes -= replaced;
        }
        self.bytes += weight;
        while self.bytes > self.budget {
            match self.entries.pop_lru() {
                Some((_, (_, evicted))) => self.bytes -= evicted,
                None => break,
            }
        }
    }

    pub fn remove<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some((_, weight)) = self.entries.pop(key) {
            self.bytes -= weight;
        }
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_beyond_the_budget() {
        let mut lru = BudgetedLru::new(100);
        lru.insert("a", 1, 40);
        lru.insert("b", 2, 40);
        assert_eq!(lru.get("a"), Some(&1));
        lru.insert("c", 3, 40);
        assert_eq!(lru.get("b"), None, "b was least recently used");
        assert_eq!(lru.get("a"), Some(&1));
        assert_eq!(lru.get("c"), Some(&3));
        assert_eq!(lru.bytes(), 80);
    }

    #[test]
    fn replacing_and_removing_keep_the_count_of_bytes() {
        let mut lru = BudgetedLru::new(100);
        lru.insert("a", 1, 60);
        lru.insert("a", 2, 10);
        assert_eq!(lru.bytes(), 10);
        assert_eq!(lru.get("a"), Some(&2));
        lru.remove("a");
        assert_eq!(lru.bytes(), 0);
        lru.insert("big", 3, 101);
        assert_eq!(lru.get("big"), None);
        assert_eq!(lru.bytes(), 0);
    }
}
