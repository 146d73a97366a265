//! Secondary indexes through the AWS SDK: each projection type, sparse and
//! overloaded global indexes, local-index order and fetches, paging through
//! an index both ways, index maintenance on every write path, capacity,
//! item collections, online index creation racing writers, and the
//! validation errors.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue as Av, BillingMode, CreateGlobalSecondaryIndexAction,
    DeleteGlobalSecondaryIndexAction, DeleteRequest, GlobalSecondaryIndex,
    GlobalSecondaryIndexDescription, GlobalSecondaryIndexUpdate, IndexStatus, KeyType,
    LocalSecondaryIndex, OnDemandThroughput, Projection, ProjectionType, ProvisionedThroughput,
    PutRequest, ReturnConsumedCapacity, ReturnItemCollectionMetrics, ScalarAttributeType, Select,
    TableDescription, UpdateGlobalSecondaryIndexAction, WarmThroughput, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use common::{
    attribute_definition as definition, delete_global_index, error_code, error_message,
    key_element as key, unique_table, Server,
};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

type Item = HashMap<String, Av>;

fn s(v: &str) -> Av {
    Av::S(v.to_string())
}

fn n(v: i64) -> Av {
    Av::N(v.to_string())
}

fn projection(kind: ProjectionType, non_key: &[&str]) -> Projection {
    let mut p = Projection::builder().projection_type(kind);
    for name in non_key {
        p = p.non_key_attributes(*name);
    }
    p.build()
}

fn gsi(name: &str, hash: &str, range: Option<&str>, p: Projection) -> GlobalSecondaryIndex {
    let mut b = GlobalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key(hash, KeyType::Hash))
        .projection(p);
    if let Some(range) = range {
        b = b.key_schema(key(range, KeyType::Range));
    }
    b.build().unwrap()
}

fn lsi(name: &str, range: &str, p: Projection) -> LocalSecondaryIndex {
    LocalSecondaryIndex::builder()
        .index_name(name)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key(range, KeyType::Range))
        .projection(p)
        .build()
        .unwrap()
}

/// The table most tests use: `pk`/`sk` strings; GSIs `ByKind` (kind, n;
/// KEYS_ONLY), `ByTag` (tag; INCLUDE color) and `ByOwner` (person, sk;
/// ALL); LSI `ByN` (pk, n; INCLUDE color).
async fn create_indexed_table(client: &Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(definition("pk", ScalarAttributeType::S))
        .attribute_definitions(definition("sk", ScalarAttributeType::S))
        .attribute_definitions(definition("kind", ScalarAttributeType::S))
        .attribute_definitions(definition("n", ScalarAttributeType::N))
        .attribute_definitions(definition("tag", ScalarAttributeType::S))
        .attribute_definitions(definition("person", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(gsi(
            "ByKind",
            "kind",
            Some("n"),
            projection(ProjectionType::KeysOnly, &[]),
        ))
        .global_secondary_indexes(gsi(
            "ByTag",
            "tag",
            None,
            projection(ProjectionType::Include, &["color"]),
        ))
        .global_secondary_indexes(gsi(
            "ByOwner",
            "person",
            Some("sk"),
            projection(ProjectionType::All, &[]),
        ))
        .local_secondary_indexes(lsi(
            "ByN",
            "n",
            projection(ProjectionType::Include, &["color"]),
        ))
        .send()
        .await
        .expect("create indexed table");
}

fn item(pk: &str, sk: &str, fields: &[(&str, Av)]) -> Item {
    let mut item: Item = [("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))].into();
    for (name, value) in fields {
        item.insert(name.to_string(), value.clone());
    }
    item
}

async fn put(client: &Client, table: &str, item: Item) {
    client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .send()
        .await
        .expect("put");
}

/// Every item of an index, read with the SDK paginator (`limit` per page).
async fn query_all(
    client: &Client,
    table: &str,
    index: &str,
    condition: &str,
    values: &[(&str, Av)],
    forward: bool,
    limit: i32,
) -> Vec<Item> {
    let mut request = client
        .query()
        .table_name(table)
        .index_name(index)
        .key_condition_expression(condition)
        .scan_index_forward(forward)
        .limit(limit);
    for (name, value) in values {
        request = request.expression_attribute_values(*name, value.clone());
    }
    let pages: Vec<_> = request
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("query pages");
    pages
        .into_iter()
        .flat_map(|p| p.items.unwrap_or_default())
        .collect()
}

async fn scan_index(client: &Client, table: &str, index: &str) -> Vec<Item> {
    let pages: Vec<_> = client
        .scan()
        .table_name(table)
        .index_name(index)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scan pages");
    pages
        .into_iter()
        .flat_map(|p| p.items.unwrap_or_default())
        .collect()
}

fn names(item: &Item) -> BTreeSet<&str> {
    item.keys().map(String::as_str).collect()
}

fn sk_of(item: &Item) -> String {
    match item.get("sk") {
        Some(Av::S(v)) => v.clone(),
        other => panic!("no sk: {other:?}"),
    }
}

#[tokio::test]
async fn projections_hold_exactly_their_attributes() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("proj");
    create_indexed_table(&client, &table).await;
    let full = item(
        "p",
        "s1",
        &[
            ("kind", s("k")),
            ("n", n(1)),
            ("tag", s("t")),
            ("person", s("o")),
            ("color", s("red")),
            ("size", n(9)),
        ],
    );
    put(&client, &table, full.clone()).await;

    let keys_only = query_all(
        &client,
        &table,
        "ByKind",
        "kind = :k",
        &[(":k", s("k"))],
        true,
        10,
    )
    .await;
    assert_eq!(keys_only.len(), 1);
    assert_eq!(
        names(&keys_only[0]),
        BTreeSet::from(["kind", "n", "pk", "sk"])
    );

    let include = query_all(
        &client,
        &table,
        "ByTag",
        "tag = :t",
        &[(":t", s("t"))],
        true,
        10,
    )
    .await;
    assert_eq!(
        names(&include[0]),
        BTreeSet::from(["color", "pk", "sk", "tag"])
    );

    let all = query_all(
        &client,
        &table,
        "ByOwner",
        "person = :o",
        &[(":o", s("o"))],
        true,
        10,
    )
    .await;
    assert_eq!(all, vec![full.clone()]);

    let local = query_all(
        &client,
        &table,
        "ByN",
        "pk = :p",
        &[(":p", s("p"))],
        true,
        10,
    )
    .await;
    assert_eq!(names(&local[0]), BTreeSet::from(["color", "n", "pk", "sk"]));

    // A local index fetches what it lacks from the table (and charges
    // the table for it).
    let fetched = client
        .query()
        .table_name(&table)
        .index_name("ByN")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .select(Select::AllAttributes)
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.items.unwrap(), vec![full.clone()]);
    let capacity = fetched.consumed_capacity.unwrap();
    assert!(capacity.table.unwrap().capacity_units.unwrap() > 0.0);
    assert!(capacity
        .local_secondary_indexes
        .unwrap()
        .contains_key("ByN"));

    let projected = client
        .query()
        .table_name(&table)
        .index_name("ByN")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .projection_expression("size, color")
        .send()
        .await
        .unwrap();
    assert_eq!(
        projected.items.unwrap(),
        vec![[("size".to_string(), n(9)), ("color".to_string(), s("red"))].into()]
    );

    // A global index cannot fetch.
    let err = client
        .query()
        .table_name(&table)
        .index_name("ByTag")
        .key_condition_expression("tag = :t")
        .expression_attribute_values(":t", s("t"))
        .select(Select::AllAttributes)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    assert!(
        error_message(&err).contains("ALL_ATTRIBUTES"),
        "{}",
        error_message(&err)
    );

    // Nor return what it lacks; the attributes are listed in the order
    // DynamoDB (a Java HashSet) lists them, not the request's.
    let err = client
        .query()
        .table_name(&table)
        .index_name("ByTag")
        .key_condition_expression("tag = :t")
        .expression_attribute_values(":t", s("t"))
        .projection_expression("size, n, person")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&err),
        "One or more parameter values were invalid: Global secondary index ByTag does not project [size, person, n]"
    );
    // PartiQL lists them as the statement does, ahead of the WHERE
    // clause's checks (recorded from DynamoDB).
    let err = client
        .execute_statement()
        .statement(format!(
            r#"SELECT "size", n, person, n FROM "{table}"."ByTag" WHERE tag = 't' AND nope = 1"#
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&err),
        "One or more parameter values were invalid: Global secondary index ByTag does not project [size, n, person]"
    );
}

