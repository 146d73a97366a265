use super::*;
use dynalith_model::Number;

#[test]
fn parses_the_four_statements() {
    let select = parse(r#"SELECT "name", a.b[2] FROM "MyTable"."byG" WHERE "PK" = 'U#1' AND begins_with(SK, ?) ORDER BY SK DESC"#).unwrap();
    let Statement::Select {
        projection,
        table,
        index,
        condition,
        order_by,
    } = select
    else {
        panic!("not a select");
    };
    assert_eq!(table, "MyTable");
    assert_eq!(index.as_deref(), Some("byG"));
    assert_eq!(
        order_by,
        vec![OrderKey {
            path: vec![Step::Name("SK".into())],
            descending: true
        }]
    );
    assert_eq!(
        projection.unwrap()[1],
        vec![
            Step::Name("a".into()),
            Step::Name("b".into()),
            Step::Index(2)
        ]
    );
    assert!(matches!(condition, Some(Expr::And(..))));

    let insert = parse(
        "insert into t VALUE {'PK': 'a', 'n': -1.5e3, 's': <<'x','y'>>, 'l': [1, true, null]}",
    )
    .unwrap();
    let Statement::Insert { item, .. } = insert else {
        panic!("not an insert");
    };
    let AttributeValue::M(item) = value_of(&item, &[]).unwrap() else {
        panic!("not a map");
    };
    assert_eq!(
        item["n"],
        AttributeValue::N(Number::parse("-1500").unwrap())
    );
    assert_eq!(item["s"], AttributeValue::Ss(vec!["x".into(), "y".into()]));

    let update = parse("UPDATE t SET n = n + 1, m.x = ? REMOVE gone WHERE PK = 'a' AND SK = 'b' RETURNING ALL NEW *").unwrap();
    assert!(matches!(
        update,
        Statement::Update {
            returning: Some(Returning::AllNew),
            ..
        }
    ));
    let delete = parse("DELETE FROM t WHERE PK = 'a' AND x IS NOT MISSING").unwrap();
    assert!(matches!(
        delete,
        Statement::Delete {
            returning: None,
            ..
        }
    ));
}

#[test]
fn quotes_escape_themselves() {
    let Statement::Insert { item, .. } =
        parse(r#"INSERT INTO "my""t" VALUE {'k': 'it''s'}"#).unwrap()
    else {
        panic!("not an insert");
    };
    let AttributeValue::M(item) = value_of(&item, &[]).unwrap() else {
        panic!("not a map");
    };
    assert_eq!(item["k"], AttributeValue::S("it's".into()));
}

#[test]
fn refuses_deep_nesting_without_exhausting_the_stack() {
    for (open, close) in [("(", ")"), ("NOT ", ""), ("size(", ")")] {
        let text = format!(
            "SELECT * FROM t WHERE {}a = 1{}",
            open.repeat(5000),
            close.repeat(5000)
        );
        assert!(parse(&text).is_err(), "{open}");
    }
    let text = format!(
        "INSERT INTO t VALUE {}1{}",
        "{'a': ".repeat(5000),
        "}".repeat(5000)
    );
    assert!(parse(&text).is_err());
    let text = format!(
        "INSERT INTO t VALUE {{'a': {}1{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(parse(&text).is_err());
    // Within the limit it parses.
    let text = format!(
        "SELECT * FROM t WHERE {}a = 1{}",
        "(".repeat(60),
        ")".repeat(60)
    );
    assert!(parse(&text).is_ok());
}

#[test]
fn a_number_may_start_with_its_point() {
    let Statement::Select {
        condition: Some(Expr::Compare(left, _, right)),
        ..
    } = parse("SELECT * FROM t WHERE a.b = .5").unwrap()
    else {
        panic!("not a comparison");
    };
    assert_eq!(
        *left,
        Expr::Path(vec![Step::Name("a".into()), Step::Name("b".into())])
    );
    assert!(matches!(*right, Expr::Value(AttributeValue::N(_))));
    // After a list index, a point goes on with the path.
    assert!(parse("SELECT * FROM t WHERE l[0].x = 1").is_ok());
}

#[test]
fn parses_exists_and_a_closing_semicolon() {
    let Statement::Exists(select) =
        parse("exists (SELECT * FROM t WHERE a = 1 AND b = 2);").unwrap()
    else {
        panic!("not an EXISTS");
    };
    assert!(matches!(*select, Statement::Select { .. }));
    // A write without WHERE names no item: DynamoDB's message for that.
    for text in ["DELETE FROM t", "UPDATE t SET a = 1"] {
        assert_eq!(parse(text).unwrap_err().message, no_whole_key().message);
    }
}

#[test]
fn gives_dynamodbs_messages_and_positions() {
    let message = |text: &str| parse(text).unwrap_err().message;
    assert_eq!(
        message("SELECT * FROM t WHERE k = 'a'\n  LIMIT 5"),
        "Unsupported clause: LIMIT at 2:9:1"
    );
    assert_eq!(
        message("SELECT a, size(b) FROM t"),
        "Unexpected path component at 1:11:4"
    );
    assert_eq!(
        message("SELECT a + 1 FROM t"),
        "Unexpected path component at 1:10:1"
    );
    assert_eq!(
        message("SELECT 'x' FROM t"),
        "Unexpected path component at 1:8:3"
    );
    assert_eq!(
        message("SELECT missing FROM t"),
        "Unexpected path component at 1:8:7"
    );
    assert_eq!(
        message("SELECT * FROM t WHERE k = 'a' AND l[1.5] = 1"),
        "Unexpected path component at 1:37:3"
    );
    assert_eq!(
        message("SELECT * FROM t WHERE k = 'a' AND l[-1] = 1"),
        "List index is not within the allowable range; index: [-1] at 1:38:1"
    );
    assert_eq!(
        message("SELECT * FROM t WHERE upper(a) = 'A'"),
        "Unrecognized function: upper at 1:23:5"
    );
    assert_eq!(
        message("SELECT * FROM t WHERE exists(a)"),
        "Unrecognized function: exists at 1:23:6"
    );
    assert_eq!(message("SELECT a AS b FROM t"), "Aliasing is not supported");
    assert_eq!(message("SELECT * FROM t AS x"), "Aliasing is not supported");
    assert_eq!(
        message("SELECT * FROM t x WHERE k = 1"),
        "Aliasing is not supported"
    );
    assert_eq!(
        message("SELECT DISTINCT a FROM t"),
        "Unsupported token in expression: DISTINCT"
    );
    assert_eq!(
        message("SELECT * FROM t GROUP BY a"),
        "Unsupported clause: GROUP BY"
    );
    // Quoted, a reserved word is a name like any other.
    assert!(parse(r#"SELECT "value", "date" FROM "table" WHERE "count" = 1"#).is_ok());
}

#[test]
fn a_where_clause_is_a_condition_throughout() {
    let message = |text: &str| parse(text).unwrap_err().message;
    assert_eq!(
        message("SELECT * FROM t WHERE b"),
        "WHERE clause must contain an expression that resolves to a boolean"
    );
    assert_eq!(
        message("SELECT * FROM t WHERE k = 1 AND b"),
        "The arguments to AND/OR must be Expressions"
    );
    assert_eq!(
        message("DELETE FROM t WHERE (k = 1) OR 'x'"),
        "The arguments to AND/OR must be Expressions"
    );
    assert_eq!(
        message("SELECT * FROM t WHERE k = 1 AND NOT m.a"),
        "The argument to NOT must be a Type or Expression"
    );
    assert_eq!(
            message("UPDATE t SET a = 1 WHERE k = 1 AND size(s)"),
            "Incorrect operand type for operator or function; operator or function: AND, operand type: N"
        );
    assert_eq!(
        message("SELECT * FROM t WHERE k = 1 AND size(s) IS NULL"),
        "The left hand side argument to IS must be a Variable Reference, Literal, or Path"
    );
    assert_eq!(
        message("SELECT * FROM t WHERE k = 1 AND 1 IS NOT MISSING"),
        "Operator or function requires a document path; operator or function: attribute_exists"
    );
    assert!(parse("SELECT * FROM t WHERE NOT (contains(s, 'a') OR begins_with(s, 'b'))").is_ok());
    // Writes name a table, never an index.
    assert_eq!(
        message(r#"UPDATE "t"."i" SET a = 1 WHERE k = 1"#),
        "This operation is not supported on an index"
    );
    assert_eq!(
        message(r#"DELETE FROM t.i WHERE k = 1"#),
        "This operation is not supported on an index"
    );
    assert_eq!(
        message(r#"INSERT INTO t.i VALUE {'k': 1}"#),
        "FROM clause may only contain a single table name in data manipulation statements"
    );
}

#[test]
fn refuses_unpivots_and_partial_returning_clauses() {
    let message = |text: &str| parse(text).unwrap_err().message;
    assert_eq!(
        message("SELECT k, m.* FROM t"),
        "Changing item's hierarchy while reading isn't supported"
    );
    assert_eq!(
        message("SELECT * FROM t WHERE m.* = 1"),
        "Unpivot path component like a.*.b are not supported at 1:25:1"
    );
    assert_eq!(
        message("UPDATE t SET v = 1 WHERE k = 1 RETURNING ALL OLD v"),
        "Expected '*' after ( MODIFIED | ALL ) ( NEW | OLD ) in RETURNING clause"
    );
    assert_eq!(
        message("SLECT * FROM t"),
        "Statement wasn't well formed, can't be processed: Expected data manipulation"
    );
}

#[test]
fn brackets_name_map_keys_as_dots_do() {
    let Statement::Select {
        condition: Some(Expr::Compare(left, ..)),
        ..
    } = parse(r#"SELECT * FROM t WHERE a['b']["c"][0] = 1"#).unwrap()
    else {
        panic!("not a comparison");
    };
    assert_eq!(
        *left,
        Expr::Path(vec![
            Step::Name("a".into()),
            Step::Name("b".into()),
            Step::Name("c".into()),
            Step::Index(0)
        ])
    );
}

/// PartiQL's parser's words as DynamoDB passes them on (recorded from
/// DynamoDB, eu-west-2, 2026-10, by the paritysuite conformance suite).
#[test]
fn refuses_in_partiqls_parser_words() {
    let malformed = |detail: &str| format!("{MALFORMED}{detail}");
    let cases = [
        (
            "SELECT * FROM t WHERE k = 1 foo",
            malformed("Unexpected token after expression"),
        ),
        (
            "SELECT * FROM t WHERE k = 1)",
            malformed("Unexpected token after expression"),
        ),
        (
            "DELETE FROM t WHERE k = 1 ORDER BY k",
            malformed("Unexpected token after expression"),
        ),
        (
            "SELECT * FROM t ORDER BY k WHERE k = 1",
            malformed("Unexpected token after expression"),
        ),
        (
            "INSERT INTO t x VALUE {'k': 1}",
            malformed("Unexpected token after expression"),
        ),
        (
            "FROM t SET c = 1 WHERE k = 1",
            malformed("Unexpected token after expression"),
        ),
        ("SELECT * FROM t WHERE k = 1 # note", malformed("")),
        ("SELECT * FROM t WHERE k = 1 /* note", malformed("")),
        ("SELECT * FROM t WHERE", malformed("Unexpected term")),
        ("SELECT * FROM t WHERE;", malformed("Unexpected term")),
        ("SELECT * FROM t WHERE NOT", malformed("Unexpected term")),
        ("SELECT * FROM t WHERE (", malformed("Unexpected term")),
        ("UPDATE t SET a = 1 WHERE", malformed("Unexpected term")),
        ("SELECT * FROM", malformed("Unexpected term")),
        (
            "SELECT * FROM t WHERE k = 1 AND",
            malformed("Missing right-hand side expression of infix operator"),
        ),
        (
            "SELECT * FROM t WHERE k = 1 OR",
            malformed("Missing right-hand side expression of infix operator"),
        ),
        (
            "SELECT * FROM t WHERE ORDER BY k",
            malformed("Unexpected keyword"),
        ),
        (
            "SELECT * FROM t WHERE IS NULL",
            malformed("Unexpected operator"),
        ),
        (
            "SELECT * FROM t WHERE k = LIKE",
            malformed("Unexpected operator"),
        ),
        (
            "DELETE FROM",
            malformed("Expected identifier for simple path"),
        ),
        (
            "DELETE FROM;",
            malformed("Expected identifier for simple path"),
        ),
        (
            "DELETE FROM WHERE k = 1",
            malformed("Expected identifier for simple path"),
        ),
        (
            "UPDATE t x SET a = 3 WHERE k = 1",
            "Aliasing is not supported".to_string(),
        ),
        (
            "DELETE FROM t x WHERE k = 1",
            "Aliasing is not supported".to_string(),
        ),
        ("FROM t SET c = 1", super::no_whole_key().message),
        ("FROM t REMOVE a", super::no_whole_key().message),
    ];
    for (text, expected) in cases {
        assert_eq!(parse(text).unwrap_err().message, expected, "{text}");
    }
}

#[test]
fn from_first_updates_and_comments_parse() {
    let update = |text: &str| match parse(text).unwrap() {
        Statement::Update {
            table,
            set,
            remove,
            condition,
            returning,
        } => (
            table,
            set.len(),
            remove.len(),
            format!("{condition:?}"),
            returning,
        ),
        other => panic!("{text}: {other:?}"),
    };
    let (table, set, remove, condition, returning) =
        update("from t where k = ? set c = ?, d = 1 remove e returning all new *");
    assert_eq!(
        (table.as_str(), set, remove, returning),
        ("t", 2, 1, Some(Returning::AllNew))
    );
    // Parameters are numbered in the order they are written.
    assert!(condition.contains("Parameter(0)"), "{condition}");
    assert_eq!(
        update("FROM t WHERE k = 1 REMOVE a SET c = 2"),
        update("UPDATE t REMOVE a SET c = 2 WHERE k = 1")
    );
    for text in [
        "-- a note\nSELECT * FROM t WHERE k = 'a'",
        "SELECT * FROM t -- a note\nWHERE k = 'a'",
        "SELECT * FROM t /* a\nnote */ WHERE k = 'a' /* end */",
    ] {
        let Statement::Select { condition, .. } = parse(text).unwrap() else {
            panic!("{text}");
        };
        assert!(condition.is_some(), "{text}");
    }
}

#[test]
fn refuses_what_is_not_a_statement() {
    for text in [
        "SELEC * FROM t",
        "SELECT * FROM",
        "SELECT * FROM t WHERE",
        "UPDATE t WHERE a = 1",
        "INSERT INTO t VALUE {'a': 1",
        "EXISTS(SELECT * FROM t WHERE a = 1",
        "EXISTS(DELETE FROM t WHERE a = 1)",
        "SELECT * FROM t; extra",
        "SELECT * FROM t WHERE value = 1",
        "UPDATE t SET a.date = 1 WHERE k = 1",
        "SELECT * FROM t WHERE a = 1 LIMIT 1 OFFSET 1",
        "SELECT * FROM t WHERE a = 'open",
        "SELECT * FROM t WHERE a ~ 1",
    ] {
        let e = parse(text).unwrap_err();
        assert!(
            e.message
                .starts_with("Statement wasn't well formed, can't be processed"),
            "{text}: {}",
            e.message
        );
    }
}
