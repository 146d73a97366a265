//! PutItem, GetItem and DeleteItem through the AWS SDK: every data type,
//! ReturnValues, consumed capacity, and DynamoDB's validation errors.

mod common;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue as Av, AttributeValueUpdate, Put, PutRequest, ReturnConsumedCapacity,
    ReturnValue, ScalarAttributeType, TransactWriteItem, WriteRequest,
};
use common::{create_table, error_code, error_message, unique_table, Server};
use std::collections::HashMap;

fn s(v: &str) -> Av {
    Av::S(v.to_string())
}

fn n(v: &str) -> Av {
    Av::N(v.to_string())
}

fn every_type_item() -> HashMap<String, Av> {
    let mut nested = HashMap::new();
    nested.insert(
        "inner".to_string(),
        Av::L(vec![n("1"), s("two"), Av::Null(true)]),
    );
    HashMap::from([
        ("pk".to_string(), s("all-types")),
        ("str".to_string(), s("héllo ✓")),
        ("empty_str".to_string(), s("")),
        ("num".to_string(), n("-123.456")),
        ("bin".to_string(), Av::B(Blob::new(vec![0u8, 1, 2, 255]))),
        ("bool".to_string(), Av::Bool(true)),
        ("null".to_string(), Av::Null(true)),
        ("map".to_string(), Av::M(nested)),
        (
            "list".to_string(),
            Av::L(vec![Av::Bool(false), Av::M(HashMap::new()), Av::L(vec![])]),
        ),
        ("ss".to_string(), Av::Ss(vec!["a".into(), "b".into()])),
        ("ns".to_string(), Av::Ns(vec!["1".into(), "2.5".into()])),
        (
            "bs".to_string(),
            Av::Bs(vec![Blob::new(vec![1u8]), Blob::new(vec![2u8])]),
        ),
    ])
}

fn sorted_set(v: &Av) -> Av {
    match v {
        Av::Ss(x) => Av::Ss({
            let mut x = x.clone();
            x.sort();
            x
        }),
        Av::Ns(x) => Av::Ns({
            let mut x = x.clone();
            x.sort();
            x
        }),
        Av::Bs(x) => Av::Bs({
            let mut x = x.clone();
            x.sort_by(|a, b| a.as_ref().cmp(b.as_ref()));
            x
        }),
        other => other.clone(),
    }
}

#[tokio::test]
async fn every_attribute_type_round_trips() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("types");
    create_table(&client, &table, None).await;
    let item = every_type_item();
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(item.clone()))
        .send()
        .await
        .unwrap();
    let got = client
        .get_item()
        .table_name(&table)
        .key("pk", s("all-types"))
        .send()
        .await
        .unwrap();
    let got = got.item.unwrap();
    assert_eq!(got.len(), item.len());
    for (name, value) in &item {
        assert_eq!(
            sorted_set(&got[name]),
            sorted_set(value),
            "attribute {name}"
        );
    }
}

#[tokio::test]
async fn numbers_are_normalized_like_dynamodb() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("numbers");
    create_table(&client, &table, Some(ScalarAttributeType::N)).await;
    for (input, stored) in [
        ("1.50", "1.5"),
        ("-0", "0"),
        ("0001", "1"),
        ("1e2", "100"),
        ("-.5", "-0.5"),
    ] {
        client
            .put_item()
            .table_name(&table)
            .item("pk", s("n"))
            .item("sk", n(input))
            .item("v", n(input))
            .send()
            .await
            .unwrap();
        let got = client
            .get_item()
            .table_name(&table)
            .key("pk", s("n"))
            .key("sk", n(stored))
            .send()
            .await
            .unwrap();
        let item = got
            .item
            .unwrap_or_else(|| panic!("{input} stored under {stored}"));
        assert_eq!(item["v"], n(stored), "{input}");
    }
    for (bad, fragment) in [
        ("abc", ""),
        ("1e126", "Number overflow"),
        ("1e-131", "Number underflow"),
        (
            "1.23456789012345678901234567890123456789",
            "38 significant digits",
        ),
    ] {
        let error = client
            .put_item()
            .table_name(&table)
            .item("pk", s("n"))
            .item("sk", n("1"))
            .item("v", n(bad))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException", "{bad}");
        assert!(
            error_message(&error).contains(fragment),
            "{bad}: {}",
            error_message(&error)
        );
    }
}

