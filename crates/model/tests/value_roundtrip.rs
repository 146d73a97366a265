//! Property: every valid AttributeValue survives the wire form unchanged,
//! and no JSON input makes the parser panic.

use dynalith_model::{wire::parse_input, AttributeValue, Item, Number};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn number() -> impl Strategy<Value = Number> {
    (any::<bool>(), 1u64..=u64::MAX, -120i32..100).prop_filter_map(
        "in range",
        |(neg, digits, exp)| {
            let sign = if neg { "-" } else { "" };
            Number::parse(&format!("{sign}{digits}e{exp}")).ok()
        },
    )
}

fn unique<T: Ord + Clone>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

fn value() -> impl Strategy<Value = AttributeValue> {
    let leaf = prop_oneof![
        ".{0,12}".prop_map(AttributeValue::S),
        number().prop_map(AttributeValue::N),
        prop::collection::vec(any::<u8>(), 0..12).prop_map(AttributeValue::B),
        any::<bool>().prop_map(AttributeValue::Bool),
        Just(AttributeValue::Null),
        prop::collection::vec(".{0,6}", 1..5).prop_map(|v| AttributeValue::Ss(unique(v))),
        prop::collection::vec(number(), 1..5).prop_map(|v| AttributeValue::Ns(unique(v))),
        prop::collection::vec(prop::collection::vec(any::<u8>(), 0..6), 1..5)
            .prop_map(|v| AttributeValue::Bs(unique(v))),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(AttributeValue::L),
            prop::collection::btree_map(".{1,8}", inner, 0..6).prop_map(AttributeValue::M),
        ]
    })
}

proptest! {
    #[test]
    fn wire_round_trip(items in prop::collection::btree_map("[a-z]{1,8}", value(), 0..8)) {
        let item: Item = items.into_iter().collect::<BTreeMap<_, _>>();
        let json = serde_json::to_vec(&item).unwrap();
        let parsed: Item = parse_input(&json).unwrap();
        prop_assert_eq!(&parsed, &item);
        // Canonical: a second trip gives the same bytes.
        prop_assert_eq!(serde_json::to_vec(&parsed).unwrap(), json);
    }

    #[test]
    fn arbitrary_json_never_panics(text in ".{0,200}") {
        let _ = parse_input::<Item>(text.as_bytes());
    }

    #[test]
    fn arbitrary_attribute_shapes_never_panic(
        key in prop::sample::select(vec!["S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS", "X"]),
        body in prop::sample::select(vec!["\"1\"", "1", "true", "false", "null", "[]", "[\"1\"]", "[1]", "{}", "{\"a\":{\"S\":\"x\"}}", "\"\""]),
    ) {
        let json = format!("{{\"a\":{{\"{key}\":{body}}}}}");
        let _ = parse_input::<Item>(json.as_bytes());
    }
}