#[tokio::test]
async fn sparse_and_overloaded_global_index() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("overload");
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(definition("PK", ScalarAttributeType::S))
        .attribute_definitions(definition("SK", ScalarAttributeType::S))
        .attribute_definitions(definition("GSI1PK", ScalarAttributeType::S))
        .attribute_definitions(definition("GSI1SK", ScalarAttributeType::S))
        .key_schema(key("PK", KeyType::Hash))
        .key_schema(key("SK", KeyType::Range))
        .global_secondary_indexes(gsi(
            "GSI1",
            "GSI1PK",
            Some("GSI1SK"),
            projection(ProjectionType::All, &[]),
        ))
        .send()
        .await
        .unwrap();
    let entity = |pk: &str, sk: &str, gpk: Option<&str>, gsk: &str| {
        let mut item: Item = [("PK".to_string(), s(pk)), ("SK".to_string(), s(sk))].into();
        if let Some(gpk) = gpk {
            item.insert("GSI1PK".into(), s(gpk));
            item.insert("GSI1SK".into(), s(gsk));
        }
        item
    };
    // Users by email, orders by user: two entity types share one index.
    put(
        &client,
        &table,
        entity("USER#1", "PROFILE", Some("EMAIL#a@x.com"), "USER#1"),
    )
    .await;
    put(
        &client,
        &table,
        entity("USER#2", "PROFILE", Some("EMAIL#b@x.com"), "USER#2"),
    )
    .await;
    put(
        &client,
        &table,
        entity("ORDER#9", "META", Some("USER#1"), "ORDER#2024-01-02"),
    )
    .await;
    put(
        &client,
        &table,
        entity("ORDER#8", "META", Some("USER#1"), "ORDER#2024-01-01"),
    )
    .await;
    put(&client, &table, entity("USER#1", "SETTINGS", None, "")).await;

    let by_email = query_all(
        &client,
        &table,
        "GSI1",
        "GSI1PK = :e",
        &[(":e", s("EMAIL#a@x.com"))],
        true,
        10,
    )
    .await;
    assert_eq!(by_email.len(), 1);
    assert_eq!(by_email[0]["PK"], s("USER#1"));

    let orders = query_all(
        &client,
        &table,
        "GSI1",
        "GSI1PK = :u AND begins_with(GSI1SK, :o)",
        &[(":u", s("USER#1")), (":o", s("ORDER#"))],
        false,
        10,
    )
    .await;
    let order_keys: Vec<&Av> = orders.iter().map(|o| &o["PK"]).collect();
    assert_eq!(order_keys, vec![&s("ORDER#9"), &s("ORDER#8")]);

    // Sparse: the settings item has no GSI1 keys and is not in the index.
    let everything = scan_index(&client, &table, "GSI1").await;
    assert_eq!(everything.len(), 4);
    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let index = &described.table.unwrap().global_secondary_indexes.unwrap()[0];
    assert_eq!(index.item_count, Some(4));
    assert_eq!(index.index_status, Some(IndexStatus::Active));
    assert!(index
        .index_arn
        .as_deref()
        .unwrap()
        .ends_with(&format!("table/{table}/index/GSI1")));
}

#[tokio::test]
async fn local_index_orders_by_its_sort_key_and_pages_both_ways() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("lsi");
    create_indexed_table(&client, &table).await;
    // n runs opposite to sk; several items share one n.
    for i in 0..60 {
        let fields = [("n", n(100 - i / 3)), ("person", s("o")), ("color", s("c"))];
        put(&client, &table, item("p", &format!("s{i:02}"), &fields)).await;
    }
    put(&client, &table, item("other", "s00", &[("n", n(1))])).await;

    for (forward, limit) in [(true, 7), (false, 4), (true, 100)] {
        let items = query_all(
            &client,
            &table,
            "ByN",
            "pk = :p AND n BETWEEN :a AND :b",
            &[(":p", s("p")), (":a", n(85)), (":b", n(95))],
            forward,
            limit,
        )
        .await;
        let ns: Vec<i64> = items
            .iter()
            .map(|i| match &i["n"] {
                Av::N(v) => v.parse().unwrap(),
                _ => panic!(),
            })
            .collect();
        let mut expected = ns.clone();
        expected.sort_unstable();
        if !forward {
            expected.reverse();
        }
        assert_eq!(ns, expected, "forward {forward}");
        assert_eq!(ns.len(), 33, "each of 11 values has 3 items");
        let distinct: BTreeSet<String> = items.iter().map(sk_of).collect();
        assert_eq!(distinct.len(), 33, "no item twice across pages");
    }

    // LastEvaluatedKey carries the index key and the table key.
    let page = client
        .query()
        .table_name(&table)
        .index_name("ByOwner")
        .key_condition_expression("person = :o")
        .expression_attribute_values(":o", s("o"))
        .limit(2)
        .send()
        .await
        .unwrap();
    let last = page.last_evaluated_key.unwrap();
    assert_eq!(
        last.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from(["person", "pk", "sk"])
    );
    let all_owned = query_all(
        &client,
        &table,
        "ByOwner",
        "person = :o",
        &[(":o", s("o"))],
        false,
        9,
    )
    .await;
    let sks: Vec<String> = all_owned.iter().map(sk_of).collect();
    let mut expected: Vec<String> = (0..60).map(|i| format!("s{i:02}")).collect();
    expected.reverse();
    assert_eq!(sks, expected);
}

