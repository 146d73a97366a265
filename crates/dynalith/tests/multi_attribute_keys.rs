//! Global secondary indexes with multi-attribute keys (DynamoDB, November
//! 2025) through the AWS SDK: up to four partition and four sort
//! attributes, hashed and ordered as tuples; Query's left-to-right rules
//! and their errors; sparse entries; paging; online creation; and
//! CreateTable's key-schema rules, with the answers recorded from DynamoDB.

mod common;

use aws_sdk_dynamodb::types::{
    AttributeValue as Av, BillingMode, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, IndexStatus, KeyType, LocalSecondaryIndex, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use common::{
    attribute_definition as definition, error_code, error_message, key_element as key,
    unique_table, Server,
};
use std::collections::HashMap;
use std::time::Duration;

type Item = HashMap<String, Av>;

fn s(v: &str) -> Av {
    Av::S(v.to_string())
}

fn n(v: i64) -> Av {
    Av::N(v.to_string())
}

fn all() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

/// A global index keyed on `hash` (HASH elements) then `range` (RANGE).
fn gsi(name: &str, hash: &[&str], range: &[&str]) -> GlobalSecondaryIndex {
    let mut b = GlobalSecondaryIndex::builder()
        .index_name(name)
        .projection(all());
    for h in hash {
        b = b.key_schema(key(h, KeyType::Hash));
    }
    for r in range {
        b = b.key_schema(key(r, KeyType::Range));
    }
    b.build().unwrap()
}

/// The Developer Guide's tournament table: `matchId` keys the table;
/// `TournamentRegionIndex` is (tournamentId, region) / (round, bracket,
/// matchId); `PlayerMatchHistoryIndex` is (player1Id) / (matchDate, round);
/// `SkillIndex` is (category) / (tier, years: a number).
async fn create_tournament_table(client: &Client, name: &str) {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("matchId", KeyType::Hash));
    for attribute in [
        "matchId",
        "tournamentId",
        "region",
        "round",
        "bracket",
        "player1Id",
        "matchDate",
        "category",
        "tier",
    ] {
        request = request.attribute_definitions(definition(attribute, ScalarAttributeType::S));
    }
    request
        .attribute_definitions(definition("years", ScalarAttributeType::N))
        .global_secondary_indexes(gsi(
            "TournamentRegionIndex",
            &["tournamentId", "region"],
            &["round", "bracket", "matchId"],
        ))
        .global_secondary_indexes(gsi(
            "PlayerMatchHistoryIndex",
            &["player1Id"],
            &["matchDate", "round"],
        ))
        .global_secondary_indexes(gsi("SkillIndex", &["category"], &["tier", "years"]))
        .send()
        .await
        .expect("create tournament table");
}

const MATCHES: &[[&str; 7]] = &[
    // matchId, tournamentId, region, round, bracket, player1Id, matchDate
    [
        "match-001",
        "WINTER2024",
        "NA-EAST",
        "FINALS",
        "CHAMPIONSHIP",
        "101",
        "2024-01-20",
    ],
    [
        "match-002",
        "WINTER2024",
        "NA-EAST",
        "SEMIFINALS",
        "UPPER",
        "101",
        "2024-01-18",
    ],
    [
        "match-003",
        "WINTER2024",
        "NA-EAST",
        "SEMIFINALS",
        "UPPER",
        "103",
        "2024-01-18",
    ],
    [
        "match-004",
        "WINTER2024",
        "NA-EAST",
        "QUARTERFINALS",
        "UPPER",
        "101",
        "2024-01-15",
    ],
    [
        "match-005",
        "WINTER2024",
        "NA-WEST",
        "FINALS",
        "CHAMPIONSHIP",
        "102",
        "2024-01-20",
    ],
    [
        "match-006",
        "WINTER2024",
        "NA-WEST",
        "SEMIFINALS",
        "UPPER",
        "102",
        "2024-01-18",
    ],
    [
        "match-007",
        "SPRING2024",
        "NA-EAST",
        "QUARTERFINALS",
        "UPPER",
        "101",
        "2024-03-15",
    ],
    [
        "match-008",
        "SPRING2024",
        "NA-EAST",
        "QUARTERFINALS",
        "LOWER",
        "103",
        "2024-03-15",
    ],
];

