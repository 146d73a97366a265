//! Transactions through the AWS SDK: every action type over three tables
//! with indexes, every cancellation reason, idempotency, the limits,
//! capacity, TransactGetItems, and the bank test — concurrent transfers
//! and snapshot reads that must always balance, across SIGKILL restarts and
//! power cuts.

mod common;
#[path = "power_cut/fs.rs"]
mod power_cut;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BillingMode, ConditionCheck, Delete, Get, KeyType, ProjectionType, Put,
    ReturnConsumedCapacity, ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
    TransactGetItem, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use common::{
    attribute_definition, create_table, error_code, error_message, global_index, key_element,
    unique_table, Server,
};
use rand::Rng;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Item = HashMap<String, Av>;

fn s(v: &str) -> Av {
    Av::S(v.to_string())
}

fn n(v: i64) -> Av {
    Av::N(v.to_string())
}

fn num(item: &Item, name: &str) -> i64 {
    match &item[name] {
        Av::N(v) => v.parse().unwrap(),
        other => panic!("{name} is {other:?}"),
    }
}

fn put(table: &str, item: Item) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(item))
                .build()
                .unwrap(),
        )
        .build()
}

fn pk(v: &str) -> Item {
    [("pk".to_string(), s(v))].into()
}

/// A TransactGetItems member reading the item keyed `key` whole.
fn get_of(table: &str, key: Item) -> TransactGetItem {
    TransactGetItem::builder()
        .get(
            Get::builder()
                .table_name(table)
                .set_key(Some(key))
                .build()
                .unwrap(),
        )
        .build()
}

