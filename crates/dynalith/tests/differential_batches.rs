//! Differential test of BatchWriteItem and BatchGetItem: the same generated
//! batches go to dynalith and to a reference server (DynamoDB Local), on a
//! table with a global and a local secondary index, and after every batch
//! the two must hold the same items, index entries and counts.
//!
//! ```sh
//! scripts/dynamodb-local.sh start 8780
//! DYNALITH_DIFF_ENDPOINT=http://127.0.0.1:8780 \
//!   cargo test -p dynalith --test differential_batches -- --nocapture
//! ```
//!
//! `DYNALITH_DIFF_SEED` picks another workload. Without
//! `DYNALITH_DIFF_ENDPOINT` the test prints a note and passes.
//!
//! Compared after each BatchWriteItem: its response (UnprocessedItems,
//! ConsumedCapacity with its per-index units), the table's items (a
//! consistent Scan), each index's entries (a Scan of the index), ItemCount
//! and TableSizeBytes of the table and ItemCount of each index. After each
//! BatchGetItem: the items returned (as a set per table: DynamoDB returns
//! them in no particular order), UnprocessedKeys and ConsumedCapacity.
//! Set members and map keys are compared in any order. Not compared:
//! IndexSizeBytes (DynamoDB documents no formula; DynamoDB Local's differs
//! from the item-size rules), and what DynamoDB Local is known to get
//! wrong: it charges 2 write units for deleting a missing item in a batch
//! and none for reading a missing one, where DynamoDB charges 1 and 0.5
//! (awslabs/amazon-dynamodb-local-samples#7, checked against DynamoDB by
//! its reporter), so ConsumedCapacity is compared only for batches without
//! deletes and for reads of items that exist.

mod common;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const PARTITIONS: [&str; 3] = ["a", "b", "c"];
const SORT_KEYS: i64 = 6;

fn call(address: &str, operation: &str, body: &Value) -> Value {
    let response = common::call(address, operation, &body.to_string());
    let value = response.json();
    assert_eq!(response.status, 200, "{operation} on {address}: {value}");
    value
}

fn random_key(rng: &mut StdRng) -> Value {
    json!({
        "pk": {"S": PARTITIONS[rng.random_range(0..PARTITIONS.len())]},
        "sk": {"N": rng.random_range(0..SORT_KEYS).to_string()},
    })
}

/// An item with, at random, the global index's key (`g`), the local
/// index's sort key (`l`), a projected attribute (`v`) and a number set.
fn random_item(rng: &mut StdRng) -> Value {
    let mut item = random_key(rng);
    if rng.random_bool(0.6) {
        let g = ["x", "y"][rng.random_range(0..2)];
        item["g"] = json!({ "S": g });
    }
    if rng.random_bool(0.5) {
        item["l"] = json!({"N": rng.random_range(0..4).to_string()});
    }
    if rng.random_bool(0.7) {
        item["v"] = json!({"S": "v".repeat(rng.random_range(1..1500))});
    }
    if rng.random_bool(0.3) {
        let mut members: Vec<i64> = (0..10).collect();
        members.shuffle(rng);
        let set: Vec<String> = members[..3].iter().map(i64::to_string).collect();
        item["w"] = json!({"NS": set});
    }
    item
}

/// Up to 25 puts and deletes, each key at most once (DynamoDB refuses a
/// batch that names a key twice).
fn random_batch(rng: &mut StdRng) -> (Vec<Value>, bool) {
    let mut seen = BTreeSet::new();
    let mut requests = Vec::new();
    let mut deletes = false;
    for _ in 0..rng.random_range(1..26) {
        let (request, key) = if rng.random_bool(0.65) {
            let item = random_item(rng);
            let key = (item["pk"].clone(), item["sk"].clone());
            (json!({"PutRequest": {"Item": item}}), key)
        } else {
            let key = random_key(rng);
            let pair = (key["pk"].clone(), key["sk"].clone());
            (json!({"DeleteRequest": {"Key": key}}), pair)
        };
        if seen.insert(key.0.to_string() + &key.1.to_string()) {
            deletes |= request.get("DeleteRequest").is_some();
            requests.push(request);
        }
    }
    (requests, deletes)
}

