//! A transaction's own uncommitted writes, laid over what its reads find
//! committed, so that a transaction reads its own writes.
//!
//! The embedded engines' transactions write into a log in the form their
//! commit applies (RocksDB's WriteBatch, the in-memory engine's list),
//! which cannot be searched. The core rarely reads a key it wrote in the
//! same transaction, so the map is built from the log on the first read
//! and kept up to date from then on (`PendingWrites`); a transaction that
//! never reads pays nothing for it.

use crate::counters::{add_into, decode_counters, encode_counters};
use crate::{KeyValue, Result, ScanIter};
use std::cell::OnceCell;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::iter::Peekable;
use std::ops::Bound;

/// An engine's log of a transaction's writes, in the form its commit
/// applies them.
pub(crate) trait WriteLog: Default {
    fn put(&mut self, key: &[u8], value: &[u8]);
    fn delete(&mut self, key: &[u8]);
    fn add_counters(&mut self, key: &[u8], deltas: &[i64]);
    fn is_empty(&self) -> bool;
    /// Replays every write, in order, into `own`.
    fn replay(&self, own: &mut OwnWrites);
}

/// A transaction's writes: the engine's log, and from the transaction's
/// first read on the same writes in searchable form.
#[derive(Default)]
pub(crate) struct PendingWrites<L> {
    log: L,
    own: OnceCell<OwnWrites>,
}

impl<L: WriteLog> PendingWrites<L> {
    pub(crate) fn put(&mut self, key: &[u8], value: &[u8]) {
        self.log.put(key, value);
        if let Some(own) = self.own.get_mut() {
            own.put(key, value);
        }
    }

    pub(crate) fn delete(&mut self, key: &[u8]) {
        self.log.delete(key);
        if let Some(own) = self.own.get_mut() {
            own.delete(key);
        }
    }

    pub(crate) fn add_counters(&mut self, key: &[u8], deltas: &[i64]) {
        self.log.add_counters(key, deltas);
        if let Some(own) = self.own.get_mut() {
            own.add_counters(key, deltas);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.log.is_empty()
    }

    /// The writes in searchable form, built from the log on first use.
    pub(crate) fn own_writes(&self) -> &OwnWrites {
        self.own.get_or_init(|| {
            let mut own = OwnWrites::default();
            self.log.replay(&mut own);
            own
        })
    }

    /// The log, for the commit to apply.
    pub(crate) fn into_log(self) -> L {
        self.log
    }
}

#[derive(Debug, PartialEq)]
enum OwnWrite {
    Put(Vec<u8>),
    Delete,
    /// Counter deltas merged into whatever the key holds when committed.
    Add(Vec<i64>),
}

/// What a transaction does to a key when it commits.
#[derive(Debug, PartialEq)]
pub(crate) enum FinalWrite {
    Put(Vec<u8>),
    Delete,
    /// Adds these counters (encoded) to whatever is committed by then, so
    /// that the transaction never had to read or lock the key.
    Add(Vec<u8>),
}

#[derive(Default)]
pub(crate) struct OwnWrites {
    writes: BTreeMap<Box<[u8]>, OwnWrite>,
}

impl OwnWrites {
    pub(crate) fn put(&mut self, key: &[u8], value: &[u8]) {
        self.writes
            .insert(key.into(), OwnWrite::Put(value.to_vec()));
    }

    pub(crate) fn delete(&mut self, key: &[u8]) {
        self.writes.insert(key.into(), OwnWrite::Delete);
    }

    pub(crate) fn add_counters(&mut self, key: &[u8], deltas: &[i64]) {
        let next = match self.writes.remove(key) {
            None => OwnWrite::Add(deltas.to_vec()),
            Some(OwnWrite::Add(mut total)) => {
                add_into(&mut total, deltas);
                OwnWrite::Add(total)
            }
            Some(written) => OwnWrite::Put(
                apply(&written, None)
                    .map(|value| add_to_encoded(&value, deltas))
                    .unwrap_or_else(|| encode_counters(deltas)),
            ),
        };
        self.writes.insert(key.into(), next);
    }

    /// What a read of `key` sees, given what is committed there (read only
    /// when this transaction's own write depends on it).
    pub(crate) fn read(
        &self,
        key: &[u8],
        committed: impl FnOnce() -> Result<Option<Vec<u8>>>,
    ) -> Result<Option<Vec<u8>>> {
        match self.writes.get(key) {
            None => committed(),
            Some(write @ OwnWrite::Add(_)) => Ok(apply(write, committed()?.as_deref())),
            Some(write) => Ok(apply(write, None)),
        }
    }

    /// Every key written and what the commit does to it, in key order.
    pub(crate) fn into_final_writes(self) -> Vec<(Box<[u8]>, FinalWrite)> {
        self.writes
            .into_iter()
            .map(|(key, write)| {
                let last = match write {
                    OwnWrite::Put(value) => FinalWrite::Put(value),
                    OwnWrite::Delete => FinalWrite::Delete,
                    OwnWrite::Add(deltas) => FinalWrite::Add(encode_counters(&deltas)),
                };
                (key, last)
            })
            .collect()
    }

    /// A committed range read in `[start, end)` with this transaction's
    /// writes in that range merged in, in the same order.
    pub(crate) fn merge_range<'a>(
        &'a self,
        committed: ScanIter<'a>,
        start: &[u8],
        end: &[u8],
        reverse: bool,
    ) -> ScanIter<'a> {
        if start >= end {
            return committed;
        }
        let range = self
            .writes
            .range::<[u8], _>((Bound::Included(start), Bound::Excluded(end)));
        let own: OwnEntries<'a> = if reverse {
            Box::new(range.rev())
        } else {
            Box::new(range)
        };
        Box::new(MergedRange {
            committed: committed.peekable(),
            own: own.peekable(),
            reverse,
        })
    }
}

