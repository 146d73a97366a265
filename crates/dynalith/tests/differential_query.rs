//! Differential Query/Scan test: the same generated tables (with a global
//! and a local secondary index, sparse) on dynalith and on a reference
//! server (DynamoDB Local), the same few hundred generated requests (key
//! conditions, filters, projections, Select, limits, directions, legacy
//! parameters, index queries), every page compared.
//!
//! Runs only when DYNALITH_DIFF_ENDPOINT names the reference server, e.g.
//!   scripts/dynamodb-local.sh start 8779
//!   DYNALITH_DIFF_ENDPOINT=http://127.0.0.1:8779 cargo test -p dynalith --test differential_query
//! DYNALITH_DIFF_SEED picks another generated workload.
//!
//! What is compared, and what cannot be:
//! - Query pages are compared exactly: Items, Count, ScannedCount and
//!   LastEvaluatedKey. A partition is ordered by sort key on both servers.
//! - Index Query results are compared as a whole: items with equal index
//!   keys come in no specified order, so the items as a set, Count and
//!   ScannedCount, the sequence of index sort-key values, and which key
//!   attributes LastEvaluatedKey names.
//! - Scan order is the order of the partition-key hash, which DynamoDB
//!   does not specify ("Scan ... results are not returned in any particular
//!   order"; parallel scan segments are "logical segments" of the table,
//!   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html),
//!   and dynalith's hash is not DynamoDB's. So for Scan the union of items
//!   over all pages and the totals of Count and ScannedCount are compared,
//!   not the page boundaries.
//! - ConsumedCapacity is not compared: DynamoDB Local reports 0 for a page
//!   that reads nothing, where DynamoDB charges the 0.5/1 unit minimum.
//! - Error messages are not compared, only that both servers reject the
//!   same requests (their wording differs, see query.rs and scan.rs).

mod common;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const PARTITIONS: usize = 6;

fn call(address: &str, operation: &str, body: &Value) -> (u16, Value) {
    let response = common::call(address, operation, &body.to_string());
    (response.status, response.json())
}

