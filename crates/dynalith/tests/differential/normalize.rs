//! Comparable forms of what two servers answer: items as JSON with sets
//! sorted and numbers compared by value (DynamoDB Local keeps numbers
//! nested in maps and lists as sent, dynalith normalizes them), and the
//! outcome of a request as a class, a message and the attributes returned.

use aws_sdk_dynamodb::types::AttributeValue as Av;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::HashMap;

/// An exact decimal in canonical form: `0.d1d2… × 10^exponent`, digits
/// without leading or trailing zeros (empty for zero, which has no sign).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    digits: Vec<u8>,
    exponent: i64,
}

impl Decimal {
    pub fn parse(text: &str) -> Option<Decimal> {
        let (negative, rest) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (mantissa, exp) = match rest.find(['e', 'E']) {
            Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().ok()?),
            None => (rest, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let mut exponent = exp + int.len() as i64;
        while digits.first() == Some(&0) {
            digits.remove(0);
            exponent -= 1;
        }
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    fn canonical(&self) -> String {
        if self.digits.is_empty() {
            return "0".into();
        }
        let digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        format!(
            "{}0.{digits}e{}",
            if self.negative { "-" } else { "" },
            self.exponent
        )
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |d: &Decimal| {
            if d.digits.is_empty() {
                0
            } else if d.negative {
                -1
            } else {
                1
            }
        };
        let by_sign = sign(self).cmp(&sign(other));
        if by_sign != Ordering::Equal || sign(self) == 0 {
            return by_sign;
        }
        let magnitude = self
            .exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits));
        if self.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn number(text: &str) -> String {
    Decimal::parse(text).map_or_else(|| format!("unparsable {text:?}"), |d| d.canonical())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sorted(mut members: Vec<String>) -> Value {
    members.sort();
    Value::from(members)
}

/// An item in a form where equal items are equal JSON.
pub fn canonical_item(item: &HashMap<String, Av>) -> Value {
    item_json(item, true)
}

/// A value as sent (numbers as written, sets in order), for reports.
pub fn raw(value: &Av) -> Value {
    to_json(value, false)
}

pub fn raw_item(item: &HashMap<String, Av>) -> Value {
    item_json(item, false)
}

fn item_json(item: &HashMap<String, Av>, canon: bool) -> Value {
    Value::Object(
        item.iter()
            .map(|(k, v)| (k.clone(), to_json(v, canon)))
            .collect::<Map<_, _>>(),
    )
}

fn to_json(value: &Av, canon: bool) -> Value {
    let num = |n: &String| if canon { number(n) } else { n.clone() };
    let set = |members: Vec<String>| {
        if canon {
            sorted(members)
        } else {
            Value::from(members)
        }
    };
    match value {
        Av::S(s) => json!({ "S": s }),
        Av::N(n) => json!({ "N": num(n) }),
        Av::B(b) => json!({ "B": hex(b.as_ref()) }),
        Av::Bool(b) => json!({ "BOOL": b }),
        Av::Null(b) => json!({ "NULL": b }),
        Av::Ss(members) => json!({ "SS": set(members.clone()) }),
        Av::Ns(members) => json!({ "NS": set(members.iter().map(num).collect()) }),
        Av::Bs(members) => json!({ "BS": set(members.iter().map(|b| hex(b.as_ref())).collect()) }),
        Av::L(list) => json!({ "L": list.iter().map(|v| to_json(v, canon)).collect::<Vec<_>>() }),
        Av::M(map) => json!({ "M": item_json(map, canon) }),
        other => json!({ "unknown": format!("{other:?}") }),
    }
}

/// An item, or none when absent or empty (the SDK does not tell those
/// apart for ReturnValues).
pub fn canonical_option(item: Option<&HashMap<String, Av>>) -> Option<Value> {
    item.filter(|i| !i.is_empty()).map(canonical_item)
}

/// How one request ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// `ok`, or the error code (`ValidationException`, ...).
    pub class: String,
    pub message: String,
    /// ReturnValues attributes, the item of a ConditionalCheckFailed with
    /// ReturnValuesOnConditionCheckFailure, or GetItem's item.
    pub attributes: Option<Value>,
}

impl Outcome {
    pub fn ok(attributes: Option<Value>) -> Outcome {
        Outcome {
            class: "ok".into(),
            message: String::new(),
            attributes,
        }
    }

    /// From an SDK error; `item` is a ConditionalCheckFailed's item.
    pub fn error<E, R>(
        error: &aws_sdk_dynamodb::error::SdkError<E, R>,
        item: Option<Value>,
    ) -> Outcome
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::fmt::Debug,
        R: std::fmt::Debug,
    {
        match error.as_service_error() {
            Some(service) => Outcome {
                class: service.code().unwrap_or("<no code>").to_string(),
                message: service.message().unwrap_or_default().to_string(),
                attributes: item,
            },
            None => Outcome {
                class: "transport".into(),
                message: format!("{error:?}"),
                attributes: None,
            },
        }
    }
}
