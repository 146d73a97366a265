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
    "DescribeTable",
    "ListTables",
];

/// `tab`: hash key `pk` (S). `comp`: hash key `pk` (S), range key `sk` (N), a
/// global index `gsi` on `gk` (S) and a local index `lsi` on `lk` (B).
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

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let name = OPERATIONS[selector as usize % OPERATIONS.len()];
    let operation = Operation::from_name(name).expect("listed operations exist");
    if let Err(error) = fixture::database(FIXTURE).execute(operation, body, &RequestContext::default()) {
        assert_ne!(
            error.kind,
            ErrorKind::InternalServerError,
            "{name} {:?}: {error:?}",
            String::from_utf8_lossy(body)
        );
    }
});
