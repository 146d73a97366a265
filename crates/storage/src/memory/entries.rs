//! Range reads of the in-memory tree.
//!
//! Two things make a short read of a big tree cheaper than imbl's bounded
//! range does: searching the tree at one end only, and reading a few
//! entries ahead with their keys and values prefetched, so that the cache
//! misses of a page's items overlap (docs/design.md, "Storage engine: in
//! memory").

use super::tree_key::{head_of, KeyProbe, TreeKey};
use super::Map;
use imbl::ordmap::RangedIter;
use imbl::shared_ptr::DefaultSharedPtr;
use std::ops::Bound;
use std::sync::Arc;

/// How many entries a range read takes from the tree at a time: enough
/// for a page of a Query of ten items to wait for their memory once.
const READ_AHEAD: usize = 8;

/// An entry of the map, borrowed.
pub(super) type Entry<'m> = (&'m TreeKey, &'m Arc<[u8]>);

/// A range read of the map, from its lower bound up or, `reverse`, from its
/// upper bound down. The tree is searched only at the bound the read starts
/// from, and the entries read are checked against the other, a batch at a
/// time (`read_ahead`): imbl would search both ends of a bounded range,
/// twice the cache misses of a short read.
pub(super) struct Entries<'m, B> {
    iter: RangedIter<'m, TreeKey, Arc<[u8]>, DefaultSharedPtr>,
    /// The bound the read ends at.
    stop: Bound<B>,
    /// The head of `stop`'s key.
    stop_head: Option<u128>,
    reverse: bool,
    /// Entries read from the tree and known to be within the range:
    /// `ahead[next..read]` are still to be returned.
    ahead: [Option<Entry<'m>>; READ_AHEAD],
    next: usize,
    read: usize,
    /// The tree has no more entries, or the read has passed `stop`.
    done: bool,
}

impl<'m, B: AsRef<[u8]>> Entries<'m, B> {
    pub(super) fn new(map: &'m Map, lower: Bound<B>, upper: Bound<B>, reverse: bool) -> Self {
        let (from, stop) = if reverse {
            (upper, lower)
        } else {
            (lower, upper)
        };
        let from = from.as_ref().map(|key| KeyProbe::new(key.as_ref()));
        let iter = if reverse {
            map.range((Bound::Unbounded, from))
        } else {
            map.range((from, Bound::Unbounded))
        };
        let stop_head = match &stop {
            Bound::Included(key) | Bound::Excluded(key) => Some(head_of(key.as_ref())),
            Bound::Unbounded => None,
        };
        Entries {
            iter,
            stop,
            stop_head,
            reverse,
            ahead: [None; READ_AHEAD],
            next: 0,
            read: 0,
            done: false,
        }
    }

    /// `[start, end)`.
    pub(super) fn between(map: &'m Map, start: B, end: B, reverse: bool) -> Self {
        Entries::new(map, Bound::Included(start), Bound::Excluded(end), reverse)
    }

    fn within(&self, key: &[u8]) -> bool {
        match &self.stop {
            Bound::Unbounded => true,
            Bound::Included(stop) if self.reverse => key >= stop.as_ref(),
            Bound::Included(stop) => key <= stop.as_ref(),
            Bound::Excluded(stop) if self.reverse => key > stop.as_ref(),
            Bound::Excluded(stop) => key < stop.as_ref(),
        }
    }

    /// Takes the next entries from the tree and prefetches their keys and
    /// values, so that their cache misses overlap instead of following one
    /// another. It stops early at an entry whose head shows it is past
    /// `stop`. Entries come in key order, so when the last one taken is
    /// within the range all are, and only one key of the batch is compared
    /// with `stop`: a Query of a hundred items compared each before.
    fn read_ahead(&mut self) {
        let mut read = 0;
        let mut past_by_head = false;
        while read < READ_AHEAD && !past_by_head {
            let next = if self.reverse {
                self.iter.next_back()
            } else {
                self.iter.next()
            };
            let Some(entry) = next else {
                self.done = true;
                break;
            };
            prefetch(entry.0.bytes());
            prefetch(entry.1);
            self.ahead[read] = Some(entry);
            read += 1;
            past_by_head = match self.stop_head {
                Some(stop) if self.reverse => entry.0.head() < stop,
                Some(stop) => entry.0.head() > stop,
                None => false,
            };
        }
        let taken = &self.ahead[..read];
        let last_within = !past_by_head
            && taken
                .last()
                .and_then(|entry| *entry)
                .is_some_and(|(key, _)| self.within(key.bytes()));
        if !last_within {
            self.done = true;
            read = taken
                .iter()
                .flatten()
                .position(|(key, _)| !self.within(key.bytes()))
                .unwrap_or(read);
        }
        self.next = 0;
        self.read = read;
    }
}

impl<'m, B: AsRef<[u8]>> Iterator for Entries<'m, B> {
    type Item = Entry<'m>;

    fn next(&mut self) -> Option<Entry<'m>> {
        if self.next == self.read {
            if self.done {
                return None;
            }
            self.read_ahead();
        }
        if self.next == self.read {
            return None;
        }
        self.next += 1;
        self.ahead[self.next - 1]
    }
}

/// Asks the CPU to start loading the cache line at `bytes` while the
/// caller goes on. A hint only: elsewhere than x86-64 it does nothing.
#[inline(always)]
fn prefetch(bytes: &[u8]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch reads nothing the program sees and never
        // faults, whatever the address; this one is a live allocation's.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(bytes.as_ptr().cast()) }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree_key::tests::key;
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    proptest! {
        #[test]
        fn range_reads_return_what_a_sorted_set_holds_between_the_bounds(
            keys in prop::collection::btree_set(key(), 0..60),
            start in key(),
            end in key(),
            reverse: bool,
        ) {
            let map: Map = keys
                .iter()
                .map(|key| (TreeKey::from(&key[..]), Arc::<[u8]>::from(&key[..])))
                .collect();
            let read: Vec<Vec<u8>> = Entries::between(&map, &start[..], &end[..], reverse)
                .map(|(key, value)| {
                    assert_eq!(key.bytes(), &value[..]);
                    key.bytes().to_vec()
                })
                .collect();
            let model: &BTreeSet<Vec<u8>> = &keys;
            let mut expected: Vec<Vec<u8>> = if start < end {
                model.range(start.clone()..end.clone()).cloned().collect()
            } else {
                Vec::new()
            };
            if reverse {
                expected.reverse();
            }
            prop_assert_eq!(read, expected);
        }
    }
}
