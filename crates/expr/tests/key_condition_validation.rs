//! KeyConditionExpression validation and resolution against a key schema
//! (pk: S, sk: N). Recorded from DynamoDB Local, except "Query condition
//! missed key schema element", which the real service follows with the
//! element's name, and the repeated-key and condition-count messages,
//! which follow DynamoDB's (recorded by the paritysuite suite, 2026).

mod common;

/// (expression, ExpressionAttributeNames, ExpressionAttributeValues, expected)
#[rustfmt::skip]
const ROWS: &[(&str, &str, &str, &str)] = &[
    (r#"pk = :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"OK"#),
    (r#":v = pk"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"OK"#),
    (r#"pk = :v AND sk = :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"OK"#),
    (r#"sk = :w AND pk = :v"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"OK"#),
    (r#":w = sk AND pk = :v"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"OK"#),
    (r#":w < sk AND pk = :v"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"OK"#),
    (r#"pk = :v AND sk BETWEEN :w AND :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"OK"#),
    (r#"pk = :v AND begins_with(sk, :w)"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"#),
    (r#"pk = :v AND begins_with(sk, :v)"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"#),
    (r#"pk = :v AND sk <> :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Invalid operator used in KeyConditionExpression: <>"#),
    (r#"pk = :v OR sk = :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Invalid operator used in KeyConditionExpression: OR"#),
    (r#"NOT pk = :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Invalid operator used in KeyConditionExpression: NOT"#),
    (r#"pk = :v AND sk IN (:w)"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Invalid operator used in KeyConditionExpression: IN"#),
    (r#"pk = :v AND contains(sk, :w)"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Invalid operator used in KeyConditionExpression: contains"#),
    (r#"pk = :v AND size(sk) = :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"KeyConditionExpressions cannot contain nested operations"#),
    (r#"pk < :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Query key condition not supported"#),
    (r#"pk = :v AND pk = :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"#),
    (r#"pk = :v AND sk = :w AND sk = :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"#),
    (r#"pk = :v AND sk.a = :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: sk"#),
    (r#"pk = sk"#, r#""#, r#""#, r#"Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"#),
    (r#"pk = :v AND sk = pk"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"#),
    (r#"(pk = :v) AND (sk = :w)"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"OK"#),
    (r#"(pk = :v AND sk = :w)"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"OK"#),
    (r#"pk = :v AND sk BETWEEN :w AND :x"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"2"},":x":{"N":"1"}}"#, r#"Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:2}, upper bound operand: AttributeValue: {N:1}"#),
    (r#"pk = :v AND sk BETWEEN :v AND :x"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"2"},":x":{"N":"1"}}"#, r#"Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {S:x}, upper bound operand: AttributeValue: {N:1}"#),
    (r#"pk = :v AND a = :v AND sk = :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"#),
    (r#"pk = :v AND (sk = :w AND a = :w)"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"The number of query conditions (3) exceeds the number of key attributes defined in the schema (2)"#),
    (r#"pk = size(:v)"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"KeyConditionExpressions cannot contain nested operations"#),
    (r#"size(pk) = :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"KeyConditionExpressions cannot contain nested operations"#),
    (r#"pk = :v AND :w = :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Invalid condition in KeyConditionExpression: No key attribute specified"#),
    (r#"#p = :v"#, r##"{"#p":"pk"}"##, r#"{":v":{"S":"x"}}"#, r#"OK"#),
    (r#"pk = :v AND status = :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"#),
    (r#"pk = :v AND sk = :v"#, r#""#, r#"{":v":{"SS":["x"]}}"#, r#"One or more parameter values were invalid: Condition parameter type does not match schema type"#),
    (r#"pk = :v"#, r#""#, r#"{":v":{"SS":["x"]}}"#, r#"One or more parameter values were invalid: Condition parameter type does not match schema type"#),
    (r#"pk = :v"#, r#""#, r#"{":v":{"L":[]}}"#, r#"One or more parameter values were invalid: Condition parameter type does not match schema type"#),
    (r#"pk = :v AND begins_with(sk, :w)"#, r#""#, r#"{":v":{"S":"x"},":w":{"S":"1"}}"#, r#"One or more parameter values were invalid: Condition parameter type does not match schema type"#),
    (r#"pk = :v AND attribute_exists(sk)"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Invalid operator used in KeyConditionExpression: attribute_exists"#),
    (r#"pk.a = :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk"#),
    (r#"pk[0] = :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk"#),
    (r#"pk = :v AND sk = :v OR sk = :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Invalid operator used in KeyConditionExpression: OR"#),
    (r#"pk = :v AND NOT sk = :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Invalid operator used in KeyConditionExpression: NOT"#),
    (r#"pk <> :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Invalid operator used in KeyConditionExpression: <>"#),
    (r#"pk BETWEEN :v AND :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Query key condition not supported"#),
    (r#"begins_with(pk, :v)"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Query key condition not supported"#),
    (r#"pk = :v AND a = :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Query condition missed key schema element: sk"#),  // DynamoDB Local differs here; see the module docs
    (r#"a = :v AND sk = :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Query condition missed key schema element: pk"#),  // DynamoDB Local differs here; see the module docs
    (r#"pk = :v AND pk = :w"#, r#""#, r#"{":v":{"S":"x"},":w":{"N":"1"}}"#, r#"Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"#),
    (r#"sk = :w AND sk = :w"#, r#""#, r#"{":w":{"N":"1"}}"#, r#"Invalid KeyConditionExpression: KeyConditionExpressions must only contain one condition per key"#),
    (r#"sk = :w AND a = :w"#, r#""#, r#"{":w":{"N":"1"}}"#, r#"Query condition missed key schema element: pk"#),  // DynamoDB Local differs here; see the module docs
    (r#"pk = :v AND attribute_exists(pk)"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Invalid operator used in KeyConditionExpression: attribute_exists"#),
    (r#"foo = :v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Query condition missed key schema element: pk"#),  // DynamoDB Local differs here; see the module docs
];

#[test]
fn matches_dynamodb() {
    common::run_table("key", ROWS);
}
