//! Crash safety: a client keeps writing while the server is SIGKILLed at
//! random moments; after every restart each acknowledged write is there,
//! and every item present is whole. Also with the power cut under the
//! running server, on a file system that then forgets (or tears) whatever
//! was not synced.

mod common;
#[path = "power_cut/fs.rs"]
mod power_cut;

use aws_sdk_dynamodb::types::AttributeValue as Av;
use common::{create_table, Server};
use power_cut::PowerCutDisk;
use rand::Rng;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CYCLES: usize = 5;
const WRITERS: usize = 8;
const TABLE: &str = "crash_test";

/// The payload is derived from the key, so a half-written item is detectable.
fn payload(id: u64) -> String {
    format!("{id:016x}").repeat(40)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill() {
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() {
        return; // needs our own process to kill
    }
    write_and_kill(CYCLES, &[], KillAfter::Random).await;
}

/// The same with WAL files reused: a 1 MiB memtable switches WAL files
/// every ~1,500 writes, obsolete WAL files are recycled (overwritten in
/// place), and each kill comes after the server has reused one, so
/// recovery reads a WAL whose tail holds records of its earlier use.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill_with_recycled_wal_files() {
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() {
        return; // needs our own process to kill
    }
    write_and_kill(3, &["--memtable-mb", "1"], KillAfter::WalReused).await;
}

/// The same with the power cut under the running server (the kill follows
/// it): on `PowerCutDisk`, what was written but not synced (file contents,
/// and files created, renamed or deleted in a directory not synced since)
/// is gone, or torn, when the server restarts, as after a power failure,
/// where a SIGKILL alone leaves it all to the page cache; and from the cut
/// to the kill every sync fails, so nothing acknowledged then may count.
/// A 1 MiB memtable, so that the cycles also switch log
/// files, flush table files and rewrite the MANIFEST, each of which must
/// sync its directory. Mutation checks: a group commit that does not sync
/// the log (`flush_wal(false)`) loses the whole log; a data directory whose
/// entry in its parent is not synced (`create_durable_dir`) loses the
/// database.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_a_power_cut() {
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() {
        return; // needs our own process to kill
    }
    let Some(mut disk) = PowerCutDisk::mount() else {
        return;
    };
    let dir = disk.join("db");
    let extra = ["--memtable-mb", "1"];
    let kill = |server: &mut Server| disk.cut_power(|| server.kill());
    write_and_kill_on(&dir, 3, &extra, KillAfter::Random, kill).await;
}

/// When a cycle's server is killed.
#[derive(Clone, Copy)]
enum KillAfter {
    /// 200-900 ms into the cycle.
    Random,
    /// 100-500 ms after RocksDB's LOG reports a WAL file reused.
    WalReused,
}

async fn write_and_kill(cycles: usize, extra: &[&str], kill_after: KillAfter) {
    let dir = tempfile::tempdir().unwrap();
    write_and_kill_on(dir.path(), cycles, extra, kill_after, Server::kill).await;
}

/// `cycles` of writes ended by `kill` (a SIGKILL, or a power cut and one),
/// on a server with its data in `dir`.
async fn write_and_kill_on(
    dir: &Path,
    cycles: usize,
    extra: &[&str],
    kill_after: KillAfter,
    mut kill: impl FnMut(&mut Server),
) {
    // key -> version acknowledged last
    let acknowledged: Arc<Mutex<HashMap<u64, u64>>> = Arc::default();
    let mut created = false;
    for cycle in 0..cycles {
        let mut server = Server::start_durable_with(dir, extra);
        let client = server.client();
        if !created {
            create_table(&client, TABLE, None).await;
            created = true;
        }
        let expected = acknowledged.lock().unwrap().clone();
        verify(&client, &expected).await;

        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut writers = Vec::new();
        for writer in 0..WRITERS as u64 {
            let client = client.clone();
            let acknowledged = acknowledged.clone();
            let stop = stop.clone();
            writers.push(tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // Keys are rewritten across cycles with new versions.
                    let id = writer * 1_000_000 + n % 300;
                    let version = (cycle as u64) << 32 | n;
                    let result = client
                        .put_item()
                        .table_name(TABLE)
                        .item("pk", Av::S(format!("k{id}")))
                        .item("id", Av::N(id.to_string()))
                        .item("version", Av::N(version.to_string()))
                        .item("payload", Av::S(payload(id ^ version)))
                        .send()
                        .await;
                    match result {
                        Ok(_) => {
                            acknowledged.lock().unwrap().insert(id, version);
                        }
                        Err(_) => break, // the server died under us
                    }
                    n += 1;
                }
            }));
        }
        match kill_after {
            KillAfter::Random => {
                kill_at_random(&mut server, 200..900, &mut kill, &stop, writers).await
            }
            KillAfter::WalReused => {
                wait_for_wal_reuse(dir).await;
                kill_at_random(&mut server, 100..500, &mut kill, &stop, writers).await
            }
        }
        assert!(
            !acknowledged.lock().unwrap().is_empty(),
            "cycle {cycle} wrote nothing"
        );
    }
    let server = Server::start_durable_with(dir, extra);
    let expected = acknowledged.lock().unwrap().clone();
    verify(&server.client(), &expected).await;
}