/// What the two servers must agree on after a write.
fn state(address: &str, table: &str) -> Vec<String> {
    let scan = |index: Option<&str>| {
        let mut request = json!({"TableName": table, "ConsistentRead": index.is_none()});
        if let Some(index) = index {
            request["IndexName"] = json!(index);
        }
        format!(
            "{:?}",
            common::wire_item_set(&call(address, "Scan", &request)["Items"])
        )
    };
    let described = call(address, "DescribeTable", &json!({"TableName": table}));
    let t = &described["Table"];
    let mut indexes: Vec<String> = ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"]
        .iter()
        .flat_map(|kind| t[kind].as_array().cloned().unwrap_or_default())
        .map(|i| format!("{} {}", i["IndexName"], i["ItemCount"]))
        .collect();
    indexes.sort();
    vec![
        scan(None),
        scan(Some("by_g")),
        scan(Some("by_l")),
        format!(
            "ItemCount {} TableSizeBytes {}",
            t["ItemCount"], t["TableSizeBytes"]
        ),
        format!("index ItemCounts {indexes:?}"),
    ]
}

#[test]
fn batches_match_the_reference_server() {
    let Some(common::Differential {
        server: _server,
        ours,
        theirs,
        seed,
    }) = common::differential("batch", None)
    else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let table = common::unique_table("diff_batch");
    let create = json!({
        "TableName": table, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "N"},
                                 {"AttributeName": "g", "AttributeType": "S"},
                                 {"AttributeName": "l", "AttributeType": "N"}],
        "GlobalSecondaryIndexes": [{"IndexName": "by_g",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]}}],
        "LocalSecondaryIndexes": [{"IndexName": "by_l",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    });
    for address in [&ours, &theirs] {
        call(address, "CreateTable", &create);
    }

    let (mut writes, mut reads) = (0, 0);
    for step in 0..150 {
        let (requests, deletes) = random_batch(&mut rng);
        let capacity = if deletes {
            "NONE"
        } else {
            ["TOTAL", "INDEXES", "NONE"][rng.random_range(0..3)]
        };
        let write = json!({"RequestItems": {&table: requests}, "ReturnConsumedCapacity": capacity});
        let (mine, reference) = (
            call(&ours, "BatchWriteItem", &write),
            call(&theirs, "BatchWriteItem", &write),
        );
        assert_eq!(mine, reference, "step {step}: {write}");
        assert_eq!(
            state(&ours, &table),
            state(&theirs, &table),
            "state after step {step}: {write}"
        );
        writes += 1;

        // Read back some keys; capacity only when every one exists.
        let mut keys: Vec<Value> = (0..rng.random_range(1..12))
            .map(|_| random_key(&mut rng))
            .collect();
        keys.sort_by_key(Value::to_string);
        keys.dedup();
        let mut get = json!({"RequestItems": {&table: {"Keys": keys}}});
        if rng.random_bool(0.3) {
            get["RequestItems"][&table]["ProjectionExpression"] = json!("pk, sk, g, w");
        }
        if rng.random_bool(0.3) {
            get["RequestItems"][&table]["ConsistentRead"] = json!(true);
        }
        let (mut mine, mut reference) = (
            call(&ours, "BatchGetItem", &get),
            call(&theirs, "BatchGetItem", &get),
        );
        let found = |response: &Value| common::wire_item_set(&response["Responses"][&table]);
        assert_eq!(found(&mine), found(&reference), "step {step}: {get}");
        assert_eq!(
            mine["UnprocessedKeys"], reference["UnprocessedKeys"],
            "step {step}: {get}"
        );
        let asked = get["RequestItems"][&table]["Keys"]
            .as_array()
            .map_or(0, Vec::len);
        if found(&reference).len() == asked {
            get["ReturnConsumedCapacity"] = json!("TOTAL");
            mine = call(&ours, "BatchGetItem", &get);
            reference = call(&theirs, "BatchGetItem", &get);
            assert_eq!(
                mine["ConsumedCapacity"], reference["ConsumedCapacity"],
                "step {step}: {get}"
            );
        }
        reads += 1;
    }
    eprintln!("differential: seed {seed}: {writes} batch writes and {reads} batch reads agreed");
    for address in [&ours, &theirs] {
        call(address, "DeleteTable", &json!({"TableName": table}));
    }
}
