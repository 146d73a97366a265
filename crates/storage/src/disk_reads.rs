//! Whether the request threads' reads wait on the disk.
//!
//! The embedded engine's calls run inline on the server's request threads,
//! one per CPU: over memory and the page cache that is the cheapest place
//! for them. Once the data outgrows memory, a read that misses the page
//! cache blocks its thread until the device answers, and with one request
//! thread per CPU the device then serves one read at a time while the CPU
//! idles (2026-12-05, a durable server of 3M items, ~600 MB of files, in a
//! 400 MB memory cgroup on one CPU: GetItem 11-12k req/s with the CPU 62%
//! busy; with eight request threads 19-21k and the CPU saturated).
//!
//! More request threads than CPUs cost every request when the data fits in
//! memory (GetItem p99 0.5 -> 10 ms, PutItem -15%: the threads preempt one
//! another at scheduler ticks), so the engine watches instead: Linux counts,
//! per thread, the bytes fetched from the storage device (`read_bytes` in
//! `/proc/self/task/<tid>/io`; page-cache hits are not counted). Once the
//! threads that run requests read a lot from the device (`START_AT_BYTES`
//! in one look) and until they have read little for a few seconds, the
//! engine tells the server that its calls may block, and the server runs
//! operations on threads made for blocking, where many reads wait at once.
//! Background threads (RocksDB's flushes and compactions, the engine's own)
//! are not counted: their reads do not hold up a request.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Device reads per look that switch operations to blocking threads: at
/// two looks a second, ~2,000 reads of 4 KB a second, which at ~150 us
/// each keep a request thread waiting a third of the time; below that, a
/// hop to a blocking thread per request (two context switches) would cost
/// about what the waits do.
const START_AT_BYTES: u64 = 4 << 20;
/// Below this per look, the reads are a trickle again...
const QUIET_BELOW_BYTES: u64 = 128 << 10;
/// ...and after this many such looks in a row, operations run inline
/// again (a pause in the load must not flip the mode back and forth).
const QUIET_LOOKS_TO_STOP: u32 = 6;

/// What the watch has seen so far.
pub(crate) struct DiskReadWatch {
    waiting: AtomicBool,
    bytes_read: AtomicU64,
    looks: Mutex<Looks>,
}

struct Looks {
    /// Each counted thread's `read_bytes` at the last look.
    last: HashMap<u32, u64>,
    quiet_looks: u32,
}

impl DiskReadWatch {
    /// Starts from the threads' counts as they are: what they read before
    /// (opening the database, replaying its log) was no request's.
    pub(crate) fn new() -> DiskReadWatch {
        DiskReadWatch::counting_from(request_thread_reads().unwrap_or_default())
    }

    fn counting_from(threads: impl IntoIterator<Item = (u32, u64)>) -> DiskReadWatch {
        DiskReadWatch {
            waiting: AtomicBool::new(false),
            bytes_read: AtomicU64::new(0),
            looks: Mutex::new(Looks {
                last: threads.into_iter().collect(),
                quiet_looks: 0,
            }),
        }
    }

    /// Whether reads of the request threads are waiting on the device.
    pub(crate) fn reads_wait(&self) -> bool {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Bytes the request threads have read from the device since the
    /// engine opened (as far as the looks saw them).
    pub(crate) fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    /// One look at the process's threads; called periodically.
    pub(crate) fn look(&self) {
        if let Some(threads) = request_thread_reads() {
            self.record(threads);
        }
    }

    /// Takes each counted thread's (id, bytes read from the device so far).
    fn record(&self, threads: impl IntoIterator<Item = (u32, u64)>) {
        let mut looks = self.looks.lock();
        let mut now = HashMap::with_capacity(looks.last.len());
        let mut read = 0u64;
        for (thread, bytes) in threads {
            // A thread first seen has read everything since it started (a
            // new blocking thread, most often); one gone takes its count
            // with it, which only makes this look smaller.
            let before = looks.last.get(&thread).copied().unwrap_or(0);
            read += bytes.saturating_sub(before);
            now.insert(thread, bytes);
        }
        looks.last = now;
        self.bytes_read.fetch_add(read, Ordering::Relaxed);
        let waiting = self.waiting.load(Ordering::Relaxed);
        if read >= START_AT_BYTES {
            looks.quiet_looks = 0;
            if !waiting {
                // Debug, not info: a cold executable's first page-ins
                // are counted too, for one look, at start-up.
                tracing::debug!(
                    bytes = read,
                    "reads wait on the disk: operations now run on blocking threads"
                );
                self.waiting.store(true, Ordering::Relaxed);
            }
        } else if read < QUIET_BELOW_BYTES {
            looks.quiet_looks = looks.quiet_looks.saturating_add(1);
            if waiting && looks.quiet_looks >= QUIET_LOOKS_TO_STOP {
                tracing::debug!("reads no longer wait on the disk: operations run inline again");
                self.waiting.store(false, Ordering::Relaxed);
            }
        } else {
            looks.quiet_looks = 0;
        }
    }
}

/// (thread id, bytes read from the device) of every thread that may run
/// requests: all but RocksDB's background threads and the engine's own
/// (named `rocksdb:*` and `dynalith-*`). `None` where the kernel does not
/// account I/O per thread.
fn request_thread_reads() -> Option<Vec<(u32, u64)>> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let mut threads = Vec::new();
    for task in tasks.flatten() {
        let Some(thread) = task.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let path = task.path();
        let Ok(name) = std::fs::read_to_string(path.join("comm")) else {
            continue; // it ended
        };
        if name.starts_with("rocksdb:") || name.starts_with("dynalith-") {
            continue;
        }
        let Ok(io) = std::fs::read_to_string(path.join("io")) else {
            continue;
        };
        if let Some(bytes) = read_bytes(&io) {
            threads.push((thread, bytes));
        }
    }
    Some(threads)
}

