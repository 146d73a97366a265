//! The shape of projected items: nested maps keep only selected keys,
//! lists keep selected elements in index order, missing paths contribute
//! nothing. Expected shapes recorded from DynamoDB Local (GetItem with a
//! ProjectionExpression). Also UPDATED_OLD/NEW-style projection of resolved
//! paths and AttributesToGet.

mod common;

use common::item;
use dynalith_expr::{
    project_attributes, project_document_paths, DocumentPath, PathStep, RequestExpressions,
};
use std::collections::HashMap;

const ITEM: &str = r#"{"pk":{"S":"k"},"l":{"L":[{"S":"a"},{"M":{"x":{"S":"1"},"y":{"S":"2"}}},
 {"L":[{"S":"p"},{"S":"q"}]}]},"m":{"M":{"x":{"S":"y"},"n":{"M":{"d":{"N":"1"}}}}},"s":{"S":"str"}}"#;

#[rustfmt::skip]
const ROWS: &[(&str, &str)] = &[
    ("l[2], l[0]", r#"{"l":{"L":[{"S":"a"},{"L":[{"S":"p"},{"S":"q"}]}]}}"#),
    ("l[1].y, l[0]", r#"{"l":{"L":[{"S":"a"},{"M":{"y":{"S":"2"}}}]}}"#),
    ("l[2][1], l[1].x", r#"{"l":{"L":[{"M":{"x":{"S":"1"}}},{"L":[{"S":"q"}]}]}}"#),
    ("l[5]", "{}"),
    ("l[5], s", r#"{"s":{"S":"str"}}"#),
    ("m.x, m.n.d", r#"{"m":{"M":{"x":{"S":"y"},"n":{"M":{"d":{"N":"1"}}}}}}"#),
    ("m.zz", "{}"),
    ("m.zz, s", r#"{"s":{"S":"str"}}"#),
    ("s[0]", "{}"),
    ("s.x", "{}"),
    ("l[1].zz", "{}"),
    ("m.n.d[0]", "{}"),
    ("pk, s", r#"{"s":{"S":"str"},"pk":{"S":"k"}}"#),
    ("nope", "{}"),
];

#[test]
fn matches_dynamodb() {
    let item = item(ITEM);
    for (expr, expected) in ROWS {
        let mut request = RequestExpressions::new(None, None).unwrap();
        let projection = request.projection(expr).unwrap();
        request.finish().unwrap();
        let got = projection.apply(&item, &request.bindings()).unwrap();
        assert_eq!(got, common::item(expected), "{expr}");
    }
}

#[test]
fn placeholders_resolve() {
    let item = item(ITEM);
    let names = HashMap::from([
        ("#a".to_string(), "m".to_string()),
        ("#b".to_string(), "x".to_string()),
    ]);
    let mut request = RequestExpressions::new(Some(&names), None).unwrap();
    let projection = request.projection("#a.#b").unwrap();
    request.finish().unwrap();
    let got = projection.apply(&item, &request.bindings()).unwrap();
    assert_eq!(got, common::item(r#"{"m":{"M":{"x":{"S":"y"}}}}"#));
    assert_eq!(
        projection.top_level_names(&request.bindings()).unwrap(),
        ["m"]
    );
}

#[test]
fn resolved_paths_and_attribute_names() {
    let item = item(ITEM);
    let paths = [
        DocumentPath {
            steps: vec![
                PathStep::Key("l".into()),
                PathStep::Index(2),
                PathStep::Index(0),
            ],
        },
        DocumentPath::attribute_path("s"),
        DocumentPath::attribute_path("missing"),
    ];
    assert_eq!(
        project_document_paths(&item, &paths),
        common::item(r#"{"l":{"L":[{"L":[{"S":"p"}]}]},"s":{"S":"str"}}"#)
    );
    assert_eq!(paths[0].to_string(), "l[2][0]");
    let names = vec!["s".to_string(), "nope".to_string(), "pk".to_string()];
    assert_eq!(
        project_attributes(&item, &names),
        common::item(r#"{"s":{"S":"str"},"pk":{"S":"k"}}"#)
    );
}
