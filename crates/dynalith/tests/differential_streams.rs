//! Differential test of DynamoDB Streams: the same generated writes go to
//! dynalith and to a reference server (DynamoDB Local) on tables with a
//! stream of each view type, and the two streams must then hold the same
//! records.
//!
//! ```sh
//! scripts/dynamodb-local.sh start 8780
//! DYNALITH_DIFF_ENDPOINT=http://127.0.0.1:8780 \
//!   cargo test -p dynalith --test differential_streams -- --nocapture
//! ```
//!
//! `DYNALITH_DIFF_SEED` picks another workload, `DYNALITH_DIFF_COUNT` sets
//! the writes per table (default 300). Without `DYNALITH_DIFF_ENDPOINT` the
//! test prints a note and passes.
//!
//! Writes: PutItem, UpdateItem (SET, REMOVE, ADD, conditions that hold or
//! fail), DeleteItem (of items there or not), BatchWriteItem and
//! TransactWriteItems, some of them leaving the item as it was (which
//! DynamoDB does not record). Compared: each item's records in order
//! (DynamoDB orders records per item only; a batch's or transaction's
//! items may come in any order), with eventName, Keys, NewImage, OldImage,
//! StreamViewType, SizeBytes and eventSource/eventVersion; and the total
//! count. Not compared: sequence numbers, eventIDs, ARNs and times, which
//! each server makes its own, and awsRegion (DynamoDB Local says
//! `ddblocal`).

mod common;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeMap;

const PARTITIONS: [&str; 3] = ["a", "b", "c"];
const SORT_KEYS: i64 = 5;
const VIEW_TYPES: [&str; 4] = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];

fn call(address: &str, operation: &str, body: &Value) -> common::RawResponse {
    common::call(address, operation, &body.to_string())
}

