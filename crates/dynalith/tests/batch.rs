//! BatchGetItem and BatchWriteItem through the AWS SDK: round trips over
//! several tables, projections, consumed capacity per table, the 16 MB
//! BatchGetItem cap with UnprocessedKeys, and DynamoDB's limits and errors
//! (no partial writes when any request is invalid).

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, DeleteRequest, KeysAndAttributes, PutRequest, ReturnConsumedCapacity,
    ScalarAttributeType, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::{create_table, error_code, error_message, unique_table, Server};
use std::collections::HashMap;

type Item = HashMap<String, Av>;

fn s(v: &str) -> Av {
    Av::S(v.to_string())
}

fn n(v: &str) -> Av {
    Av::N(v.to_string())
}

fn put(item: Item) -> WriteRequest {
    WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
        .build()
}

fn delete(key: Item) -> WriteRequest {
    WriteRequest::builder()
        .delete_request(DeleteRequest::builder().set_key(Some(key)).build().unwrap())
        .build()
}

fn key(pk: &str) -> Item {
    HashMap::from([("pk".to_string(), s(pk))])
}

fn ranged(pk: &str, sk: i64) -> Item {
    HashMap::from([
        ("pk".to_string(), s(pk)),
        ("sk".to_string(), n(&sk.to_string())),
    ])
}

fn keys(list: Vec<Item>) -> KeysAndAttributes {
    KeysAndAttributes::builder()
        .set_keys(Some(list))
        .build()
        .unwrap()
}

fn parts<E, R>(error: &aws_sdk_dynamodb::error::SdkError<E, R>) -> (String, String)
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    (error_code(error), error_message(error))
}

