//! The read caches never change an answer: every request runs against two
//! databases built alike, one with the item and query caches on (small,
//! so that entries are evicted too) and one without, and the answers must
//! be the same bytes, or the same error.
//!
//! Input: requests separated by NUL bytes, each a byte that picks the
//! operation followed by its JSON body. The databases live as long as the
//! process, so reads meet entries cached by earlier inputs' reads and
//! invalidated (or not) by their writes. Operations whose answers name
//! creation times (DescribeTable) are left out: the two databases were
//! made at different instants.
#![no_main]

use dynalith_core::read_cache::ReadCacheOptions;
use dynalith_core::{Database, Operation, RequestContext, Settings};
use dynalith_storage::{Engine, RocksEngine, RocksOptions};
use libfuzzer_sys::fuzz_target;
use std::sync::{Arc, OnceLock};

const OPERATIONS: &[&str] = &[
    "PutItem",
    "GetItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
    "ExecuteStatement",
    "BatchExecuteStatement",
];

/// `tab`: hash key `pk` (S). `comp`: hash key `pk` (S), range key `sk` (N)
/// and a global index `gsi` on `gk` (S).
const FIXTURE: &[(&str, &str)] = &[
    (
        "CreateTable",
        r#"{"TableName":"tab","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]}"#,
    ),
    (
        "CreateTable",
        r#"{"TableName":"comp","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
                {"AttributeName":"sk","AttributeType":"N"},
                {"AttributeName":"gk","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
            "GlobalSecondaryIndexes":[{"IndexName":"gsi",
                "KeySchema":[{"AttributeName":"gk","KeyType":"HASH"}],
                "Projection":{"ProjectionType":"ALL"}}]}"#,
    ),
];

fn database(cache: ReadCacheOptions) -> Arc<Database> {
    let engine: Arc<dyn Engine> =
        Arc::new(RocksEngine::open(&RocksOptions::in_memory()).expect("in-memory engine opens"));
    let settings = Settings {
        read_cache: cache,
        ..Default::default()
    };
    let db = Database::open_with(engine, settings).expect("database opens");
    for (name, body) in FIXTURE {
        let operation = Operation::from_name(name).expect("fixture operation exists");
        db.execute(operation, body.as_bytes(), &RequestContext::default())
            .unwrap_or_else(|e| panic!("fixture {name} failed: {e:?}"));
    }
    db
}

/// (without caches, with them)
fn databases() -> &'static (Arc<Database>, Arc<Database>) {
    static DATABASES: OnceLock<(Arc<Database>, Arc<Database>)> = OnceLock::new();
    DATABASES.get_or_init(|| {
        let cached = ReadCacheOptions {
            item_bytes: 64 << 10,
            query_bytes: 256 << 10,
        };
        (database(ReadCacheOptions::default()), database(cached))
    })
}

fuzz_target!(|data: &[u8]| {
    let (plain, cached) = databases();
    for request in data.split(|&b| b == 0) {
        let Some((&selector, body)) = request.split_first() else {
            continue;
        };
        let name = OPERATIONS[selector as usize % OPERATIONS.len()];
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
