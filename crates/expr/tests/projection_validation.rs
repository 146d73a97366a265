//! ProjectionExpression parsing and validation: path syntax, reserved
//! words, index range, nesting depth, overlapping paths, placeholder keys.
//! Recorded from DynamoDB Local.

mod common;

/// (expression, ExpressionAttributeNames, ExpressionAttributeValues, expected)
#[rustfmt::skip]
const ROWS: &[(&str, &str, &str, &str)] = &[
    (r#"a, b.c, d[1]"#, r#""#, r#""#, r#"OK"#),
    (r#"#u1, #u2"#, r#""#, r#""#, r#"Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: #u2"#),
    (r#"a, a.b"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"#),
    (r#"a.b, a"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a, b], path two: [a]"#),
    (r#"a[1], a.b"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [1]], path two: [a, b]"#),
    (r#"a, a"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"#),
    (r#"a,"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ",""#),
    (r#",a"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: ",", near: ",a""#),
    (r#"status"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status"#),
    (r#"#s"#, r##"{"#s":"status"}"##, r#""#, r#"OK"#),
    (r#":v"#, r#""#, r#"{":v":{"S":"x"}}"#, r#"Invalid ProjectionExpression: Syntax error; token: ":v", near: ":v""#),
    (r#"a[1][2].b"#, r#""#, r#""#, r#"OK"#),
    (r#"a[99999999999]"#, r#""#, r#""#, r#"Invalid ProjectionExpression: List index is not within the allowable range; index: [99999999999]"#),
    (r#"a[2147483648]"#, r#""#, r#""#, r#"Invalid ProjectionExpression: List index is not within the allowable range; index: [2147483648]"#),
    (r#"a[2147483647]"#, r#""#, r#""#, r#"OK"#),
    (r#"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee.ff"#, r#""#, r#""#, r#"OK"#),
    (r#"a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee.ff.gg"#, r#""#, r#""#, r#"Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33"#),
    (r#"a[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"#, r#""#, r#""#, r#"Invalid ProjectionExpression: The document path has too many nesting levels; nesting levels: 33"#),
    (r#"size(a)"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "(", near: "size(a""#),
    (r#"a b"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "b", near: "a b""#),
    (r#"(a)"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "(", near: "(a""#),
    (r#"a.#b.c"#, r##"{"#b":"x"}"##, r#""#, r#"OK"#),
    (r#"#b[0]"#, r##"{"#b":"x"}"##, r#""#, r#"OK"#),
    (r#"a.1"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "1", near: ".1""#),
    (r#"1a"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "1", near: "1a""#),
    (r#"_a, a_b, a1"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "_", near: "_a""#),
    (r#"a-b"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "-", near: "a-b""#),
    (r#"é"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "é", near: "é""#),
    (r#"a . b"#, r#""#, r#""#, r#"OK"#),
    (r#"a [1]"#, r#""#, r#""#, r#"OK"#),
    (r#"a[ 1 ]"#, r#""#, r#""#, r#"OK"#),
    (r#"a[01]"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "1", near: "01]""#),
    (r#"[1]"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "[", near: "[1""#),
    (r#"a..b"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: ".", near: "..b""#),
    (r#"#"#, r#""#, r#""#, r##"Invalid ProjectionExpression: Syntax error; token: "#", near: "#""##),
    (r#"#1"#, r##"{"#1":"x"}"##, r#""#, r#"OK"#),
    (r#"#a-b"#, r##"{"#a-b":"x"}"##, r#""#, r##"ExpressionAttributeNames contains invalid key: Syntax error; key: "#a-b""##),
    (r#"a_b, aB9, a1_, Z"#, r#""#, r#""#, r#"OK"#),
    (r#"a, #_x"#, r##"{"#_x":"x"}"##, r#""#, r#"OK"#),
    (r#"a"#, r##"{"#":"x"}"##, r#""#, r##"ExpressionAttributeNames contains invalid key: Syntax error; key: "#""##),
    (r#"a"#, r##"{"#a":""}"##, r#""#, r#"ExpressionAttributeNames contains invalid value: Empty attribute name for key #a"#),
    (r#"a"#, r#"{"a":"x"}"#, r#""#, r#"ExpressionAttributeNames contains invalid key: Syntax error; key: "a""#),
    (r#"a"#, r##"{"#a b":"x"}"##, r#""#, r##"ExpressionAttributeNames contains invalid key: Syntax error; key: "#a b""##),
    (r#"size"#, r#""#, r#""#, r#"OK"#),
    (r#"contains, begins_with, attribute_exists, attribute_not_exists, attribute_type, if_not_exists, list_append"#, r#""#, r#""#, r#"OK"#),
    (r#"SET"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "SET", near: "SET""#),
    (r#"set"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "set", near: "set""#),
    (r#"remove"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "remove", near: "remove""#),
    (r#"index"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: index"#),
    (r#"IN"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "IN", near: "IN""#),
    (r#"between"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "between", near: "between""#),
    (r#"a, NOT"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Syntax error; token: "NOT", near: ", NOT""#),
    (r#"a.status"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status"#),
    (r#"a.#s"#, r##"{"#s":"status"}"##, r#""#, r#"OK"#),
    (r#"a[1].status"#, r#""#, r#""#, r#"Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: status"#),
];

#[test]
fn matches_dynamodb() {
    common::run_table("proj", ROWS);
}