#[tokio::test]
async fn put_get_delete_with_return_values_and_capacity() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("rv");
    create_table(&client, &table, Some(ScalarAttributeType::S)).await;

    let first = client
        .put_item()
        .table_name(&table)
        .item("pk", s("a"))
        .item("sk", s("1"))
        .item("v", n("1"))
        .return_values(ReturnValue::AllOld)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert!(first.attributes.is_none(), "no old item");
    let consumed = first.consumed_capacity.unwrap();
    assert_eq!(consumed.table_name(), Some(table.as_str()));
    assert_eq!(consumed.capacity_units(), Some(1.0));
    // Only transactions split the units into reads and writes (DynamoDB's
    // answers, recorded against it).
    assert_eq!(consumed.write_capacity_units(), None);
    assert_eq!(consumed.read_capacity_units(), None);

    let second = client
        .put_item()
        .table_name(&table)
        .item("pk", s("a"))
        .item("sk", s("1"))
        .item("v", n("2"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(second.attributes.unwrap()["v"], n("1"));

    // A 3 KB item costs 3 write units, 1 strongly consistent read unit, half eventually consistent.
    let big = "x".repeat(3000);
    let put = client
        .put_item()
        .table_name(&table)
        .item("pk", s("big"))
        .item("sk", s("1"))
        .item("data", s(&big))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let consumed = put.consumed_capacity.unwrap();
    assert_eq!(consumed.capacity_units(), Some(3.0));
    assert_eq!(consumed.table().unwrap().capacity_units(), Some(3.0));
    assert_eq!(consumed.write_capacity_units(), None);
    assert_eq!(consumed.table().unwrap().write_capacity_units(), None);
    let get = |consistent: bool| {
        client
            .get_item()
            .table_name(&table)
            .key("pk", s("big"))
            .key("sk", s("1"))
            .consistent_read(consistent)
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .send()
    };
    assert_eq!(
        get(true)
            .await
            .unwrap()
            .consumed_capacity
            .unwrap()
            .capacity_units(),
        Some(1.0)
    );
    assert_eq!(
        get(false)
            .await
            .unwrap()
            .consumed_capacity
            .unwrap()
            .capacity_units(),
        Some(0.5)
    );

    // AttributesToGet.
    let got = client
        .get_item()
        .table_name(&table)
        .key("pk", s("a"))
        .key("sk", s("1"))
        .attributes_to_get("v")
        .attributes_to_get("missing")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.item.unwrap(),
        HashMap::from([("v".to_string(), n("2"))])
    );

    let deleted = client
        .delete_item()
        .table_name(&table)
        .key("pk", s("a"))
        .key("sk", s("1"))
        .return_values(ReturnValue::AllOld)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.attributes.unwrap()["v"], n("2"));
    assert_eq!(
        deleted.consumed_capacity.unwrap().capacity_units(),
        Some(1.0)
    );
    let got = client
        .get_item()
        .table_name(&table)
        .key("pk", s("a"))
        .key("sk", s("1"))
        .send()
        .await
        .unwrap();
    assert!(got.item.is_none());
    // Deleting a missing item succeeds and returns nothing.
    let again = client
        .delete_item()
        .table_name(&table)
        .key("pk", s("a"))
        .key("sk", s("1"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert!(again.attributes.is_none());

    let table_info = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(
        table_info.item_count(),
        Some(1),
        "only the big item is left"
    );
}

#[tokio::test]
async fn key_validation_errors() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("keys");
    create_table(&client, &table, Some(ScalarAttributeType::N)).await;

    let cases: Vec<(HashMap<String, Av>, &str)> = vec![
        (
            HashMap::from([("pk".into(), s("a"))]),
            "Missing the key sk in the item",
        ),
        (
            HashMap::from([("pk".into(), n("1")), ("sk".into(), n("1"))]),
            "Type mismatch for key pk expected: S actual: N",
        ),
        (
            HashMap::from([("pk".into(), s("")), ("sk".into(), n("1"))]),
            "cannot contain an empty string value. Key: pk",
        ),
        (
            HashMap::from([("pk".into(), s(&"k".repeat(2049))), ("sk".into(), n("1"))]),
            "Size of hashkey has exceeded the maximum size limit",
        ),
        (
            HashMap::from([
                ("pk".into(), s("a")),
                ("sk".into(), n("1")),
                ("big".into(), s(&"x".repeat(400 * 1024))),
            ]),
            "Item size has exceeded the maximum allowed size",
        ),
    ];
    for (item, message) in cases {
        let error = client
            .put_item()
            .table_name(&table)
            .set_item(Some(item))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException", "{message}");
        assert!(
            error_message(&error).contains(message),
            "expected {message:?}, got {:?}",
            error_message(&error)
        );
    }

    for key in [
        HashMap::from([("pk".to_string(), s("a"))]),
        HashMap::from([("pk".to_string(), s("a")), ("sk".to_string(), s("1"))]),
        HashMap::from([
            ("pk".to_string(), s("a")),
            ("sk".to_string(), n("1")),
            ("x".to_string(), s("1")),
        ]),
    ] {
        let error = client
            .get_item()
            .table_name(&table)
            .set_key(Some(key.clone()))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            error_message(&error),
            "The provided key element does not match the schema"
        );
        let error = client
            .delete_item()
            .table_name(&table)
            .set_key(Some(key))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            error_message(&error),
            "The provided key element does not match the schema"
        );
    }

    let error = client
        .put_item()
        .table_name(&table)
        .item("pk", s("a"))
        .item("sk", n("1"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap_err();
    // Inside Coral's envelope, as DynamoDB's current layer reports the
    // request's own checks (recorded 2026-10-09).
    assert_eq!(
        error_message(&error),
        "1 validation error detected: ReturnValues can only be ALL_OLD or NONE"
    );

    let error = client
        .get_item()
        .table_name("no_such_table")
        .key("pk", s("a"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
    let error = client
        .put_item()
        .table_name("no_such_table")
        .item("pk", s("a"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ResourceNotFoundException");
}

#[tokio::test]
async fn invalid_attribute_values_are_rejected() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("values");
    create_table(&client, &table, None).await;
    let put = |name: &str, value: Av| {
        client
            .put_item()
            .table_name(&table)
            .item("pk", s("a"))
            .item(name, value)
            .send()
    };
    let cases = [
        (Av::Ss(vec![]), "An string set  may not be empty"),
        (Av::Ss(vec!["x".into(), "x".into()]), "contains duplicates"),
        (
            Av::Ns(vec!["1".into(), "1.0".into()]),
            "contains duplicates",
        ),
        (
            Av::Null(false),
            "Null attribute value types must have the value of true",
        ),
    ];
    for (value, message) in cases {
        let error = put("bad", value).await.unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert!(
            error_message(&error).contains(message),
            "{message}: {}",
            error_message(&error)
        );
    }
    // DynamoDB counts a top-level attribute as level 1 and stops at 32: a
    // leaf inside 31 lists is fine, inside 32 it is too deep (recorded from
    // DynamoDB and DynamoDB Local).
    let nest = |levels: usize| (0..levels).fold(s("leaf"), |inner, _| Av::L(vec![inner]));
    put("deep", nest(31)).await.unwrap();
    let error = put("deep", nest(32)).await.unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        "1 validation error detected: Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
    );
    // An update may nest a value that was fine on its own one level too deep.
    let error = client
        .update_item()
        .table_name(&table)
        .key("pk", s("a"))
        .update_expression("SET deep[0] = :doc")
        .expression_attribute_values(":doc", nest(31))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    assert_eq!(
        error_message(&error),
        "Nesting Levels have exceeded supported limits"
    );
}

/// DynamoDB reads attribute values in one of two layers, by operation, and
/// words a refused value by layer (recorded from DynamoDB in four Regions,
/// 2026-10-09): PutItem, UpdateItem and DeleteItem inside Coral's envelope,
/// GetItem and Query bare, both naming no placeholder and reading a number's
/// exponent as a 64-bit integer; BatchWriteItem and the transactions in the
/// older words, with Java's 32-bit scale and its wrapping range check.
#[tokio::test]
async fn refused_values_are_worded_by_each_operations_layer() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("layers");
    create_table(&client, &table, None).await;
    let not_numeric = "The parameter cannot be converted to a numeric value";
    let overflow =
        "Number overflow. Attempting to store a number with magnitude larger than supported range";
    let underflow =
        "Number underflow. Attempting to store a number with magnitude smaller than supported range";
    let one = |m: &str| format!("1 validation error detected: {m}");
    let put = |value: Av| {
        client
            .put_item()
            .table_name(&table)
            .item("pk", s("layers"))
            .item("v", value)
            .send()
    };
    for (text, message) in [
        ("abc", one(&format!("{not_numeric}: abc"))),
        ("", one(&format!("{not_numeric}: "))),
        ("1e2147483647", one(overflow)),
        ("1e2147483648", one(overflow)),
        ("1e-99999999999", one(underflow)),
        ("0e126", one(overflow)),
        (
            "1e9223372036854775808",
            one(&format!("{not_numeric}: 1e9223372036854775808")),
        ),
    ] {
        expect_validation(&put(n(text)).await.unwrap_err(), &message);
    }
    let bs = |members: &[&[u8]]| Av::Bs(members.iter().map(|m| Blob::new(m.to_vec())).collect());
    expect_validation(
        &put(Av::Ss(vec!["b".into(), "a".into(), "b".into()])).await.unwrap_err(),
        &one("One or more parameter values were invalid: Input collection [\"a\", \"b\", \"b\"] contains duplicates."),
    );
    expect_validation(
        &put(bs(&[&[0xff], &[0], &[0]])).await.unwrap_err(),
        &one("One or more parameter values were invalid: Input collection [\"AA==\",\"/w==\",\"AA==\"]of type BS contains duplicates."),
    );
    expect_validation(
        &put(Av::Ns(vec!["2".into(), "1".into(), "2".into()]))
            .await
            .unwrap_err(),
        &one("One or more parameter values were invalid: Input collection contains duplicates."),
    );
    // Zero inside the range is stored as 0.
    put(n("0e125")).await.unwrap();
    let stored = client
        .get_item()
        .table_name(&table)
        .key("pk", s("layers"))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.item().and_then(|i| i.get("v")), Some(&n("0")));

    // A condition's value: no placeholder named.
    let error = client
        .delete_item()
        .table_name(&table)
        .key("pk", s("layers"))
        .condition_expression("v = :v")
        .expression_attribute_values(":v", n("abc"))
        .send()
        .await
        .unwrap_err();
    expect_validation(&error, &one(&format!("{not_numeric}: abc")));
    // GetItem and Query: the same words, bare.
    let error = client
        .get_item()
        .table_name(&table)
        .key("pk", n("1e2147483647"))
        .send()
        .await
        .unwrap_err();
    expect_validation(&error, overflow);
    let error = client
        .query()
        .table_name(&table)
        .key_condition_expression("pk = :p")
        .filter_expression("v = :v")
        .expression_attribute_values(":p", s("layers"))
        .expression_attribute_values(":v", Av::Ss(vec!["b".into(), "a".into(), "b".into()]))
        .send()
        .await
        .unwrap_err();
    expect_validation(
        &error,
        "One or more parameter values were invalid: Input collection [\"a\", \"b\", \"b\"] contains duplicates.",
    );

    // The older layer: BatchWriteItem and TransactWriteItems.
    let batch_put = |value: Av| {
        client
            .batch_write_item()
            .request_items(
                &table,
                vec![WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .item("pk", s("layers"))
                            .item("v", value)
                            .build()
                            .unwrap(),
                    )
                    .build()],
            )
            .send()
    };
    for (value, message) in [
        (n("abc"), format!("{not_numeric}: abc")),
        (n(""), not_numeric.to_string()),
        (n("1e2147483647"), underflow.to_string()),
        (n("1e2147483648"), format!("{not_numeric}: 1e2147483648")),
        (
            Av::Ss(vec!["b".into(), "a".into(), "b".into()]),
            "One or more parameter values were invalid: Input collection [b, a, b] contains duplicates.".to_string(),
        ),
        (Av::Ns(vec!["2".into(), "1".into(), "2".into()]), "Input collection contains duplicates".to_string()),
    ] {
        expect_validation(&batch_put(value).await.unwrap_err(), &message);
    }
    let error = client
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    aws_sdk_dynamodb::types::Update::builder()
                        .table_name(&table)
                        .key("pk", s("layers"))
                        .update_expression("SET v = :v")
                        .expression_attribute_values(":v", n("abc"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    expect_validation(
        &error,
        &format!("ExpressionAttributeValues contains invalid value: {not_numeric}: abc for key :v"),
    );
}

/// DynamoDB's current layer reports PutItem's, UpdateItem's and
/// DeleteItem's own request checks inside Coral's envelope (recorded from
/// DynamoDB, eu-west-2 and us-east-1, 2026-10-09); key errors stay bare.
#[tokio::test]
async fn request_checks_of_single_item_writes_are_enveloped() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("envelope");
    create_table(&client, &table, None).await;
    let one = |m: &str| format!("1 validation error detected: {m}");
    let delete = || client.delete_item().table_name(&table).key("pk", s("e"));
    let cases = [
        (
            delete().expression_attribute_values(":v", s("x")).send().await,
            one("ExpressionAttributeValues can only be specified when using expressions"),
        ),
        (
            delete().expression_attribute_names("#a", "a").send().await,
            one("ExpressionAttributeNames can only be specified when using expressions"),
        ),
        (
            delete()
                .condition_expression("attribute_exists(a)")
                .set_expression_attribute_values(Some(HashMap::new()))
                .send()
                .await,
            one("ExpressionAttributeValues must not be empty"),
        ),
        (
            delete().condition_expression("").send().await,
            one("Invalid ConditionExpression: The expression can not be empty;"),
        ),
        (
            delete()
                .expected(
                    "a",
                    aws_sdk_dynamodb::types::ExpectedAttributeValue::builder()
                        .exists(true)
                        .build(),
                )
                .send()
                .await,
            one("One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"),
        ),
    ];
    for (result, message) in cases {
        expect_validation(&result.unwrap_err(), &message);
    }
    let error = client
        .update_item()
        .table_name(&table)
        .key("pk", s("e"))
        .update_expression("SET b = :w")
        .condition_expression("a = :v")
        .expression_attribute_values(":w", s("x"))
        .send()
        .await
        .unwrap_err();
    expect_validation(
        &error,
        &one("Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :v"),
    );
    // Bare: a key attribute an update may not change, a key of the wrong
    // shape, an expression that does not parse.
    let error = client
        .update_item()
        .table_name(&table)
        .key("pk", s("e"))
        .update_expression("SET pk = :v")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .unwrap_err();
    expect_validation(
        &error,
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
    );
    let error = delete()
        .condition_expression("attribute_exists(")
        .send()
        .await
        .unwrap_err();
    assert!(
        !error_message(&error).starts_with("1 validation"),
        "{}",
        error_message(&error)
    );
}

/// A ValidationException with exactly this message.
/// An unknown ConditionalOperator: the current layer's own words, bare and
/// ahead of Coral's member checks, when the request has its required
/// members; Coral's older words among its other errors when one is missing
/// (both recorded from DynamoDB, 2026-10-09).
#[tokio::test]
async fn an_unknown_conditional_operator_is_refused_in_each_layers_words() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("xor");
    create_table(&client, &table, None).await;
    let newer = "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]";
    let xor = || aws_sdk_dynamodb::types::ConditionalOperator::from("XOR");
    let absent = || {
        aws_sdk_dynamodb::types::ExpectedAttributeValue::builder()
            .exists(false)
            .build()
    };
    let put = client
        .put_item()
        .table_name(&table)
        .item("pk", s("x"))
        .expected("a", absent())
        .expected("b", absent())
        .conditional_operator(xor())
        .return_values(ReturnValue::from("BOGUS"))
        .send()
        .await;
    expect_validation(&put.unwrap_err(), newer);
    let update = client
        .update_item()
        .table_name(&table)
        .key("pk", s("x"))
        .attribute_updates(
            "c",
            aws_sdk_dynamodb::types::AttributeValueUpdate::builder()
                .value(s("1"))
                .build(),
        )
        .expected("a", absent())
        .expected("b", absent())
        .conditional_operator(xor())
        .send()
        .await;
    expect_validation(&update.unwrap_err(), newer);
    let delete = client
        .delete_item()
        .table_name(&table)
        .key("pk", s("x"))
        .expected("a", absent())
        .expected("b", absent())
        .conditional_operator(xor())
        .send()
        .await;
    expect_validation(&delete.unwrap_err(), newer);
    // Ahead of an unknown Select and of the missing table.
    let condition = |operator: aws_sdk_dynamodb::types::ComparisonOperator, values: Vec<Av>| {
        aws_sdk_dynamodb::types::Condition::builder()
            .comparison_operator(operator)
            .set_attribute_value_list(Some(values).filter(|v| !v.is_empty()))
            .build()
            .unwrap()
    };
    let null = || condition(aws_sdk_dynamodb::types::ComparisonOperator::Null, vec![]);
    let query = client
        .query()
        .table_name(unique_table("absent"))
        .key_conditions(
            "pk",
            condition(
                aws_sdk_dynamodb::types::ComparisonOperator::Eq,
                vec![s("a")],
            ),
        )
        .query_filter("b", null())
        .query_filter("c", null())
        .conditional_operator(xor())
        .select(aws_sdk_dynamodb::types::Select::from("BOGUS"))
        .send()
        .await;
    expect_validation(&query.unwrap_err(), newer);
    // Without its Key, UpdateItem is Coral's alone.
    let response = common::call(
        &server.address(),
        "UpdateItem",
        &format!(
            r#"{{"TableName":"{table}","AttributeUpdates":{{"x":{{"Action":"PUT","Value":{{"S":"1"}}}}}},"Expected":{{"a":{{"Exists":false}},"b":{{"Exists":false}}}},"ConditionalOperator":"XOR"}}"#
        ),
    );
    assert_eq!(
        response.json()["message"],
        "2 validation errors detected: Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]; Value null at 'key' failed to satisfy constraint: Member must not be null"
    );
    // Scan reads in the legacy layer, and says so in Coral's words.
    let scan = client
        .scan()
        .table_name(&table)
        .conditional_operator(xor())
        .send()
        .await;
    expect_validation(
        &scan.unwrap_err(),
        "1 validation error detected: Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]",
    );
}

