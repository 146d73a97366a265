//! The in-memory engine's map: a persistent tree of groups, each the keys
//! that share their leading bytes (for an item, its partition), and each
//! group held as small as its size allows.
//!
//! Why not one tree of every key, as before: at a million keys a lookup
//! walked five or six levels of nodes, a binary search in each, and below
//! the top two every level is a cache miss or several (docs/design.md,
//! "Storage engine: in memory"). The core's item keys start with their
//! space tag, table id and partition hash, 13 bytes, so the keys that share
//! them are one DynamoDB partition, and a GetItem or a Query reads exactly
//! one such group: a tree of partitions has one level fewer where they
//! hold ten items, compares only integers held in its nodes, and a group
//! of up to 16 entries is one sorted allocation read whole. Any key layout
//! is correct here; only the speed depends on grouping what is read
//! together.
//!
//! Everything is persistent, as the single tree was: cloning the map for a
//! snapshot copies one pointer, and a write copies only the nodes a
//! snapshot still shares.

use super::tree_key::{KeyProbe, TreeKey};
use equivalent::Comparable;
use imbl::OrdMap;
use std::sync::Arc;

/// The first byte of the core's item and index-entry keys
/// (`dynalith_core::keys`), whose groups are DynamoDB partitions.
const ITEM_SPACE: u8 = 0x02;

/// How many leading bytes of an item key name its group: its space tag,
/// table id and partition hash (`dynalith_core::keys::PARTITION_PREFIX_LEN`).
const ITEM_GROUP_BYTES: usize = 13;

/// How many leading bytes of any other key name its group: the space tag
/// and the table's or stream's id, so that a stream's records, a table's
/// counter shards or its history are one group, not one each.
const OTHER_GROUP_BYTES: usize = 5;

/// How many of `key`'s leading bytes name its group. It depends on the
/// first byte only, so that keys of one length rule are ordered among
/// themselves by their groups, and keys of two rules by that first byte.
pub(super) fn group_len(key: &[u8]) -> usize {
    let rule = match key.first() {
        Some(&ITEM_SPACE) => ITEM_GROUP_BYTES,
        _ => OTHER_GROUP_BYTES,
    };
    rule.min(key.len())
}

/// A group's name: its keys' first [`group_len`] bytes, zero-padded, then
/// their count in the last byte, read as two big-endian words (not one
/// `u128`, whose alignment of 16 would pad every slot of the tree).
/// Prefixes order as their keys do: where the padded bytes differ, so do
/// the keys, or one key ends where the other goes on; where they are equal,
/// the shorter key is a prefix of the longer.
pub(super) type Prefix = (u64, u64);

pub(super) fn prefix_of(key: &[u8]) -> Prefix {
    let len = group_len(key);
    let mut bytes = [0u8; 16];
    bytes[..len].copy_from_slice(&key[..len]);
    bytes[15] = len as u8;
    let word = |at: usize| u64::from_be_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
    (word(0), word(8))
}

/// The most entries a group keeps in a sorted slice before it becomes a
/// tree: about a tree leaf's worth, which holds 16.
const MOST_IN_A_SLICE: usize = 16;

/// How small a tree becomes a slice again; below `MOST_IN_A_SLICE`, so that
/// a group at the threshold does not switch with every write.
const FEWEST_IN_A_TREE: usize = 8;

/// An entry as a group holds it.
pub(super) type Slot = (TreeKey, Arc<[u8]>);

/// A group of keys with one prefix, in key order, held as small as its size
/// allows: most DynamoDB partitions hold one item (tables without a sort
/// key) or a few, and an imbl tree of any size costs at least one leaf of 16
/// slots (~800 bytes). Kept to 40 bytes, the tree's slots with it.
#[derive(Clone)]
pub(super) enum Partition {
    /// The key and the value: the group's prefix, compared in the tree's
    /// node, finds it, so its key needs no head.
    One(Arc<[u8]>, Arc<[u8]>),
    /// 2 to `MOST_IN_A_SLICE` entries, sorted; shared like a tree's nodes,
    /// and copied whole by a write.
    Few(Arc<[Slot]>),
    Many(Arc<OrdMap<TreeKey, Arc<[u8]>>>),
}

const _: () = assert!(std::mem::size_of::<Partition>() == 40);

/// Where `probe` is in `slots`: `Ok` at its entry, `Err` where it would go.
fn search(slots: &[Slot], probe: &KeyProbe<'_>) -> Result<usize, usize> {
    slots.binary_search_by(|(key, _)| probe.compare(key).reverse())
}

impl Partition {
    fn get(&self, probe: &KeyProbe<'_>) -> Option<&Arc<[u8]>> {
        match self {
            Partition::One(key, value) => (&key[..] == probe.bytes()).then_some(value),
            Partition::Few(slots) => search(slots, probe).ok().map(|at| &slots[at].1),
            Partition::Many(tree) => tree.get(probe),
        }
    }

