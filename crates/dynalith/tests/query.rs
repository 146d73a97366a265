//! Query through the AWS SDK: every key-condition operator on S, N and B
//! sort keys in both directions, paging (Limit, the 1 MB cap, SDK
//! paginators) with filters, projections and Select, legacy parameters,
//! DynamoDB's validation errors, and paging under concurrent writes.

mod common;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, ComparisonOperator, Condition, ConditionalOperator, PutRequest,
    ReturnConsumedCapacity, ScalarAttributeType, Select, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::{create_table, error_code, error_message, unique_table, Server};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering as AtomicOrdering};
use std::sync::Arc;

type Item = HashMap<String, Av>;

fn s(v: &str) -> Av {
    Av::S(v.to_string())
}

fn n(v: &str) -> Av {
    Av::N(v.to_string())
}

fn b(v: &[u8]) -> Av {
    Av::B(Blob::new(v.to_vec()))
}

/// A legacy KeyConditions / QueryFilter condition.
fn condition(operator: ComparisonOperator, values: Vec<Av>) -> Condition {
    Condition::builder()
        .comparison_operator(operator)
        .set_attribute_value_list(Some(values))
        .build()
        .unwrap()
}

/// A key condition, its operands, and which sort-key values it keeps.
type Check = (String, Vec<Av>, Box<dyn Fn(&Av) -> bool>);

/// DynamoDB's order of sort-key values of one type.
fn order(a: &Av, c: &Av) -> Ordering {
    match (a, c) {
        (Av::S(x), Av::S(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Av::N(x), Av::N(y)) => {
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            x.partial_cmp(&y).unwrap()
        }
        (Av::B(x), Av::B(y)) => x.as_ref().cmp(y.as_ref()),
        _ => panic!("mixed types"),
    }
}

fn starts_with(value: &Av, prefix: &Av) -> bool {
    match (value, prefix) {
        (Av::S(x), Av::S(p)) => x.starts_with(p.as_str()),
        (Av::B(x), Av::B(p)) => x.as_ref().starts_with(p.as_ref()),
        _ => false,
    }
}

async fn put_all(client: &Client, table: &str, items: Vec<Item>) {
    for chunk in items.chunks(25) {
        let put = |item: &Item| PutRequest::builder().set_item(Some(item.clone())).build();
        let requests = chunk
            .iter()
            .map(|item| {
                WriteRequest::builder()
                    .put_request(put(item).unwrap())
                    .build()
            })
            .collect();
        let request = client.batch_write_item().request_items(table, requests);
        let out = request.send().await.unwrap();
        assert!(out.unprocessed_items.unwrap_or_default().is_empty());
    }
}

/// Every page of a query, through the SDK paginator.
async fn all_pages(
    request: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
) -> Vec<aws_sdk_dynamodb::operation::query::QueryOutput> {
    request.into_paginator().send().try_collect().await.unwrap()
}

#[tokio::test]
async fn every_key_condition_operator_on_every_sort_type() {
    let server = Server::start();
    let client = server.client();
    let cases: Vec<(ScalarAttributeType, Vec<Av>, Vec<Av>)> = vec![
        (
            ScalarAttributeType::S,
            [
                "a", "aa", "ab", "ab\u{0}", "ab\u{0}c", "abc", "b", "ba", "z", "é", "\u{7f}",
            ]
            .map(s)
            .to_vec(),
            ["a", "ab", "ab\u{0}", "é", "x", "abcd"].map(s).to_vec(),
        ),
        (
            ScalarAttributeType::N,
            [
                "-1000", "-10.5", "-10", "-1", "-0.001", "0", "0.001", "1", "1.5", "10", "10.5",
                "100", "1e10",
            ]
            .map(n)
            .to_vec(),
            Vec::new(),
        ),
        (
            ScalarAttributeType::B,
            [
                &[0u8][..],
                &[0, 0],
                &[0, 1],
                &[1],
                &[1, 0],
                &[1, 255],
                &[255],
                &[255, 0],
                &[255, 255],
            ]
            .map(b)
            .to_vec(),
            [&[0u8][..], &[1], &[255], &[0, 0], &[255, 255, 1]]
                .map(b)
                .to_vec(),
        ),
    ];
    for (sort_type, values, prefixes) in cases {
        let table = unique_table("keyops");
        create_table(&client, &table, Some(sort_type.clone())).await;
        let mut items = Vec::new();
        for (i, value) in values.iter().enumerate() {
            for pk in ["p", "other"] {
                items.push(HashMap::from([
                    ("pk".to_string(), s(pk)),
                    ("sk".to_string(), value.clone()),
                    ("i".to_string(), n(&i.to_string())),
                ]));
            }
        }
        put_all(&client, &table, items).await;
        // Operands: every stored value and a few absent ones in between.
        let mut operands = values.clone();
        operands.extend(match sort_type {
            ScalarAttributeType::S => vec![s("ab\u{0}b"), s("c"), s("\u{1}")],
            ScalarAttributeType::N => vec![n("-5"), n("0.5"), n("-100000"), n("1e20")],
            _ => vec![b(&[0, 0, 0]), b(&[2]), b(&[254, 255])],
        });
        let mut checks: Vec<Check> = Vec::new();
        for operand in &operands {
            for op in ["=", "<", "<=", ">", ">="] {
                let o = operand.clone();
                let keep: Box<dyn Fn(&Av) -> bool> = match op {
                    "=" => Box::new(move |v| order(v, &o) == Ordering::Equal),
                    "<" => Box::new(move |v| order(v, &o) == Ordering::Less),
                    "<=" => Box::new(move |v| order(v, &o) != Ordering::Greater),
                    ">" => Box::new(move |v| order(v, &o) == Ordering::Greater),
                    _ => Box::new(move |v| order(v, &o) != Ordering::Less),
                };
                checks.push((format!("sk {op} :a"), vec![operand.clone()], keep));
            }
            for high in &operands {
                if order(operand, high) == Ordering::Greater {
                    continue;
                }
                let (lo, hi) = (operand.clone(), high.clone());
                checks.push((
                    "sk BETWEEN :a AND :b".into(),
                    vec![operand.clone(), high.clone()],
                    Box::new(move |v| {
                        order(v, &lo) != Ordering::Less && order(v, &hi) != Ordering::Greater
                    }),
                ));
            }
        }
        for prefix in &prefixes {
            let p = prefix.clone();
            checks.push((
                "begins_with(sk, :a)".into(),
                vec![prefix.clone()],
                Box::new(move |v| starts_with(v, &p)),
            ));
        }
        for (condition, args, keep) in &checks {
            let mut expected: Vec<Av> = values.iter().filter(|v| keep(v)).cloned().collect();
            expected.sort_by(order);
            for forward in [true, false] {
                let mut request = client
                    .query()
                    .table_name(&table)
                    .key_condition_expression(format!("pk = :p AND {condition}"))
                    .expression_attribute_values(":p", s("p"))
                    .scan_index_forward(forward);
                for (name, arg) in [":a", ":b"].iter().zip(args) {
                    request = request.expression_attribute_values(*name, arg.clone());
                }
                let out = request.send().await.unwrap();
                let got: Vec<Av> = out.items().iter().map(|i| i["sk"].clone()).collect();
                let mut want = expected.clone();
                if !forward {
                    want.reverse();
                }
                assert_eq!(got.len(), want.len(), "{sort_type:?} {condition} {args:?}");
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!(order(g, w), Ordering::Equal, "{condition} {args:?}");
                }
                assert_eq!(out.count, want.len() as i32);
                assert!(out.last_evaluated_key.is_none());
            }
        }
    }
}

