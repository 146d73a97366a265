//! A durable server whose reads go to the storage device, not the page
//! cache (what happens once the data outgrows memory): it notices, runs
//! operations on blocking threads while it lasts (`storage/src/disk_reads.rs`),
//! answers every read and write through the SDK as before, acknowledges
//! only what is on disk, and runs operations inline again once reads hit
//! memory. Meanwhile reads first try inline from memory
//! (`storage/src/memory_first.rs`): those of blocks in the block cache are
//! served there, the others run again on a blocking thread.

mod common;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use common::{create_table, put_all, raw_request_to, unique_table, wait_for_metric, Server};
use rand::{Rng, SeedableRng};
use std::collections::HashMap;
use std::os::unix::io::AsRawFd;
use std::path::Path;

const ITEMS: usize = 3000;
/// Random letters, so that the files hold ~4 KB per item (12 MB in all):
/// compressed repeats would fit in a few reads.
const PAD_BYTES: usize = 4000;

const ON_BLOCKING_THREADS: &str = "dynalith_operations_on_blocking_threads";

fn item(n: usize, rng: &mut rand::rngs::StdRng) -> HashMap<String, Av> {
    let pad: String = (0..PAD_BYTES)
        .map(|_| rng.sample(rand::distr::Alphanumeric) as char)
        .collect();
    HashMap::from([
        ("pk".to_string(), Av::S(format!("item#{n}"))),
        ("n".to_string(), Av::N(n.to_string())),
        ("pad".to_string(), Av::S(pad)),
    ])
}

/// Drops every file of `dir` from the page cache, so that the next read of
/// it comes from the device; first waits for the files to stand still, as
/// an opened database may compact its files into new ones, which would be
/// in the page cache. A compaction that a loaded machine starts only after
/// the drop brings its files back: then the files changed across it, and
/// it waits and drops again.
fn evict_from_page_cache(dir: &Path) {
    for _ in 0..10 {
        let still = wait_until_still(dir);
        drop_cached_pages(dir);
        std::thread::sleep(std::time::Duration::from_millis(500));
        if listing(dir) == still {
            return;
        }
    }
    panic!("the files of {dir:?} never stood still");
}

/// The files of `dir`, by name, with their lengths.
fn listing(dir: &Path) -> Vec<(std::ffi::OsString, u64)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|entry| Some((entry.file_name(), entry.metadata().ok()?.len())))
        .collect();
    files.sort();
    files
}

/// Waits until the files of `dir` have not changed for a second (or 15 s
/// have passed); what they are then.
fn wait_until_still(dir: &Path) -> Vec<(std::ffi::OsString, u64)> {
    let (mut last, mut still) = (listing(dir), 0);
    for _ in 0..60 {
        std::thread::sleep(std::time::Duration::from_millis(250));
        let now = listing(dir);
        still = if now == last { still + 1 } else { 0 };
        last = now;
        if still == 4 {
            break;
        }
    }
    last
}

fn drop_cached_pages(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            drop_cached_pages(&path);
            continue;
        }
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        // Dirty pages are not dropped: write them out first.
        let _ = file.sync_all();
        // SAFETY: an open descriptor and the whole file; DONTNEED only
        // drops clean cached pages.
        unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }
}

/// A durable server on `dir`. Without compaction when idle, no file is
/// rewritten (into the page cache) behind the test's back while it reads.
fn start(dir: &Path) -> Server {
    Server::start_durable_with(dir, &["--compact-when-idle-secs", "0"])
}

fn disk_read_bytes(server: &Server) -> u64 {
    counter(server, "dynalith_request_disk_read_bytes_total")
}

/// Read-only operations tried inline from memory, by outcome (`served` or
/// `needed_device`).
fn tried_in_memory(server: &Server, outcome: &str) -> u64 {
    counter(
        server,
        &format!("dynalith_reads_tried_in_memory_total{{outcome=\"{outcome}\"}}"),
    )
}

fn counter(server: &Server, name: &str) -> u64 {
    let response = raw_request_to(&server.address(), "GET", "/metrics", &[], b"");
    let text = String::from_utf8(response.body).unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} in /metrics:\n{text}"))
        .parse()
        .unwrap()
}

/// GetItem of every 97th item, each answered as written.
async fn get_spread(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    items: &[HashMap<String, Av>],
) -> u64 {
    let mut gets = 0;
    for n in (0..ITEMS).step_by(97) {
        let got = client
            .get_item()
            .table_name(table)
            .key("pk", Av::S(format!("item#{n}")))
            .send()
            .await
            .unwrap();
        assert_eq!(got.item(), Some(&items[n]));
        gets += 1;
    }
    gets
}

