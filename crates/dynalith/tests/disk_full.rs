//! A disk that fills up under writes: the server acknowledges only what
//! is on disk, refuses the rest with a 500 (which the SDKs retry), and
//! once space is freed a restart recovers every acknowledged write whole.
//!
//! The disk is a small tmpfs mounted for the test, so it runs as root (as
//! CI does); elsewhere it says so and passes without checking anything.

mod common;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use common::{create_table, error_code, without_retries, Server};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

const TABLE: &str = "disk_full";
const WRITERS: u64 = 8;
/// The file system's size, and how much of it a ballast file takes before
/// the server starts: the rest fills within a few thousand writes.
const DISK_MB: u64 = 40;
const BALLAST_MB: u64 = 30;

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
async fn a_full_disk_loses_no_acknowledged_write_and_a_restart_recovers() {
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
    let flags = ["--memtable-mb", "4"];
    let mut server = Server::start_durable_with(&data_dir, &flags);
    let client = without_retries(&server);
    create_table(&client, TABLE, None).await;

    // id -> version acknowledged last; and the errors the writers saw.
    let acknowledged: Arc<Mutex<HashMap<u64, u64>>> = Arc::default();
    let refusals: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (client, acknowledged, refusals) =
            (client.clone(), acknowledged.clone(), refusals.clone());
        writers.push(tokio::spawn(async move {
            let mut failures = 0;
            for n in 0u64.. {
                // Rewrites as well as new keys, so that recovery must pick
                // the acknowledged version.
                let id = writer * 1_000_000 + n % 200;
                let result = client
                    .put_item()
                    .table_name(TABLE)
                    .item("pk", Av::S(format!("k{id}")))
                    .item("version", Av::N(n.to_string()))
                    .item("payload", Av::S(payload(id, n)))
                    .send()
                    .await;
                match result {
                    Ok(_) => {
                        acknowledged.lock().unwrap().insert(id, n);
                    }
                    Err(error) => {
                        refusals.lock().unwrap().push(error_code(&error));
                        failures += 1;
                        // Past the first failure, a few more tries: none
                        // may be acknowledged unless it is on disk.
                        if failures == 20 {
                            return;
                        }
                    }
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
        refusals.iter().all(|code| code == "InternalServerError"),
        "a write the disk could not take was refused as {refusals:?}"
    );
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.values().any(|&version| version >= 200),
        "no key was rewritten before the disk filled"
    );

    // Reads too: one could show a write the restart will not bring back.
    let (&id, _) = acknowledged.iter().next().unwrap();
    let read = client
        .get_item()
        .table_name(TABLE)
        .key("pk", Av::S(format!("k{id}")))
        .send()
        .await;
    assert_eq!(
        read.map_err(|e| error_code(&e)).err().as_deref(),
        Some("InternalServerError"),
        "a read while the log is broken"
    );

    // What an operator does: stop the server, free space, start it again.
    server.kill();
    std::fs::remove_file(&ballast).expect("remove the ballast");
    let server = Server::start_durable_with(&data_dir, &flags);
    let client = without_retries(&server);
    for (&id, &version) in &acknowledged {
        let item = client
            .get_item()
            .table_name(TABLE)
            .key("pk", Av::S(format!("k{id}")))
            .consistent_read(true)
            .send()
            .await
            .expect("get after the restart")
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
    client
        .put_item()
        .table_name(TABLE)
        .item("pk", Av::S("after".into()))
        .send()
        .await
        .expect("writes go on once there is space");
}