/// What one combination of Query parameters should return.
struct Combo {
    select: Option<Select>,
    projection: Option<&'static str>,
    limit: Option<i32>,
    filter: bool,
    forward: bool,
}

#[tokio::test]
async fn paginators_read_back_exactly_what_was_written() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("paging");
    create_table(&client, &table, Some(ScalarAttributeType::N)).await;
    const PER_PARTITION: usize = 60;
    let mut items = Vec::new();
    for pk in ["p0", "p1", "p2"] {
        for i in 0..PER_PARTITION {
            items.push(HashMap::from([
                ("pk".to_string(), s(pk)),
                ("sk".to_string(), n(&format!("{}", i as i64 - 20))),
                (
                    "tag".to_string(),
                    s(if i % 3 == 0 { "three" } else { "other" }),
                ),
                ("payload".to_string(), s(&"x".repeat(i * 10))),
            ]));
        }
    }
    put_all(&client, &table, items.clone()).await;
    let mut expected_p1: Vec<Item> = items.into_iter().filter(|i| i["pk"] == s("p1")).collect();
    expected_p1.sort_by(|a, c| order(&a["sk"], &c["sk"]));

    let mut combos = Vec::new();
    for (select, projection) in [
        (None, None),
        (Some(Select::AllAttributes), None),
        (Some(Select::Count), None),
        (Some(Select::SpecificAttributes), Some("sk, tag")),
        (None, Some("payload")),
    ] {
        for limit in [None, Some(1), Some(7), Some(20), Some(100)] {
            for filter in [false, true] {
                for forward in [true, false] {
                    combos.push(Combo {
                        select: select.clone(),
                        projection,
                        limit,
                        filter,
                        forward,
                    });
                }
            }
        }
    }
    for combo in combos {
        let mut request = client
            .query()
            .table_name(&table)
            .key_condition_expression("pk = :p")
            .expression_attribute_values(":p", s("p1"))
            .scan_index_forward(combo.forward)
            .set_select(combo.select.clone())
            .set_projection_expression(combo.projection.map(String::from))
            .set_limit(combo.limit);
        if combo.filter {
            request = request
                .filter_expression("tag = :t")
                .expression_attribute_values(":t", s("three"));
        }
        let pages = all_pages(request).await;
        let mut want: Vec<Item> = expected_p1
            .iter()
            .filter(|i| !combo.filter || i["tag"] == s("three"))
            .map(|i| match combo.projection {
                None => i.clone(),
                Some(p) => p
                    .split(", ")
                    .filter_map(|name| i.get(name).map(|v| (name.to_string(), v.clone())))
                    .collect(),
            })
            .collect();
        if !combo.forward {
            want.reverse();
        }
        let label = format!(
            "select {:?} projection {:?} limit {:?} filter {} forward {}",
            combo.select, combo.projection, combo.limit, combo.filter, combo.forward
        );
        let count: i32 = pages.iter().map(|p| p.count).sum();
        let scanned: i32 = pages.iter().map(|p| p.scanned_count).sum();
        assert_eq!(count as usize, want.len(), "{label}");
        assert_eq!(scanned as usize, PER_PARTITION, "{label}");
        // DynamoDB returns a LastEvaluatedKey whenever Limit is reached,
        // even on the last item, so an exact multiple costs one empty page.
        let expected_pages = match combo.limit {
            None => 1,
            Some(l) => PER_PARTITION / l as usize + 1,
        };
        assert_eq!(pages.len(), expected_pages, "{label}");
        if combo.select == Some(Select::Count) {
            assert!(pages.iter().all(|p| p.items.is_none()), "{label}");
        } else {
            let got: Vec<Item> = pages.into_iter().flat_map(|p| p.items.unwrap()).collect();
            assert_eq!(got, want, "{label}");
        }
    }

    // The item paginator yields the same items.
    let items: Vec<Item> = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p1"))
        .limit(9)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items, expected_p1);
}

