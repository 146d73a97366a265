//! What the fuzz targets that run against one long-lived database share:
//! an in-memory database holding a fixture, built once per process.

use dynalith_core::{Database, Operation, RequestContext};
use dynalith_storage::{Engine, RocksEngine, RocksOptions};
use std::sync::{Arc, OnceLock};

/// The process's database, made on first use by running `fixture` (pairs
/// of operation name and JSON body) against a new in-memory engine.
pub fn database(fixture: &[(&str, &str)]) -> &'static Arc<Database> {
    static DATABASE: OnceLock<Arc<Database>> = OnceLock::new();
    DATABASE.get_or_init(|| {
        let engine: Arc<dyn Engine> = Arc::new(
            RocksEngine::open(&RocksOptions::in_memory()).expect("in-memory engine opens"),
        );
        let db = Database::open(engine).expect("database opens");
        for (name, body) in fixture {
            let operation = Operation::from_name(name).expect("fixture operation exists");
            db.execute(operation, body.as_bytes(), &RequestContext::default())
                .unwrap_or_else(|e| panic!("fixture {name} failed: {e:?}"));
        }
        db
    })
}
