//! Range reads of the in-memory map: its groups in order (`partitions.rs`)
//! and the entries of each within the range.
//!
//! A read within one group (every Query) looks the group up; a read across
//! groups walks the tree of groups between its bounds. Within a group,
//! two things make a short read cheaper than imbl's bounded range does:
//! searching the group's tree at one end only, and reading a few entries
//! ahead with their keys and values prefetched, so that the cache misses of
//! a page's items overlap (docs/design.md, "Storage engine: in memory").

use super::partitions::{prefix_of, Map, Partition, Prefix, Slot};
use super::tree_key::{head_of, KeyProbe, TreeKey};
use equivalent::Comparable;
use imbl::ordmap::RangedIter;
use imbl::shared_ptr::DefaultSharedPtr;
use imbl::OrdMap;
use std::cmp::Ordering;
use std::ops::Bound;
use std::sync::Arc;

type GroupTree = OrdMap<TreeKey, Arc<[u8]>>;

/// How many entries a range read takes from the tree at a time: enough
/// for a page of a Query of ten items to wait for their memory once.
const READ_AHEAD: usize = 8;

/// An entry of a group's tree, borrowed.
type TreeEntry<'m> = (&'m TreeKey, &'m Arc<[u8]>);

/// An entry of the map, borrowed.
pub(super) type Entry<'m> = (&'m [u8], &'m Arc<[u8]>);

/// A range read of one group's tree, from its lower bound up or, `reverse`,
/// from its upper bound down. The tree is searched only at the bound the
/// read starts from, and the entries read are checked against the other, a
/// batch at a time (`read_ahead`): imbl would search both ends of a bounded
/// range, twice the cache misses of a short read.
struct GroupEntries<'m, B> {
    iter: RangedIter<'m, TreeKey, Arc<[u8]>, DefaultSharedPtr>,
    /// The bound the read ends at.
    stop: Bound<B>,
    /// The head of `stop`'s key.
    stop_head: Option<u128>,
    reverse: bool,
    /// Entries read from the tree and known to be within the range:
    /// `ahead[next..read]` are still to be returned.
    ahead: [Option<TreeEntry<'m>>; READ_AHEAD],
    next: usize,
    read: usize,
    /// The tree has no more entries, or the read has passed `stop`.
    done: bool,
}