async fn get(client: &Client, table: &str, key: Item) -> Option<Item> {
    client
        .get_item()
        .table_name(table)
        .set_key(Some(key))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

#[tokio::test]
async fn batch_write_then_batch_get_over_several_tables() {
    let server = Server::start();
    let client = server.client();
    let (hash, range) = (unique_table("bhash"), unique_table("brange"));
    create_table(&client, &hash, None).await;
    create_table(&client, &range, Some(ScalarAttributeType::N)).await;
    client
        .put_item()
        .table_name(&hash)
        .item("pk", s("old"))
        .send()
        .await
        .unwrap();

    let mut big = key("big");
    big.insert("data".into(), s(&"d".repeat(1500)));
    let out = client
        .batch_write_item()
        .request_items(
            &hash,
            vec![
                put(big.clone()),
                put(key("small")),
                delete(key("old")),
                delete(key("never")),
            ],
        )
        .request_items(&range, (0..5).map(|i| put(ranged("r", i))).collect())
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(out.unprocessed_items, Some(HashMap::new()));
    let consumed: HashMap<String, f64> = out
        .consumed_capacity()
        .iter()
        .map(|c| (c.table_name.clone().unwrap(), c.capacity_units.unwrap()))
        .collect();
    // 2 units for the 1.5 KB item, 1 per small item and per delete, found
    // or not (DynamoDB Local charges 2 for deleting a missing item).
    if server.is_ours() {
        assert_eq!(
            consumed,
            HashMap::from([(hash.clone(), 5.0), (range.clone(), 5.0)])
        );
    }
    assert_eq!(get(&client, &hash, key("old")).await, None);
    assert_eq!(get(&client, &hash, key("big")).await, Some(big.clone()));

    let out = client
        .batch_get_item()
        .request_items(&hash, keys(vec![key("big"), key("small"), key("missing")]))
        .request_items(
            &range,
            KeysAndAttributes::builder()
                .set_keys(Some(vec![ranged("r", 1), ranged("r", 3), ranged("r", 9)]))
                .projection_expression("#s")
                .expression_attribute_names("#s", "sk")
                .consistent_read(true)
                .build()
                .unwrap(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let responses = out.responses.clone().unwrap();
    let mut hash_items = responses[&hash].clone();
    hash_items.sort_by_key(|i| format!("{:?}", i["pk"]));
    assert_eq!(hash_items, vec![big, key("small")]);
    let mut range_items = responses[&range].clone();
    range_items.sort_by_key(|i| format!("{:?}", i["sk"]));
    let only_sk = |v: &str| HashMap::from([("sk".to_string(), n(v))]);
    assert_eq!(range_items, vec![only_sk("1"), only_sk("3")]);
    assert_eq!(out.unprocessed_keys, Some(HashMap::new()));
    let consumed: HashMap<String, f64> = out
        .consumed_capacity()
        .iter()
        .map(|c| {
            (
                c.table_name.clone().unwrap(),
                c.table.as_ref().unwrap().capacity_units.unwrap(),
            )
        })
        .collect();
    // Every key costs a read, found or not, as in DynamoDB: 3 × 0.5
    // eventually consistent, 3 × 1 strongly consistent (DynamoDB Local
    // charges nothing for a missing key).
    if server.is_ours() {
        assert_eq!(
            consumed,
            HashMap::from([(hash.clone(), 1.5), (range.clone(), 3.0)])
        );
    }

    // AttributesToGet, and a table whose keys all miss.
    let out = client
        .batch_get_item()
        .request_items(
            &hash,
            KeysAndAttributes::builder()
                .set_keys(Some(vec![key("big")]))
                .attributes_to_get("pk")
                .build()
                .unwrap(),
        )
        .request_items(&range, keys(vec![ranged("none", 1)]))
        .send()
        .await
        .unwrap();
    let responses = out.responses.unwrap();
    assert_eq!(responses[&hash], vec![key("big")]);
    assert_eq!(responses[&range], Vec::<Item>::new());
    assert!(out.consumed_capacity.is_none());
}

#[tokio::test]
async fn batch_get_returns_unprocessed_keys_past_16_megabytes() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("b16mb");
    create_table(&client, &table, None).await;
    let payload = "p".repeat(350_000);
    for chunk in (0..100).collect::<Vec<i32>>().chunks(25) {
        let requests = chunk
            .iter()
            .map(|i| {
                let mut item = key(&format!("k{i:03}"));
                item.insert("payload".into(), s(&payload));
                put(item)
            })
            .collect();
        client
            .batch_write_item()
            .request_items(&table, requests)
            .send()
            .await
            .unwrap();
    }
    let mut pending = KeysAndAttributes::builder()
        .set_keys(Some((0..100).map(|i| key(&format!("k{i:03}"))).collect()))
        .projection_expression("pk, payload")
        .consistent_read(true)
        .build()
        .unwrap();
    let mut seen = Vec::new();
    let mut calls = 0;
    loop {
        calls += 1;
        let out = client
            .batch_get_item()
            .request_items(&table, pending.clone())
            .send()
            .await
            .unwrap();
        let items = out.responses.unwrap().remove(&table).unwrap_or_default();
        assert!(
            items.len() * 350_000 <= 16 * 1024 * 1024,
            "{} items",
            items.len()
        );
        seen.extend(items.into_iter().map(|i| i["pk"].clone()));
        match out.unprocessed_keys.unwrap_or_default().remove(&table) {
            Some(rest) => {
                // The retry keeps the table's read options.
                assert_eq!(rest.consistent_read, Some(true));
                assert_eq!(rest.projection_expression.as_deref(), Some("pk, payload"));
                pending = rest;
            }
            None => break,
        }
        assert!(calls < 10);
    }
    seen.sort_by_key(|v| format!("{v:?}"));
    let want: Vec<Av> = (0..100).map(|i| s(&format!("k{i:03}"))).collect();
    assert_eq!(seen, want);
    if server.is_ours() {
        assert_eq!(calls, 3, "47 items of 350 KB fit under 16 MB");
    }
}

#[tokio::test]
async fn batch_limits_and_errors() {
    let server = Server::start();
    let client = server.client();
    let (hash, range) = (unique_table("blimit"), unique_table("blimit_r"));
    create_table(&client, &hash, None).await;
    create_table(&client, &range, Some(ScalarAttributeType::N)).await;
    let check = |(got_code, got): (String, String), code: &str, message: &str, local_too: bool| {
        assert_eq!(got_code, code, "{message}");
        if server.is_ours() || local_too {
            assert!(got.contains(message), "expected {message:?}, got {got:?}");
        }
    };
    // BatchGetItem
    let e = client
        .batch_get_item()
        .request_items(&hash, keys((0..101).map(|i| key(&i.to_string())).collect()))
        .send()
        .await
        .unwrap_err();
    check(parts(&e), "ValidationException", &format!("at 'requestItems.{hash}.member.keys' failed to satisfy constraint: Member must have length less than or equal to 100"), false);
    let e = client
        .batch_get_item()
        .request_items(&hash, keys((0..60).map(|i| key(&i.to_string())).collect()))
        .request_items(&range, keys((0..41).map(|i| ranged("p", i)).collect()))
        .send()
        .await
        .unwrap_err();
    check(
        parts(&e),
        "ValidationException",
        "Too many items requested for the BatchGetItem call",
        true,
    );
    let e = client
        .batch_get_item()
        .request_items(
            &range,
            keys(vec![ranged("p", 1), ranged("p", 2), ranged("p", 1)]),
        )
        .send()
        .await
        .unwrap_err();
    check(
        parts(&e),
        "ValidationException",
        "Provided list of item keys contains duplicates",
        true,
    );
    let e = client
        .batch_get_item()
        .request_items(&range, keys(vec![key("p")]))
        .send()
        .await
        .unwrap_err();
    check(
        parts(&e),
        "ValidationException",
        "The provided key element does not match the schema",
        false,
    );
    let e = client
        .batch_get_item()
        .request_items("no_such_table", keys(vec![key("p")]))
        .send()
        .await
        .unwrap_err();
    check(
        parts(&e),
        "ResourceNotFoundException",
        "Requested resource not found",
        false,
    );

    // BatchWriteItem
    let e = client
        .batch_write_item()
        .request_items(&hash, (0..26).map(|i| put(key(&i.to_string()))).collect())
        .send()
        .await
        .unwrap_err();
    check(parts(&e), "ValidationException", "failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]", false);
    let e = client
        .batch_write_item()
        .request_items(&hash, (0..20).map(|i| put(key(&i.to_string()))).collect())
        .request_items(&range, (0..6).map(|i| put(ranged("p", i))).collect())
        .send()
        .await
        .unwrap_err();
    check(
        parts(&e),
        "ValidationException",
        "Too many items requested for the BatchWriteItem call",
        true,
    );
    let e = client
        .batch_write_item()
        .request_items(&hash, vec![put(key("dup")), delete(key("dup"))])
        .send()
        .await
        .unwrap_err();
    check(
        parts(&e),
        "ValidationException",
        "Provided list of item keys contains duplicates",
        true,
    );
    let mut huge = key("huge");
    huge.insert("x".into(), s(&"x".repeat(400 * 1024)));
    let e = client
        .batch_write_item()
        .request_items(&hash, vec![put(huge)])
        .send()
        .await
        .unwrap_err();
    check(
        parts(&e),
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
        true,
    );

    // An invalid request anywhere means nothing is written.
    for bad in [
        vec![put(HashMap::from([("pk".to_string(), n("1"))]))],
        vec![put(key("p"))],
        vec![delete(ranged("p", 1)), delete(key("p"))],
    ] {
        let e = client
            .batch_write_item()
            .request_items(&hash, (0..10).map(|i| put(key(&format!("w{i}")))).collect())
            .request_items(&range, bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&e), "ValidationException");
        for i in 0..10 {
            assert_eq!(get(&client, &hash, key(&format!("w{i}"))).await, None);
        }
    }
    let e = client
        .batch_write_item()
        .request_items(&hash, vec![put(key("w0"))])
        .request_items("no_such_table", vec![put(key("x"))])
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&e), "ResourceNotFoundException");
    assert_eq!(get(&client, &hash, key("w0")).await, None);
}

