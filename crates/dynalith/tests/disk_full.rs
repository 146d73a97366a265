//! A disk that fills up under writes: the server acknowledges only what
//! is on disk, refuses the rest with a 500 or, while it reopens its
//! storage, a 503 (both of which the SDKs retry), and once space is freed
//! it serves again by itself with every acknowledged write whole; so does
//! a restart. Both ways a full disk stops writes: a log that cannot be
//! written, and a flush that cannot write its table file.
//!
//! The disk is a small tmpfs mounted for the test, so it runs as root (as
//! CI does); elsewhere it says so and passes without checking anything.

mod common;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use aws_sdk_dynamodb::types::{StreamSpecification, StreamViewType};
use common::receiver::Receiver;
use common::{create_table, error_code, without_retries, Server};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TABLE: &str = "disk_full";
const WRITERS: u64 = 8;
/// The file system's size, and how much of it a ballast file takes before
/// the server starts: the rest fills within a few thousand writes.
const DISK_MB: u64 = 40;
const BALLAST_MB: u64 = 30;
/// What a request the storage cannot serve gets: a 500 when the log fails
/// under it, a 503 while the server reopens its storage.
const REFUSALS: [&str; 2] = ["InternalServerError", "ServiceUnavailable"];
/// How long the server may take to serve again once space is freed (it
/// tries to reopen its storage every second).
const RECOVERY_WITHIN: Duration = Duration::from_secs(30);