impl<'m, B: AsRef<[u8]>> GroupEntries<'m, B> {
    fn new(map: &'m GroupTree, lower: Bound<B>, upper: Bound<B>, reverse: bool) -> Self {
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
        GroupEntries {
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

    fn within(&self, key: &[u8]) -> bool {
        within_stop(&self.stop, self.reverse, key)
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

impl<'m, B: AsRef<[u8]>> Iterator for GroupEntries<'m, B> {
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
        self.ahead[self.next - 1].map(|(key, value)| (key.bytes(), value))
    }
}

/// Whether `key` is on the near side of the bound a read stops at.
fn within_stop<B: AsRef<[u8]>>(stop: &Bound<B>, reverse: bool, key: &[u8]) -> bool {
    match stop {
        Bound::Unbounded => true,
        Bound::Included(stop) if reverse => key >= stop.as_ref(),
        Bound::Included(stop) => key <= stop.as_ref(),
        Bound::Excluded(stop) if reverse => key > stop.as_ref(),
        Bound::Excluded(stop) => key < stop.as_ref(),
    }
}

/// The group a range read is in.
// One lives on the stack of each range read: boxing the tree's variant to
// even the sizes would cost an allocation per read instead.
#[allow(clippy::large_enum_variant)]
enum Group<'m, B> {
    /// A group of one entry, not yet returned.
    One(Option<Entry<'m>>),
    /// The slots of a small group within the range, not yet returned.
    Few(std::slice::Iter<'m, Slot>),
    Many(GroupEntries<'m, B>),
}

/// The slots of a small group that lie within `lower` and `upper`, their
/// keys and values prefetched: a small group is read whole or nearly.
fn slots_within<'m, B: AsRef<[u8]>>(
    slots: &'m [Slot],
    lower: &Bound<B>,
    upper: &Bound<B>,
) -> &'m [Slot] {
    // The first slot not before `bound`, or (`past`) not at or before it.
    let first_from = |bound: &B, past: bool| {
        let probe = KeyProbe::new(bound.as_ref());
        slots.partition_point(|(key, _)| match probe.compare(key) {
            Ordering::Greater => true,
            Ordering::Equal => past,
            Ordering::Less => false,
        })
    };
    let start = match lower {
        Bound::Included(key) => first_from(key, false),
        Bound::Excluded(key) => first_from(key, true),
        Bound::Unbounded => 0,
    };
    let end = match upper {
        Bound::Included(key) => first_from(key, true),
        Bound::Excluded(key) => first_from(key, false),
        Bound::Unbounded => slots.len(),
    };
    let within = &slots[start..end.max(start)];
    for (key, value) in within {
        prefetch(key.bytes());
        prefetch(value);
    }
    within
}

/// A range read of the map, from its lower bound up or, `reverse`, from its
/// upper bound down: the groups whose prefixes lie between the bounds'
/// prefixes, in order, and in each the entries within the bounds. Only the
/// first and the last group are cut by a bound; the groups between lie
/// within the range whole.
pub(super) struct Entries<'m, B> {
    lower: Bound<B>,
    upper: Bound<B>,
    /// The prefixes of the bounds' groups (`None` for no bound).
    lower_prefix: Option<Prefix>,
    upper_prefix: Option<Prefix>,
    reverse: bool,
    /// The groups still to read, for a read that spans more than one.
    groups: Option<RangedIter<'m, Prefix, Partition, DefaultSharedPtr>>,
    group: Option<Group<'m, B>>,
}

impl<'m, B: AsRef<[u8]> + Clone> Entries<'m, B> {
    pub(super) fn new(map: &'m Map, lower: Bound<B>, upper: Bound<B>, reverse: bool) -> Self {
        let prefix = |bound: &Bound<B>| match bound {
            Bound::Included(key) | Bound::Excluded(key) => Some(prefix_of(key.as_ref())),
            Bound::Unbounded => None,
        };
        let (lower_prefix, upper_prefix) = (prefix(&lower), prefix(&upper));
        let mut entries = Entries {
            lower,
            upper,
            lower_prefix,
            upper_prefix,
            reverse,
            groups: None,
            group: None,
        };
        match (lower_prefix, upper_prefix) {
            // One group: a lookup, not a range of the tree.
            (Some(lower), Some(upper)) if lower == upper => {
                if let Some(partition) = map.groups().get(&lower) {
                    entries.enter(lower, partition);
                }
            }
            (Some(lower), Some(upper)) if lower > upper => {}
            _ => {
                let included =
                    |prefix: Option<Prefix>| prefix.map_or(Bound::Unbounded, Bound::Included);
                let range = (included(lower_prefix), included(upper_prefix));
                entries.groups = Some(map.groups().range(range));
            }
        }
        entries
    }

    /// `[start, end)`.
    pub(super) fn between(map: &'m Map, start: B, end: B, reverse: bool) -> Self {
        Entries::new(map, Bound::Included(start), Bound::Excluded(end), reverse)
    }

    /// Starts reading the group of `prefix`, cut by the bounds of the range
    /// that lie in it.
    fn enter(&mut self, prefix: Prefix, partition: &'m Partition) {
        let cut = |bound: &Bound<B>, bound_prefix: Option<Prefix>| match bound_prefix {
            Some(bound_prefix) if bound_prefix == prefix => bound.clone(),
            _ => Bound::Unbounded,
        };
        let lower = cut(&self.lower, self.lower_prefix);
        let upper = cut(&self.upper, self.upper_prefix);
        self.group = Some(match partition {
            Partition::One(key, value) => {
                let inside = within_stop(&lower, true, key) && within_stop(&upper, false, key);
                Group::One(inside.then_some((&key[..], value)))
            }
            Partition::Few(slots) => Group::Few(slots_within(slots, &lower, &upper).iter()),
            Partition::Many(tree) => {
                Group::Many(GroupEntries::new(tree, lower, upper, self.reverse))
            }
        });
    }

    fn next_group(&mut self) -> bool {
        let Some(groups) = &mut self.groups else {
            return false;
        };
        let next = if self.reverse {
            groups.next_back()
        } else {
            groups.next()
        };
        match next {
            Some((&prefix, partition)) => {
                self.enter(prefix, partition);
                true
            }
            None => false,
        }
    }
}

impl<'m, B: AsRef<[u8]> + Clone> Iterator for Entries<'m, B> {
    type Item = Entry<'m>;

    fn next(&mut self) -> Option<Entry<'m>> {
        loop {
            let entry = match &mut self.group {
                Some(Group::One(entry)) => entry.take(),
                Some(Group::Few(slots)) if self.reverse => {
                    slots.next_back().map(|(key, value)| (key.bytes(), value))
                }
                Some(Group::Few(slots)) => slots.next().map(|(key, value)| (key.bytes(), value)),
                Some(Group::Many(entries)) => entries.next(),
                None => None,
            };
            if entry.is_some() {
                return entry;
            }
            if !self.next_group() {
                self.group = None;
                return None;
            }
        }
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
            let map = map_of(&keys);
            let read: Vec<Vec<u8>> = Entries::between(&map, &start[..], &end[..], reverse)
                .map(|(key, value)| {
                    assert_eq!(key, &value[..]);
                    key.to_vec()
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

        /// Bounds of every kind, open ones included: reads that cross the
        /// groups from the first or to the last.
        #[test]
        fn reads_with_any_bounds_return_what_a_sorted_set_holds_within_them(
            keys in prop::collection::btree_set(key(), 0..60),
            lower in bound(),
            upper in bound(),
            reverse: bool,
        ) {
            let map = map_of(&keys);
            fn borrowed(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
                bound.as_ref().map(|key| &key[..])
            }
            let read: Vec<Vec<u8>> = Entries::new(&map, borrowed(&lower), borrowed(&upper), reverse)
                .map(|(key, _)| key.to_vec())
                .collect();
            let mut expected: Vec<Vec<u8>> = keys
                .iter()
                .filter(|key| {
                    within_stop(&lower, true, key) && within_stop(&upper, false, key)
                })
                .cloned()
                .collect();
            if reverse {
                expected.reverse();
            }
            prop_assert_eq!(read, expected);
        }
    }

    /// One group grows from one entry to a slice and a tree, and shrinks
    /// back to nothing; every step reads, both ways, exactly what it holds.
    #[test]
    fn a_group_reads_the_same_in_each_of_its_forms() {
        let key = |n: u8| [&[2u8; 13][..], &[n, n]].concat();
        let mut map = Map::default();
        let mut model = BTreeSet::new();
        let read_back = |map: &Map, model: &BTreeSet<Vec<u8>>| {
            for reverse in [false, true] {
                let read: Vec<Vec<u8>> =
                    Entries::new(map, Bound::Unbounded, Bound::<&[u8]>::Unbounded, reverse)
                        .map(|(key, _)| key.to_vec())
                        .collect();
                let mut expected: Vec<Vec<u8>> = model.iter().cloned().collect();
                if reverse {
                    expected.reverse();
                }
                assert_eq!(read, expected);
            }
            for n in 0..40 {
                assert_eq!(map.get(&key(n)).is_some(), model.contains(&key(n)));
            }
        };
        // Out of order, so that inserts land before, between and after.
        let order: Vec<u8> = (0..40u16).map(|n| (n * 17 % 40) as u8).collect();
        for &n in &order {
            map.insert(TreeKey::from(&key(n)[..]), Arc::from(&[n][..]));
            model.insert(key(n));
            read_back(&map, &model);
        }
        for &n in order.iter().rev().step_by(2).chain(order.iter().step_by(2)) {
            map.remove(&key(n));
            model.remove(&key(n));
            read_back(&map, &model);
        }
        assert!(map.groups().is_empty());
    }

    /// A map of `keys`, each its own value.
    fn map_of(keys: &BTreeSet<Vec<u8>>) -> Map {
        keys.iter()
            .map(|key| (TreeKey::from(&key[..]), Arc::<[u8]>::from(&key[..])))
            .collect()
    }

    fn bound() -> impl Strategy<Value = Bound<Vec<u8>>> {
        prop_oneof![
            Just(Bound::Unbounded),
            key().prop_map(Bound::Included),
            key().prop_map(Bound::Excluded),
        ]
    }
}
