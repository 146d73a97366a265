//! Ion literals (`` `...` ``), PartiQL's escape to Amazon Ion's text form.
//! DynamoDB parses them and refuses each, naming its Ion type, where it
//! sits in the value and its place in the statement: "Ion Literals are not
//! supported: SYMBOL under key root at 1:44:6" (DynamoDB Local's words, its
//! PartiQL layer being DynamoDB's). Only the type is read here, from the
//! literal's first characters, as Ion's text grammar tells the types apart.

/// The Ion type of the literal `text` (what is between the backticks), in
/// Ion's words.
pub(super) fn ion_type(text: &str) -> String {
    let value = strip_annotations(text.trim());
    if let Some(inner) = value.strip_prefix("{{") {
        let inner = inner.trim_start();
        return if inner.starts_with('"') || inner.starts_with("'''") {
            "CLOB".into()
        } else {
            "BLOB".into()
        };
    }
    let first = value.chars().next();
    match first {
        Some('{') => return "STRUCT".into(),
        Some('[') => return "LIST".into(),
        Some('(') => return "SEXP".into(),
        Some('"') => return "STRING".into(),
        Some('\'') if value.starts_with("'''") => return "STRING".into(),
        Some('\'') => return "SYMBOL".into(),
        _ => {}
    }
    match value {
        "null" => return "NULL".into(),
        "true" | "false" => return "BOOL".into(),
        "nan" | "+inf" | "-inf" => return "FLOAT".into(),
        _ => {}
    }
    // `null.int`: a null of that type.
    if let Some(of) = value.strip_prefix("null.") {
        return of.to_ascii_uppercase();
    }
    let digits = value.strip_prefix('-').unwrap_or(value);
    if !digits.starts_with(|c: char| c.is_ascii_digit()) {
        return "SYMBOL".into();
    }
    let bytes = digits.as_bytes();
    let is_timestamp = bytes.len() > 4
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && matches!(bytes[4], b'-' | b'T');
    let radix = digits.starts_with("0x")
        || digits.starts_with("0X")
        || digits.starts_with("0b")
        || digits.starts_with("0B");
    if is_timestamp {
        "TIMESTAMP"
    } else if radix {
        "INT"
    } else if digits.contains(['e', 'E']) {
        "FLOAT"
    } else if digits.contains(['.', 'd', 'D']) {
        "DECIMAL"
    } else {
        "INT"
    }
    .into()
}

/// The value after any `annotation::` prefixes.
fn strip_annotations(mut value: &str) -> &str {
    while let Some((annotation, rest)) = value.split_once("::") {
        let annotation = annotation.trim();
        let is_symbol = annotation
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
            || (annotation.starts_with('\'') && annotation.ends_with('\'') && annotation.len() > 1);
        if !is_symbol || annotation.is_empty() {
            break;
        }
        value = rest.trim_start();
    }
    value
}

#[cfg(test)]
mod tests {
    use super::ion_type;

    fn message(text: &str) -> String {
        super::super::parse(text).unwrap_err().message
    }

    #[test]
    fn an_ion_literal_is_refused_once_the_statement_parses() {
        let refused = "Ion Literals are not supported: SYMBOL under key root at 1:27:3";
        assert_eq!(message("SELECT * FROM t WHERE k = `p`"), refused);
        // After a syntax error anywhere, ahead of what it meets after it.
        assert_eq!(
            message("SELECT * FROM t WHERE k = `p` AND"),
            "Statement wasn't well formed, can't be processed: Missing right-hand side expression of infix operator"
        );
        assert_eq!(
            message("SELECT * FROM t WHERE k = `p` AND v IS INT"),
            refused
        );
        assert_eq!(
            message("SELECT * FROM t WHERE v = 1e126 AND k = `p`"),
            "Number overflow. Attempting to store a number with magnitude larger than supported range under root"
        );
    }

    #[test]
    fn reads_the_type_of_each_kind_of_literal() {
        for (text, expected) in [
            ("str1", "SYMBOL"),
            ("'sym'", "SYMBOL"),
            ("\"str1\"", "STRING"),
            ("'''long'''", "STRING"),
            ("10", "INT"),
            ("-10", "INT"),
            ("0x1F", "INT"),
            ("1.5", "DECIMAL"),
            ("1d0", "DECIMAL"),
            ("1e0", "FLOAT"),
            ("nan", "FLOAT"),
            ("true", "BOOL"),
            ("null", "NULL"),
            ("null.int", "INT"),
            ("{a: 1}", "STRUCT"),
            ("[1, 2]", "LIST"),
            ("(a b)", "SEXP"),
            ("{{aGVsbG8=}}", "BLOB"),
            ("{{\"clob\"}}", "CLOB"),
            ("2020-01-01T", "TIMESTAMP"),
            ("2020T", "TIMESTAMP"),
            ("tag::1.5", "DECIMAL"),
        ] {
            assert_eq!(ion_type(text), expected, "{text}");
        }
    }
}
