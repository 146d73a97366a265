//! Integer and Long members (`Limit`, `Segment`, `ReadCapacityUnits`, ...)
//! read as DynamoDB's JSON protocol reads them.
//!
//! A JSON number with a fraction or an exponent (`2.5`, `1e1`) is taken,
//! truncated toward zero as a Java cast truncates: DynamoDB Local answers
//! `"Limit": 2.5` with two items and `1e1` as ten, and dynalite, written
//! against DynamoDB, floors such numbers the same way for every Integer and
//! Long member. The JavaScript SDK sends whatever number an application
//! computed (`Limit: pageSize / 2`), so that request runs rather than
//! failing with a SerializationException. A fraction that truncates below
//! a member's minimum meets the member's own constraint ("Value '0' at
//! 'limit' failed to satisfy constraint: ..."), as the whole number would.
//! Anything but a number keeps serde's "expected i64", which
//! [`crate::wire::json_error`] words as Coral does ("STRING_VALUE can not
//! be converted to an Integer").

use serde::de::{self, Deserializer, Unexpected, Visitor};
use std::fmt;

/// For `#[serde(default, deserialize_with = "...")]` on an `Option<i64>`
/// member of a request; JSON `null` is no value.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    deserializer.deserialize_option(OptionalInteger)
}

struct OptionalInteger;

impl<'de> Visitor<'de> for OptionalInteger {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        // The words `wire::json_error` turns into "... to an Integer".
        f.write_str("i64")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_i64(self)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v)
            .map(Some)
            .map_err(|_| E::invalid_value(Unexpected::Unsigned(v), &self))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        let whole = v.trunc();
        // `i64::MAX as f64` rounds up to 2^63, which does not fit.
        if whole.is_finite() && whole >= i64::MIN as f64 && whole < i64::MAX as f64 {
            Ok(Some(whole as i64))
        } else {
            Err(E::invalid_type(Unexpected::Float(v), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::error::ErrorKind;
    use crate::wire::parse_input;

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        #[serde(default, deserialize_with = "super::deserialize")]
        limit: Option<i64>,
    }

    fn limit(body: &str) -> Option<i64> {
        parse_input::<Input>(body.as_bytes()).unwrap().limit
    }

    #[test]
    fn whole_numbers_and_null_read_as_they_are() {
        assert_eq!(limit(r#"{"Limit":7}"#), Some(7));
        assert_eq!(limit(r#"{"Limit":-3}"#), Some(-3));
        assert_eq!(limit(r#"{"Limit":null}"#), None);
        assert_eq!(limit("{}"), None);
        assert_eq!(limit(r#"{"Limit":99999999999}"#), Some(99_999_999_999));
    }

    #[test]
    fn fractions_and_exponents_truncate_toward_zero() {
        assert_eq!(limit(r#"{"Limit":2.5}"#), Some(2));
        assert_eq!(limit(r#"{"Limit":2.0}"#), Some(2));
        assert_eq!(limit(r#"{"Limit":0.9}"#), Some(0));
        assert_eq!(limit(r#"{"Limit":-1.5}"#), Some(-1));
        assert_eq!(limit(r#"{"Limit":1e1}"#), Some(10));
        assert_eq!(limit(r#"{"Limit":1E0}"#), Some(1));
        assert_eq!(limit(r#"{"Limit":1.0e-5}"#), Some(0));
        // As a double, the nearest value is 4.
        assert_eq!(limit(r#"{"Limit":3.99999999999999999999}"#), Some(4));
    }

    #[test]
    fn what_is_no_number_or_no_64_bit_integer_is_refused_in_corals_words() {
        for (body, message) in [
            (
                r#"{"Limit":"2"}"#,
                "STRING_VALUE can not be converted to an Integer",
            ),
            (
                r#"{"Limit":true}"#,
                "TRUE_VALUE can not be converted to an Integer",
            ),
            (
                r#"{"Limit":1e300}"#,
                "NUMBER_VALUE can not be converted to an Integer",
            ),
            (r#"{"Limit":[1]}"#, "Start of list found where not expected"),
        ] {
            let e = parse_input::<Input>(body.as_bytes()).unwrap_err();
            assert_eq!(e.kind, ErrorKind::Serialization, "{body}");
            assert_eq!(e.message, message, "{body}");
        }
        let e = parse_input::<Input>(br#"{"Limit":18446744073709551615}"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Serialization);
    }
}