#[tokio::test]
async fn pages_stop_after_one_megabyte_of_data_read() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("megabyte");
    create_table(&client, &table, Some(ScalarAttributeType::N)).await;
    let big = "x".repeat(100_000);
    let items: Vec<Item> = (0..30)
        .map(|i| {
            HashMap::from([
                ("pk".to_string(), s("p")),
                ("sk".to_string(), n(&i.to_string())),
                ("d".to_string(), s(&big)),
            ])
        })
        .collect();
    put_all(&client, &table, items).await;
    for select in [Select::Count, Select::AllAttributes] {
        let pages = all_pages(
            client
                .query()
                .table_name(&table)
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", s("p"))
                .select(select.clone())
                .return_consumed_capacity(ReturnConsumedCapacity::Total),
        )
        .await;
        // About 100 KB each: the 11th item crosses 1 MB and ends the page
        // (the numbers DynamoDB Local gives for the same items).
        let counts: Vec<i32> = pages.iter().map(|p| p.scanned_count).collect();
        assert_eq!(counts, [11, 11, 8], "{select:?}");
        let units: Vec<f64> = pages
            .iter()
            .map(|p| {
                p.consumed_capacity
                    .as_ref()
                    .unwrap()
                    .capacity_units
                    .unwrap()
            })
            .collect();
        assert_eq!(units, [134.5, 134.5, 98.0], "{select:?}");
        assert!(pages[..2].iter().all(|p| p.last_evaluated_key.is_some()));
        assert!(pages[2].last_evaluated_key.is_none());
    }
    // The cap applies to the data read, before the filter (DynamoDB Local
    // applies it after the filter and reads all 30 items in one page).
    if server.is_ours() {
        let pages = all_pages(
            client
                .query()
                .table_name(&table)
                .key_condition_expression("pk = :p")
                .filter_expression("attribute_exists(nothing)")
                .expression_attribute_values(":p", s("p")),
        )
        .await;
        let counts: Vec<(i32, i32)> = pages.iter().map(|p| (p.count, p.scanned_count)).collect();
        assert_eq!(counts, [(0, 11), (0, 11), (0, 8)]);
    }
    // Capacity is charged on what was read, not what was returned.
    let out = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :p")
        .filter_expression("attribute_exists(nothing)")
        .expression_attribute_values(":p", s("p"))
        .limit(2)
        .consistent_read(true)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!((out.count, out.scanned_count), (0, 2));
    assert_eq!(out.consumed_capacity.unwrap().capacity_units, Some(49.0));
}

