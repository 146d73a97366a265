//! What a valid KeyConditionExpression selects: the partition value and the
//! sort-key condition (operands on either side, BETWEEN, begins_with), and
//! how sort-key conditions match values.

mod common;

use common::{schema, value, values};
use dynalith_expr::{
    KeyAttribute, KeySchema, RequestExpressions, ResolvedKeyCondition, SortKeyCondition,
};
use dynalith_model::ValueType;

fn resolve_with(
    expr: &str,
    values_json: &str,
    schema: &KeySchema<'_>,
    check: impl FnOnce(ResolvedKeyCondition<'_>),
) {
    let values = values(values_json);
    let mut request = RequestExpressions::new(None, values.as_ref()).unwrap();
    let key = request.key_condition(expr).unwrap();
    request.finish().unwrap();
    let bindings = request.bindings();
    check(key.resolve(&bindings, schema).unwrap());
}

#[test]
fn selects_partition_and_sort_conditions() {
    let v = r#"{":p":{"S":"x"},":a":{"N":"1"},":b":{"N":"5"}}"#;
    let (p, a, b) = (
        value(r#"{"S":"x"}"#),
        value(r#"{"N":"1"}"#),
        value(r#"{"N":"5"}"#),
    );
    let s = schema();
    resolve_with("pk = :p AND sk BETWEEN :a AND :b", v, &s, |r| {
        assert_eq!(r.partition_values, [&p]);
        assert_eq!(r.sort, Some(SortKeyCondition::Between(&a, &b)));
    });
    let v = r#"{":p":{"S":"x"},":a":{"N":"1"}}"#;
    resolve_with(":a < sk AND :p = pk", v, &s, |r| {
        assert_eq!(r.partition_values, [&p]);
        assert_eq!(r.sort, Some(SortKeyCondition::Gt(&a)));
    });
    resolve_with("pk = :p AND sk <= :a", v, &s, |r| {
        assert_eq!(r.sort, Some(SortKeyCondition::Le(&a)))
    });
    resolve_with("pk = :p", r#"{":p":{"S":"x"}}"#, &s, |r| {
        assert_eq!(r.sort, None)
    });
    let string_sort = KeySchema {
        partition: vec![KeyAttribute {
            name: "pk",
            value_type: ValueType::S,
        }],
        sort: vec![KeyAttribute {
            name: "sk",
            value_type: ValueType::S,
        }],
    };
    resolve_with(
        "pk = :p AND begins_with(sk, :p)",
        r#"{":p":{"S":"x"}}"#,
        &string_sort,
        |r| {
            assert_eq!(r.sort, Some(SortKeyCondition::BeginsWith(&p)));
        },
    );
}

#[test]
fn sort_conditions_match_like_dynamodb() {
    let n = |s: &str| value(&format!(r#"{{"N":"{s}"}}"#));
    let (one, five, ten) = (n("1"), n("5"), n("10"));
    assert!(SortKeyCondition::Between(&one, &ten).matches(&five));
    assert!(SortKeyCondition::Between(&one, &ten).matches(&ten));
    assert!(!SortKeyCondition::Gt(&five).matches(&one));
    assert!(SortKeyCondition::Lt(&ten).matches(&n("9.99")));
    let s = |t: &str| value(&format!(r#"{{"S":"{t}"}}"#));
    assert!(SortKeyCondition::BeginsWith(&s("ab")).matches(&s("abc")));
    assert!(!SortKeyCondition::BeginsWith(&s("ab")).matches(&s("a")));
    // Strings order by UTF-8 bytes: "Z" < "a" < "é".
    assert!(SortKeyCondition::Lt(&s("a")).matches(&s("Z")));
    assert!(SortKeyCondition::Gt(&s("a")).matches(&s("é")));
    // Different types never match.
    assert!(!SortKeyCondition::Eq(&one).matches(&s("1")));
    let b = |t: &str| value(&format!(r#"{{"B":"{t}"}}"#));
    assert!(SortKeyCondition::BeginsWith(&b("AQ==")).matches(&b("AQI=")));
    assert!(SortKeyCondition::Gt(&b("AQ==")).matches(&b("/w==")));
}

#[test]
fn hash_only_table() {
    let hash_only = KeySchema {
        partition: vec![KeyAttribute {
            name: "pk",
            value_type: ValueType::S,
        }],
        sort: vec![],
    };
    let values = values(r#"{":p":{"S":"x"},":a":{"N":"1"}}"#);
    let mut request = RequestExpressions::new(None, values.as_ref()).unwrap();
    let key = request.key_condition("pk = :p AND sk = :a").unwrap();
    request.finish().unwrap();
    assert_eq!(
        key.resolve(&request.bindings(), &hash_only)
            .unwrap_err()
            .message,
        "Query condition missed key schema element: sk"
    );
}
