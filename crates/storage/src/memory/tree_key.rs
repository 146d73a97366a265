//! The in-memory tree's keys: the key's bytes, shared, and their first 16
//! bytes inline as one integer.
//!
//! Why the inline head: the tree's nodes hold pointers to keys, and a
//! lookup compares the searched key with ~4 keys in each of ~6 nodes at a
//! million entries. With only the pointer in the node every one of those
//! comparisons is a cache miss once the keys outgrow the CPU's cache, and
//! a Query of 10 items spent a fifth of its time in them. An item key
//! starts with its space tag, table id and partition hash (core's
//! keys.rs), so the heads of two keys differ unless they are in one
//! partition; comparing heads settles almost every comparison from the
//! node's own memory.
//!
//! Heads order as the bytes do: they are the first 16 bytes, zero-padded,
//! read big-endian. When heads differ, the first difference of the padded
//! bytes is a real difference of the keys, or a key that ends where the
//! other has a non-zero byte, i.e. its prefix; when they are equal the full
//! bytes decide.

use equivalent::{Comparable, Equivalent};
use std::cmp::Ordering;
use std::sync::Arc;

const HEAD_BYTES: usize = 16;

pub(super) fn head_of(bytes: &[u8]) -> u128 {
    let mut head = [0u8; HEAD_BYTES];
    let inline = bytes.len().min(HEAD_BYTES);
    head[..inline].copy_from_slice(&bytes[..inline]);
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

    /// The key's first 16 bytes, zero-padded, as an integer that orders as
    /// they do.
    pub(super) fn head(&self) -> u128 {
        self.head
    }
}

impl From<&[u8]> for TreeKey {
    fn from(bytes: &[u8]) -> Self {
        TreeKey {
            head: head_of(bytes),
            bytes: bytes.into(),
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

    /// A run of ones up to past the head's 16 bytes, then a short tail
    /// over a small alphabet: keys often share their heads, end inside
    /// them (zero padding against real zero bytes) or are one another's
    /// prefixes.
    pub(in crate::memory) fn key() -> impl Strategy<Value = Vec<u8>> {
        let tail = prop::collection::vec(prop::sample::select(vec![0u8, 1, 2, 0xff]), 0..4);
        (0usize..19, tail).prop_map(|(ones, tail)| {
            let mut key = vec![1u8; ones];
            key.extend(tail);
            key
        })
    }

    proptest! {
        #[test]
        fn tree_keys_order_as_their_bytes(a in key(), b in key()) {
            let (key_a, key_b) = (TreeKey::from(&a[..]), TreeKey::from(&b[..]));
            prop_assert_eq!(key_a.cmp(&key_b), a.cmp(&b));
            prop_assert_eq!(key_a == key_b, a == b);
        }

        #[test]
        fn probes_compare_as_their_bytes(a in key(), b in key()) {
            let (probe, key) = (KeyProbe::new(&a), TreeKey::from(&b[..]));
            prop_assert_eq!(probe.compare(&key), a.cmp(&b));
            prop_assert_eq!(probe.equivalent(&key), a == b);
        }
    }

    #[test]
    fn a_key_that_ends_in_its_head_sorts_before_its_extensions() {
        let short = TreeKey::from(&b"ab"[..]);
        let zero_extended = TreeKey::from(&b"ab\0"[..]);
        assert!(short < zero_extended);
        assert!(KeyProbe::new(b"ab").compare(&zero_extended).is_lt());
    }
}