fn match_item(fields: &[&str; 7]) -> Item {
    let names = [
        "matchId",
        "tournamentId",
        "region",
        "round",
        "bracket",
        "player1Id",
        "matchDate",
    ];
    names
        .iter()
        .zip(fields)
        .map(|(name, value)| (name.to_string(), s(value)))
        .collect()
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

async fn load_matches(client: &Client, table: &str) {
    for fields in MATCHES {
        put(client, table, match_item(fields)).await;
    }
}

/// A Query of `index` with `#region` standing for `region` (a reserved
/// word) when the condition uses it.
fn query(
    client: &Client,
    table: &str,
    index: &str,
    condition: &str,
    values: &[(&str, Av)],
) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
    let mut request = client
        .query()
        .table_name(table)
        .index_name(index)
        .key_condition_expression(condition);
    if condition.contains("#region") {
        request = request.expression_attribute_names("#region", "region");
    }
    for (name, value) in values {
        request = request.expression_attribute_values(*name, value.clone());
    }
    request
}

/// The matchIds a Query returns, every page read with the SDK paginator.
async fn match_ids(
    client: &Client,
    table: &str,
    index: &str,
    condition: &str,
    values: &[(&str, Av)],
    forward: bool,
    limit: Option<i32>,
) -> Vec<String> {
    let pages: Vec<_> = query(client, table, index, condition, values)
        .scan_index_forward(forward)
        .set_limit(limit)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("query pages");
    pages
        .into_iter()
        .flat_map(|p| p.items.unwrap_or_default())
        .map(|item| match item.get("matchId") {
            Some(Av::S(id)) => id.clone(),
            other => panic!("item without matchId: {other:?}"),
        })
        .collect()
}

async fn query_error(
    client: &Client,
    table: &str,
    index: &str,
    condition: &str,
    values: &[(&str, Av)],
) -> String {
    let error = query(client, table, index, condition, values)
        .send()
        .await
        .expect_err(condition);
    assert_eq!(error_code(&error), "ValidationException", "{condition}");
    error_message(&error)
}

fn tournament(region: &str) -> Vec<(&'static str, Av)> {
    vec![(":t", s("WINTER2024")), (":r", s(region))]
}

const BY_TOURNAMENT: &str = "tournamentId = :t AND #region = :r";

/// A key condition, the values it adds to the tournament's, and the
/// matchIds it selects, in order.
type QueryCase = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

#[tokio::test]
async fn describe_echoes_every_key_element_in_order() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("multi_describe");
    create_tournament_table(&client, &table).await;
    let described = client
        .describe_table()
        .table_name(&table)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let index = described
        .global_secondary_indexes()
        .iter()
        .find(|i| i.index_name() == Some("TournamentRegionIndex"))
        .unwrap();
    let elements: Vec<(&str, &str)> = index
        .key_schema()
        .iter()
        .map(|k| (k.attribute_name(), k.key_type().as_str()))
        .collect();
    assert_eq!(
        elements,
        [
            ("tournamentId", "HASH"),
            ("region", "HASH"),
            ("round", "RANGE"),
            ("bracket", "RANGE"),
            ("matchId", "RANGE"),
        ]
    );
}

