//! Turning the JSON request body into typed input, with DynamoDB's split
//! between SerializationException (not JSON, or a member of the wrong JSON
//! type) and ValidationException (well-typed but invalid values).

use crate::error::DynamoError;
use crate::value::VALIDATION_TAG;
use serde::de::DeserializeOwned;

/// Parses a request body into an operation's input type.
pub fn parse_input<T: DeserializeOwned>(body: &[u8]) -> Result<T, DynamoError> {
    // serde's derived structs also accept an array of their fields in
    // order; a request is a JSON object or nothing DynamoDB accepts.
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(DynamoError::serialization(
            "Start of list found where not expected",
        ));
    }
    serde_json::from_slice(body).map_err(|e| json_error(&e))
}

/// Classifies a serde_json error the way DynamoDB would report it.
pub fn json_error(error: &serde_json::Error) -> DynamoError {
    let text = error.to_string();
    // serde_json appends " at line L column C", which DynamoDB never says.
    let message = match text.rfind(" at line ") {
        Some(at) => &text[..at],
        None => &text,
    };
    match message.find(VALIDATION_TAG) {
        Some(at) => DynamoError::validation(&message[at + VALIDATION_TAG.len()..]),
        None => DynamoError::serialization(coral_wording(message).as_deref().unwrap_or(message)),
    }
}

/// serde's "invalid type: <found>, expected <wanted>" in the words AWS's
/// JSON services use for a member of the wrong JSON type (recorded from
/// AWS services in 2026: "STRING_VALUE can not be converted to an Integer",
/// "TRUE_VALUE ...", "NUMBER_VALUE can not be converted to a String",
/// "Start of list found where not expected", "Start of structure or map
/// found where not expected."). None when the pair is not one of those.
fn coral_wording(message: &str) -> Option<String> {
    let rest = message.strip_prefix("invalid type: ")?;
    let (found, wanted) = rest.rsplit_once(", expected ")?;
    if found == "sequence" {
        return Some("Start of list found where not expected".into());
    }
    if found == "map" {
        return Some("Start of structure or map found where not expected.".into());
    }
    let target = match wanted {
        "a string" => "a String",
        "a boolean" => "a Boolean",
        // serde names Rust's integer types: i64, u32, ...
        w if w.len() > 1
            && (w.starts_with('i') || w.starts_with('u'))
            && w[1..].chars().all(|c| c.is_ascii_digit()) =>
        {
            "an Integer"
        }
        _ => return None,
    };
    let value = if found.starts_with("string ") {
        "STRING_VALUE"
    } else if found == "boolean `true`" {
        "TRUE_VALUE"
    } else if found == "boolean `false`" {
        "FALSE_VALUE"
    } else if found.starts_with("integer ") || found.starts_with("floating point ") {
        "NUMBER_VALUE"
    } else {
        return None;
    };
    Some(format!("{value} can not be converted to {target}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::value::Item;

    #[test]
    fn a_request_that_is_an_array_is_refused() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Input {
            table_name: Option<String>,
        }
        let e = parse_input::<Input>(b" [\"t\"]").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Serialization);
        assert_eq!(e.message, "Start of list found where not expected");
        assert!(parse_input::<Input>(b" {}").is_ok());
    }

    #[test]
    fn classifies_errors() {
        let e = parse_input::<Item>(b"{not json").unwrap_err();
        assert_eq!(e.kind, ErrorKind::Serialization);
        let e = parse_input::<Item>(br#"{"a":{"NULL":false}}"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Validation);
        assert_eq!(
            e.message,
            "One or more parameter values were invalid: Null attribute value types must have the value of true"
        );
        let e = parse_input::<Item>(br#"{"a":{"S":5}}"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Serialization);
        assert_eq!(e.message, "NUMBER_VALUE can not be converted to a String");
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Shape {
        limit: Option<i64>,
        name: Option<String>,
        flag: Option<bool>,
    }

    #[test]
    fn wrong_json_types_are_worded_as_aws_words_them() {
        let message = |body: &str| {
            let e = parse_input::<Shape>(body.as_bytes()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Serialization);
            e.message
        };
        for (body, expected) in [
            (
                r#"{"limit":"2"}"#,
                "STRING_VALUE can not be converted to an Integer",
            ),
            (
                r#"{"limit":true}"#,
                "TRUE_VALUE can not be converted to an Integer",
            ),
            (r#"{"limit":[1]}"#, "Start of list found where not expected"),
            (
                r#"{"limit":{}}"#,
                "Start of structure or map found where not expected.",
            ),
            (
                r#"{"name":5}"#,
                "NUMBER_VALUE can not be converted to a String",
            ),
            (
                r#"{"name":false}"#,
                "FALSE_VALUE can not be converted to a String",
            ),
            (
                r#"{"flag":"true"}"#,
                "STRING_VALUE can not be converted to a Boolean",
            ),
            (
                r#"{"flag":1}"#,
                "NUMBER_VALUE can not be converted to a Boolean",
            ),
        ] {
            assert_eq!(message(body), expected, "{body}");
        }
    }
}