/// A table keyed `pk` with a global index `ByG` on `g`.
async fn create_indexed(client: &Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute_definition("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("g", ScalarAttributeType::S))
        .key_schema(key_element("pk", KeyType::Hash))
        .global_secondary_indexes(global_index("ByG", "g", ProjectionType::All))
        .send()
        .await
        .unwrap();
}

async fn get(client: &Client, table: &str, key: &str) -> Option<Item> {
    client
        .get_item()
        .table_name(table)
        .key("pk", s(key))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

async fn in_index(client: &Client, table: &str, g: &str) -> usize {
    client
        .query()
        .table_name(table)
        .index_name("ByG")
        .key_condition_expression("g = :g")
        .expression_attribute_values(":g", s(g))
        .send()
        .await
        .unwrap()
        .count as usize
}

#[tokio::test]
async fn every_action_type_across_three_indexed_tables() {
    let server = Server::start();
    let client = server.client();
    let tables: Vec<String> = (0..3).map(|_| unique_table("tx")).collect();
    for table in &tables {
        create_indexed(&client, table).await;
    }
    let mut seed = pk("old");
    seed.insert("g".into(), s("x"));
    seed.insert("v".into(), n(1));
    client
        .put_item()
        .table_name(&tables[1])
        .set_item(Some(seed))
        .send()
        .await
        .unwrap();
    client
        .put_item()
        .table_name(&tables[2])
        .set_item(Some(pk("gone")))
        .send()
        .await
        .unwrap();

    let mut new_item = pk("new");
    new_item.insert("g".into(), s("x"));
    let result = client
        .transact_write_items()
        .transact_items(put(&tables[0], new_item))
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&tables[1])
                        .key("pk", s("old"))
                        .update_expression("SET v = v + :one, g = :y")
                        .condition_expression("v = :one")
                        .expression_attribute_values(":one", n(1))
                        .expression_attribute_values(":y", s("y"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&tables[2])
                        .key("pk", s("gone"))
                        .condition_expression("attribute_exists(pk)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(&tables[2])
                        .key("pk", s("absent"))
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();

    assert!(get(&client, &tables[0], "new").await.is_some());
    let updated = get(&client, &tables[1], "old").await.unwrap();
    assert_eq!(num(&updated, "v"), 2);
    assert!(get(&client, &tables[2], "gone").await.is_none());
    // Index entries moved with the items.
    assert_eq!(in_index(&client, &tables[0], "x").await, 1);
    assert_eq!(in_index(&client, &tables[1], "x").await, 0);
    assert_eq!(in_index(&client, &tables[1], "y").await, 1);

    // Transactional writes cost double: 2 units per 1 KB item, and the
    // index write doubles as well.
    let consumed = result.consumed_capacity.unwrap();
    assert_eq!(consumed.len(), 3);
    let first = consumed
        .iter()
        .find(|c| c.table_name.as_deref() == Some(tables[0].as_str()))
        .unwrap();
    assert_eq!(first.table.as_ref().unwrap().capacity_units, Some(2.0));
    assert_eq!(
        first.global_secondary_indexes.as_ref().unwrap()["ByG"].capacity_units,
        Some(2.0)
    );
    assert_eq!(first.capacity_units, Some(4.0));
    // Transactions split the units into reads and writes, at the top and
    // in the table's entry.
    assert_eq!(first.write_capacity_units, Some(4.0));
    assert_eq!(first.read_capacity_units, None);
    assert_eq!(
        first.table.as_ref().unwrap().write_capacity_units,
        Some(2.0)
    );
}

#[tokio::test]
async fn cancellation_reasons_follow_request_order_and_nothing_is_written() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("cancel");
    create_table(&client, &table, None).await;
    let mut account = pk("a");
    account.insert("bal".into(), n(10));
    account.insert("text".into(), s("t"));
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(account))
        .send()
        .await
        .unwrap();

    let err = client
        .transact_write_items()
        .transact_items(put(&table, pk("b")))
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&table)
                        .key("pk", s("a"))
                        .update_expression("SET bal = bal - :v")
                        .condition_expression("bal >= :v")
                        .expression_attribute_values(":v", n(300))
                        .return_values_on_condition_check_failure(
                            ReturnValuesOnConditionCheckFailure::AllOld,
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(&table)
                        .key("pk", s("missing"))
                        .condition_expression("attribute_exists(pk)")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&table)
                        .key("pk", s("c"))
                        .update_expression("SET n = :one")
                        .expression_attribute_values(":one", n(1))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "TransactionCanceledException");
    let message = error_message(&err);
    assert!(
        message.ends_with("[None, ConditionalCheckFailed, ConditionalCheckFailed, None]"),
        "{message}"
    );
    let service = err.into_service_error();
    let reasons = match service {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) => {
            e.cancellation_reasons.unwrap()
        }
        other => panic!("{other:?}"),
    };
    let codes: Vec<&str> = reasons.iter().map(|r| r.code.as_deref().unwrap()).collect();
    assert_eq!(
        codes,
        [
            "None",
            "ConditionalCheckFailed",
            "ConditionalCheckFailed",
            "None"
        ]
    );
    assert_eq!(num(reasons[1].item.as_ref().unwrap(), "bal"), 10);
    assert!(reasons[2].item.is_none());
    assert!(get(&client, &table, "b").await.is_none(), "nothing written");

    // An update that fails on the item is a ValidationError reason.
    let err = client
        .transact_write_items()
        .transact_items(put(&table, pk("b")))
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&table)
                        .key("pk", s("a"))
                        .update_expression("SET n = #t + :one")
                        .expression_attribute_names("#t", "text")
                        .expression_attribute_values(":one", n(1))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        error_message(&err).ends_with("[None, ValidationError]"),
        "{}",
        error_message(&err)
    );
    assert!(get(&client, &table, "b").await.is_none(), "nothing written");
}