#[tokio::test]
async fn queries_narrow_left_to_right() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("multi_query");
    create_tournament_table(&client, &table).await;
    load_matches(&client, &table).await;
    let index = "TournamentRegionIndex";
    let cases: &[QueryCase] = &[
        // The whole partition, ordered by (round, bracket, matchId).
        (
            BY_TOURNAMENT,
            &[],
            &["match-001", "match-004", "match-002", "match-003"],
        ),
        (
            "tournamentId = :t AND #region = :r AND round = :round",
            &[(":round", "SEMIFINALS")],
            &["match-002", "match-003"],
        ),
        // Conditions in any order.
        (
            "round = :round AND bracket = :b AND #region = :r AND tournamentId = :t",
            &[(":round", "SEMIFINALS"), (":b", "UPPER")],
            &["match-002", "match-003"],
        ),
        (
            "tournamentId = :t AND #region = :r AND round = :round AND bracket = :b AND matchId = :m",
            &[(":round", "SEMIFINALS"), (":b", "UPPER"), (":m", "match-002")],
            &["match-002"],
        ),
        // Inequalities on the last attribute named.
        (
            "tournamentId = :t AND #region = :r AND round >= :round",
            &[(":round", "QUARTERFINALS")],
            &["match-004", "match-002", "match-003"],
        ),
        (
            "tournamentId = :t AND #region = :r AND round < :round",
            &[(":round", "QUARTERFINALS")],
            &["match-001"],
        ),
        (
            "tournamentId = :t AND #region = :r AND round BETWEEN :a AND :b",
            &[(":a", "FINALS"), (":b", "QUARTERFINALS")],
            &["match-001", "match-004"],
        ),
        (
            "tournamentId = :t AND #region = :r AND round = :round AND begins_with(bracket, :p)",
            &[(":round", "SEMIFINALS"), (":p", "U")],
            &["match-002", "match-003"],
        ),
        (
            "tournamentId = :t AND #region = :r AND round = :round AND bracket = :b AND matchId > :m",
            &[(":round", "SEMIFINALS"), (":b", "UPPER"), (":m", "match-002")],
            &["match-003"],
        ),
    ];
    for (condition, extra, expected) in cases {
        let mut values = tournament("NA-EAST");
        values.extend(extra.iter().map(|(name, value)| (*name, s(value))));
        let found = match_ids(&client, &table, index, condition, &values, true, None).await;
        assert_eq!(found, *expected, "{condition}");
    }
    // Another partition of the same tournament holds its own matches only.
    let west = match_ids(
        &client,
        &table,
        index,
        BY_TOURNAMENT,
        &tournament("NA-WEST"),
        true,
        None,
    )
    .await;
    assert_eq!(west, ["match-005", "match-006"]);
}

#[tokio::test]
async fn pages_and_reverse_order_follow_the_tuple_order() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("multi_pages");
    create_tournament_table(&client, &table).await;
    load_matches(&client, &table).await;
    let index = "TournamentRegionIndex";
    let values = tournament("NA-EAST");
    let forward = ["match-001", "match-004", "match-002", "match-003"];
    for limit in [1, 2, 3] {
        let paged = match_ids(
            &client,
            &table,
            index,
            BY_TOURNAMENT,
            &values,
            true,
            Some(limit),
        )
        .await;
        assert_eq!(paged, forward, "limit {limit}");
        let backward = match_ids(
            &client,
            &table,
            index,
            BY_TOURNAMENT,
            &values,
            false,
            Some(limit),
        )
        .await;
        let mut reversed = forward;
        reversed.reverse();
        assert_eq!(backward, reversed, "limit {limit} backward");
    }
    // LastEvaluatedKey names every index key attribute and the table key.
    let page = query(&client, &table, index, BY_TOURNAMENT, &values)
        .limit(1)
        .send()
        .await
        .unwrap();
    let last = page.last_evaluated_key.unwrap();
    let mut names: Vec<&str> = last.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        ["bracket", "matchId", "region", "round", "tournamentId"]
    );
    // A starting key outside the condition is refused as for one-attribute keys.
    let error = query(
        &client,
        &table,
        index,
        "tournamentId = :t AND #region = :r AND round = :round",
        &[
            (":t", s("WINTER2024")),
            (":r", s("NA-EAST")),
            (":round", s("SEMIFINALS")),
        ],
    )
    .set_exclusive_start_key(Some(last))
    .send()
    .await
    .unwrap_err();
    assert_eq!(
        error_message(&error),
        "The provided starting key does not match the range key predicate"
    );
}

#[tokio::test]
async fn number_attributes_order_numerically_inside_the_tuple() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("multi_numbers");
    create_tournament_table(&client, &table).await;
    for (id, tier, years) in [
        ("e1", "B", 1),
        ("e2", "A", 500),
        ("e3", "A", 5),
        ("e4", "A", 50),
        ("e5", "A", -3),
    ] {
        let item: Item = [
            ("matchId".to_string(), s(id)),
            ("category".to_string(), s("rust")),
            ("tier".to_string(), s(tier)),
            ("years".to_string(), n(years)),
        ]
        .into();
        put(&client, &table, item).await;
    }
    let values = [(":c", s("rust"))];
    assert_eq!(
        match_ids(
            &client,
            &table,
            "SkillIndex",
            "category = :c",
            &values,
            true,
            None
        )
        .await,
        ["e5", "e3", "e4", "e2", "e1"]
    );
    assert_eq!(
        match_ids(
            &client,
            &table,
            "SkillIndex",
            "category = :c AND tier = :l AND years > :y",
            &[(":c", s("rust")), (":l", s("A")), (":y", n(10))],
            true,
            None
        )
        .await,
        ["e4", "e2"]
    );
    assert_eq!(
        match_ids(
            &client,
            &table,
            "SkillIndex",
            "category = :c AND tier > :l",
            &[(":c", s("rust")), (":l", s("A"))],
            true,
            None
        )
        .await,
        ["e1"]
    );
}