#[tokio::test]
async fn raw_request_item_errors() {
    let server = Server::start();
    let address = server.address();
    // Only the checks that come before any table lookup, so the table need
    // not exist (DynamoDB Local words these differently).
    if !server.is_ours() {
        return;
    }
    for (operation, body, message) in [
        ("BatchGetItem", "{}", "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: Member must not be null"),
        ("BatchGetItem", r#"{"RequestItems":{}}"#, "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1"),
        ("BatchGetItem", r#"{"RequestItems":{"abc":{}}}"#, "1 validation error detected: Value null at 'requestItems.abc.member.keys' failed to satisfy constraint: Member must not be null"),
        // BatchGetItem's newer validation framework quotes the map as JSON
        // and reports it ahead of the enum; BatchWriteItem reports the enum
        // alone (recorded from DynamoDB, 2026-10-09).
        ("BatchGetItem", r#"{"RequestItems":{"a":{"Keys":[{"a":{"S":"a"}}]}},"ReturnConsumedCapacity":"BOGUS"}"#, "2 validation errors detected: Value '{\"a\":{\"Keys\":[{\"a\":{\"S\":\"a\"}}]}}' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]; Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"),
        ("BatchWriteItem", r#"{"RequestItems":{"a":[{"PutRequest":{"Item":{"a":{"S":"a"}}}}]},"ReturnConsumedCapacity":"BOGUS"}"#, "1 validation error detected: Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]"),
        ("BatchWriteItem", r#"{"RequestItems":{"a":[{"PutRequest":{"Item":{"a":{"S":"a"}}}}]}}"#, "1 validation error detected: Value '{a=[{PutRequest={Item={a={S=a}}}}]}' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]"),
        ("BatchGetItem", r#"{"RequestItems":{"abc":{"Keys":[{"a":{"S":"a"}}],"AttributesToGet":["a","a"]}}}"#, "One or more parameter values were invalid: Duplicate value in attribute name: a"),
        ("BatchGetItem", r#"{"RequestItems":{"abc":{"Keys":[{"a":{"S":"a"}}],"AttributesToGet":["a"],"ProjectionExpression":"a"}}}"#, "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
        // Across tables too (DynamoDB refuses it, as the paritysuite suite recorded).
        ("BatchGetItem", r#"{"RequestItems":{"abc":{"Keys":[{"a":{"S":"a"}}],"AttributesToGet":["a"]},"abd":{"Keys":[{"a":{"S":"a"}}],"ProjectionExpression":"a"}}}"#, "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"),
        ("BatchWriteItem", r#"{"RequestItems":{"abc":[]}}"#, "1 validation error detected: Value '{abc=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"),
        ("BatchWriteItem", r#"{"RequestItems":{"abc":[{}]}}"#, "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes"),
        ("BatchWriteItem", r#"{"RequestItems":{"abc":[{"PutRequest":{},"DeleteRequest":{}}]},"ReturnItemCollectionMetrics":"hi"}"#, "3 validation errors detected: Value 'hi' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must satisfy enum value set: [SIZE, NONE]; Value null at 'requestItems.abc.member.1.member.deleteRequest.key' failed to satisfy constraint: Member must not be null; Value null at 'requestItems.abc.member.1.member.putRequest.item' failed to satisfy constraint: Member must not be null"),
    ] {
        let response = common::call(&address, operation, body);
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.json()["message"], message, "{body}");
    }
}