#[tokio::test]
async fn every_write_path_maintains_the_indexes() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("maint");
    create_indexed_table(&client, &table).await;
    put(
        &client,
        &table,
        item("a", "1", &[("tag", s("x")), ("color", s("red"))]),
    )
    .await;

    let tags = |items: Vec<Item>| -> Vec<String> { items.iter().map(sk_of).collect() };
    let by_tag = |tag: &'static str| {
        let client = client.clone();
        let table = table.clone();
        async move {
            query_all(
                &client,
                &table,
                "ByTag",
                "tag = :t",
                &[(":t", s(tag))],
                true,
                10,
            )
            .await
        }
    };
    assert_eq!(tags(by_tag("x").await), vec!["1"]);

    // UpdateItem moves the entry to its new key.
    client
        .update_item()
        .table_name(&table)
        .key("pk", s("a"))
        .key("sk", s("1"))
        .update_expression("SET tag = :y, color = :c")
        .expression_attribute_values(":y", s("y"))
        .expression_attribute_values(":c", s("blue"))
        .send()
        .await
        .unwrap();
    assert!(by_tag("x").await.is_empty());
    let moved = by_tag("y").await;
    assert_eq!(moved[0]["color"], s("blue"));

    // Removing the key attribute drops the entry (sparse).
    client
        .update_item()
        .table_name(&table)
        .key("pk", s("a"))
        .key("sk", s("1"))
        .update_expression("REMOVE tag")
        .send()
        .await
        .unwrap();
    assert!(by_tag("y").await.is_empty());

    // BatchWriteItem puts and deletes.
    let put_request = |sk: &str| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(item("b", sk, &[("tag", s("z"))])))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    client
        .batch_write_item()
        .request_items(
            &table,
            vec![put_request("1"), put_request("2"), put_request("3")],
        )
        .send()
        .await
        .unwrap();
    assert_eq!(tags(by_tag("z").await), vec!["1", "2", "3"]);
    let delete_request = WriteRequest::builder()
        .delete_request(
            DeleteRequest::builder()
                .key("pk", s("b"))
                .key("sk", s("2"))
                .build()
                .unwrap(),
        )
        .build();
    client
        .batch_write_item()
        .request_items(&table, vec![delete_request])
        .send()
        .await
        .unwrap();
    assert_eq!(tags(by_tag("z").await), vec!["1", "3"]);

    // DeleteItem and an overwriting PutItem.
    client
        .delete_item()
        .table_name(&table)
        .key("pk", s("b"))
        .key("sk", s("1"))
        .send()
        .await
        .unwrap();
    put(&client, &table, item("b", "3", &[("tag", s("w"))])).await;
    assert!(by_tag("z").await.is_empty());
    assert_eq!(tags(by_tag("w").await), vec!["3"]);

    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let by_tag_description = described
        .table
        .unwrap()
        .global_secondary_indexes
        .unwrap()
        .into_iter()
        .find(|i| i.index_name.as_deref() == Some("ByTag"))
        .unwrap();
    assert_eq!(by_tag_description.item_count, Some(1));
    assert!(by_tag_description.index_size_bytes.unwrap() > 0);
}

#[tokio::test]
async fn writes_report_index_capacity_and_item_collections() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("cap");
    create_indexed_table(&client, &table).await;
    let written = client
        .put_item()
        .table_name(&table)
        .set_item(Some(item(
            "p",
            "1",
            &[("kind", s("k")), ("n", n(1)), ("tag", s("t"))],
        )))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .return_item_collection_metrics(ReturnItemCollectionMetrics::Size)
        .send()
        .await
        .unwrap();
    let capacity = written.consumed_capacity.unwrap();
    assert_eq!(capacity.table.unwrap().capacity_units, Some(1.0));
    let globals = capacity.global_secondary_indexes.unwrap();
    assert_eq!(
        globals.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        BTreeSet::from(["ByKind", "ByTag"]),
        "ByOwner has no entry for this item"
    );
    assert_eq!(
        capacity.local_secondary_indexes.unwrap()["ByN"].capacity_units,
        Some(1.0)
    );
    assert_eq!(capacity.capacity_units, Some(4.0));
    let metrics = written.item_collection_metrics.unwrap();
    assert_eq!(metrics.item_collection_key.unwrap()["pk"], s("p"));
    assert_eq!(metrics.size_estimate_range_gb.unwrap(), vec![0.0, 1.0]);

    // Changing an index key costs a delete and a put in that index.
    let updated = client
        .update_item()
        .table_name(&table)
        .key("pk", s("p"))
        .key("sk", s("1"))
        .update_expression("SET kind = :k2")
        .expression_attribute_values(":k2", s("k2"))
        .return_consumed_capacity(ReturnConsumedCapacity::Indexes)
        .send()
        .await
        .unwrap();
    let capacity = updated.consumed_capacity.unwrap();
    let globals = capacity.global_secondary_indexes.unwrap();
    assert_eq!(globals["ByKind"].capacity_units, Some(2.0));
    assert!(
        !globals.contains_key("ByTag"),
        "ByTag's entry did not change"
    );
}

