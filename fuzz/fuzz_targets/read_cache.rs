//! The read caches never change an answer: every request runs against two
//! databases built alike, one with the item and query caches on (small,
//! so that entries are evicted too) and one without, and the answers must
//! be the same bytes, or the same error.
//!
//! Input: requests separated by NUL bytes, each a byte that picks the
//! operation followed by its JSON body. The databases live as long as the
//! process, so reads meet entries cached by earlier inputs' reads and
//! invalidated (or not) by their writes. Both hold
//! `fixture::INDEXED_TABLES`. Operations whose answers name creation times
//! (DescribeTable) are left out: the two databases were made at different
//! instants.
#![no_main]

#[path = "fixture.rs"]
mod fixture;

use dynalith_core::read_cache::ReadCacheOptions;
use dynalith_core::{Database, Operation, RequestContext, Settings};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

/// After the item operations: PartiQL, which reads and writes items too.
const MORE_OPERATIONS: &[&str] = &["ExecuteStatement", "BatchExecuteStatement"];

/// (without caches, with them)
fn databases() -> &'static (Arc<Database>, Arc<Database>) {
    static DATABASES: OnceLock<(Arc<Database>, Arc<Database>)> = OnceLock::new();
    DATABASES.get_or_init(|| {
        let cached = ReadCacheOptions {
            item_bytes: 64 << 10,
            query_bytes: 256 << 10,
        };
        let with = |read_cache| Settings {
            read_cache,
            ..Default::default()
        };
        (
            fixture::open(fixture::INDEXED_TABLES, with(ReadCacheOptions::default())),
            fixture::open(fixture::INDEXED_TABLES, with(cached)),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let (plain, cached) = databases();
    for request in data.split(|&b| b == 0) {
        let Some((&selector, body)) = request.split_first() else {
            continue;
        };
        let name = fixture::pick(selector, MORE_OPERATIONS);
        let operation = Operation::from_name(name).expect("listed operations exist");
        let context = RequestContext::default();
        let expected = plain.execute(operation, body, &context);
        let got = cached.execute(operation, body, &context);
        let same = match (&expected, &got) {
            (Ok(a), Ok(b)) => a == b,
            (Err(a), Err(b)) => a.kind == b.kind && a.message == b.message,
            _ => false,
        };
        assert!(
            same,
            "{name} {:?}:\n without caches: {:?}\n with caches:    {:?}",
            String::from_utf8_lossy(body),
            expected.map(|b| String::from_utf8_lossy(&b).into_owned()),
            got.map(|b| String::from_utf8_lossy(&b).into_owned()),
        );
    }
});