/// DynamoDB's answer to a sort condition without equalities before it.
fn range_error(missing: &str, present: &str) -> String {
    format!(
        "RANGE key attributes {missing} must have equality conditions specified in the query because a condition is present on key attribute {present}"
    )
}

/// The messages are DynamoDB's as recorded from it (October 2026) and as
/// DynamoDB Local 3.x gives them; the Developer Guide's walkthrough still
/// prints an older "Query key condition not supported" for a skipped
/// attribute.
#[tokio::test]
async fn key_conditions_break_the_rules_with_dynamodbs_errors() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("multi_errors");
    create_tournament_table(&client, &table).await;
    let index = "TournamentRegionIndex";
    let with = |extra: &[(&'static str, Av)]| {
        let mut values = tournament("NA-EAST");
        values.extend(extra.iter().cloned());
        values
    };
    // Every partition attribute, compared with `=`.
    for (condition, values, message) in [
        (
            "tournamentId = :t",
            vec![(":t", s("WINTER2024"))],
            "HASH key attributes region must have equality conditions specified in the query",
        ),
        (
            "tournamentId = :t AND #region > :r",
            with(&[]),
            "HASH key attributes region must have equality conditions specified in the query",
        ),
        (
            "round = :x",
            vec![(":x", s("FINALS"))],
            "HASH key attributes tournamentId, region must have equality conditions specified in the query",
        ),
    ] {
        assert_eq!(
            query_error(&client, &table, index, condition, &values).await,
            message,
            "{condition}"
        );
    }
    // Sort attributes left to right, without a gap; nothing after an
    // inequality, begins_with included.
    for (condition, extra, message) in [
        (
            "tournamentId = :t AND #region = :r AND bracket = :b",
            vec![(":b", s("UPPER"))],
            range_error("round", "bracket"),
        ),
        (
            "tournamentId = :t AND #region = :r AND matchId = :m",
            vec![(":m", s("match-002"))],
            range_error("round, bracket", "matchId"),
        ),
        (
            "tournamentId = :t AND #region = :r AND round = :x AND matchId = :m",
            vec![(":x", s("SEMIFINALS")), (":m", s("match-002"))],
            range_error("bracket", "matchId"),
        ),
        (
            "tournamentId = :t AND #region = :r AND bracket = :b AND matchId = :m",
            vec![(":b", s("UPPER")), (":m", s("match-002"))],
            range_error("round", "bracket"),
        ),
        (
            "tournamentId = :t AND #region = :r AND round > :x AND bracket = :b",
            vec![(":x", s("FINALS")), (":b", s("UPPER"))],
            range_error("round", "bracket"),
        ),
        (
            "tournamentId = :t AND #region = :r AND begins_with(round, :x) AND bracket = :b",
            vec![(":x", s("S")), (":b", s("UPPER"))],
            range_error("round", "bracket"),
        ),
        (
            "tournamentId = :t AND #region = :r AND round > :x AND bracket > :b AND matchId = :m",
            vec![(":x", s("A")), (":b", s("A")), (":m", s("m"))],
            range_error("round, bracket", "matchId"),
        ),
    ] {
        assert_eq!(
            query_error(&client, &table, index, condition, &with(&extra)).await,
            message,
            "{condition}"
        );
    }
    assert_eq!(
        query_error(
            &client,
            &table,
            index,
            "tournamentId = :t AND #region = :r AND round = :x",
            &with(&[(":x", n(1))])
        )
        .await,
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
    // A condition on an attribute that is no key of the index; more
    // conditions than the index has key attributes.
    assert_eq!(
        query_error(
            &client,
            &table,
            index,
            "tournamentId = :t AND #region = :r AND player1Id = :p",
            &with(&[(":p", s("101"))])
        )
        .await,
        "Query condition missed key schema element"
    );
    assert_eq!(
        query_error(
            &client,
            &table,
            "PlayerMatchHistoryIndex",
            "player1Id = :p AND matchDate = :d AND round = :x AND bracket = :b",
            &[
                (":p", s("101")),
                (":d", s("2024-01-18")),
                (":x", s("SEMIFINALS")),
                (":b", s("UPPER"))
            ]
        )
        .await,
        "Query key condition not supported"
    );
    // A table's key stays one partition and one sort attribute.
    let error = client
        .query()
        .table_name(&table)
        .key_condition_expression("matchId = :m AND round = :x AND bracket = :b")
        .expression_attribute_values(":m", s("m"))
        .expression_attribute_values(":x", s("x"))
        .expression_attribute_values(":b", s("b"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "The number of query conditions (3) exceeds the number of key attributes defined in the schema (1)"
    );
}

#[tokio::test]
async fn legacy_key_conditions_take_every_key_attribute() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("multi_legacy");
    create_tournament_table(&client, &table).await;
    load_matches(&client, &table).await;
    let eq = |v: &str| {
        aws_sdk_dynamodb::types::Condition::builder()
            .comparison_operator(aws_sdk_dynamodb::types::ComparisonOperator::Eq)
            .attribute_value_list(s(v))
            .build()
            .unwrap()
    };
    let answer = client
        .query()
        .table_name(&table)
        .index_name("TournamentRegionIndex")
        .key_conditions("tournamentId", eq("WINTER2024"))
        .key_conditions("region", eq("NA-EAST"))
        .key_conditions("round", eq("SEMIFINALS"))
        .key_conditions(
            "bracket",
            aws_sdk_dynamodb::types::Condition::builder()
                .comparison_operator(aws_sdk_dynamodb::types::ComparisonOperator::BeginsWith)
                .attribute_value_list(s("UP"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(answer.count, 2);
    let error = client
        .query()
        .table_name(&table)
        .index_name("TournamentRegionIndex")
        .key_conditions("tournamentId", eq("WINTER2024"))
        .key_conditions("region", eq("NA-EAST"))
        .key_conditions("bracket", eq("UPPER"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_message(&error), range_error("round", "bracket"));
}

#[tokio::test]
async fn key_values_together_stay_within_one_keys_size() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("multi_sizes");
    create_tournament_table(&client, &table).await;
    let item = |fields: &[(&str, Av)]| -> Item {
        let mut item: Item = [("matchId".to_string(), s("m"))].into();
        for (name, value) in fields {
            item.insert(name.to_string(), value.clone());
        }
        item
    };
    let put_error = |item: Item| {
        let client = client.clone();
        let table = table.clone();
        async move {
            let error = client
                .put_item()
                .table_name(&table)
                .set_item(Some(item))
                .send()
                .await
                .unwrap_err();
            assert_eq!(error_code(&error), "ValidationException");
            error_message(&error)
        }
    };
    // 2048 bytes of partition values together, 1024 of sort values.
    put(
        &client,
        &table,
        item(&[
            ("tournamentId", s(&"t".repeat(1024))),
            ("region", s(&"r".repeat(1024))),
        ]),
    )
    .await;
    assert_eq!(
        put_error(item(&[
            ("tournamentId", s(&"t".repeat(1025))),
            ("region", s(&"r".repeat(1024))),
        ]))
        .await,
        "Aggregate size for HASH key attributes tournamentId, region of index TournamentRegionIndex has exceeded limit 2048 bytes, with actual size 2049 bytes"
    );
    // Numbers count their stored size (38 digits: 20 bytes), and values
    // count though the item lacks other key attributes.
    assert_eq!(
        put_error(item(&[
            ("category", s("c")),
            ("tier", s(&"a".repeat(1010))),
            ("years", Av::N("1".repeat(38))),
        ]))
        .await,
        "Aggregate size for RANGE key attributes tier, years of index SkillIndex has exceeded limit 1024 bytes, with actual size 1030 bytes"
    );
    // An update that would exceed it is refused too.
    let error = client
        .update_item()
        .table_name(&table)
        .key("matchId", s("m2"))
        .update_expression("SET tournamentId = :t, #region = :r")
        .expression_attribute_names("#region", "region")
        .expression_attribute_values(":t", s(&"t".repeat(1500)))
        .expression_attribute_values(":r", s(&"r".repeat(1500)))
        .send()
        .await
        .unwrap_err();
    assert!(
        error_message(&error).starts_with("Aggregate size for HASH key attributes"),
        "{}",
        error_message(&error)
    );
}

/// The matchIds the tournament index lists for WINTER2024 / NA-EAST.
async fn listed(client: &Client, table: &str) -> Vec<String> {
    let values = tournament("NA-EAST");
    match_ids(
        client,
        table,
        "TournamentRegionIndex",
        BY_TOURNAMENT,
        &values,
        true,
        None,
    )
    .await
}

#[tokio::test]
async fn entries_are_sparse_and_follow_every_write() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("multi_sparse");
    create_tournament_table(&client, &table).await;
    let index = "TournamentRegionIndex";
    let mut item = match_item(&MATCHES[0]);
    item.remove("bracket");
    put(&client, &table, item).await;
    assert!(listed(&client, &table).await.is_empty());

    // Setting the missing sort attribute brings the item in; removing a
    // partition attribute takes it out again.
    client
        .update_item()
        .table_name(&table)
        .key("matchId", s("match-001"))
        .update_expression("SET bracket = :b")
        .expression_attribute_values(":b", s("CHAMPIONSHIP"))
        .send()
        .await
        .unwrap();
    assert_eq!(listed(&client, &table).await, ["match-001"]);
    client
        .update_item()
        .table_name(&table)
        .key("matchId", s("match-001"))
        .update_expression("REMOVE #region")
        .expression_attribute_names("#region", "region")
        .send()
        .await
        .unwrap();
    assert!(listed(&client, &table).await.is_empty());

    // A key attribute of the wrong type is refused before anything is written.
    let mut wrong = match_item(&MATCHES[1]);
    wrong.insert("bracket".into(), n(7));
    let error = client
        .put_item()
        .table_name(&table)
        .set_item(Some(wrong))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "One or more parameter values were invalid: Type mismatch for Index Key bracket Expected: S Actual: N IndexName: TournamentRegionIndex"
    );
    let scanned = client
        .scan()
        .table_name(&table)
        .index_name(index)
        .send()
        .await
        .unwrap();
    assert_eq!(scanned.count, 0);

    // Deleting the item deletes its entry.
    put(&client, &table, match_item(&MATCHES[1])).await;
    assert_eq!(listed(&client, &table).await, ["match-002"]);
    client
        .delete_item()
        .table_name(&table)
        .key("matchId", s("match-002"))
        .send()
        .await
        .unwrap();
    assert!(listed(&client, &table).await.is_empty());
}

#[tokio::test]
async fn an_index_created_online_indexes_the_existing_items() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("multi_online");
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("matchId", KeyType::Hash))
        .attribute_definitions(definition("matchId", ScalarAttributeType::S))
        .send()
        .await
        .unwrap();
    load_matches(&client, &table).await;
    let create = CreateGlobalSecondaryIndexAction::builder()
        .index_name("ByPlayer")
        .key_schema(key("player1Id", KeyType::Hash))
        .key_schema(key("matchDate", KeyType::Range))
        .key_schema(key("round", KeyType::Range))
        .projection(all())
        .build()
        .unwrap();
    client
        .update_table()
        .table_name(&table)
        .attribute_definitions(definition("player1Id", ScalarAttributeType::S))
        .attribute_definitions(definition("matchDate", ScalarAttributeType::S))
        .attribute_definitions(definition("round", ScalarAttributeType::S))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder().create(create).build(),
        )
        .send()
        .await
        .unwrap();
    let mut active = false;
    for _ in 0..600 {
        let described = client
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .unwrap()
            .table
            .unwrap();
        let index = &described.global_secondary_indexes()[0];
        assert_eq!(index.key_schema().len(), 3);
        if index.index_status == Some(IndexStatus::Active) {
            active = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(active, "index never became ACTIVE");
    assert_eq!(
        match_ids(
            &client,
            &table,
            "ByPlayer",
            "player1Id = :p AND matchDate BETWEEN :a AND :b",
            &[
                (":p", s("101")),
                (":a", s("2024-01-01")),
                (":b", s("2024-01-31"))
            ],
            true,
            None
        )
        .await,
        ["match-004", "match-002", "match-001"]
    );
}

/// CreateTable with the tournament table's definitions and one global
/// index keyed `elements`; the ValidationException's message.
async fn create_error(client: &Client, elements: &[(&str, &str)]) -> String {
    let mut index = GlobalSecondaryIndex::builder()
        .index_name("gsi")
        .projection(all());
    for (name, key_type) in elements {
        index = index.key_schema(key(name, KeyType::from(*key_type)));
    }
    let mut request = client
        .create_table()
        .table_name(unique_table("multi_invalid"))
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(definition("pk", ScalarAttributeType::S))
        .global_secondary_indexes(index.build().unwrap());
    let mut defined = vec!["pk"];
    for (name, _) in elements {
        if !defined.contains(name) {
            defined.push(name);
            request = request.attribute_definitions(definition(name, ScalarAttributeType::S));
        }
    }
    let error = request.send().await.unwrap_err();
    assert_eq!(error_code(&error), "ValidationException");
    error_message(&error)
}

#[tokio::test]
async fn create_table_enforces_the_key_schema_rules() {
    let server = Server::start();
    let client = server.client();
    let (h, r) = ("HASH", "RANGE");
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("a", h), ("b", h), ("c", h), ("d", h), ("e", h)],
            "The KeySchema exceeds the maximum allowed number of HASH key attributes",
        ),
        (
            &[("a", h), ("b", r), ("c", r), ("d", r), ("e", r), ("f", r)],
            "The KeySchema exceeds the maximum allowed number of RANGE key attributes",
        ),
        (
            &[("a", h), ("b", r), ("c", h)],
            "All HASH key attributes must precede RANGE key attributes in the KeySchema",
        ),
        (
            &[("a", h), ("b", r), ("a", r)],
            "The KeySchema contains multiple key attributes with the same name",
        ),
        (
            &[("a", r), ("b", h)],
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
    ];
    for (elements, message) in cases {
        assert_eq!(
            create_error(&client, elements).await,
            *message,
            "{elements:?}"
        );
    }

    // Four and four is the most, and is accepted.
    let table = unique_table("multi_eight");
    let names = ["h1", "h2", "h3", "h4", "r1", "r2", "r3", "r4"];
    let mut index = GlobalSecondaryIndex::builder()
        .index_name("gsi")
        .projection(all());
    let mut request = client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .attribute_definitions(definition("pk", ScalarAttributeType::S));
    for (i, name) in names.iter().enumerate() {
        let key_type = if i < 4 { h } else { r };
        index = index.key_schema(key(name, KeyType::from(key_type)));
        request = request.attribute_definitions(definition(name, ScalarAttributeType::S));
    }
    let created = request
        .global_secondary_indexes(index.build().unwrap())
        .send()
        .await
        .unwrap();
    let described = created.table_description.unwrap();
    assert_eq!(
        described.global_secondary_indexes()[0].key_schema().len(),
        8
    );

    // Local indexes keep two elements.
    let error = client
        .create_table()
        .table_name(unique_table("multi_lsi"))
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(definition("pk", ScalarAttributeType::S))
        .attribute_definitions(definition("sk", ScalarAttributeType::S))
        .attribute_definitions(definition("a", ScalarAttributeType::S))
        .attribute_definitions(definition("b", ScalarAttributeType::S))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name("l")
                .key_schema(key("pk", KeyType::Hash))
                .key_schema(key("a", KeyType::Range))
                .key_schema(key("b", KeyType::Range))
                .projection(all())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert!(
        error_message(&error).contains("Member must have length less than or equal to 2"),
        "{}",
        error_message(&error)
    );
}

