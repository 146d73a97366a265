//! What the fuzz targets that run against long-lived databases share:
//! in-memory databases holding a fixture, the fixture of indexed tables,
//! and the operations on items their selector bytes pick from.
// Each target includes this file and uses only some of it.
#![allow(dead_code)]

use dynalith_core::{Database, Operation, RequestContext, Settings};
use dynalith_storage::{Engine, MemoryEngine};
use std::sync::{Arc, OnceLock};

/// The operations on items, in the order selector bytes pick them (seeds
/// depend on it: only ever append).
pub const ITEM_OPERATIONS: &[&str] = &[
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
];

/// The operation `selector` picks from ITEM_OPERATIONS followed by `more`.
pub fn pick(selector: u8, more: &[&'static str]) -> &'static str {
    let i = selector as usize % (ITEM_OPERATIONS.len() + more.len());
    ITEM_OPERATIONS.get(i).unwrap_or_else(|| &more[i - ITEM_OPERATIONS.len()])
}

/// A new in-memory database with `settings`, after running `fixture`
/// (pairs of operation name and JSON body) against it.
pub fn open(fixture: &[(&str, &str)], settings: Settings) -> Arc<Database> {
    let engine: Arc<dyn Engine> = Arc::new(MemoryEngine::default());
    let db = Database::open_with(engine, settings).expect("database opens");
    for (name, body) in fixture {
        let operation = Operation::from_name(name).expect("fixture operation exists");
        db.execute(operation, body.as_bytes(), &RequestContext::default())
            .unwrap_or_else(|e| panic!("fixture {name} failed: {e:?}"));
    }
    db
}

/// The process's database, made on first use with `fixture`.
pub fn database(fixture: &[(&str, &str)]) -> &'static Arc<Database> {
    static DATABASE: OnceLock<Arc<Database>> = OnceLock::new();
    DATABASE.get_or_init(|| open(fixture, Settings::default()))
}



/// `tab`: hash key `pk` (S). `comp`: hash key `pk` (S), range key `sk` (N), a
/// global index `gsi` on `gk` (S) and a local index `lsi` on `lk` (B).
pub const INDEXED_TABLES: &[(&str, &str)] = &[
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
                {"AttributeName":"gk","AttributeType":"S"},
                {"AttributeName":"lk","AttributeType":"B"}],
            "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
            "GlobalSecondaryIndexes":[{"IndexName":"gsi",
                "KeySchema":[{"AttributeName":"gk","KeyType":"HASH"}],
                "Projection":{"ProjectionType":"ALL"}}],
            "LocalSecondaryIndexes":[{"IndexName":"lsi",
                "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"lk","KeyType":"RANGE"}],
                "Projection":{"ProjectionType":"KEYS_ONLY"}}]}"#,
    ),
    (
        "PutItem",
        r#"{"TableName":"tab","Item":{"pk":{"S":"a"},"n":{"N":"1"},"l":{"L":[{"S":"x"},{"M":{"m":{"NS":["1","2"]}}}]},
            "s":{"SS":["p","q"]},"b":{"B":"AAE="},"z":{"NULL":true},"o":{"BOOL":false}}}"#,
    ),
    (
        "PutItem",
        r#"{"TableName":"comp","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"gk":{"S":"g1"},"lk":{"B":"AQ=="},"v":{"N":"-1.5e3"}}}"#,
    ),
    (
        "PutItem",
        r#"{"TableName":"comp","Item":{"pk":{"S":"a"},"sk":{"N":"2"},"gk":{"S":"g1"},"m":{"M":{"k":{"S":"v"}}}}}"#,
    ),
];