#[tokio::test]
async fn transactions_are_validated() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("txval");
    create_table(&client, &table, None).await;

    let err = client
        .transact_write_items()
        .transact_items(put(&table, pk("a")))
        .transact_items(
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&table)
                        .key("pk", s("a"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&err),
        "Transaction request cannot include multiple operations on one item"
    );

    let mut too_many = client.transact_write_items();
    for i in 0..101 {
        too_many = too_many.transact_items(put(&table, pk(&format!("k{i}"))));
    }
    let err = too_many.send().await.unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    assert!(error_message(&err).contains("less than or equal to 100"));

    let mut too_big = client.transact_write_items();
    for i in 0..15 {
        let mut item = pk(&format!("big{i}"));
        item.insert("pad".into(), s(&"x".repeat(300_000)));
        too_big = too_big.transact_items(put(&table, item));
    }
    let err = too_big.send().await.unwrap_err();
    assert!(
        error_message(&err).starts_with("Transaction payload size cannot exceed 4MB"),
        "{}",
        error_message(&err)
    );

    let err = client
        .transact_write_items()
        .transact_items(put("no_such_table", pk("a")))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ResourceNotFoundException");

    // Every action's expressions are read before any table is looked up:
    // a malformed condition or an unused value on a later action is
    // reported ahead of a missing table on an earlier one (recorded from
    // DynamoDB, 2026-10-09).
    let check = |condition: &str, unused: bool| {
        let mut check = ConditionCheck::builder()
            .table_name(&table)
            .key("pk", s("c"))
            .condition_expression(condition);
        if unused {
            check = check.expression_attribute_values(":v", s("x"));
        }
        TransactWriteItem::builder()
            .condition_check(check.build().unwrap())
            .build()
    };
    for (later, message) in [
        (
            check("attribute_not_exists(", false),
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"(\"",
        ),
        (
            check("attribute_not_exists(pk)", true),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}",
        ),
    ] {
        let err = refused(&client, vec![put("no_such_table", pk("a")), later]).await;
        assert_eq!(error_message(&err), message);
    }
    // Coral reports the token's length ahead of the enums.
    let err = client
        .transact_write_items()
        .transact_items(put(&table, pk("t")))
        .client_request_token("x".repeat(37))
        .return_consumed_capacity(ReturnConsumedCapacity::from("BOGUS"))
        .send()
        .await
        .unwrap_err();
    assert!(
        error_message(&err).starts_with(&format!(
            "2 validation errors detected: Value '{}' at 'clientRequestToken'",
            "x".repeat(37)
        )),
        "{}",
        error_message(&err)
    );

    let err = client
        .transact_get_items()
        .transact_items(get_of(&table, [("pk".to_string(), n(1))].into()))
        .send()
        .await
        .unwrap_err();
    // A key that does not match the schema cancels the transaction, as
    // DynamoDB does; see `key_types_cancel_and_empty_keys_refuse`.
    assert_eq!(error_code(&err), "TransactionCanceledException");
}

/// Sends a TransactWriteItems of `actions` that must be refused.
/// A value nested too deep is checked with its action, in request order,
/// unless the request nests its JSON too deep to be read in order: then it
/// is reported after every action's other checks (recorded from DynamoDB in
/// ten Regions, 2026-10-09). The table need not exist: all of this comes
/// first.
#[tokio::test]
async fn a_value_nested_too_deep_is_reported_in_its_place() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("absent");
    let deep = |levels: usize| {
        (0..levels).fold(s("leaf"), |inner, _| {
            Av::M([("n".to_string(), inner)].into())
        })
    };
    let with = |key: &str, name: &str, value: Av| {
        let mut item = pk(key);
        item.insert(name.to_string(), value);
        put(&table, item)
    };
    let nested = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";
    let syntax = TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(&table)
                .set_item(Some(pk("c")))
                .condition_expression("a = = b")
                .build()
                .unwrap(),
        )
        .build();
    let cases = [
        // 40 levels: in request order, ahead of a later action's problem.
        (
            vec![with("a", "d", deep(40)), with("b", "", s("x"))],
            nested,
        ),
        (
            vec![with("a", "", s("x")), with("b", "d", deep(40))],
            "Empty attribute name",
        ),
        // 100 levels: after every other check, the same action's included.
        (
            vec![with("a", "", s("x")), with("b", "d", deep(100))],
            "Empty attribute name",
        ),
        (
            vec![with("b", "d", deep(100)), syntax],
            "Invalid ConditionExpression: Syntax error; token: \"=\", near: \"= = b\"",
        ),
        (vec![with("b", "d", deep(100))], nested),
    ];
    for (actions, message) in cases {
        let error = refused(&client, actions).await;
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(error_message(&error), message);
    }
}