/// `write` applied over the committed value; `None` when it leaves no value.
fn apply(write: &OwnWrite, committed: Option<&[u8]>) -> Option<Vec<u8>> {
    match write {
        OwnWrite::Put(value) => Some(value.clone()),
        OwnWrite::Delete => None,
        OwnWrite::Add(deltas) => Some(match committed {
            Some(value) => add_to_encoded(value, deltas),
            None => encode_counters(deltas),
        }),
    }
}

fn add_to_encoded(value: &[u8], deltas: &[i64]) -> Vec<u8> {
    let mut total = decode_counters(value);
    add_into(&mut total, deltas);
    encode_counters(&total)
}

type OwnEntries<'a> = Box<dyn Iterator<Item = (&'a Box<[u8]>, &'a OwnWrite)> + 'a>;

struct MergedRange<'a> {
    committed: Peekable<ScanIter<'a>>,
    own: Peekable<OwnEntries<'a>>,
    reverse: bool,
}

impl Iterator for MergedRange<'_> {
    type Item = Result<KeyValue>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let order = match (self.committed.peek(), self.own.peek()) {
                (None, None) => return None,
                (Some(Err(_)), _) | (Some(_), None) => return self.committed.next(),
                (None, Some(_)) => Ordering::Greater,
                (Some(Ok((committed, _))), Some((own, _))) => {
                    let order = committed.as_ref().cmp(own.as_ref());
                    if self.reverse {
                        order.reverse()
                    } else {
                        order
                    }
                }
            };
            match order {
                Ordering::Less => return self.committed.next(),
                Ordering::Greater => {
                    let (key, write) = self.own.next()?;
                    if let Some(value) = apply(write, None) {
                        return Some(Ok((key.clone(), value.into())));
                    }
                }
                Ordering::Equal => {
                    let (key, write) = self.own.next()?;
                    let committed = match self.committed.next()? {
                        Ok((_, value)) => value,
                        Err(e) => return Some(Err(e)),
                    };
                    if let Some(value) = apply(write, Some(&committed)) {
                        return Some(Ok((key.clone(), value.into())));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed(entries: &[(&[u8], &[u8])], reverse: bool) -> ScanIter<'static> {
        let mut entries: Vec<Result<KeyValue>> = entries
            .iter()
            .map(|(k, v)| Ok((Box::from(*k), Box::from(*v))))
            .collect();
        if reverse {
            entries.reverse();
        }
        Box::new(entries.into_iter())
    }

    #[test]
    fn own_writes_override_insert_and_hide_committed_entries_both_ways() {
        let mut own = OwnWrites::default();
        own.put(b"b", b"mine");
        own.delete(b"c");
        own.put(b"d", b"new");
        own.delete(b"x");
        own.add_counters(b"e", &[2]);
        own.put(b"z", b"outside");
        let base: &[(&[u8], &[u8])] = &[
            (b"a", b"1"),
            (b"b", b"2"),
            (b"c", b"3"),
            (b"e", &encode_counters(&[40])),
        ];
        let forward: Vec<KeyValue> = own
            .merge_range(committed(base, false), b"a", b"f", false)
            .map(|r| r.unwrap())
            .collect();
        let want: Vec<KeyValue> = vec![
            (b"a"[..].into(), b"1"[..].into()),
            (b"b"[..].into(), b"mine"[..].into()),
            (b"d"[..].into(), b"new"[..].into()),
            (b"e"[..].into(), encode_counters(&[42]).into()),
        ];
        assert_eq!(forward, want);
        let backward: Vec<KeyValue> = own
            .merge_range(committed(base, true), b"a", b"f", true)
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(backward, want.into_iter().rev().collect::<Vec<_>>());
    }

    #[test]
    fn counters_added_after_a_put_or_delete_build_on_it() {
        let mut own = OwnWrites::default();
        own.put(b"p", &encode_counters(&[1, 1]));
        own.add_counters(b"p", &[1, 2, 3]);
        own.delete(b"q");
        own.add_counters(b"q", &[5]);
        own.add_counters(b"r", &[1]);
        own.add_counters(b"r", &[1]);
        let nothing = || Ok(None);
        assert_eq!(
            own.read(b"p", nothing).unwrap(),
            Some(encode_counters(&[2, 3, 3]))
        );
        assert_eq!(
            own.read(b"q", nothing).unwrap(),
            Some(encode_counters(&[5]))
        );
        assert_eq!(
            own.read(b"r", || Ok(Some(encode_counters(&[10])))).unwrap(),
            Some(encode_counters(&[12]))
        );
        assert_eq!(
            own.read(b"s", || Ok(Some(b"c".to_vec()))).unwrap(),
            Some(b"c".to_vec())
        );
        // Only counters added to a key the transaction did not write stay
        // additions at commit.
        assert_eq!(
            own.into_final_writes(),
            vec![
                (
                    b"p"[..].into(),
                    FinalWrite::Put(encode_counters(&[2, 3, 3]))
                ),
                (b"q"[..].into(), FinalWrite::Put(encode_counters(&[5]))),
                (b"r"[..].into(), FinalWrite::Add(encode_counters(&[2]))),
            ]
        );
    }
}
