//! Differential test of PartiQL ExecuteStatement: the same generated
//! INSERT, SELECT, UPDATE and DELETE statements go to dynalith and to a
//! reference server (DynamoDB Local), on a table with a global secondary
//! index, and the two must answer alike and hold the same items.
//!
//! ```sh
//! scripts/dynamodb-local.sh start 8780
//! DYNALITH_DIFF_ENDPOINT=http://127.0.0.1:8780 \
//!   cargo test -p dynalith --test differential_partiql -- --nocapture
//! ```
//!
//! `DYNALITH_DIFF_SEED` picks another workload. Without
//! `DYNALITH_DIFF_ENDPOINT` the test prints a note and passes.
//!
//! Compared for each statement: success or the error's type (not its
//! message: DynamoDB Local's PartiQL messages are its own), and the items
//! returned (as a set: a Scan's order is the server's own). Every tenth
//! step is a BatchExecuteStatement (each statement's error code or
//! success) or an ExecuteTransaction (success or the error's type) of two
//! to five writes on distinct items. After each write: the table's items
//! (a consistent Scan). INSERT and UPDATE carry literals DynamoDB checks as
//! it parses (sets with repeats or of mixed types, negative decimal zeros,
//! repeated map keys, numbers out of range, MISSING inside a map), valid
//! or not. DynamoDB Local calls the
//! duplicate-key error `DuplicateItem` where DynamoDB's API (and dynalith)
//! says `DuplicateItemException`. Transactions may hold an
//! `EXISTS(SELECT ...)` condition check. Not generated either: ORDER BY,
//! which DynamoDB Local answers with an InternalFailure in many valid and
//! invalid forms (DESC over one partition, a filter beside the key
//! condition, a non-key attribute after a filter without the partition
//! key); `tests/partiql.rs` checks it. Not generated: `RETURNING MODIFIED`,
//! whose nested-path answers differ between DynamoDB Local's PartiQL and
//! its own UpdateItem (dynalith answers as UpdateItem does).

mod common;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const PARTITIONS: [&str; 3] = ["a", "b", "c"];
const SORT_KEYS: i64 = 8;

/// The status, and the error type (without its "Exception", which
/// DynamoDB Local leaves off DuplicateItem) or the items as a set.
fn outcome(address: &str, body: &Value) -> String {
    let response = common::call(address, "ExecuteStatement", &body.to_string());
    let value = response.json();
    if response.status != 200 {
        let kind = value["__type"].as_str().unwrap_or_default();
        let kind = kind.rsplit('#').next().unwrap_or_default();
        return format!("{} {}", response.status, kind.trim_end_matches("Exception"));
    }
    format!("200 {:?}", common::wire_item_set(&value["Items"]))
}

/// A BatchExecuteStatement's status, and per statement its error code or
/// success.
fn batch_outcome(address: &str, body: &Value) -> String {
    let response = common::call(address, "BatchExecuteStatement", &body.to_string());
    let value = response.json();
    if response.status != 200 {
        return format!("{} {}", response.status, value["__type"]);
    }
    let codes: Vec<String> = value["Responses"]
        .as_array()
        .map(|responses| {
            responses
                .iter()
                .map(|r| r["Error"]["Code"].as_str().unwrap_or("ok").to_string())
                .collect()
        })
        .unwrap_or_default();
    format!("200 {codes:?}")
}

/// An ExecuteTransaction's status and error type. Not its cancellation
/// reasons: DynamoDB Local reports `None` for every statement after the
/// first that fails, where DynamoDB (and dynalith) check each.
fn transaction_outcome(address: &str, body: &Value) -> String {
    let response = common::call(address, "ExecuteTransaction", &body.to_string());
    format!("{} {}", response.status, response.json()["__type"])
}

fn items(address: &str, table: &str) -> BTreeSet<String> {
    let body = json!({"TableName": table, "ConsistentRead": true});
    let response = common::call(address, "Scan", &body.to_string());
    common::wire_item_set(&response.json()["Items"])
}

