//! Exclusive per-key locks for the embedded engine's transactions, held
//! from `get_for_update` until the transaction commits or rolls back.
//!
//! Why not RocksDB's TransactionDB, which has a lock manager: its
//! transactions also index every write (a WriteBatchWithIndex) and lock,
//! track and release every written key, where the core needs only the keys
//! it reads for update locked. A plain WriteBatch with these locks made
//! writes 7-21% faster (docs/design.md, "Storage engine").
//!
//! A key is locked by its 64-bit hash: two keys that collide share one
//! lock, which only serializes them. The core takes locks in key order, so
//! transactions do not deadlock; a lock that is not granted within the
//! timeout (a deadlock nonetheless, or a stuck holder) fails the attempt
//! with a conflict, which the core retries.

use crate::{Result, StorageError};
use parking_lot::{Condvar, Mutex};
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::time::{Duration, Instant};

/// Enough that writers on different keys rarely share a stripe's mutex.
const STRIPES: usize = 256;

pub(crate) struct RowLocks {
    stripes: Box<[Stripe]>,
    timeout: Duration,
}

#[derive(Default)]
struct Stripe {
    state: Mutex<StripeState>,
    released: Condvar,
}

#[derive(Default)]
struct StripeState {
    /// The hashes of the keys held in this stripe: a handful at most, one
    /// per transaction in flight.
    held: Vec<u64>,
    waiters: usize,
}

/// The lock a key maps to.
fn lock_id(key: &[u8]) -> u64 {
    BuildHasherDefault::<DefaultHasher>::default().hash_one(key)
}

impl RowLocks {
    pub(crate) fn new(timeout: Duration) -> Self {
        RowLocks {
            stripes: (0..STRIPES).map(|_| Stripe::default()).collect(),
            timeout,
        }
    }

    fn stripe(&self, id: u64) -> &Stripe {
        &self.stripes[(id % STRIPES as u64) as usize]
    }

    /// Takes the lock `id`, waiting for its holder up to the timeout.
    /// Returns false when the wait timed out.
    pub(crate) fn lock(&self, id: u64) -> bool {
        let stripe = self.stripe(id);
        let mut state = stripe.state.lock();
        if !state.held.contains(&id) {
            state.held.push(id);
            return true;
        }
        let deadline = Instant::now() + self.timeout;
        state.waiters += 1;
        let granted = loop {
            if stripe.released.wait_until(&mut state, deadline).timed_out() {
                break !state.held.contains(&id);
            }
            if !state.held.contains(&id) {
                break true;
            }
        };
        state.waiters -= 1;
        if granted {
            state.held.push(id);
        }
        granted
    }

    /// Releases the lock `id`, which the caller holds.
    pub(crate) fn unlock(&self, id: u64) {
        let stripe = self.stripe(id);
        let mut state = stripe.state.lock();
        if let Some(at) = state.held.iter().position(|&held| held == id) {
            state.held.swap_remove(at);
        }
        if state.waiters > 0 {
            // Waiters of other keys in the stripe wake too and wait again.
            stripe.released.notify_all();
        }
    }
}

/// The row locks one transaction holds, released when it drops: after its
/// commit, if any, is visible.
pub(crate) struct HeldLocks<'l> {
    locks: &'l RowLocks,
    held: Vec<u64>,
}

impl<'l> HeldLocks<'l> {
    pub(crate) fn new(locks: &'l RowLocks) -> Self {
        HeldLocks {
            locks,
            held: Vec::new(),
        }
    }

    /// Takes the lock of `key` unless this transaction holds it already;
    /// a conflict, for the core to retry, when the wait times out.
    pub(crate) fn take(&mut self, key: &[u8]) -> Result<()> {
        let id = lock_id(key);
        if !self.held.contains(&id) {
            if !self.locks.lock(id) {
                return Err(StorageError::Conflict);
            }
            self.held.push(id);
        }
        Ok(())
    }
}

impl Drop for HeldLocks<'_> {
    fn drop(&mut self) {
        for &id in &self.held {
            self.locks.unlock(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_held_lock_times_out_its_contender() {
        let locks = Arc::new(RowLocks::new(Duration::from_millis(50)));
        let id = lock_id(b"hot");
        assert!(locks.lock(id));
        let contender = {
            let locks = locks.clone();
            std::thread::spawn(move || locks.lock(id))
        };
        assert!(!contender.join().unwrap(), "granted while held");
        assert!(locks.lock(lock_id(b"other")), "another key is free");
    }

    #[test]
    fn a_waiter_gets_the_lock_once_it_is_released() {
        let locks = Arc::new(RowLocks::new(Duration::from_secs(10)));
        let id = lock_id(b"hot");
        assert!(locks.lock(id));
        let waiter = {
            let locks = locks.clone();
            std::thread::spawn(move || locks.lock(id))
        };
        std::thread::sleep(Duration::from_millis(20));
        locks.unlock(id);
        assert!(waiter.join().unwrap(), "granted once released");
        assert!(locks.stripe(id).state.lock().held.contains(&id));
    }
}
