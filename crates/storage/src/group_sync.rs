//! Group commit without a thread per waiting request.
//!
//! A durable commit appends its WAL record to the log's buffer and returns
//! at once; this module's one background thread writes and fsyncs the WAL
//! whenever someone waits, and every sync covers every record appended
//! before it began. A request that wrote (or read) something not yet synced
//! awaits a `DurabilityWait` before it answers, so nothing is acknowledged
//! before it is on disk, while the request thread itself never blocks on the
//! disk: the whole batch of waiters costs one fsync and one wake-up.
//!
//! Positions are the engine's sequence numbers: the last published sequence
//! number before a sync starts is durable once the sync returns, because the
//! engine writes a record to the WAL before it publishes it.

use crate::{Result, StorageError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::watch;

/// How far the WAL is known to be on disk.
#[derive(Clone, Debug, Default)]
struct Synced {
    position: u64,
    /// A failed sync poisons the log: RocksDB stops accepting writes after
    /// a WAL sync error, and nothing written since may be acknowledged.
    failure: Option<Arc<str>>,
}

/// What the sync thread is doing, so that a waiter or an idle request
/// thread only pays for a wake-up when one is needed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum SyncerState {
    /// Syncing, or about to.
    #[default]
    Busy,
    /// Parked with nothing to sync: the first waiter wakes it.
    Idle,
    /// Parked with waiters, gathering more commits into the next sync
    /// until the request threads go idle or `GATHER_AT_MOST` passes.
    Gathering,
}

#[derive(Default)]
struct Wanted {
    /// The highest position a waiter needs on disk.
    position: u64,
    state: SyncerState,
    /// The request threads went idle: every request in flight now waits
    /// for the disk, so the next sync should not wait for more.
    idle: bool,
    stopping: bool,
}

/// How long a sync may wait for more commits to join it while the
/// request threads stay busy (a steady mix of reads and writes).
const GATHER_AT_MOST: Duration = Duration::from_micros(500);

struct Shared {
    wanted: Mutex<Wanted>,
    wake: Condvar,
    synced: watch::Sender<Synced>,
}

/// The background sync thread and its shared state.
pub(crate) struct GroupSync {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// What a request awaits before it acknowledges: the WAL synced up to the
/// position it depends on.
#[must_use = "a durability wait does nothing unless awaited"]
pub struct DurabilityWait {
    position: u64,
    synced: watch::Receiver<Synced>,
}

impl DurabilityWait {
    /// Resolves once everything up to the position is on disk; an error if
    /// the WAL could not be synced.
    pub async fn wait(mut self) -> Result<()> {
        let position = self.position;
        let synced = self
            .synced
            .wait_for(|s| s.position >= position || s.failure.is_some())
            .await
            .map_err(|_| StorageError::Engine("the WAL sync thread stopped".into()))?;
        match &synced.failure {
            Some(failure) => Err(StorageError::Engine(format!("WAL sync failed: {failure}"))),
            None => Ok(()),
        }
    }
}

impl GroupSync {
    /// Starts the sync thread. `published` returns the last published
    /// position; `sync` makes everything written so far durable.
    pub(crate) fn start<P, S>(published: P, sync: S) -> std::io::Result<GroupSync>
    where
        P: Fn() -> u64 + Send + 'static,
        S: Fn() -> std::result::Result<(), String> + Send + 'static,
    {
        let (synced, _) = watch::channel(Synced {
            position: published(),
            failure: None,
        });
        let shared = Arc::new(Shared {
            wanted: Mutex::new(Wanted::default()),
            wake: Condvar::new(),
            synced,
        });
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("dynalith-wal-sync".into())
            .spawn(move || run(&thread_shared, published, sync))?;
        Ok(GroupSync {
            shared,
            thread: Some(thread),
        })
    }

    /// What to await so that `position` is durable, or `None` when it
    /// already is.
    pub(crate) fn wait_for(&self, position: u64) -> Option<DurabilityWait> {
        let synced = self.shared.synced.subscribe();
        {
            let now = synced.borrow();
            if now.position >= position && now.failure.is_none() {
                return None;
            }
        }
        let mut wanted = lock(&self.shared.wanted);
        if wanted.position < position {
            wanted.position = position;
            if wanted.state == SyncerState::Idle {
                self.shared.wake.notify_one();
            }
        }
        Some(DurabilityWait { position, synced })
    }

    /// Why the log could not be synced, once a sync failed.
    pub(crate) fn failure(&self) -> Option<Arc<str>> {
        self.shared.synced.borrow().failure.clone()
    }

