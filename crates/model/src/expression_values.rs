//! `ExpressionAttributeValues` as DynamoDB reads it: the same checks as an
//! item's values; in the legacy layer an invalid value is reported with the
//! placeholder that holds it, "ExpressionAttributeValues contains invalid
//! value: <why> for key :v", in the current layer as an item's would be
//! ([`crate::ValueLayer`]).

use crate::attribute_names::{value_has_empty_name, EMPTY_ATTRIBUTE_NAME};
use crate::value::{AttributeValue, VALIDATION_TAG};
use serde::de::{self, MapAccess, Visitor};
use serde::Deserializer;
use std::collections::HashMap;
use std::fmt;

/// For `#[serde(default, deserialize_with = "...")]` on an input's
/// `expression_attribute_values`; JSON `null` is no map.
pub fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<HashMap<String, AttributeValue>>, D::Error> {
    deserializer.deserialize_option(OptionalValues)
}

struct OptionalValues;

impl<'de> Visitor<'de> for OptionalValues {
    type Value = Option<HashMap<String, AttributeValue>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of AttributeValues")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values = HashMap::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(key) = map.next_key::<String>()? {
            let value = map
                .next_value::<AttributeValue>()
                .map_err(|e| name_the_key(e, &key))?;
            if value_has_empty_name(&value) {
                return Err(de::Error::custom(format_args!(
                    "{VALIDATION_TAG}ExpressionAttributeValues contains invalid value: {EMPTY_ATTRIBUTE_NAME} for key {key}"
                )));
            }
            values.insert(key, value);
        }
        Ok(Some(values))
    }
}

/// Rewords a validation failure of the value at `key`; a malformed one
/// (a SerializationException) stays as it is, and so does every failure in
/// the current layer, which names no placeholder (recorded from DynamoDB,
/// 2026: PutItem, DeleteItem and Query refuse a bad number or a repeated
/// set member in a condition or filter value in the item's words).
fn name_the_key<E: de::Error + fmt::Display>(error: E, key: &str) -> E {
    if crate::value::reading_layer() == crate::ValueLayer::Current {
        return error;
    }
    let text = error.to_string();
    let Some(at) = text.find(VALIDATION_TAG) else {
        return error;
    };
    let why = &text[at + VALIDATION_TAG.len()..];
    // serde_json may already have appended the position.
    let why = why.rfind(" at line ").map_or(why, |end| &why[..end]);
    // "Input collection [a, a] contains duplicates." loses its full stop
    // before the suffix, as in DynamoDB's message.
    let why = why.strip_suffix('.').unwrap_or(why);
    E::custom(format_args!(
        "{VALIDATION_TAG}ExpressionAttributeValues contains invalid value: {why} for key {key}"
    ))
}

#[cfg(test)]
mod tests {
    use crate::error::ErrorKind;
    use crate::wire::parse_input;
    use crate::AttributeValue;
    use serde::Deserialize;
    use std::collections::HashMap;

    #[derive(Deserialize)]
    struct Input {
        #[serde(default, deserialize_with = "super::deserialize")]
        values: Option<HashMap<String, AttributeValue>>,
    }

    fn message(body: &str) -> (ErrorKind, String) {
        let e = parse_input::<Input>(body.as_bytes())
            .err()
            .expect("an error");
        (e.kind, e.message)
    }

    #[test]
    fn invalid_values_name_their_key() {
        let cases = [
            (
                r#"{"values":{":ok":{"S":"x"},":u":{"SS":[]}}}"#,
                "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :u",
            ),
            (
                r#"{"values":{":u":{"N":"abc"}}}"#,
                "ExpressionAttributeValues contains invalid value: The parameter cannot be converted to a numeric value: abc for key :u",
            ),
            (
                r#"{"values":{":u":{"SS":["a","a"]}}}"#,
                "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: Input collection [a, a] contains duplicates for key :u",
            ),
            (
                r#"{"values":{":v":{"L":[{"M":{"x":{}}}]}}}"#,
                "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :v",
            ),
            (
                r#"{"values":{":m":{"L":[{"M":{"":{"S":"x"}}}]}}}"#,
                "ExpressionAttributeValues contains invalid value: Empty attribute name for key :m",
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(
                message(body),
                (ErrorKind::Validation, expected.to_string()),
                "{body}"
            );
        }
    }

    #[test]
    fn the_current_layer_names_no_key() {
        let message = |body: &str| {
            crate::wire::parse_input_in::<Input>(body.as_bytes(), crate::ValueLayer::Current)
                .err()
                .expect("an error")
                .message
        };
        assert_eq!(
            message(r#"{"values":{":u":{"N":"abc"}}}"#),
            "The parameter cannot be converted to a numeric value: abc"
        );
        assert_eq!(
            message(r#"{"values":{":u":{"SS":["b","a","b"]}}}"#),
            "One or more parameter values were invalid: Input collection [\"a\", \"b\", \"b\"] contains duplicates."
        );
    }

    #[test]
    fn malformed_values_stay_serialization_errors() {
        assert_eq!(
            message(r#"{"values":{":u":{"S":5}}}"#).0,
            ErrorKind::Serialization
        );
        assert_eq!(message(r#"{"values":[1]}"#).0, ErrorKind::Serialization);
    }

    #[test]
    fn null_or_missing_is_no_map() {
        for body in [r#"{"values":null}"#, "{}"] {
            let input = parse_input::<Input>(body.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
            assert!(input.values.is_none());
        }
        let input = parse_input::<Input>(br#"{"values":{":a":{"N":"1"}}}"#)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(input.values.map(|v| v.len()), Some(1));
    }
}
