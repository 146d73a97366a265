//! The expression language through the AWS SDK: ConditionExpression on
//! PutItem and DeleteItem, UpdateItem with every action and ReturnValues
//! mode, ProjectionExpression on GetItem, the legacy parameters, and the
//! validation errors DynamoDB gives.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeAction, AttributeValue as Av, AttributeValueUpdate, ComparisonOperator,
    ConditionalOperator, ExpectedAttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure,
};
use aws_sdk_dynamodb::Client;
use common::{create_table, error_code, error_message, unique_table, Server};
use std::collections::HashMap;

fn s(v: &str) -> Av {
    Av::S(v.into())
}

fn n(v: &str) -> Av {
    Av::N(v.into())
}

async fn setup() -> (Server, Client, String) {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("expr");
    create_table(&client, &table, None).await;
    (server, client, table)
}

async fn get(client: &Client, table: &str, pk: &str) -> Option<HashMap<String, Av>> {
    client
        .get_item()
        .table_name(table)
        .key("pk", s(pk))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

#[tokio::test]
async fn put_with_conditions() {
    let (_server, client, table) = setup().await;
    let put_new = || {
        client
            .put_item()
            .table_name(&table)
            .item("pk", s("a"))
            .item("v", n("1"))
            .condition_expression("attribute_not_exists(pk)")
    };
    put_new().send().await.unwrap();
    let error = put_new().send().await.unwrap_err();
    assert_eq!(error_code(&error), "ConditionalCheckFailedException");
    assert_eq!(error_message(&error), "The conditional request failed");

    // ReturnValuesOnConditionCheckFailure ALL_OLD returns the current item.
    let error = put_new()
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .send()
        .await
        .unwrap_err();
    let service = error.into_service_error();
    match service {
        aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(e) => {
            assert_eq!(e.item().unwrap()["v"], n("1"));
        }
        other => panic!("unexpected {other:?}"),
    }

    // Comparison, functions and names/values.
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("a"))
        .item("v", n("2"))
        .condition_expression("#v < :max AND begins_with(pk, :p) AND size(pk) = :one")
        .expression_attribute_names("#v", "v")
        .expression_attribute_values(":max", n("5"))
        .expression_attribute_values(":p", s("a"))
        .expression_attribute_values(":one", n("1"))
        .send()
        .await
        .unwrap();
    assert_eq!(get(&client, &table, "a").await.unwrap()["v"], n("2"));
}

