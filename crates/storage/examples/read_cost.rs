//! What a read costs the engine alone, without HTTP and its noise: loads N
//! items laid out like the scale run's (hash-prefixed partitions of 10,
//! ~200 B values, transactions of 25), then times 1M random reads on one
//! thread, 8 rounds, and prints the best of rounds 3-7. Reads are point gets
//! (GetItem), or with `RANGES=1` range reads of one whole partition
//! (Query10). `SETTLE` seconds (default 5) pass between load and reads.
//!
//! `taskset -c 0 cargo run --release -p dynalith-storage --example read_cost -- 1000000 mem`
//! (`disk` for the durable engine, `tree` for the in-memory engine the
//! server's `--in-memory` runs on; `mem` is RocksDB on its in-memory Env).
//! Compare builds or options in
//! alternation: the benchmark machines drift by 20% within minutes.
use dynalith_storage::{ControlFlow, Engine, MemoryEngine, RocksEngine, RocksOptions};
use std::time::{Duration, Instant};

/// The prefix length the server uses (`dynalith_core::keys::PARTITION_PREFIX_LEN`).
const PARTITION_PREFIX_LEN: usize = 13;
const READS_PER_ROUND: u32 = 1_000_000;

/// Item `n`'s key: space tag, table id, hash of the partition, partition, sort key.
fn key(n: u64) -> Vec<u8> {
    let part = n / 10;
    let mut key = vec![2u8, 0, 0, 0, 7];
    key.extend_from_slice(&part.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    key.extend_from_slice(format!("part#{part}").as_bytes());
    key.extend_from_slice(format!("{:04}", n % 10).as_bytes());
    key
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let items: u64 = args
        .get(1)
        .map_or(1_000_000, |a| a.parse().expect("N: a number of items"));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let engine: Box<dyn Engine> = match args.get(2).map(String::as_str) {
        Some("tree") => Box::new(MemoryEngine::default()),
        mode => {
            let options = if mode == Some("disk") {
                RocksOptions::durable(dir.path())
            } else {
                RocksOptions::in_memory()
            };
            let options = options.with_range_prefix_len(PARTITION_PREFIX_LEN);
            Box::new(RocksEngine::open(&options).expect("open"))
        }
    };
    let value: Vec<u8> = (0..200u32).map(|i| b'a' + (i % 7) as u8).collect();
    let started = Instant::now();
    for first in (0..items).step_by(25) {
        let mut txn = engine.begin();
        for n in first..(first + 25).min(items) {
            txn.put(&key(n), &value).expect("put");
        }
        txn.commit().expect("commit");
    }
    eprintln!("loaded {items} items in {:.2?}", started.elapsed());
    let settle = std::env::var("SETTLE").map_or(5, |s| s.parse().expect("SETTLE: seconds"));
    std::thread::sleep(Duration::from_secs(settle));

    let ranges = std::env::var("RANGES").is_ok();
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut random_item = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % items
    };
    let mut best = f64::MAX;
    for round in 0..8 {
        let started = Instant::now();
        let mut found = 0u64;
        for _ in 0..READS_PER_ROUND {
            if ranges {
                let first = key(random_item() / 10 * 10);
                let start = &first[..first.len() - 4];
                let mut end = start.to_vec();
                end.push(0xff);
                let view = engine.snapshot();
                view.visit_range(start, &end, false, &mut |_, _| {
                    found += 1;
                    ControlFlow::Continue(())
                })
                .expect("range read");
            } else {
                found += engine.get(&key(random_item())).expect("get").is_some() as u64;
            }
        }
        let ns = started.elapsed().as_nanos() as f64 / f64::from(READS_PER_ROUND);
        eprintln!("round {round}: {ns:.0} ns/read ({found} items found)");
        if round >= 3 {
            best = best.min(ns);
        }
    }
    println!("best of rounds 3-7: {best:.0} ns/read");
}
