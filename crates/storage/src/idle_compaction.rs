//! Level-0 compaction once writes have stopped.
//!
//! While writes flow, RocksDB leaves up to `LEVEL0_COMPACTION_TRIGGER`
//! flushed files in level 0 before it merges them into the levels below:
//! compacting after every flush would rewrite the base level's overlapping
//! data again and again. But every level-0 file is one more sorted run that
//! each read must consult (a range read seeks in every one), and after a
//! bulk load the last few flushes can stay in level 0 for good. So a
//! thread watches the engine's sequence number; when it has not moved for
//! a while, the trigger drops to one file, and RocksDB merges what level 0
//! holds into the base level. The thread restores the trigger at its next
//! look after a write (within `CHECK_EVERY`).
//!
//! The engine's other periodic work rides on the same thread's looks
//! (`on_tick`), so a durable database runs it even where idle compaction
//! is turned off.

use rocksdb::DB;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Level-0 files that start a compaction while writes flow (RocksDB's
/// default).
pub(crate) const LEVEL0_COMPACTION_TRIGGER: u32 = 4;
/// How often the thread looks at the sequence number.
const CHECK_EVERY: Duration = Duration::from_millis(500);

/// The watching thread; stops when dropped.
pub(crate) struct IdleCompaction {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl IdleCompaction {
    /// Starts watching `db`: once its sequence number has stood still for
    /// `quiet`, level 0 is compacted (never when `None`). `on_tick` runs at
    /// every look.
    pub(crate) fn start(
        db: Arc<DB>,
        quiet: Option<Duration>,
        on_tick: impl Fn() + Send + 'static,
    ) -> std::io::Result<IdleCompaction> {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let thread_stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name("dynalith-idle-compact".into())
            .spawn(move || watch(&db, quiet, &thread_stop, on_tick))?;
        Ok(IdleCompaction {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for IdleCompaction {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn watch(db: &DB, quiet: Option<Duration>, stop: &(Mutex<bool>, Condvar), on_tick: impl Fn()) {
    let mut last_sequence = db.latest_sequence_number();
    let mut still_since = Instant::now();
    let mut trigger = LEVEL0_COMPACTION_TRIGGER;
    let (stopped, wake) = stop;
    let mut stopped = stopped.lock().unwrap_or_else(|p| p.into_inner());
    loop {
        // The predicate is checked before waiting: a stop requested before
        // this thread first got here must not wait out a whole period.
        stopped = wake
            .wait_timeout_while(stopped, CHECK_EVERY, |stopped| !*stopped)
            .unwrap_or_else(|p| p.into_inner())
            .0;
        if *stopped {
            return;
        }
        on_tick();
        let Some(quiet) = quiet else {
            continue;
        };
        let sequence = db.latest_sequence_number();
        let wanted = if sequence != last_sequence {
            last_sequence = sequence;
            still_since = Instant::now();
            LEVEL0_COMPACTION_TRIGGER
        } else if still_since.elapsed() >= quiet && level0_files(db) > 0 {
            1
        } else {
            trigger
        };
        if wanted != trigger {
            match set_level0_trigger(db, wanted) {
                Ok(()) => trigger = wanted,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot change the level-0 compaction trigger")
                }
            }
        }
    }
}

fn level0_files(db: &DB) -> u64 {
    db.property_int_value("rocksdb.num-files-at-level0")
        .ok()
        .flatten()
        .unwrap_or(0)
}

fn set_level0_trigger(db: &DB, files: u32) -> Result<(), rocksdb::Error> {
    let files = files.to_string();
    db.set_options(&[("level0_file_num_compaction_trigger", files.as_str())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocksdb::Options;

    fn open(dir: &std::path::Path) -> Arc<DB> {
        let mut options = Options::default();
        options.create_if_missing(true);
        options.set_level_zero_file_num_compaction_trigger(LEVEL0_COMPACTION_TRIGGER as i32);
        Arc::new(DB::open(&options, dir).unwrap())
    }

    /// Writes one key and flushes it into a level-0 file of its own.
    fn flushed_write(db: &DB, n: u32) {
        db.put(n.to_be_bytes(), b"value").unwrap();
        db.flush().unwrap();
    }

    fn wait_for_level0(db: &DB, files: u64, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if level0_files(db) == files {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn stopping_right_after_the_start_does_not_wait_for_a_period() {
        let dir = tempfile::tempdir().unwrap();
        let db = open(dir.path());
        let started = Instant::now();
        for _ in 0..20 {
            drop(IdleCompaction::start(db.clone(), Some(Duration::from_secs(2)), || {}).unwrap());
        }
        assert!(
            started.elapsed() < CHECK_EVERY,
            "20 starts and stops took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn level0_is_compacted_once_writes_stop_and_not_while_they_flow() {
        let dir = tempfile::tempdir().unwrap();
        let db = open(dir.path());
        let _idle =
            IdleCompaction::start(db.clone(), Some(Duration::from_millis(1500)), || {}).unwrap();
        // Writes every 100 ms, below the trigger's four files: they stay.
        for n in 0..3 {
            flushed_write(&db, n);
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(level0_files(&db), 3);
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            level0_files(&db),
            3,
            "compacted before writes had stopped long enough"
        );
        assert!(
            wait_for_level0(&db, 0, Duration::from_secs(10)),
            "level 0 still holds {} files after writes stopped",
            level0_files(&db)
        );
        for n in 0..3u32 {
            assert_eq!(
                db.get(n.to_be_bytes()).unwrap().as_deref(),
                Some(&b"value"[..])
            );
        }
        // The next write restores the trigger (the watcher notices within
        // CHECK_EVERY): files flushed while writes flow stay in level 0.
        for n in 10..13 {
            flushed_write(&db, n);
            std::thread::sleep(Duration::from_millis(600));
        }
        assert!(
            level0_files(&db) >= 2,
            "level 0 compacted while writes flowed"
        );
    }
}