/// The `read_bytes` line of a `/proc/<pid>/task/<tid>/io` file.
fn read_bytes(io: &str) -> Option<u64> {
    io.lines()
        .find_map(|line| line.strip_prefix("read_bytes:"))
        .and_then(|value| value.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_bytes_line_is_read() {
        let io = "rchar: 6976\nwchar: 0\nsyscr: 10\nsyscw: 0\nread_bytes: 971026432\n\
                  write_bytes: 4096\ncancelled_write_bytes: 0\n";
        assert_eq!(read_bytes(io), Some(971_026_432));
        assert_eq!(read_bytes("rchar: 1\n"), None);
    }

    #[test]
    fn reads_wait_from_a_busy_look_until_enough_quiet_looks() {
        let watch = DiskReadWatch::counting_from([(7, 1 << 30)]);
        let mut total = 1 << 30;
        let mut look = |watch: &DiskReadWatch, bytes: u64| {
            total += bytes;
            watch.record([(7, total), (8, 0)]);
            watch.reads_wait()
        };
        assert!(!look(&watch, 0));
        assert!(!look(&watch, START_AT_BYTES - 1), "below the start");
        assert!(look(&watch, START_AT_BYTES), "a busy look starts it");
        // Neither busy nor quiet: the quiet looks start over.
        for _ in 0..QUIET_LOOKS_TO_STOP - 1 {
            assert!(look(&watch, 0));
        }
        assert!(look(&watch, QUIET_BELOW_BYTES));
        for _ in 0..QUIET_LOOKS_TO_STOP - 1 {
            assert!(look(&watch, QUIET_BELOW_BYTES - 1));
        }
        assert!(!look(&watch, 0), "enough quiet looks in a row stop it");
        assert_eq!(watch.bytes_read(), total - (1 << 30));
    }

    #[test]
    fn new_threads_count_in_full_and_ended_ones_do_not_go_negative() {
        let watch = DiskReadWatch::counting_from([]);
        watch.record([(1, 5 << 20)]);
        assert!(watch.reads_wait(), "a thread first seen counts in full");
        assert_eq!(watch.bytes_read(), 5 << 20);
        // Thread 1 ended, thread 2 is new with a small count.
        watch.record([(2, 4096)]);
        assert_eq!(watch.bytes_read(), (5 << 20) + 4096);
    }

    /// The kernel's accounting as this process sees it: a file read back
    /// after it was dropped from the page cache is counted for the thread
    /// that read it.
    #[test]
    fn a_request_thread_reading_the_device_is_seen() {
        use std::io::{Read, Write};
        use std::os::unix::io::AsRawFd;
        use std::sync::mpsc;
        if request_thread_reads().is_none() {
            return; // no per-thread I/O accounting here
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data");
        let mut file = std::fs::File::create(&path).unwrap();
        file.write_all(&vec![7u8; 4 << 20]).unwrap();
        file.sync_all().unwrap();
        // SAFETY: an open descriptor and the whole file; DONTNEED only
        // drops clean cached pages.
        let dropped =
            unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        assert_eq!(dropped, 0);
        let watch = DiskReadWatch::new();
        let (done, read) = mpsc::channel();
        let (finish, finished) = mpsc::channel::<()>();
        let reader = std::thread::Builder::new()
            .name("request-reader".into())
            .spawn(move || {
                let mut data = Vec::new();
                std::fs::File::open(&path)
                    .unwrap()
                    .read_to_end(&mut data)
                    .unwrap();
                done.send(data.len()).unwrap();
                // Alive until the look has counted it.
                let _ = finished.recv();
            })
            .unwrap();
        assert_eq!(read.recv().unwrap(), 4 << 20);
        watch.look();
        drop(finish);
        reader.join().unwrap();
        assert!(
            watch.bytes_read() >= 4 << 20,
            "a read from the device went unseen: {} bytes",
            watch.bytes_read()
        );
        assert!(watch.reads_wait());
    }
}
