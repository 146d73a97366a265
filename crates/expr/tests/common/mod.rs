//! Helpers shared by the integration tests. The tables in the tests were
//! recorded from DynamoDB Local (which runs DynamoDB's expression engine),
//! except where a comment says the real service differs.
#![allow(dead_code)]

use dynalith_expr::{ExpressionKind, KeyAttribute, KeySchema, RequestExpressions};
use dynalith_model::{AttributeValue, DynamoError, Item, ValueType};
use std::collections::HashMap;

pub fn item(json: &str) -> Item {
    serde_json::from_str(json).expect("test item JSON")
}

pub fn value(json: &str) -> AttributeValue {
    serde_json::from_str(json).expect("test value JSON")
}

pub fn names(json: &str) -> Option<HashMap<String, String>> {
    (!json.trim().is_empty()).then(|| serde_json::from_str(json).expect("names JSON"))
}

pub fn values(json: &str) -> Option<HashMap<String, AttributeValue>> {
    (!json.trim().is_empty()).then(|| serde_json::from_str(json).expect("values JSON"))
}

/// The table key schema the key-condition tables use: pk (S), sk (N).
pub fn schema() -> KeySchema<'static> {
    KeySchema {
        partition: vec![KeyAttribute {
            name: "pk",
            value_type: ValueType::S,
        }],
        sort: vec![KeyAttribute {
            name: "sk",
            value_type: ValueType::N,
        }],
    }
}

/// Parses and validates one expression of `kind` the way a request would
/// ("cond", "filter", "upd", "proj", "key"); "OK" or DynamoDB's message.
pub fn check(kind: &str, expr: &str, names_json: &str, values_json: &str) -> String {
    let names = names(names_json);
    let values = values(values_json);
    let result = (|| -> Result<(), DynamoError> {
        let mut request = RequestExpressions::new(names.as_ref(), values.as_ref())?;
        match kind {
            "cond" => drop(request.condition(expr, ExpressionKind::Condition)?),
            "filter" => drop(request.condition(expr, ExpressionKind::Filter)?),
            "upd" => drop(request.update(expr)?),
            "proj" => drop(request.projection(expr)?),
            "key" => {
                let key = request.key_condition(expr)?;
                request.finish()?;
                key.resolve(&request.bindings(), &schema())?;
            }
            other => panic!("unknown kind {other}"),
        }
        request.finish()
    })();
    match result {
        Ok(()) => "OK".to_string(),
        Err(e) => e.message,
    }
}

/// Runs a table of (expression, names, values, expected) rows and reports
/// every row that differs.
pub fn run_table(kind: &str, rows: &[(&str, &str, &str, &str)]) {
    let mut failures = Vec::new();
    for (expr, names, values, expected) in rows {
        let got = check(kind, expr, names, values);
        if got != *expected {
            failures.push(format!(
                "{kind} [{expr}]\n  expected: {expected}\n  got:      {got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
