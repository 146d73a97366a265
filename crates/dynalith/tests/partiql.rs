//! PartiQL through the AWS SDK: ExecuteStatement's SELECT, INSERT, UPDATE
//! and DELETE, with parameters, paging and DynamoDB's errors.

mod common;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, BillingMode, KeyType, ProjectionType, ReturnConsumedCapacity,
    ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use common::{
    attribute_definition, error_code, error_message, global_index, key_element, unique_table,
    Server,
};
use std::collections::HashMap;

type Item = HashMap<String, AttributeValue>;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

async fn create(client: &Client) -> String {
    let table = unique_table("pq");
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute_definition("PK", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("SK", ScalarAttributeType::S))
        .attribute_definitions(attribute_definition("g", ScalarAttributeType::S))
        .key_schema(key_element("PK", KeyType::Hash))
        .key_schema(key_element("SK", KeyType::Range))
        .global_secondary_indexes(global_index("byG", "g", ProjectionType::All))
        .send()
        .await
        .unwrap();
    table
}

async fn run(client: &Client, statement: &str, parameters: Vec<AttributeValue>) -> Vec<Item> {
    client
        .execute_statement()
        .statement(statement)
        .set_parameters((!parameters.is_empty()).then_some(parameters))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{statement}: {}", error_message(&e)))
        .items
        .unwrap_or_default()
}

/// A statement of a transaction.
fn parameterized(
    text: String,
    parameters: Vec<AttributeValue>,
) -> aws_sdk_dynamodb::types::ParameterizedStatement {
    aws_sdk_dynamodb::types::ParameterizedStatement::builder()
        .statement(text)
        .set_parameters((!parameters.is_empty()).then_some(parameters))
        .build()
        .unwrap()
}