#[tokio::test]
async fn reads_that_wait_on_the_disk_move_to_blocking_threads_and_back() {
    // Per-thread I/O accounting, and a directory on a device (not tmpfs).
    if std::fs::read_to_string("/proc/thread-self/io").is_err() {
        eprintln!("no per-thread I/O accounting here; skipped");
        return;
    }
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let mut server = start(dir.path());
    let client = server.client();
    let table = unique_table("ondisk");
    create_table(&client, &table, None).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261205);
    let items: Vec<_> = (0..ITEMS).map(|n| item(n, &mut rng)).collect();
    put_all(&client, &table, items.clone()).await;
    // A clean stop flushes the memtable into files; after a restart (an
    // empty block cache), with the files out of the page cache, every
    // block read comes from the device.
    assert!(server.terminate().success());
    let mut server = start(dir.path());
    let client = server.client();
    wait_for_metric(&server.address(), &format!("{ON_BLOCKING_THREADS} 0"));
    let runtime_threads_inline = runtime_threads(&server);
    scan_from_the_device(&server, &client, dir.path(), &table, &items).await;
    // The scan reads ~12 MB of files; a quarter of it from the device,
    // counted, shows the reads are counted where a loaded machine (other
    // test runs at once) may still have let some pages into the page cache.
    assert!(
        disk_read_bytes(&server) >= (ITEMS * PAD_BYTES / 4) as u64,
        "the scan's reads from the device went uncounted: {} bytes",
        disk_read_bytes(&server)
    );

    // On blocking threads (the mode lasts 3 s after the last busy look):
    // reads answer, and writes are acknowledged only once durable, so a
    // SIGKILL right after loses none of them. The scan left every block in
    // the block cache, so the reads are served inline, from memory.
    let served = tried_in_memory(&server, "served");
    let gets = get_spread(&client, &table, &items).await;
    // (Unless the mode ended meanwhile, on a slow machine.)
    if counter(&server, ON_BLOCKING_THREADS) == 1 {
        assert!(
            tried_in_memory(&server, "served") >= served + gets,
            "GetItems of cached blocks were not served from memory: {served} before, {} after \
             {gets}",
            tried_in_memory(&server, "served")
        );
    }
    for n in 0..50 {
        client
            .put_item()
            .table_name(&table)
            .item("pk", Av::S(format!("written#{n}")))
            .item("n", Av::N(n.to_string()))
            .send()
            .await
            .unwrap();
    }
    let during_writes = raw_request_to(&server.address(), "GET", "/metrics", &[], b"");
    // tokio's blocking threads (named as its workers) now ran them.
    let runtime_threads_blocking = runtime_threads(&server);
    server.kill();
    assert!(
        runtime_threads_blocking > runtime_threads_inline,
        "no blocking thread was started: {runtime_threads_inline} runtime threads before, \
         {runtime_threads_blocking} after"
    );
    let text = String::from_utf8(during_writes.body).unwrap();
    assert!(
        text.lines()
            .any(|l| l == format!("{ON_BLOCKING_THREADS} 1")),
        "the writes did not run on blocking threads:\n{text}"
    );
    let server = start(dir.path());
    let client = server.client();
    for n in 0..50 {
        let got = client
            .get_item()
            .table_name(&table)
            .key("pk", Av::S(format!("written#{n}")))
            .consistent_read(true)
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.item().and_then(|i| i.get("n")),
            Some(&Av::N(n.to_string())),
            "acknowledged write {n} lost"
        );
    }

    // Once reads come from memory again, operations run inline again.
    scan_from_the_device(&server, &client, dir.path(), &table, &items).await;
    scan_and_compare(&client, &table, &items).await;
    wait_for_metric(&server.address(), &format!("{ON_BLOCKING_THREADS} 0"));
    drop(server);

    // Without a block cache every read of a file needs the device (as far
    // as a read limited to memory can tell): each try is thrown away and
    // the read answers from a blocking thread.
    let server = Server::start_durable_with(
        dir.path(),
        &["--compact-when-idle-secs", "0", "--block-cache-mb", "0"],
    );
    let client = server.client();
    scan_from_the_device(&server, &client, dir.path(), &table, &items).await;
    let (served, needed_device) = (
        tried_in_memory(&server, "served"),
        tried_in_memory(&server, "needed_device"),
    );
    // Reads from the device keep operations on blocking threads.
    for round in 0.. {
        drop_cached_pages(dir.path());
        get_spread(&client, &table, &items).await;
        if tried_in_memory(&server, "needed_device") > needed_device {
            break;
        }
        assert!(round < 20, "no read was tried from memory");
    }
    assert_eq!(tried_in_memory(&server, "served"), served);
}

/// Scans the whole table with its files out of the page cache, so that
/// the reads come from the device, until operations run on blocking
/// threads. One scan reads ~12 MB, three times what one look of the watch
/// needs; on a loaded machine (other test runs at once) the scan may take
/// long enough to read less than that in every look, so it is done again
/// a few times before the test gives up.
async fn scan_from_the_device(
    server: &Server,
    client: &aws_sdk_dynamodb::Client,
    dir: &Path,
    table: &str,
    items: &[HashMap<String, Av>],
) {
    for _ in 0..5 {
        evict_from_page_cache(dir);
        scan_and_compare(client, table, items).await;
        // The watch looks twice a second.
        for _ in 0..15 {
            if counter(server, ON_BLOCKING_THREADS) == 1 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    panic!(
        "five scans from the device did not move operations to blocking threads ({} bytes read \
         from the device)",
        disk_read_bytes(server)
    );
}

/// The server's tokio threads: its workers, and its blocking threads once
/// any has been started (they stay 10 s after their last call).
fn runtime_threads(server: &Server) -> usize {
    let pid = server.child.as_ref().expect("own server").id();
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm"))
                .is_ok_and(|name| name.starts_with("tokio-"))
        })
        .count()
}

/// A paged Scan of the whole table returns every item as written (the
/// items written later, keyed `written#`, aside).
async fn scan_and_compare(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    items: &[HashMap<String, Av>],
) {
    let mut scanned = HashMap::new();
    let mut pages = client
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send();
    while let Some(item) = pages.next().await {
        let item = item.unwrap();
        let Some(Av::S(pk)) = item.get("pk") else {
            panic!("an item without its key: {item:?}");
        };
        if !pk.starts_with("written#") {
            scanned.insert(pk.clone(), item);
        }
    }
    assert_eq!(scanned.len(), items.len());
    for (n, item) in items.iter().enumerate() {
        assert_eq!(scanned.get(&format!("item#{n}")), Some(item), "item {n}");
    }
}