    fn insert(&mut self, key: TreeKey, value: Arc<[u8]>) {
        match self {
            Partition::One(held, held_value) => {
                if &held[..] == key.bytes() {
                    *held_value = value;
                    return;
                }
                let held = (TreeKey::from(held.clone()), held_value.clone());
                let slots = if held.0 < key {
                    [held, (key, value)]
                } else {
                    [(key, value), held]
                };
                *self = Partition::Few(Arc::new(slots));
            }
            Partition::Few(slots) => match search(slots, &KeyProbe::new(key.bytes())) {
                Ok(at) => Arc::make_mut(slots)[at].1 = value,
                Err(_) if slots.len() == MOST_IN_A_SLICE => {
                    let mut tree: OrdMap<TreeKey, Arc<[u8]>> = slots.iter().cloned().collect();
                    tree.insert(key, value);
                    *self = Partition::Many(Arc::new(tree));
                }
                Err(at) => {
                    let mut grown = Vec::with_capacity(slots.len() + 1);
                    grown.extend_from_slice(&slots[..at]);
                    grown.push((key, value));
                    grown.extend_from_slice(&slots[at..]);
                    *slots = grown.into();
                }
            },
            Partition::Many(tree) => {
                Arc::make_mut(tree).insert(key, value);
            }
        }
    }

    /// Removes `probe`'s entry; whether the group is then empty.
    fn remove(&mut self, probe: &KeyProbe<'_>) -> bool {
        match self {
            Partition::One(held, _) => &held[..] == probe.bytes(),
            Partition::Few(slots) => {
                if let Ok(at) = search(slots, probe) {
                    let mut rest: Vec<Slot> = slots.to_vec();
                    rest.remove(at);
                    *self = Partition::shrunk(rest);
                }
                false
            }
            Partition::Many(tree) => {
                let tree = Arc::make_mut(tree);
                tree.remove(probe);
                if tree.len() < FEWEST_IN_A_TREE {
                    let rest: Vec<Slot> =
                        tree.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
                    *self = Partition::shrunk(rest);
                }
                false
            }
        }
    }

    /// A group of the remaining `slots` of one that had more.
    fn shrunk(mut slots: Vec<Slot>) -> Partition {
        match slots.len() {
            1 => {
                let (key, value) = slots.remove(0);
                Partition::One(key.shared_bytes(), value)
            }
            _ => Partition::Few(slots.into()),
        }
    }
}

#[derive(Clone, Default)]
pub(super) struct Map {
    groups: OrdMap<Prefix, Partition>,
}

impl Map {
    pub(super) fn get(&self, key: &[u8]) -> Option<&Arc<[u8]>> {
        self.groups
            .get(&prefix_of(key))
            .and_then(|partition| partition.get(&KeyProbe::new(key)))
    }

    pub(super) fn insert(&mut self, key: TreeKey, value: Arc<[u8]>) {
        let prefix = prefix_of(key.bytes());
        match self.groups.get_mut(&prefix) {
            Some(partition) => partition.insert(key, value),
            None => {
                self.groups
                    .insert(prefix, Partition::One(key.shared_bytes(), value));
            }
        }
    }

    pub(super) fn remove(&mut self, key: &[u8]) {
        let prefix = prefix_of(key);
        let emptied = match self.groups.get_mut(&prefix) {
            Some(partition) => partition.remove(&KeyProbe::new(key)),
            None => false,
        };
        if emptied {
            self.groups.remove(&prefix);
        }
    }

    /// The groups, in order.
    pub(super) fn groups(&self) -> &OrdMap<Prefix, Partition> {
        &self.groups
    }
}

impl FromIterator<(TreeKey, Arc<[u8]>)> for Map {
    fn from_iter<I: IntoIterator<Item = (TreeKey, Arc<[u8]>)>>(entries: I) -> Self {
        let mut map = Map::default();
        for (key, value) in entries {
            map.insert(key, value);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::super::tree_key::tests::key;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prefixes_order_as_their_keys_do(a in key(), b in key()) {
            let (prefix_a, prefix_b) = (prefix_of(&a), prefix_of(&b));
            if prefix_a != prefix_b {
                prop_assert_eq!(prefix_a.cmp(&prefix_b), a.cmp(&b));
            }
            let shared = a[..group_len(&a)] == b[..group_len(&b)];
            prop_assert_eq!(prefix_a == prefix_b, shared);
        }

        /// Puts and removes against a sorted map: gets agree, and groups
        /// of one and of many turn into one another as entries come and go.
        #[test]
        fn puts_and_removes_read_back_as_a_sorted_map_holds_them(
            writes in prop::collection::vec((key(), any::<Option<u8>>()), 0..80),
        ) {
            let mut map = Map::default();
            let mut model = std::collections::BTreeMap::new();
            for (key, value) in &writes {
                match value {
                    Some(value) => {
                        map.insert(TreeKey::from(&key[..]), Arc::from(&[*value][..]));
                        model.insert(key.clone(), *value);
                    }
                    None => {
                        map.remove(key);
                        model.remove(key);
                    }
                }
            }
            for (key, _) in &writes {
                prop_assert_eq!(map.get(key).map(|value| value[0]), model.get(key).copied());
            }
            let groups: std::collections::BTreeSet<Prefix> =
                model.keys().map(|key| prefix_of(key)).collect();
            prop_assert_eq!(map.groups().keys().copied().collect::<Vec<_>>(),
                groups.into_iter().collect::<Vec<_>>());
        }
    }
}