/// A tmpfs of `DISK_MB` mounted on a temporary directory, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={DISK_MB}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|status| status.success());
        mounted.then_some(SmallDisk { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// The payload is derived from the key and version, so a half-written or
/// mixed-up item is detectable.
fn payload(id: u64, version: u64) -> String {
    format!("{:016x}", id ^ version << 20).repeat(128)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_loses_no_acknowledged_write_and_the_server_recovers_once_space_is_freed() {
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() {
        return; // needs our own process on our own disk
    }
    let Some(disk) = SmallDisk::mount() else {
        eprintln!("note: mounting a tmpfs needs root; the full-disk test checked nothing");
        return;
    };
    let ballast: PathBuf = disk.path().join("ballast");
    std::fs::write(&ballast, vec![1u8; (BALLAST_MB << 20) as usize]).expect("ballast");
    let data_dir = disk.path().join("db");

    // A 4 MiB memtable, so that flushes into SST files meet the full disk
    // too (and, being the embedded engine's own flag, it keeps the test on
    // that engine when scripts/test.sh runs the rest on PostgreSQL).
    // A stream trigger too: it stops while the storage is reopened and
    // must deliver again from the reopened one.
    let receiver = Receiver::start(0);
    let trigger = format!("{TABLE}={}", receiver.url);
    let flags = ["--memtable-mb", "4", "--stream-trigger", &trigger];
    let mut server = Server::start_durable_with(&data_dir, &flags);
    let client = without_retries(&server);
    create_table(&client, TABLE, None).await;
    client
        .update_table()
        .table_name(TABLE)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::KeysOnly)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("enable the stream");

    // id -> version acknowledged (or read back) last; and the errors the
    // writers saw.
    let acknowledged: Arc<Mutex<HashMap<u64, u64>>> = Arc::default();
    let refusals: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (client, acknowledged, refusals) =
            (client.clone(), acknowledged.clone(), refusals.clone());
        writers.push(tokio::spawn(async move {
            let mut failed_at = None;
            for n in 0u64.. {
                // Rewrites as well as new keys, so that recovery must pick
                // the acknowledged version.
                let id = writer * 1_000_000 + n % 200;
                match put_version(&client, id, n).await {
                    Ok(()) => {
                        acknowledged.lock().unwrap().insert(id, n);
                    }
                    Err(code) => {
                        refusals.lock().unwrap().push(code);
                        failed_at.get_or_insert(n);
                        // Reads too: one could show a write that is not
                        // on disk. What a read returns must survive.
                        let read = client
                            .get_item()
                            .table_name(TABLE)
                            .key("pk", Av::S(format!("k{id}")))
                            .send()
                            .await;
                        match read {
                            Ok(read) => {
                                if let Some(item) = read.item {
                                    let seen = item["version"].as_n().unwrap().parse().unwrap();
                                    let mut acknowledged = acknowledged.lock().unwrap();
                                    let known = acknowledged.entry(id).or_insert(seen);
                                    *known = (*known).max(seen);
                                }
                            }
                            Err(error) => refusals.lock().unwrap().push(error_code(&error)),
                        }
                    }
                }
                // Past the first failure, a few more tries (the server may
                // make room by reopening its storage): none may be
                // acknowledged unless it is on disk.
                if failed_at.is_some_and(|first| n >= first + 40) {
                    return;
                }
                assert!(n < 100_000, "the disk never filled");
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    let refusals = refusals.lock().unwrap().clone();
    assert!(
        refusals
            .iter()
            .all(|code| REFUSALS.contains(&code.as_str())),
        "a request the disk could not take was refused as {refusals:?}"
    );
    for code in REFUSALS {
        let times = refusals.iter().filter(|c| *c == code).count();
        eprintln!("refused as {code}: {times} times");
    }
    let mut acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.values().any(|&version| version >= 200),
        "no key was rewritten before the disk filled"
    );

    // Reopening the storage makes room (the failed log's files, what its
    // compactions free): take whatever room there is before each write, so
    // that the server meets a disk with none at all, where its storage
    // cannot reopen.
    let filler = disk.path().join("filler");
    let mut refused = 0;
    for n in 0..5_000 {
        fill(&filler);
        let id = 9_000_000 + n;
        match put_version(&client, id, 0).await {
            Ok(()) => {
                acknowledged.insert(id, 0);
            }
            Err(code) => {
                assert!(REFUSALS.contains(&code.as_str()), "refused as {code}");
                refused += 1;
                if refused == 20 {
                    break;
                }
                // Time for a few attempts to reopen the storage.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert_eq!(refused, 20, "a full disk took 5,000 writes");

    // Space comes back: the server reopens its storage by itself.
    std::fs::remove_file(&filler).expect("remove the filler");
    std::fs::remove_file(&ballast).expect("remove the ballast");
    accepted_once_space_is_freed(|| async {
        client
            .put_item()
            .table_name(TABLE)
            .item("pk", Av::S("after".into()))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| error_code(&e))
    })
    .await;
    check_acknowledged(&client, &acknowledged).await;
    // It did reopen its storage, and says so.
    assert!(
        storage_reopens(&server, "log_sync") + storage_reopens(&server, "write") >= 1,
        "the storage was never reopened"
    );
    let delivered = Instant::now();
    while !receiver.events().iter().any(|event| {
        event["Records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|record| record["dynamodb"]["Keys"]["pk"]["S"] == "after")
    }) {
        assert!(
            delivered.elapsed() < RECOVERY_WITHIN,
            "the trigger delivered nothing written after the storage was reopened"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // And a restart finds the same.
    server.kill();
    let server = Server::start_durable_with(&data_dir, &flags);
    let client = without_retries(&server);
    check_acknowledged(&client, &acknowledged).await;
    client
        .put_item()
        .table_name(TABLE)
        .item("pk", Av::S("after restart".into()))
        .send()
        .await
        .expect("writes go on after a restart");
}

/// The other way a full disk stops writes: the log still has room (its
/// files are reused, overwritten in place, so appending to it needs no new
/// space) and writes are acknowledged on a disk with none, until a memtable
/// must be flushed into a table file that cannot be written. RocksDB then
/// refuses every write with an I/O error of its own, no log sync having
/// failed; the server must notice that too, reopen its storage, and lose
/// nothing acknowledged on the full disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flush_the_full_disk_cannot_take_stops_writes_until_the_storage_is_reopened() {
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() {
        return;
    }
    let Some(disk) = SmallDisk::mount() else {
        eprintln!("note: mounting a tmpfs needs root; the flush test checked nothing");
        return;
    };
    let data_dir = disk.path().join("db");
    // A 1 MiB memtable switches log files every few hundred writes, so that
    // obsolete ones are soon reused.
    let flags = ["--memtable-mb", "1"];
    let mut server = Server::start_durable_with(&data_dir, &flags);
    let client = without_retries(&server);
    create_table(&client, TABLE, None).await;

    let mut acknowledged = HashMap::new();
    let mut versions = 0u64..;
    let log = data_dir.join("LOG");
    let started = Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("from recycle list")
    {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no log file was reused within 120 s"
        );
        for id in 0..100 {
            let version = versions.next().unwrap();
            put_version(&client, id, version)
                .await
                .expect("a write before the disk is full");
            acknowledged.insert(id, version);
        }
    }

    // Compactions free space as they go: take it before each write, or
    // the flushes go on finding room.
    let filler = disk.path().join("filler");
    let mut on_full_disk = 0;
    let refusal = loop {
        fill(&filler);
        let (id, version) = (on_full_disk % 100, versions.next().unwrap());
        match put_version(&client, id, version).await {
            Ok(()) => {
                acknowledged.insert(id, version);
                on_full_disk += 1;
                assert!(
                    on_full_disk < 100_000,
                    "the full disk never refused a write"
                );
            }
            Err(code) => break code,
        }
    };
    assert!(REFUSALS.contains(&refusal.as_str()), "refused as {refusal}");
    assert!(
        on_full_disk > 0,
        "no write was acknowledged on the full disk: the log had no room, and \
         this test did not reach a flush"
    );
    eprintln!("{on_full_disk} writes acknowledged on the full disk before one was refused");

    std::fs::remove_file(&filler).expect("remove the filler");
    let version = versions.next().unwrap();
    accepted_once_space_is_freed(|| put_version(&client, 0, version)).await;
    acknowledged.insert(0, version);
    check_acknowledged(&client, &acknowledged).await;
    // The server counts reopens by what failed: here a write RocksDB
    // refused (its own log cannot say: it had no room to write it either).
    assert!(
        storage_reopens(&server, "write") >= 1,
        "the storage was not reopened for a refused write (reopens after a failed log sync: {})",
        storage_reopens(&server, "log_sync")
    );

    server.kill();
    let server = Server::start_durable_with(&data_dir, &flags);
    check_acknowledged(&without_retries(&server), &acknowledged).await;
}

/// Retries `write` until the server takes it, which it must within
/// `RECOVERY_WITHIN` of space being freed; every refusal on the way is one
/// of `REFUSALS`.
async fn accepted_once_space_is_freed<F>(mut write: impl FnMut() -> F)
where
    F: std::future::Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    loop {
        match write().await {
            Ok(()) => {
                eprintln!(
                    "serving again {:?} after space was freed",
                    started.elapsed()
                );
                return;
            }
            Err(code) => {
                assert!(REFUSALS.contains(&code.as_str()), "refused as {code}");
                assert!(
                    started.elapsed() < RECOVERY_WITHIN,
                    "no write accepted {RECOVERY_WITHIN:?} after space was freed"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Writes item `k{id}` at `version`; the error's code if it is refused.
async fn put_version(
    client: &aws_sdk_dynamodb::Client,
    id: u64,
    version: u64,
) -> Result<(), String> {
    client
        .put_item()
        .table_name(TABLE)
        .item("pk", Av::S(format!("k{id}")))
        .item("version", Av::N(version.to_string()))
        .item("payload", Av::S(payload(id, version)))
        .send()
        .await
        .map(|_| ())
        .map_err(|error| error_code(&error))
}

/// The server's count of storage reopens after a failure of `cause`, from
/// `/metrics`.
fn storage_reopens(server: &Server, cause: &str) -> u64 {
    let metrics = common::raw_request_to(&server.address(), "GET", "/metrics", &[], b"");
    let metrics = String::from_utf8_lossy(&metrics.body).into_owned();
    let series = format!("dynalith_storage_reopens_total{{cause=\"{cause}\"}} ");
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(&series))
        .unwrap_or_else(|| panic!("no {series}in /metrics:\n{metrics}"))
        .parse()
        .unwrap()
}

/// Appends to `path` until the file system has no room left.
fn fill(path: &Path) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("filler");
    let block = vec![2u8; 64 << 10];
    loop {
        match file.write(&block) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    let small = [3u8; 512];
    while file.write(&small).is_ok_and(|n| n > 0) {}
}

/// Every acknowledged item is there, whole, at its acknowledged version or
/// a later one.
async fn check_acknowledged(client: &aws_sdk_dynamodb::Client, acknowledged: &HashMap<u64, u64>) {
    for (&id, &version) in acknowledged {
        let item = client
            .get_item()
            .table_name(TABLE)
            .key("pk", Av::S(format!("k{id}")))
            .consistent_read(true)
            .send()
            .await
            .expect("get once space is freed")
            .item
            .unwrap_or_else(|| panic!("acknowledged item k{id} is gone"));
        let stored: u64 = item["version"].as_n().unwrap().parse().unwrap();
        // A write acknowledged to no one may have reached the disk too (its
        // client saw the failure of a later sync): never an older version.
        assert!(
            stored >= version,
            "k{id}: version {stored} < acknowledged {version}"
        );
        assert_eq!(
            item["payload"].as_s().unwrap(),
            &payload(id, stored),
            "k{id}: the item is not whole"
        );
    }
}