    /// The request threads have nothing to run: whatever is waiting for
    /// the disk is all that will wait, so sync now. Each fsync costs CPU
    /// (a VM exit on virtual disks), and gathering every request in flight
    /// into one sync keeps that cost per request small.
    pub(crate) fn request_threads_idle(&self) {
        let mut wanted = lock(&self.shared.wanted);
        if wanted.position > self.shared.synced.borrow().position {
            wanted.idle = true;
            if wanted.state == SyncerState::Gathering {
                self.shared.wake.notify_one();
            }
        }
    }
}

impl Drop for GroupSync {
    fn drop(&mut self) {
        lock(&self.shared.wanted).stopping = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn lock(wanted: &Mutex<Wanted>) -> std::sync::MutexGuard<'_, Wanted> {
    // The state is a position, a state and two flags, each consistent on
    // its own: a panic elsewhere cannot leave it half-updated.
    wanted
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn run<P, S>(shared: &Shared, published: P, sync: S)
where
    P: Fn() -> u64,
    S: Fn() -> std::result::Result<(), String>,
{
    while wait_for_work(shared) {
        // Read before the sync: every record up to here is already in the
        // WAL, so the sync covers it.
        let target = published();
        let outcome = sync();
        shared.synced.send_modify(|synced| match outcome {
            Ok(()) => synced.position = synced.position.max(target),
            Err(e) => {
                tracing::error!(error = %e, "WAL sync failed; refusing to acknowledge writes");
                synced.failure = Some(e.into());
            }
        });
        if shared.synced.borrow().failure.is_some() {
            // Waiters have their answer; stop syncing a broken log.
            let mut wanted = lock(&shared.wanted);
            while !wanted.stopping {
                wanted = wait(shared, wanted);
            }
            return;
        }
    }
}

/// Parks until a sync is due; false when the engine is closing and
/// nothing waits any more.
fn wait_for_work(shared: &Shared) -> bool {
    let mut wanted = lock(&shared.wanted);
    let mut gathering_since = None;
    loop {
        let pending = wanted.position > shared.synced.borrow().position;
        if !pending {
            if wanted.stopping {
                return false;
            }
            gathering_since = None;
            // An idle hint that came during the last sync is stale now.
            wanted.idle = false;
            wanted.state = SyncerState::Idle;
            wanted = wait(shared, wanted);
            continue;
        }
        let since = *gathering_since.get_or_insert_with(std::time::Instant::now);
        let left = GATHER_AT_MOST.saturating_sub(since.elapsed());
        if wanted.idle || wanted.stopping || left.is_zero() {
            wanted.idle = false;
            wanted.state = SyncerState::Busy;
            return true;
        }
        wanted.state = SyncerState::Gathering;
        wanted = shared
            .wake
            .wait_timeout(wanted, left)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0;
    }
}

fn wait<'a>(
    shared: &Shared,
    wanted: std::sync::MutexGuard<'a, Wanted>,
) -> std::sync::MutexGuard<'a, Wanted> {
    shared
        .wake
        .wait(wanted)
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    }

    #[test]
    fn waits_until_a_sync_that_started_after_the_position_was_published() {
        let published = Arc::new(AtomicU64::new(0));
        let synced_upto = Arc::new(AtomicU64::new(0));
        let (p, s, seen) = (published.clone(), published.clone(), synced_upto.clone());
        let group = GroupSync::start(
            move || p.load(Ordering::SeqCst),
            move || {
                seen.store(s.load(Ordering::SeqCst), Ordering::SeqCst);
                Ok(())
            },
        )
        .unwrap();
        assert!(
            group.wait_for(0).is_none(),
            "nothing written, nothing to wait for"
        );
        for position in 1..=50 {
            published.store(position, Ordering::SeqCst);
            let wait = group
                .wait_for(position)
                .expect("a new position is not yet durable");
            rt().block_on(wait.wait()).unwrap();
            assert!(group.failure().is_none());
            assert!(synced_upto.load(Ordering::SeqCst) >= position);
            assert!(group.wait_for(position).is_none());
        }
    }

    #[test]
    fn a_failed_sync_fails_every_waiter_from_then_on() {
        let published = Arc::new(AtomicU64::new(0));
        let p = published.clone();
        let group =
            GroupSync::start(move || p.load(Ordering::SeqCst), || Err("disk full".into())).unwrap();
        published.store(7, Ordering::SeqCst);
        let error = rt()
            .block_on(group.wait_for(7).unwrap().wait())
            .unwrap_err();
        assert!(error.to_string().contains("disk full"), "{error}");
        assert_eq!(group.failure().as_deref(), Some("disk full"));
        let again = group
            .wait_for(1)
            .expect("a broken log never reports durable");
        assert!(rt().block_on(again.wait()).is_err());
    }
}
