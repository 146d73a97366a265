//! Differential test of CreateTable and UpdateTable: the same generated
//! requests go to dynalith and to a reference server (DynamoDB Local), and
//! both must answer alike. CreateTable requests, most of them invalid in
//! one way or another (names, key schemas, attribute definitions, billing
//! modes and throughput, global and local indexes and their projections,
//! streams); UpdateTable requests, one change each (billing mode,
//! throughput, a global index created, updated or deleted, the stream,
//! deletion protection), on a table that starts on-demand and on one that
//! starts provisioned; UpdateTimeToLive and DescribeTimeToLive requests on
//! one table (tagging cannot be compared: DynamoDB Local does not take it).
//!
//! ```sh
//! scripts/dynamodb-local.sh start 8780
//! DYNALITH_DIFF_ENDPOINT=http://127.0.0.1:8780 \
//!   cargo test -p dynalith --test differential_tables -- --nocapture
//! ```
//!
//! `DYNALITH_DIFF_SEED` picks other requests. Without
//! `DYNALITH_DIFF_ENDPOINT` the test prints a note and passes.
//!
//! Compared: the HTTP status and error type of every answer; for a table
//! both create or update, what DescribeTable then says of its definition
//! (key schema, attribute definitions, billing mode, provisioned
//! throughput, each index's key schema, projection and throughput, the
//! stream and deletion protection; an on-demand table's indexes read as 0
//! units, as DynamoDB reports them, where DynamoDB Local leaves them out or
//! keeps what they had while the table was provisioned). Not compared:
//! messages (dynalith gives DynamoDB's own, "N validation errors detected:
//! ..." with every violated constraint, where DynamoDB Local has its own
//! words), TableStatus and IndexStatus (a new table or index is CREATING
//! for a moment on both; the test waits for ACTIVE), and the requests
//! DynamoDB Local fails with a 500 InternalFailure, its own bug on input
//! DynamoDB refuses with a 400 (which dynalith must give). Where DynamoDB
//! Local answers otherwise than DynamoDB, `reference_deviation` says why.

mod common;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// CreateTable requests (UpdateTable requests per table: a third of
/// that): a tenth of `DYNALITH_DIFF_COUNT` (which CI lowers for its later
/// phases), at most 300.
fn cases() -> usize {
    std::env::var("DYNALITH_DIFF_COUNT")
        .ok()
        .and_then(|count| count.parse::<usize>().ok())
        .map_or(300, |count| (count / 10).clamp(20, 300))
}

/// DynamoDB Local fails some control-plane calls with a 500 while others
/// run beside them: the two tests take turns.
static REFERENCE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Attribute names the generator draws from: `pk` and `sk` are the usual
/// table keys, `g`, `h` and `l` index keys.
const NAMES: [&str; 5] = ["pk", "sk", "g", "h", "l"];
const TYPES: [&str; 3] = ["S", "N", "B"];

fn key_element(name: &str, key_type: &str) -> Value {
    json!({"AttributeName": name, "KeyType": key_type})
}

fn throughput(rng: &mut StdRng) -> Value {
    let units = |rng: &mut StdRng| -> Value {
        match rng.random_range(0..10) {
            0 => json!(0),
            1 => json!(-1),
            2 => json!(40_001),
            _ => json!(rng.random_range(1..20)),
        }
    };
    let mut value = json!({"ReadCapacityUnits": units(rng), "WriteCapacityUnits": units(rng)});
    if rng.random_bool(0.05) {
        value.as_object_mut().unwrap().remove("WriteCapacityUnits");
    }
    value
}

