//! One behavioural suite that every storage engine must pass.
//!
//! The PostgreSQL engine joins in when `DYNALITH_TEST_POSTGRES` names a
//! database (scripts/test.sh starts one); each test gets a schema of its
//! own there.

use dynalith_storage::{
    ControlFlow, Engine, MemoryEngine, PgEngine, PgOptions, ReadView, RocksEngine, RocksOptions,
    StorageError,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};

/// Short enough that the tests' keys span many prefixes.
const TEST_PREFIX_LEN: usize = 2;

fn engines() -> Vec<(&'static str, Box<dyn Engine>, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let durable = RocksEngine::open(&RocksOptions::durable(dir.path())).unwrap();
    let memory = RocksEngine::open(&RocksOptions::in_memory()).unwrap();
    let prefix_dir = tempfile::tempdir().unwrap();
    let durable_prefix = RocksEngine::open(
        &RocksOptions::durable(prefix_dir.path()).with_range_prefix_len(TEST_PREFIX_LEN),
    )
    .unwrap();
    let memory_prefix =
        RocksEngine::open(&RocksOptions::in_memory().with_range_prefix_len(TEST_PREFIX_LEN))
            .unwrap();
    let rocks: Vec<(&'static str, Box<dyn Engine>, Option<tempfile::TempDir>)> = vec![
        ("rocks-durable", Box::new(durable), Some(dir)),
        ("rocks-memory", Box::new(memory), None),
        (
            "rocks-durable-prefix",
            Box::new(durable_prefix),
            Some(prefix_dir),
        ),
        ("rocks-memory-prefix", Box::new(memory_prefix), None),
        ("memory", Box::new(MemoryEngine::default()), None),
    ];
    rocks
        .into_iter()
        .chain(postgres_engine().map(|engine| ("postgres", engine, None)))
        .collect()
}

/// The database `DYNALITH_TEST_POSTGRES` names, if any.
fn postgres_url() -> Option<String> {
    std::env::var("DYNALITH_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty())
}

/// A schema no other test of this run uses.
fn fresh_schema() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        "conformance_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn postgres_engine() -> Option<Box<dyn Engine>> {
    let options = PgOptions::new(postgres_url()?).with_schema(fresh_schema());
    Some(Box::new(
        PgEngine::open(&options).expect("PostgreSQL engine opens"),
    ))
}

/// The keys of a range read from a snapshot, after checking that `scan`
/// and `visit_range` read the same entries, and so does a read of the
/// latest data (no write is in flight).
fn collect(engine: &dyn Engine, start: &[u8], end: &[u8], reverse: bool) -> Vec<Vec<u8>> {
    let keys = read_both_ways(&*engine.snapshot(), start, end, reverse);
    assert_eq!(
        latest_keys(engine, start, end, reverse),
        keys,
        "visit_latest_range and a snapshot disagree"
    );
    keys
}

fn latest_keys(engine: &dyn Engine, start: &[u8], end: &[u8], reverse: bool) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    engine
        .visit_latest_range(start, end, reverse, &mut |key, _| {
            keys.push(key.to_vec());
            ControlFlow::Continue(())
        })
        .unwrap();
    keys
}