async fn refused(
    client: &Client,
    actions: Vec<TransactWriteItem>,
) -> aws_sdk_dynamodb::error::SdkError<
    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
> {
    client
        .transact_write_items()
        .set_transact_items(Some(actions))
        .send()
        .await
        .unwrap_err()
}

/// The reasons of a cancelled TransactWriteItems, as (code, message).
fn write_reasons(
    err: aws_sdk_dynamodb::error::SdkError<
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
    >,
) -> Vec<(String, Option<String>)> {
    match err.into_service_error() {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e) => e
            .cancellation_reasons
            .unwrap()
            .into_iter()
            .map(|r| (r.code.unwrap(), r.message))
            .collect(),
        other => panic!("not cancelled: {other:?}"),
    }
}

fn update_g(table: &str, key: &str, value: Av) -> TransactWriteItem {
    TransactWriteItem::builder()
        .update(
            Update::builder()
                .table_name(table)
                .key("pk", s(key))
                .update_expression("SET g = :v")
                .expression_attribute_values(":v", value)
                .build()
                .unwrap(),
        )
        .build()
}

/// DynamoDB checks key values up front and key types as it runs the
/// transaction (recorded against it in four Regions): a key or index key of
/// the wrong type cancels the transaction with a ValidationError reason,
/// an empty one refuses the request. Either way nothing is written.
#[tokio::test]
async fn key_types_cancel_and_empty_keys_refuse() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("txkeys");
    create_indexed(&client, &table).await;
    let schema_mismatch = "The provided key element does not match the schema";

    // The table's key, in a Put: the PutItem message is the reason.
    for (value, actual) in [(n(5), "N"), (Av::L(vec![s("x")]), "L")] {
        let err = refused(
            &client,
            vec![
                put(&table, pk("fine")),
                put(&table, [("pk".to_string(), value)].into()),
            ],
        )
        .await;
        assert_eq!(
            write_reasons(err),
            [
                ("None".to_string(), None),
                (
                    "ValidationError".to_string(),
                    Some(format!(
                        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: {actual}"
                    ))
                )
            ]
        );
    }
    // In a Key: the schema mismatch, for every action that takes one.
    let keyed = |key: Av| {
        [
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&table)
                        .key("pk", key.clone())
                        .update_expression("SET a = :v")
                        .expression_attribute_values(":v", s("x"))
                        .build()
                        .unwrap(),
                )
                .build(),
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&table)
                        .key("pk", key.clone())
                        .build()
                        .unwrap(),
                )
                .build(),
            TransactWriteItem::builder()
                .condition_check(
                    ConditionCheck::builder()
                        .table_name(&table)
                        .key("pk", key)
                        .condition_expression("attribute_not_exists(pk)")
                        .build()
                        .unwrap(),
                )
                .build(),
        ]
    };
    for action in keyed(n(5)).into_iter().chain(keyed(Av::L(vec![s("x")]))) {
        let err = refused(&client, vec![action]).await;
        assert_eq!(
            write_reasons(err),
            [(
                "ValidationError".to_string(),
                Some(schema_mismatch.to_string())
            )]
        );
    }
    // An index key of the wrong type, given or computed, cancels too.
    let mut wrong_index_key = pk("idx");
    wrong_index_key.insert("g".into(), n(5));
    let err = refused(&client, vec![put(&table, wrong_index_key)]).await;
    assert_eq!(
        write_reasons(err),
        [(
            "ValidationError".to_string(),
            Some(
                "One or more parameter values were invalid: Type mismatch for Index Key g Expected: S Actual: N IndexName: ByG"
                    .to_string()
            )
        )]
    );
    let err = refused(&client, vec![update_g(&table, "idx", n(5))]).await;
    assert_eq!(write_reasons(err)[0].0, "ValidationError");

    // Empty values refuse the whole request, with the single-item messages.
    let err = refused(&client, vec![put(&table, pk("fine")), put(&table, pk(""))]).await;
    assert_eq!(error_code(&err), "ValidationException");
    assert_eq!(
        error_message(&err),
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
    );
    for action in keyed(s("")) {
        let err = refused(&client, vec![action]).await;
        assert_eq!(error_code(&err), "ValidationException");
    }
    let mut empty_index_key = pk("idx");
    empty_index_key.insert("g".into(), s(""));
    let err = refused(&client, vec![put(&table, empty_index_key)]).await;
    assert_eq!(error_code(&err), "ValidationException");
    assert!(
        error_message(&err)
            .contains("A value specified for a secondary index key is not supported"),
        "{}",
        error_message(&err)
    );
    let err = refused(&client, vec![update_g(&table, "idx", s(""))]).await;
    assert_eq!(error_code(&err), "ValidationException");
    assert_eq!(
        error_message(&err),
        "One or more parameter values are not valid. The update expression attempted to update a secondary index key to a value that is not supported. The AttributeValue for a key attribute cannot contain an empty string value."
    );

    // TransactGetItems: a Key without the key attributes cancels.
    let err = client
        .transact_get_items()
        .transact_items(get_of(&table, pk("fine")))
        .transact_items(get_of(&table, HashMap::new()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "TransactionCanceledException");
    assert!(
        error_message(&err).ends_with("[None, ValidationError]"),
        "{}",
        error_message(&err)
    );

    for key in ["fine", "idx"] {
        assert!(get(&client, &table, key).await.is_none(), "{key} written");
    }
}

