//! Turning the JSON request body into typed input, with DynamoDB's split
//! between SerializationException (not JSON, or a member of the wrong JSON
//! type) and ValidationException (well-typed but invalid values).

use crate::error::DynamoError;
use crate::value::VALIDATION_TAG;
use serde::de::DeserializeOwned;

/// Parses a request body into an operation's input type.
pub fn parse_input<T: DeserializeOwned>(body: &[u8]) -> Result<T, DynamoError> {
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
        None => DynamoError::serialization(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::value::Item;

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
    }
}