fn projection(rng: &mut StdRng) -> Value {
    match rng.random_range(0..8) {
        0 => json!({"ProjectionType": "ALL"}),
        1 => json!({"ProjectionType": "KEYS_ONLY"}),
        2 => json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v", "w"]}),
        3 => json!({"ProjectionType": "INCLUDE"}),
        4 => json!({"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["v"]}),
        5 => json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v", "v"]}),
        6 => json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": []}),
        _ => json!({}),
    }
}

fn index_name(rng: &mut StdRng, n: usize) -> String {
    match rng.random_range(0..20) {
        0 => "ab".to_string(),
        1 => "x".repeat(256),
        2 => "bad name".to_string(),
        3 => "dup".to_string(),
        _ => format!("index_{n}"),
    }
}

/// A global index: mostly on `g` (and `h`), sometimes on what the table
/// does not define, with or without its own throughput.
fn global_index(rng: &mut StdRng, n: usize, provisioned: bool) -> Value {
    let hash = *["g", "g", "g", "pk", "undefined"].choose(rng).unwrap();
    let mut keys = vec![key_element(hash, "HASH")];
    if rng.random_bool(0.5) {
        keys.push(key_element(["h", "sk", "g"].choose(rng).unwrap(), "RANGE"));
    }
    let mut index = json!({
        "IndexName": index_name(rng, n),
        "KeySchema": keys,
        "Projection": projection(rng),
    });
    if provisioned != rng.random_bool(0.15) {
        index["ProvisionedThroughput"] = throughput(rng);
    }
    index
}

/// A local index: the table's hash key and another range key, mostly.
fn local_index(rng: &mut StdRng, n: usize) -> Value {
    let hash = if rng.random_bool(0.85) { "pk" } else { "g" };
    let range = *["l", "l", "sk", "undefined"].choose(rng).unwrap();
    let mut keys = vec![key_element(hash, "HASH")];
    if rng.random_bool(0.9) {
        keys.push(key_element(range, "RANGE"));
    }
    json!({
        "IndexName": index_name(rng, n),
        "KeySchema": keys,
        "Projection": projection(rng),
    })
}

/// A CreateTable request, valid or broken in one or a few places.
fn random_create(rng: &mut StdRng, table: &str) -> Value {
    let mut request = json!({ "TableName": table });
    match rng.random_range(0..25) {
        0 => request["TableName"] = json!("ab"),
        1 => request["TableName"] = json!(format!("{table}{}", "x".repeat(250))),
        2 => request["TableName"] = json!(format!("{table} bad")),
        3 => {
            request.as_object_mut().unwrap().remove("TableName");
        }
        _ => {}
    }
    let with_range = rng.random_bool(0.6);
    let mut keys = vec![key_element("pk", "HASH")];
    if with_range {
        keys.push(key_element("sk", "RANGE"));
    }
    match rng.random_range(0..20) {
        0 => keys = vec![key_element("sk", "RANGE")],
        1 => keys.push(key_element("g", "HASH")),
        2 => keys = vec![],
        3 => keys[0]["KeyType"] = json!("PRIMARY"),
        4 => keys.push(key_element("pk", "RANGE")),
        _ => {}
    }
    request["KeySchema"] = json!(keys);

    let provisioned = match rng.random_range(0..10) {
        0..=4 => {
            request["BillingMode"] = json!("PAY_PER_REQUEST");
            if rng.random_bool(0.1) {
                request["ProvisionedThroughput"] = throughput(rng);
            }
            false
        }
        5..=7 => {
            request["BillingMode"] = json!("PROVISIONED");
            if rng.random_bool(0.9) {
                request["ProvisionedThroughput"] = throughput(rng);
            }
            true
        }
        8 => {
            // No BillingMode: PROVISIONED, and throughput is required.
            if rng.random_bool(0.8) {
                request["ProvisionedThroughput"] = throughput(rng);
            }
            true
        }
        _ => {
            request["BillingMode"] = json!("ON_DEMAND");
            false
        }
    };

    let mut indexed: Vec<&str> = vec![];
    if rng.random_bool(0.35) {
        let indexes: Vec<Value> = (0..rng.random_range(0..3))
            .map(|n| global_index(rng, n, provisioned))
            .collect();
        request["GlobalSecondaryIndexes"] = json!(indexes);
        indexed.extend(["g", "h"]);
    }
    if rng.random_bool(0.25) {
        let indexes: Vec<Value> = (0..rng.random_range(0..3))
            .map(|n| local_index(rng, n + 10))
            .collect();
        request["LocalSecondaryIndexes"] = json!(indexes);
        indexed.push("l");
    }

    // Definitions for the keys used, then now and again one too many, one
    // missing, a repeated one or a bad type.
    let mut definitions: Vec<Value> = NAMES
        .iter()
        .filter(|name| **name == "pk" || (**name == "sk" && with_range) || indexed.contains(name))
        .map(|name| {
            let scalar = if *name == "pk" || rng.random_bool(0.7) {
                "S"
            } else {
                TYPES.choose(rng).unwrap()
            };
            json!({"AttributeName": name, "AttributeType": scalar})
        })
        .collect();
    match rng.random_range(0..15) {
        0 => definitions.push(json!({"AttributeName": "unused", "AttributeType": "S"})),
        1 => {
            definitions.pop();
        }
        2 => definitions.push(definitions[0].clone()),
        3 => definitions[0]["AttributeType"] = json!("BOOL"),
        4 => definitions[0] = json!({"AttributeName": "pk"}),
        _ => {}
    }
    request["AttributeDefinitions"] = json!(definitions);

    match rng.random_range(0..8) {
        0 => {
            request["StreamSpecification"] =
                json!({"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"})
        }
        1 => request["StreamSpecification"] = json!({"StreamEnabled": true}),
        2 => {
            request["StreamSpecification"] =
                json!({"StreamEnabled": false, "StreamViewType": "KEYS_ONLY"})
        }
        3 => request["StreamSpecification"] = json!({"StreamEnabled": false}),
        _ => {}
    }
    if rng.random_bool(0.1) {
        request["DeletionProtectionEnabled"] = json!(true);
    }
    request
}

/// Why an answer of dynalith's that differs from DynamoDB Local's is
/// DynamoDB's, or `None`.
/// `on_demand`: whether the table is (or is to be) billed per request.
fn reference_deviation(
    request: &Value,
    on_demand: bool,
    mine: &common::RawResponse,
    reference: &common::RawResponse,
) -> Option<&'static str> {
    // DynamoDB refuses provisioned throughput on an on-demand table ("One
    // or more parameter values were invalid: Neither ReadCapacityUnits nor
    // WriteCapacityUnits can be specified when BillingMode is
    // PAY_PER_REQUEST", or first a bound its units break;
    // awslabs/aws-lambda-redshift-loader#192 records the index form of the
    // same refusal); DynamoDB Local creates the table and reports 0 units.
    let refused = reference.status == 200
        && mine.status == 400
        && mine.error_type().ends_with("#ValidationException");
    let index_throughput = request["GlobalSecondaryIndexes"]
        .as_array()
        .is_some_and(|indexes| {
            indexes
                .iter()
                .any(|i| i.get("ProvisionedThroughput").is_some())
        });
    if refused && on_demand && (request.get("ProvisionedThroughput").is_some() || index_throughput)
    {
        return Some("throughput on an on-demand table");
    }
    // DynamoDB asks for throughput with BillingMode PROVISIONED even of a
    // table that is provisioned already (its recorded answer, in
    // `core/src/ops/update_table/mod.rs`); DynamoDB Local takes the
    // request as a change to nothing.
    if refused
        && request["BillingMode"] == "PROVISIONED"
        && request.get("ProvisionedThroughput").is_none()
        && mine.json()["message"].as_str().is_some_and(|m| {
            m.ends_with("ProvisionedThroughput must be specified when BillingMode is PROVISIONED")
        })
    {
        return Some("BillingMode PROVISIONED without throughput");
    }
    // An index update naming no index of the table: DynamoDB answers
    // ResourceNotFoundException ("Requested resource not found: Index NAME
    // for table TABLE", its recorded answer, in
    // `core/src/ops/update_table/index_updates.rs`), DynamoDB Local a
    // ValidationException of its own.
    if mine.error_type().ends_with("#ResourceNotFoundException")
        && reference.json()["Message"] == "Invalid global secondary index name"
    {
        return Some("an update of an index the table does not have");
    }
    // DynamoDB refuses an empty list of indexes ("One or more parameter
    // values were invalid: List of GlobalSecondaryIndexes is empty", as
    // Cimpress-MCP/LambdaWrap#33 quotes it; AdRoll/goamz#105 the same for
    // local indexes); DynamoDB Local takes it as no indexes.
    let empty = |kind: &str| request[kind].as_array().is_some_and(Vec::is_empty);
    let message = mine.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if refused
        && (empty("GlobalSecondaryIndexes") || empty("LocalSecondaryIndexes"))
        && message.contains("SecondaryIndexes is empty")
    {
        return Some("an empty list of indexes");
    }
    // Capacity above the per-table quota (40,000 units, what DescribeLimits
    // reports) is an account quota: DynamoDB refuses it with a
    // LimitExceededException ("The requested ReadCapacityUnits, N, is above
    // the per table maximum for the account in REGION. ..."; the Developer
    // Guide's "Service, account, and table quotas"), DynamoDB Local with a
    // ValidationException of its own (or first another of its checks).
    if mine.error_type().ends_with("#LimitExceededException")
        && reference.error_type().ends_with("#ValidationException")
        && request.to_string().contains(":40001")
    {
        return Some("capacity above the per-table quota");
    }
    None
}

/// The status and error type of an answer (`ok` for a 200).
fn outcome(response: &common::RawResponse) -> String {
    if response.status == 200 {
        return "200 ok".to_string();
    }
    let kind = response.json()["__type"]
        .as_str()
        .and_then(|t| t.rsplit('#').next())
        .unwrap_or("?")
        .to_string();
    format!("{} {kind}", response.status)
}

/// What a created table's description says of its definition, in an order
/// that does not depend on the server.
fn definition(address: &str, table: &str) -> Value {
    let body = json!({ "TableName": table }).to_string();
    let described = common::call(address, "DescribeTable", &body).json();
    let t = &described["Table"];
    let sorted = |list: &Value, by: &str| -> Value {
        let mut list = list.as_array().cloned().unwrap_or_default();
        list.sort_by_key(|entry| entry[by].to_string());
        Value::Array(list)
    };
    let units = |value: &Value| {
        json!([
            value["ReadCapacityUnits"].as_i64().unwrap_or(0),
            value["WriteCapacityUnits"].as_i64().unwrap_or(0)
        ])
    };
    let on_demand = t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST";
    let indexes = |kind: &str| -> Value {
        let list = sorted(&t[kind], "IndexName");
        Value::Array(
            list.as_array()
                .unwrap()
                .iter()
                .map(|index| {
                    // An on-demand table's indexes have 0 units, as the
                    // table has: dynalith says so, as DynamoDB does, where
                    // DynamoDB Local leaves them out, or keeps the units an
                    // index had while the table was provisioned.
                    let throughput = if on_demand {
                        json!([0, 0])
                    } else {
                        units(&index["ProvisionedThroughput"])
                    };
                    json!({
                        "IndexName": index["IndexName"],
                        "KeySchema": index["KeySchema"],
                        "Projection": index["Projection"],
                        "ProvisionedThroughput": throughput,
                    })
                })
                .collect(),
        )
    };
    json!({
        "KeySchema": t["KeySchema"],
        "AttributeDefinitions": sorted(&t["AttributeDefinitions"], "AttributeName"),
        "BillingMode": t["BillingModeSummary"]["BillingMode"],
        "ProvisionedThroughput": units(&t["ProvisionedThroughput"]),
        "GlobalSecondaryIndexes": indexes("GlobalSecondaryIndexes"),
        "LocalSecondaryIndexes": indexes("LocalSecondaryIndexes"),
        "StreamSpecification": t["StreamSpecification"],
        "DeletionProtectionEnabled": t["DeletionProtectionEnabled"],
    })
}

fn delete(address: &str, table: &str) {
    let update = json!({"TableName": table, "DeletionProtectionEnabled": false}).to_string();
    common::call(address, "UpdateTable", &update);
    let body = json!({ "TableName": table }).to_string();
    let deleted = common::call(address, "DeleteTable", &body);
    assert_eq!(deleted.status, 200, "DeleteTable {table} on {address}");
}

/// This test's turn with DynamoDB Local, and the two servers; `None` when
/// `DYNALITH_DIFF_ENDPOINT` is not set.
fn servers() -> Option<(std::sync::MutexGuard<'static, ()>, common::Differential)> {
    let turn = REFERENCE.lock().unwrap_or_else(|e| e.into_inner());
    common::differential("tables", None).map(|servers| (turn, servers))
}

#[test]
fn create_table_answers_match_the_reference_server() {
    let Some((_turn, servers)) = servers() else {
        return;
    };
    let (ours, theirs, seed) = (servers.ours.clone(), servers.theirs.clone(), servers.seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut created, mut refused, mut reference_failures, mut explained) = (0, 0, 0, 0);
    let cases = cases();
    for case in 0..cases {
        let table = common::unique_table("diff_tables");
        let request = random_create(&mut rng, &table);
        let body = request.to_string();
        let mine = common::call(&ours, "CreateTable", &body);
        let reference = common::call(&theirs, "CreateTable", &body);
        let (mine_outcome, reference_outcome) = (outcome(&mine), outcome(&reference));
        if reference.status == 500 {
            // DynamoDB Local's own failure; DynamoDB refuses such input
            // with a 400, and so must dynalith.
            assert_eq!(
                mine.status,
                400,
                "case {case}: {body}\n{}",
                String::from_utf8_lossy(&mine.body)
            );
            reference_failures += 1;
        } else if let Some(why) = reference_deviation(
            &request,
            request["BillingMode"] == "PAY_PER_REQUEST",
            &mine,
            &reference,
        ) {
            eprintln!("case {case}: DynamoDB Local differs from DynamoDB: {why}");
            explained += 1;
            if reference.status == 200 {
                delete(&theirs, &table);
            }
            continue;
        } else {
            assert_eq!(
                mine_outcome,
                reference_outcome,
                "case {case}: {body}\ndynalith: {}\nreference: {}",
                String::from_utf8_lossy(&mine.body),
                String::from_utf8_lossy(&reference.body)
            );
        }
        if mine.status == 200 && reference.status == 200 {
            assert_eq!(
                definition(&ours, &table),
                definition(&theirs, &table),
                "case {case}: {body}"
            );
            delete(&ours, &table);
            delete(&theirs, &table);
            created += 1;
        } else {
            refused += 1;
        }
    }
    eprintln!(
        "differential: seed {seed}: {created} tables created alike, {refused} requests refused \
         alike ({reference_failures} of them failed by DynamoDB Local with a 500), {explained} \
         answered as DynamoDB does where DynamoDB Local differs"
    );
    assert!(created >= cases / 20, "too few valid requests: {created}");
}

/// An UpdateTable request for `table`, which has the global index `by_g`
/// and perhaps others the test created (`created`): one change, or none.
/// One: DynamoDB takes one kind of change per request, where DynamoDB
/// Local applies a mix (`core/src/ops/update_table/one_concern.rs` has
/// DynamoDB's recorded answers, and `tests/tables.rs` checks them).
/// A new index gets throughput only on a provisioned table: DynamoDB
/// refuses it on an on-demand one, where DynamoDB Local creates the index
/// (and the two would hold different tables from then on).
fn random_update(
    rng: &mut StdRng,
    table: &str,
    on_demand: bool,
    created: &[String],
    next: usize,
) -> Value {
    let mut request = json!({ "TableName": table });
    {
        match rng.random_range(0..12) {
            0 => request["BillingMode"] = json!("PAY_PER_REQUEST"),
            1 => {
                request["BillingMode"] = json!("PROVISIONED");
                if rng.random_bool(0.8) {
                    request["ProvisionedThroughput"] = throughput(rng);
                }
                // From on-demand, every global index needs its capacity
                // too: DynamoDB refuses the switch without it ("... must be
                // specified for index: NAME"), where DynamoDB Local makes
                // it.
                if on_demand {
                    let updates: Vec<Value> = ["by_g".to_string()]
                        .iter()
                        .chain(created)
                        .map(|name| {
                            json!({ "Update": {
                                "IndexName": name, "ProvisionedThroughput": throughput(rng),
                            } })
                        })
                        .collect();
                    request["GlobalSecondaryIndexUpdates"] = json!(updates);
                }
            }
            2 | 3 => request["ProvisionedThroughput"] = throughput(rng),
            4 | 5 => {
                let mut create = json!({
                    "IndexName": format!("index_{next}"),
                    "KeySchema": [key_element("h", "HASH")],
                    "Projection": projection(rng),
                });
                if !on_demand && rng.random_bool(0.9) {
                    create["ProvisionedThroughput"] = throughput(rng);
                }
                if rng.random_bool(0.9) {
                    request["AttributeDefinitions"] =
                        json!([{"AttributeName": "h", "AttributeType": "S"}]);
                }
                request["GlobalSecondaryIndexUpdates"] = json!([{ "Create": create }]);
            }
            6 => {
                let name = created
                    .choose(rng)
                    .cloned()
                    .unwrap_or_else(|| "missing".to_string());
                request["GlobalSecondaryIndexUpdates"] =
                    json!([{ "Delete": { "IndexName": name } }]);
            }
            7 => {
                let name = if rng.random_bool(0.8) {
                    "by_g"
                } else {
                    "missing"
                };
                request["GlobalSecondaryIndexUpdates"] = json!([{ "Update": {
                    "IndexName": name, "ProvisionedThroughput": throughput(rng),
                } }]);
            }
            8 => {
                request["StreamSpecification"] =
                    json!({"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"})
            }
            9 => request["StreamSpecification"] = json!({"StreamEnabled": false}),
            10 => request["DeletionProtectionEnabled"] = json!(rng.random_bool(0.5)),
            _ => {}
        }
    }
    request
}

/// Waits until `table` and its indexes are ACTIVE (dynalith builds a new
/// index for a moment; DynamoDB Local's is ACTIVE at once).
fn wait_until_active(address: &str, table: &str) {
    let body = json!({ "TableName": table }).to_string();
    for _ in 0..400 {
        let described = common::call(address, "DescribeTable", &body).json();
        let t = &described["Table"];
        let indexes_active = t["GlobalSecondaryIndexes"]
            .as_array()
            .is_none_or(|indexes| indexes.iter().all(|i| i["IndexStatus"] == "ACTIVE"));
        if t["TableStatus"] == "ACTIVE" && indexes_active {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!("{table} on {address} is not ACTIVE after 10 s");
}

#[test]
fn update_table_answers_match_the_reference_server() {
    let Some((_turn, servers)) = servers() else {
        return;
    };
    let (ours, theirs, seed) = (servers.ours.clone(), servers.theirs.clone(), servers.seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut applied, mut refused, mut reference_failures, mut explained) = (0, 0, 0, 0);
    for start in ["PAY_PER_REQUEST", "PROVISIONED"] {
        let table = common::unique_table("diff_update");
        let mut create = json!({
            "TableName": table, "BillingMode": start,
            "KeySchema": [key_element("pk", "HASH"), key_element("sk", "RANGE")],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": "S"},
                                     {"AttributeName": "g", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [{"IndexName": "by_g",
                "KeySchema": [key_element("g", "HASH")],
                "Projection": {"ProjectionType": "ALL"}}],
        });
        if start == "PROVISIONED" {
            let units = json!({"ReadCapacityUnits": 5, "WriteCapacityUnits": 5});
            create["ProvisionedThroughput"] = units.clone();
            create["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] = units;
        }
        for address in [&ours, &theirs] {
            let created = common::call(address, "CreateTable", &create.to_string());
            assert_eq!(created.status, 200, "CreateTable on {address}");
            wait_until_active(address, &table);
        }
        let mut created: Vec<String> = vec![];
        let mut mode = start.to_string();
        for step in 0..cases() / 3 {
            let request =
                random_update(&mut rng, &table, mode == "PAY_PER_REQUEST", &created, step);
            let body = request.to_string();
            let mine = common::call(&ours, "UpdateTable", &body);
            let reference = common::call(&theirs, "UpdateTable", &body);
            let on_demand = match request["BillingMode"].as_str() {
                Some(asked) => asked == "PAY_PER_REQUEST",
                None => mode == "PAY_PER_REQUEST",
            };
            if reference.status == 500 {
                // DynamoDB Local's own failure, as in CreateTable; now and
                // again on a request DynamoDB takes (an index to create),
                // and from then on the two tables differ.
                reference_failures += 1;
                if mine.status == 200 {
                    eprintln!(
                        "{start} step {step}: DynamoDB Local failed what dynalith did: {body}"
                    );
                    break;
                }
                assert_eq!(mine.status, 400, "{start} step {step}: {body}");
                continue;
            }
            if let Some(why) = reference_deviation(&request, on_demand, &mine, &reference) {
                eprintln!("{start} step {step}: DynamoDB Local differs from DynamoDB: {why}");
                explained += 1;
                continue;
            }
            // DynamoDB allows four capacity decreases a day, then one an
            // hour (`Throughput::check_decrease`); DynamoDB Local any
            // number. From such a step on, the two tables' capacities
            // differ.
            let limited = mine.json()["message"]
                .as_str()
                .is_some_and(|m| m.contains("Provisioned throughput decreases are limited"));
            if reference.status == 200
                && mine.error_type().ends_with("#LimitExceededException")
                && limited
            {
                eprintln!(
                    "{start} step {step}: DynamoDB Local takes a fifth decrease within the hour"
                );
                explained += 1;
                break;
            }
            assert_eq!(
                outcome(&mine),
                outcome(&reference),
                "{start} step {step}: {body}\ndynalith: {}\nreference: {}",
                String::from_utf8_lossy(&mine.body),
                String::from_utf8_lossy(&reference.body)
            );
            if mine.status != 200 {
                refused += 1;
                continue;
            }
            applied += 1;
            if let Some(asked) = request["BillingMode"].as_str() {
                mode = asked.to_string();
            }
            for update in request["GlobalSecondaryIndexUpdates"]
                .as_array()
                .into_iter()
                .flatten()
            {
                if let Some(name) = update["Create"]["IndexName"].as_str() {
                    created.push(name.to_string());
                }
                if let Some(name) = update["Delete"]["IndexName"].as_str() {
                    created.retain(|c| c != name);
                }
            }
            wait_until_active(&ours, &table);
            wait_until_active(&theirs, &table);
            assert_eq!(
                definition(&ours, &table),
                definition(&theirs, &table),
                "{start} step {step}: {body}"
            );
        }
        delete(&ours, &table);
        delete(&theirs, &table);
    }
    eprintln!(
        "differential: seed {seed}: {applied} table updates applied alike, {refused} refused \
         alike, {reference_failures} failed by DynamoDB Local with a 500, {explained} answered \
         as DynamoDB does where DynamoDB Local differs"
    );
}

/// An UpdateTimeToLive or DescribeTimeToLive request: mostly for `table`,
/// now and again for a table neither server has or a name DynamoDB
/// refuses; the specification with either field missing, an attribute
/// name too short or too long, the table's key, a field of the wrong type.
fn random_time_to_live(rng: &mut StdRng, table: &str) -> (&'static str, Value) {
    let table_name = match rng.random_range(0..20) {
        0 => json!("missing_ttl_table"),
        1 => json!("x"),
        2 => Value::Null,
        _ => json!(table),
    };
    let mut request = json!({});
    if !table_name.is_null() {
        request["TableName"] = table_name;
    }
    if rng.random_bool(0.3) {
        return ("DescribeTimeToLive", request);
    }
    let mut specification = json!({});
    if rng.random_range(0..10) > 0 {
        specification["Enabled"] = match rng.random_range(0..30) {
            0 => json!("yes"),
            n => json!(n % 2 == 0),
        };
    }
    if rng.random_range(0..10) > 0 {
        specification["AttributeName"] = match rng.random_range(0..12) {
            0 => json!(""),
            1 => json!("x".repeat(255)),
            2 => json!("x".repeat(256)),
            3 => json!("pk"),
            4 => json!(7),
            5..=7 => json!("ttl"),
            _ => json!("expires"),
        };
    }
    if rng.random_range(0..20) > 0 {
        request["TimeToLiveSpecification"] = specification;
    }
    ("UpdateTimeToLive", request)
}

#[test]
fn time_to_live_answers_match_the_reference_server() {
    let Some((_turn, servers)) = servers() else {
        return;
    };
    let (ours, theirs, seed) = (servers.ours.clone(), servers.theirs.clone(), servers.seed);
    let mut rng = StdRng::seed_from_u64(seed);
    let table = common::unique_table("diff_ttl");
    let create = json!({
        "TableName": table, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [key_element("pk", "HASH")],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    })
    .to_string();
    for address in [&ours, &theirs] {
        assert_eq!(common::call(address, "CreateTable", &create).status, 200);
        wait_until_active(address, &table);
    }
    let (mut applied, mut described, mut refused) = (0, 0, 0);
    let (mut reference_failures, mut explained) = (0, 0);
    // At least 100 steps: most are refused, and a few must apply.
    for step in 0..cases().max(100) {
        let (operation, request) = random_time_to_live(&mut rng, &table);
        let body = request.to_string();
        let mine = common::call(&ours, operation, &body);
        let reference = common::call(&theirs, operation, &body);
        let answers = || {
            format!(
                "step {step}: {operation} {body}\ndynalith: {}\nreference: {}",
                String::from_utf8_lossy(&mine.body),
                String::from_utf8_lossy(&reference.body)
            )
        };
        if reference.status == 500 {
            // DynamoDB Local's own failure (a string where it wants a
            // boolean, say); DynamoDB refuses such input with a 400.
            assert_eq!(mine.status, 400, "{}", answers());
            reference_failures += 1;
            continue;
        }
        // A JSON number where DynamoDB wants a string: DynamoDB refuses it
        // with a SerializationException ("NUMBER_VALUE can not be converted
        // to a String", recorded in `model/src/wire.rs`), DynamoDB Local
        // takes it as the string of its digits (and then answers as it
        // would that string). What it applies is undone on DynamoDB Local,
        // so that the two tables stay alike.
        let specification = &request["TimeToLiveSpecification"];
        if specification["AttributeName"].is_number()
            && mine.error_type().ends_with("#SerializationException")
        {
            if reference.status == 200 {
                let mut undo = request.clone();
                undo["TimeToLiveSpecification"] = json!({
                    "AttributeName": specification["AttributeName"].to_string(),
                    "Enabled": !specification["Enabled"].as_bool().unwrap(),
                });
                let undone = common::call(&theirs, operation, &undo.to_string());
                assert_eq!(undone.status, 200, "undo {undo} on DynamoDB Local");
            }
            explained += 1;
            continue;
        }
        // DynamoDB checks a request against its API model (required
        // members, lengths: "N validation error(s) detected: ...") before
        // it looks for the table; DynamoDB Local looks first.
        let model_violation = mine.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains(" detected: "));
        if model_violation
            && reference
                .error_type()
                .ends_with("#ResourceNotFoundException")
        {
            explained += 1;
            continue;
        }
        assert_eq!(outcome(&mine), outcome(&reference), "{}", answers());
        if mine.status != 200 {
            refused += 1;
            continue;
        }
        // What the answer says, and what DescribeTimeToLive says after it,
        // whatever the order of the fields.
        assert_eq!(mine.json(), reference.json(), "{}", answers());
        if operation == "UpdateTimeToLive" {
            applied += 1;
        } else {
            described += 1;
        }
    }
    let describe = json!({ "TableName": table }).to_string();
    assert_eq!(
        common::call(&ours, "DescribeTimeToLive", &describe).json(),
        common::call(&theirs, "DescribeTimeToLive", &describe).json(),
        "the time to live each ends with"
    );
    delete(&ours, &table);
    delete(&theirs, &table);
    eprintln!(
        "differential: seed {seed}: {applied} time-to-live updates applied alike, {described} \
         descriptions alike, {refused} requests refused alike ({reference_failures} failed by \
         DynamoDB Local with a 500), {explained} answered as DynamoDB does where DynamoDB Local \
         differs"
    );
    assert!(
        applied >= 2,
        "too few time-to-live updates applied: {applied}"
    );
}
