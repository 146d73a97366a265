//! Scan through the AWS SDK: parallel scans covering a table exactly once,
//! paginators with filters, projections, Select and Limit, legacy
//! ScanFilter, the 1 MB page cap, paging under concurrent writes, and
//! DynamoDB's validation errors.
//!
//! DYNALITH_SCAN_ITEMS sets the parallel-scan table size (default 20000;
//! run with 100000 by hand for the full check).

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, ComparisonOperator, Condition, ReturnConsumedCapacity,
    ScalarAttributeType, Select,
};
use common::{create_table, put_all, unique_table, Server};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

type Item = HashMap<String, Av>;

fn s(v: &str) -> Av {
    Av::S(v.to_string())
}

fn n(v: &str) -> Av {
    Av::N(v.to_string())
}

fn id_of(item: &Item) -> String {
    match &item["pk"] {
        Av::S(v) => v.clone(),
        other => panic!("pk {other:?}"),
    }
}

#[tokio::test]
async fn parallel_scans_cover_the_table_exactly_once() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("parallel");
    create_table(&client, &table, None).await;
    let count: usize = std::env::var("DYNALITH_SCAN_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let items: Vec<Item> = (0..count)
        .map(|i| HashMap::from([("pk".to_string(), s(&format!("item-{i}")))]))
        .collect();
    put_all(&client, &table, items).await;
    let started = std::time::Instant::now();
    for total in 1..=16 {
        let mut scans = Vec::new();
        for segment in 0..total {
            let (client, table) = (client.clone(), table.clone());
            scans.push(tokio::spawn(async move {
                let pages: Vec<_> = client
                    .scan()
                    .table_name(&table)
                    .segment(segment)
                    .total_segments(total)
                    .set_limit((segment % 2 == 1).then_some(997))
                    .into_paginator()
                    .send()
                    .try_collect()
                    .await
                    .unwrap();
                pages
                    .into_iter()
                    .flat_map(|p| p.items.unwrap_or_default())
                    .map(|i| id_of(&i))
                    .collect::<Vec<String>>()
            }));
        }
        let mut seen = HashSet::with_capacity(count);
        let mut empty_segments = 0;
        for scan in scans {
            let ids = scan.await.unwrap();
            empty_segments += usize::from(ids.is_empty());
            for id in ids {
                assert!(seen.insert(id.clone()), "{id} twice with {total} segments");
            }
        }
        assert_eq!(seen.len(), count, "{total} segments");
        // Segments are even slices of the hash space: none is empty here.
        assert_eq!(empty_segments, 0, "{total} segments");
    }
    eprintln!(
        "parallel scans of {count} items with 1..=16 segments: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn scan_paginators_with_filters_projections_and_select() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("scanpages");
    create_table(&client, &table, Some(ScalarAttributeType::N)).await;
    let items: Vec<Item> = (0..150)
        .map(|i| {
            HashMap::from([
                ("pk".to_string(), s(&format!("p{}", i % 13))),
                ("sk".to_string(), n(&i.to_string())),
                ("odd".to_string(), Av::Bool(i % 2 == 1)),
                ("blob".to_string(), s(&"y".repeat(i))),
            ])
        })
        .collect();
    put_all(&client, &table, items.clone()).await;
    let key = |i: &Item| format!("{:?}/{:?}", i["pk"], i["sk"]);
    for select in [None, Some(Select::Count), Some(Select::SpecificAttributes)] {
        for limit in [None, Some(1), Some(16), Some(150)] {
            for filter in [false, true] {
                let projection =
                    (select == Some(Select::SpecificAttributes)).then_some("pk, sk, odd");
                let mut request = client
                    .scan()
                    .table_name(&table)
                    .set_select(select.clone())
                    .set_limit(limit)
                    .set_projection_expression(projection.map(String::from));
                if filter {
                    request = request
                        .filter_expression("#o = :t")
                        .expression_attribute_names("#o", "odd")
                        .expression_attribute_values(":t", Av::Bool(true));
                }
                let pages: Vec<_> = request.into_paginator().send().try_collect().await.unwrap();
                let label = format!("{select:?} {limit:?} {filter}");
                let expected: Vec<&Item> = items
                    .iter()
                    .filter(|i| !filter || i["odd"] == Av::Bool(true))
                    .collect();
                let count: i32 = pages.iter().map(|p| p.count).sum();
                let scanned: i32 = pages.iter().map(|p| p.scanned_count).sum();
                assert_eq!((count as usize, scanned), (expected.len(), 150), "{label}");
                if let Some(l) = limit {
                    assert_eq!(pages.len(), 150 / l as usize + 1, "{label}");
                }
                if select == Some(Select::Count) {
                    continue;
                }
                let mut got: Vec<Item> = pages.into_iter().flat_map(|p| p.items.unwrap()).collect();
                got.sort_by_key(key);
                let mut want: Vec<Item> = expected
                    .into_iter()
                    .map(|i| {
                        let mut i = i.clone();
                        if projection.is_some() {
                            i.remove("blob");
                        }
                        i
                    })
                    .collect();
                want.sort_by_key(key);
                assert_eq!(got, want, "{label}");
            }
        }
    }
    // Legacy ScanFilter with AttributesToGet.
    let cond = |op, values| {
        Condition::builder()
            .comparison_operator(op)
            .set_attribute_value_list(Some(values))
            .build()
            .unwrap()
    };
    let out = client
        .scan()
        .table_name(&table)
        .scan_filter("sk", cond(ComparisonOperator::Lt, vec![n("10")]))
        .scan_filter("pk", cond(ComparisonOperator::In, vec![s("p1"), s("p2")]))
        .attributes_to_get("sk")
        .send()
        .await
        .unwrap();
    let mut got: Vec<Av> = out.items().iter().map(|i| i["sk"].clone()).collect();
    got.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(got, vec![n("1"), n("2")]);
}

#[tokio::test]
async fn scan_pages_stop_after_one_megabyte() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("scanmb");
    create_table(&client, &table, None).await;
    let big = "z".repeat(200_000);
    let items: Vec<Item> = (0..12)
        .map(|i| {
            HashMap::from([
                ("pk".to_string(), s(&format!("k{i}"))),
                ("d".to_string(), s(&big)),
            ])
        })
        .collect();
    put_all(&client, &table, items).await;
    let pages: Vec<_> = client
        .scan()
        .table_name(&table)
        .select(Select::Count)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .into_paginator()
        .send()
        .try_collect()
        .await
        .unwrap();
    let counts: Vec<i32> = pages.iter().map(|p| p.scanned_count).collect();
    // ~200 KB items: the 6th crosses 1 MB.
    assert_eq!(counts, [6, 6]);
    assert!(pages[0].last_evaluated_key.is_some() && pages[1].last_evaluated_key.is_none());
}