fn streams_call(address: &str, operation: &str, body: &Value) -> Value {
    let response = common::call_streams(address, operation, &body.to_string());
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

/// A number as clients write it: sometimes with zeros DynamoDB drops.
fn random_number(rng: &mut StdRng) -> String {
    match rng.random_range(0..4) {
        0 => format!("{}.50", rng.random_range(0..10)),
        1 => format!("-{}", rng.random_range(1..1000)),
        2 => "100".to_string(),
        _ => rng.random_range(0..3).to_string(),
    }
}

fn random_value(rng: &mut StdRng) -> Value {
    match rng.random_range(0..6) {
        0 => {
            let text = ["x", "yy", "zzz"][rng.random_range(0..3)];
            json!({ "S": text })
        }
        1 => json!({"N": random_number(rng)}),
        2 => {
            // Either order: a set rewritten in another order is unchanged.
            let members = match rng.random_range(0..3) {
                0 => vec!["p"],
                1 => vec!["p", "q"],
                _ => vec!["q", "p"],
            };
            json!({ "SS": members })
        }
        3 => json!({"M": {"n": {"N": random_number(rng)}, "b": {"BOOL": rng.random_bool(0.5)}}}),
        4 => json!({"L": [{"S": "l"}, {"NULL": true}]}),
        _ => json!({"B": "AQID"}),
    }
}

fn random_item(rng: &mut StdRng) -> Value {
    let mut item = random_key(rng);
    for name in ["v", "w"] {
        if rng.random_bool(0.6) {
            item[name] = random_value(rng);
        }
    }
    item
}

/// One generated write, with the operation to send it with.
fn random_write(rng: &mut StdRng, table: &str) -> (&'static str, Value) {
    match rng.random_range(0..10) {
        0..=2 => (
            "PutItem",
            json!({"TableName": table, "Item": random_item(rng)}),
        ),
        3..=5 => {
            let (expression, values) = match rng.random_range(0..4) {
                0 => ("SET v = :v", Some(json!({":v": random_value(rng)}))),
                1 => ("REMOVE w", None),
                2 => ("ADD c :one", Some(json!({":one": {"N": "1"}}))),
                _ => (
                    "SET w = if_not_exists(w, :v)",
                    Some(json!({":v": random_value(rng)})),
                ),
            };
            let mut request = json!({
                "TableName": table,
                "Key": random_key(rng),
                "UpdateExpression": expression,
            });
            if let Some(values) = values {
                request["ExpressionAttributeValues"] = values;
            }
            if rng.random_bool(0.3) {
                request["ConditionExpression"] = json!("attribute_exists(pk)");
            }
            ("UpdateItem", request)
        }
        6 | 7 => (
            "DeleteItem",
            json!({"TableName": table, "Key": random_key(rng)}),
        ),
        8 => {
            // Distinct keys: a batch may not name one twice.
            let mut keys = BTreeMap::new();
            for _ in 0..rng.random_range(1..5) {
                let key = random_key(rng);
                keys.insert(key.to_string(), key);
            }
            let requests: Vec<Value> = keys
                .into_values()
                .map(|key| {
                    if rng.random_bool(0.7) {
                        let mut item = random_item(rng);
                        item["pk"] = key["pk"].clone();
                        item["sk"] = key["sk"].clone();
                        json!({"PutRequest": {"Item": item}})
                    } else {
                        json!({"DeleteRequest": {"Key": key}})
                    }
                })
                .collect();
            ("BatchWriteItem", json!({"RequestItems": {table: requests}}))
        }
        _ => {
            let mut keys = BTreeMap::new();
            for _ in 0..rng.random_range(1..4) {
                let key = random_key(rng);
                keys.insert(key.to_string(), key);
            }
            let items: Vec<Value> = keys
                .into_values()
                .map(|key| match rng.random_range(0..3) {
                    0 => {
                        let mut item = random_item(rng);
                        item["pk"] = key["pk"].clone();
                        item["sk"] = key["sk"].clone();
                        json!({"Put": {"TableName": table, "Item": item}})
                    }
                    1 => json!({"Delete": {"TableName": table, "Key": key}}),
                    _ => json!({"Update": {
                        "TableName": table, "Key": key,
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": random_value(rng)},
                    }}),
                })
                .collect();
            ("TransactWriteItems", json!({"TransactItems": items}))
        }
    }
}

/// Every record of the table's stream, in stream order.
fn read_stream(address: &str, table: &str) -> Vec<Value> {
    let described = call(address, "DescribeTable", &json!({"TableName": table})).json();
    let arn = described["Table"]["LatestStreamArn"].clone();
    let stream = streams_call(address, "DescribeStream", &json!({"StreamArn": arn}));
    let mut records = Vec::new();
    for shard in stream["StreamDescription"]["Shards"].as_array().unwrap() {
        let mut position = streams_call(
            address,
            "GetShardIterator",
            &json!({"StreamArn": arn, "ShardId": shard["ShardId"], "ShardIteratorType": "TRIM_HORIZON"}),
        )["ShardIterator"]
            .clone();
        loop {
            let page = streams_call(address, "GetRecords", &json!({"ShardIterator": position}));
            let got = page["Records"].as_array().unwrap();
            records.extend(got.iter().cloned());
            match page.get("NextShardIterator") {
                Some(next) if !got.is_empty() => position = next.clone(),
                _ => break,
            }
        }
    }
    records
}

/// DynamoDB Local leaves numbers nested in a stream image as written
/// ("1.50"), where DynamoDB (and its own GetItem) normalizes them ("1.5").
fn normalize_numbers(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, member) in map.iter_mut() {
                match (name.as_str(), member) {
                    ("N", Value::String(number)) if number.contains('.') => {
                        *number = number
                            .trim_end_matches('0')
                            .trim_end_matches('.')
                            .to_string();
                    }
                    (_, member) => normalize_numbers(member),
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(normalize_numbers),
        _ => {}
    }
}

/// What must agree of a record, with sets and maps in a fixed order.
fn comparable(record: &Value) -> String {
    let mut change = record["dynamodb"].clone();
    normalize_numbers(&mut change);
    let change = &change;
    let images: Vec<String> = ["Keys", "NewImage", "OldImage"]
        .iter()
        .map(|part| match change.get(*part) {
            Some(image) => common::wire_item_set(&json!([image]))
                .into_iter()
                .collect::<Vec<_>>()
                .join(""),
            None => "-".to_string(),
        })
        .collect();
    format!(
        "{} {} {} v{} {} size {}",
        record["eventName"],
        record["eventSource"],
        images.join(" | "),
        record["eventVersion"],
        change["StreamViewType"],
        change["SizeBytes"],
    )
}

/// Each item's records, in order, keyed by the item's key.
fn per_item(records: &[Value]) -> BTreeMap<String, Vec<String>> {
    let mut items: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for record in records {
        let key = common::wire_item_set(&json!([record["dynamodb"]["Keys"]]))
            .into_iter()
            .collect::<Vec<_>>()
            .join("");
        items.entry(key).or_default().push(comparable(record));
    }
    items
}

#[test]
fn streams_hold_the_same_records_as_the_reference() {
    let Some(diff) = common::differential("streams", None) else {
        return;
    };
    let count: usize = std::env::var("DYNALITH_DIFF_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .map_or(300, |c: usize| c.clamp(1, 300));
    let mut rng = StdRng::seed_from_u64(diff.seed);
    for view in VIEW_TYPES {
        let table = common::unique_table(&format!("diff_streams_{}", view.to_lowercase()));
        let create = json!({
            "TableName": table,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": view},
        });
        for address in [&diff.ours, &diff.theirs] {
            let created = call(address, "CreateTable", &create);
            assert_eq!(created.status, 200, "{}", created.json());
        }
        for step in 0..count {
            let (operation, request) = random_write(&mut rng, &table);
            let ours = call(&diff.ours, operation, &request);
            let theirs = call(&diff.theirs, operation, &request);
            assert_eq!(
                (ours.status, ours.json()["__type"].clone()),
                (theirs.status, theirs.json()["__type"].clone()),
                "seed {} {view} step {step}: {operation} {request}\nours: {}\ntheirs: {}",
                diff.seed,
                ours.json(),
                theirs.json()
            );
        }
        let ours = read_stream(&diff.ours, &table);
        let theirs = read_stream(&diff.theirs, &table);
        let (ours_by_item, theirs_by_item) = (per_item(&ours), per_item(&theirs));
        for (item, records) in &theirs_by_item {
            assert_eq!(
                ours_by_item.get(item),
                Some(records),
                "seed {} {view}: records of item {item}",
                diff.seed
            );
        }
        assert_eq!(
            ours.len(),
            theirs.len(),
            "seed {} {view}: record count",
            diff.seed
        );
        eprintln!("{view}: {} records agree", ours.len());
        for address in [&diff.ours, &diff.theirs] {
            call(address, "DeleteTable", &json!({"TableName": table}));
        }
    }
}
