//! DynamoDB's rule that an attribute name is at least one character long,
//! a map's keys included ("Naming rules" in the Developer Guide). It is a
//! rule of requests, not of values: items stored before it was checked
//! still read back, so it is applied where a request names attributes
//! (items to write, expression values, legacy parameters), not when a
//! value is deserialized.

use crate::{AttributeValue, DynamoError};

/// DynamoDB's (and DynamoDB Local's) message for an empty attribute name
/// anywhere in an item or a value.
pub const EMPTY_ATTRIBUTE_NAME: &str = "Empty attribute name";

/// Whether any of these attributes, or any map nested in their values, has
/// an empty name.
pub fn has_empty_name<'a>(
    attributes: impl IntoIterator<Item = (&'a String, &'a AttributeValue)>,
) -> bool {
    attributes
        .into_iter()
        .any(|(name, value)| name.is_empty() || value_has_empty_name(value))
}

/// Whether a map nested anywhere in `value` has an empty key.
pub fn value_has_empty_name(value: &AttributeValue) -> bool {
    match value {
        AttributeValue::M(map) => has_empty_name(map),
        AttributeValue::L(list) => list.iter().any(value_has_empty_name),
        _ => false,
    }
}

/// Refuses attributes of a request with an empty name at any depth.
pub fn check<'a>(
    attributes: impl IntoIterator<Item = (&'a String, &'a AttributeValue)>,
) -> Result<(), DynamoError> {
    if has_empty_name(attributes) {
        return Err(DynamoError::validation(EMPTY_ATTRIBUTE_NAME));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Item;

    fn item(json: &str) -> Item {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn finds_empty_names_at_any_depth() {
        assert!(!has_empty_name(&item(
            r#"{"a":{"S":""},"b":{"M":{"c":{"L":[{"M":{"d":{"NULL":true}}}]}}}}"#
        )));
        assert!(has_empty_name(&item(r#"{"":{"S":"x"}}"#)));
        assert!(has_empty_name(&item(r#"{"a":{"M":{"":{"S":"x"}}}}"#)));
        assert!(has_empty_name(&item(
            r#"{"a":{"L":[{"N":"1"},{"M":{"b":{"M":{"":{"BOOL":true}}}}}]}}"#
        )));
    }

    #[test]
    fn check_words_it_as_dynamodb_does() {
        let error = check(&item(r#"{"a":{"M":{"":{"S":"x"}}}}"#)).unwrap_err();
        assert_eq!(error.kind, crate::ErrorKind::Validation);
        assert_eq!(error.message, EMPTY_ATTRIBUTE_NAME);
        assert!(check(&item(r#"{"a":{"M":{"b":{"S":""}}}}"#)).is_ok());
    }
}