/// Waits until this server process has reused an obsolete WAL file
/// (RocksDB logs each reuse; a restart starts a new LOG).
async fn wait_for_wal_reuse(dir: &std::path::Path) {
    let log = dir.join("LOG");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("from recycle list") {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no WAL file was reused within 120 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Kills the server (`kill`) after a random number of milliseconds in
/// `range`, then stops the clients (which end at their first failed
/// request).
async fn kill_at_random(
    server: &mut Server,
    range: std::ops::Range<u64>,
    kill: &mut impl FnMut(&mut Server),
    stop: &std::sync::atomic::AtomicBool,
    clients: Vec<tokio::task::JoinHandle<()>>,
) {
    let delay = rand::rng().random_range(range);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    kill(server);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
}

async fn verify(client: &aws_sdk_dynamodb::Client, acknowledged: &HashMap<u64, u64>) {
    for (&id, &version) in acknowledged {
        let got = client
            .get_item()
            .table_name(TABLE)
            .key("pk", Av::S(format!("k{id}")))
            .send()
            .await
            .unwrap();
        let item = got
            .item
            .unwrap_or_else(|| panic!("acknowledged item k{id} lost"));
        let stored: u64 = match &item["version"] {
            Av::N(v) => v.parse().unwrap(),
            other => panic!("bad version {other:?}"),
        };
        // A write that was in flight when the server died may have landed
        // after the last acknowledgement, so the version can only be newer.
        assert!(
            stored >= version,
            "k{id}: acknowledged version {version} but found {stored}"
        );
        assert_eq!(
            item["payload"],
            Av::S(payload(id ^ stored)),
            "k{id} is torn"
        );
    }
}

const COUNTERS: u64 = 4;
const COUNTER_TABLE: &str = "crash_reads";
/// Each kill catches a read of a not-yet-synced commit only sometimes
/// (with the read-side wait removed, about half of the kills do), so many
/// short cycles.
const READ_CYCLES: usize = 12;

/// A commit returns before its WAL record leaves the process (the sync
/// thread writes and syncs it), so a SIGKILL takes back every commit not yet
/// synced. No client may have seen such a commit: not the writer (its
/// acknowledgement waits for the sync) and not a reader (its answer waits
/// for the sync covering everything it could have read). So after a crash
/// each counter is at least the highest value anyone was shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_a_client_saw_is_lost_to_sigkill() {
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() {
        return; // needs our own process to kill
    }
    let dir = tempfile::tempdir().unwrap();
    count_read_and_kill(dir.path(), READ_CYCLES, Server::kill).await;
}

/// The same with the power cut under the running server: a SIGKILL keeps
/// what the sync thread wrote to the log but had not synced yet (it is in
/// the page cache), a power cut does not, so a reader shown such a commit is caught
/// here where a kill alone would miss it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_a_client_saw_is_lost_to_a_power_cut() {
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() {
        return; // needs our own process to kill
    }
    let Some(mut disk) = PowerCutDisk::mount() else {
        return;
    };
    let dir = disk.join("db");
    let kill = |server: &mut Server| disk.cut_power(|| server.kill());
    count_read_and_kill(&dir, READ_CYCLES / 2, kill).await;
}

/// `cycles` of counter increments and reads ended by `kill` (a SIGKILL, or
/// a power cut and one), on a server with its data in `dir`.
async fn count_read_and_kill(dir: &Path, cycles: usize, mut kill: impl FnMut(&mut Server)) {
    // counter -> highest value acknowledged to a writer or shown to a reader
    let seen: Arc<Mutex<HashMap<u64, u64>>> = Arc::default();
    // One start more than there are cycles: the last only checks what the
    // last kill (and power cut) left.
    for cycle in 0..=cycles {
        let mut server = Server::start_durable(dir);
        let client = server.client();
        if cycle == 0 {
            create_table(&client, COUNTER_TABLE, None).await;
        }
        let floor = seen.lock().unwrap().clone();
        for counter in 0..COUNTERS {
            let value = read_counter(&client, counter).await.unwrap();
            let least = floor.get(&counter).copied().unwrap_or(0);
            assert!(
                value >= least,
                "cycle {cycle}: counter {counter} is {value}, but a client saw {least} before the crash"
            );
        }
        if cycle == cycles {
            return;
        }

        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut clients = Vec::new();
        for worker in 0..8u64 {
            let (client, seen, stop) = (client.clone(), seen.clone(), stop.clone());
            clients.push(tokio::spawn(async move {
                let counter = worker % COUNTERS;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let value = if worker < 4 {
                        increment(&client, counter).await
                    } else {
                        read_counter(&client, counter).await
                    };
                    let Some(value) = value else { break }; // the server died
                    let mut seen = seen.lock().unwrap();
                    let highest = seen.entry(counter).or_default();
                    *highest = (*highest).max(value);
                }
            }));
        }
        kill_at_random(&mut server, 100..500, &mut kill, &stop, clients).await;
    }
}

fn counter_key(counter: u64) -> Av {
    Av::S(format!("counter{counter}"))
}

fn counter_value(item: Option<&HashMap<String, Av>>) -> u64 {
    match item.and_then(|item| item.get("n")) {
        Some(Av::N(n)) => n.parse().unwrap(),
        None => 0,
        Some(other) => panic!("bad counter {other:?}"),
    }
}

/// The counter's value after adding one, or `None` if the server is gone.
async fn increment(client: &aws_sdk_dynamodb::Client, counter: u64) -> Option<u64> {
    let out = client
        .update_item()
        .table_name(COUNTER_TABLE)
        .key("pk", counter_key(counter))
        .update_expression("ADD n :one")
        .expression_attribute_values(":one", Av::N("1".into()))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedNew)
        .send()
        .await
        .ok()?;
    Some(counter_value(out.attributes.as_ref()))
}

async fn read_counter(client: &aws_sdk_dynamodb::Client, counter: u64) -> Option<u64> {
    let out = client
        .get_item()
        .table_name(COUNTER_TABLE)
        .key("pk", counter_key(counter))
        .consistent_read(true)
        .send()
        .await
        .ok()?;
    Some(counter_value(out.item.as_ref()))
}