/// A value nested past the 32-level limit is reported after some member
/// errors: the current layer's ConditionalOperator check, and, for a
/// request too deep for that layer (past ~62 levels), Coral's member checks
/// and DeleteItem's ReturnValues rule (recorded from DynamoDB, 2026-10-09).
#[tokio::test]
async fn member_errors_come_ahead_of_a_value_nested_too_deep() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("deep");
    create_table(&client, &table, None).await;
    let deep = |levels: usize| {
        (0..levels).fold(s("leaf"), |inner, _| {
            Av::M(HashMap::from([("n".to_string(), inner)]))
        })
    };
    let put = client
        .put_item()
        .table_name(&table)
        .item("pk", s("a"))
        .expected(
            "a",
            aws_sdk_dynamodb::types::ExpectedAttributeValue::builder()
                .value(deep(40))
                .build(),
        )
        .expected(
            "b",
            aws_sdk_dynamodb::types::ExpectedAttributeValue::builder()
                .exists(false)
                .build(),
        )
        .conditional_operator(aws_sdk_dynamodb::types::ConditionalOperator::from("XOR"))
        .send()
        .await;
    expect_validation(
        &put.unwrap_err(),
        "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]",
    );
    let delete = |levels: usize, return_values: &str| {
        client
            .delete_item()
            .table_name(&table)
            .key("pk", s("a"))
            .condition_expression("#d = :deep")
            .expression_attribute_names("#d", "d")
            .expression_attribute_values(":deep", deep(levels))
            .return_values(ReturnValue::from(return_values))
            .send()
    };
    expect_validation(
        &delete(63, "BOGUS").await.unwrap_err(),
        "1 validation error detected: Value 'BOGUS' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
    );
    expect_validation(
        &delete(100, "UPDATED_NEW").await.unwrap_err(),
        "ReturnValues can only be ALL_OLD or NONE",
    );
    // Nothing else wrong: the depth, in the current layer's envelope.
    expect_validation(
        &delete(40, "ALL_OLD").await.unwrap_err(),
        "1 validation error detected: Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit",
    );
}