/// Set members come back in any order; everything else must be equal.
fn normalize(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map.iter_mut() {
                if matches!(key.as_str(), "SS" | "NS" | "BS") {
                    if let Value::Array(items) = inner {
                        items.sort_by_key(|v| v.to_string());
                    }
                } else {
                    normalize(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize),
        _ => {}
    }
}

fn random_item(rng: &mut StdRng, pk: &str, sort: &Value) -> Value {
    let mut item = json!({"pk": {"S": pk}, "sk": sort});
    let words = [
        "apple", "apricot", "banana", "blue", "cherry", "", "a", "ab",
    ];
    if rng.random_bool(0.8) {
        item["a"] = json!({"N": rng.random_range(-50..50).to_string()});
    }
    if rng.random_bool(0.8) {
        item["b"] = json!({"S": words[rng.random_range(0..words.len())]});
    }
    if rng.random_bool(0.5) {
        item["c"] = json!({"BOOL": rng.random_bool(0.5)});
    }
    if rng.random_bool(0.4) {
        let len = rng.random_range(0..4);
        let list: Vec<Value> = (0..len).map(|i| json!({"N": i.to_string()})).collect();
        item["l"] = json!({"L": list});
    }
    if rng.random_bool(0.3) {
        item["m"] = json!({"M": {"x": {"N": rng.random_range(0..5).to_string()}, "y": {"S": "v"}}});
    }
    if rng.random_bool(0.3) {
        item["ss"] = json!({"SS": ["x", "y", words[rng.random_range(0..5)]]});
    }
    // Index keys, each absent from some items (sparse indexes); few
    // distinct values, so index keys repeat across items.
    if rng.random_bool(0.7) {
        item["gpk"] = json!({"S": format!("g{}", rng.random_range(0..3))});
    }
    if rng.random_bool(0.7) {
        item["gsk"] = json!({"N": rng.random_range(-20..20).to_string()});
    }
    if rng.random_bool(0.6) {
        item["lsk"] = json!({"S": words[rng.random_range(0..words.len() - 3)]});
    }
    // The last partition holds well over 1 MB, so its pages hit the cap.
    let padded = if pk == format!("p{}", PARTITIONS - 1) {
        0.9
    } else {
        0.1
    };
    if rng.random_bool(padded) {
        item["pad"] = json!({"S": "p".repeat(rng.random_range(1000..60_000))});
    }
    item
}

fn sort_value(rng: &mut StdRng, numeric: bool) -> Value {
    if numeric {
        let whole = rng.random_range(-300..300);
        match rng.random_range(0..3) {
            0 => json!({"N": whole.to_string()}),
            1 => json!({"N": format!("{whole}.5")}),
            _ => json!({"N": format!("{}.{:02}", whole, rng.random_range(1..99))}),
        }
    } else {
        let alphabet = ["a", "b", "ab", "abc", "b#", "c", "é", "z", "0", "9"];
        let parts = rng.random_range(1..4);
        let text: String = (0..parts)
            .map(|_| alphabet[rng.random_range(0..alphabet.len())])
            .collect();
        json!({"S": text})
    }
}

/// A random filter: (FilterExpression, its names and values).
fn random_filter(rng: &mut StdRng) -> Option<(String, Value, Value)> {
    let n = rng.random_range(-50..50).to_string();
    let filters: [(&str, Value, Value); 12] = [
        ("a > :v", json!({}), json!({":v": {"N": n}})),
        (
            "a BETWEEN :flo AND :fhi",
            json!({}),
            json!({":flo": {"N": "-10"}, ":fhi": {"N": "20"}}),
        ),
        ("b = :v", json!({}), json!({":v": {"S": "banana"}})),
        ("begins_with(b, :v)", json!({}), json!({":v": {"S": "ap"}})),
        (
            "contains(b, :v) OR c = :t",
            json!({}),
            json!({":v": {"S": "an"}, ":t": {"BOOL": true}}),
        ),
        (
            "attribute_exists(c) AND NOT c = :t",
            json!({}),
            json!({":t": {"BOOL": true}}),
        ),
        ("attribute_not_exists(a)", json!({}), json!({})),
        ("size(l) >= :v", json!({}), json!({":v": {"N": "2"}})),
        ("m.x < :v", json!({}), json!({":v": {"N": "3"}})),
        (
            "#b IN (:x, :y, :z)",
            json!({"#b": "b"}),
            json!({":x": {"S": "a"}, ":y": {"S": "blue"}, ":z": {"S": ""}}),
        ),
        ("contains(ss, :v)", json!({}), json!({":v": {"S": "apple"}})),
        (
            "attribute_type(a, :t)",
            json!({}),
            json!({":t": {"S": "N"}}),
        ),
    ];
    if rng.random_bool(0.4) {
        return None;
    }
    let (text, names, values) = filters[rng.random_range(0..filters.len())].clone();
    Some((text.to_string(), names, values))
}

/// Adds a random filter (or none) with its names and values.
fn add_random_filter(rng: &mut StdRng, request: &mut Value) {
    if let Some((filter, names, values)) = random_filter(rng) {
        request["FilterExpression"] = json!(filter);
        merge(request, "ExpressionAttributeNames", &names);
        merge(request, "ExpressionAttributeValues", &values);
    }
}

fn merge(into: &mut Value, key: &str, more: &Value) {
    if more.as_object().is_some_and(|m| !m.is_empty()) {
        let target = into
            .as_object_mut()
            .expect("request object")
            .entry(key)
            .or_insert_with(|| json!({}));
        for (k, v) in more.as_object().into_iter().flatten() {
            target[k] = v.clone();
        }
    }
}

fn random_query(rng: &mut StdRng, table: &str, numeric: bool, known: &[Value]) -> Value {
    let pk = format!("p{}", rng.random_range(0..PARTITIONS + 1));
    let mut request = json!({"TableName": table});
    let operand = |rng: &mut StdRng| {
        if !numeric && rng.random_bool(0.04) {
            // No key holds these: the servers must refuse the condition alike.
            let text = if rng.random_bool(0.5) {
                String::new()
            } else {
                "s".repeat(1025)
            };
            json!({ "S": text })
        } else if rng.random_bool(0.5) && !known.is_empty() {
            known[rng.random_range(0..known.len())].clone()
        } else {
            sort_value(rng, numeric)
        }
    };
    let (condition, mut values) = match rng.random_range(0..8) {
        0 => ("pk = :pk".to_string(), json!({})),
        1 if !numeric => {
            let prefix = ["a", "ab", "b", "é", "z9", ""][rng.random_range(0..6)];
            (
                "pk = :pk AND begins_with(sk, :s)".into(),
                json!({":s": {"S": prefix}}),
            )
        }
        2 => {
            let (mut lo, mut hi) = (operand(rng), operand(rng));
            let key = |v: &Value| -> (f64, String) {
                match (&v["N"], &v["S"]) {
                    (Value::String(n), _) => (n.parse().unwrap_or(0.0), String::new()),
                    (_, Value::String(s)) => (0.0, s.clone()),
                    _ => (0.0, String::new()),
                }
            };
            if key(&lo) > key(&hi) {
                std::mem::swap(&mut lo, &mut hi);
            }
            (
                "pk = :pk AND sk BETWEEN :lo AND :hi".into(),
                json!({":lo": lo, ":hi": hi}),
            )
        }
        _ => {
            let op = ["=", "<", "<=", ">", ">="][rng.random_range(0..5)];
            (
                format!("pk = :pk AND sk {op} :s"),
                json!({":s": operand(rng)}),
            )
        }
    };
    values[":pk"] = json!({"S": if rng.random_bool(0.03) { "" } else { &pk }});
    let legacy = rng.random_bool(0.15);
    if legacy {
        // The same key condition in the legacy form, when it converts simply.
        let mut conditions =
            json!({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [values[":pk"]]}});
        if condition.contains("sk") {
            let (op, list) = if condition.contains("BETWEEN") {
                ("BETWEEN", json!([values[":lo"], values[":hi"]]))
            } else if condition.contains("begins_with") {
                ("BEGINS_WITH", json!([values[":s"]]))
            } else {
                let op = condition.rsplit(' ').nth(1).unwrap_or("=");
                let name = match op {
                    "<" => "LT",
                    "<=" => "LE",
                    ">" => "GT",
                    ">=" => "GE",
                    _ => "EQ",
                };
                (name, json!([values[":s"]]))
            };
            conditions["sk"] = json!({"ComparisonOperator": op, "AttributeValueList": list});
        }
        request["KeyConditions"] = conditions;
        if rng.random_bool(0.5) {
            request["QueryFilter"] = json!({"a": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "0"}]},
                                           "b": {"ComparisonOperator": "NOT_NULL"}});
            request["ConditionalOperator"] = json!(if rng.random_bool(0.5) { "OR" } else { "AND" });
        }
    } else {
        request["KeyConditionExpression"] = json!(condition);
        request["ExpressionAttributeValues"] = values;
        add_random_filter(rng, &mut request);
    }
    add_read_options(rng, &mut request, legacy);
    if rng.random_bool(0.3) {
        request["ScanIndexForward"] = json!(false);
    }
    request
}

