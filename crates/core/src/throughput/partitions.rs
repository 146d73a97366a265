//! Per-partition limits: however much capacity a table has, DynamoDB
//! serves one partition at most 3,000 read units and 1,000 write units a
//! second, so a hot partition key is throttled on its own
//! (KeyRangeThroughputExceeded) — what write sharding (a random suffix on
//! the partition key) is for. A partition here is one partition-key value
//! of a table or index, the finest a partition can split to.
//!
//! Buckets live in a fixed array of slots, by partition hash, so memory
//! stays bounded however many keys a table has: a slot changes hands once
//! its partition has been idle long enough to refill, and a partition
//! whose slot another busy partition holds goes unmetered (never
//! throttled wrongly, at worst throttled late). A partition's bucket holds
//! one second of capacity: the burst a table keeps is not per partition.

use super::{Bucket, Direction};
use crate::keys;
use parking_lot::Mutex;
use std::time::Instant;

/// Read units a partition serves per second.
const READ_UNITS: f64 = 3000.0;
/// Write units a partition serves per second.
const WRITE_UNITS: f64 = 1000.0;
/// Buckets kept, per direction.
const SLOTS: usize = 4096;

/// One partition of a table or index: the id and partition hash every
/// storage key of its items (or entries) starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Partition {
    pub id: u32,
    pub hash: u64,
}

impl Partition {
    /// The partition of an item key (or index entry key, or the start of
    /// a Query's range).
    pub fn of_key(key: &[u8]) -> Option<Partition> {
        Some(Partition {
            id: u32::from_be_bytes(key.get(1..5)?.try_into().ok()?),
            hash: keys::hash_of_item_key(key)?,
        })
    }
}

struct Slot {
    partition: Partition,
    bucket: Bucket,
}

pub(super) struct PartitionLimits {
    /// Reads then writes, `SLOTS` each; empty unless enforcement is on.
    slots: Box<[Mutex<Option<Slot>>]>,
}

fn rate(direction: Direction) -> f64 {
    match direction {
        Direction::Read => READ_UNITS,
        Direction::Write => WRITE_UNITS,
    }
}

impl PartitionLimits {
    pub(super) fn new(enforced: bool) -> PartitionLimits {
        let slots = if enforced { 2 * SLOTS } else { 0 };
        PartitionLimits {
            slots: (0..slots).map(|_| Mutex::new(None)).collect(),
        }
    }

    /// Runs `with` on the partition's bucket, refilled to `now`, taking
    /// the slot when it is free or its partition idle; None when another
    /// busy partition holds it.
    fn with_bucket<T>(
        &self,
        partition: Partition,
        direction: Direction,
        now: Instant,
        with: impl FnOnce(&mut Bucket) -> T,
    ) -> Option<T> {
        let offset = match direction {
            Direction::Read => 0,
            Direction::Write => SLOTS,
        };
        let mixed = partition.hash ^ u64::from(partition.id).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let slot = self.slots.get(offset + (mixed % SLOTS as u64) as usize)?;
        let rate = rate(direction);
        let mut slot = slot.lock();
        match slot.as_mut() {
            Some(held) if held.partition == partition => {
                held.bucket.refill(rate, rate, now);
                Some(with(&mut held.bucket))
            }
            Some(held) => {
                held.bucket.refill(rate, rate, now);
                if held.bucket.tokens < rate {
                    return None;
                }
                held.partition = partition;
                Some(with(&mut held.bucket))
            }
            None => {
                let held = slot.insert(Slot {
                    partition,
                    bucket: Bucket::new(rate, now),
                });
                Some(with(&mut held.bucket))
            }
        }
    }

    /// Whether the partition has capacity left.
    pub(super) fn admit(&self, partition: Partition, direction: Direction, now: Instant) -> bool {
        self.with_bucket(partition, direction, now, |bucket| bucket.tokens > 0.0)
            .unwrap_or(true)
    }

    pub(super) fn charge(
        &self,
        partition: Partition,
        direction: Direction,
        units: f64,
        now: Instant,
    ) {
        self.with_bucket(partition, direction, now, |bucket| bucket.tokens -= units);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn partition(hash: u64) -> Partition {
        Partition { id: 7, hash }
    }

    #[test]
    fn a_partition_serves_a_thousand_write_units_a_second() {
        let limits = PartitionLimits::new(true);
        let t0 = Instant::now();
        let hot = partition(1);
        assert!(limits.admit(hot, Direction::Write, t0));
        limits.charge(hot, Direction::Write, 1200.0, t0);
        assert!(!limits.admit(hot, Direction::Write, t0));
        // Another key of the table, and reads of the hot one, are not held back.
        assert!(limits.admit(partition(2), Direction::Write, t0));
        assert!(limits.admit(hot, Direction::Read, t0));
        // 200 units short at 1,000 a second.
        assert!(!limits.admit(hot, Direction::Write, t0 + Duration::from_millis(150)));
        assert!(limits.admit(hot, Direction::Write, t0 + Duration::from_millis(250)));
    }

    #[test]
    fn idle_capacity_does_not_accumulate_past_a_second() {
        let limits = PartitionLimits::new(true);
        let t0 = Instant::now();
        let hot = partition(1);
        assert!(limits.admit(hot, Direction::Read, t0));
        let later = t0 + Duration::from_secs(60);
        limits.charge(hot, Direction::Read, 3000.0, later);
        assert!(!limits.admit(hot, Direction::Read, later));
    }

    #[test]
    fn a_busy_slot_is_kept_and_an_idle_one_handed_over() {
        let limits = PartitionLimits::new(true);
        let t0 = Instant::now();
        let first = partition(5);
        // Same slot: the mixed hashes differ by a multiple of SLOTS.
        let second = partition(5 + SLOTS as u64);
        limits.charge(first, Direction::Write, 1500.0, t0);
        // The second partition goes unmetered while the first is busy...
        limits.charge(second, Direction::Write, 5000.0, t0);
        assert!(limits.admit(second, Direction::Write, t0));
        assert!(!limits.admit(first, Direction::Write, t0));
        // ...and takes the slot over once the first has refilled.
        let later = t0 + Duration::from_secs(2);
        limits.charge(second, Direction::Write, 1500.0, later);
        assert!(!limits.admit(second, Direction::Write, later));
    }

    #[test]
    fn nothing_is_kept_unless_enforced() {
        let limits = PartitionLimits::new(false);
        assert!(limits.slots.is_empty());
        limits.charge(partition(1), Direction::Write, 1e9, Instant::now());
        assert!(limits.admit(partition(1), Direction::Write, Instant::now()));
    }

    #[test]
    fn partitions_come_from_item_keys() {
        let key =
            keys::item_key(3, &dynalith_model::AttributeValue::S("user#1".into()), None).unwrap();
        let partition = Partition::of_key(&key).unwrap();
        assert_eq!(partition.id, 3);
        assert_eq!(Some(partition.hash), keys::hash_of_item_key(&key));
        assert_eq!(Partition::of_key(&key[..4]), None);
    }
}
