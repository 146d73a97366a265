//! ExpressionAttributeNames / ExpressionAttributeValues checks (empty maps,
//! malformed and oversized keys, empty or oversized names, unused entries
//! in DynamoDB's order, names and values without expressions) and the
//! expression limits (4 KB text, 300 operators, 100 IN operands, 32 path
//! levels). Messages recorded from DynamoDB Local.

mod common;

use common::check;
use dynalith_expr::{check_without_expressions, ExpressionKind, RequestExpressions};
use std::collections::HashMap;

fn v1() -> &'static str {
    r#"{":v":{"N":"1"}}"#
}

#[test]
fn map_checks() {
    let rows: &[(&str, &str, &str, &str)] = &[
        (
            "a = :v",
            "{}",
            r#"{":v":{"N":"1"}}"#,
            "ExpressionAttributeNames must not be empty",
        ),
        (
            "a = :v",
            "",
            "{}",
            "ExpressionAttributeValues must not be empty",
        ),
        (
            "a = :v",
            r##"{"a-b":"x"}"##,
            "",
            r#"ExpressionAttributeNames contains invalid key: Syntax error; key: "a-b""#,
        ),
        (
            "a = :v",
            r##"{"#":"x"}"##,
            "",
            r##"ExpressionAttributeNames contains invalid key: Syntax error; key: "#""##,
        ),
        (
            "a = :v",
            r##"{"#a b":"x"}"##,
            "",
            r##"ExpressionAttributeNames contains invalid key: Syntax error; key: "#a b""##,
        ),
        (
            "a = :v",
            r##"{"#a":""}"##,
            "",
            "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a",
        ),
        (
            "a = :",
            "",
            r#"{":":{"S":"x"}}"#,
            r#"ExpressionAttributeValues contains invalid key: Syntax error; key: ":""#,
        ),
        (
            "a = :v",
            "",
            r#"{":a-b":{"S":"x"}}"#,
            r#"ExpressionAttributeValues contains invalid key: Syntax error; key: ":a-b""#,
        ),
    ];
    for (expr, names, values, expected) in rows {
        assert_eq!(
            check("cond", expr, names, values),
            *expected,
            "{expr} {names} {values}"
        );
    }
}