/// Deleting an item that is not there, on a table with a local index,
/// changes nothing and reports no item collection (as DynamoDB Local
/// answers); it once failed with InternalServerError on every write path
/// (found by `fuzz/`'s data-plane target).
#[tokio::test]
async fn deleting_a_missing_item_from_a_table_with_local_indexes() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("delmiss");
    create_indexed_table(&client, &table).await;
    let deleted = client
        .delete_item()
        .table_name(&table)
        .key("pk", s("p"))
        .key("sk", s("absent"))
        .return_item_collection_metrics(ReturnItemCollectionMetrics::Size)
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
        .return_consumed_capacity(ReturnConsumedCapacity::Total)
        .send()
        .await
        .expect("DeleteItem of a missing item");
    assert!(deleted.attributes.is_none());
    assert!(deleted.item_collection_metrics.is_none());
    assert_eq!(deleted.consumed_capacity.unwrap().capacity_units, Some(1.0));

    let mut key = Item::new();
    key.insert("pk".into(), s("p"));
    key.insert("sk".into(), s("absent-too"));
    let batch = client
        .batch_write_item()
        .request_items(
            &table,
            vec![WriteRequest::builder()
                .delete_request(
                    DeleteRequest::builder()
                        .set_key(Some(key.clone()))
                        .build()
                        .unwrap(),
                )
                .build()],
        )
        .return_item_collection_metrics(ReturnItemCollectionMetrics::Size)
        .send()
        .await
        .expect("BatchWriteItem deleting a missing item");
    assert!(batch.unprocessed_items.unwrap_or_default().is_empty());

    client
        .transact_write_items()
        .transact_items(
            aws_sdk_dynamodb::types::TransactWriteItem::builder()
                .delete(
                    aws_sdk_dynamodb::types::Delete::builder()
                        .table_name(&table)
                        .set_key(Some(key))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .expect("TransactWriteItems deleting a missing item");

    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    assert_eq!(described.table.unwrap().item_count, Some(0));
    assert!(scan_index(&client, &table, "ByN").await.is_empty());
}

#[tokio::test]
async fn item_collections_are_limited_on_tables_with_local_indexes() {
    let server = Server::start_with(&["--max-item-collection-bytes", "3000"]);
    let client = server.client();
    let table = unique_table("coll");
    create_indexed_table(&client, &table).await;
    let big = "x".repeat(900);
    for i in 0..2 {
        put(
            &client,
            &table,
            item("p", &i.to_string(), &[("n", n(i)), ("pad", s(&big))]),
        )
        .await;
    }
    let err = client
        .put_item()
        .table_name(&table)
        .set_item(Some(item("p", "9", &[("n", n(9)), ("pad", s(&big))])))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ItemCollectionSizeLimitExceededException");
    // Other partitions and shrinking writes still work.
    put(&client, &table, item("q", "1", &[("pad", s(&big))])).await;
    client
        .delete_item()
        .table_name(&table)
        .key("pk", s("p"))
        .key("sk", s("0"))
        .send()
        .await
        .unwrap();
    put(
        &client,
        &table,
        item("p", "9", &[("n", n(9)), ("pad", s(&big))]),
    )
    .await;
}

#[tokio::test]
async fn index_reads_and_writes_are_validated() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("val");
    create_indexed_table(&client, &table).await;

    let err = client
        .put_item()
        .table_name(&table)
        .set_item(Some(item("p", "1", &[("kind", n(3))])))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    assert!(
        error_message(&err).contains("Type mismatch for Index Key kind"),
        "{}",
        error_message(&err)
    );

    let err = client
        .update_item()
        .table_name(&table)
        .key("pk", s("p"))
        .key("sk", s("1"))
        .update_expression("SET tag = :e")
        .expression_attribute_values(":e", s(""))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    assert!(
        error_message(&err).contains("secondary index key"),
        "{}",
        error_message(&err)
    );
    let nothing = client.scan().table_name(&table).send().await.unwrap();
    assert_eq!(nothing.count, 0, "a rejected write leaves nothing behind");

    let err = client
        .query()
        .table_name(&table)
        .index_name("Nope")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&err),
        "The table does not have the specified index: Nope"
    );

    let err = client
        .query()
        .table_name(&table)
        .index_name("ByTag")
        .key_condition_expression("tag = :t")
        .expression_attribute_values(":t", s("t"))
        .consistent_read(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&err),
        "Consistent reads are not supported on global secondary indexes"
    );
    // Local indexes allow it.
    client
        .query()
        .table_name(&table)
        .index_name("ByN")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();

    // The key condition must name the index's keys.
    let err = client
        .query()
        .table_name(&table)
        .index_name("ByTag")
        .key_condition_expression("pk = :p")
        .expression_attribute_values(":p", s("p"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");

    // An index starting key needs the table key as well.
    let err = client
        .query()
        .table_name(&table)
        .index_name("ByTag")
        .key_condition_expression("tag = :t")
        .expression_attribute_values(":t", s("t"))
        .exclusive_start_key("tag", s("t"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
}

/// A table keyed `pk`/`sk` with attributes `g`, `h` (S) and `n` (N)
/// defined, to hang index definitions on.
fn indexed_request(
    client: &Client,
) -> aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder {
    client
        .create_table()
        .table_name(unique_table("v"))
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(definition("pk", ScalarAttributeType::S))
        .attribute_definitions(definition("sk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
}

async fn validation_message(
    request: aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder,
) -> String {
    let err = request.send().await.expect_err("the definition is invalid");
    assert_eq!(
        error_code(&err),
        "ValidationException",
        "{}",
        error_message(&err)
    );
    error_message(&err)
}

#[tokio::test]
async fn create_table_validates_index_definitions() {
    let server = Server::start();
    let client = server.client();
    let all = || projection(ProjectionType::All, &[]);
    let g = || definition("g", ScalarAttributeType::S);
    let h = || definition("h", ScalarAttributeType::S);
    let capacity = || {
        ProvisionedThroughput::builder()
            .read_capacity_units(5)
            .write_capacity_units(5)
            .build()
            .unwrap()
    };
    // A provisioned table keyed `pk`, `g` defined for an index.
    let provisioned = || {
        client
            .create_table()
            .table_name(unique_table("v"))
            .attribute_definitions(definition("pk", ScalarAttributeType::S))
            .attribute_definitions(g())
            .key_schema(key("pk", KeyType::Hash))
            .provisioned_throughput(capacity())
    };
    let g_index = |name: &str| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .key_schema(key("g", KeyType::Hash))
            .projection(all())
    };

    let hash_only = client
        .create_table()
        .table_name(unique_table("v"))
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(definition("pk", ScalarAttributeType::S))
        .attribute_definitions(h())
        .key_schema(key("pk", KeyType::Hash))
        .local_secondary_indexes(lsi("ByH", "h", all()));
    let twenty_one: Vec<String> = (0..21).map(|i| format!("n{i}")).collect();
    let twenty_one: Vec<&str> = twenty_one.iter().map(String::as_str).collect();
    let cases: Vec<(_, &str)> = vec![
        // Coral's member checks on an index come first, in either billing
        // mode (DDB-TABLE-126, 128).
        (
            indexed_request(&client).attribute_definitions(g()).global_secondary_indexes(
                g_index("Zero")
                    .provisioned_throughput(
                        ProvisionedThroughput::builder()
                            .read_capacity_units(0)
                            .write_capacity_units(1)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            ),
            "1 validation error detected: Value '0' at 'globalSecondaryIndexes.1.member.provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
        (
            provisioned().global_secondary_indexes(
                g_index("Zero")
                    .provisioned_throughput(
                        ProvisionedThroughput::builder()
                            .read_capacity_units(1)
                            .write_capacity_units(0)
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            ),
            "1 validation error detected: Value '0' at 'globalSecondaryIndexes.1.member.provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
        (
            indexed_request(&client).attribute_definitions(g()).global_secondary_indexes(gsi(
                "Wide",
                "g",
                None,
                projection(ProjectionType::Include, &twenty_one),
            )),
            "1 validation error detected: Value '[n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10, n11, n12, n13, n14, n15, n16, n17, n18, n19, n20]' at 'globalSecondaryIndexes.1.member.projection.nonKeyAttributes' failed to satisfy constraint: Member must have length less than or equal to 20",
        ),
        (
            indexed_request(&client).attribute_definitions(h()).local_secondary_indexes(lsi(
                "Lower",
                "h",
                Projection::builder()
                    .projection_type(ProjectionType::from("all"))
                    .build(),
            )),
            "1 validation error detected: Value 'all' at 'localSecondaryIndexes.1.member.projection.projectionType' failed to satisfy constraint: Member must satisfy enum value set: [ALL, KEYS_ONLY, INCLUDE]",
        ),
        // The global indexes' errors come first, whichever the request
        // lists first (recorded from DynamoDB, 2026-10-09).
        (
            indexed_request(&client)
                .attribute_definitions(g())
                .attribute_definitions(h())
                .local_secondary_indexes(lsi("aa", "h", all()))
                .global_secondary_indexes(gsi("zz", "g", None, all())),
            "2 validation errors detected: Value 'zz' at 'globalSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3; Value 'aa' at 'localSecondaryIndexes.1.member.indexName' failed to satisfy constraint: Member must have length greater than or equal to 3",
        ),
        // An unused definition masks the index's own errors (DDB-TABLE-127).
        (
            indexed_request(&client)
                .attribute_definitions(g())
                .attribute_definitions(h())
                .global_secondary_indexes(gsi("Masked", "g", None, projection(ProjectionType::All, &["a"]))),
            "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [pk, sk, g, h], keys used: [g, sk, pk]",
        ),
        // RANGE only, or RANGE first (DDB-TABLE-124).
        (
            indexed_request(&client).attribute_definitions(g()).global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name("RangeOnly")
                    .key_schema(key("g", KeyType::Range))
                    .projection(all())
                    .build()
                    .unwrap(),
            ),
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
        // CreateTable refuses -1 (UpdateTable's "no ceiling"), and warm
        // throughput below on-demand's start, 0 included (DDB-TABLE-128).
        (
            indexed_request(&client).attribute_definitions(g()).global_secondary_indexes(
                g_index("Ceil")
                    .on_demand_throughput(
                        OnDemandThroughput::builder()
                            .max_read_request_units(-1)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            ),
            "One or more parameter values were invalid: Requested MaxReadRequestUnits for OnDemandThroughput for index : Ceil is outside of valid range",
        ),
        (
            indexed_request(&client).attribute_definitions(g()).global_secondary_indexes(
                g_index("g-a")
                    .warm_throughput(
                        WarmThroughput::builder()
                            .read_units_per_second(0)
                            .write_units_per_second(0)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            ),
            "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for index g-a is lower than initial throughput for OnDemand. See: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html#on-demand-capacity-mode-initial",
        ),
        (
            hash_only,
            "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
        ),
        (
            indexed_request(&client).global_secondary_indexes(gsi("Gix", "missing", None, all())),
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [missing], AttributeDefinitions: [pk, sk]",
        ),
        (
            indexed_request(&client).local_secondary_indexes(lsi("Lix", "missing", all())),
            "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [pk, missing], AttributeDefinitions: [pk, sk]",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(g())
                .global_secondary_indexes(gsi("Same", "g", Some("g"), all())),
            "The KeySchema contains multiple key attributes with the same name",
        ),
        (
            indexed_request(&client).set_global_secondary_indexes(Some(Vec::new())),
            "One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty",
        ),
        (
            indexed_request(&client).set_local_secondary_indexes(Some(Vec::new())),
            "One or more parameter values were invalid: List of LocalSecondaryIndexes is empty",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(g())
                .global_secondary_indexes(gsi("Dup", "g", None, all()))
                .global_secondary_indexes(gsi("Dup", "g", None, all())),
            "One or more parameter values were invalid: Duplicate index name: Dup",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(g())
                .attribute_definitions(h())
                .global_secondary_indexes(gsi("Dup", "g", None, all()))
                .local_secondary_indexes(lsi("Dup", "h", all())),
            "One or more parameter values were invalid: Duplicate index name: Dup",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(g())
                .global_secondary_indexes(gsi("Inc", "g", None, projection(ProjectionType::Include, &[]))),
            "One or more parameter values were invalid: ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(g())
                .global_secondary_indexes(gsi("Kon", "g", None, projection(ProjectionType::KeysOnly, &["a"]))),
            "One or more parameter values were invalid: ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(h())
                .local_secondary_indexes(lsi("Alx", "h", projection(ProjectionType::All, &["a"]))),
            "One or more parameter values were invalid: ProjectionType is ALL, but NonKeyAttributes is specified",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(g())
                .global_secondary_indexes(gsi("NoType", "g", None, Projection::builder().build())),
            "One or more parameter values were invalid: Unknown ProjectionType: null",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(h())
                .local_secondary_indexes(lsi("NoType", "h", Projection::builder().non_key_attributes("a").build())),
            "One or more parameter values were invalid: Unknown ProjectionType: null",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(g())
                .global_secondary_indexes(gsi("Two", "g", None, projection(ProjectionType::Include, &["a", "a"]))),
            "One or more parameter values were invalid: Duplicate element in NonKeyAttributes: a",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(h())
                .local_secondary_indexes(
                    LocalSecondaryIndex::builder()
                        .index_name("Other")
                        .key_schema(key("h", KeyType::Hash))
                        .key_schema(key("sk", KeyType::Range))
                        .projection(all())
                        .build()
                        .unwrap(),
                ),
            "One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: Other. index hash key: h, table hash key: pk",
        ),
        (
            indexed_request(&client).local_secondary_indexes(
                LocalSecondaryIndex::builder()
                    .index_name("NoRange")
                    .key_schema(key("pk", KeyType::Hash))
                    .projection(all())
                    .build()
                    .unwrap(),
            ),
            "One or more parameter values were invalid: Index KeySchema does not have a range key for index: NoRange",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(g())
                .attribute_definitions(h())
                .global_secondary_indexes(gsi("Gix", "g", None, all())),
            // Keys used in DynamoDB's order (a Java HashSet's).
            "One or more parameter values were invalid: Some AttributeDefinitions are not used. AttributeDefinitions: [pk, sk, g, h], keys used: [g, sk, pk]",
        ),
        (
            indexed_request(&client)
                .attribute_definitions(g())
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name("Order")
                        .key_schema(key("g", KeyType::Range))
                        .key_schema(key("sk", KeyType::Hash))
                        .projection(all())
                        .build()
                        .unwrap(),
                ),
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
        (
            client
                .create_table()
                .table_name(unique_table("v"))
                .attribute_definitions(definition("pk", ScalarAttributeType::S))
                .attribute_definitions(g())
                .key_schema(key("pk", KeyType::Hash))
                .provisioned_throughput(
                    aws_sdk_dynamodb::types::ProvisionedThroughput::builder()
                        .read_capacity_units(5)
                        .write_capacity_units(5)
                        .build()
                        .unwrap(),
                )
                .global_secondary_indexes(gsi("Prov", "g", None, all())),
            "One or more parameter values were invalid: ProvisionedThroughput is not specified for index: Prov",
        ),
        (
            provisioned().global_secondary_indexes(
                g_index("Ceil")
                    .provisioned_throughput(capacity())
                    .on_demand_throughput(
                        OnDemandThroughput::builder()
                            .max_read_request_units(10)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            ),
            "One or more parameter values were invalid: MaxReadRequestUnits for OnDemandThroughput for index: Ceil cannot be specified when table BillingMode is PROVISIONED.",
        ),
        (
            indexed_request(&client).attribute_definitions(g()).global_secondary_indexes(
                g_index("Ceil")
                    .on_demand_throughput(
                        OnDemandThroughput::builder()
                            .max_read_request_units(5)
                            .max_write_request_units(0)
                            .build(),
                    )
                    .build()
                    .unwrap(),
            ),
            "One or more parameter values were invalid: Requested MaxWriteRequestUnits for OnDemandThroughput for index : Ceil is outside of valid range",
        ),
        (
            provisioned().global_secondary_indexes(
                g_index("Warm")
                    .provisioned_throughput(capacity())
                    .warm_throughput(WarmThroughput::builder().read_units_per_second(4).build())
                    .build()
                    .unwrap(),
            ),
            "One or more parameter values were invalid: Requested ReadUnitsPerSecond for WarmThroughput for index Warm is lower than ReadCapacityUnits of ProvisionedThroughput",
        ),
    ];
    for (request, expected) in cases {
        let message = validation_message(request).await;
        // DynamoDB's words; DynamoDB Local words most of these its own way.
        if server.is_ours() {
            assert_eq!(message, expected);
        }
    }

    // Quotas: 5 local and 20 global indexes, 100 projected attributes.
    let mut six = indexed_request(&client);
    for i in 0..6 {
        let name = format!("l{i}");
        six = six
            .attribute_definitions(definition(&name, ScalarAttributeType::S))
            .local_secondary_indexes(lsi(&format!("Local{i}"), &name, all()));
    }
    let message = validation_message(six).await;
    if server.is_ours() {
        assert_eq!(
            message,
            "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds per-table limit of 5"
        );
    }
    let mut many = indexed_request(&client).attribute_definitions(g());
    for i in 0..21 {
        many = many.global_secondary_indexes(gsi(&format!("Global{i}"), "g", None, all()));
    }
    let message = validation_message(many).await;
    if server.is_ours() {
        assert_eq!(
            message,
            "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the per-table limit of 20"
        );
    }
    // At most 20 per index (Coral's check), 100 over all of them.
    let names: Vec<String> = (0..17).map(|i| format!("a{i}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut projected = indexed_request(&client).attribute_definitions(g());
    for i in 0..6 {
        projected = projected.global_secondary_indexes(gsi(
            &format!("Inc{i}"),
            "g",
            None,
            projection(ProjectionType::Include, &names),
        ));
    }
    assert!(validation_message(projected)
        .await
        .starts_with("No more than"));
}

/// Writers update and delete items while a new global index backfills;
/// the finished index equals the index rebuilt from the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn online_index_creation_races_writers() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("online");
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(definition("pk", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash))
        .send()
        .await
        .unwrap();
    const ITEMS: usize = 4000;
    let requests: Vec<WriteRequest> = (0..ITEMS)
        .map(|i| {
            let item: Item = [
                ("pk".to_string(), s(&format!("k{i}"))),
                ("g".to_string(), s(&format!("g{}", i % 13))),
                ("v".to_string(), n(0)),
            ]
            .into();
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                .build()
        })
        .collect();
    for chunk in requests.chunks(25) {
        client
            .batch_write_item()
            .request_items(&table, chunk.to_vec())
            .send()
            .await
            .unwrap();
    }

    // Writers: move items between index partitions, remove them from the
    // index, delete them, and add new ones, before, during and after the
    // index's creation.
    let mut writers = Vec::new();
    for w in 0..4usize {
        let client = client.clone();
        let table = table.clone();
        writers.push(tokio::spawn(async move {
            for step in 0..400usize {
                let i = (step * 37 + w * 1009) % ITEMS;
                let pk = s(&format!("k{i}"));
                let result = match step % 4 {
                    0 => client
                        .update_item()
                        .table_name(&table)
                        .key("pk", pk)
                        .update_expression("SET g = :g, v = v + :one")
                        .expression_attribute_values(":g", s(&format!("g{}", step % 5)))
                        .expression_attribute_values(":one", n(1))
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| format!("{e:?}")),
                    1 => client
                        .update_item()
                        .table_name(&table)
                        .key("pk", pk)
                        .update_expression("REMOVE g")
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| format!("{e:?}")),
                    2 => client
                        .delete_item()
                        .table_name(&table)
                        .key("pk", pk)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| format!("{e:?}")),
                    _ => client
                        .put_item()
                        .table_name(&table)
                        .item("pk", s(&format!("new{w}_{step}")))
                        .item("g", s("g1"))
                        .item("v", n(7))
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| format!("{e:?}")),
                };
                result.expect("write during backfill");
            }
        }));
    }
    let created = client
        .update_table()
        .table_name(&table)
        .attribute_definitions(definition("g", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("ByG")
                        .key_schema(key("g", KeyType::Hash))
                        .projection(projection(ProjectionType::Include, &["v"]))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let creating = &created
        .table_description
        .unwrap()
        .global_secondary_indexes
        .unwrap()[0];
    assert_eq!(creating.index_status, Some(IndexStatus::Creating));

    for writer in writers {
        writer.await.unwrap();
    }
    let (_, index) = describe_once_active(&client, &table, "ByG").await;
    assert_eq!(index.backfilling, None);

    let mut in_index: Vec<Item> = scan_index(&client, &table, "ByG").await;
    let mut expected: Vec<Item> = scan_all(&client, &table)
        .await
        .into_iter()
        .filter(|item| item.contains_key("g"))
        .collect();
    let key_of = |item: &Item| format!("{:?}", item["pk"]);
    in_index.sort_by_key(key_of);
    expected.sort_by_key(key_of);
    assert_eq!(
        in_index, expected,
        "the backfilled index equals the table's"
    );
    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap();
    let index = &described.table.unwrap().global_secondary_indexes.unwrap()[0];
    assert_eq!(index.item_count, Some(expected.len() as i64));
}

async fn scan_all(client: &Client, table: &str) -> Vec<Item> {
    let pages: Vec<_> = client
        .scan()
        .table_name(table)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scan");
    pages
        .into_iter()
        .flat_map(|p| p.items.unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn parallel_scan_of_an_index_covers_it_once() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("pscan");
    create_indexed_table(&client, &table).await;
    for i in 0..300 {
        put(
            &client,
            &table,
            item(
                &format!("p{}", i % 40),
                &format!("s{i}"),
                &[("tag", s(&format!("t{}", i % 17)))],
            ),
        )
        .await;
    }
    let mut seen = BTreeSet::new();
    for segment in 0..4 {
        let pages: Vec<_> = client
            .scan()
            .table_name(&table)
            .index_name("ByTag")
            .segment(segment)
            .total_segments(4)
            .limit(11)
            .into_paginator()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .unwrap();
        for item in pages.into_iter().flat_map(|p| p.items.unwrap_or_default()) {
            assert!(seen.insert(sk_of(&item)), "an entry in two segments");
        }
    }
    assert_eq!(seen.len(), 300);
}

#[tokio::test]
async fn update_table_deletes_and_rejects_index_changes() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("upd");
    create_indexed_table(&client, &table).await;
    put(&client, &table, item("p", "1", &[("tag", s("t"))])).await;

    let err = client
        .update_table()
        .table_name(&table)
        .global_secondary_index_updates(delete_global_index("Nope"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ResourceNotFoundException");
    assert_eq!(
        error_message(&err),
        format!("Requested resource not found: Index Nope for table {table}")
    );

    // A new index's keys must be defined by the request itself: none
    // defined, or one the table defines already left out.
    let refused_create =
        |definitions: Vec<AttributeDefinition>, name: &str, keys: &[(&str, KeyType)]| {
            let mut action = CreateGlobalSecondaryIndexAction::builder()
                .index_name(name)
                .projection(projection(ProjectionType::All, &[]));
            for (attribute, key_type) in keys {
                action = action.key_schema(key(attribute, key_type.clone()));
            }
            client
                .update_table()
                .table_name(&table)
                .set_attribute_definitions((!definitions.is_empty()).then_some(definitions))
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .create(action.build().unwrap())
                        .build(),
                )
                .send()
        };
    let err = refused_create(vec![], "ByTag", &[("tag", KeyType::Hash)])
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&err),
        "One or more parameter values were invalid: AttributeDefinitions is not specified for index: ByTag"
    );
    let err = refused_create(
        vec![definition("g3", ScalarAttributeType::S)],
        "ByG3",
        &[("g3", KeyType::Hash), ("pk", KeyType::Range)],
    )
    .await
    .unwrap_err();
    assert_eq!(
        error_message(&err),
        "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [g3, pk], AttributeDefinitions: [g3]"
    );

    // The shape of GlobalSecondaryIndexUpdates, in DynamoDB's words.
    let create_action = || {
        CreateGlobalSecondaryIndexAction::builder()
            .index_name("New1")
            .key_schema(key("tag", KeyType::Hash))
            .projection(projection(ProjectionType::All, &[]))
            .build()
            .unwrap()
    };
    let delete_action = || {
        DeleteGlobalSecondaryIndexAction::builder()
            .index_name("ByTag")
            .build()
            .unwrap()
    };
    let throughput_update = |billing: Option<BillingMode>| {
        client
            .update_table()
            .table_name(&table)
            .set_billing_mode(billing)
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder()
                    .update(
                        UpdateGlobalSecondaryIndexAction::builder()
                            .index_name("ByTag")
                            .provisioned_throughput(
                                ProvisionedThroughput::builder()
                                    .read_capacity_units(2)
                                    .write_capacity_units(2)
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    )
                    .build(),
            )
    };
    for (request, message) in [
        (
            client
                .update_table()
                .table_name(&table)
                .set_global_secondary_index_updates(Some(vec![]))
                .deletion_protection_enabled(true),
            "List of GlobalSecondaryIndexUpdates is empty".to_string(),
        ),
        (
            client
                .update_table()
                .table_name(&table)
                .global_secondary_index_updates(GlobalSecondaryIndexUpdate::builder().build()),
            "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, \
             GlobalSecondaryIndexUpdate.Delete must not be null"
                .to_string(),
        ),
        (
            client
                .update_table()
                .table_name(&table)
                .attribute_definitions(definition("tag", ScalarAttributeType::S))
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .create(create_action())
                        .delete(delete_action())
                        .build(),
                ),
            "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object"
                .to_string(),
        ),
        (
            client
                .update_table()
                .table_name(&table)
                .attribute_definitions(definition("tag", ScalarAttributeType::S))
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .create(create_action())
                        .build(),
                )
                .global_secondary_index_updates(
                    GlobalSecondaryIndexUpdate::builder()
                        .create(create_action())
                        .build(),
                ),
            "Only one global secondary index update per index is allowed simultaneously. Index: New1"
                .to_string(),
        ),
        (
            throughput_update(None),
            "The only Updates for index: ByTag when TableThroughputMode is PAY_PER_REQUEST \
             can be to OnDemandThroughput, WarmThroughput"
                .to_string(),
        ),
        (
            throughput_update(Some(BillingMode::PayPerRequest)),
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: \
             ByTag when BillingMode is PAY_PER_REQUEST"
                .to_string(),
        ),
    ] {
        let err = request.send().await.unwrap_err();
        assert_eq!(error_code(&err), "ValidationException");
        assert_eq!(
            error_message(&err),
            format!("One or more parameter values were invalid: {message}")
        );
    }

    let create = |name: &str| {
        GlobalSecondaryIndexUpdate::builder()
            .create(
                CreateGlobalSecondaryIndexAction::builder()
                    .index_name(name)
                    .key_schema(key("tag", KeyType::Hash))
                    .projection(projection(ProjectionType::All, &[]))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let err = client
        .update_table()
        .table_name(&table)
        .attribute_definitions(definition("tag", ScalarAttributeType::S))
        .global_secondary_index_updates(create("ByTag"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&err),
        "Attempting to create an index which already exists"
    );
    let err = client
        .update_table()
        .table_name(&table)
        .attribute_definitions(definition("tag", ScalarAttributeType::S))
        .global_secondary_index_updates(create("New1"))
        .global_secondary_index_updates(create("New2"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "LimitExceededException");
    let err = client
        .update_table()
        .table_name(&table)
        .attribute_definitions(definition("tag", ScalarAttributeType::N))
        .global_secondary_index_updates(create("New1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&err),
        "invalid attribute, SchemaElement redefined should be of same type as previously defined"
    );

    let deleted = client
        .update_table()
        .table_name(&table)
        .global_secondary_index_updates(delete_global_index("ByTag"))
        .send()
        .await
        .unwrap();
    let listed = deleted
        .table_description
        .unwrap()
        .global_secondary_indexes
        .unwrap();
    let gone = listed
        .iter()
        .find(|i| i.index_name.as_deref() == Some("ByTag"))
        .unwrap();
    assert_eq!(gone.index_status, Some(IndexStatus::Deleting));
    let err = client
        .query()
        .table_name(&table)
        .index_name("ByTag")
        .key_condition_expression("tag = :t")
        .expression_attribute_values(":t", s("t"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    // Writes go on without the index.
    put(&client, &table, item("p", "2", &[("tag", s("t"))])).await;

    // A new index on the same attribute counts its own items only: the
    // deleted index's counts (one item) do not carry over to it.
    client
        .update_table()
        .table_name(&table)
        .attribute_definitions(definition("tag", ScalarAttributeType::S))
        .global_secondary_index_updates(create("ByTagAgain"))
        .send()
        .await
        .unwrap();
    put(&client, &table, item("p", "3", &[("tag", s("u"))])).await;
    let (described, again) = describe_once_active(&client, &table, "ByTagAgain").await;
    assert_eq!((described.item_count, again.item_count), (Some(3), Some(3)));
}

/// The table's description once its global index `index` is ACTIVE (an
/// index created by UpdateTable backfills first), with that index's.
async fn describe_once_active(
    client: &Client,
    table: &str,
    index: &str,
) -> (TableDescription, GlobalSecondaryIndexDescription) {
    for _ in 0..600 {
        let described = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        let found = described
            .global_secondary_indexes()
            .iter()
            .find(|i| i.index_name() == Some(index))
            .cloned()
            .unwrap_or_else(|| panic!("no index {index}"));
        if found.index_status == Some(IndexStatus::Active) {
            return (described, found);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("index {index} never became ACTIVE");
}

fn index_update(
    name: &str,
) -> aws_sdk_dynamodb::types::builders::UpdateGlobalSecondaryIndexActionBuilder {
    UpdateGlobalSecondaryIndexAction::builder().index_name(name)
}

fn capacity(read: i64, write: i64) -> ProvisionedThroughput {
    ProvisionedThroughput::builder()
        .read_capacity_units(read)
        .write_capacity_units(write)
        .build()
        .unwrap()
}

fn updates(
    actions: Vec<UpdateGlobalSecondaryIndexAction>,
) -> Option<Vec<GlobalSecondaryIndexUpdate>> {
    Some(
        actions
            .into_iter()
            .map(|a| GlobalSecondaryIndexUpdate::builder().update(a).build())
            .collect(),
    )
}

fn described_index<'a>(
    table: &'a TableDescription,
    name: &str,
) -> &'a GlobalSecondaryIndexDescription {
    table
        .global_secondary_indexes()
        .iter()
        .find(|i| i.index_name() == Some(name))
        .unwrap_or_else(|| panic!("no index {name}"))
}

#[tokio::test]
async fn index_updates_follow_the_billing_mode_and_quotas() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("gsibill");
    create_indexed_table(&client, &table).await;
    let update = || client.update_table().table_name(&table);
    let region = {
        let described = client
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        described
            .table_arn()
            .unwrap()
            .split(':')
            .nth(3)
            .unwrap()
            .to_string()
    };
    let invalid = |detail: String| format!("One or more parameter values were invalid: {detail}");
    let empty_warm = || WarmThroughput::builder().build();
    let empty_ceiling = || OnDemandThroughput::builder().build();

    // Refused before the table is looked up: a WarmThroughput naming no
    // value.
    for table_name in [table.clone(), unique_table("missing")] {
        let err = client
            .update_table()
            .table_name(table_name)
            .set_global_secondary_index_updates(updates(vec![index_update("ghost")
                .warm_throughput(empty_warm())
                .build()
                .unwrap()]))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&err), "ValidationException");
        assert_eq!(
            error_message(&err),
            invalid("WarmThroughput must have at least one of ReadUnitsPerSecond or WriteUnitsPerSecond specified for index: ghost".into())
        );
    }
    // No such index; a local index; nothing an on-demand table's index
    // can change.
    let err = update()
        .set_global_secondary_index_updates(updates(vec![index_update("ghost")
            .on_demand_throughput(empty_ceiling())
            .build()
            .unwrap()]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ResourceNotFoundException");
    assert_eq!(
        error_message(&err),
        format!("Requested resource not found: Index ghost for table {table}")
    );
    let err = update()
        .set_global_secondary_index_updates(updates(vec![index_update("ByN")
            .on_demand_throughput(
                OnDemandThroughput::builder()
                    .max_read_request_units(5)
                    .build(),
            )
            .build()
            .unwrap()]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    assert_eq!(
        error_message(&err),
        "Cannot update an index that is not a GlobalSecondaryIndex: ByN"
    );
    let err = update()
        .global_secondary_index_updates(delete_global_index("ByN"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&err),
        "Cannot delete an index that is not a GlobalSecondaryIndex: ByN"
    );
    for action in [
        index_update("ByTag").build().unwrap(),
        index_update("ByTag")
            .on_demand_throughput(empty_ceiling())
            .build()
            .unwrap(),
    ] {
        let err = update()
            .set_global_secondary_index_updates(updates(vec![action]))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            error_message(&err),
            invalid("The only Updates for index: ByTag when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput".into())
        );
    }

    // An index's ceiling: the table stays ACTIVE, the index UPDATING; the
    // per-table quota applies to it.
    let ceiling = |read: i64, write: i64| {
        OnDemandThroughput::builder()
            .max_read_request_units(read)
            .max_write_request_units(write)
            .build()
    };
    let answer = update()
        .set_global_secondary_index_updates(updates(vec![index_update("ByTag")
            .on_demand_throughput(ceiling(5_000, 5_000))
            .build()
            .unwrap()]))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(
        answer.table_status(),
        Some(&aws_sdk_dynamodb::types::TableStatus::Active)
    );
    assert_eq!(
        described_index(&answer, "ByTag").index_status(),
        Some(&IndexStatus::Updating)
    );
    assert_eq!(
        described_index(&answer, "ByKind").index_status(),
        Some(&IndexStatus::Active)
    );
    let err = update()
        .set_global_secondary_index_updates(updates(vec![index_update("ByTag")
            .on_demand_throughput(ceiling(40_001, 5))
            .build()
            .unwrap()]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "LimitExceededException");
    assert_eq!(
        error_message(&err),
        format!("Subscriber limit exceeded: Requested MaxReadRequestUnits for OnDemandThroughput for index : ByTag exceeds TableMaxReadCapacityUnits of the account in region {region}")
    );

    // An index's warm throughput: index ACTIVE, its old values UPDATING.
    let answer = update()
        .set_global_secondary_index_updates(updates(vec![index_update("ByTag")
            .warm_throughput(
                WarmThroughput::builder()
                    .read_units_per_second(13_000)
                    .write_units_per_second(5_000)
                    .build(),
            )
            .build()
            .unwrap()]))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    let entry = described_index(&answer, "ByTag");
    assert_eq!(entry.index_status(), Some(&IndexStatus::Active));
    let warm = entry.warm_throughput().unwrap();
    assert_eq!(
        (
            warm.read_units_per_second(),
            warm.write_units_per_second(),
            warm.status().map(|s| s.as_str())
        ),
        (Some(12_000), Some(4_000), Some("UPDATING"))
    );

    // To provisioned: every global index needs its capacity, in index
    // order; nothing is applied until all have it.
    let switch = |indexes: &[&str]| {
        update()
            .billing_mode(BillingMode::Provisioned)
            .provisioned_throughput(capacity(5, 5))
            .set_global_secondary_index_updates(updates(
                indexes
                    .iter()
                    .map(|name| {
                        index_update(name)
                            .provisioned_throughput(capacity(5, 5))
                            .build()
                            .unwrap()
                    })
                    .collect(),
            ))
    };
    for (given, missing) in [(&[][..], "ByKind"), (&["ByKind", "ByTag"][..], "ByOwner")] {
        let request = if given.is_empty() {
            update()
                .billing_mode(BillingMode::Provisioned)
                .provisioned_throughput(capacity(5, 5))
        } else {
            switch(given)
        };
        let err = request.send().await.unwrap_err();
        assert_eq!(error_code(&err), "ValidationException");
        assert_eq!(
            error_message(&err),
            invalid(format!(
                "ProvisionedThroughput must be specified for index: {missing}"
            ))
        );
    }
    let before = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(
        before.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::PayPerRequest)
    );
    assert_eq!(
        described_index(&before, "ByTag").on_demand_throughput(),
        Some(&ceiling(5_000, 5_000))
    );
    let answer = switch(&["ByKind", "ByTag", "ByOwner"])
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    // A switch answers with the new capacity.
    let entry = described_index(&answer, "ByTag");
    assert_eq!(entry.index_status(), Some(&IndexStatus::Updating));
    assert_eq!(
        entry
            .provisioned_throughput()
            .unwrap()
            .read_capacity_units(),
        Some(5)
    );

    // Provisioned: the same capacity again is refused; a change answers
    // with the old capacity, the index UPDATING and the table ACTIVE.
    let err = update()
        .set_global_secondary_index_updates(updates(vec![index_update("ByTag")
            .provisioned_throughput(capacity(5, 5))
            .build()
            .unwrap()]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "ValidationException");
    assert_eq!(
        error_message(&err),
        "The provisioned throughput for the index ByTag will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for index ByTag: 5. Requested ReadCapacityUnits: 5. Current WriteCapacityUnits provisioned for index ByTag: 5. Requested WriteCapacityUnits: 5. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."
    );
    let answer = update()
        .set_global_secondary_index_updates(updates(vec![index_update("ByTag")
            .provisioned_throughput(capacity(5, 6))
            .build()
            .unwrap()]))
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(
        answer.table_status(),
        Some(&aws_sdk_dynamodb::types::TableStatus::Active)
    );
    let entry = described_index(&answer, "ByTag");
    assert_eq!(entry.index_status(), Some(&IndexStatus::Updating));
    let echoed = entry.provisioned_throughput().unwrap();
    assert_eq!(
        (echoed.read_capacity_units(), echoed.write_capacity_units()),
        (Some(5), Some(5))
    );
    assert!(echoed.last_increase_date_time().is_some());
    for (read, write, member) in [
        (40_001, 1, "ReadCapacityUnits"),
        (1, 40_001, "WriteCapacityUnits"),
    ] {
        let err = update()
            .set_global_secondary_index_updates(updates(vec![index_update("ByTag")
                .provisioned_throughput(capacity(read, write))
                .build()
                .unwrap()]))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&err), "LimitExceededException");
        assert_eq!(
            error_message(&err),
            format!("The requested {member} for index ByTag, 40001, is above the per index maximum for the account in {region}. Per table maximum: 40000. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits.")
        );
    }
    let err = update()
        .attribute_definitions(definition("color", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("ByColor")
                        .key_schema(key("color", KeyType::Hash))
                        .projection(projection(ProjectionType::All, &[]))
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
        invalid(
            "Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: ByColor"
                .into()
        )
    );

    // Back on demand, the ceilings the switch dropped are gone: DynamoDB
    // describes no OnDemandThroughput until one is set again (DDB-TABLE-153).
    update()
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let after = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    assert_eq!(
        described_index(&after, "ByTag").on_demand_throughput(),
        None
    );
    assert_eq!(after.on_demand_throughput(), None);
}

#[tokio::test]
async fn a_twenty_first_global_index_exceeds_the_limit() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("gsi21");
    let mut request = client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(definition("pk", ScalarAttributeType::S))
        .attribute_definitions(definition("g", ScalarAttributeType::S))
        .key_schema(key("pk", KeyType::Hash));
    for i in 0..20 {
        request = request.global_secondary_indexes(gsi(
            &format!("gsi{i}"),
            "g",
            None,
            projection(ProjectionType::KeysOnly, &[]),
        ));
    }
    request.send().await.unwrap();
    let err = client
        .update_table()
        .table_name(&table)
        .attribute_definitions(definition("g", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder()
                .create(
                    CreateGlobalSecondaryIndexAction::builder()
                        .index_name("gsi20")
                        .key_schema(key("g", KeyType::Hash))
                        .projection(projection(ProjectionType::KeysOnly, &[]))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "LimitExceededException");
    assert_eq!(
        error_message(&err),
        "Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of 20"
    );
}