#[tokio::test]
async fn legacy_key_conditions_query_filter_and_attributes_to_get() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("legacy");
    create_table(&client, &table, Some(ScalarAttributeType::S)).await;
    let items: Vec<Item> = (0..10)
        .map(|i| {
            HashMap::from([
                ("pk".to_string(), s("p")),
                ("sk".to_string(), s(&format!("k{i}"))),
                ("n".to_string(), n(&i.to_string())),
                ("c".to_string(), s(if i < 5 { "low" } else { "high" })),
            ])
        })
        .collect();
    put_all(&client, &table, items).await;
    let out = client
        .query()
        .table_name(&table)
        .key_conditions("pk", condition(ComparisonOperator::Eq, vec![s("p")]))
        .key_conditions(
            "sk",
            condition(ComparisonOperator::Between, vec![s("k2"), s("k8")]),
        )
        .query_filter("n", condition(ComparisonOperator::Ge, vec![n("4")]))
        .query_filter("c", condition(ComparisonOperator::Eq, vec![s("low")]))
        .conditional_operator(ConditionalOperator::Or)
        .attributes_to_get("sk")
        .scan_index_forward(false)
        .send()
        .await
        .unwrap();
    let got: Vec<Av> = out.items().iter().map(|i| i["sk"].clone()).collect();
    assert_eq!(
        got,
        ["k8", "k7", "k6", "k5", "k4", "k3", "k2"].map(s).to_vec()
    );
    assert!(out.items().iter().all(|i| i.len() == 1));
    let out = client
        .query()
        .table_name(&table)
        .key_conditions("pk", condition(ComparisonOperator::Eq, vec![s("p")]))
        .key_conditions(
            "sk",
            condition(ComparisonOperator::BeginsWith, vec![s("k1")]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(out.count, 1);
    let error = client
        .query()
        .table_name(&table)
        .key_conditions("pk", condition(ComparisonOperator::Eq, vec![s("p")]))
        .key_conditions("sk", condition(ComparisonOperator::NotNull, vec![]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    if server.is_ours() {
        assert_eq!(
            error_message(&error),
            "Attempted conditional constraint is not an indexable operation"
        );
    }
}

#[tokio::test]
async fn validation_errors_match_dynamodb() {
    let server = Server::start();
    let table = unique_table("qerrors");
    let address = server.address();
    // Raw requests carry their own credentials, which DynamoDB Local keeps
    // apart from the SDK's: create the table the same way.
    let create = format!(
        r#"{{"TableName":"{table}","BillingMode":"PAY_PER_REQUEST","KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}},{{"AttributeName":"sk","KeyType":"RANGE"}}],"AttributeDefinitions":[{{"AttributeName":"pk","AttributeType":"S"}},{{"AttributeName":"sk","AttributeType":"N"}}]}}"#
    );
    assert_eq!(common::call(&address, "CreateTable", &create).status, 200);
    let kc = r#""KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{":p":{"S":"a"}}"#;
    // (request members, message); DynamoDB Local words the starred ones
    // differently, so those are only checked against our server.
    let cases: Vec<(String, &str, bool)> = vec![
        (String::new(), "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.", true),
        (format!(r#"{kc},"Select":"ALL_PROJECTED_ATTRIBUTES""#), "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName", true),
        (format!(r#"{kc},"IndexName":"idx""#), "The table does not have the specified index: idx", true),
        (format!(r#"{kc},"Select":"SPECIFIC_ATTRIBUTES""#), "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES", true),
        (format!(r#"{kc},"Select":"COUNT","ProjectionExpression":"a""#), "Cannot specify the ProjectionExpression when choosing to get only the Count", true),
        (format!(r#"{kc},"Select":"ALL_ATTRIBUTES","ProjectionExpression":"a""#), "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES", true),
        (format!(r#"{kc},"AttributesToGet":["a"]"#), "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {KeyConditionExpression}", true),
        (format!(r#"{kc},"FilterExpression":"sk > :p""#), "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk", true),
        (r#""KeyConditions":{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}},"QueryFilter":{"sk":{"ComparisonOperator":"NOT_NULL"}}"#.into(), "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk", true),
        (r#""KeyConditions":{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}},"ProjectionExpression":"v","ExpressionAttributeValues":{":a":{"S":"x"}}"#.into(), "ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null", true),
        (format!(r#"{kc},"Limit":0"#), "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", false),
        (r#""KeyConditions":{}"#.into(), "Conditions can be of length 1 or 2 only", false),
        (r#""KeyConditions":{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]},"sk":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"1"}]},"x":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"1"}]}}"#.into(), "Conditions can be of length 1 or 2 only", true),
        // DynamoDB's words, recorded by the paritysuite suite (2026).
        (r#""KeyConditionExpression":"pk = :p AND sk > :a AND sk < :b","ExpressionAttributeValues":{":p":{"S":"a"},":a":{"N":"1"},":b":{"N":"5"}}"#.into(), "Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key", false),
        (r#""KeyConditionExpression":"pk = :p AND sk > :a AND x = :b","ExpressionAttributeValues":{":p":{"S":"a"},":a":{"N":"1"},":b":{"N":"5"}}"#.into(), "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)", false),
        (r#""KeyConditions":{"pk":{"ComparisonOperator":"GT","AttributeValueList":[{"S":"a"}]}}"#.into(), "Query key condition not supported", true),
        (r#""KeyConditionExpression":"pk = :p AND sk > :s","ExpressionAttributeValues":{":p":{"S":"a"},":s":{"S":"1"}}"#.into(), "One or more parameter values were invalid: Condition parameter type does not match schema type", true),
        (format!(r#"{kc},"ExclusiveStartKey":{{"pk":{{"S":"a"}}}}"#), "The provided starting key is invalid", false),
        (format!(r#"{kc},"ExclusiveStartKey":{{"pk":{{"S":"a"}},"sk":{{"S":"x"}}}}"#), "The provided key element does not match the schema", false),
        (format!(r#"{kc},"ExclusiveStartKey":{{"pk":{{"S":"b"}},"sk":{{"N":"1"}}}}"#), "The provided starting key is outside query boundaries based on provided conditions", false),
        (r#""KeyConditionExpression":"pk = :p AND sk > :s","ExpressionAttributeValues":{":p":{"S":"a"},":s":{"N":"3"}},"ExclusiveStartKey":{"pk":{"S":"a"},"sk":{"N":"1"}}"#.into(), "The provided starting key does not match the range key predicate", true),
    ];
    for (members, message, same_in_local) in cases {
        let sep = if members.is_empty() { "" } else { "," };
        let body = format!(r#"{{"TableName":"{table}"{sep}{members}}}"#);
        let response = common::call(&address, "Query", &body);
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

/// No key holds an empty string or binary, or a sort-key value over 1024
/// bytes: a key condition comparing a key with one is refused, naming the
/// attribute (and the index, when one is read), and a partition value over
/// 2048 bytes reads an empty partition (DynamoDB Local's answers; the first
/// was recorded from DynamoDB too). Before this, such Queries answered 200
/// with no items.
#[tokio::test]
async fn key_conditions_with_values_no_key_can_hold_are_refused() {
    use aws_sdk_dynamodb::types::{
        GlobalSecondaryIndex, KeyType, LocalSecondaryIndex, Projection, ProjectionType,
    };
    use common::{attribute_definition as attribute, key_element as key};
    let server = Server::start();
    let client = server.client();
    let table = unique_table("qkeys");
    let all = || {
        Projection::builder()
            .projection_type(ProjectionType::All)
            .build()
    };
    client
        .create_table()
        .table_name(&table)
        .billing_mode(aws_sdk_dynamodb::types::BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attribute("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute("sk", ScalarAttributeType::S))
        .attribute_definitions(attribute("g", ScalarAttributeType::B))
        .attribute_definitions(attribute("h", ScalarAttributeType::S))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("ByG")
                .key_schema(key("g", KeyType::Hash))
                .key_schema(key("h", KeyType::Range))
                .projection(all())
                .build()
                .unwrap(),
        )
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("ByH")
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("h", KeyType::Range))
                .projection(all())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create table");
    let item: Item = [
        ("pk", s("a")),
        ("sk", s("x")),
        ("g", b(b"g")),
        ("h", s("y")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(item))
        .send()
        .await
        .unwrap();

    let table_key = |kind: &str, name: &str| {
        format!("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {kind} value. Key: {name}")
    };
    let index_key = |kind: &str, index: &str, name: &str| {
        format!("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty {kind} value. IndexName: {index}, IndexKey: {name}")
    };
    let too_long = "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes".to_string();
    let long = "x".repeat(1025);
    // (index, key condition, its values, the refusal)
    type Case<'a> = (Option<&'a str>, &'a str, Vec<(&'a str, Av)>, String);
    let cases: Vec<Case> = vec![
        (
            None,
            "pk = :p",
            vec![(":p", s(""))],
            table_key("string", "pk"),
        ),
        (
            None,
            "pk = :p AND sk = :s",
            vec![(":p", s("")), (":s", s(""))],
            table_key("string", "pk"),
        ),
        (
            None,
            "pk = :p AND sk = :s",
            vec![(":p", s("")), (":s", s(&long))],
            table_key("string", "pk"),
        ),
        (
            None,
            "pk = :p AND sk < :s",
            vec![(":p", s("a")), (":s", s(""))],
            table_key("string", "sk"),
        ),
        (
            None,
            "pk = :p AND begins_with(sk, :s)",
            vec![(":p", s("a")), (":s", s(""))],
            table_key("string", "sk"),
        ),
        (
            None,
            "pk = :p AND sk BETWEEN :s AND :t",
            vec![(":p", s("a")), (":s", s("")), (":t", s("b"))],
            table_key("string", "sk"),
        ),
        (
            None,
            "pk = :p AND sk > :s",
            vec![(":p", s("a")), (":s", s(&long))],
            too_long.clone(),
        ),
        (
            None,
            "pk = :p AND begins_with(sk, :s)",
            vec![(":p", s("a")), (":s", s(&long))],
            too_long.clone(),
        ),
        // A sort attribute's sizes are checked before its empty values.
        (
            None,
            "pk = :p AND sk BETWEEN :s AND :t",
            vec![(":p", s("a")), (":s", s("")), (":t", s(&long))],
            too_long.clone(),
        ),
        (
            Some("ByG"),
            "g = :g",
            vec![(":g", b(b""))],
            index_key("binary", "ByG", "g"),
        ),
        (
            Some("ByG"),
            "g = :g AND h >= :h",
            vec![(":g", b(b"g")), (":h", s(""))],
            index_key("string", "ByG", "h"),
        ),
        (
            Some("ByG"),
            "g = :g AND h = :h",
            vec![(":g", b(b"g")), (":h", s(&long))],
            too_long.clone(),
        ),
        // A local index names the table's partition key as its own.
        (
            Some("ByH"),
            "pk = :p",
            vec![(":p", s(""))],
            index_key("string", "ByH", "pk"),
        ),
        (
            Some("ByH"),
            "pk = :p AND h = :h",
            vec![(":p", s("a")), (":h", s(""))],
            index_key("string", "ByH", "h"),
        ),
    ];
    for (index, condition, values, message) in cases {
        let error = client
            .query()
            .table_name(&table)
            .set_index_name(index.map(String::from))
            .key_condition_expression(condition)
            .set_expression_attribute_values(Some(
                values
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            ))
            .send()
            .await
            .expect_err(condition);
        assert_eq!(error_code(&error), "ValidationException", "{condition}");
        assert_eq!(error_message(&error), message, "{condition}");
    }
    // Before the filter's own check, and in the legacy form alike.
    let error = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :p")
        .filter_expression("sk = :s")
        .expression_attribute_values(":p", s(""))
        .expression_attribute_values(":s", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_message(&error), table_key("string", "pk"));
    let error = client
        .query()
        .table_name(&table)
        .key_conditions("pk", condition(ComparisonOperator::Eq, vec![s("a")]))
        .key_conditions(
            "sk",
            condition(ComparisonOperator::Between, vec![s(""), s("b")]),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_message(&error), table_key("string", "sk"));

    // A partition value of any length is read: no partition holds it.
    let read = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s(&"p".repeat(3000)))
        .send()
        .await
        .unwrap();
    assert_eq!(read.count, 0);
    // The values that are allowed still find the item.
    let read = client
        .query()
        .table_name(&table)
        .index_name("ByG")
        .key_condition_expression("g = :g AND begins_with(h, :h)")
        .expression_attribute_values(":g", b(b"g"))
        .expression_attribute_values(":h", s("y"))
        .send()
        .await
        .unwrap();
    assert_eq!(read.count, 1);
}

#[tokio::test]
async fn paging_is_exact_under_concurrent_writes() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("concurrent");
    create_table(&client, &table, Some(ScalarAttributeType::N)).await;
    // Even sort keys stay untouched for the whole test; a writer keeps
    // putting and deleting odd ones around them.
    let stable: Vec<Item> = (0..400)
        .step_by(2)
        .map(|i| {
            HashMap::from([
                ("pk".to_string(), s("p")),
                ("sk".to_string(), n(&i.to_string())),
            ])
        })
        .collect();
    put_all(&client, &table, stable).await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (client, table, stop) = (client.clone(), table.clone(), stop.clone());
        tokio::spawn(async move {
            let mut round = 0u64;
            while !stop.load(AtomicOrdering::Relaxed) {
                let sk = (round * 37 % 200) * 2 + 1;
                let key = n(&sk.to_string());
                if round % 3 == 2 {
                    client
                        .delete_item()
                        .table_name(&table)
                        .key("pk", s("p"))
                        .key("sk", key)
                        .send()
                        .await
                        .unwrap();
                } else {
                    client
                        .put_item()
                        .table_name(&table)
                        .item("pk", s("p"))
                        .item("sk", key)
                        .item("round", n(&round.to_string()))
                        .send()
                        .await
                        .unwrap();
                }
                round += 1;
            }
            round
        })
    };
    for (limit, forward) in [(3, true), (7, false), (1, true), (50, false)] {
        let pages = all_pages(
            client
                .query()
                .table_name(&table)
                .key_condition_expression("pk = :p")
                .expression_attribute_values(":p", s("p"))
                .limit(limit)
                .scan_index_forward(forward),
        )
        .await;
        let mut seen: Vec<i64> = pages
            .iter()
            .flat_map(|p| p.items())
            .map(|i| match &i["sk"] {
                Av::N(v) => v.parse().unwrap(),
                _ => unreachable!(),
            })
            .filter(|v: &i64| v % 2 == 0)
            .collect();
        let in_order = seen.windows(2).all(|w| (w[0] < w[1]) == forward);
        assert!(in_order, "limit {limit} forward {forward}");
        seen.sort();
        assert_eq!(seen, (0..400).step_by(2).collect::<Vec<i64>>());
    }
    stop.store(true, AtomicOrdering::Relaxed);
    assert!(writer.await.unwrap() > 0);
}

/// After a restart every item is in SST files, and with a 1 MiB block cache
/// under 3 MB of items every page evicts blocks that later pages read
/// again: Query pages in both directions and GetItem still return exactly
/// what was written.
#[tokio::test]
async fn reads_from_storage_files_through_a_cache_smaller_than_the_data() {
    reads_back_from_storage_files("1").await;
}

/// `--block-cache-mb 0`: no block cache at all, every read decodes blocks
/// from the files.
#[tokio::test]
async fn reads_from_storage_files_without_a_block_cache() {
    reads_back_from_storage_files("0").await;
}

/// Out-of-range storage sizes are refused at start-up with clap's usage
/// error, not by RocksDB aborting.
#[test]
fn a_block_cache_larger_than_one_tebibyte_is_refused() {
    refused_at_start_up("--block-cache-mb", "1048577");
}

#[test]
fn an_empty_memtable_is_refused() {
    refused_at_start_up("--memtable-mb", "0");
}

fn refused_at_start_up(flag: &str, value: &str) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_dynalith"))
        .args(["serve", "--in-memory", "--port", "0", flag, value])
        .output()
        .expect("run dynalith");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(flag), "{stderr}");
}

/// Pinned to one CPU (as `taskset`, a container's cpuset or the benchmark
/// run it), the server starts without the allocator complaining on stderr.
/// (On a one-CPU machine nothing differs when pinned.)
#[test]
fn nothing_on_stderr_when_pinned_to_one_cpu() {
    let output = std::process::Command::new("taskset")
        .args(["-c", "0", env!("CARGO_BIN_EXE_dynalith"), "--version"])
        .output()
        .expect("run dynalith under taskset (util-linux)");
    assert!(output.status.success(), "{output:?}");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

async fn reads_back_from_storage_files(block_cache_mb: &str) {
    let dir = tempfile::tempdir().unwrap();
    let table = unique_table("tinycache");
    let payload = |p: usize, i: usize| format!("{p}-{i}-{}", "x".repeat(1000));
    let (partitions, per_partition) = (30, 100);
    {
        let mut server =
            Server::start_durable_with(dir.path(), &["--block-cache-mb", block_cache_mb]);
        let client = server.client();
        create_table(&client, &table, Some(ScalarAttributeType::N)).await;
        let items = (0..partitions)
            .flat_map(|p| (0..per_partition).map(move |i| (p, i)))
            .map(|(p, i)| {
                Item::from([
                    ("pk".to_string(), s(&format!("p{p}"))),
                    ("sk".to_string(), n(&i.to_string())),
                    ("data".to_string(), s(&payload(p, i))),
                ])
            })
            .collect();
        put_all(&client, &table, items).await;
        assert!(server.terminate().success(), "clean shutdown on SIGTERM");
    }
    let server = Server::start_durable_with(dir.path(), &["--block-cache-mb", block_cache_mb]);
    let client = server.client();
    for round in 0..2 {
        for p in 0..partitions {
            for forward in [true, false] {
                let pages = all_pages(
                    client
                        .query()
                        .table_name(&table)
                        .key_condition_expression("pk = :p")
                        .expression_attribute_values(":p", s(&format!("p{p}")))
                        .scan_index_forward(forward)
                        .limit(7),
                )
                .await;
                let mut seen: Vec<usize> = Vec::new();
                for item in pages
                    .into_iter()
                    .flat_map(|page| page.items.unwrap_or_default())
                {
                    let Av::N(sk) = &item["sk"] else {
                        panic!("sort key {:?}", item["sk"])
                    };
                    let i: usize = sk.parse().unwrap();
                    assert_eq!(
                        item["data"],
                        s(&payload(p, i)),
                        "round {round}, p{p}, sk {i}"
                    );
                    seen.push(i);
                }
                let mut want: Vec<usize> = (0..per_partition).collect();
                if !forward {
                    want.reverse();
                }
                assert_eq!(seen, want, "round {round}, p{p}, forward {forward}");
            }
        }
        for (p, i) in [(0, 0), (17, 55), (29, 99)] {
            let item = client
                .get_item()
                .table_name(&table)
                .key("pk", s(&format!("p{p}")))
                .key("sk", n(&i.to_string()))
                .send()
                .await
                .unwrap()
                .item
                .expect("item written before the restart");
            assert_eq!(item["data"], s(&payload(p, i)));
        }
    }
}

/// Flushes and compactions paced at 2 MiB/s (`--background-write-mb`)
/// with 1 MiB memtables: ~5 MB of incompressible items go through several
/// flushes and compactions that each wait for the limiter, and every item
/// reads back, before and after a restart. RocksDB's LOG shows the limiter
/// installed, and none with `--background-write-mb 0`.
#[tokio::test]
async fn paced_background_writes_keep_every_item() {
    let dir = tempfile::tempdir().unwrap();
    let table = unique_table("paced");
    // Pseudo-random hex, so that compression leaves the SST files as big
    // as the data.
    let payload = |i: u64| {
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..128)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                format!("{:016x}", x)
            })
            .collect::<String>()
    };
    let count = 2500u64;
    let flags = ["--background-write-mb", "2", "--memtable-mb", "1"];
    let check = |client: Client, table: String| async move {
        for i in (0..count).step_by(97).chain([count - 1]) {
            let item = client
                .get_item()
                .table_name(&table)
                .key("pk", s(&format!("p{}", i % 50)))
                .key("sk", n(&i.to_string()))
                .send()
                .await
                .unwrap()
                .item
                .unwrap_or_else(|| panic!("item {i}"));
            assert_eq!(item["data"], s(&payload(i)), "item {i}");
        }
    };
    {
        let mut server = Server::start_durable_with(dir.path(), &flags);
        let client = server.client();
        create_table(&client, &table, Some(ScalarAttributeType::N)).await;
        let items = (0..count)
            .map(|i| {
                Item::from([
                    ("pk".to_string(), s(&format!("p{}", i % 50))),
                    ("sk".to_string(), n(&i.to_string())),
                    ("data".to_string(), s(&payload(i))),
                ])
            })
            .collect();
        put_all(&client, &table, items).await;
        check(client, table.clone()).await;
        assert!(server.terminate().success(), "clean shutdown on SIGTERM");
    }
    let log = std::fs::read_to_string(dir.path().join("LOG")).unwrap();
    assert!(
        log.contains("Options.writable_file_max_buffer_size: 65536"),
        "64 KiB writes between two asks of the limiter"
    );
    let limiter = log
        .lines()
        .find(|line| line.contains("Options.rate_limiter:"))
        .expect("the LOG lists the rate limiter");
    assert!(!limiter.ends_with("(nil)"), "{limiter}");

    let server = Server::start_durable_with(dir.path(), &["--background-write-mb", "0"]);
    check(server.client(), table).await;
    let log = std::fs::read_to_string(dir.path().join("LOG")).unwrap();
    assert!(
        log.contains("Options.rate_limiter: (nil)"),
        "unpaced with 0"
    );
}
