//! Any request body sent to any data-plane operation is answered with a
//! response or one of DynamoDB's client errors: never a panic, never an
//! InternalServerError.
//!
//! Input: the first byte picks the operation, the rest is its JSON body.
//! The requests run against one in-memory database that holds two tables
//! (see `fixture`), so that bodies naming them reach past table lookup into
//! key validation, expressions, conditions and writes. Operations that
//! create or drop tables are left out: a dropped fixture would turn every
//! later input into ResourceNotFoundException and make findings depend on
//! the inputs that ran before them.
#![no_main]

#[path = "fixture.rs"]
mod fixture;

use dynalith_core::{Operation, RequestContext};
use dynalith_model::ErrorKind;
use libfuzzer_sys::fuzz_target;

/// After the item operations: the two reads of the control plane.
const MORE_OPERATIONS: &[&str] = &["DescribeTable", "ListTables"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let name = fixture::pick(selector, MORE_OPERATIONS);
    let operation = Operation::from_name(name).expect("listed operations exist");
    let db = fixture::database(fixture::INDEXED_TABLES);
    if let Err(error) = db.execute(operation, body, &RequestContext::default()) {
        assert_ne!(
            error.kind,
            ErrorKind::InternalServerError,
            "{name} {:?}: {error:?}",
            String::from_utf8_lossy(body)
        );
    }
});
