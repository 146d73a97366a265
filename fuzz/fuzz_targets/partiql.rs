//! Any text sent as a PartiQL statement (to ExecuteStatement, or inside
//! BatchExecuteStatement and ExecuteTransaction) is answered with a
//! response or one of DynamoDB's client errors: never a panic, a stack
//! overflow or an InternalServerError.
//!
//! Input: the first byte picks the operation and how many `?` parameters
//! go with the statement; the rest is the statement's text. The statements
//! run against one in-memory database holding the table `tbl` (hash key `PK`
//! S, range key `SK` N, a global index `byg` on `G`) with a few items, so
//! that statements naming it reach planning and execution.
#![no_main]

#[path = "fixture.rs"]
mod fixture;

use dynalith_core::{Operation, RequestContext};
use dynalith_model::ErrorKind;
use libfuzzer_sys::fuzz_target;
use serde_json::json;

const FIXTURE: &[(&str, &str)] = &[
    (
        "CreateTable",
        r#"{"TableName":"tbl","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"PK","AttributeType":"S"},
                {"AttributeName":"SK","AttributeType":"N"},{"AttributeName":"G","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"PK","KeyType":"HASH"},{"AttributeName":"SK","KeyType":"RANGE"}],
            "GlobalSecondaryIndexes":[{"IndexName":"byg",
                "KeySchema":[{"AttributeName":"G","KeyType":"HASH"}],
                "Projection":{"ProjectionType":"ALL"}}]}"#,
    ),
    (
        "PutItem",
        r#"{"TableName":"tbl","Item":{"PK":{"S":"a"},"SK":{"N":"1"},"G":{"S":"x"},"n":{"N":"5"},
            "l":{"L":[{"S":"x"},{"M":{"m":{"NS":["1","2"]}}}]},"s":{"SS":["p","q"]}}}"#,
    ),
    (
        "PutItem",
        r#"{"TableName":"tbl","Item":{"PK":{"S":"a"},"SK":{"N":"2"},"m":{"M":{"k":{"S":"v"}}}}}"#,
    ),
];

/// Parameters a statement may take (the first `n` are sent).
const PARAMETERS: &str = r#"[{"S":"a"},{"N":"1"},{"S":"x"},{"M":{"k":{"N":"2"}}},{"L":[{"BOOL":true}]}]"#;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let parameters: Vec<serde_json::Value> = serde_json::from_str(PARAMETERS).expect("valid");
    let count = usize::from(selector >> 2) % (parameters.len() + 1);
    let mut statement = json!({"Statement": text});
    if count > 0 {
        statement["Parameters"] = json!(parameters[..count]);
    }
    let (name, body) = match selector % 3 {
        0 => ("ExecuteStatement", statement),
        1 => ("BatchExecuteStatement", json!({"Statements": [statement]})),
        _ => ("ExecuteTransaction", json!({"TransactStatements": [statement]})),
    };
    let operation = Operation::from_name(name).expect("PartiQL operations exist");
    let body = body.to_string();
    if let Err(error) = fixture::database(FIXTURE).execute(operation, body.as_bytes(), &RequestContext::default()) {
        assert_ne!(
            error.kind,
            ErrorKind::InternalServerError,
            "{name} {text:?}: {error:?}"
        );
    }
});