#[test]
fn key_and_name_lengths() {
    let long_name_key = format!("#{}", "a".repeat(254));
    let names = format!(r#"{{"{long_name_key}":"x"}}"#);
    assert_eq!(
        check("cond", &format!("{long_name_key} = :v"), &names, v1()),
        "OK"
    );
    let too_long = format!("#{}", "a".repeat(255));
    let names = format!(r#"{{"{too_long}":"x"}}"#);
    assert_eq!(
        check("cond", &format!("{too_long} = :v"), &names, v1()),
        "ExpressionAttributeNames contains invalid key: The expression attribute map contains a key that is too long; size of key: 256"
    );
    let too_long = format!(":{}", "a".repeat(255));
    let values = format!(r#"{{"{too_long}":{{"N":"1"}}}}"#);
    assert_eq!(
        check("cond", &format!("a = {too_long}"), "", &values),
        "ExpressionAttributeValues contains invalid key: The expression attribute map contains a key that is too long;"
    );
    let names = format!(r##"{{"#a":"{}"}}"##, "x".repeat(65536));
    assert_eq!(
        check("cond", "#a = :v", &names, v1()),
        "ExpressionAttributeNames contains invalid value: Attribute name is too large, must be less than 65536 bytes for key #a"
    );
    let names = format!(r##"{{"#a":"{}"}}"##, "x".repeat(65535));
    assert_eq!(check("cond", "#a = :v", &names, v1()), "OK");
}

#[test]
fn unused_entries_in_java_hash_set_order() {
    let values = r#"{":v":{"N":"1"},":create_at_1_v1":{"N":"1"},":create_at_2_v1":{"N":"1"}}"#;
    assert_eq!(
        check("cond", "a = :v", "", values),
        "Value provided in ExpressionAttributeValues unused in expressions: keys: {:create_at_2_v1, :create_at_1_v1}"
    );
    assert_eq!(
        check(
            "cond",
            "a = :v",
            r##"{"#a":"x","#b":"y"}"##,
            r#"{":v":{"N":"1"},":w":{"N":"1"}}"#
        ),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
    );
}

#[test]
fn errors_in_an_expression_come_before_unused_entries() {
    assert_eq!(
        check("cond", "a = :w", r##"{"#z":"q"}"##, ""),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :w"
    );
}

#[test]
fn names_and_values_shared_across_expressions() {
    let names = HashMap::from([("#a".to_string(), "a".to_string())]);
    let values = common::values(r#"{":v":{"N":"1"},":w":{"N":"2"}}"#);
    let mut request = RequestExpressions::new(Some(&names), values.as_ref()).unwrap();
    request.update("SET #a = :v").unwrap();
    assert!(request.finish().is_err(), ":w is still unused");
    request
        .condition("attribute_exists(#a) AND b < :w", ExpressionKind::Condition)
        .unwrap();
    request.finish().unwrap();
}

#[test]
fn names_and_values_without_expressions() {
    let names = HashMap::from([("#a".to_string(), "a".to_string())]);
    let values = common::values(r#"{":v":{"N":"1"}}"#).unwrap();
    let none = HashMap::new();
    assert_eq!(
        check_without_expressions(Some(&names), None, &["ConditionExpression"])
            .unwrap_err()
            .message,
        "ExpressionAttributeNames can only be specified when using expressions"
    );
    assert_eq!(
        check_without_expressions(None, Some(&values), &["UpdateExpression", "ConditionExpression"])
            .unwrap_err()
            .message,
        "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"
    );
    assert_eq!(
        check_without_expressions(None, Some(&values), &["FilterExpression"]).unwrap_err().message,
        "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"
    );
    // Empty maps are accepted when there is no expression.
    check_without_expressions(Some(&HashMap::new()), Some(&none), &["ConditionExpression"])
        .unwrap();
}

#[test]
fn expression_size_limit() {
    let ok = format!("a = :v{}", " ".repeat(4090));
    assert_eq!(check("cond", &ok, "", v1()), "OK");
    let big = format!("a = :v{}", " ".repeat(4091));
    assert_eq!(
        check("cond", &big, "", v1()),
        "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"
    );
    assert_eq!(
        check("filter", &big, "", v1()),
        "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"
    );
    let big = format!("SET a = :v{}", " ".repeat(4090));
    assert_eq!(
        check("upd", &big, "", v1()),
        "Invalid UpdateExpression: Expression size has exceeded the maximum allowed size;"
    );
    let big = format!("a{}", " ".repeat(4096));
    assert_eq!(
        check("proj", &big, "", ""),
        "Invalid ProjectionExpression: Expression size has exceeded the maximum allowed size;"
    );
    assert_eq!(
        check("cond", "", "", ""),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
    assert_eq!(
        check("upd", "", "", ""),
        "Invalid UpdateExpression: The expression can not be empty;"
    );
    assert_eq!(
        check("proj", "", "", ""),
        "Invalid ProjectionExpression: The expression can not be empty;"
    );
    assert_eq!(
        check("key", "", "", ""),
        "Invalid KeyConditionExpression: The expression can not be empty;"
    );
}

#[test]
fn operator_limit() {
    let too_many = "Invalid ConditionExpression: The expression contains too many operators; operator count: 301";
    // 150 functions + 149 ANDs.
    assert_eq!(
        check(
            "cond",
            &vec!["attribute_exists(a)"; 150].join(" AND "),
            "",
            ""
        ),
        "OK"
    );
    assert_eq!(
        check(
            "cond",
            &vec!["attribute_exists(a)"; 151].join(" AND "),
            "",
            ""
        ),
        too_many
    );
    assert_eq!(
        check(
            "cond",
            &vec!["attribute_exists(a)"; 151].join(" OR "),
            "",
            ""
        ),
        too_many
    );
    assert_eq!(
        check(
            "cond",
            &format!("{}attribute_exists(a)", "NOT ".repeat(299)),
            "",
            ""
        ),
        "OK"
    );
    assert_eq!(
        check(
            "cond",
            &format!("{}attribute_exists(a)", "NOT ".repeat(300)),
            "",
            ""
        ),
        too_many
    );
    assert_eq!(
        check(
            "cond",
            &vec!["a BETWEEN :v AND :v"; 151].join(" AND "),
            "",
            v1()
        ),
        too_many
    );
    assert_eq!(
        check("cond", &vec!["a = :v"; 299].join(" AND "), "", v1()),
        too_many
    );
    // Errors found while walking come first.
    let undefined = format!(
        ":x = b AND {}",
        vec!["attribute_exists(a)"; 151].join(" AND ")
    );
    assert_eq!(
        check("cond", &undefined, "", ""),
        "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :x"
    );
    // Update expressions do not count operators.
    let sets: Vec<String> = (0..301).map(|i| format!("a{i} = :v")).collect();
    assert_eq!(
        check("upd", &format!("SET {}", sets.join(", ")), "", v1()),
        "OK"
    );
}

#[test]
fn in_operand_limit() {
    let values: Vec<String> = (0..101)
        .map(|i| format!(r#"":v{i}":{{"N":"{i}"}}"#))
        .collect();
    let values_json = format!("{{{}}}", values.join(","));
    let list: Vec<String> = (0..101).map(|i| format!(":v{i}")).collect();
    assert_eq!(
        check("cond", &format!("a IN ({})", list.join(", ")), "", &values_json),
        "Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"
    );
    let values: Vec<String> = (0..100)
        .map(|i| format!(r#"":v{i}":{{"N":"{i}"}}"#))
        .collect();
    let values_json = format!("{{{}}}", values.join(","));
    assert_eq!(
        check(
            "cond",
            &format!("a IN ({})", list[..100].join(", ")),
            "",
            &values_json
        ),
        "OK"
    );
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    // Within 4 KB; rejected (DynamoDB: redundant parentheses or syntax).
    let deep = format!("{}a = :v{}", "(".repeat(2000), ")".repeat(2000));
    assert!(check("cond", &deep, "", v1()).starts_with("Invalid ConditionExpression"));
    let deep = format!("{}a = :v{}", "(NOT ".repeat(200), ")".repeat(200));
    assert_eq!(check("cond", &deep, "", v1()), "OK");
    let deep = format!("{}a = :v", "NOT ".repeat(1000));
    assert!(check("cond", &deep, "", v1()).starts_with("Invalid ConditionExpression"));
}
