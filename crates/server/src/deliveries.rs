//! Counts of what the server sends on its own, for `/metrics`: records
//! delivered by each stream trigger and Kinesis destination, and attempts
//! that failed (and are retried). A destination that falls behind shows as
//! failures rising while its records stand still.

use parking_lot::Mutex;
use std::collections::BTreeMap;

/// What delivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Trigger,
    Kinesis,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Trigger => "trigger",
            Kind::Kinesis => "kinesis",
        }
    }
}

/// One deliverer: its kind, its table and where it delivers to (a URL or
/// a Kinesis stream ARN).
pub type Deliverer = (Kind, String, String);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub records: u64,
    pub failures: u64,
}

/// Counts per deliverer. Batches are rare next to requests: a lock will do.
#[derive(Debug, Default)]
pub struct Deliveries {
    counts: Mutex<BTreeMap<Deliverer, Counts>>,
}

impl Deliveries {
    pub fn delivered(&self, kind: Kind, table: &str, target: &str, records: usize) {
        self.entry(kind, table, target, |c| c.records += records as u64);
    }

    pub fn failed(&self, kind: Kind, table: &str, target: &str) {
        self.entry(kind, table, target, |c| c.failures += 1);
    }

    /// Every deliverer's counts, in order.
    pub fn snapshot(&self) -> Vec<(Deliverer, Counts)> {
        self.counts
            .lock()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect()
    }

    fn entry(&self, kind: Kind, table: &str, target: &str, change: impl FnOnce(&mut Counts)) {
        let mut counts = self.counts.lock();
        let key = (kind, table.to_string(), target.to_string());
        change(counts.entry(key).or_default());
    }
}
