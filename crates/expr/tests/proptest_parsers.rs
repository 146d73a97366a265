//! Property tests: no input makes a parser (or the later steps) panic, and
//! printing a tree then parsing the text gives the same tree back.

use dynalith_expr::ast::{
    Call, Clause, CompareOp, Condition, Function, NameRef, Operand, Path, PathElement, SetAction,
    SetValue, ValueAction,
};
use dynalith_expr::{
    parse_condition, parse_projection, parse_update, Bindings, ExpressionKind, RequestExpressions,
};
use dynalith_model::{AttributeValue, Item, Number};
use proptest::prelude::*;
use std::collections::HashMap;

// ---------------------------------------------------------------------------
// Arbitrary text never panics.

fn token_soup() -> impl Strategy<Value = String> {
    let token = prop::sample::select(vec![
        "a",
        "b",
        "#n",
        ":v",
        "size",
        "contains",
        "begins_with",
        "attribute_exists",
        "attribute_type",
        "if_not_exists",
        "list_append",
        "status",
        "(",
        ")",
        "((",
        "))",
        ",",
        ".",
        "[",
        "]",
        "[0]",
        "[2147483648]",
        "=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "+",
        "-",
        "AND",
        "OR",
        "NOT",
        "BETWEEN",
        "IN",
        "SET",
        "REMOVE",
        "ADD",
        "DELETE",
        "é",
        "$",
        "#",
        ":",
        "01",
        " ",
        "\t",
    ]);
    prop::collection::vec(token, 0..40).prop_map(|t| t.join(" "))
}

fn exercise(text: &str) {
    let names = HashMap::from([("#n".to_string(), "n".to_string())]);
    let values = HashMap::from([("#v".to_string(), AttributeValue::N(Number::from_i64(1)))]);
    let bindings = Bindings::new(Some(&names), Some(&values));
    let item = Item::from([("a".to_string(), AttributeValue::S("x".into()))]);
    for kind in [
        ExpressionKind::Condition,
        ExpressionKind::Filter,
        ExpressionKind::KeyCondition,
    ] {
        if let Ok(condition) = parse_condition(text, kind) {
            let _ = condition.validate(&bindings, &mut Default::default());
            let _ = condition.evaluate(Some(&item), &bindings);
            assert_eq!(
                parse_condition(&condition.to_string(), kind).as_deref(),
                Ok(&*condition)
            );
        }
    }
    if let Ok(update) = parse_update(text) {
        let _ = update.validate(&bindings, &mut Default::default());
        let _ = update.apply(&mut item.clone(), &bindings);
        assert_eq!(parse_update(&update.to_string()).as_deref(), Ok(&*update));
    }
    if let Ok(projection) = parse_projection(text) {
        let _ = projection.validate(&bindings, &mut Default::default());
        let _ = projection.apply(&item, &bindings);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_does_not_panic(text in "\\PC{0,120}") {
        exercise(&text);
    }

    #[test]
    fn token_soup_does_not_panic(text in token_soup()) {
        exercise(&text);
    }
}

// ---------------------------------------------------------------------------
// parse(print(tree)) == tree.

fn name() -> impl Strategy<Value = NameRef> {
    prop_oneof![
        prop::sample::select(vec!["a", "b", "foo", "bar1", "x_y", "Z9"])
            .prop_map(|n| NameRef::Literal(n.to_string())),
        prop::sample::select(vec!["#n", "#m1", "#_"])
            .prop_map(|n| NameRef::Placeholder(n.to_string())),
    ]
}

fn path() -> impl Strategy<Value = Path> {
    let element = prop_oneof![
        name().prop_map(PathElement::Name),
        (0u32..100).prop_map(PathElement::Index)
    ];
    (name(), prop::collection::vec(element, 0..3)).prop_map(|(first, rest)| {
        let mut elements = vec![PathElement::Name(first)];
        elements.extend(rest);
        Path { elements }
    })
}

fn value() -> impl Strategy<Value = Operand> {
    prop::sample::select(vec![":v", ":w1", ":x_"]).prop_map(|v| Operand::Value(v.to_string()))
}

fn call(function: Function, args: Vec<Operand>) -> Operand {
    Operand::Call(Call { function, args })
}

/// Operands of conditions: paths, values, size().
fn condition_operand() -> impl Strategy<Value = Operand> {
    let leaf = prop_oneof![path().prop_map(Operand::Path), value()];
    leaf.prop_recursive(2, 4, 1, |inner| {
        inner.prop_map(|o| call(Function::Size, vec![o]))
    })
}

fn compare_op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(vec![
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Lt,
        CompareOp::Le,
        CompareOp::Gt,
        CompareOp::Ge,
    ])
}