fn read_both_ways(view: &dyn ReadView, start: &[u8], end: &[u8], reverse: bool) -> Vec<Vec<u8>> {
    let scanned: Vec<(Vec<u8>, Vec<u8>)> = view
        .scan(start, end, reverse)
        .map(|kv| {
            let (key, value) = kv.unwrap();
            (key.to_vec(), value.to_vec())
        })
        .collect();
    let mut visited = Vec::new();
    view.visit_range(start, end, reverse, &mut |key, value| {
        visited.push((key.to_vec(), value.to_vec()));
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(visited, scanned, "visit_range and scan disagree");
    scanned.into_iter().map(|(key, _)| key).collect()
}

#[test]
fn commit_makes_writes_visible_and_drop_rolls_back() {
    for (name, engine, _dir) in engines() {
        let mut txn = engine.begin();
        txn.put(b"a", b"1").unwrap();
        assert_eq!(
            txn.get(b"a").unwrap().as_deref(),
            Some(&b"1"[..]),
            "{name}: read own write"
        );
        assert_eq!(
            engine.get(b"a").unwrap(),
            None,
            "{name}: not visible before commit"
        );
        txn.commit().unwrap();
        assert_eq!(
            engine.get(b"a").unwrap().as_deref(),
            Some(&b"1"[..]),
            "{name}"
        );

        let mut txn = engine.begin();
        txn.delete(b"a").unwrap();
        txn.put(b"b", b"2").unwrap();
        drop(txn);
        assert!(
            engine.get(b"a").unwrap().is_some(),
            "{name}: rollback keeps a"
        );
        assert!(
            engine.get(b"b").unwrap().is_none(),
            "{name}: rollback drops b"
        );
    }
}

#[test]
fn scans_are_ordered_bounded_and_reversible() {
    for (name, engine, _dir) in engines() {
        let mut txn = engine.begin();
        for key in [&b"k1"[..], b"k2", b"k3", b"k\xff", b"l0", b"j9"] {
            txn.put(key, b"v").unwrap();
        }
        txn.commit().unwrap();
        assert_eq!(
            collect(&*engine, b"k", b"l", false),
            vec![
                b"k1".to_vec(),
                b"k2".to_vec(),
                b"k3".to_vec(),
                b"k\xff".to_vec()
            ],
            "{name}"
        );
        assert_eq!(
            collect(&*engine, b"k2", b"k\xff", true),
            vec![b"k3".to_vec(), b"k2".to_vec()],
            "{name}"
        );
    }
}

#[test]
fn a_visited_range_stops_when_the_visitor_breaks_and_shows_own_writes() {
    for (name, engine, _dir) in engines() {
        let mut txn = engine.begin();
        for key in [&b"k1"[..], b"k2", b"k3", b"k4"] {
            txn.put(key, b"v").unwrap();
        }
        txn.commit().unwrap();
        for (reverse, want) in [(false, [b"k1", b"k2"]), (true, [b"k4", b"k3"])] {
            let mut seen = Vec::new();
            engine
                .snapshot()
                .visit_range(b"k", b"l", reverse, &mut |key, _| {
                    seen.push(key.to_vec());
                    if seen.len() == 2 {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                })
                .unwrap();
            assert_eq!(seen, want.map(|k| k.to_vec()), "{name}: reverse {reverse}");
        }
        let mut txn = engine.begin();
        txn.delete(b"k2").unwrap();
        txn.put(b"k25", b"mine").unwrap();
        assert_eq!(
            read_both_ways(&*txn, b"k", b"l", false),
            vec![
                b"k1".to_vec(),
                b"k25".to_vec(),
                b"k3".to_vec(),
                b"k4".to_vec()
            ],
            "{name}: a transaction's range read shows its own writes"
        );
    }
}

#[test]
fn own_writes_stay_visible_to_reads_after_the_first_read() {
    for (name, engine, _dir) in engines() {
        let mut committed = engine.begin();
        committed.put(b"b", b"old").unwrap();
        committed.add_counters(b"c", &[10]).unwrap();
        committed.commit().unwrap();

        let mut txn = engine.begin();
        txn.put(b"a", b"1").unwrap();
        txn.add_counters(b"c", &[1]).unwrap();
        // The first read: the transaction's writes so far become readable.
        assert_eq!(txn.get(b"a").unwrap().as_deref(), Some(&b"1"[..]), "{name}");
        // Writes after it must be readable too.
        txn.put(b"a", b"2").unwrap();
        txn.delete(b"b").unwrap();
        txn.add_counters(b"c", &[2]).unwrap();
        assert_eq!(txn.get(b"a").unwrap().as_deref(), Some(&b"2"[..]), "{name}");
        assert_eq!(txn.get(b"b").unwrap(), None, "{name}");
        let counters = txn.get(b"c").unwrap().unwrap();
        assert_eq!(
            dynalith_storage::decode_counters(&counters),
            vec![13],
            "{name}"
        );
        assert_eq!(
            read_both_ways(&*txn, b"a", b"z", false),
            vec![b"a".to_vec(), b"c".to_vec()],
            "{name}"
        );
        txn.commit().unwrap();
        assert_eq!(
            engine.get(b"a").unwrap().as_deref(),
            Some(&b"2"[..]),
            "{name}"
        );
        assert_eq!(engine.get(b"b").unwrap(), None, "{name}");
        assert_eq!(committed_counters(&*engine, b"c"), vec![13], "{name}");
    }
}

#[test]
fn snapshots_do_not_see_later_writes() {
    for (name, engine, _dir) in engines() {
        let snapshot = engine.snapshot();
        let mut txn = engine.begin();
        txn.put(b"x", b"1").unwrap();
        txn.commit().unwrap();
        assert_eq!(snapshot.get(b"x").unwrap(), None, "{name}");
        assert_eq!(snapshot.scan(b"", b"\xff", false).count(), 0, "{name}");
    }
}

#[test]
fn counters_add_without_locking() {
    for (name, engine, _dir) in engines() {
        for deltas in [[1i64, 100], [1, 50], [-1, -30]] {
            let mut txn = engine.begin();
            txn.add_counters(b"c", &deltas).unwrap();
            txn.commit().unwrap();
        }
        assert_eq!(committed_counters(&*engine, b"c"), vec![1, 120], "{name}");
    }
}

/// Two open transactions add to the same counters: neither waits for the
/// other (a lock would make the second time out), and both additions count,
/// whichever commits first and whether or not the transaction locked items.
#[test]
fn open_transactions_add_to_one_counter_without_waiting() {
    for (name, engine, _dir) in engines() {
        let mut first = engine.begin();
        first.get_for_update(b"item-1").unwrap();
        first.put(b"item-1", b"x").unwrap();
        first.add_counters(b"c", &[1, 10]).unwrap();
        let mut second = engine.begin();
        second.get_for_update(b"item-2").unwrap();
        second.add_counters(b"c", &[2]).unwrap();
        second.add_counters(b"d", &[-5, i64::MAX]).unwrap();
        let mut lockless = engine.begin();
        lockless.add_counters(b"c", &[4, 0, 7]).unwrap();
        second.commit().unwrap();
        lockless.commit().unwrap();
        first.commit().unwrap();
        assert_eq!(committed_counters(&*engine, b"c"), vec![7, 10, 7], "{name}");
        assert_eq!(
            committed_counters(&*engine, b"d"),
            vec![-5, i64::MAX],
            "{name}"
        );
    }
}

#[test]
fn concurrent_counter_additions_lose_nothing() {
    for (name, engine, _dir) in engines() {
        let engine: Arc<dyn Engine> = Arc::from(engine);
        let threads = 8;
        let per_thread = 40;
        on_threads(&engine, threads, move |engine, t| {
            for i in 0..per_thread {
                let mut txn = engine.begin();
                if i % 2 == 0 {
                    txn.get_for_update(format!("item-{t}").as_bytes()).unwrap();
                    txn.put(format!("item-{t}").as_bytes(), b"x").unwrap();
                }
                txn.add_counters(b"a", &[1, -3]).unwrap();
                txn.add_counters(b"b", &[2]).unwrap();
                txn.commit().unwrap();
            }
        });
        let total = (threads * per_thread) as i64;
        assert_eq!(
            committed_counters(&*engine, b"a"),
            vec![total, -3 * total],
            "{name}"
        );
        assert_eq!(
            committed_counters(&*engine, b"b"),
            vec![2 * total],
            "{name}"
        );
    }
}

#[test]
fn get_for_update_locks_until_commit() {
    for (name, engine, _dir) in engines() {
        let engine: Arc<dyn Engine> = Arc::from(engine);
        let mut holder = engine.begin();
        holder.get_for_update(b"hot").unwrap();
        // A second writer must not get the lock while the first holds it.
        let contender = {
            let engine = engine.clone();
            std::thread::spawn(move || {
                let mut txn = engine.begin();
                txn.get_for_update(b"hot").map(|_| ())
            })
        };
        let result = contender.join().unwrap();
        assert!(
            matches!(result, Err(StorageError::Conflict)),
            "{name}: {result:?}"
        );
        drop(holder);
        let mut txn = engine.begin();
        assert!(
            txn.get_for_update(b"hot").is_ok(),
            "{name}: lock released on rollback"
        );
    }
}

#[test]
fn concurrent_read_modify_write_loses_no_update() {
    for (name, engine, _dir) in engines() {
        let engine: Arc<dyn Engine> = Arc::from(engine);
        let threads = 8;
        let per_thread = 50;
        on_threads(&engine, threads, move |engine, _| {
            for _ in 0..per_thread {
                increment(engine, b"n", None);
            }
        });
        let value = engine.get(b"n").unwrap().unwrap();
        assert_eq!(
            u64::from_le_bytes(value.try_into().unwrap()),
            (threads * per_thread) as u64,
            "{name}"
        );
    }
}

/// The counters committed at `key`.
fn committed_counters(engine: &dyn Engine, key: &[u8]) -> Vec<i64> {
    dynalith_storage::decode_counters(&engine.get(key).unwrap().expect("counters at the key"))
}

/// Runs `work(engine, thread number)` on `threads` threads that start
/// together, and waits for them all.
fn on_threads(
    engine: &Arc<dyn Engine>,
    threads: usize,
    work: impl Fn(&dyn Engine, usize) + Send + Clone + 'static,
) {
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (engine, barrier, work) = (engine.clone(), barrier.clone(), work.clone());
            std::thread::spawn(move || {
                barrier.wait();
                work(&*engine, t);
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}

/// Adds one to the u64 at `key` by read-modify-write (and to the counter
/// at `counter`, if given), retrying conflicts as the core does.
fn increment(engine: &dyn Engine, key: &[u8], counter: Option<&[u8]>) {
    loop {
        let mut txn = engine.begin();
        let current = match txn.get_for_update(key) {
            Ok(v) => v.map_or(0, |v| u64::from_le_bytes(v.try_into().unwrap())),
            Err(StorageError::Conflict) => continue,
            Err(e) => panic!("{e}"),
        };
        txn.put(key, &(current + 1).to_le_bytes()).unwrap();
        if let Some(counter) = counter {
            txn.add_counters(counter, &[1]).unwrap();
        }
        match txn.commit() {
            Ok(()) => return,
            Err(StorageError::Conflict) => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

#[test]
fn delete_range_removes_only_the_range() {
    for (name, engine, _dir) in engines() {
        let mut txn = engine.begin();
        for i in 0..2500u32 {
            txn.put(&[b"t".as_slice(), &i.to_be_bytes()].concat(), b"v")
                .unwrap();
        }
        txn.put(b"u", b"keep").unwrap();
        txn.commit().unwrap();
        engine.delete_range(b"t", b"u").unwrap();
        assert_eq!(
            collect(&*engine, b"", b"\xff", false),
            vec![b"u".to_vec()],
            "{name}"
        );
    }
}

#[test]
fn durable_engine_keeps_data_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let engine = RocksEngine::open(&RocksOptions::durable(dir.path())).unwrap();
        let mut txn = engine.begin();
        txn.put(b"persist", b"yes").unwrap();
        txn.commit().unwrap();
    }
    let engine = RocksEngine::open(&RocksOptions::durable(dir.path())).unwrap();
    assert_eq!(
        engine.get(b"persist").unwrap().as_deref(),
        Some(&b"yes"[..])
    );
}

#[test]
fn range_reads_match_a_sorted_map_within_and_across_prefixes() {
    use std::collections::BTreeMap;
    for (name, engine, _dir) in engines() {
        let mut expected = BTreeMap::new();
        // Two generations, flushed in between (durable engines), so that
        // reads merge SST files, whose prefix filters matter, with the
        // memtable.
        for generation in 0..2u8 {
            let mut txn = engine.begin();
            for a in [b'a', b'b', b'c'] {
                for b in [b'a', b'm', b'z'] {
                    for n in (generation..12).step_by(2) {
                        let key = vec![a, b, n];
                        txn.put(&key, &[generation]).unwrap();
                        expected.insert(key, vec![generation]);
                    }
                }
            }
            txn.commit().unwrap();
            engine.flush().unwrap();
        }
        let bounds: Vec<(Vec<u8>, Vec<u8>)> = vec![
            (b"am".to_vec(), b"an".to_vec()),           // one whole prefix
            (vec![b'a', b'm', 3], vec![b'a', b'm', 9]), // inside one prefix
            (vec![b'a', b'm', 11], vec![b'a', b'm', 12]),
            (b"b".to_vec(), b"c".to_vec()), // bounds shorter than a prefix
            (vec![b'a', b'z', 5], vec![b'b', b'm', 2]), // across prefixes
            (b"az".to_vec(), b"bb".to_vec()),
            (b"ab".to_vec(), b"ac".to_vec()), // an empty prefix
            (Vec::new(), vec![0xff]),         // everything
        ];
        for (start, end) in bounds {
            let want: Vec<Vec<u8>> = expected
                .range(start.clone()..end.clone())
                .map(|(k, _)| k.clone())
                .collect();
            assert_eq!(
                collect(&*engine, &start, &end, false),
                want,
                "{name}: {start:?}..{end:?}"
            );
            let mut backwards = want.clone();
            backwards.reverse();
            assert_eq!(
                collect(&*engine, &start, &end, true),
                backwards,
                "{name}: {start:?}..{end:?} reversed"
            );
            let txn = engine.begin();
            let in_txn = read_both_ways(&*txn, &start, &end, false);
            assert_eq!(in_txn, want, "{name}: {start:?}..{end:?} in a transaction");
            let in_txn_backwards = read_both_ways(&*txn, &start, &end, true);
            assert_eq!(
                in_txn_backwards, backwards,
                "{name}: {start:?}..{end:?} reversed in a transaction"
            );
        }
    }
}

/// Keys of every length around the prefix length, shorter ones included
/// (the catalog's), written in generations flushed into SST files: point
/// reads and range reads in both directions, from a snapshot and from the
/// latest commits, agree with a sorted map. Values of up to 1.5 KB spread
/// one prefix's keys over several 4 KB blocks. (It caught RocksDB's
/// per-file prefix hash index, `kHashSearch`, tried with the fixed-length
/// prefix extractor: the index hashes every key's prefix, and a key shorter
/// than the prefix has none, so it was not found once flushed.)
mod keys_of_every_length_in_files {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// Keys of 0 to 4 bytes over a three-letter alphabet: 121 keys, 13 of
    /// them under each two-byte prefix.
    fn key() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(prop::sample::select(vec![b'a', b'b', b'c']), 0..=4)
    }

    #[derive(Clone, Debug)]
    enum Step {
        Put(Vec<u8>, usize),
        Delete(Vec<u8>),
        Flush,
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            6 => (key(), 0..1500usize).prop_map(|(key, len)| Step::Put(key, len)),
            2 => key().prop_map(Step::Delete),
            1 => Just(Step::Flush),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn reads_from_flushed_files_match_a_sorted_map(
            steps in prop::collection::vec(step(), 1..80),
            bounds in prop::collection::vec((key(), key()), 1..12),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let options = RocksOptions::durable(dir.path()).with_range_prefix_len(TEST_PREFIX_LEN);
            let engine = RocksEngine::open(&options).unwrap();
            let mut model = BTreeMap::new();
            for (at, step) in steps.iter().enumerate() {
                let mut txn = engine.begin();
                match step {
                    Step::Put(key, len) => {
                        let value = vec![at as u8; *len];
                        txn.put(key, &value).unwrap();
                        model.insert(key.clone(), value);
                    }
                    Step::Delete(key) => {
                        txn.delete(key).unwrap();
                        model.remove(key);
                    }
                    Step::Flush => {}
                }
                txn.commit().unwrap();
                if matches!(step, Step::Flush) {
                    engine.flush().unwrap();
                }
            }
            engine.flush().unwrap();
            for step in &steps {
                if let Step::Put(key, _) | Step::Delete(key) = step {
                    prop_assert_eq!(engine.get(key).unwrap().map(|v| v.to_vec()), model.get(key).cloned());
                }
            }
            for (start, end) in bounds {
                let (start, end) = if start <= end { (start, end) } else { (end, start) };
                let want: Vec<Vec<u8>> = model.range(start.clone()..end.clone()).map(|(k, _)| k.clone()).collect();
                prop_assert_eq!(&collect(&engine, &start, &end, false), &want);
                let backwards: Vec<Vec<u8>> = want.iter().rev().cloned().collect();
                prop_assert_eq!(&collect(&engine, &start, &end, true), &backwards);
            }
        }
    }
}

/// RocksDB keeps its range iterators from one read to the next
/// (`range_iterators.rs`): each read must still see every commit before
/// it, across flushes that change the files below, and a read that stopped
/// early must not disturb the next.
#[test]
fn latest_range_reads_see_every_commit_before_them() {
    use std::collections::BTreeSet;
    for (name, engine, _dir) in engines() {
        let mut expected = BTreeSet::new();
        for round in 0..40u8 {
            let mut txn = engine.begin();
            if round % 3 == 0 {
                let gone = vec![b'p', b'q', round / 2];
                txn.delete(&gone).unwrap();
                expected.remove(&gone);
            }
            let key = vec![b'p', b'q', round];
            txn.put(&key, &[round]).unwrap();
            expected.insert(key);
            // A neighbouring prefix on either side.
            txn.put(&[b'p', b'p', round], b"").unwrap();
            txn.put(&[b'p', b'r', round], b"").unwrap();
            txn.commit().unwrap();
            if round % 10 == 9 {
                engine.flush().unwrap();
            }
            let forward: Vec<Vec<u8>> = expected.iter().cloned().collect();
            let backward: Vec<Vec<u8>> = expected.iter().rev().cloned().collect();
            assert_eq!(
                latest_keys(&*engine, b"pq", b"pr", false),
                forward,
                "{name}"
            );
            assert_eq!(
                latest_keys(&*engine, b"pq", b"pr", true),
                backward,
                "{name}"
            );
            let mut first = None;
            engine
                .visit_latest_range(b"pq", b"pr", true, &mut |key, _| {
                    first = Some(key.to_vec());
                    ControlFlow::Break(())
                })
                .unwrap();
            assert_eq!(first.as_ref(), backward.first(), "{name}");
            // Bounds inside the prefix, the upper one an existing key.
            let (low, high) = (vec![b'p', b'q', round / 4], vec![b'p', b'q', round / 2]);
            let inside: Vec<Vec<u8>> = expected.range(low.clone()..high.clone()).cloned().collect();
            assert_eq!(latest_keys(&*engine, &low, &high, false), inside, "{name}");
            let inside_backward: Vec<Vec<u8>> = inside.iter().rev().cloned().collect();
            assert_eq!(
                latest_keys(&*engine, &low, &high, true),
                inside_backward,
                "{name}"
            );
        }
    }
}

#[test]
fn durable_commits_are_awaited_and_memory_has_nothing_to_await() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for (name, engine, dir) in engines() {
        let mut txn = engine.begin();
        txn.put(b"k", b"v").unwrap();
        txn.commit().unwrap();
        match (dir.is_some(), engine.pending_durability()) {
            (true, Some(wait)) => {
                runtime.block_on(wait.wait()).unwrap();
                assert!(engine.pending_durability().is_none(), "{name}: synced");
            }
            (true, None) => panic!("{name}: a fresh commit cannot be durable without a sync"),
            (false, pending) => assert!(pending.is_none(), "{name}: nothing to sync in memory"),
        }
    }
}

#[test]
fn concurrent_inserts_of_an_absent_key_admit_exactly_one() {
    for (name, engine, _dir) in engines() {
        let engine: Arc<dyn Engine> = Arc::from(engine);
        for round in 0..10u8 {
            let key = [b"new".as_slice(), &[round]].concat();
            let threads = 4;
            let barrier = Arc::new(Barrier::new(threads));
            let handles: Vec<_> = (0..threads)
                .map(|id| {
                    let (engine, barrier, key) = (engine.clone(), barrier.clone(), key.clone());
                    std::thread::spawn(move || {
                        barrier.wait();
                        loop {
                            let mut txn = engine.begin();
                            match txn.get_for_update(&key) {
                                Ok(Some(_)) => return false,
                                Ok(None) => {}
                                Err(StorageError::Conflict) => continue,
                                Err(e) => panic!("{e}"),
                            }
                            txn.put(&key, &[id as u8]).unwrap();
                            match txn.commit() {
                                Ok(()) => return true,
                                Err(StorageError::Conflict) => continue,
                                Err(e) => panic!("{e}"),
                            }
                        }
                    })
                })
                .collect();
            let wins = handles
                .into_iter()
                .map(|h| h.join().unwrap())
                .filter(|&won| won)
                .count();
            assert_eq!(wins, 1, "{name}: round {round}");
        }
    }
}

#[test]
fn postgres_front_ends_sharing_a_schema_share_data_and_locks() {
    let Some(url) = postgres_url() else {
        eprintln!("DYNALITH_TEST_POSTGRES is not set: no PostgreSQL engine to test");
        return;
    };
    let options = PgOptions::new(url).with_schema(fresh_schema()).shared();
    let engines: Vec<Arc<dyn Engine>> = (0..2)
        .map(|_| Arc::new(PgEngine::open(&options).unwrap()) as Arc<dyn Engine>)
        .collect();
    let per_thread = 40;
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let engine = engines[i % 2].clone();
            std::thread::spawn(move || {
                for _ in 0..per_thread {
                    increment(&*engine, b"shared", Some(b"total"));
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    for engine in &engines {
        let value = engine.get(b"shared").unwrap().unwrap();
        assert_eq!(
            u64::from_le_bytes(value.try_into().unwrap()),
            4 * per_thread
        );
        assert_eq!(
            committed_counters(&**engine, b"total"),
            vec![4 * per_thread as i64]
        );
    }
}

#[test]
fn postgres_refuses_a_bad_schema_name_and_an_unreachable_server() {
    let bad = PgOptions::new("postgres://127.0.0.1:1/none").with_schema("x; DROP TABLE kv");
    let error = PgEngine::open(&bad).err().expect("refused");
    assert!(
        error.to_string().contains("invalid PostgreSQL schema name"),
        "{error}"
    );
    let unreachable = PgOptions::new("postgres://postgres@127.0.0.1:1/none");
    let error = PgEngine::open(&unreachable).err().expect("refused");
    assert!(
        error.to_string().contains("cannot connect to PostgreSQL"),
        "{error}"
    );
}

#[test]
fn postgres_an_operation_may_hold_more_connections_than_the_pool_has() {
    let Some(url) = postgres_url() else {
        eprintln!("DYNALITH_TEST_POSTGRES is not set: no PostgreSQL engine to test");
        return;
    };
    let options = PgOptions::new(url)
        .with_schema(fresh_schema())
        .with_pool_size(1);
    let engine = PgEngine::open(&options).unwrap();
    let mut txn = engine.begin();
    txn.get_for_update(b"held").unwrap();
    txn.put(b"held", b"1").unwrap();
    // The transaction holds the pool's only connection; a snapshot and a
    // plain read on the same thread must not wait for it.
    let started = std::time::Instant::now();
    let snapshot = engine.snapshot();
    assert_eq!(snapshot.get(b"held").unwrap(), None);
    assert_eq!(engine.get(b"held").unwrap(), None);
    drop(snapshot);
    txn.commit().unwrap();
    assert_eq!(engine.get(b"held").unwrap().as_deref(), Some(&b"1"[..]));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn postgres_a_schema_serves_one_exclusive_engine_at_a_time() {
    let Some(url) = postgres_url() else {
        eprintln!("DYNALITH_TEST_POSTGRES is not set: no PostgreSQL engine to test");
        return;
    };
    let options = PgOptions::new(url).with_schema(fresh_schema());
    let first = PgEngine::open(&options).unwrap();
    let error = PgEngine::open(&options).err().expect("schema in use");
    assert!(
        error.to_string().contains("another dynalith server"),
        "{error}"
    );
    drop(first);
    PgEngine::open(&options).expect("free again once the first is gone");
}

/// An admin connection, and the backend holding `schema` for its
/// exclusive engine (its connection is named after the schema).
fn schema_owner(url: &str, schema: &str) -> (postgres::Client, Option<i32>) {
    let mut admin = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let name = format!("dynalith owner of schema {schema}");
    let pid = admin
        .query_opt(
            // The newest: a terminated backend may linger a moment.
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1
             ORDER BY backend_start DESC LIMIT 1",
            &[&name],
        )
        .unwrap()
        .map(|row| row.get(0));
    (admin, pid)
}

/// An exclusive engine on a fresh schema, its options, an admin
/// connection, and the backend that holds the schema.
fn exclusive_engine(url: &str) -> (PgEngine, PgOptions, postgres::Client, i32) {
    let options = PgOptions::new(url).with_schema(fresh_schema());
    let engine = PgEngine::open(&options).unwrap();
    let (admin, owner) = schema_owner(url, &options.schema);
    let owner = owner.expect("the owner's connection is named");
    (engine, options, admin, owner)
}

/// Waits up to 10 s for `done`.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "never happened: {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn postgres_an_exclusive_engine_takes_its_schema_back_after_its_connection_drops() {
    let Some(url) = postgres_url() else {
        eprintln!("DYNALITH_TEST_POSTGRES is not set: no PostgreSQL engine to test");
        return;
    };
    let (engine, options, mut admin, owner) = exclusive_engine(&url);
    // What a PostgreSQL restart or a dropped connection does to the lock.
    let terminated: bool = admin
        .query_one("SELECT pg_terminate_backend($1)", &[&owner])
        .unwrap()
        .get(0);
    assert!(terminated);
    eventually("the schema is held by a new connection", || {
        schema_owner(&url, &options.schema)
            .1
            .is_some_and(|pid| pid != owner)
    });
    let error = PgEngine::open(&options).err().expect("schema still in use");
    assert!(
        error.to_string().contains("another dynalith server"),
        "{error}"
    );
    let mut txn = engine.begin();
    txn.put(b"k", b"v").unwrap();
    txn.commit().unwrap();
    assert_eq!(engine.get(b"k").unwrap().as_deref(), Some(&b"v"[..]));
}

#[test]
fn postgres_an_exclusive_engine_whose_schema_was_taken_refuses_to_go_on() {
    let Some(url) = postgres_url() else {
        eprintln!("DYNALITH_TEST_POSTGRES is not set: no PostgreSQL engine to test");
        return;
    };
    let (engine, _, mut admin, owner) = exclusive_engine(&url);
    let lock: i64 = admin
        .query_one(
            "SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks
             WHERE pid = $1 AND locktype = 'advisory' AND objsubid = 1",
            &[&owner],
        )
        .unwrap()
        .get(0);
    // Another server takes the schema the moment the owner's connection
    // ends (this session queues for the lock before the backend exits).
    admin
        .execute(
            "SELECT pg_terminate_backend($1), pg_advisory_lock($2)",
            &[&owner, &lock],
        )
        .unwrap();
    eventually("the engine notices that it lost the schema", || {
        engine.get(b"k").is_err_and(|e| {
            e.to_string()
                .contains("another dynalith server took schema")
        })
    });
    let mut txn = engine.begin();
    assert!(txn.put(b"k", b"v").is_ok(), "buffered, not sent");
    assert!(txn.commit().is_err(), "nothing is written any more");
    drop(admin);
    assert!(engine.snapshot().get(b"k").is_err(), "for good");
}

/// The fence's term as `schema` holds it.
fn fence_term(client: &mut postgres::Client, schema: &str) -> i64 {
    client
        .query_one(&format!("SELECT term FROM \"{schema}\".fence"), &[])
        .unwrap()
        .get(0)
}

#[test]
fn postgres_a_new_holder_waits_for_the_writes_in_flight_of_the_last() {
    let Some(url) = postgres_url() else {
        eprintln!("DYNALITH_TEST_POSTGRES is not set: no PostgreSQL engine to test");
        return;
    };
    let options = PgOptions::new(url.as_str())
        .with_schema(fresh_schema())
        .following();
    let schema = options.schema.clone();
    let first = PgEngine::open(&options).unwrap();
    assert!(!first.follows());
    let fence_lock = first.fence_lock();
    // A write of the first in flight, begun as its transactions begin:
    // the fence checked against its term, the fence's lock held shared.
    let mut writer = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let term = fence_term(&mut writer, &schema);
    let begin = format!("BEGIN; SELECT \"{schema}\".check_fence({fence_lock}, {term})");
    writer.batch_execute(&begin).unwrap();

    let second = PgEngine::open(&options).unwrap();
    assert!(second.follows(), "the first holds the schema");
    // A follower writes nothing.
    let mut txn = second.begin();
    txn.put(b"k", b"follower").unwrap();
    assert!(txn.commit().is_err());
    assert!(second.begin().get_for_update(b"k").is_err());

    drop(first);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert!(
        second.follows(),
        "takes over only once the write in flight ends"
    );
    writer
        .batch_execute(&format!(
            "INSERT INTO \"{schema}\".kv VALUES ('k', 'first'); COMMIT"
        ))
        .unwrap();
    eventually("the second holds the schema", || !second.follows());
    assert_eq!(fence_term(&mut writer, &schema), term + 1);
    assert_eq!(second.get(b"k").unwrap().as_deref(), Some(&b"first"[..]));

    // The first's term no longer lets a write through.
    let refused = writer.batch_execute(&begin).expect_err("fenced");
    assert_eq!(refused.code().map(|c| c.code()), Some("DYN01"), "{refused}");
    writer.batch_execute("ROLLBACK").unwrap();
    let mut txn = second.begin();
    assert_eq!(
        txn.get_for_update(b"k").unwrap().as_deref(),
        Some(&b"first"[..])
    );
    txn.put(b"k", b"second").unwrap();
    txn.commit().unwrap();
    assert_eq!(second.get(b"k").unwrap().as_deref(), Some(&b"second"[..]));
}

#[test]
fn postgres_an_engine_superseded_before_it_notices_writes_nothing() {
    let Some(url) = postgres_url() else {
        eprintln!("DYNALITH_TEST_POSTGRES is not set: no PostgreSQL engine to test");
        return;
    };
    let (engine, options, mut admin, owner) = exclusive_engine(&url);
    let schema = options.schema.clone();
    let mut txn = engine.begin();
    txn.put(b"kept", b"1").unwrap();
    txn.commit().unwrap();
    let lock: i64 = admin
        .query_one(
            "SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks
             WHERE pid = $1 AND locktype = 'advisory' AND objsubid = 1",
            &[&owner],
        )
        .unwrap()
        .get(0);
    // Another server takes the schema the moment the owner's connection
    // ends, and raises the term as a new holder does; the engine's pooled
    // connections live on, and its keeper has not looked yet.
    let fence_lock = engine.fence_lock();
    admin
        .execute(
            "SELECT pg_terminate_backend($1), pg_advisory_lock($2)",
            &[&owner, &lock],
        )
        .unwrap();
    admin
        .batch_execute(&format!(
            "SELECT pg_advisory_lock({fence_lock});
             UPDATE \"{schema}\".fence SET term = term + 1;
             SELECT pg_advisory_unlock({fence_lock})"
        ))
        .unwrap();
    // Whichever comes first, the fence or the keeper's notice, no write
    // of any kind lands.
    let mut locking = engine.begin();
    let locked = locking.get_for_update(b"kept");
    assert!(locked.is_err(), "{locked:?}");
    drop(locking);
    let mut blind = engine.begin();
    blind.put(b"blind", b"1").unwrap();
    blind.add_counters(b"counter", &[1]).unwrap();
    let committed = blind.commit();
    assert!(committed.is_err(), "{committed:?}");
    let deleted = engine.delete_range(b"a", b"z");
    assert!(deleted.is_err(), "{deleted:?}");
    let rows: i64 = admin
        .query_one(&format!("SELECT count(*) FROM \"{schema}\".kv"), &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 1, "only what was written before");
    eventually("the engine notices that it lost the schema", || {
        engine.lost_schema().is_some()
    });
}