/// A Limit of 1 to 24, now and then with a fraction, as a JavaScript
/// client that computes it sends one (DynamoDB's JSON protocol truncates it).
fn random_limit(rng: &mut StdRng) -> Value {
    let limit = rng.random_range(1..25);
    if rng.random_bool(0.2) {
        json!(f64::from(limit) + 0.5)
    } else {
        json!(limit)
    }
}

fn add_read_options(rng: &mut StdRng, request: &mut Value, legacy: bool) {
    if rng.random_bool(0.5) {
        request["Limit"] = random_limit(rng);
    }
    match rng.random_range(0..4) {
        0 => request["Select"] = json!("COUNT"),
        1 if legacy => request["AttributesToGet"] = json!(["a", "sk", "m"]),
        1 => request["ProjectionExpression"] = json!("a, sk, m.x, l[1]"),
        _ => {}
    }
    if rng.random_bool(0.3) {
        request["ConsistentRead"] = json!(true);
    }
}

fn random_scan(rng: &mut StdRng, table: &str) -> Value {
    let mut request = json!({"TableName": table});
    let legacy = rng.random_bool(0.2);
    if legacy {
        request["ScanFilter"] =
            json!({"a": {"ComparisonOperator": "LE", "AttributeValueList": [{"N": "10"}]}});
    } else {
        add_random_filter(rng, &mut request);
    }
    add_read_options(rng, &mut request, legacy);
    if rng.random_bool(0.3) {
        let total = rng.random_range(1..5);
        request["TotalSegments"] = json!(total);
        request["Segment"] = json!(rng.random_range(0..total));
    }
    request
}