fn boolean_call() -> impl Strategy<Value = Condition> {
    let op = condition_operand;
    let as_condition = |o: Operand| match o {
        Operand::Call(c) => Condition::Call(c),
        _ => unreachable!("built from calls"),
    };
    prop_oneof![
        path().prop_map(|p| call(Function::AttributeExists, vec![Operand::Path(p)])),
        path().prop_map(|p| call(Function::AttributeNotExists, vec![Operand::Path(p)])),
        (path(), value())
            .prop_map(|(p, v)| call(Function::AttributeType, vec![Operand::Path(p), v])),
        (op(), op()).prop_map(|(a, b)| call(Function::BeginsWith, vec![a, b])),
        (op(), op()).prop_map(|(a, b)| call(Function::Contains, vec![a, b])),
    ]
    .prop_map(as_condition)
}

fn condition() -> impl Strategy<Value = Condition> {
    let op = condition_operand;
    let leaf = prop_oneof![
        (compare_op(), op(), op()).prop_map(|(c, l, r)| Condition::Compare(c, l, r)),
        (op(), op(), op()).prop_map(|(v, l, h)| Condition::Between(v, l, h)),
        (op(), prop::collection::vec(op(), 1..4)).prop_map(|(v, l)| Condition::In(v, l)),
        boolean_call(),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Condition::Not(Box::new(c))),
            (inner.clone(), inner.clone())
                .prop_map(|(l, r)| Condition::And(Box::new(l), Box::new(r))),
            (inner.clone(), inner).prop_map(|(l, r)| Condition::Or(Box::new(l), Box::new(r))),
        ]
    })
}

/// Operands inside SET values: paths, values, if_not_exists().
fn update_operand() -> impl Strategy<Value = Operand> {
    let leaf = prop_oneof![path().prop_map(Operand::Path), value()];
    leaf.prop_recursive(2, 4, 1, |inner| {
        (path(), inner).prop_map(|(p, o)| call(Function::IfNotExists, vec![Operand::Path(p), o]))
    })
}

fn set_value() -> impl Strategy<Value = SetValue> {
    let op = update_operand;
    prop_oneof![
        op().prop_map(SetValue::Operand),
        (op(), op()).prop_map(|(a, b)| SetValue::Operand(call(Function::ListAppend, vec![a, b]))),
        (op(), op()).prop_map(|(a, b)| SetValue::Plus(a, b)),
        (op(), op()).prop_map(|(a, b)| SetValue::Minus(a, b)),
    ]
}

fn value_action() -> impl Strategy<Value = ValueAction> {
    (path(), value()).prop_map(|(path, v)| match v {
        Operand::Value(value) => ValueAction { path, value },
        _ => unreachable!("value() makes values"),
    })
}

fn clauses() -> impl Strategy<Value = Vec<Clause>> {
    let set = prop::collection::vec(
        (path(), set_value()).prop_map(|(path, value)| SetAction { path, value }),
        1..3,
    )
    .prop_map(Clause::Set);
    let remove = prop::collection::vec(path(), 1..3).prop_map(Clause::Remove);
    let add = prop::collection::vec(value_action(), 1..3).prop_map(Clause::Add);
    let delete = prop::collection::vec(value_action(), 1..3).prop_map(Clause::Delete);
    (
        prop::option::of(set),
        prop::option::of(remove),
        prop::option::of(add),
        prop::option::of(delete),
    )
        .prop_map(|(s, r, a, d)| [s, r, a, d].into_iter().flatten().collect::<Vec<_>>())
        .prop_filter("at least one clause", |c| !c.is_empty())
        .prop_shuffle()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn conditions_round_trip(tree in condition()) {
        let text = tree.to_string();
        let parsed = parse_condition(&text, ExpressionKind::Filter);
        prop_assert_eq!(parsed.as_ref().map(|p| p.root()), Ok(&tree), "{}", text);
    }

    #[test]
    fn updates_round_trip(tree in clauses()) {
        let text = dynalith_expr::UpdateExpression::new(tree.clone()).to_string();
        let parsed = parse_update(&text);
        prop_assert_eq!(parsed.as_ref().map(|p| p.clauses()), Ok(tree.as_slice()), "{}", text);
    }

    #[test]
    fn projections_round_trip(paths in prop::collection::vec(path(), 1..5)) {
        let text = dynalith_expr::Projection::new(paths.clone()).to_string();
        let parsed = parse_projection(&text);
        prop_assert_eq!(parsed.as_ref().map(|p| p.paths()), Ok(paths.as_slice()), "{}", text);
    }
}

#[test]
fn request_expressions_reject_cleanly() {
    // A quick sanity check that the request wrapper is usable from tests.
    let mut request = RequestExpressions::new(None, None).unwrap();
    assert!(request
        .condition("a = = b", ExpressionKind::Condition)
        .is_err());
}