struct Generator {
    rng: StdRng,
    table: String,
    /// The key of the item the last write statement names.
    last_key: (&'static str, i64),
}

impl Generator {
    fn pk(&mut self) -> &'static str {
        PARTITIONS[self.rng.random_range(0..PARTITIONS.len())]
    }

    fn sk(&mut self) -> i64 {
        self.rng.random_range(0..SORT_KEYS)
    }

    /// A key: literals or parameters.
    fn key(&mut self, parameters: &mut Vec<Value>) -> String {
        let (pk, sk) = (self.pk(), self.sk());
        self.last_key = (pk, sk);
        if self.rng.random_bool(0.5) {
            parameters.push(json!({"S": pk}));
            parameters.push(json!({"N": sk.to_string()}));
            "PK = ? AND SK = ?".into()
        } else {
            format!("SK = {sk} AND PK = '{pk}'")
        }
    }

    fn statement(&mut self) -> (Value, bool) {
        let mut parameters = Vec::new();
        let table = self.table.clone();
        let (text, write) = match self.rng.random_range(0..10) {
            0..=2 => {
                let (pk, sk) = (self.pk(), self.sk());
                self.last_key = (pk, sk);
                let mut members = vec![format!("'PK': '{pk}'"), format!("'SK': {sk}")];
                if self.rng.random_bool(0.7) {
                    members.push(format!("'n': {}", self.rng.random_range(-5..20)));
                }
                if self.rng.random_bool(0.5) {
                    members.push(format!(
                        "'g': '{}'",
                        ["x", "y"][self.rng.random_range(0..2)]
                    ));
                }
                if self.rng.random_bool(0.3) {
                    members.push("'tags': <<'a', 'b'>>".into());
                }
                if self.rng.random_bool(0.3) {
                    members.push("'doc': {'l': [1, 'two', true, null], 'm': {'k': 'v'}}".into());
                }
                if self.rng.random_bool(0.3) {
                    parameters.push(json!({"S": "from a parameter"}));
                    members.push("'p': ?".into());
                }
                if self.rng.random_bool(0.25) {
                    members.push(format!("'lit': {}", self.literal()));
                }
                (
                    format!(r#"INSERT INTO "{table}" VALUE {{{}}}"#, members.join(", ")),
                    true,
                )
            }
            3..=5 => (self.select(&table, &mut parameters), false),
            6..=8 => {
                let key = self.key(&mut parameters);
                let set = match self.rng.random_range(0..7) {
                    0 => "SET n = n + 1".to_string(),
                    1 => format!("SET g = '{}'", ["x", "y"][self.rng.random_range(0..2)]),
                    2 => "SET doc.m.k = 'w' REMOVE tags".to_string(),
                    3 => "SET tags = set_add(tags, <<'c'>>)".to_string(),
                    4 => "SET tags = set_delete(tags, <<'a', 'z'>>)".to_string(),
                    5 => format!("SET lit = {}", self.literal()),
                    _ => "REMOVE g REMOVE n".to_string(),
                };
                let condition = match self.rng.random_range(0..3) {
                    0 => format!(" AND n > {}", self.rng.random_range(-5..20)),
                    1 => " AND g IS NOT MISSING".to_string(),
                    _ => String::new(),
                };
                let returning = ["", " RETURNING ALL NEW *", " RETURNING ALL OLD *"]
                    [self.rng.random_range(0..3)];
                (
                    format!(r#"UPDATE "{table}" {set} WHERE {key}{condition}{returning}"#),
                    true,
                )
            }
            _ => {
                let key = self.key(&mut parameters);
                let condition = if self.rng.random_bool(0.3) {
                    format!(" AND n <= {}", self.rng.random_range(-5..20))
                } else {
                    String::new()
                };
                let returning = ["", " RETURNING ALL OLD *"][self.rng.random_range(0..2)];
                (
                    format!(r#"DELETE FROM "{table}" WHERE {key}{condition}{returning}"#),
                    true,
                )
            }
        };
        let mut body = json!({"Statement": text});
        if !parameters.is_empty() {
            body["Parameters"] = Value::Array(parameters);
        }
        (body, write)
    }

    /// Two to five write statements on distinct items (DynamoDB refuses a
    /// batch or transaction that names an item twice), without RETURNING
    /// (which a transaction refuses) and without the updates that can fail
    /// at run time (a nested path without its parent map, `n + 1` without
    /// `n`): in a transaction DynamoDB reports those as a cancellation with a
    /// ValidationError reason (as dynalith does) and DynamoDB Local as a
    /// plain ValidationException (the deviation differential_transactions.rs
    /// records for invalid index keys).
    fn writes(&mut self) -> Vec<Value> {
        let wanted = self.rng.random_range(2..=5);
        let mut keys = BTreeSet::new();
        let mut statements = Vec::new();
        while statements.len() < wanted {
            let (statement, write) = match self.rng.random_bool(0.15) {
                true => (self.exists(), true),
                false => self.statement(),
            };
            let text = statement["Statement"].as_str().unwrap_or_default();
            let excluded = ["RETURNING", "doc.m.k", "n + 1"]
                .iter()
                .any(|part| text.contains(part));
            if write && !excluded && keys.insert(self.last_key) {
                statements.push(statement);
            }
        }
        statements
    }

    /// A literal value, valid or not as DynamoDB checks literals: sets of
    /// strings or numbers without repeats, no negative decimal zero, no
    /// repeated map key, numbers within range, no MISSING inside.
    fn literal(&mut self) -> &'static str {
        const LITERALS: [&str; 22] = [
            "<<'a', 'b'>>",
            "<<'a', 'a'>>",
            "<<'x', 'y', 'x'>>",
            "<<1, 1.0>>",
            "<<-1, 2.5, 1e3>>",
            "<<>>",
            "<<1, 'a'>>",
            "<<'a', 1>>",
            "<<true>>",
            "[1, -0.0]",
            "{'x': -0e0}",
            "-0",
            "-0.5",
            "{'k': 1, 'k': 2}",
            "[{'k': 1}, {'k': 2, 'k': 3}]",
            "1e126",
            "1e-131",
            "1e125",
            "{'m': MISSING}",
            "[MISSING]",
            "{'deep': {'er': [<<3, 2, 1>>]}}",
            "{'a': [], 'b': {}, 'c': [[-1.5e-3]]}",
        ];
        LITERALS[self.rng.random_range(0..LITERALS.len())]
    }

    /// `EXISTS(SELECT ...)` of one item with a condition: a transaction's
    /// condition check (and refused in a batch).
    fn exists(&mut self) -> Value {
        let mut parameters = Vec::new();
        let key = self.key(&mut parameters);
        let condition = match self.rng.random_range(0..3) {
            0 => format!("n > {}", self.rng.random_range(-5..20)),
            1 => "g IS NOT MISSING".to_string(),
            _ => "attribute_not_exists(absent)".to_string(),
        };
        let table = &self.table;
        let mut body = json!({
            "Statement": format!(r#"EXISTS(SELECT * FROM "{table}" WHERE {key} AND {condition})"#)
        });
        if !parameters.is_empty() {
            body["Parameters"] = Value::Array(parameters);
        }
        body
    }

    fn select(&mut self, table: &str, parameters: &mut Vec<Value>) -> String {
        let projection = ["*", "PK, SK, n", "doc.m, tags", "doc.l[1], doc.m.k, absent"]
            [self.rng.random_range(0..4)];
        let pk = self.pk();
        let (low, high) = {
            let (a, b) = (self.sk(), self.sk());
            (a.min(b), a.max(b))
        };
        let other_pk = self.pk();
        let condition = match self.rng.random_range(0..11) {
            0 => format!("PK = '{pk}'"),
            // Partitions named with IN: read by a Query of each.
            9 => format!("PK IN ['{pk}', '{other_pk}']"),
            10 => {
                parameters.push(json!({"S": other_pk}));
                format!("PK IN ['{pk}', ?, 'nothing'] AND SK >= {low} AND n > 1")
            }
            8 => {
                let not = ["", "NOT "][self.rng.random_range(0..2)];
                if self.rng.random_bool(0.5) {
                    format!("PK = '{pk}' AND n {not}BETWEEN {low} AND {high}")
                } else {
                    format!("PK = '{pk}' AND SK {not}IN ({low}, {high})")
                }
            }
            1 => {
                parameters.push(json!({"S": pk}));
                format!("PK = ? AND SK >= {low}")
            }
            2 => format!("PK = '{pk}' AND SK BETWEEN {low} AND {high}"),
            3 => format!("PK = '{pk}' AND SK < {high} AND n > 3"),
            4 => format!("n BETWEEN {low} AND {high}"),
            5 => format!("PK = '{pk}' AND (n < 2 OR tags IS NOT MISSING)"),
            6 => "contains(tags, 'a') AND NOT n = 4".to_string(),
            _ => {
                let g = ["x", "y"][self.rng.random_range(0..2)];
                return format!(r#"SELECT {projection} FROM "{table}"."by_g" WHERE g = '{g}'"#);
            }
        };
        format!(r#"SELECT {projection} FROM "{table}" WHERE {condition}"#)
    }
}

#[test]
fn partiql_statements_match_the_reference_server() {
    let Some(common::Differential {
        server: _server,
        ours,
        theirs,
        seed,
    }) = common::differential("partiql", None)
    else {
        return;
    };
    let table = common::unique_table("diff_pq");
    let create = json!({
        "TableName": table, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"},
                                 {"AttributeName": "SK", "AttributeType": "N"},
                                 {"AttributeName": "g", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "by_g",
            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}],
    });
    for address in [&ours, &theirs] {
        let response = common::call(address, "CreateTable", &create.to_string());
        assert_eq!(response.status, 200, "{}", response.json());
    }
    let mut generator = Generator {
        rng: StdRng::seed_from_u64(seed),
        table: table.clone(),
        last_key: ("", 0),
    };
    let count: usize = std::env::var("DYNALITH_DIFF_COUNT")
        .ok()
        .and_then(|c| c.parse().ok())
        .map_or(400, |c: usize| c.min(1500));
    let mut compared = 0;
    for step in 0..count {
        // Every tenth step is a batch or a transaction of writes.
        let (a, b, body, write) = match step % 20 {
            9 => {
                let body = json!({"Statements": generator.writes()});
                let (a, b) = (batch_outcome(&ours, &body), batch_outcome(&theirs, &body));
                (a, b, body, true)
            }
            19 => {
                let body = json!({"TransactStatements": generator.writes()});
                let (a, b) = (
                    transaction_outcome(&ours, &body),
                    transaction_outcome(&theirs, &body),
                );
                (a, b, body, true)
            }
            _ => {
                let (body, write) = generator.statement();
                let (a, b) = (outcome(&ours, &body), outcome(&theirs, &body));
                (a, b, body, write)
            }
        };
        assert_eq!(a, b, "step {step} (seed {seed}): {body}");
        if write {
            assert_eq!(
                items(&ours, &table),
                items(&theirs, &table),
                "items after step {step} (seed {seed}): {body}"
            );
        }
        compared += 1;
    }
    // Every type test on every kind of attribute of each partition's
    // items: DynamoDB's types filter, PartiQL's others are refused.
    const PATHS: [&str; 6] = ["n", "tags", "doc", "doc.l", "g", "absent"];
    const TYPES: [&str; 12] = [
        "NUMERIC",
        "STRING",
        "BLOB",
        "STRUCT",
        "TUPLE",
        "LIST",
        "BOOLEAN",
        "NULL",
        "INTEGER",
        "DECIMAL(3, 1)",
        "VARCHAR",
        "DOUBLE PRECISION",
    ];
    for pk in PARTITIONS {
        for path in PATHS {
            for type_name in TYPES {
                for not in ["", "NOT "] {
                    let body = json!({"Statement": format!(
                        r#"SELECT * FROM "{table}" WHERE PK = '{pk}' AND {path} IS {not}{type_name}"#
                    )});
                    assert_eq!(outcome(&ours, &body), outcome(&theirs, &body), "{body}");
                    compared += 1;
                }
            }
        }
    }
    eprintln!("{compared} PartiQL statements, batches and transactions compared (seed {seed})");
    for address in [&ours, &theirs] {
        common::call(
            address,
            "DeleteTable",
            &json!({"TableName": table}).to_string(),
        );
    }
}