#[tokio::test]
async fn scan_paging_is_exact_under_concurrent_writes() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("scanconc");
    create_table(&client, &table, None).await;
    let stable: Vec<Item> = (0..300)
        .map(|i| HashMap::from([("pk".to_string(), s(&format!("stable-{i}")))]))
        .collect();
    put_all(&client, &table, stable).await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (client, table, stop) = (client.clone(), table.clone(), stop.clone());
        tokio::spawn(async move {
            let mut round = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let pk = s(&format!("churn-{}", round % 97));
                if round.is_multiple_of(2) {
                    client
                        .put_item()
                        .table_name(&table)
                        .item("pk", pk)
                        .send()
                        .await
                        .unwrap();
                } else {
                    client
                        .delete_item()
                        .table_name(&table)
                        .key("pk", pk)
                        .send()
                        .await
                        .unwrap();
                }
                round += 1;
            }
        })
    };
    for (limit, total) in [(5, None), (13, Some(3)), (1, Some(2))] {
        let mut seen = Vec::new();
        for segment in 0..total.unwrap_or(1) {
            let pages: Vec<_> = client
                .scan()
                .table_name(&table)
                .limit(limit)
                .set_segment(total.map(|_| segment))
                .set_total_segments(total)
                .into_paginator()
                .send()
                .try_collect()
                .await
                .unwrap();
            seen.extend(
                pages
                    .into_iter()
                    .flat_map(|p| p.items.unwrap_or_default())
                    .map(|i| id_of(&i)),
            );
        }
        seen.retain(|id| id.starts_with("stable-"));
        let unique: HashSet<&String> = seen.iter().collect();
        assert_eq!((seen.len(), unique.len()), (300, 300), "limit {limit}");
    }
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();
}

