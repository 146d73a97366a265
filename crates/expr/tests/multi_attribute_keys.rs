//! Property test: key conditions on a multi-attribute key (up to four
//! partition and four sort attributes) resolve exactly when DynamoDB's
//! left-to-right rules accept them, as an independent statement of the
//! rules decides, and then select what the conditions say.

mod common;

use common::values;
use dynalith_expr::{KeyAttribute, KeySchema, RequestExpressions, SortKeyCondition};
use dynalith_model::ValueType;
use proptest::prelude::*;

const NAMES: [&str; 9] = ["h1", "h2", "h3", "h4", "r1", "r2", "r3", "r4", "misc"];

/// One condition of the expression: an attribute of NAMES and an operator
/// (0 `=`, 1 `<`, 2 `>=`, 3 BETWEEN, 4 begins_with).
fn condition() -> impl Strategy<Value = (usize, u8)> {
    (0..NAMES.len(), 0u8..5)
}

fn text(name: &str, op: u8, slot: usize) -> String {
    match op {
        0 => format!("{name} = :v{slot}"),
        1 => format!("{name} < :v{slot}"),
        2 => format!("{name} >= :v{slot}"),
        3 => format!("{name} BETWEEN :v{slot} AND :w{slot}"),
        _ => format!("begins_with({name}, :v{slot})"),
    }
}

/// DynamoDB's rules, stated directly: no attribute twice; no more
/// conditions than key attributes; `=` on every partition attribute; the
/// sort attributes named are the first k, all `=` but the last; nothing
/// else named.
fn accepted(partitions: usize, sorts: usize, conditions: &[(usize, u8)]) -> bool {
    let partition_names = &NAMES[..partitions];
    let sort_names = &NAMES[4..4 + sorts];
    let op_of = |name: &str| {
        conditions
            .iter()
            .find(|(n, _)| NAMES[*n] == name)
            .map(|(_, op)| *op)
    };
    let named: Vec<&str> = conditions.iter().map(|(n, _)| NAMES[*n]).collect();
    let mut unique = named.clone();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() != named.len() || named.len() > partitions + sorts {
        return false;
    }
    if partition_names.iter().any(|n| op_of(n) != Some(0)) {
        return false;
    }
    if named
        .iter()
        .any(|n| !partition_names.contains(n) && !sort_names.contains(n))
    {
        return false;
    }
    let given = sort_names.iter().take_while(|n| op_of(n).is_some()).count();
    if sort_names[given..].iter().any(|n| op_of(n).is_some()) {
        return false;
    }
    sort_names[..given.saturating_sub(1)]
        .iter()
        .all(|n| op_of(n) == Some(0))
}

proptest! {
    #[test]
    fn resolution_follows_the_left_to_right_rules(
        partitions in 1usize..=4,
        sorts in 0usize..=4,
        conditions in prop::collection::vec(condition(), 1..8),
    ) {
        prop_assume!(partitions > 1 || sorts > 1);
        let expression = conditions
            .iter()
            .enumerate()
            .map(|(slot, (name, op))| text(NAMES[*name], *op, slot))
            .collect::<Vec<_>>()
            .join(" AND ");
        let mut json = Vec::new();
        for (slot, (_, op)) in conditions.iter().enumerate() {
            json.push(format!(r#"":v{slot}":{{"S":"v{slot}"}}"#));
            if *op == 3 {
                json.push(format!(r#"":w{slot}":{{"S":"w{slot}"}}"#));
            }
        }
        let values = values(&format!("{{{}}}", json.join(",")));
        let mut request = RequestExpressions::new(None, values.as_ref()).unwrap();
        let key = request.key_condition(&expression).unwrap();
        request.finish().unwrap();
        let bindings = request.bindings();
        let attribute = |name| KeyAttribute { name, value_type: ValueType::S };
        let schema = KeySchema {
            partition: NAMES[..partitions].iter().map(|n| attribute(*n)).collect(),
            sort: NAMES[4..4 + sorts].iter().map(|n| attribute(*n)).collect(),
        };
        let resolved = key.resolve(&bindings, &schema);
        prop_assert_eq!(
            resolved.is_ok(),
            accepted(partitions, sorts, &conditions),
            "{} on {} / {}: {:?}", expression, partitions, sorts, resolved.as_ref().err()
        );
        if let Ok(resolved) = resolved {
            // One value per partition attribute, then the sort conditions
            // in key order: every condition is accounted for.
            prop_assert_eq!(resolved.partition_values.len(), partitions);
            let used = partitions + resolved.sort_prefix.len() + usize::from(resolved.sort.is_some());
            prop_assert_eq!(used, conditions.len());
            for (position, value) in resolved.sort_prefix.iter().enumerate() {
                let slot = conditions.iter().position(|(n, _)| NAMES[*n] == NAMES[4 + position]).unwrap();
                prop_assert_eq!(*value, &dynalith_model::AttributeValue::S(format!("v{slot}")));
            }
            if let Some(sort) = resolved.sort {
                let name = NAMES[4 + resolved.sort_prefix.len()];
                let (slot, (_, op)) = conditions.iter().enumerate().find(|(_, (n, _))| NAMES[*n] == name).unwrap();
                let matches_op = matches!(
                    (op, sort),
                    (0, SortKeyCondition::Eq(_))
                        | (1, SortKeyCondition::Lt(_))
                        | (2, SortKeyCondition::Ge(_))
                        | (3, SortKeyCondition::Between(..))
                        | (4, SortKeyCondition::BeginsWith(_))
                );
                prop_assert!(matches_op, "condition {} on {} became {:?}", slot, name, sort);
            }
        }
    }
}