#[tokio::test]
async fn scans_page_through_the_index_and_partiql_refuses_it() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("multi_scan");
    create_tournament_table(&client, &table).await;
    load_matches(&client, &table).await;
    let pages: Vec<_> = client
        .scan()
        .table_name(&table)
        .index_name("TournamentRegionIndex")
        .limit(1)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .expect("scan pages");
    let mut scanned: Vec<String> = pages
        .into_iter()
        .flat_map(|p| p.items.unwrap_or_default())
        .map(|item| match item.get("matchId") {
            Some(Av::S(id)) => id.clone(),
            other => panic!("item without matchId: {other:?}"),
        })
        .collect();
    scanned.sort();
    let all: Vec<&str> = MATCHES.iter().map(|m| m[0]).collect();
    assert_eq!(scanned, all);

    // PartiQL reads the table but not an index with a multi-attribute key,
    // as DynamoDB answers.
    let statement = format!(
        r#"SELECT matchId FROM "{table}"."TournamentRegionIndex" WHERE tournamentId = 'WINTER2024' AND "region" = 'NA-EAST'"#
    );
    let error = client
        .execute_statement()
        .statement(statement)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys."
    );
    // In a batch, each statement answers for itself: the index is refused
    // as such, a select without the whole key with the batch's own words
    // (both as recorded from DynamoDB).
    let batch_statement = |text: String| {
        aws_sdk_dynamodb::types::BatchStatementRequest::builder()
            .statement(text)
            .build()
            .unwrap()
    };
    let batch = client
        .batch_execute_statement()
        .statements(batch_statement(format!(
            r#"SELECT * FROM "{table}"."TournamentRegionIndex" WHERE tournamentId = 'WINTER2024' AND "region" = 'NA-EAST'"#
        )))
        .statements(batch_statement(format!(
            r#"SELECT * FROM "{table}" WHERE "region" = 'NA-WEST'"#
        )))
        .send()
        .await
        .unwrap();
    let messages: Vec<Option<&str>> = batch
        .responses()
        .iter()
        .map(|r| r.error().and_then(|e| e.message()))
        .collect();
    assert_eq!(
        messages,
        [
            Some("PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys."),
            Some("Select statements within BatchExecuteStatement must specify the primary key in the where clause."),
        ]
    );
    let answer = client
        .execute_statement()
        .statement(format!(
            r#"SELECT matchId FROM "{table}" WHERE "region" = 'NA-WEST'"#
        ))
        .send()
        .await
        .unwrap();
    let mut selected: Vec<String> = answer
        .items()
        .iter()
        .map(|item| match item.get("matchId") {
            Some(Av::S(id)) => id.clone(),
            other => panic!("item without matchId: {other:?}"),
        })
        .collect();
    selected.sort();
    assert_eq!(selected, ["match-005", "match-006"]);
}

