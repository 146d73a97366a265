//! What the core's unit tests that drive whole operations share.

use crate::{Database, Operation, RequestContext};
use dynalith_storage::{Engine, MemoryEngine, RocksEngine, RocksOptions};
use std::sync::Arc;

/// A durable database in `dir`; opening it again reads what it kept.
pub fn open_durable(dir: &std::path::Path) -> Arc<Database> {
    let engine: Arc<dyn Engine> =
        Arc::new(RocksEngine::open(&RocksOptions::durable(dir)).expect("engine opens"));
    Database::open(engine).expect("database opens")
}

/// An in-memory database whose S3 stand-in is `s3_dir`.
pub fn open_with_s3(s3_dir: &std::path::Path) -> Arc<Database> {
    let engine: Arc<dyn Engine> = Arc::new(MemoryEngine::default());
    let settings = crate::Settings {
        s3_dir: Some(s3_dir.to_path_buf()),
        ..Default::default()
    };
    Database::open_with(engine, settings).expect("database opens")
}

/// Turns on point-in-time recovery for table `name`.
pub fn enable_recovery(db: &Database, name: &str) {
    run(
        db,
        Operation::UpdateContinuousBackups,
        &format!(
            r#"{{"TableName":"{name}","PointInTimeRecoverySpecification":{{"PointInTimeRecoveryEnabled":true}}}}"#
        ),
    );
}

/// Runs an operation that must succeed; its response as JSON.
pub fn run(db: &Database, operation: Operation, body: &str) -> serde_json::Value {
    let response = db
        .execute(operation, body.as_bytes(), &RequestContext::default())
        .unwrap_or_else(|e| panic!("{} failed: {e:?}", operation.name()));
    serde_json::from_slice(&response).expect("JSON response")
}

/// Creates an on-demand table keyed by a string `pk`.
pub fn create_table(db: &Database, name: &str) {
    run(
        db,
        Operation::CreateTable,
        &format!(
            r#"{{"TableName":"{name}","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}}],
               "AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}}],
               "BillingMode":"PAY_PER_REQUEST"}}"#
        ),
    );
}

/// An in-memory database with both read caches on.
pub fn open_cached() -> Arc<Database> {
    let engine: Arc<dyn Engine> = Arc::new(MemoryEngine::default());
    let settings = crate::Settings {
        read_cache: crate::read_cache::ReadCacheOptions {
            item_bytes: 1 << 20,
            query_bytes: 1 << 20,
        },
        ..Default::default()
    };
    Database::open_with(engine, settings).expect("database opens")
}