#[tokio::test]
async fn client_request_tokens_make_retries_idempotent() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("idem");
    create_table(&client, &table, None).await;
    let increment = |token: &str, by: i64| {
        client
            .transact_write_items()
            .client_request_token(token)
            .transact_items(
                TransactWriteItem::builder()
                    .update(
                        Update::builder()
                            .table_name(&table)
                            .key("pk", s("counter"))
                            .update_expression("ADD v :by")
                            .expression_attribute_values(":by", n(by))
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
            .send()
    };
    increment("token-1", 5).await.unwrap();
    increment("token-1", 5).await.unwrap();
    assert_eq!(num(&get(&client, &table, "counter").await.unwrap(), "v"), 5);
    let err = increment("token-1", 6).await.unwrap_err();
    assert_eq!(error_code(&err), "IdempotentParameterMismatchException");
    increment("token-2", 5).await.unwrap();
    assert_eq!(
        num(&get(&client, &table, "counter").await.unwrap(), "v"),
        10
    );

    // A repeat consumes what reading the item costs, not the first call's
    // writes: a 1.5 KB item is 2 x 2 write units, then 2 x 1 read units.
    let put_big = || {
        client
            .transact_write_items()
            .client_request_token("token-big")
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .transact_items(put(
                &table,
                [
                    ("pk".to_string(), s("big")),
                    ("pad".to_string(), s(&"x".repeat(1500))),
                ]
                .into(),
            ))
            .send()
    };
    let first = put_big().await.unwrap().consumed_capacity.unwrap();
    assert_eq!(
        (first[0].capacity_units, first[0].write_capacity_units),
        (Some(4.0), Some(4.0))
    );
    let repeat = put_big().await.unwrap().consumed_capacity.unwrap();
    assert_eq!(
        (
            repeat[0].capacity_units,
            repeat[0].read_capacity_units,
            repeat[0].write_capacity_units
        ),
        (Some(2.0), Some(2.0), None)
    );
}

#[tokio::test]
async fn transact_get_items_reads_with_projections() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("tget");
    create_table(&client, &table, None).await;
    let mut item = pk("a");
    item.insert("x".into(), n(1));
    item.insert("y".into(), n(2));
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(item.clone()))
        .send()
        .await
        .unwrap();
    let got = client
        .transact_get_items()
        .transact_items(get_of(&table, pk("a")))
        .transact_items(get_of(&table, pk("missing")))
        .transact_items(get_of(&unique_table("none"), pk("a")))
        .send()
        .await;
    assert_eq!(error_code(&got.unwrap_err()), "ResourceNotFoundException");

    let got = client
        .transact_get_items()
        .transact_items(
            TransactGetItem::builder()
                .get(
                    Get::builder()
                        .table_name(&table)
                        .key("pk", s("a"))
                        .projection_expression("#y")
                        .expression_attribute_names("#y", "y")
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(get_of(&table, pk("missing")))
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    let responses = got.responses.unwrap();
    assert_eq!(responses[0].item, Some([("y".to_string(), n(2))].into()));
    assert_eq!(responses[1].item, None);
    // Two strongly consistent reads, at double cost.
    assert_eq!(got.consumed_capacity.unwrap()[0].capacity_units, Some(4.0));
}

const ACCOUNTS: i64 = 8;
const START_BALANCE: i64 = 100;

async fn total(client: &Client, table: &str) -> Result<(i64, Vec<i64>), String> {
    let mut request = client.transact_get_items();
    for a in 0..ACCOUNTS {
        request = request.transact_items(get_of(table, pk(&format!("acct{a}"))));
    }
    let got = request.send().await.map_err(|e| format!("{e:?}"))?;
    let balances: Vec<i64> = got
        .responses
        .unwrap()
        .iter()
        .map(|r| num(r.item.as_ref().expect("account exists"), "bal"))
        .collect();
    Ok((balances.iter().sum(), balances))
}

/// Moves `amount` from one account to another, writing the transfer's
/// `receipt` item in the same transaction; false when the debit's
/// condition (enough money) failed.
async fn transfer(
    client: &Client,
    table: &str,
    (from, to, amount): (i64, i64, i64),
    receipt: &str,
) -> Result<bool, String> {
    let debit = Update::builder()
        .table_name(table)
        .key("pk", s(&format!("acct{from}")))
        .update_expression("SET bal = bal - :a")
        .condition_expression("bal >= :a")
        .expression_attribute_values(":a", n(amount))
        .build()
        .unwrap();
    let credit = Update::builder()
        .table_name(table)
        .key("pk", s(&format!("acct{to}")))
        .update_expression("SET bal = bal + :a")
        .expression_attribute_values(":a", n(amount))
        .build()
        .unwrap();
    match client
        .transact_write_items()
        .transact_items(TransactWriteItem::builder().update(debit).build())
        .transact_items(TransactWriteItem::builder().update(credit).build())
        .transact_items(put(table, pk(receipt)))
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if error_code(&e) == "TransactionCanceledException" => Ok(false),
        Err(e) => Err(format!("{e:?}")),
    }
}

