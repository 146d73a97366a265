//! Any sequence of requests, control plane included, is answered with
//! responses or DynamoDB's client errors: never a panic, never an
//! InternalServerError. Where `data_plane` fuzzes single requests against
//! fixed tables, this one creates, changes and drops the tables itself, so
//! that key schemas, index definitions, UpdateTable's index changes (and
//! their backfills) and DeleteTable meet the writes and reads in between.
//!
//! Input: steps separated by the byte 0xFF, which UTF-8 never contains, so
//! no valid body is cut. In each step the first byte picks the operation
//! (its low seven bits, an index into `Operation::ALL`) and the Region the
//! request is signed for (its high bit: a second Region, so that global
//! tables' replicas meet requests in either), the rest is its JSON body.
//! Every input runs against a new in-memory database, so a finding
//! reproduces from its input alone.
#![no_main]

use dynalith_core::{Database, Operation, RequestContext};
use dynalith_model::ErrorKind;
use dynalith_storage::{Engine, MemoryEngine};
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;

/// Enough for a table, an index change and a few items around them; more
/// steps only slow the fuzzer down.
const MAX_STEPS: usize = 12;

fuzz_target!(|data: &[u8]| {
    let engine: Arc<dyn Engine> = Arc::new(MemoryEngine::default());
    let db: Arc<Database> = Database::open(engine).expect("database opens");
    for step in data.split(|&b| b == 0xFF).take(MAX_STEPS) {
        let Some((&selector, body)) = step.split_first() else {
            continue;
        };
        let operation = Operation::ALL[(selector & 0x7F) as usize % Operation::ALL.len()];
        let context = RequestContext {
            region: if selector & 0x80 == 0 { "us-east-1" } else { "eu-west-1" }.to_string(),
            host: None,
        };
        if let Err(error) = db.execute(operation, body, &context) {
            assert_ne!(
                error.kind,
                ErrorKind::InternalServerError,
                "{} {:?}: {error:?}",
                operation.name(),
                String::from_utf8_lossy(body)
            );
        }
    }
});
