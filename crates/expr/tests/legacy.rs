//! Legacy parameters converted into expression trees: Expected with
//! ConditionalOperator, ScanFilter/QueryFilter, KeyConditions,
//! AttributeUpdates, AttributesToGet. Messages and results recorded from
//! DynamoDB Local.

mod common;

use common::{item, schema, value};
use dynalith_expr::legacy::{
    convert_attribute_updates, convert_attributes_to_get, convert_expected, convert_filter,
    convert_key_conditions, AttributeValueUpdate, ExpectedAttributeValue, FilterCondition,
};
use dynalith_expr::SortKeyCondition;
use std::collections::HashMap;

fn expected(json: &str) -> HashMap<String, ExpectedAttributeValue> {
    serde_json::from_str(json).expect("Expected JSON")
}

fn filter(json: &str) -> HashMap<String, FilterCondition> {
    serde_json::from_str(json).expect("filter JSON")
}

fn expected_error(json: &str, op: Option<&str>) -> String {
    match convert_expected(Some(&expected(json)), op) {
        Ok(_) => "OK".into(),
        Err(e) => e.message,
    }
}

#[test]
fn expected_validation() {
    let p = "One or more parameter values were invalid: ";
    #[rustfmt::skip]
    let rows: &[(&str, String)] = &[
        (r#"{"a":{"Exists":true}}"#, format!("{p}Value must be provided when Exists is true for Attribute: a")),
        (r#"{"a":{"Exists":false,"Value":{"S":"x"}}}"#, format!("{p}Value cannot be used when Exists is false for Attribute: a")),
        (r#"{"a":{}}"#, format!("{p}Value must be provided when Exists is null for Attribute: a")),
        (r#"{"a":{"ComparisonOperator":"EQ"}}"#, format!("{p}Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a")),
        (r#"{"a":{"ComparisonOperator":"EQ","AttributeValueList":[]}}"#, format!("{p}Invalid number of argument(s) for the EQ ComparisonOperator")),
        (r#"{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"},{"S":"y"}]}}"#, format!("{p}Invalid number of argument(s) for the EQ ComparisonOperator")),
        (r#"{"a":{"ComparisonOperator":"NULL","AttributeValueList":[{"S":"x"}]}}"#, format!("{p}Invalid number of argument(s) for the NULL ComparisonOperator")),
        (r#"{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"S":"x"}]}}"#, format!("{p}Invalid number of argument(s) for the BETWEEN ComparisonOperator")),
        (r#"{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"S":"x"},{"N":"1"}]}}"#, format!("{p}AttributeValues inside AttributeValueList must be of same type")),
        (r#"{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"S":"z"},{"S":"a"}]}}"#, "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound".into()),
        (r#"{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"S":"z"},{"N":"1"}]}}"#, format!("{p}AttributeValues inside AttributeValueList must be of same type")),
        (r#"{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"SS":["z"]}]}}"#, format!("{p}ComparisonOperator IN is not valid for SS AttributeValue type")),
        (r#"{"a":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"N":"1"}]}}"#, format!("{p}ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type")),
        (r#"{"a":{"ComparisonOperator":"LT","AttributeValueList":[{"SS":["1"]}]}}"#, format!("{p}ComparisonOperator LT is not valid for SS AttributeValue type")),
        (r#"{"a":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"L":[]}]}}"#, format!("{p}ComparisonOperator CONTAINS is not valid for L AttributeValue type")),
        (r#"{"a":{"ComparisonOperator":"LT","AttributeValueList":[{"BOOL":true}]}}"#, format!("{p}ComparisonOperator LT is not valid for BOOL AttributeValue type")),
        // Each argument's type, then its likeness to the first, in order.
        (r#"{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"N":"1"},{"S":"a"},{"L":[]}]}}"#, format!("{p}AttributeValues inside AttributeValueList must be of same type")),
        (r#"{"a":{"ComparisonOperator":"IN","AttributeValueList":[{"N":"1"},{"L":[]},{"S":"a"}]}}"#, format!("{p}ComparisonOperator IN is not valid for L AttributeValue type")),
        // A list may hold a BOOL or a NULL: CONTAINS may look for one.
        (r#"{"a":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"BOOL":true}]}}"#, "OK".into()),
        (r#"{"a":{"ComparisonOperator":"NOT_CONTAINS","AttributeValueList":[{"NULL":true}]}}"#, "OK".into()),
        (r#"{"a":{"ComparisonOperator":"NOT_CONTAINS","AttributeValueList":[{"M":{}}]}}"#, format!("{p}ComparisonOperator NOT_CONTAINS is not valid for M AttributeValue type")),
        (r#"{"a":{"ComparisonOperator":"EQ","Value":{"S":"x"},"AttributeValueList":[{"S":"x"}]}}"#, format!("{p}Value and AttributeValueList cannot be used together for Attribute: a")),
        (r#"{"a":{"ComparisonOperator":"EQ","Exists":true,"AttributeValueList":[{"S":"x"}]}}"#, format!("{p}Exists and ComparisonOperator cannot be used together for Attribute: a")),
        (r#"{"a":{"ComparisonOperator":"EQ","AttributeValueList":[{"SS":["1"]}]}}"#, "OK".into()),
        (r#"{"a":{"ComparisonOperator":"EQ","Value":{"S":"x"}}}"#, "OK".into()),
        (r#"{"status":{"Exists":false}}"#, "OK".into()),
    ];
    for (json, message) in rows {
        assert_eq!(&expected_error(json, None), message, "{json}");
    }
    assert_eq!(
        expected_error(r#"{"a":{"Exists":false}}"#, Some("AND")),
        "ConditionalOperator can only be used when Filter or Expected has two or more elements"
    );
    assert_eq!(
        convert_expected(None, Some("AND")).unwrap_err().message,
        "ConditionalOperator cannot be used without Filter or Expected"
    );
    assert!(convert_expected(Some(&expected("{}")), None)
        .unwrap()
        .is_none());
}

#[test]
fn expected_semantics() {
    let item = item(
        r#"{"pk":{"S":"k"},"s":{"S":"abc"},"n":{"N":"5"},"ss":{"SS":["a"]},"a.b":{"S":"x"},"l":{"L":[{"BOOL":true},{"NULL":true}]}}"#,
    );
    let eval = |json: &str, op: Option<&str>| {
        let converted = convert_expected(Some(&expected(json)), op)
            .unwrap()
            .unwrap();
        converted.evaluate(Some(&item)).unwrap()
    };
    assert!(eval(
        r#"{"nope":{"ComparisonOperator":"NE","AttributeValueList":[{"S":"x"}]}}"#,
        None
    ));
    assert!(!eval(
        r#"{"nope":{"ComparisonOperator":"NOT_CONTAINS","AttributeValueList":[{"S":"x"}]}}"#,
        None
    ));
    assert!(eval(
        r#"{"n":{"ComparisonOperator":"NOT_CONTAINS","AttributeValueList":[{"S":"x"}]}}"#,
        None
    ));
    assert!(eval(
        r#"{"s":{"ComparisonOperator":"NE","AttributeValueList":[{"N":"1"}]}}"#,
        None
    ));
    assert!(eval(
        r#"{"ss":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"S":"a"}]}}"#,
        None
    ));
    assert!(eval(
        r#"{"n":{"ComparisonOperator":"IN","AttributeValueList":[{"N":"5"},{"N":"6"}]}}"#,
        None
    ));
    // A list's BOOL and NULL members (as DynamoDB Local answers).
    assert!(eval(
        r#"{"l":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"BOOL":true}]}}"#,
        None
    ));
    assert!(eval(
        r#"{"l":{"ComparisonOperator":"NOT_CONTAINS","AttributeValueList":[{"BOOL":false}]}}"#,
        None
    ));
    assert!(!eval(
        r#"{"l":{"ComparisonOperator":"NOT_CONTAINS","AttributeValueList":[{"NULL":true}]}}"#,
        None
    ));
    assert!(!eval(
        r#"{"s":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"BOOL":true}]}}"#,
        None
    ));
    assert!(eval(r#"{"nope":{"ComparisonOperator":"NULL"}}"#, None));
    assert!(eval(r#"{"s":{"ComparisonOperator":"NOT_NULL"}}"#, None));
    assert!(eval(
        r#"{"s":{"ComparisonOperator":"BEGINS_WITH","AttributeValueList":[{"S":"ab"}]}}"#,
        None
    ));
    assert!(eval(
        r#"{"n":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"1"},{"N":"5"}]}}"#,
        None
    ));
    assert!(eval(
        r#"{"s":{"Value":{"S":"abc"}},"nope":{"Exists":false}}"#,
        None
    ));
    // A legacy name is one attribute, dots included.
    assert!(eval(r#"{"a.b":{"Value":{"S":"x"}}}"#, None));
    let both = r#"{"s":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"abc"}]},"n":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"6"}]}}"#;
    assert!(!eval(both, None));
    assert!(!eval(both, Some("AND")));
    assert!(eval(both, Some("OR")));
    // No item: only "does not exist" conditions hold.
    let converted = convert_expected(Some(&expected(r#"{"a":{"Exists":false}}"#)), None)
        .unwrap()
        .unwrap();
    assert!(converted.evaluate(None).unwrap());
}

#[test]
fn scan_and_query_filters() {
    let err = |json: &str| {
        convert_filter(Some(&filter(json)), None)
            .unwrap_err()
            .message
    };
    assert_eq!(
        err(r#"{"a":{"ComparisonOperator":"EQ"}}"#),
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ ComparisonOperator"
    );
    assert_eq!(
        err(r#"{"a":{"ComparisonOperator":"CONTAINS","AttributeValueList":[{"SS":["x"]}]}}"#),
        "One or more parameter values were invalid: ComparisonOperator CONTAINS is not valid for SS AttributeValue type"
    );
    let item = item(r#"{"a":{"N":"3"}}"#);
    let f = convert_filter(
        Some(&filter(
            r#"{"a":{"ComparisonOperator":"GT","AttributeValueList":[{"N":"2"}]}}"#,
        )),
        None,
    )
    .unwrap()
    .unwrap();
    assert!(f.evaluate(Some(&item)).unwrap());
}

#[test]
fn key_conditions() {
    let conditions = filter(
        r#"{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]},
            "sk":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"1"},{"N":"2"}]}}"#,
    );
    let key = convert_key_conditions(&conditions).unwrap();
    let bindings = key.bindings();
    let resolved = key.expression.resolve(&bindings, &schema()).unwrap();
    assert_eq!(resolved.partition_values, [&value(r#"{"S":"x"}"#)]);
    let (one, two) = (value(r#"{"N":"1"}"#), value(r#"{"N":"2"}"#));
    assert_eq!(resolved.sort, Some(SortKeyCondition::Between(&one, &two)));

    let fails = |json: &str| {
        let key = convert_key_conditions(&filter(json)).unwrap();
        let bindings = key.bindings();
        key.expression
            .resolve(&bindings, &schema())
            .unwrap_err()
            .message
    };
    assert_eq!(
        fails(r#"{"pk":{"ComparisonOperator":"LT","AttributeValueList":[{"S":"x"}]}}"#),
        "Query key condition not supported"
    );
    assert_eq!(
        fails(r#"{"sk":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"1"}]}}"#),
        "Query condition missed key schema element: pk"
    );
    assert_eq!(
        fails(r#"{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"1"}]}}"#),
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    );
    assert_eq!(
        fails(
            r#"{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"x"}]},
                "sk":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"1"}]},
                "zz":{"ComparisonOperator":"EQ","AttributeValueList":[{"N":"1"}]}}"#
        ),
        // The query operation words it "Conditions can be of length 1 or 2
        // only" for KeyConditions (tests/query.rs).
        "The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"
    );
}

fn updates(json: &str) -> HashMap<String, AttributeValueUpdate> {
    serde_json::from_str(json).expect("AttributeUpdates JSON")
}

#[test]
fn attribute_updates() {
    let p = "One or more parameter values were invalid: ";
    let err = |json: &str| {
        convert_attribute_updates(&updates(json))
            .unwrap_err()
            .message
    };
    assert_eq!(
        err(r#"{"a":{"Action":"PUT"}}"#),
        format!("{p}Only DELETE action is allowed when no attribute value is specified")
    );
    assert_eq!(
        err(r#"{"a":{}}"#),
        format!("{p}Only DELETE action is allowed when no attribute value is specified")
    );
    assert_eq!(
        err(r#"{"a":{"Action":"ADD","Value":{"S":"x"}}}"#),
        format!("{p}ADD action is not supported for the type STRING")
    );
    assert_eq!(
        err(r#"{"a":{"Action":"DELETE","Value":{"S":"x"}}}"#),
        format!("{p}DELETE action with value is not supported for the type STRING")
    );

    let mut current = item(
        r#"{"pk":{"S":"k"},"n":{"N":"1"},"l":{"L":[{"S":"x"}]},"ss":{"SS":["a","b"]},"gone":{"S":"x"}}"#,
    );
    let update = convert_attribute_updates(&updates(
        r#"{"p":{"Value":{"S":"v"}},"n":{"Action":"ADD","Value":{"N":"2"}},
            "l":{"Action":"ADD","Value":{"L":[{"S":"y"}]}},"nl":{"Action":"ADD","Value":{"L":[{"S":"z"}]}},
            "ss":{"Action":"DELETE","Value":{"SS":["a"]}},"gone":{"Action":"DELETE"},
            "c":{"Action":"ADD","Value":{"N":"5"}}}"#,
    ))
    .unwrap();
    let outcome = update.apply(&mut current).unwrap();
    assert_eq!(
        current,
        item(
            r#"{"pk":{"S":"k"},"n":{"N":"3"},"l":{"L":[{"S":"x"},{"S":"y"}]},"nl":{"L":[{"S":"z"}]},
                 "ss":{"SS":["b"]},"p":{"S":"v"},"c":{"N":"5"}}"#
        )
    );
    assert_eq!(outcome.top_level_names().len(), 7);
    update
        .expression
        .check_key_attributes(&update.bindings(), &["pk"])
        .unwrap();

    let mismatch =
        convert_attribute_updates(&updates(r#"{"n":{"Action":"ADD","Value":{"SS":["1"]}}}"#))
            .unwrap();
    let mut current = item(r#"{"n":{"N":"1"}}"#);
    assert_eq!(
        mismatch.apply(&mut current).unwrap_err().message,
        "Type mismatch for attribute to update"
    );

    let key = convert_attribute_updates(&updates(r#"{"pk":{"Value":{"S":"1"}}}"#)).unwrap();
    assert_eq!(
        key.expression
            .check_key_attributes(&key.bindings(), &["pk"])
            .unwrap_err()
            .message,
        format!("{p}Cannot update attribute pk. This attribute is part of the key")
    );
}

#[test]
fn attributes_to_get() {
    let names = vec!["a".to_string(), "b.c".to_string()];
    let projection = convert_attributes_to_get(&names).unwrap();
    let item = item(r#"{"a":{"N":"1"},"b.c":{"N":"2"},"b":{"M":{"c":{"N":"3"}}}}"#);
    let got = projection
        .apply(&item, &dynalith_expr::Bindings::default())
        .unwrap();
    assert_eq!(got, common::item(r#"{"a":{"N":"1"},"b.c":{"N":"2"}}"#));
    let dup = vec!["a".to_string(), "a".to_string()];
    assert_eq!(
        convert_attributes_to_get(&dup).unwrap_err().message,
        "Cannot have two attributes with the same name"
    );
}