fn expect_validation<E, R>(error: &aws_sdk_dynamodb::error::SdkError<E, R>, message: &str)
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    assert_eq!(error_code(error), "ValidationException");
    assert_eq!(error_message(error), message);
}

/// Attribute names are at least one character long, a map's keys included
/// (DynamoDB's naming rules): every way a request can name an attribute ""
/// is refused with DynamoDB Local's message, and nothing is written.
#[tokio::test]
async fn empty_attribute_names_are_refused_everywhere() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("names");
    create_table(&client, &table, None).await;
    let empty_key_map = || Av::M(HashMap::from([("".to_string(), s("x"))]));

    let item = |name: &str, value: Av| {
        HashMap::from([("pk".to_string(), s("a")), (name.to_string(), value)])
    };

    for bad in [
        item("", s("x")),
        item("m", empty_key_map()),
        item("l", Av::L(vec![empty_key_map()])),
    ] {
        let error = client
            .put_item()
            .table_name(&table)
            .set_item(Some(bad.clone()))
            .send()
            .await
            .unwrap_err();
        expect_validation(&error, "Empty attribute name");
        let put = PutRequest::builder()
            .set_item(Some(bad.clone()))
            .build()
            .unwrap();
        let error = client
            .batch_write_item()
            .request_items(
                &table,
                vec![WriteRequest::builder().put_request(put).build()],
            )
            .send()
            .await
            .unwrap_err();
        expect_validation(&error, "Empty attribute name");
        let put = Put::builder()
            .table_name(&table)
            .set_item(Some(bad))
            .build()
            .unwrap();
        let error = client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .send()
            .await
            .unwrap_err();
        expect_validation(&error, "Empty attribute name");
    }
    let error = client
        .update_item()
        .table_name(&table)
        .key("pk", s("a"))
        .update_expression("SET m = :v")
        .expression_attribute_values(":v", empty_key_map())
        .send()
        .await
        .unwrap_err();
    // UpdateItem's checks of the request's values report inside Coral's
    // envelope (DynamoDB's current layer).
    expect_validation(
        &error,
        "1 validation error detected: ExpressionAttributeValues contains invalid value: Empty attribute name for key :v",
    );
    let error = client
        .update_item()
        .table_name(&table)
        .key("pk", s("a"))
        .attribute_updates("", AttributeValueUpdate::builder().value(s("x")).build())
        .send()
        .await
        .unwrap_err();
    expect_validation(&error, "Empty attribute name");
    // PartiQL: a literal's empty name (a map key, a quoted name) is a path
    // error, a parameter's an item's.
    for statement in [
        format!("INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'm': {{'': 1}}}}"),
        format!("UPDATE \"{table}\" SET m = {{'a': {{'': 1}}}} WHERE pk = 'a'"),
        format!("UPDATE \"{table}\" SET \"\" = 1 WHERE pk = 'a'"),
    ] {
        let error = client
            .execute_statement()
            .statement(statement)
            .send()
            .await
            .unwrap_err();
        expect_validation(&error, "Path component cannot be an empty string");
    }
    let error = client
        .execute_statement()
        .statement(format!(
            "INSERT INTO \"{table}\" VALUE {{'pk': 'b', 'm': ?}}"
        ))
        .parameters(empty_key_map())
        .send()
        .await
        .unwrap_err();
    expect_validation(&error, "Empty attribute name");
    // Empty values stay legal, and nothing was written by the refusals.
    client
        .put_item()
        .table_name(&table)
        .set_item(Some(item(
            "m",
            Av::M(HashMap::from([("k".to_string(), s(""))])),
        )))
        .send()
        .await
        .unwrap();
    let scan = client.scan().table_name(&table).send().await.unwrap();
    assert_eq!(scan.count(), 1);
}

