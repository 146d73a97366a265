//! The PostgreSQL engine through a crash of PostgreSQL itself: writers keep
//! writing while PostgreSQL is stopped the way a crash stops it (every
//! process killed, WAL replayed at the next start). dynalith answers with
//! errors while the database is gone, serves again once it is back without
//! a restart of its own, has lost no acknowledged write, and still owns its
//! schema (its ownership lock died with the old connection and was taken
//! again).
//!
//! Runs when `DYNALITH_TEST_POSTGRES` is set (so PostgreSQL is installed),
//! on a PostgreSQL cluster of its own (scripts/postgres.sh), not the shared
//! one the other tests use.

mod common;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use common::{create_table, Server};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WRITERS: u64 = 4;

fn postgres_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/postgres.sh")
}

/// Runs scripts/postgres.sh and returns what it printed.
fn postgres(args: &[&str]) -> String {
    let output = Command::new("bash")
        .arg(postgres_script())
        .args(args)
        .output()
        .expect("run scripts/postgres.sh");
    assert!(
        output.status.success(),
        "postgres.sh {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

/// The test's own PostgreSQL cluster, stopped and removed when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    port: String,
    url: String,
}

impl Cluster {
    fn start() -> Cluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port()
            .to_string();
        let mut cluster = Cluster {
            dir,
            port,
            url: String::new(),
        };
        cluster.url = cluster.restart();
        cluster
    }

    fn path(&self) -> &str {
        self.dir.path().to_str().expect("utf-8 temp dir")
    }

    fn restart(&self) -> String {
        postgres(&["start", self.path(), &self.port])
            .trim()
            .to_string()
    }

    fn crash(&self) {
        postgres(&["crash", self.path()]);
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(postgres_script())
            .args(["stop", self.path()])
            .output();
    }
}

fn item_key(id: u64) -> Av {
    Av::S(format!("item-{id}"))
}

/// Waits up to `limit` for `done`.
async fn wait_for(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgresql_crash_loses_no_acknowledged_write_and_the_server_recovers() {
    if common::test_postgres_url().is_none() {
        println!("skipped: DYNALITH_TEST_POSTGRES is not set (no PostgreSQL to crash)");
        return;
    }
    let cluster = Cluster::start();
    let schema = "crash_test";
    let server = Server::start_on_postgres(&cluster.url, schema);
    let setup = server.client();
    create_table(&setup, "crashy", None).await;

    // No SDK retries: each failure while PostgreSQL is down shows at once.
    let client = aws_sdk_dynamodb::Client::from_conf(
        setup
            .config()
            .to_builder()
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let (client, acknowledged) = (client.clone(), Arc::clone(&acknowledged));
        let (failures, stop) = (Arc::clone(&failures), Arc::clone(&stop));
        writers.push(tokio::spawn(async move {
            let mut id = writer * 1_000_000;
            while !stop.load(Ordering::Relaxed) {
                id += 1;
                let put = client
                    .put_item()
                    .table_name("crashy")
                    .item("pk", item_key(id))
                    .item("n", Av::N(id.to_string()))
                    .send()
                    .await;
                match put {
                    Ok(_) => acknowledged.lock().unwrap().push(id),
                    Err(_) => {
                        failures.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
        }));
    }
    let acked = || acknowledged.lock().unwrap().len();

    wait_for("writes before the crash", Duration::from_secs(30), || {
        acked() >= 100
    })
    .await;
    cluster.crash();
    wait_for("a write to fail", Duration::from_secs(60), || {
        failures.load(Ordering::Relaxed) > 0
    })
    .await;
    cluster.restart();
    let before_restart = acked();
    wait_for(
        "writes after PostgreSQL is back",
        Duration::from_secs(60),
        || acked() >= before_restart + 100,
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.expect("writer");
    }

    let acknowledged = acknowledged.lock().unwrap().clone();
    for id in &acknowledged {
        let item = client
            .get_item()
            .table_name("crashy")
            .key("pk", item_key(*id))
            .consistent_read(true)
            .send()
            .await
            .expect("read back")
            .item
            .unwrap_or_else(|| panic!("acknowledged write {id} lost"));
        assert_eq!(item.get("n"), Some(&Av::N(id.to_string())));
    }
    println!(
        "{} acknowledged writes survived; {} failed while PostgreSQL was down",
        acknowledged.len(),
        failures.load(Ordering::Relaxed)
    );

    // The server took its schema back: a second one is still refused.
    let second = Command::new(env!("CARGO_BIN_EXE_dynalith"))
        .args(["serve", "--port", "0", "--postgres", &cluster.url])
        .args(["--postgres-schema", schema])
        .output()
        .expect("run a second server");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("another dynalith server"), "{stderr}");
}