/// The table's secondary indexes: (name, partition key, sort key).
const INDEXES: [(&str, &str, Option<&str>); 3] = [
    ("gsi", "gpk", Some("gsk")),
    ("gsi_keys", "gpk", None),
    ("lsi", "pk", Some("lsk")),
];

fn random_index_query(rng: &mut StdRng, table: &str) -> (Value, &'static str) {
    let (index, hash, range) = INDEXES[rng.random_range(0..INDEXES.len())];
    let mut request = json!({"TableName": table, "IndexName": index,
                             "ExpressionAttributeNames": {"#h": hash}});
    let hash_value = if hash == "pk" {
        json!({"S": format!("p{}", rng.random_range(0..PARTITIONS))})
    } else {
        json!({"S": format!("g{}", rng.random_range(0..4))})
    };
    let hash_value = if rng.random_bool(0.04) {
        json!({"S": ""})
    } else {
        hash_value
    };
    let mut values = json!({":h": hash_value});
    let mut condition = "#h = :h".to_string();
    if let Some(range) = range.filter(|_| rng.random_bool(0.6)) {
        request["ExpressionAttributeNames"]["#r"] = json!(range);
        let operand = |rng: &mut StdRng| {
            if range == "gsk" {
                json!({"N": rng.random_range(-20..20).to_string()})
            } else {
                let prefixes = ["a", "ab", "apple", "b", "blue", ""];
                json!({"S": prefixes[rng.random_range(0..prefixes.len())]})
            }
        };
        match rng.random_range(0..4) {
            0 if range == "lsk" => {
                condition += " AND begins_with(#r, :r)";
                values[":r"] = json!({"S": "a"});
            }
            1 => {
                let (lo, hi) = if range == "gsk" {
                    let a = rng.random_range(-20..20);
                    (
                        json!({"N": a.to_string()}),
                        json!({"N": (a + 8).to_string()}),
                    )
                } else {
                    (json!({"S": "a"}), json!({"S": "b"}))
                };
                condition += " AND #r BETWEEN :lo AND :hi";
                values[":lo"] = lo;
                values[":hi"] = hi;
            }
            _ => {
                let op = ["=", "<", "<=", ">", ">="][rng.random_range(0..5)];
                condition += &format!(" AND #r {op} :r");
                values[":r"] = operand(rng);
            }
        }
    }
    request["KeyConditionExpression"] = json!(condition);
    request["ExpressionAttributeValues"] = values;
    add_random_filter(rng, &mut request);
    if rng.random_bool(0.5) {
        request["Limit"] = random_limit(rng);
    }
    match rng.random_range(0..5) {
        0 => request["Select"] = json!("COUNT"),
        1 => request["Select"] = json!("ALL_PROJECTED_ATTRIBUTES"),
        2 => request["ProjectionExpression"] = json!("a, sk, gsk, lsk"),
        _ => {}
    }
    if index == "lsi" && rng.random_bool(0.3) {
        request["ConsistentRead"] = json!(true);
    }
    if rng.random_bool(0.3) {
        request["ScanIndexForward"] = json!(false);
    }
    (request, range.unwrap_or(hash))
}

/// Every page of a request on one server; for a parallel scan, of every
/// segment in turn (one segment alone holds different items on each).
fn pages(address: &str, operation: &str, request: &Value) -> Result<Vec<Value>, (u16, Value)> {
    if let Some(total) = request["TotalSegments"].as_i64() {
        let mut all = Vec::new();
        for segment in 0..total {
            let mut one = request.clone();
            one["Segment"] = json!(segment);
            all.extend(segment_pages(address, operation, &one)?);
        }
        return Ok(all);
    }
    segment_pages(address, operation, request)
}

