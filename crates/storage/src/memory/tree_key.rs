//! The keys of a group's slice or tree (`partitions.rs`): the key's bytes,
//! shared, and 16 bytes of them inline as one integer, the head.
//!
//! Why the inline head: the tree's nodes hold pointers to keys, and a
//! lookup compares the searched key with ~4 keys in a node. With only the
//! pointer in the node every one of those comparisons is a cache miss once
//! the keys outgrow the CPU's cache; a Query of 10 items spent a fifth of
//! its time in them when one tree held every key. The keys of a group share
//! their first bytes (`partitions::group_len`), so the head is the 16 bytes
//! after them: an item's encoded key values, which settle most comparisons
//! from the node's own memory.
//!
//! Heads order as the bytes after the group's prefix do: they are those
//! bytes' first 16, zero-padded, read big-endian. When heads differ, the
//! first difference of the padded bytes is a real difference of the keys,
//! or a key that ends where the other has a non-zero byte, i.e. its prefix;
//! when they are equal the full bytes decide. Keys are only ever compared
//! with keys of their own group.

use equivalent::{Comparable, Equivalent};
use std::cmp::Ordering;
use std::sync::Arc;

use super::partitions::group_len;

const HEAD_BYTES: usize = 16;

/// The head of a key: the 16 bytes after its group's prefix, zero-padded.
pub(super) fn head_of(bytes: &[u8]) -> u128 {
    let after_prefix = &bytes[group_len(bytes)..];
    let mut head = [0u8; HEAD_BYTES];
    let inline = after_prefix.len().min(HEAD_BYTES);
    head[..inline].copy_from_slice(&after_prefix[..inline]);
    u128::from_be_bytes(head)
}

fn compare(head: u128, bytes: &[u8], other_head: u128, other_bytes: &[u8]) -> Ordering {
    head.cmp(&other_head).then_with(|| bytes.cmp(other_bytes))
}

/// A key held by the tree.
#[derive(Clone, Debug)]
pub(super) struct TreeKey {
    head: u128,
    bytes: Arc<[u8]>,
}

impl TreeKey {
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key's bytes, shared with it.
    pub(super) fn shared_bytes(&self) -> Arc<[u8]> {
        self.bytes.clone()
    }

    /// The 16 bytes after the key's group prefix, zero-padded, as an
    /// integer that orders as they do.
    pub(super) fn head(&self) -> u128 {
        self.head
    }
}

impl From<&[u8]> for TreeKey {
    fn from(bytes: &[u8]) -> Self {
        TreeKey::from(Arc::<[u8]>::from(bytes))
    }
}

impl From<Arc<[u8]>> for TreeKey {
    fn from(bytes: Arc<[u8]>) -> Self {
        TreeKey {
            head: head_of(&bytes),
            bytes,
        }
    }
}

impl Ord for TreeKey {
    fn cmp(&self, other: &Self) -> Ordering {
        compare(self.head, &self.bytes, other.head, &other.bytes)
    }
}

impl PartialOrd for TreeKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for TreeKey {
    fn eq(&self, other: &Self) -> bool {
        self.head == other.head && self.bytes == other.bytes
    }
}

impl Eq for TreeKey {}

/// A borrowed key to search the tree with, without copying it into a
/// `TreeKey` first.
#[derive(Clone, Copy)]
pub(super) struct KeyProbe<'k> {
    head: u128,
    bytes: &'k [u8],
}

impl<'k> KeyProbe<'k> {
    pub(super) fn new(bytes: &'k [u8]) -> Self {
        KeyProbe {
            head: head_of(bytes),
            bytes,
        }
    }

    pub(super) fn bytes(&self) -> &'k [u8] {
        self.bytes
    }
}

impl Equivalent<TreeKey> for KeyProbe<'_> {
    fn equivalent(&self, key: &TreeKey) -> bool {
        self.head == key.head && self.bytes == &key.bytes[..]
    }
}

impl Comparable<TreeKey> for KeyProbe<'_> {
    fn compare(&self, key: &TreeKey) -> Ordering {
        compare(self.head, self.bytes, key.head, &key.bytes)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A first byte that picks the item keys' grouping rule or the other
    /// keys', a run of that byte up to past a group's prefix and the head's
    /// 16 bytes after it, then a short tail over a small alphabet: keys
    /// often share their groups and heads, end inside them (zero padding
    /// against real zero bytes) or are one another's prefixes.
    pub(in crate::memory) fn key() -> impl Strategy<Value = Vec<u8>> {
        let tail = prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, 0xff]), 0..4);
        (prop::sample::select(vec![1u8, 2]), 0usize..32, tail).prop_map(|(run, len, tail)| {
            let mut key = vec![run; len];
            key.extend(tail);
            key
        })
    }

    /// Keys of one group: a prefix as long as any group's, then a `key()`.
    fn key_in_a_group() -> impl Strategy<Value = Vec<u8>> {
        key().prop_map(|after| [vec![2u8; 13], after].concat())
    }

    proptest! {
        #[test]
        fn tree_keys_order_as_their_bytes(a in key_in_a_group(), b in key_in_a_group()) {
            let (key_a, key_b) = (TreeKey::from(&a[..]), TreeKey::from(&b[..]));
            prop_assert_eq!(key_a.cmp(&key_b), a.cmp(&b));
            prop_assert_eq!(key_a == key_b, a == b);
        }

        #[test]
        fn probes_compare_as_their_bytes(a in key_in_a_group(), b in key_in_a_group()) {
            let (probe, key) = (KeyProbe::new(&a), TreeKey::from(&b[..]));
            prop_assert_eq!(probe.compare(&key), a.cmp(&b));
            prop_assert_eq!(probe.equivalent(&key), a == b);
        }
    }

    #[test]
    fn a_key_that_ends_in_its_head_sorts_before_its_extensions() {
        let short_bytes = b"0123456789abcab";
        let short = TreeKey::from(&short_bytes[..]);
        let zero_extended = TreeKey::from(&b"0123456789abcab\0"[..]);
        assert!(short < zero_extended);
        assert!(KeyProbe::new(short_bytes).compare(&zero_extended).is_lt());
    }
}