#[tokio::test]
async fn scan_validation_errors_match_dynamodb() {
    let server = Server::start();
    let address = server.address();
    let table = unique_table("serrors");
    let create = format!(
        r#"{{"TableName":"{table}","BillingMode":"PAY_PER_REQUEST","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}}],"AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}}]}}"#
    );
    assert_eq!(common::call(&address, "CreateTable", &create).status, 200);
    for i in 0..20 {
        let put =
            format!(r#"{{"TableName":"{table}","Item":{{"pk":{{"S":"k{i}"}},"m":{{"M":{{}}}}}}}}"#);
        assert_eq!(common::call(&address, "PutItem", &put).status, 200);
    }
    // A key from segment 1 of 2, to misuse in segment 0.
    let segment_one = common::call(
        &address,
        "Scan",
        &format!(r#"{{"TableName":"{table}","Segment":1,"TotalSegments":2,"Limit":1}}"#),
    )
    .json()["LastEvaluatedKey"]
        .to_string();
    // (members, message, same wording in DynamoDB Local)
    let cases: Vec<(String, String, bool)> = vec![
        (r#""Segment":1"#.into(), "The TotalSegments parameter is required but was not present in the request when Segment parameter is present".into(), false),
        (r#""TotalSegments":2"#.into(), "The Segment parameter is required but was not present in the request when parameter TotalSegments is present".into(), false),
        (r#""Segment":2,"TotalSegments":2"#.into(), "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 2 is not less than TotalSegments: 2".into(), false),
        (r#""Segment":0,"TotalSegments":1000001"#.into(), "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000".into(), true),
        (r#""Segment":-1,"TotalSegments":0"#.into(), "2 validation errors detected: Value '-1' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0; Value '0' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal to 1".into(), false),
        (r#""Select":"ALL_PROJECTED_ATTRIBUTES""#.into(), "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName".into(), true),
        (r#""Select":"COUNT","AttributesToGet":["a"]"#.into(), "Cannot specify the AttributesToGet when choosing to get only the Count".into(), true),
        (r#""IndexName":"nope""#.into(), "The table does not have the specified index: nope".into(), true),
        (r#""ScanFilter":{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}},"FilterExpression":"a = :a","ExpressionAttributeValues":{":a":{"S":"a"}}"#.into(), "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}".into(), true),
        (r#""FilterExpression":"pk.x = :a","ExpressionAttributeValues":{":a":{"S":"a"}}"#.into(), "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk".into(), false),
        (r#""ExclusiveStartKey":{"pk":{"N":"1"}}"#.into(), "The provided starting key is invalid: The provided key element does not match the schema".into(), false),
        (r#""ExclusiveStartKey":{"pk":{"S":"a"},"x":{"S":"b"}}"#.into(), "The provided starting key is invalid: The provided key element does not match the schema".into(), false),
        (format!(r#""Segment":0,"TotalSegments":2,"ExclusiveStartKey":{segment_one}"#), "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: 2 Segment: 0".into(), false),
    ];
    for (members, message, same_in_local) in cases {
        let body = format!(r#"{{"TableName":"{table}",{members}}}"#);
        let response = common::call(&address, "Scan", &body);
        assert_eq!(response.status, 400, "{body}");
        let json = response.json();
        let got = json["message"]
            .as_str()
            .or(json["Message"].as_str())
            .unwrap_or_default();
        if server.is_ours() || same_in_local {
            assert_eq!(got, message, "{body}");
        }
    }
}