fn segment_pages(
    address: &str,
    operation: &str,
    request: &Value,
) -> Result<Vec<Value>, (u16, Value)> {
    let mut request = request.clone();
    let mut out = Vec::new();
    loop {
        let (status, mut page) = call(address, operation, &request);
        if status != 200 {
            return Err((status, page));
        }
        normalize(&mut page);
        let next = page.get("LastEvaluatedKey").cloned();
        if let Some(map) = page.as_object_mut() {
            map.remove("ConsumedCapacity");
        }
        out.push(page);
        match next {
            Some(key) if out.len() < 1000 => request["ExclusiveStartKey"] = key,
            _ => return Ok(out),
        }
    }
}

fn is_filtered(request: &Value) -> bool {
    request.get("FilterExpression").is_some() || request.get("QueryFilter").is_some()
}

/// A page without its items' contents, for readable failures.
fn page_summary(page: &Value) -> String {
    let keys: Vec<String> = page["Items"]
        .as_array()
        .map(|items| items.iter().map(|i| i["sk"].to_string()).collect())
        .unwrap_or_default();
    format!(
        "Count {} ScannedCount {} LastEvaluatedKey {} sort keys {:?}",
        page["Count"], page["ScannedCount"], page["LastEvaluatedKey"], keys
    )
}

/// All items in order and the totals of a paged Query.
fn query_summary(pages: &[Value]) -> (i64, i64, Vec<String>) {
    let count = pages
        .iter()
        .map(|p| p["Count"].as_i64().unwrap_or(-1))
        .sum();
    let scanned = pages
        .iter()
        .map(|p| p["ScannedCount"].as_i64().unwrap_or(-1))
        .sum();
    let items = pages
        .iter()
        .flat_map(|p| p["Items"].as_array().cloned().unwrap_or_default())
        .map(|i| i.to_string())
        .collect();
    (count, scanned, items)
}

fn scan_summary(pages: &[Value]) -> (i64, i64, Vec<String>) {
    let count = pages
        .iter()
        .map(|p| p["Count"].as_i64().unwrap_or(-1))
        .sum();
    let scanned = pages
        .iter()
        .map(|p| p["ScannedCount"].as_i64().unwrap_or(-1))
        .sum();
    let mut items: Vec<String> = pages
        .iter()
        .flat_map(|p| p["Items"].as_array().cloned().unwrap_or_default())
        .map(|i| i.to_string())
        .collect();
    items.sort();
    (count, scanned, items)
}

/// A paged index Query as far as DynamoDB defines it: items with the same
/// index key come in no specified order (DynamoDB Local and dynalith order
/// them differently), so the items are compared as a set, and their order
/// through the sequence of index sort-key values.
fn index_summary(pages: &[Value], sort_attribute: &str) -> (i64, i64, Vec<String>, Vec<String>) {
    let (count, scanned, mut items) = query_summary(pages);
    let order = pages
        .iter()
        .flat_map(|p| p["Items"].as_array().cloned().unwrap_or_default())
        .map(|i| i[sort_attribute].to_string())
        .collect();
    items.sort();
    (count, scanned, items, order)
}