/// The SK values of `items`, sorted.
fn sort_keys(items: &[Item]) -> Vec<String> {
    let mut keys: Vec<String> = items
        .iter()
        .map(|i| i["SK"].as_s().unwrap().clone())
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn the_seed_statements_insert_select_and_update() {
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;

    // The statements of the seed's PartiQL example, on this test's table.
    let inserted = run(
        &client,
        &format!(
            r#"INSERT INTO "{table}" VALUE {{'PK': 'USER#123', 'SK': 'PROFILE', 'name': 'Alice'}}"#
        ),
        vec![],
    )
    .await;
    assert!(inserted.is_empty());
    let selected = run(
        &client,
        &format!(r#"SELECT * FROM "{table}" WHERE "PK" = 'USER#123'"#),
        vec![],
    )
    .await;
    assert_eq!(selected.len(), 1);
    assert_eq!(selected[0]["name"], s("Alice"));
    run(
        &client,
        &format!(r#"UPDATE "{table}" SET "name" = 'Updated' WHERE "PK" = 'USER#123' AND "SK" = 'PROFILE'"#),
        vec![],
    )
    .await;
    let item = client
        .get_item()
        .table_name(&table)
        .key("PK", s("USER#123"))
        .key("SK", s("PROFILE"))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["name"], s("Updated"));

    // A second INSERT of the same key is refused.
    let error = client
        .execute_statement()
        .statement(format!(
            r#"INSERT INTO "{table}" VALUE {{'PK': 'USER#123', 'SK': 'PROFILE'}}"#
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "DuplicateItemException");
    assert_eq!(
        error_message(&error),
        "Duplicate primary key exists in table"
    );
}

#[tokio::test]
async fn select_queries_scans_filters_projects_and_pages() {
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;
    for i in 0..25 {
        run(
            &client,
            &format!(r#"INSERT INTO "{table}" VALUE {{'PK': ?, 'SK': ?, 'n': ?, 'g': ?, 'tags': <<'a', 'b'>>, 'doc': {{'k': [1, 'x', true, null]}}}}"#),
            vec![
                s(if i < 20 { "P" } else { "Q" }),
                s(&format!("S#{i:02}")),
                n(&i.to_string()),
                s(if i % 2 == 0 { "even" } else { "odd" }),
            ],
        )
        .await;
    }
    let select = |condition: &str| format!(r#"SELECT * FROM "{table}" WHERE {condition}"#);

    let all_p = run(&client, &select("PK = 'P'"), vec![]).await;
    assert_eq!(all_p.len(), 20);
    assert_eq!(all_p[0]["doc"], {
        let inner = vec![
            n("1"),
            s("x"),
            AttributeValue::Bool(true),
            AttributeValue::Null(true),
        ];
        AttributeValue::M(HashMap::from([("k".to_string(), AttributeValue::L(inner))]))
    });
    let cases: Vec<(String, Vec<AttributeValue>, Vec<&str>)> = vec![
        (select("PK = 'P' AND SK BETWEEN 'S#03' AND 'S#05'"), vec![], vec!["S#03", "S#04", "S#05"]),
        (select("PK = 'P' AND begins_with(SK, 'S#1') AND n > 16"), vec![], vec!["S#17", "S#18", "S#19"]),
        (select("PK = ? AND SK >= ?"), vec![s("Q"), s("S#23")], vec!["S#23", "S#24"]),
        // More conditions on keys than a key condition holds, and a
        // condition without the partition key: both scan.
        (select("PK = 'P' AND SK IN ['S#01', 'S#07', 'S#99']"), vec![], vec!["S#01", "S#07"]),
        (select("n < 2 OR n >= 24"), vec![], vec!["S#00", "S#01", "S#24"]),
        // PartiQL's negated forms (DynamoDB Local runs them alike).
        (select("PK = 'P' AND SK NOT BETWEEN 'S#01' AND 'S#18'"), vec![], vec!["S#00", "S#19"]),
        (select("PK = 'Q' AND n NOT IN (20, 22, 24)"), vec![], vec!["S#21", "S#23"]),
        (select("PK = 'Q' AND NOT n = 21 AND contains(tags, 'b') AND absent IS MISSING AND n IS NOT MISSING"), vec![], vec!["S#20", "S#22", "S#23", "S#24"]),
        // `['k']` names a map key as `.k` does.
        (select("PK = 'Q' AND doc['k'][1] = 'x' AND doc.k[0] = 1 AND n < 22"), vec![], vec!["S#20", "S#21"]),
    ];
    for (statement, parameters, expected) in cases {
        let items = run(&client, &statement, parameters).await;
        assert_eq!(sort_keys(&items), expected, "{statement}");
    }

    // An index, a projection, and descending order.
    let odd_q = run(
        &client,
        &format!(r#"SELECT SK, n FROM "{table}"."byG" WHERE g = 'odd' AND PK = 'Q'"#),
        vec![],
    )
    .await;
    assert_eq!(sort_keys(&odd_q), vec!["S#21", "S#23"]);
    assert!(odd_q.iter().all(|i| i.len() == 2));
    // A nested path comes back under its last name (with the list indexes
    // after it), as DynamoDB names it.
    let nested = run(
        &client,
        &format!(r#"SELECT doc.k[1], n FROM "{table}" WHERE PK = 'Q' AND SK = 'S#20'"#),
        vec![],
    )
    .await;
    assert_eq!(
        nested,
        vec![HashMap::from([
            ("k[1]".to_string(), s("x")),
            ("n".to_string(), n("20"))
        ])]
    );
    let descending = run(&client, &select("PK = 'Q' ORDER BY SK DESC"), vec![]).await;
    let order: Vec<&str> = descending
        .iter()
        .map(|i| i["SK"].as_s().unwrap().as_str())
        .collect();
    assert_eq!(order, vec!["S#24", "S#23", "S#22", "S#21", "S#20"]);

    // Paging with Limit and NextToken, in a query and in a scan: every item
    // once.
    for statement in [select("PK = 'P'"), format!(r#"SELECT * FROM "{table}""#)] {
        let mut seen = Vec::new();
        let mut token = None;
        let mut pages = 0;
        loop {
            let page = client
                .execute_statement()
                .statement(&statement)
                .limit(4)
                .set_next_token(token)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .unwrap();
            assert!(page.consumed_capacity.is_some());
            seen.extend(page.items.unwrap_or_default());
            pages += 1;
            token = page.next_token;
            if token.is_none() {
                break;
            }
        }
        let expected = if statement.contains("WHERE") { 20 } else { 25 };
        assert_eq!(seen.len(), expected, "{statement}");
        let mut keys = sort_keys(&seen);
        keys.dedup();
        assert_eq!(keys.len(), expected, "{statement}: an item came twice");
        assert!(pages >= expected / 4, "{statement}: {pages} pages");
    }
}

/// Every item of a SELECT, page by page (`Limit` 3), as (PK, SK) pairs.
async fn paged_keys(client: &Client, statement: &str) -> Vec<(String, String)> {
    let mut keys = Vec::new();
    let mut token = None;
    loop {
        let page = client
            .execute_statement()
            .statement(statement)
            .limit(3)
            .set_next_token(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{statement}: {}", error_message(&e)));
        for item in page.items.unwrap_or_default() {
            keys.push((
                item["PK"].as_s().unwrap().clone(),
                item["SK"].as_s().unwrap().clone(),
            ));
        }
        token = page.next_token;
        if token.is_none() {
            return keys;
        }
    }
}

/// The runs of `keys` that share a partition, in the order they came.
fn runs_by_partition(keys: &[(String, String)]) -> Vec<(String, Vec<String>)> {
    let mut runs: Vec<(String, Vec<String>)> = Vec::new();
    for (partition, sort) in keys {
        match runs.last_mut() {
            Some((last, sorts)) if last == partition => sorts.push(sort.clone()),
            _ => runs.push((partition.clone(), vec![sort.clone()])),
        }
    }
    runs
}

/// A SELECT naming partitions (IN, or an OR of equalities, on the
/// partition key) reads them, not the table: DynamoDB's documentation
/// counts these among the statements that avoid a full table scan, and
/// DynamoDB Local answers them in one page when they fit. Read as a Scan of
/// a table over 1 MB, the first page held nothing but a NextToken.
#[tokio::test]
async fn select_naming_partitions_reads_only_them() {
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;
    let item = |pk: &str, sk: &str, bytes: usize| {
        HashMap::from([
            ("PK".to_string(), s(pk)),
            ("SK".to_string(), s(sk)),
            ("pad".to_string(), s(&"p".repeat(bytes))),
        ])
    };
    // 2 MB in partitions nobody names, three small ones, and three of
    // 600 KB.
    let mut items: Vec<Item> = (0..1000)
        .map(|i| item(&format!("other{i}"), "0", 2000))
        .collect();
    for pk in ["a", "b", "c"] {
        items.extend(["1", "2", "3"].map(|sk| item(pk, sk, 10)));
    }
    for pk in ["big1", "big2", "big3"] {
        items.extend(["1", "2"].map(|sk| item(pk, sk, 300_000)));
    }
    common::put_all(&client, &table, items).await;
    let page = |statement: String, limit: Option<i32>, token: Option<String>| {
        let client = client.clone();
        async move {
            client
                .execute_statement()
                .statement(&statement)
                .set_limit(limit)
                .set_next_token(token)
                .return_consumed_capacity(ReturnConsumedCapacity::Total)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{statement}: {}", error_message(&e)))
        }
    };
    let keys = |items: &[Item]| -> Vec<String> {
        (items.iter())
            .map(|i| format!("{}{}", i["PK"].as_s().unwrap(), i["SK"].as_s().unwrap()))
            .collect()
    };
    let all = ["a1", "a2", "a3", "b1", "b2", "b3", "c1", "c2", "c3"];
    for (condition, partitions) in [
        ("PK IN ['c', 'a', 'b', 'nothing']", 4.0),
        ("PK = 'b' OR PK = 'c' OR PK = 'a'", 3.0),
    ] {
        let statement = format!(r#"SELECT PK, SK FROM "{table}" WHERE {condition}"#);
        let read = page(statement.clone(), None, None).await;
        assert_eq!(keys(read.items()), all, "{statement}");
        assert!(read.next_token.is_none(), "{statement}");
        // Only the partitions named are read (one of them empty): half a
        // unit each, where a Scan would read the table's 2 MB.
        let units = read.consumed_capacity.unwrap().capacity_units.unwrap();
        assert_eq!(units, partitions * 0.5, "{statement}");
    }
    // Limit counts the items read across the partitions, and the pages
    // go on where the last one stopped, within a partition or at the next.
    let statement = format!(r#"SELECT PK, SK FROM "{table}" WHERE PK IN ['a', 'b', 'c']"#);
    let (mut read, mut token, mut pages) = (Vec::new(), None, 0);
    loop {
        let answer = page(statement.clone(), Some(4), token).await;
        assert!(answer.items().len() <= 4);
        read.extend(keys(answer.items()));
        pages += 1;
        token = answer.next_token;
        if token.is_none() {
            break;
        }
    }
    assert_eq!(read, all);
    assert!(pages >= 3, "{pages} pages");
    // A page stops once 1 MB is read: after big1 and big2 (1.2 MB).
    let statement = format!(r#"SELECT PK, SK FROM "{table}" WHERE PK IN ['big3', 'big2', 'big1']"#);
    let first = page(statement.clone(), None, None).await;
    assert_eq!(keys(first.items()), ["big11", "big12", "big21", "big22"]);
    let second = page(statement.clone(), None, first.next_token.clone()).await;
    assert_eq!(keys(second.items()), ["big31", "big32"]);
    assert!(second.next_token.is_none());
    // The same without ConsumedCapacity asked for.
    let quiet = client
        .execute_statement()
        .statement(&statement)
        .return_consumed_capacity(ReturnConsumedCapacity::None)
        .send()
        .await
        .unwrap();
    assert_eq!(keys(quiet.items()), ["big11", "big12", "big21", "big22"]);
    assert!(quiet.consumed_capacity.is_none() && quiet.next_token.is_some());
    // A token from another statement is refused.
    let other = format!(r#"SELECT PK, SK FROM "{table}" WHERE PK IN ['a', 'b']"#);
    let error = client
        .execute_statement()
        .statement(&other)
        .next_token("bm90IGEgdG9rZW4=")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_message(&error), "Invalid NextToken");
    // No key holds an empty value.
    let error = client
        .execute_statement()
        .statement(format!(r#"SELECT * FROM "{table}" WHERE PK IN ['a', '']"#))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: PK"
    );
}

#[tokio::test]
async fn order_by_orders_each_named_partition_by_its_keys() {
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;
    // Sort keys that interleave across the partitions.
    for (partition, sorts) in [
        ("A", ["1", "4", "7"]),
        ("B", ["2", "5", "8"]),
        ("C", ["3", "6", "9"]),
    ] {
        for sort in sorts {
            run(
                &client,
                &format!(r#"INSERT INTO "{table}" VALUE {{'PK': ?, 'SK': ?, 'g': ?}}"#),
                vec![
                    s(partition),
                    s(sort),
                    s(if partition == "B" { "y" } else { "x" }),
                ],
            )
            .await;
        }
    }
    let sorted = |partition: &str, descending: bool| {
        let mut sorts: Vec<String> = match partition {
            "A" => vec!["1", "4", "7"],
            "B" => vec!["2", "5", "8"],
            _ => vec!["3", "6", "9"],
        }
        .into_iter()
        .map(String::from)
        .collect();
        if descending {
            sorts.reverse();
        }
        sorts
    };
    // Several partitions (IN, or an OR of equalities): each partition's
    // items come together, in key order; across pages too. The partitions
    // come in the order of their keys, as ORDER BY orders the partition key
    // (ascending when it does not name it), as in DynamoDB Local.
    for (condition, order, partitions, descending) in [
        ("PK IN ['B', 'C', 'A']", "SK DESC", "ABC", true),
        ("PK IN ['A', 'B', 'C']", "SK", "ABC", false),
        (
            "(PK = 'C' OR PK = 'A') AND g = 'x'",
            "PK, SK DESC",
            "AC",
            true,
        ),
        ("PK IN ['A', 'B', 'C']", "PK DESC, SK ASC", "CBA", false),
        ("PK IN ['A', 'C', 'B']", "PK DESC", "CBA", true),
    ] {
        let statement = format!(r#"SELECT * FROM "{table}" WHERE {condition} ORDER BY {order}"#);
        let runs = runs_by_partition(&paged_keys(&client, &statement).await);
        let order: String = runs.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(order, partitions, "{statement}: {runs:?}");
        for (partition, sorts) in runs {
            assert_eq!(sorts, sorted(&partition, descending), "{statement}");
        }
    }
    // One partition: a Query, descending when asked.
    let one = format!(r#"SELECT * FROM "{table}" WHERE PK = 'B' ORDER BY SK DESC"#);
    assert_eq!(
        runs_by_partition(&paged_keys(&client, &one).await),
        vec![("B".to_string(), sorted("B", true))]
    );
    // An index orders by its own keys: each index partition's entries
    // come together (B's items are the index partition 'y').
    let index = format!(r#"SELECT * FROM "{table}"."byG" WHERE g IN ['x', 'y'] ORDER BY g DESC"#);
    let keys = paged_keys(&client, &index).await;
    assert_eq!(keys.len(), 9);
    let in_y: Vec<bool> = keys.iter().map(|(partition, _)| partition == "B").collect();
    assert_eq!(
        in_y.windows(2).filter(|w| w[0] != w[1]).count(),
        1,
        "{keys:?}"
    );
    let y: Vec<String> = keys
        .iter()
        .filter(|(partition, _)| partition == "B")
        .map(|(_, sort)| sort.clone())
        .collect();
    assert_eq!(y, sorted("B", true));

    // DynamoDB's refusals, in its order of checks.
    let select = |rest: &str| format!(r#"SELECT * FROM "{table}" {rest}"#);
    for (statement, message) in [
        (select("ORDER BY SK"), "Must have WHERE clause in the statement when using ORDER BY clause."),
        (select("WHERE SK = '1' ORDER BY SK"), "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."),
        (select("WHERE PK = 'A' OR g = 'x' ORDER BY SK"), "Must have at least one non-optional hash key condition in WHERE clause when using ORDER BY clause."),
        (select("WHERE PK = 'A' ORDER BY doc.k"), "Argument to ORDER BY must be of type VariableReference. Type: PATH"),
        (select("WHERE PK = 'A' ORDER BY g"), "Variable reference g in ORDER BY clause must be part of the primary key"),
        (format!(r#"SELECT * FROM "{table}"."byG" WHERE g = 'x' ORDER BY SK"#), "Variable reference SK in ORDER BY clause must be part of the primary key"),
        (format!(r#"SELECT * FROM "{table}"."nope" WHERE g = 'x'"#), "The table does not have the specified index"),
    ] {
        let error = client
            .execute_statement()
            .statement(&statement)
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException", "{statement}");
        assert_eq!(error_message(&error), message, "{statement}");
    }
    // A strongly consistent read of a global index, in PartiQL's words.
    let error = client
        .execute_statement()
        .statement(format!(r#"SELECT * FROM "{table}"."byG" WHERE g = 'x'"#))
        .consistent_read(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Strongly consistent read is not supported on Global Secondary Indexes"
    );
}

#[tokio::test]
async fn update_and_delete_need_the_whole_key_and_honour_conditions() {
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;
    run(
        &client,
        &format!(r#"INSERT INTO "{table}" VALUE {{'PK': 'a', 'SK': '1', 'n': 5, 'gone': 'x', 'l': [1, 2]}}"#),
        vec![],
    )
    .await;

    let new = run(
        &client,
        &format!(r#"UPDATE "{table}" SET n = n + ?, l[1] = 20 REMOVE gone WHERE PK = 'a' AND SK = '1' AND n = 5 RETURNING ALL NEW *"#),
        vec![n("2")],
    )
    .await;
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["n"], n("7"));
    assert_eq!(new[0]["l"], AttributeValue::L(vec![n("1"), n("20")]));
    assert!(!new[0].contains_key("gone"));

    let sets = run(
        &client,
        &format!(r#"UPDATE "{table}" SET tags = set_add(tags, <<'b', 'c'>>) WHERE PK = 'a' AND SK = '1' RETURNING ALL NEW *"#),
        vec![],
    )
    .await;
    assert_eq!(
        sets[0]["tags"],
        AttributeValue::Ss(vec!["b".into(), "c".into()])
    );
    let sets = run(
        &client,
        &format!(r#"UPDATE "{table}" SET tags = set_delete(tags, <<'b'>>) WHERE PK = 'a' AND SK = '1' RETURNING ALL NEW *"#),
        vec![],
    )
    .await;
    assert_eq!(sets[0]["tags"], AttributeValue::Ss(vec!["c".into()]));

    let failures = [
        // The condition does not hold.
        (
            format!(r#"UPDATE "{table}" SET n = 1 WHERE PK = 'a' AND SK = '1' AND n = 5"#),
            "ConditionalCheckFailedException",
        ),
        // UPDATE changes existing items only.
        (
            format!(r#"UPDATE "{table}" SET n = 1 WHERE PK = 'a' AND SK = '2'"#),
            "ConditionalCheckFailedException",
        ),
        (
            format!(r#"DELETE FROM "{table}" WHERE PK = 'a' AND SK = '1' AND n = 1"#),
            "ConditionalCheckFailedException",
        ),
        (
            format!(r#"UPDATE "{table}" SET n = 1 WHERE PK = 'a'"#),
            "ValidationException",
        ),
        (
            format!(r#"DELETE FROM "{table}" WHERE SK = '1'"#),
            "ValidationException",
        ),
        (format!(r#"SELEC * FROM "{table}""#), "ValidationException"),
        (
            "SELECT * FROM \"no-such-table\"".to_string(),
            "ResourceNotFoundException",
        ),
    ];
    for (statement, code) in failures {
        let error = client
            .execute_statement()
            .statement(&statement)
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            error_code(&error),
            code,
            "{statement}: {}",
            error_message(&error)
        );
    }
    let error = client
        .execute_statement()
        .statement(format!(r#"UPDATE "{table}" SET n = 1 WHERE PK = 'a'"#))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Where clause does not contain a mandatory equality on all key attributes"
    );
    let error = client
        .execute_statement()
        .statement(format!(r#"SELECT * FROM "{table}" WHERE PK = ?"#))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Number of parameters in request and statement don't match."
    );
    let error = client
        .execute_statement()
        .statement(format!(r#"SELEC * FROM "{table}""#))
        .send()
        .await
        .unwrap_err();
    assert!(error_message(&error).starts_with("Statement wasn't well formed, can't be processed"));

    let deleted = run(
        &client,
        &format!(r#"DELETE FROM "{table}" WHERE PK = 'a' AND SK = '1' RETURNING ALL OLD *"#),
        vec![],
    )
    .await;
    assert_eq!(deleted[0]["n"], n("7"));
    // Deleting an item that is not there is not an error.
    let none = run(
        &client,
        &format!(r#"DELETE FROM "{table}" WHERE PK = 'a' AND SK = '1'"#),
        vec![],
    )
    .await;
    assert!(none.is_empty());
    assert!(run(&client, &format!(r#"SELECT * FROM "{table}""#), vec![])
        .await
        .is_empty());
}

#[tokio::test]
async fn batches_run_each_statement_and_report_each_failure() {
    use aws_sdk_dynamodb::types::{BatchStatementErrorCodeEnum, BatchStatementRequest};
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;
    // A BatchExecuteStatement of statements without parameters.
    let batch = |statements: Vec<String>| {
        let requests = statements
            .into_iter()
            .map(|statement| {
                BatchStatementRequest::builder()
                    .statement(statement)
                    .build()
                    .unwrap()
            })
            .collect();
        client
            .batch_execute_statement()
            .set_statements(Some(requests))
            .send()
    };
    for sk in ["1", "4"] {
        run(
            &client,
            &format!(r#"INSERT INTO "{table}" VALUE {{'PK': 'a', 'SK': ?, 'v': 1}}"#),
            vec![s(sk)],
        )
        .await;
    }

    let writes = batch(vec![
        format!(r#"INSERT INTO "{table}" VALUE {{'PK': 'a', 'SK': '1'}}"#),
        format!(r#"INSERT INTO "{table}" VALUE {{'PK': 'a', 'SK': '2', 'v': 2}}"#),
        format!(r#"UPDATE "{table}" SET v = 9 WHERE PK = 'a' AND SK = '4' AND v = 5"#),
        format!(r#"DELETE FROM "{table}" WHERE PK = 'a' AND SK = '3'"#),
    ])
    .await
    .unwrap()
    .responses
    .unwrap();
    let codes: Vec<Option<&BatchStatementErrorCodeEnum>> = writes
        .iter()
        .map(|r| r.error().and_then(|e| e.code()))
        .collect();
    assert_eq!(
        codes,
        vec![
            Some(&BatchStatementErrorCodeEnum::DuplicateItem),
            None,
            Some(&BatchStatementErrorCodeEnum::ConditionalCheckFailed),
            None,
        ]
    );
    assert!(writes
        .iter()
        .all(|r| r.table_name() == Some(table.as_str())));

    let reads = batch(vec![
        format!(r#"SELECT v FROM "{table}" WHERE PK = 'a' AND SK = '2'"#),
        format!(r#"SELECT * FROM "{table}" WHERE PK = 'a' AND SK = '9'"#),
        format!(r#"SELECT * FROM "{table}" WHERE PK = 'a'"#),
    ])
    .await
    .unwrap()
    .responses
    .unwrap();
    assert_eq!(
        reads[0].item().unwrap(),
        &HashMap::from([("v".to_string(), n("2"))])
    );
    assert!(reads[1].item().is_none() && reads[1].error().is_none());
    assert_eq!(
        reads[2].error().unwrap().code(),
        Some(&BatchStatementErrorCodeEnum::ValidationError)
    );

    let error = batch(vec![
        format!(r#"SELECT * FROM "{table}" WHERE PK = 'a' AND SK = '1'"#),
        format!(r#"DELETE FROM "{table}" WHERE PK = 'a' AND SK = '1'"#),
    ])
    .await
    .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Read and write requests together in the same batch is not supported."
    );
    // A write's RETURNING clause answers in its entry's Item.
    let returned = batch(vec![
        format!(
            r#"UPDATE "{table}" SET v = 7 WHERE PK = 'a' AND SK = '4' RETURNING MODIFIED OLD *"#
        ),
        format!(r#"DELETE FROM "{table}" WHERE PK = 'a' AND SK = '2' RETURNING ALL OLD *"#),
        format!(r#"DELETE FROM "{table}" WHERE PK = 'a' AND SK = '8' RETURNING ALL OLD *"#),
    ])
    .await
    .unwrap()
    .responses
    .unwrap();
    assert_eq!(
        returned[0].item().unwrap(),
        &HashMap::from([("v".to_string(), n("1"))])
    );
    assert_eq!(
        returned[1].item().unwrap(),
        &HashMap::from([
            ("PK".to_string(), s("a")),
            ("SK".to_string(), s("2")),
            ("v".to_string(), n("2"))
        ])
    );
    assert!(returned[2].item().is_none() && returned[2].error().is_none());
    // One item written twice in a batch (an INSERT and a DELETE of one key).
    let error = batch(vec![
        format!(r#"INSERT INTO "{table}" VALUE {{'PK': 'c', 'SK': '1', 'x': 1}}"#),
        format!(r#"DELETE FROM "{table}" WHERE SK = '1' AND PK = 'c'"#),
    ])
    .await
    .unwrap_err();
    assert_eq!(
        error_message(&error),
        "Provided list of item keys contains duplicates"
    );
}

#[tokio::test]
async fn transactions_apply_all_statements_or_none() {
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;
    let statement = parameterized;
    client
        .execute_transaction()
        .transact_statements(statement(
            format!(r#"INSERT INTO "{table}" VALUE {{'PK': ?, 'SK': '1', 'v': 1}}"#),
            vec![s("a")],
        ))
        .transact_statements(statement(
            format!(r#"INSERT INTO "{table}" VALUE {{'PK': 'b', 'SK': '1', 'v': 1}}"#),
            vec![],
        ))
        .send()
        .await
        .unwrap();

    // One INSERT of an existing key cancels the other statements.
    let error = client
        .execute_transaction()
        .transact_statements(statement(
            format!(r#"UPDATE "{table}" SET v = v + 1 WHERE PK = 'a' AND SK = '1'"#),
            vec![],
        ))
        .transact_statements(statement(
            format!(r#"INSERT INTO "{table}" VALUE {{'PK': 'b', 'SK': '1'}}"#),
            vec![],
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "TransactionCanceledException");
    let reasons = error
        .as_service_error()
        .and_then(|e| match e {
            aws_sdk_dynamodb::operation::execute_transaction::ExecuteTransactionError::TransactionCanceledException(t) => {
                Some(t.cancellation_reasons().to_vec())
            }
            _ => None,
        })
        .unwrap();
    let codes: Vec<Option<&str>> = reasons.iter().map(|r| r.code()).collect();
    assert_eq!(codes, vec![Some("None"), Some("ValidationError")]);

    let read = client
        .execute_transaction()
        .transact_statements(statement(
            format!(r#"SELECT v FROM "{table}" WHERE PK = 'a' AND SK = '1'"#),
            vec![],
        ))
        .transact_statements(statement(
            format!(r#"SELECT * FROM "{table}" WHERE PK = 'zz' AND SK = '1'"#),
            vec![],
        ))
        .send()
        .await
        .unwrap()
        .responses
        .unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(
        read[0].item().unwrap()["v"],
        n("1"),
        "the cancelled UPDATE left v"
    );
    assert!(read[1].item().is_none());

    for (text, message) in [
        (
            format!(r#"SELECT * FROM "{table}" WHERE PK = 'a'"#),
            "Validation failed in TransactStatements[0]: Select statements within ExecuteTransaction must specify the primary key in the where clause.",
        ),
        (
            format!(r#"DELETE FROM "{table}" WHERE PK = 'a' AND SK = '1' RETURNING ALL OLD *"#),
            "Validation failed in TransactStatements[0]: RETURNING clause is not supported in ExecuteTransaction.",
        ),
        // A refused literal is placed; a statement that does not parse is
        // refused as it is.
        (
            format!(r#"UPDATE "{table}" SET v = <<'x', 'x'>> WHERE PK = 'a' AND SK = '1'"#),
            "Validation failed in TransactStatements[0]: One or more parameter values were invalid: Input collection [x, x] contains duplicates.",
        ),
        (
            format!(r#"UPDATE "{table}" SET v = 1 WHERE"#),
            "Validation failed in TransactStatements[0]: Statement wasn't well formed, can't be processed: Unexpected term",
        ),
    ] {
        let error = client
            .execute_transaction()
            .transact_statements(statement(text, vec![]))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_message(&error), message);
    }
}

#[tokio::test]
async fn exists_is_a_condition_check_of_one_item_in_a_transaction() {
    use aws_sdk_dynamodb::operation::execute_transaction::ExecuteTransactionError;
    use aws_sdk_dynamodb::types::{
        ParameterizedStatement, ReturnValuesOnConditionCheckFailure as OnFailure,
    };
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;
    run(
        &client,
        &format!(r#"INSERT INTO "{table}" VALUE {{'PK': 'a', 'SK': '1', 'v': 1}}"#),
        vec![],
    )
    .await;
    let statement = |text: String| parameterized(text, vec![]);
    let exists = |condition: &str| {
        statement(format!(
            r#"EXISTS(SELECT * FROM "{table}" WHERE PK = 'a' AND SK = '1' AND {condition})"#
        ))
    };
    let bump = || {
        statement(format!(
            r#"UPDATE "{table}" SET v = v + 1 WHERE PK = 'a' AND SK = '2'"#
        ))
    };
    let v_of_2 = || async {
        run(
            &client,
            &format!(r#"SELECT v FROM "{table}" WHERE PK = 'a' AND SK = '2'"#),
            vec![],
        )
        .await
    };
    run(
        &client,
        &format!(r#"INSERT INTO "{table}" VALUE {{'PK': 'a', 'SK': '2', 'v': 0}};"#),
        vec![],
    )
    .await;

    // The condition holds: the other statements apply.
    client
        .execute_transaction()
        .transact_statements(exists("v = 1"))
        .transact_statements(bump())
        .send()
        .await
        .unwrap();
    assert_eq!(v_of_2().await[0]["v"], n("1"));

    // It fails, or the item is not there (whatever the condition): the
    // transaction is cancelled, and the failed check returns the item when
    // asked.
    let missing = statement(format!(
        r#"EXISTS(SELECT * FROM "{table}" WHERE PK = 'zz' AND SK = '1' AND attribute_not_exists(v))"#
    ));
    let failing = ParameterizedStatement::builder()
        .statement(format!(
            r#"EXISTS(SELECT * FROM "{table}" WHERE PK = 'a' AND SK = '1' AND v > ?)"#
        ))
        .parameters(n("5"))
        .return_values_on_condition_check_failure(OnFailure::AllOld)
        .build()
        .unwrap();
    for (check, returns_item) in [(missing, false), (failing, true)] {
        let error = client
            .execute_transaction()
            .transact_statements(check)
            .transact_statements(bump())
            .send()
            .await
            .unwrap_err();
        let Some(ExecuteTransactionError::TransactionCanceledException(cancelled)) =
            error.as_service_error()
        else {
            panic!("{error:?}");
        };
        let reasons = cancelled.cancellation_reasons();
        let codes: Vec<Option<&str>> = reasons.iter().map(|r| r.code()).collect();
        assert_eq!(codes, vec![Some("ConditionalCheckFailed"), Some("None")]);
        match returns_item {
            true => assert_eq!(reasons[0].item().unwrap()["v"], n("1")),
            false => assert!(reasons[0].item().is_none()),
        }
    }
    assert_eq!(v_of_2().await[0]["v"], n("1"), "cancelled updates left v");

    // What DynamoDB refuses.
    let refusals = [
        (
            vec![statement(format!(
                r#"EXISTS(SELECT * FROM "{table}" WHERE PK = 'a' AND SK = '1')"#
            ))],
            "Validation failed in TransactStatements[0]: EXISTS() must contain a single item read with additional condition",
        ),
        (
            vec![
                bump(),
                statement(format!(
                    r#"EXISTS(SELECT * FROM "{table}" WHERE PK = 'a' AND v = 1)"#
                )),
            ],
            "Validation failed in TransactStatements[1]: EXISTS() must contain a single item read with additional condition",
        ),
        (
            vec![statement(format!(
                r#"EXISTS(SELECT * FROM "{table}"."byG" WHERE g = 'x' AND v = 1)"#
            ))],
            "Validation failed in TransactStatements[0]: Operations on indices are not supported in transactions",
        ),
        (
            vec![
                exists("v = 1"),
                statement(format!(
                    r#"SELECT * FROM "{table}" WHERE PK = 'a' AND SK = '2'"#
                )),
            ],
            "ExecuteTransaction API does not support both read and write operations in the same request.",
        ),
        (
            vec![
                exists("v = 1"),
                statement(format!(
                    r#"UPDATE "{table}" SET w = 1 WHERE PK = 'a' AND SK = '1'"#
                )),
            ],
            "Transaction request cannot include multiple operations on one item",
        ),
    ];
    for (statements, message) in refusals {
        let error = client
            .execute_transaction()
            .set_transact_statements(Some(statements))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(error_message(&error), message);
    }
    // Outside a transaction's writes, EXISTS has no place.
    let text = format!(r#"EXISTS(SELECT * FROM "{table}" WHERE PK = 'a' AND SK = '1' AND v = 1)"#);
    let error = client
        .execute_statement()
        .statement(&text)
        .send()
        .await
        .unwrap_err();
    let outside = "EXISTS can only be used in ExecuteTransaction write requests.";
    assert_eq!(error_message(&error), outside);
    let batch = client
        .batch_execute_statement()
        .statements(
            aws_sdk_dynamodb::types::BatchStatementRequest::builder()
                .statement(&text)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let answer = batch.responses()[0].error().unwrap();
    assert_eq!(answer.message(), Some(outside));
}

/// IS with a type, and a condition function compared with a boolean, run
/// as filters (recorded from DynamoDB, 2026-10).
#[tokio::test]
async fn type_tests_and_compared_conditions_filter() {
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;
    run(
        &client,
        &format!(
            r#"INSERT INTO "{table}" VALUE {{'PK': 'w', 'SK': '1', 'flag': true, 's': 'str', 'n': 1, 'm': {{'a': 1}}, 'l': [1], 'ns': <<1>>, 'b': ?}}"#
        ),
        vec![AttributeValue::B(Blob::new("x"))],
    )
    .await;
    for (condition, found) in [
        ("flag IS BOOL", true),
        ("flag IS NOT BOOLEAN", false),
        ("s IS STRING", true),
        ("s IS BOOL", false),
        // The other DynamoDB types PartiQL names (DynamoDB Local's answers).
        ("n IS NUMERIC", true),
        ("ns IS NUMERIC", false),
        ("b IS BLOB", true),
        ("m IS STRUCT AND m IS TUPLE", true),
        ("l IS LIST", true),
        ("l IS NOT LIST", false),
        ("s IS NUMERIC(3)", false),
        ("attribute_exists(s) = true", true),
        ("true = attribute_exists(nope)", false),
        ("attribute_exists(s) <> true", false),
        (
            "attribute_not_exists(nope) = TRUE AND NOT (attribute_exists(s) = false)",
            true,
        ),
    ] {
        let items = run(
            &client,
            &format!(r#"SELECT * FROM "{table}" WHERE PK = 'w' AND {condition}"#),
            vec![],
        )
        .await;
        assert_eq!(items.len(), usize::from(found), "{condition}");
    }
    let error = client
        .execute_statement()
        .statement(format!(
            r#"UPDATE "{table}" SET t = 1 WHERE PK = 'w' AND SK = '1' AND attribute_exists(nope) = true"#
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error_code(&error), "ConditionalCheckFailedException");
}

/// PartiQL's FROM-first UPDATE (`FROM t WHERE key SET ... REMOVE ...`) runs
/// as the UPDATE of the item its WHERE names, with comments anywhere
/// (recorded from DynamoDB in four Regions, 2026-10).
#[tokio::test]
async fn from_first_updates_run_as_updates() {
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;
    run(
        &client,
        &format!(r#"INSERT INTO "{table}" VALUE {{'PK': 'f', 'SK': '1', 'a': 1, 'b': 'bee'}}"#),
        vec![],
    )
    .await;
    let returned = run(
        &client,
        &format!(
            "-- a note\nfrom \"{table}\" /* where */ where PK = ? AND SK = '1' set c = ? remove b returning all new *"
        ),
        vec![s("f"), n("7")],
    )
    .await;
    let expected: Item = HashMap::from([
        ("PK".to_string(), s("f")),
        ("SK".to_string(), s("1")),
        ("a".to_string(), n("1")),
        ("c".to_string(), n("7")),
    ]);
    assert_eq!(returned, vec![expected.clone()]);
    let refuse = |text: String| {
        let client = client.clone();
        async move {
            client
                .execute_statement()
                .statement(text)
                .send()
                .await
                .unwrap_err()
        }
    };
    // A further condition that fails, and a key with no item: the
    // condition of the write fails, nothing is written.
    for text in [
        format!(r#"FROM "{table}" WHERE PK = 'f' AND SK = '1' AND a = 2 SET c = 5"#),
        format!(r#"FROM "{table}" WHERE PK = 'absent' AND SK = '1' SET c = 1"#),
    ] {
        assert_eq!(
            error_code(&refuse(text).await),
            "ConditionalCheckFailedException"
        );
    }
    assert!(run(
        &client,
        &format!(r#"SELECT * FROM "{table}" WHERE PK = 'absent'"#),
        vec![]
    )
    .await
    .is_empty());
    for (text, message) in [
        (
            format!(r#"FROM "{table}" SET c = 1"#),
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            format!(r#"FROM "{table}" WHERE a = 1 SET c = 1"#),
            "Where clause does not contain a mandatory equality on all key attributes",
        ),
        (
            format!(r#"FROM "{table}" SET c = 1 WHERE PK = 'f' AND SK = '1'"#),
            "Statement wasn't well formed, can't be processed: Unexpected token after expression",
        ),
        (
            format!(r#"FROM "{table}-none" WHERE PK = 'f' AND SK = '1' SET c = 1"#),
            "Requested resource not found",
        ),
    ] {
        assert_eq!(error_message(&refuse(text).await), message);
    }
    // In a transaction and in a batch too.
    client
        .execute_transaction()
        .transact_statements(parameterized(
            format!(r#"FROM "{table}" WHERE PK = 'f' AND SK = '1' SET t = 1"#),
            vec![],
        ))
        .send()
        .await
        .unwrap();
    let batch = client
        .batch_execute_statement()
        .statements(
            aws_sdk_dynamodb::types::BatchStatementRequest::builder()
                .statement(format!(
                    r#"FROM "{table}" WHERE PK = 'f' AND SK = '1' SET u = 1"#
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(batch.responses()[0].error().is_none());
    let stored = run(
        &client,
        &format!(r#"SELECT t, u FROM "{table}" WHERE PK = 'f'"#),
        vec![],
    )
    .await;
    assert_eq!(
        stored,
        vec![HashMap::from([
            ("t".to_string(), n("1")),
            ("u".to_string(), n("1"))
        ])]
    );
}

/// PartiQL parameters are read as Java's BigDecimal reads them (recorded
/// from DynamoDB, 2026-10): an exponent past a Java int cannot be
/// converted, 1e2147483647 wraps to an underflow, an empty number has no
/// colon. In BatchExecuteStatement such a parameter fails its own
/// statement; a malformed one (a SerializationException) the request.
#[tokio::test]
async fn parameters_are_read_as_bigdecimal_and_fail_their_own_statement() {
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;
    let not_numeric = "The parameter cannot be converted to a numeric value";
    let select = format!(r#"SELECT * FROM "{table}" WHERE PK = 'p' AND SK = 's' AND n = ?"#);
    for (text, message) in [
        ("1e99999999999", format!("{not_numeric}: 1e99999999999")),
        ("1e-2147483648", format!("{not_numeric}: 1e-2147483648")),
        ("", not_numeric.to_string()),
        (
            "1e2147483647",
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
                .to_string(),
        ),
    ] {
        let error = client
            .execute_statement()
            .statement(&select)
            .parameters(n(text))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException");
        assert_eq!(error_message(&error), message, "{text:?}");
    }
    let error = client
        .execute_transaction()
        .transact_statements(parameterized(
            format!(r#"UPDATE "{table}" SET n = ? WHERE PK = 'p' AND SK = 's'"#),
            vec![n("1e99999999999")],
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        error_message(&error),
        format!("{not_numeric}: 1e99999999999")
    );

    run(
        &client,
        &format!(r#"INSERT INTO "{table}" VALUE {{'PK': 'p', 'SK': 's', 'n': 1}}"#),
        vec![],
    )
    .await;
    let deep = (0..40).fold(s("leaf"), |inner, _| {
        AttributeValue::M(HashMap::from([("n".to_string(), inner)]))
    });
    let statement = |parameters: Vec<AttributeValue>| {
        aws_sdk_dynamodb::types::BatchStatementRequest::builder()
            .statement(&select)
            .set_parameters(Some(parameters))
            .build()
            .unwrap()
    };
    let by_key = aws_sdk_dynamodb::types::BatchStatementRequest::builder()
        .statement(format!(
            r#"SELECT * FROM "{table}" WHERE PK = 'p' AND SK = ?"#
        ))
        .parameters(s("s"))
        .build()
        .unwrap();
    let batch = client
        .batch_execute_statement()
        .statements(by_key)
        .statements(statement(vec![n("1e99999999999")]))
        .statements(statement(vec![deep.clone()]))
        .send()
        .await
        .unwrap();
    let responses = batch.responses();
    assert_eq!(responses.len(), 3);
    assert!(responses[0].error().is_none(), "{:?}", responses[0].error());
    assert_eq!(responses[0].item().and_then(|i| i.get("n")), Some(&n("1")));
    let error = |i: usize| {
        let e = responses[i].error().expect("a statement error");
        (
            e.code().map(|c| c.as_str().to_string()),
            e.message().map(str::to_string),
        )
    };
    assert_eq!(
        error(1),
        (
            Some("ValidationError".into()),
            Some(format!("{not_numeric}: 1e99999999999"))
        )
    );
    assert_eq!(
        error(2),
        (
            Some("ValidationError".into()),
            Some("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit".into())
        )
    );
    // A parameter of the wrong JSON shape fails the whole request.
    let body = serde_json::json!({"Statements": [
        {"Statement": select, "Parameters": [{"N": "1"}]},
        {"Statement": select, "Parameters": [{"N": 5}]},
    ]});
    let answer = common::call(
        &server.address(),
        "BatchExecuteStatement",
        &body.to_string(),
    );
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.error_type(),
        "com.amazon.coral.service#SerializationException"
    );
    assert_eq!(
        answer.json()["message"],
        "NUMBER_VALUE can not be converted to a String"
    );
}

#[tokio::test]
async fn statements_are_refused_with_dynamodbs_messages() {
    let server = Server::start();
    let client = server.client();
    let table = create(&client).await;
    run(
        &client,
        &format!(
            r#"INSERT INTO "{table}" VALUE {{'PK': 'a', 'SK': '1', 'm': {{'x': 1}}, 'l': [1]}}"#
        ),
        vec![],
    )
    .await;
    let t = |rest: &str| rest.replace("$T", &format!(r#""{table}""#));
    // A refusal DynamoDB places as line:column:length: at the token of
    // `length` characters where `needle` starts.
    let placed = |template: &str,
                  parameters: Vec<AttributeValue>,
                  message: &str,
                  needle: &str,
                  length: usize| {
        let statement = t(template);
        let column = statement.find(needle).unwrap() + 1;
        let message = format!("{message} at 1:{column}:{length}");
        (statement, parameters, message)
    };
    for (statement, parameters, message) in [
        (t("SELECT v, m.x, v FROM $T WHERE PK = 'a'"), vec![], "Duplicate identifiers in select clause: v".to_string()),
        (t("SELECT m.x, m FROM $T WHERE PK = 'a'"), vec![], "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [m], path two: [m, x]".to_string()),
        (t("SELECT l, l[0] FROM $T WHERE PK = 'a'"), vec![], "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [l, [0]], path two: [l]".to_string()),
        (t("SELECT * FROM $T WHERE v - 1 = 0"), vec![], "Unsupported operator in Condition Expression. Operator: -".to_string()),
        (t("SELECT * FROM $T WHERE v || 'x' = 'ax'"), vec![], "Unsupported operator in Condition Expression. Operator: ||".to_string()),
        (t("UPDATE $T SET v = v * 2 WHERE PK = 'a' AND SK = '1'"), vec![], "Unsupported operator in Update Expression. Operator: *".to_string()),
        (t("UPDATE $T SET v = -v WHERE PK = 'a' AND SK = '1'"), vec![], "Incorrect number of operands for operator or function; operator or function: -, number of operands: 1".to_string()),
        // Literals are placed within the value they are part of (an INSERT's
        // attributes each are one) and pointed at: line:column:length.
        placed("INSERT INTO $T VALUE {'PK': 'b', 'SK': '1', 'x': 1, 'x': 2}", vec![], "Duplicate keys in tuple. Key: x under root", "'x': 2", 3),
        placed("INSERT INTO $T VALUE {'PK': 'b', 'SK': '1', 'm': {'l': [{'y': 1, 'y': 2}]}}", vec![], "Duplicate keys in tuple. Key: y under root.l.0", "{'y'", 1),
        placed("UPDATE $T SET m = {'y': 1, 'y': 2} WHERE PK = 'a' AND SK = '1'", vec![], "Duplicate keys in tuple. Key: y under root", "{'y'", 1),
        placed("UPDATE $T SET m = {'y': [1, -0.0]} WHERE PK = 'a' AND SK = '1'", vec![], "Negative zero decimal is not supported under key root.y.1", "0.0", 3),
        (t("UPDATE $T SET s = <<'a', 'b', 'a'>> WHERE PK = 'a' AND SK = '1'"), vec![], "One or more parameter values were invalid: Input collection [a, b, a] contains duplicates.".to_string()),
        // set_add and set_delete: DynamoDB's checks, placed (recorded 2026-10).
        placed("UPDATE $T SET t = set_add(s, <<'x'>>) WHERE PK = 'a' AND SK = '1'", vec![], "The first argument to SET_ADD must equal the assignment value", "set_add", 7),
        // The second argument's refusal points at the first argument.
        placed("UPDATE $T SET s = set_delete(s, 'x') WHERE PK = 'a' AND SK = '1'", vec![], "The second argument to SET_DELETE must be a value with type SET", "s, 'x'", 1),
        placed("UPDATE $T SET s = set_add(s) WHERE PK = 'a' AND SK = '1'", vec![], "SET_ADD must have exactly two arguments", "set_add", 7),
        placed("SELECT * FROM $T WHERE PK = 'a' AND set_add(s, <<'x'>>) = s", vec![], "Unrecognized function: set_add", "set_add", 7),
        placed("INSERT INTO $T VALUE {'PK': 'c', 'SK': '1', 's': set_add(<<'a'>>, <<'b'>>)}", vec![], "Unsupported data type: set_add under key root", "set_add", 7),
        (t("SELECT * FROM $T WHERE PK = 'a' AND attribute_exists()"), vec![], "Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 0".to_string()),
        (t("SELECT * FROM $T WHERE PK = 'a' AND attribute_exists(m.inner)"), vec![], "Statement wasn't well formed, can't be processed: Invalid path dot component".to_string()),
        placed("UPDATE $T SET s = <<>> WHERE PK = 'a' AND SK = '1'", vec![], "Empty bags are not supported", "<<", 2),
        // Unplaced as set_add's argument (recorded from DynamoDB, 2026-10).
        (t("UPDATE $T SET s = set_add(s, <<>>) WHERE PK = 'a' AND SK = '1'"), vec![], "Empty bags are not supported".to_string()),
        // Binary sets come as whole parameters, never as members.
        placed("UPDATE $T SET s = <<?>> WHERE PK = 'a' AND SK = '1'", vec![AttributeValue::B(Blob::new("x"))], "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags", "?", 1),
        (t("UPDATE $T SET v = 1e126 WHERE PK = 'a' AND SK = '1'"), vec![], "Number overflow. Attempting to store a number with magnitude larger than supported range under root".to_string()),
        (t("SELECT PK, m.* FROM $T WHERE PK = 'a'"), vec![], "Changing item's hierarchy while reading isn't supported".to_string()),
        (t("UPDATE $T SET v = 1 WHERE PK = 'a' AND SK = '1' RETURNING ALL NEW v"), vec![], "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause".to_string()),
        ("SLECT * FROM x".to_string(), vec![], "Statement wasn't well formed, can't be processed: Expected data manipulation".to_string()),
        (t("INSERT INTO $T VALUE ?"), vec![AttributeValue::M(HashMap::from([("PK".to_string(), s("b")), ("SK".to_string(), s("1"))]))], "Unsupported format in item expression. Please use struct format {...} to express item values for insert statement.".to_string()),
        (t("UPDATE $T SET v = 1"), vec![], "Where clause does not contain a mandatory equality on all key attributes".to_string()),
        // REMOVE takes one path: a comma is left over.
        (t("UPDATE $T REMOVE a, b WHERE PK = 'a' AND SK = '1'"), vec![], "Statement wasn't well formed, can't be processed: Unexpected token after expression".to_string()),
        // INSERT's key, in PartiQL's words, then its RETURNING (DynamoDB Local's).
        (t("INSERT INTO $T VALUE {'PK': 'b'} RETURNING ALL OLD *"), vec![], "Key attribute should be present in the item: Key SK".to_string()),
        (t("INSERT INTO $T VALUE {'PK': 'b', 'SK': '1'} RETURNING ALL NEW *"), vec![], "RETURNING is not supported in INSERT".to_string()),
        (t("DELETE FROM $T"), vec![], "Where clause does not contain a mandatory equality on all key attributes".to_string()),
        (t("DELETE FROM $T WHERE PK = 'a' AND SK = '1' RETURNING ALL NEW *"), vec![], "Invalid returning clause: RETURNING ALL NEW *. Only RETURNING ALL OLD * is allowed in DELETE statements.".to_string()),
        // Positions are line:column:length, here of the limit's value.
        (t("SELECT * FROM $T WHERE PK = 'a'\n  LIMIT 5"), vec![], "Unsupported clause: LIMIT at 2:9:1".to_string()),
        (t("SELECT size(v) FROM $T WHERE PK = 'a'"), vec![], "Unexpected path component at 1:8:4".to_string()),
        placed("SELECT * FROM $T WHERE PK = 'a' AND upper(v) = 'A'", vec![], "Unrecognized function: upper", "upper", 5),
        // EXISTS takes a SELECT only: on a path it is an unknown function.
        placed("SELECT * FROM $T WHERE PK = 'a' AND EXISTS(v)", vec![], "Unrecognized function: exists", "EXISTS", 6),
        (t("SELECT v AS w FROM $T WHERE PK = 'a'"), vec![], "Aliasing is not supported".to_string()),
        // A WHERE clause is a condition throughout.
        (t("SELECT * FROM $T WHERE PK = 'a' AND v"), vec![], "The arguments to AND/OR must be Expressions".to_string()),
        (t("SELECT * FROM $T WHERE NOT v"), vec![], "The argument to NOT must be a Type or Expression".to_string()),
        (t("DELETE FROM $T WHERE PK = 'a' AND SK = '1' AND ? IS NULL"), vec![s("x")], "The left hand side argument to IS must be a Variable Reference, Literal, or Path".to_string()),
        // PartiQL reserves `value` (and `date`, `count`, ...): bare, it is
        // no name; quoted, it is.
        (t("SELECT value FROM $T WHERE PK = 'a'"), vec![], "Statement wasn't well formed, can't be processed: value is a reserved word; quote it to use it as a name: \"value\"".to_string()),
        (t("SELECT * FROM $T WHERE PK = 'a' AND v = MISSING"), vec![], "MISSING must be compared using IS operator".to_string()),
        placed("INSERT INTO $T VALUE {'PK': 'b', 'SK': '1', 'v': MISSING}", vec![], "Unsupported data type: MISSING under key root", "MISSING", 7),
        placed("INSERT INTO $T VALUE {'PK': 'b', 'SK': '1', 'v': {'w': MISSING}}", vec![], "Unsupported data type: LiteralMissing under key root.w", "MISSING", 7),
        // Ion literals: their Ion type, their place in the value, the token's
        // place (DynamoDB Local's words).
        placed("SELECT * FROM $T WHERE PK = `a`", vec![], "Ion Literals are not supported: SYMBOL under key root", "`a`", 3),
        placed("INSERT INTO $T VALUE {'PK': 'q', 'SK': '1', 'm': {'y': [1, `1.5`]}}", vec![], "Ion Literals are not supported: DECIMAL under key root.y.1", "`1.5`", 5),
        // A key value of another type than the key's, wherever it is given.
        (t("SELECT * FROM $T WHERE PK = 1"), vec![], "Key attribute's data type should match its data type in table's schema: Key PK".to_string()),
        (t("SELECT * FROM $T WHERE PK = 'a' AND SK BETWEEN 1 AND 2"), vec![], "Key attribute's data type should match its data type in table's schema: Key SK".to_string()),
        (t("INSERT INTO $T VALUE {'PK': 'b', 'SK': 1}"), vec![], "Key attribute's data type should match its data type in table's schema: Key SK".to_string()),
        (t("UPDATE $T SET v = 1 WHERE PK = ? AND SK = '1'"), vec![n("1")], "Key attribute's data type should match its data type in table's schema: Key PK".to_string()),
        // An empty key value in a SELECT run as a Query, named as the
        // table's key even on an index (DynamoDB Local's answers), after
        // the key condition's own checks.
        (t("SELECT * FROM $T WHERE PK = '' AND v = 1"), vec![], "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: PK".to_string()),
        (t("SELECT * FROM $T WHERE PK = 'a' AND begins_with(SK, ?)"), vec![s("")], "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: SK".to_string()),
        (t("SELECT * FROM $T.\"byG\" WHERE g = ''"), vec![], "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: g".to_string()),
        (t("SELECT * FROM $T WHERE PK = 'a' AND SK BETWEEN 'a' AND ''"), vec![], "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {S:a}, upper bound operand: AttributeValue: {S:}".to_string()),
        // Errors of the operation a statement runs as do not name the
        // expressions its writer never wrote.
        (t("UPDATE $T SET v = 1 REMOVE v WHERE PK = 'a' AND SK = '1'"), vec![], "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [v], path two: [v]".to_string()),
        (t(&format!("SELECT * FROM $T WHERE v IN [{}]", (0..101).map(|i| i.to_string()).collect::<Vec<_>>().join(","))), vec![], "The IN operator is provided with too many operands; number of operands: 101".to_string()),
        // OR branches of one partition: a sort-key range beside a filter
        // on another attribute (recorded from DynamoDB, 2026-10).
        (t("SELECT * FROM $T WHERE PK = 'a' AND x = '1' OR PK = 'a' AND SK = '2'"), vec![], "Overlapping conditions with range keys are not supported in where clause".to_string()),
        (t("SELECT * FROM $T WHERE PK = 'a' AND SK = '2' OR PK = 'a' AND x <> '1'"), vec![], "Overlapping conditions with range keys are not supported in where clause".to_string()),
        (t("SELECT * FROM $T WHERE PK = 'a' AND x IS FOO"), vec![], "Statement wasn't well formed, can't be processed: Expected type name".to_string()),
        // PartiQL types that are no DynamoDB type: placed at the IS.
        (t("SELECT * FROM $T WHERE PK = 'a' AND v NOT LIKE 'a%'"), vec![], "Unsupported operator in Condition Expression. Operator: like".to_string()),
        (t("SELECT * FROM $T WHERE PK = 'a' AND -v < 0"), vec![], "Unsupported operator in Condition Expression. Operator: -".to_string()),
        placed("SELECT * FROM $T WHERE PK = 'a' AND x IS NOT INT", vec![], "Unsupported data type for IS operator: INTEGER. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST]", "IS", 2),
        ("x IS INT4".to_string(), vec![], "Unsupported operation: IsType".to_string()),
    ] {
        let error = client
            .execute_statement()
            .statement(&statement)
            .set_parameters((!parameters.is_empty()).then_some(parameters))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error_code(&error), "ValidationException", "{statement}");
        assert_eq!(error_message(&error), message, "{statement}");
    }
    // A sort-key value longer than a key may be is compared, not refused
    // as Query refuses it (DynamoDB Local's answer): every key is below it.
    let below = run(
        &client,
        &format!(r#"SELECT * FROM "{table}" WHERE PK = 'a' AND SK < ?"#),
        vec![s(&"z".repeat(1025))],
    )
    .await;
    assert_eq!(below.len(), 1);
    // A negated sort-key condition is no filter elsewhere: the union runs.
    let union = run(
        &client,
        &format!(
            r#"SELECT * FROM "{table}" WHERE PK = 'a' AND NOT SK = '2' OR PK = 'a' AND SK = '2'"#
        ),
        vec![],
    )
    .await;
    assert_eq!(union.len(), 1);
    // Nothing was written by the refused statements.
    let all = run(&client, &format!(r#"SELECT * FROM "{table}""#), vec![]).await;
    assert_eq!(all.len(), 1);
    assert_eq!(
        all[0]["m"],
        AttributeValue::M(HashMap::from([("x".to_string(), n("1"))]))
    );
}