/// The bank test: transfers and balance reads race; every snapshot sums to
/// the starting total and no balance goes negative, across SIGKILLs of a
/// durable server; every acknowledged transfer's receipt is there after
/// each restart, and no cancelled one's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_transfers_always_balance_across_crashes() {
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() {
        return; // needs our own process to kill
    }
    let dir = tempfile::tempdir().unwrap();
    transfer_and_kill(dir.path(), Server::kill).await;
}

/// The same with the power cut under the running server (the kill follows
/// it; `power_cut/fs.rs`): a transaction's writes are one write to the log,
/// synced, or lost, or torn at the log's tail, together.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bank_transfers_always_balance_across_power_cuts() {
    // On PostgreSQL the data is not on this disk: nothing to cut.
    if std::env::var("DYNALITH_TEST_ENDPOINT").is_ok() || common::test_postgres_url().is_some() {
        return;
    }
    let Some(mut disk) = power_cut::PowerCutDisk::mount() else {
        return;
    };
    let dir = disk.join("db");
    transfer_and_kill(&dir, |server| disk.cut_power(|| server.kill())).await;
}

/// What a round's transfers left to check: receipts of acknowledged
/// transfers, and of cancelled ones.
#[derive(Default)]
struct Receipts {
    acknowledged: Vec<String>,
    cancelled: Vec<String>,
}