#[tokio::test]
async fn multi_attribute_keys_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let table = unique_table("multi_durable");
    {
        let mut server = Server::start_durable(dir.path());
        let client = server.client();
        create_tournament_table(&client, &table).await;
        load_matches(&client, &table).await;
        server.terminate();
    }
    let server = Server::start_durable(dir.path());
    let client = server.client();
    assert_eq!(
        listed(&client, &table).await,
        ["match-001", "match-004", "match-002", "match-003"]
    );
    put(&client, &table, {
        let mut item = match_item(&MATCHES[1]);
        item.insert("matchId".into(), s("match-009"));
        item
    })
    .await;
    assert_eq!(
        listed(&client, &table).await,
        [
            "match-001",
            "match-004",
            "match-002",
            "match-003",
            "match-009"
        ]
    );
}

#[tokio::test]
async fn a_restored_table_has_its_multi_attribute_index() {
    let server = Server::start();
    let client = server.client();
    let table = unique_table("multi_backup");
    create_tournament_table(&client, &table).await;
    load_matches(&client, &table).await;
    let arn = client
        .create_backup()
        .table_name(&table)
        .backup_name("matches")
        .send()
        .await
        .unwrap()
        .backup_details
        .unwrap()
        .backup_arn()
        .to_string();
    let restored = unique_table("multi_restored");
    client
        .restore_table_from_backup()
        .target_table_name(&restored)
        .backup_arn(&arn)
        .send()
        .await
        .unwrap();
    let described = client
        .describe_table()
        .table_name(&restored)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let index = described
        .global_secondary_indexes()
        .iter()
        .find(|i| i.index_name() == Some("TournamentRegionIndex"))
        .unwrap();
    assert_eq!(index.key_schema().len(), 5);
    assert_eq!(
        listed(&client, &restored).await,
        ["match-001", "match-004", "match-002", "match-003"]
    );
}
