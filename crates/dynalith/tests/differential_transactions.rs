//! Differential test of TransactWriteItems: the same generated
//! transactions (Put, Update, Delete and ConditionCheck with conditions
//! that hold or fail, ReturnValuesOnConditionCheckFailure) go to dynalith
//! and to a reference server (DynamoDB Local), on a table with a global
//! secondary index, and the answers and the data must agree.
//!
//! ```sh
//! scripts/dynamodb-local.sh start 8780
//! DYNALITH_DIFF_ENDPOINT=http://127.0.0.1:8780 \
//!   cargo test -p dynalith --test differential_transactions -- --nocapture
//! ```
//!
//! `DYNALITH_DIFF_SEED` picks another workload. Without
//! `DYNALITH_DIFF_ENDPOINT` the test prints a note and passes.
//!
//! Compared per transaction: success, or the error with its
//! CancellationReasons (codes, items returned on a failed condition); then
//! the table's items, the index's entries and ItemCount. Not generated,
//! because DynamoDB Local is not the reference there: two actions on one
//! item (DynamoDB refuses the request; DynamoDB Local evaluates the
//! conditions first and may cancel instead), and an update that leaves an
//! invalid index key (DynamoDB cancels with a ValidationError reason, as
//! dynalith does; DynamoDB Local refuses the whole request). The reason's
//! message is compared without DynamoDB Local's trailing full stop.

mod common;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const KEYS: [&str; 6] = ["k0", "k1", "k2", "k3", "k4", "k5"];

fn call(address: &str, operation: &str, body: &Value) -> (u16, Value) {
    let response = common::call(address, operation, &body.to_string());
    (response.status, response.json())
}

/// The parts of an answer both servers must agree on.
fn outcome(status: u16, mut body: Value) -> Value {
    if status == 200 {
        return json!("ok");
    }
    let message = body
        .get("message")
        .or(body.get("Message"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Some(reasons) = body["CancellationReasons"].as_array_mut() {
        for reason in reasons.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(Value::String(text)) = reason.get_mut("Message") {
                *text = text.trim_end_matches('.').to_string();
            }
        }
    }
    json!({
        "status": status,
        "type": body["__type"],
        "message": message,
        "reasons": body["CancellationReasons"],
    })
}

fn random_condition(rng: &mut StdRng, action: &mut Value, required: bool) {
    let conditions = [
        "attribute_exists(pk)",
        "attribute_not_exists(pk)",
        "n = :n",
        "n < :n",
        "attribute_exists(g)",
        "size(s) > :n",
        "NOT contains(s, :s)",
    ];
    if !required && rng.random_bool(0.3) {
        return;
    }
    let condition = *conditions.choose(rng).unwrap_or(&conditions[0]);
    action["ConditionExpression"] = json!(condition);
    if condition.contains(":n") {
        action["ExpressionAttributeValues"][":n"] =
            json!({"N": rng.random_range(0..5).to_string()});
    }
    if condition.contains(":s") {
        let text = *["a", "b", "ab"].choose(rng).unwrap_or(&"a");
        action["ExpressionAttributeValues"][":s"] = json!({ "S": text });
    }
    if rng.random_bool(0.5) {
        let what = if rng.random_bool(0.5) {
            "ALL_OLD"
        } else {
            "NONE"
        };
        action["ReturnValuesOnConditionCheckFailure"] = json!(what);
    }
}

fn random_action(rng: &mut StdRng, table: &str, key: &str) -> Value {
    let kind = *["Put", "Update", "Delete", "ConditionCheck"]
        .choose(rng)
        .unwrap_or(&"Put");
    let mut action = json!({"TableName": table});
    match kind {
        "Put" => {
            let mut item =
                json!({"pk": {"S": key}, "n": {"N": rng.random_range(0..5).to_string()}});
            if rng.random_bool(0.6) {
                let g = *["x", "y"].choose(rng).unwrap_or(&"x");
                item["g"] = json!({ "S": g });
            }
            if rng.random_bool(0.6) {
                let s = *["a", "ab", "abc", ""].choose(rng).unwrap_or(&"a");
                item["s"] = json!({ "S": s });
            }
            action["Item"] = item;
        }
        _ => action["Key"] = json!({"pk": {"S": key}}),
    }
    if kind == "Update" {
        let (update, values) = [
            (
                "SET n = if_not_exists(n, :zero) + :one",
                json!({":zero": {"N": "0"}, ":one": {"N": "1"}}),
            ),
            ("SET g = :g", json!({":g": {"S": "y"}})),
            ("REMOVE g", json!({})),
            ("SET s = :text", json!({":text": {"S": "ab"}})),
            ("ADD n :one", json!({":one": {"N": "1"}})),
        ]
        .choose(rng)
        .cloned()
        .unwrap_or_else(|| ("REMOVE g", json!({})));
        action["UpdateExpression"] = json!(update);
        if values.as_object().is_some_and(|v| !v.is_empty()) {
            action["ExpressionAttributeValues"] = values;
        }
    }
    random_condition(rng, &mut action, kind == "ConditionCheck");
    json!({ kind: action })
}

fn state(address: &str, table: &str) -> (BTreeSet<String>, BTreeSet<String>, Value) {
    let items = |request: Value| -> BTreeSet<String> {
        let (status, body) = call(address, "Scan", &request);
        assert_eq!(status, 200, "{body}");
        body["Items"]
            .as_array()
            .map(|items| items.iter().map(Value::to_string).collect())
            .unwrap_or_default()
    };
    let (status, described) = call(address, "DescribeTable", &json!({"TableName": table}));
    assert_eq!(status, 200, "{described}");
    (
        items(json!({"TableName": table, "ConsistentRead": true})),
        items(json!({"TableName": table, "IndexName": "by_g"})),
        described["Table"]["ItemCount"].clone(),
    )
}

#[test]
fn transactions_match_the_reference_server() {
    let Some(common::Differential {
        server: _server,
        ours,
        theirs,
        seed,
    }) = common::differential("transaction", None)
    else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let table = common::unique_table("diff_tx");
    let create = json!({
        "TableName": table, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "g", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "by_g",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}],
    });
    for address in [&ours, &theirs] {
        let (status, body) = call(address, "CreateTable", &create);
        assert_eq!(status, 200, "{address}: {body}");
    }

    let (mut committed, mut cancelled) = (0, 0);
    for step in 0..300 {
        let count = rng.random_range(1..5);
        let keys: Vec<&str> = KEYS.choose_multiple(&mut rng, count).copied().collect();
        let actions: Vec<Value> = keys
            .iter()
            .map(|key| random_action(&mut rng, &table, key))
            .collect();
        let request = json!({ "TransactItems": actions });
        let (m, mine) = call(&ours, "TransactWriteItems", &request);
        let (r, reference) = call(&theirs, "TransactWriteItems", &request);
        let (mine, reference) = (outcome(m, mine), outcome(r, reference));
        assert_eq!(mine, reference, "step {step}: {request}");
        assert_eq!(
            state(&ours, &table),
            state(&theirs, &table),
            "state after step {step}: {request}"
        );
        if mine == json!("ok") {
            committed += 1;
        } else {
            cancelled += 1;
        }
    }
    eprintln!(
        "differential: seed {seed}: {committed} transactions committed and {cancelled} refused alike"
    );
    for address in [&ours, &theirs] {
        call(address, "DeleteTable", &json!({"TableName": table}));
    }
}
