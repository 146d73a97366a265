//! Turning the JSON request body into typed input, with DynamoDB's split
//! between SerializationException (not JSON, or a member of the wrong JSON
//! type) and ValidationException (well-typed but invalid values).

use crate::error::{DynamoError, ErrorKind};
use crate::value::VALIDATION_TAG;
use crate::ValueLayer;
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

/// [`parse_input`], with attribute values read in `layer`'s rules.
pub fn parse_input_in<T: DeserializeOwned>(
    body: &[u8],
    layer: ValueLayer,
) -> Result<T, DynamoError> {
    crate::value::read_in(layer, || parse_input(body))
}

/// [`parse_input_in`] the current layer, for PutItem, UpdateItem and
/// DeleteItem: that layer reports a refused value inside Coral's envelope,
/// "1 validation error detected: <why>" (recorded from DynamoDB in four
/// Regions, 2026-10-09).
pub fn parse_single_write_input<T: DeserializeOwned>(body: &[u8]) -> Result<T, DynamoError> {
    parse_input_in(body, ValueLayer::Current).map_err(|mut e| {
        if e.kind == ErrorKind::Validation {
            e.message = format!("1 validation error detected: {}", e.message);
        }
        e
    })
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
    // A scalar where a list, a map or a structure belongs (the words of
    // Coral, which Athena gives too: measured 2026-09).
    let scalar = ["string ", "boolean ", "integer ", "floating point "]
        .iter()
        .any(|kind| found.starts_with(kind));
    if scalar {
        match wanted {
            "a sequence" | "a list of AttributeValues" => {
                return Some("Expected list or null".into())
            }
            "a map" | "a map of AttributeValues" => return Some("Expected map or null".into()),
            "an AttributeValue object" => return Some("Expected null".into()),
            w if w.starts_with("struct ") => return Some("Expected null".into()),
            _ => {}
        }
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

    #[test]
    fn scalars_where_collections_belong_are_worded_as_coral_words_them() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Collections {
            list: Option<Vec<String>>,
            map: Option<std::collections::HashMap<String, String>>,
            item: Option<Item>,
            nested: Option<Shape>,
        }
        let message = |body: &str| {
            let e = parse_input::<Collections>(body.as_bytes()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Serialization, "{body}");
            e.message
        };
        for (body, expected) in [
            (r#"{"list":"a"}"#, "Expected list or null"),
            (r#"{"list":5}"#, "Expected list or null"),
            (r#"{"map":true}"#, "Expected map or null"),
            (r#"{"item":"a"}"#, "Expected map or null"),
            (r#"{"item":{"a":{"SS":"a"}}}"#, "Expected list or null"),
            (r#"{"item":{"a":{"L":1.5}}}"#, "Expected list or null"),
            (r#"{"item":{"a":{"M":"x"}}}"#, "Expected map or null"),
            (r#"{"item":{"a":"x"}}"#, "Expected null"),
            (r#"{"nested":"x"}"#, "Expected null"),
            (
                r#"{"item":{"a":{"B":"YQ"}}}"#,
                "'YQ' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 2",
            ),
            (
                r#"{"item":{"a":{"B":"YQ!="}}}"#,
                "'YQ!=' can not be converted to a Blob: Invalid Base64 character: '!'",
            ),
            (
                r#"{"item":{"a":{"B":"YQ=a"}}}"#,
                "'YQ=a' can not be converted to a Blob: Invalid Base64 character: '='",
            ),
            (
                r#"{"item":{"a":{"B":"YR=="}}}"#,
                "'YR==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected",
            ),
        ] {
            assert_eq!(message(body), expected, "{body}");
        }
        assert!(parse_input::<Collections>(br#"{"item":{"a":{"B":"YQ=="}}}"#).is_ok());
    }
}