#[tokio::test]
async fn query_and_scan_match_the_reference_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(common::Differential {
        server: _server,
        ours,
        theirs,
        seed,
    }) = common::differential("Query/Scan", Some(dir.path()))
    else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut tables = Vec::new();
    for numeric in [true, false] {
        let table = common::unique_table(if numeric { "diff_n" } else { "diff_s" });
        let create = json!({
            "TableName": table, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "sk", "AttributeType": if numeric { "N" } else { "S" }},
                                     {"AttributeName": "gpk", "AttributeType": "S"},
                                     {"AttributeName": "gsk", "AttributeType": "N"},
                                     {"AttributeName": "lsk", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [
                {"IndexName": "gsi", "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}, {"AttributeName": "gsk", "KeyType": "RANGE"}],
                 "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]}},
                {"IndexName": "gsi_keys", "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                 "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            "LocalSecondaryIndexes": [
                {"IndexName": "lsi", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lsk", "KeyType": "RANGE"}],
                 "Projection": {"ProjectionType": "ALL"}}],
        });
        for address in [&ours, &theirs] {
            let (status, body) = call(address, "CreateTable", &create);
            assert_eq!(status, 200, "{address}: {body}");
        }
        let mut known = Vec::new();
        for p in 0..PARTITIONS {
            for _ in 0..rng.random_range(5..90) {
                let sort = sort_value(&mut rng, numeric);
                known.push(sort.clone());
                let item = random_item(&mut rng, &format!("p{p}"), &sort);
                let put = json!({"TableName": table, "Item": item});
                for address in [&ours, &theirs] {
                    let (status, body) = call(address, "PutItem", &put);
                    assert_eq!(status, 200, "{address}: {body}");
                }
            }
        }
        tables.push((table, numeric, known));
    }

    let (mut queries, mut scans, mut compared_pages, mut rejected) = (0, 0, 0, 0);
    let mut index_queries = 0;
    for round in 0..500 {
        let (table, numeric, known) = &tables[round % tables.len()];
        let mut index_sort_key = None;
        let (operation, request) = match round % 5 {
            3 => ("Scan", random_scan(&mut rng, table)),
            4 => {
                let (request, sort_key) = random_index_query(&mut rng, table);
                index_sort_key = Some(sort_key);
                ("Query", request)
            }
            _ => ("Query", random_query(&mut rng, table, *numeric, known)),
        };
        let (mine, reference) = (
            pages(&ours, operation, &request),
            pages(&theirs, operation, &request),
        );
        match (mine, reference) {
            (Ok(mine), Ok(reference)) if index_sort_key.is_some() => {
                let sort_key = index_sort_key.unwrap_or_default();
                assert_eq!(
                    index_summary(&mine, sort_key),
                    index_summary(&reference, sort_key),
                    "{request}"
                );
                // The key attributes a page's LastEvaluatedKey names
                // (table key and index key), where both stop early.
                let names = |pages: &[Value]| {
                    pages[0]["LastEvaluatedKey"]
                        .as_object()
                        .map(|key| key.keys().cloned().collect::<Vec<_>>())
                };
                if let (Some(m), Some(r)) = (names(&mine), names(&reference)) {
                    assert_eq!(m, r, "LastEvaluatedKey of {request}");
                }
                compared_pages += mine.len();
                index_queries += 1;
            }
            (Ok(mine), Ok(reference)) if operation == "Query" && is_filtered(&request) => {
                // DynamoDB Local applies the 1 MB cap to the items the
                // filter keeps; DynamoDB applies it to the data read, before
                // the filter ("A single Query operation can retrieve a
                // maximum of 1 MB of data. This limit applies before any
                // FilterExpression or ProjectionExpression is applied to the
                // results", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html),
                // as dynalith does. Page boundaries then differ on large
                // partitions; what the pages add up to must not.
                assert_eq!(query_summary(&mine), query_summary(&reference), "{request}");
                compared_pages += mine.len();
                queries += 1;
            }
            (Ok(mine), Ok(reference)) if operation == "Query" => {
                for (i, (m, r)) in mine.iter().zip(&reference).enumerate() {
                    if m != r {
                        panic!(
                            "page {i} of {request} differs:\nours: {}\nreference: {}",
                            page_summary(m),
                            page_summary(r)
                        );
                    }
                }
                assert_eq!(mine.len(), reference.len(), "page count of {request}");
                compared_pages += mine.len();
                queries += 1;
            }
            (Ok(mine), Ok(reference)) => {
                assert_eq!(scan_summary(&mine), scan_summary(&reference), "{request}");
                compared_pages += mine.len();
                scans += 1;
            }
            (Err((m, mine)), Err((r, reference))) => {
                assert_eq!(m, r, "{request}");
                let text = |v: &Value| {
                    v["message"]
                        .as_str()
                        .or(v["Message"].as_str())
                        .unwrap_or_default()
                        .to_string()
                };
                eprintln!(
                    "rejected by both: {request}\n  ours: {}\n  reference: {}",
                    text(&mine),
                    text(&reference)
                );
                rejected += 1;
            }
            (mine, reference) => panic!(
                "{request}\nours: {:?}\nreference: {:?}",
                mine.map(|p| p.len()),
                reference.map(|p| p.len())
            ),
        }
    }
    eprintln!(
        "differential: seed {seed}: {queries} queries, {index_queries} index queries and {scans} scans agreed over {compared_pages} pages; {rejected} rejected by both"
    );
    for (table, ..) in &tables {
        for address in [&ours, &theirs] {
            call(address, "DeleteTable", &json!({"TableName": table}));
        }
    }
}
