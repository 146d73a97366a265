//! FilterExpression / ConditionExpression evaluation against one item of
//! every type: comparisons across types, missing attributes, `size` (UTF-16
//! code units for strings), `contains` on strings, binaries, sets and
//! lists, `begins_with`, `attribute_type`, BETWEEN, IN, and map/list/set
//! equality. Expected results recorded from DynamoDB Local.

mod common;

use common::{item, values};
use dynalith_expr::{ExpressionKind, RequestExpressions};

const ITEM: &str = r#"{"pk":{"S":"k"},"s":{"S":"héllo"},"n":{"N":"10"},"b":{"B":"AQID"},
 "t":{"BOOL":true},"nul":{"NULL":true},"m":{"M":{"x":{"S":"y"},"n":{"N":"1"}}},
 "l":{"L":[{"S":"a"},{"N":"2"},{"L":[{"S":"z"}]}]},"ss":{"SS":["a","b"]},
 "ns":{"NS":["1","2"]},"bs":{"BS":["AQ==","Ag=="]},"es":{"S":""}}"#;

/// (filter, ExpressionAttributeValues, "true" / "false" / error message)
#[rustfmt::skip]
const ROWS: &[(&str, &str, &str)] = &[
    (r#"size(n) = :v"#, r#"{":v":{"N":"2"}}"#, r#"false"#),
    (r#"size(n) <> :v"#, r#"{":v":{"N":"2"}}"#, r#"true"#),
    (r#"size(t) <> :v"#, r#"{":v":{"N":"2"}}"#, r#"true"#),
    (r#"size(nope) <> :v"#, r#"{":v":{"N":"2"}}"#, r#"true"#),
    (r#"size(nope) = :v"#, r#"{":v":{"N":"2"}}"#, r#"false"#),
    (r#"nope <> :v"#, r#"{":v":{"N":"2"}}"#, r#"true"#),
    (r#"NOT nope = :v"#, r#"{":v":{"N":"2"}}"#, r#"true"#),
    (r#"nope < :v"#, r#"{":v":{"N":"2"}}"#, r#"false"#),
    (r#"NOT (nope < :v)"#, r#"{":v":{"N":"2"}}"#, r#"true"#),
    (r#"size(s) = :v"#, r#"{":v":{"N":"6"}}"#, r#"false"#),
    (r#"size(s) = :v"#, r#"{":v":{"N":"5"}}"#, r#"true"#),
    (r#"size(b) = :v"#, r#"{":v":{"N":"3"}}"#, r#"true"#),
    (r#"size(m) = :v"#, r#"{":v":{"N":"2"}}"#, r#"true"#),
    (r#"size(l) = :v"#, r#"{":v":{"N":"3"}}"#, r#"true"#),
    (r#"size(ss) = :v"#, r#"{":v":{"N":"2"}}"#, r#"true"#),
    (r#"size(nul) = :v"#, r#"{":v":{"N":"1"}}"#, r#"false"#),
    (r#"size(es) = :v"#, r#"{":v":{"N":"0"}}"#, r#"true"#),
    (r#"size(s) = :v"#, r#"{":v":{"S":"6"}}"#, r#"false"#),
    (r#"size(s) > size(ss)"#, r#""#, r#"true"#),
    (r#"contains(s, :v)"#, r#"{":v":{"S":"él"}}"#, r#"true"#),
    (r#"contains(s, :v)"#, r#"{":v":{"N":"1"}}"#, r#"false"#),
    (r#"contains(ss, :v)"#, r#"{":v":{"S":"a"}}"#, r#"true"#),
    (r#"contains(ss, :v)"#, r#"{":v":{"SS":["a"]}}"#, r#"false"#),
    (r#"contains(ns, :v)"#, r#"{":v":{"N":"1.0"}}"#, r#"true"#),
    (r#"contains(ns, :v)"#, r#"{":v":{"S":"1"}}"#, r#"false"#),
    (r#"contains(bs, :v)"#, r#"{":v":{"B":"AQ=="}}"#, r#"true"#),
    (r#"contains(l, :v)"#, r#"{":v":{"N":"2"}}"#, r#"true"#),
    (r#"contains(l, :v)"#, r#"{":v":{"L":[{"S":"z"}]}}"#, r#"true"#),
    (r#"contains(l, :v)"#, r#"{":v":{"S":"a"}}"#, r#"true"#),
    (r#"contains(m, :v)"#, r#"{":v":{"S":"x"}}"#, r#"false"#),
    (r#"contains(b, :v)"#, r#"{":v":{"B":"Ag=="}}"#, r#"true"#),
    (r#"contains(n, :v)"#, r#"{":v":{"N":"1"}}"#, r#"false"#),
    (r#"contains(:v, s)"#, r#"{":v":{"S":"xhéllox"}}"#, r#"true"#),
    (r#"contains(s, s)"#, r#""#, r#"Invalid FilterExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: contains, first operand: [s]"#),
    (r#"contains(s, es)"#, r#""#, r#"true"#),
    (r#"contains(ss, m.x)"#, r#""#, r#"false"#),
    (r#"contains(s, :v)"#, r#"{":v":{"S":""}}"#, r#"true"#),
    (r#"contains(l, :v)"#, r#"{":v":{"N":"2.0"}}"#, r#"true"#),
    (r#"contains(l, m.n)"#, r#""#, r#"false"#),
    (r#"begins_with(s, :v)"#, r#"{":v":{"S":"hé"}}"#, r#"true"#),
    (r#"begins_with(b, :v)"#, r#"{":v":{"B":"AQ=="}}"#, r#"true"#),
    (r#"begins_with(s, :v)"#, r#"{":v":{"B":"AQ=="}}"#, r#"false"#),
    (r#"begins_with(ss, :v)"#, r#"{":v":{"S":"a"}}"#, r#"false"#),
    (r#"begins_with(l, :v)"#, r#"{":v":{"S":"a"}}"#, r#"false"#),
    (r#"begins_with(s, es)"#, r#""#, r#"true"#),
    (r#"attribute_type(s, :v)"#, r#"{":v":{"S":"S"}}"#, r#"true"#),
    (r#"attribute_type(nope, :v)"#, r#"{":v":{"S":"S"}}"#, r#"false"#),
    (r#"NOT attribute_type(nope, :v)"#, r#"{":v":{"S":"S"}}"#, r#"true"#),
    (r#"attribute_type(l[2], :v)"#, r#"{":v":{"S":"L"}}"#, r#"true"#),
    (r#"attribute_exists(l[2][0])"#, r#""#, r#"true"#),
    (r#"attribute_exists(l[3])"#, r#""#, r#"false"#),
    (r#"attribute_exists(m.x)"#, r#""#, r#"true"#),
    (r#"attribute_exists(m.x.y)"#, r#""#, r#"false"#),
    (r#"attribute_exists(s[0])"#, r#""#, r#"false"#),
    (r#"attribute_not_exists(s[0])"#, r#""#, r#"true"#),
    (r#"s < :v"#, r#"{":v":{"S":"i"}}"#, r#"true"#),
    (r#"s > :v"#, r#"{":v":{"S":"hz"}}"#, r#"true"#),
    (r#"n BETWEEN :a AND :b"#, r#"{":a":{"N":"9.99"},":b":{"N":"1e1"}}"#, r#"true"#),
    (r#"b > :v"#, r#"{":v":{"B":"AQI="}}"#, r#"true"#),
    (r#"b < :v"#, r#"{":v":{"B":"/w=="}}"#, r#"true"#),
    (r#"t = :v"#, r#"{":v":{"BOOL":true}}"#, r#"true"#),
    (r#"nul = :v"#, r#"{":v":{"NULL":true}}"#, r#"true"#),
    (r#"m = :v"#, r#"{":v":{"M":{"n":{"N":"1.00"},"x":{"S":"y"}}}}"#, r#"true"#),
    (r#"l = :v"#, r#"{":v":{"L":[{"S":"a"},{"N":"2"},{"L":[{"S":"z"}]}]}}"#, r#"true"#),
    (r#"ss = :v"#, r#"{":v":{"SS":["b","a"]}}"#, r#"true"#),
    (r#"ns <> :v"#, r#"{":v":{"NS":["2","1"]}}"#, r#"false"#),
    (r#"n = :v"#, r#"{":v":{"S":"10"}}"#, r#"false"#),
    (r#"n <> :v"#, r#"{":v":{"S":"10"}}"#, r#"true"#),
    (r#"n IN (:a, :b)"#, r#"{":a":{"S":"10"},":b":{"N":"10.0"}}"#, r#"true"#),
    (r#"s BETWEEN :a AND :b"#, r#"{":a":{"N":"1"},":b":{"N":"10"}}"#, r#"false"#),
    (r#"n BETWEEN :a AND :b"#, r#"{":a":{"S":"1"},":b":{"S":"10"}}"#, r#"false"#),
    (r#"m.n = l[1]"#, r#""#, r#"false"#),
    (r#"m.n < l[1]"#, r#""#, r#"true"#),
    (r#"size(l[2]) = m.n"#, r#""#, r#"true"#),
    (r#"t < :v"#, r#"{":v":{"N":"2"}}"#, r#"false"#),
    (r#"t < m.n"#, r#""#, r#"false"#),
    (r#"ss < m"#, r#""#, r#"false"#),
    (r#"n BETWEEN m.n AND l[1]"#, r#""#, r#"false"#),
    (r#"n BETWEEN l[1] AND m.n"#, r#""#, r#"false"#),
    (r#"n IN (:a)"#, r#"{":a":{"N":"1e1"}}"#, r#"true"#),
    (r#"s IN (:a)"#, r#"{":a":{"SS":["héllo"]}}"#, r#"false"#),
    (r#"l[2] IN (:a)"#, r#"{":a":{"L":[{"S":"z"}]}}"#, r#"true"#),
    (r#"size(m.x) = :v"#, r#"{":v":{"N":"1"}}"#, r#"true"#),
];

fn evaluate(expr: &str, values_json: &str, on: Option<&dynalith_model::Item>) -> String {
    let values = values(values_json);
    let result = (|| {
        let mut request = RequestExpressions::new(None, values.as_ref())?;
        let filter = request.condition(expr, ExpressionKind::Filter)?;
        request.finish()?;
        filter.evaluate(on, &request.bindings())
    })();
    match result {
        Ok(b) => b.to_string(),
        Err(e) => e.message,
    }
}

#[test]
fn matches_dynamodb() {
    let item = item(ITEM);
    let failures: Vec<String> = ROWS
        .iter()
        .filter_map(|(expr, values, expected)| {
            let got = evaluate(expr, values, Some(&item));
            (got != *expected).then(|| format!("[{expr}] {values}: expected {expected}, got {got}"))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_missing_item_has_no_attributes() {
    let v = r#"{":v":{"N":"1"}}"#;
    assert_eq!(evaluate("attribute_not_exists(pk)", "", None), "true");
    assert_eq!(evaluate("attribute_exists(pk)", "", None), "false");
    assert_eq!(evaluate("a <> :v", v, None), "true");
    assert_eq!(evaluate("a = :v", v, None), "false");
    assert_eq!(evaluate(":v = :v", v, None), "true");
}

#[test]
fn precedence_is_not_and_or() {
    let item = item(r#"{"a":{"N":"1"},"b":{"N":"2"}}"#);
    let both = r#"{":one":{"N":"1"},":two":{"N":"2"}}"#;
    let eval = |e: &str, v: &str| evaluate(e, v, Some(&item));
    // OR binds loosest: (a = 1) OR (b = 1 AND a = 2).
    assert_eq!(eval("a = :one OR b = :one AND a = :two", both), "true");
    assert_eq!(eval("(a = :one OR b = :one) AND a = :two", both), "false");
    // NOT binds tighter than AND.
    assert_eq!(
        eval("NOT a = :two AND b = :two", r#"{":two":{"N":"2"}}"#),
        "true"
    );
    assert_eq!(eval("NOT (a = :one AND b = :two)", both), "false");
    assert_eq!(eval("NOT NOT a = :one", r#"{":one":{"N":"1"}}"#), "true");
}
