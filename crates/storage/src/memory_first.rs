//! Reads first tried from memory, once the data has outgrown it.
//!
//! While the request threads' reads wait on the disk (`disk_reads`), the
//! server runs operations on threads made for blocking. Most workloads
//! have a hot set, though, and a read of an item whose blocks are in the
//! memtables or the block cache costs a few microseconds inline, where the
//! hop to a blocking thread and back costs two context switches. So a call
//! that only reads is first run inline with every read limited to memory
//! (RocksDB's `kBlockCacheTier`: a read that would need a file's block not
//! in the block cache ends with `Incomplete` instead of reading it). If any
//! read needed the device, whatever the call made of it is thrown away and
//! the caller runs it again where it may block. Only calls that change
//! nothing may be tried this way: a failed try must leave no trace.
//!
//! A try that fails costs its work up to the missing block, so tries stop
//! when most fail (a read load spread evenly over data larger than memory)
//! and resume when the recent tries say they pay: one call in
//! `PROBE_EVERY` is still tried to find out.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// Tries pay when at least one in this many is served from memory. A
/// served try saves the hop (~13 us of CPU per GetItem on the benchmark
/// VM); a failed one costs its work up to the missing block, and with a
/// third of the tries served, GetItem ran 0.85-0.99x (3 rounds, 3M items
/// in 400 MB), so the bar is at half.
const WORTH_IT_ONE_IN: u32 = 2;
/// Below that, one call in this many is still tried.
const PROBE_EVERY: u32 = 16;
/// The recent tries counted: the counts are halved once this many have
/// been made, so the rate follows the load within a few hundred calls.
const WINDOW: u32 = 256;

thread_local! {
    static LIMITED: Cell<Limit> = const { Cell::new(Limit::Off) };
}

#[derive(Clone, Copy, PartialEq)]
enum Limit {
    Off,
    /// Reads are limited to memory, and none has needed the device yet.
    InMemory,
    /// A read needed the device: the call's result is worthless.
    NeededDevice,
}

/// Whether this thread's reads must not go to the storage device.
pub(crate) fn reads_limited_to_memory() -> bool {
    LIMITED.with(|limit| limit.get() != Limit::Off)
}

/// Notes that a read on this thread stopped because it needed the device.
pub(crate) fn read_needed_device() {
    LIMITED.with(|limit| {
        if limit.get() == Limit::InMemory {
            limit.set(Limit::NeededDevice);
        }
    });
}

/// Ends the limit when the call returns or unwinds.
struct LimitGuard;

impl Drop for LimitGuard {
    fn drop(&mut self) {
        LIMITED.with(|limit| limit.set(Limit::Off));
    }
}

/// Runs read-only calls with their reads limited to memory, and keeps the
/// rate at which that serves them.
#[derive(Default)]
pub struct MemoryFirst {
    calls: AtomicU32,
    /// Recent tries, and how many of them were served from memory.
    window_tries: AtomicU32,
    window_served: AtomicU32,
    served: AtomicU64,
    needed_device: AtomicU64,
}

impl MemoryFirst {
    /// Runs `call` here with its reads limited to memory, when tries pay.
    /// `None` when it was not tried, or when a read needed the device: the
    /// caller then runs it again where reads may block. `call` must change
    /// nothing.
    pub fn run<T>(&self, call: impl FnOnce() -> T) -> Option<T> {
        if !self.worth_trying() {
            return None;
        }
        let result = {
            let _guard = LimitGuard;
            LIMITED.with(|limit| limit.set(Limit::InMemory));
            let result = call();
            let served = LIMITED.with(|limit| limit.get()) == Limit::InMemory;
            served.then_some(result)
        };
        self.record(result.is_some());
        result
    }

    /// Calls served from memory, and calls that needed the device, since
    /// the engine opened.
    pub fn outcomes(&self) -> (u64, u64) {
        (
            self.served.load(Ordering::Relaxed),
            self.needed_device.load(Ordering::Relaxed),
        )
    }

    fn worth_trying(&self) -> bool {
        let tries = self.window_tries.load(Ordering::Relaxed);
        let served = self.window_served.load(Ordering::Relaxed);
        if tries < PROBE_EVERY || served * WORTH_IT_ONE_IN >= tries {
            return true;
        }
        self.calls
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(PROBE_EVERY)
    }

    fn record(&self, served: bool) {
        if served {
            self.served.fetch_add(1, Ordering::Relaxed);
            self.window_served.fetch_add(1, Ordering::Relaxed);
        } else {
            self.needed_device.fetch_add(1, Ordering::Relaxed);
        }
        if self.window_tries.fetch_add(1, Ordering::Relaxed) + 1 >= WINDOW {
            // Racing halvings lose a count or two; the rate is a hint.
            self.window_tries.store(WINDOW / 2, Ordering::Relaxed);
            let served = self.window_served.load(Ordering::Relaxed);
            self.window_served
                .store(served.min(WINDOW) / 2, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A call whose reads all stay in memory, or one of whose needs the
    /// device, as the engine would report it.
    fn call(needs_device: bool) -> u32 {
        assert!(reads_limited_to_memory());
        if needs_device {
            read_needed_device();
        }
        7
    }

    #[test]
    fn a_call_served_from_memory_keeps_its_result() {
        let first = MemoryFirst::default();
        assert_eq!(first.run(|| call(false)), Some(7));
        assert!(!reads_limited_to_memory());
        assert_eq!(first.outcomes(), (1, 0));
    }

    #[test]
    fn a_call_that_needed_the_device_is_thrown_away() {
        let first = MemoryFirst::default();
        assert_eq!(first.run(|| call(true)), None);
        assert!(!reads_limited_to_memory());
        assert_eq!(first.outcomes(), (0, 1));
    }

    #[test]
    fn the_limit_ends_when_the_call_unwinds() {
        let first = MemoryFirst::default();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            first.run(|| -> u32 { panic!("a bug in the operation") })
        }));
        assert!(unwound.is_err());
        assert!(!reads_limited_to_memory());
    }

    #[test]
    fn tries_stop_when_most_need_the_device_and_resume_when_they_pay() {
        let first = MemoryFirst::default();
        for _ in 0..WINDOW {
            first.run(|| call(true));
        }
        // Now only one call in PROBE_EVERY is tried.
        let (_, before) = first.outcomes();
        for _ in 0..PROBE_EVERY * 10 {
            assert_eq!(first.run(|| call(true)), None);
        }
        assert_eq!(first.outcomes().1 - before, 10);
        // Probes that are served bring the tries back.
        for _ in 0..PROBE_EVERY * WINDOW {
            first.run(|| call(false));
        }
        let (before, _) = first.outcomes();
        for _ in 0..10 {
            assert_eq!(first.run(|| call(false)), Some(7));
        }
        assert_eq!(first.outcomes().0 - before, 10);
    }
}