#[tokio::test]
async fn delete_with_conditions_and_legacy_expected() {
    let (_server, client, table) = setup().await;
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("d"))
        .item("state", s("open"))
        .send()
        .await
        .unwrap();
    let error = client
        .delete_item()
        .table_name(&table)
        .key("pk", s("d"))
        .condition_expression("#s = :closed")
        .expression_attribute_names("#s", "state")
        .expression_attribute_values(":closed", s("closed"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ConditionalCheckFailedException");
    assert!(get(&client, &table, "d").await.is_some());

    // The legacy Expected form of the same check, now true.
    client
        .delete_item()
        .table_name(&table)
        .key("pk", s("d"))
        .expected(
            "state",
            ExpectedAttributeValue::builder()
                .comparison_operator(ComparisonOperator::Eq)
                .attribute_value_list(s("open"))
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(get(&client, &table, "d").await.is_none());

    // Mixing both forms is refused.
    let error = client
        .delete_item()
        .table_name(&table)
        .key("pk", s("d"))
        .condition_expression("attribute_exists(pk)")
        .expected(
            "pk",
            ExpectedAttributeValue::builder().exists(false).build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert!(
        error_message(&error).contains("Can not use both expression and non-expression parameters")
    );

    // ConditionalOperator is a legacy parameter too, even alone: the write
    // is refused, not made.
    let put = client
        .put_item()
        .table_name(&table)
        .item("pk", s("mixed"))
        .conditional_operator(ConditionalOperator::Or)
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap_err();
    let delete = client
        .delete_item()
        .table_name(&table)
        .key("pk", s("mixed"))
        .conditional_operator(ConditionalOperator::And)
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap_err();
    for (code, message) in [
        (error_code(&put), error_message(&put)),
        (error_code(&delete), error_message(&delete)),
    ] {
        assert_eq!(code, "ValidationException");
        assert_eq!(
            message,
            "Can not use both expression and non-expression parameters in the same request: \
             Non-expression parameters: {ConditionalOperator} Expression parameters: \
             {ConditionExpression}"
        );
    }
    let error = client
        .update_item()
        .table_name(&table)
        .key("pk", s("mixed"))
        .conditional_operator(ConditionalOperator::Or)
        .update_expression("REMOVE x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Can not use both expression and non-expression parameters in the same request: \
         Non-expression parameters: {ConditionalOperator} Expression parameters: \
         {UpdateExpression}"
    );
    assert!(get(&client, &table, "mixed").await.is_none());
}

#[tokio::test]
async fn update_item_actions_and_return_values() {
    let (_server, client, table) = setup().await;
    // UpdateItem creates the item when absent.
    let created = client
        .update_item()
        .table_name(&table)
        .key("pk", s("u"))
        .update_expression("SET a = :a, #l = :list, m = :map ADD c :one, tags :tags")
        .expression_attribute_names("#l", "list")
        .expression_attribute_values(":a", s("x"))
        .expression_attribute_values(":list", Av::L(vec![n("1"), n("2"), n("3")]))
        .expression_attribute_values(
            ":map",
            Av::M(HashMap::from([(
                "nested".to_string(),
                Av::M(HashMap::new()),
            )])),
        )
        .expression_attribute_values(":one", n("1"))
        .expression_attribute_values(":tags", Av::Ss(vec!["red".into(), "blue".into()]))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let item = created.attributes.unwrap();
    assert_eq!(item["pk"], s("u"));
    assert_eq!(item["c"], n("1"));

    let updated = client
        .update_item()
        .table_name(&table)
        .key("pk", s("u"))
        .update_expression(
            "SET c = c + :two, m.nested.deep = :d, #l[1] = :x, l2 = list_append(#l, :more), fresh = if_not_exists(fresh, :d) \
             REMOVE a, #l[0] DELETE tags :red",
        )
        .expression_attribute_names("#l", "list")
        .expression_attribute_values(":two", n("2"))
        .expression_attribute_values(":d", s("deep"))
        .expression_attribute_values(":x", n("20"))
        .expression_attribute_values(":more", Av::L(vec![n("4")]))
        .expression_attribute_values(":red", Av::Ss(vec!["red".into()]))
        .return_values(ReturnValue::UpdatedNew)
        .send()
        .await
        .unwrap();
    let changed = updated.attributes.unwrap();
    assert_eq!(changed["c"], n("3"));
    assert!(
        !changed.contains_key("a"),
        "removed attributes are not in UPDATED_NEW"
    );

    let item = get(&client, &table, "u").await.unwrap();
    assert!(!item.contains_key("a"));
    assert_eq!(item["list"], Av::L(vec![n("20"), n("3")]));
    assert_eq!(item["l2"], Av::L(vec![n("1"), n("2"), n("3"), n("4")]));
    assert_eq!(item["tags"], Av::Ss(vec!["blue".into()]));
    assert_eq!(item["fresh"], s("deep"));
    match &item["m"] {
        Av::M(m) => assert_eq!(
            m["nested"],
            Av::M(HashMap::from([("deep".to_string(), s("deep"))]))
        ),
        other => panic!("{other:?}"),
    }

    let old = client
        .update_item()
        .table_name(&table)
        .key("pk", s("u"))
        .update_expression("SET c = :zero")
        .expression_attribute_values(":zero", n("0"))
        .return_values(ReturnValue::UpdatedOld)
        .send()
        .await
        .unwrap();
    assert_eq!(
        old.attributes.unwrap(),
        HashMap::from([("c".to_string(), n("3"))])
    );

    let all_old = client
        .update_item()
        .table_name(&table)
        .key("pk", s("u"))
        .update_expression("REMOVE c")
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(all_old.attributes.unwrap()["c"], n("0"));
}

#[tokio::test]
async fn update_item_errors() {
    let (_server, client, table) = setup().await;
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("e"))
        .item("name", s("text"))
        .send()
        .await
        .unwrap();
    let update = |expression: &str| {
        client
            .update_item()
            .table_name(&table)
            .key("pk", s("e"))
            .update_expression(expression)
    };

    let error = update("SET pk = :v")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .unwrap_err();
    assert!(
        error_message(&error)
            .contains("Cannot update attribute pk. This attribute is part of the key"),
        "{}",
        error_message(&error)
    );

    let error = update("SET #n = #n + :one")
        .expression_attribute_names("#n", "name")
        .expression_attribute_values(":one", n("1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "An operand in the update expression has an incorrect data type"
    );

    // UpdateItem reads values in DynamoDB's current layer: a refused one is
    // reported inside the envelope, with no placeholder named (the older
    // layer, and DynamoDB Local, say "ExpressionAttributeValues contains
    // invalid value: ... for key :none").
    let error = update("ADD tags :none")
        .expression_attribute_values(":none", Av::Ss(vec![]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "1 validation error detected: One or more parameter values were invalid: An string set  may not be empty"
    );

    // Indexes into a list name its elements as they were before the update,
    // for ADD as for REMOVE.
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("list"))
        .item("l", Av::L(vec![n("1"), n("2"), n("3")]))
        .send()
        .await
        .unwrap();
    let new = client
        .update_item()
        .table_name(&table)
        .key("pk", s("list"))
        .update_expression("REMOVE l[0] ADD l[1] :one")
        .expression_attribute_values(":one", n("1"))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    assert_eq!(
        new.attributes().and_then(|a| a.get("l")),
        Some(&Av::L(vec![n("3"), n("3")]))
    );

    let error = update("SET absent.child = :v")
        .expression_attribute_values(":v", n("1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "The document path provided in the update expression is invalid for update"
    );

    let error = update("SET a = :v REMOVE a")
        .expression_attribute_values(":v", n("1"))
        .send()
        .await
        .unwrap_err();
    assert!(
        error_message(&error).contains("Two document paths overlap with each other"),
        "{}",
        error_message(&error)
    );

    let error = update("SET status = :v")
        .expression_attribute_values(":v", n("1"))
        .send()
        .await
        .unwrap_err();
    assert!(
        error_message(&error).contains("reserved keyword: status"),
        "{}",
        error_message(&error)
    );

    let error = update("SET a = :v")
        .expression_attribute_values(":v", n("1"))
        .expression_attribute_values(":unused", n("2"))
        .send()
        .await
        .unwrap_err();
    assert!(
        error_message(&error).contains("unused in expressions: keys: {:unused}"),
        "{}",
        error_message(&error)
    );

    let error = update("SET a = :undefined").send().await.unwrap_err();
    assert!(
        error_message(&error)
            .contains("An expression attribute value used in expression is not defined"),
        "{}",
        error_message(&error)
    );

    let error = update("SET a = ").send().await.unwrap_err();
    assert!(
        error_message(&error).starts_with("Invalid UpdateExpression: Syntax error; token: "),
        "{}",
        error_message(&error)
    );

    let add_max = || update("ADD c :big").expression_attribute_values(":big", n("9E+125"));
    add_max().send().await.unwrap();
    let error = add_max().send().await.unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert!(
        error_message(&error).contains("Number overflow"),
        "{}",
        error_message(&error)
    );

    // A failed condition leaves the item untouched.
    let error = update("SET a = :v")
        .condition_expression("attribute_not_exists(pk)")
        .expression_attribute_values(":v", n("1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ConditionalCheckFailedException");
    let item = get(&client, &table, "e").await.unwrap();
    assert!(!item.contains_key("a"));
}

#[tokio::test]
async fn legacy_attribute_updates() {
    let (_server, client, table) = setup().await;
    let result = client
        .update_item()
        .table_name(&table)
        .key("pk", s("legacy"))
        .attribute_updates(
            "n",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Add)
                .value(n("5"))
                .build(),
        )
        .attribute_updates(
            "s",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Put)
                .value(s("v"))
                .build(),
        )
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let item = result.attributes.unwrap();
    assert_eq!(item["n"], n("5"));
    assert_eq!(item["s"], s("v"));
    client
        .update_item()
        .table_name(&table)
        .key("pk", s("legacy"))
        .attribute_updates(
            "s",
            AttributeValueUpdate::builder()
                .action(AttributeAction::Delete)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert!(!get(&client, &table, "legacy")
        .await
        .unwrap()
        .contains_key("s"));
}

#[tokio::test]
async fn projection_expression_on_get_item() {
    let (_server, client, table) = setup().await;
    let doc = Av::M(HashMap::from([
        ("b".to_string(), Av::L(vec![s("x"), s("y"), s("z")])),
        ("c".to_string(), n("1")),
    ]));
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("p"))
        .item("a", doc)
        .item("extra", s("o"))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name(&table)
        .key("pk", s("p"))
        .projection_expression("#a.b[1], extra")
        .expression_attribute_names("#a", "a")
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(got["extra"], s("o"));
    assert_eq!(
        got["a"],
        Av::M(HashMap::from([("b".to_string(), Av::L(vec![s("y")]))]))
    );
    assert_eq!(got.len(), 2);

    let error = client
        .get_item()
        .table_name(&table)
        .key("pk", s("p"))
        .projection_expression("a")
        .attributes_to_get("a")
        .send()
        .await
        .unwrap_err();
    assert!(
        error_message(&error).contains("Can not use both expression and non-expression parameters")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_conditional_increments_are_serializable() {
    let (_server, client, table) = setup().await;
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("counter"))
        .item("n", n("0"))
        .send()
        .await
        .unwrap();
    // Optimistic-concurrency clients: read, then write conditioned on the
    // value read. Every successful write must be based on the latest value,
    // so successes equal the final count.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let client = client.clone();
        let table = table.clone();
        tasks.push(tokio::spawn(async move {
            let mut successes = 0u32;
            for _ in 0..25 {
                let current = get(&client, &table, "counter").await.unwrap()["n"].clone();
                let Av::N(text) = &current else { panic!() };
                let next = (text.parse::<u64>().unwrap() + 1).to_string();
                let result = client
                    .put_item()
                    .table_name(&table)
                    .item("pk", s("counter"))
                    .item("n", n(&next))
                    .condition_expression("n = :seen")
                    .expression_attribute_values(":seen", current)
                    .send()
                    .await;
                match result {
                    Ok(_) => successes += 1,
                    Err(e) => assert_eq!(error_code(&e), "ConditionalCheckFailedException"),
                }
            }
            successes
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    let final_value = get(&client, &table, "counter").await.unwrap()["n"].clone();
    assert_eq!(final_value, n(&total.to_string()));

    // ADD from many clients at once never loses an increment.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let client = client.clone();
        let table = table.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                client
                    .update_item()
                    .table_name(&table)
                    .key("pk", s("adder"))
                    .update_expression("ADD n :one")
                    .expression_attribute_values(":one", n("1"))
                    .send()
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(get(&client, &table, "adder").await.unwrap()["n"], n("400"));
}

/// Found by the differential test against DynamoDB Local: writing a key
/// attribute, or reading inside one in an update, is reported only once the
/// condition holds; reading inside a key in a condition or projection is
/// refused before anything is read.
#[tokio::test]
async fn key_attribute_rules_and_condition_order() {
    let (_server, client, table) = setup().await;
    client
        .put_item()
        .table_name(&table)
        .item("pk", s("k"))
        .item("a", n("1"))
        .send()
        .await
        .unwrap();
    let scalars = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk";
    for (update, value) in [("SET pk = :v", s("x")), ("SET a = pk.x", s("unused"))] {
        let attempt = |condition: &str| {
            let request = client
                .update_item()
                .table_name(&table)
                .key("pk", s("k"))
                .update_expression(update)
                .condition_expression(condition);
            if update.contains(":v") {
                request.expression_attribute_values(":v", value.clone())
            } else {
                request
            }
        };
        let error = attempt("attribute_not_exists(a)").send().await.unwrap_err();
        assert_eq!(
            error_code(&error),
            "ConditionalCheckFailedException",
            "{update}"
        );
        let error = attempt("attribute_exists(a)").send().await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationException", "{update}");
        let expected = if update.starts_with("SET pk") {
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
        } else {
            scalars
        };
        assert_eq!(error_message(&error), expected);
    }
    let error = client
        .put_item()
        .table_name(&table)
        .item("pk", s("k"))
        .condition_expression("pk.x = :v")
        .expression_attribute_values(":v", n("1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_message(&error), scalars);
    let error = client
        .get_item()
        .table_name(&table)
        .key("pk", s("k"))
        .projection_expression("a, pk[0]")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_message(&error), scalars);
    assert_eq!(get(&client, &table, "k").await.unwrap()["a"], n("1"));
}