/// Keys at DynamoDB's limits (a 2048-byte partition key and a 1024-byte
/// sort key) of incompressible text: stored by the embedded engine; the
/// PostgreSQL engine's index rows cannot hold them, and it says so with a
/// ValidationException, writing nothing (never a 500, which SDKs retry).
#[tokio::test]
async fn the_longest_keys_are_stored_or_refused_cleanly() {
    let server = Server::start();
    if !server.is_ours() {
        return;
    }
    let client = server.client();
    let table = unique_table("longkeys");
    create_table(&client, &table, Some(ScalarAttributeType::S)).await;
    // Pseudo-random characters, so that no compression shortens them.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut text = |len: usize| -> String {
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                char::from(b'!' + (state % 90) as u8)
            })
            .collect()
    };
    let (pk, sk) = (text(2048), text(1024));
    let put = client
        .put_item()
        .table_name(&table)
        .item("pk", s(&pk))
        .item("sk", s(&sk))
        .send()
        .await;
    let on_postgres = common::test_postgres_url().is_some();
    let stored = client.scan().table_name(&table).send().await.unwrap().count;
    if on_postgres {
        let error = put.expect_err("refused");
        assert_eq!(error_code(&error), "ValidationException");
        assert!(
            error_message(&error).contains("cannot hold it"),
            "{}",
            error_message(&error)
        );
        assert_eq!(stored, 0);
    } else {
        put.unwrap();
        assert_eq!(stored, 1);
    }
}
