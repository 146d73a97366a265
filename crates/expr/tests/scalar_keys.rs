//! Reading inside a key attribute (`pk.x`, `pk[0]`) is refused, naming the
//! first key in key-schema order; writes to key paths are another check.
//! Found by the differential test against DynamoDB Local.

mod common;

use common::values;
use dynalith_expr::{ExpressionKind, RequestExpressions};
use std::collections::HashMap;

const KEYS: &[&str] = &["pk", "sk"];

fn message(key: &str) -> String {
    format!("Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {key}")
}

#[test]
fn conditions() {
    let values = values(r#"{":v":{"N":"1"}}"#);
    let names = HashMap::from([("#k".to_string(), "pk".to_string())]);
    for (text, expected) in [
        ("sk[1] = :v AND #k.y = :v", Some("pk")),
        ("attribute_exists(sk[0])", Some("sk")),
        ("size(#k.x) = :v OR pk = :v", Some("pk")),
        ("pk = :v AND sk = :v AND a.b = :v", None),
    ] {
        let mut request = RequestExpressions::new(Some(&names), values.as_ref()).unwrap();
        let condition = request.condition(text, ExpressionKind::Condition).unwrap();
        let got = condition
            .check_scalar_keys(&request.bindings(), KEYS)
            .err()
            .map(|e| e.message);
        assert_eq!(got, expected.map(message), "{text}");
    }
}

#[test]
fn updates_and_projections() {
    let values = values(r#"{":v":{"N":"1"}}"#);
    let mut request = RequestExpressions::new(None, values.as_ref()).unwrap();
    let update = request
        .update("SET a = if_not_exists(b, sk.x), pk.x = :v")
        .unwrap();
    let bindings = request.bindings();
    assert_eq!(
        update
            .check_scalar_keys(&bindings, KEYS)
            .unwrap_err()
            .message,
        message("sk")
    );
    // The target pk.x is a write: not this check's business.
    let mut request = RequestExpressions::new(None, values.as_ref()).unwrap();
    let update = request.update("SET pk.x = :v REMOVE sk[0]").unwrap();
    update.check_scalar_keys(&request.bindings(), KEYS).unwrap();

    let mut request = RequestExpressions::new(None, None).unwrap();
    let projection = request.projection("a, sk[1], pk.x").unwrap();
    assert_eq!(
        projection
            .check_scalar_keys(&request.bindings(), KEYS)
            .unwrap_err()
            .message,
        message("pk")
    );
}