/// Three rounds of transfers and reads ended by `kill` (a SIGKILL, or a
/// power cut and one), on a server with its data in `dir`; checked after
/// every restart.
async fn transfer_and_kill(dir: &std::path::Path, mut kill: impl FnMut(&mut Server)) {
    let table = "bank";
    let mut receipts = Receipts::default();
    for round in 0..=3 {
        let mut server = Server::start_durable(dir);
        let client = server.client();
        if round == 0 {
            create_table(&client, table, None).await;
            let mut request = client.transact_write_items();
            for a in 0..ACCOUNTS {
                let mut item = pk(&format!("acct{a}"));
                item.insert("bal".into(), n(START_BALANCE));
                request = request.transact_items(put(table, item));
            }
            request.send().await.unwrap();
        }
        let (sum, balances) = total(&client, table).await.unwrap();
        assert_eq!(
            sum,
            ACCOUNTS * START_BALANCE,
            "after restart {round}: {balances:?}"
        );
        assert!(balances.iter().all(|b| *b >= 0), "{balances:?}");
        for receipt in &receipts.acknowledged {
            let found = get(&client, table, receipt).await;
            assert!(found.is_some(), "after restart {round}: {receipt} lost");
        }
        for receipt in &receipts.cancelled {
            let found = get(&client, table, receipt).await;
            assert!(
                found.is_none(),
                "after restart {round}: cancelled {receipt} written"
            );
        }
        if round == 3 {
            return; // the last start only checks what the last kill left
        }

        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = Vec::new();
        for worker in 0..6 {
            let client = client.clone();
            let stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                let mut receipts = Receipts::default();
                while !stop.load(Ordering::Relaxed) {
                    let accounts_and_amount = {
                        let mut rng = rand::rng();
                        let from = rng.random_range(0..ACCOUNTS);
                        let to = (from + rng.random_range(1..ACCOUNTS)) % ACCOUNTS;
                        (from, to, rng.random_range(1..60))
                    };
                    let n = receipts.acknowledged.len() + receipts.cancelled.len();
                    let receipt = format!("receipt-{round}-{worker}-{n}");
                    match transfer(&client, table, accounts_and_amount, &receipt).await {
                        Ok(true) => receipts.acknowledged.push(receipt),
                        Ok(false) => receipts.cancelled.push(receipt),
                        Err(_) if stop.load(Ordering::Relaxed) => break,
                        Err(e) => panic!("transfer failed: {e}"),
                    }
                }
                receipts
            }));
        }
        let reader = {
            let client = client.clone();
            let stop = stop.clone();
            tokio::spawn(async move {
                let mut reads = 0;
                while !stop.load(Ordering::Relaxed) {
                    match total(&client, table).await {
                        Ok((sum, balances)) => {
                            assert_eq!(sum, ACCOUNTS * START_BALANCE, "snapshot {balances:?}");
                            assert!(balances.iter().all(|b| *b >= 0), "{balances:?}");
                            reads += 1;
                        }
                        Err(_) if stop.load(Ordering::Relaxed) => break,
                        Err(e) => panic!("read failed: {e}"),
                    }
                }
                reads
            })
        };
        let run_for = rand::rng().random_range(600..1500);
        tokio::time::sleep(Duration::from_millis(run_for)).await;
        // Tell the clients first: requests in flight at the kill fail.
        stop.store(true, Ordering::Relaxed);
        kill(&mut server);
        let transfers_before = receipts.acknowledged.len();
        for task in tasks {
            let done = task.await.unwrap();
            receipts.acknowledged.extend(done.acknowledged);
            receipts.cancelled.extend(done.cancelled);
        }
        let reads = reader.await.unwrap();
        assert!(
            receipts.acknowledged.len() > transfers_before && reads > 0,
            "round {round}: {} transfers, {reads} reads",
            receipts.acknowledged.len() - transfers_before
        );
    }
}
