//! What BatchGetItem and BatchWriteItem share: Coral's checks on the
//! RequestItems map, whose messages quote the map as Java prints it.

use crate::validate::Violations;
use serde_json::Value;

pub const DUPLICATE_KEYS: &str = "Provided list of item keys contains duplicates";

const TABLE_NAME_CONSTRAINT: &str = "Map keys must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 3, Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]";

/// A JSON value the way Java's `toString` prints the map or list it was
/// read into (`{a=[x, y]}`); DynamoDB quotes request values that way.
/// Attribute values inside print differently in DynamoDB; the shape is
/// what clients look at.
pub fn java_string(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", java_string(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(java_string).collect();
            format!("[{}]", items.join(", "))
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `RequestItems` member of a request body, for quoting in messages.
pub fn raw_request_items(body: &[u8]) -> Value {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("RequestItems").cloned())
        .unwrap_or(Value::Null)
}

/// A RequestItems key: a table's name, or its ARN (1 to 1024 characters,
/// checked further by `table_reference::table_name`).
fn valid_table_name(name: &str) -> bool {
    if crate::table_reference::is_arn(name) {
        return name.chars().count() <= crate::table_reference::MAX_ARN_LENGTH;
    }
    (3..=255).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The RequestItems map quoted as DynamoDB quotes it in messages.
pub fn quoted_request_items(body: &[u8]) -> String {
    format!("'{}'", java_string(&raw_request_items(body)))
}

/// The RequestItems map as the newer validation framework quotes it:
/// compact JSON (recorded from DynamoDB's BatchGetItem, 2026-10-09).
pub fn json_request_items(body: &[u8]) -> String {
    format!("'{}'", raw_request_items(body))
}

/// Null and empty checks on RequestItems, given its table names (None
/// when the member is missing).
pub fn check_request_items(v: &mut Violations, body: &[u8], names: Option<&[&String]>) {
    let Some(names) = names else {
        v.push("null", "requestItems", "Member must not be null");
        return;
    };
    if names.is_empty() {
        v.push(
            quoted_request_items(body),
            "requestItems",
            "Member must have length greater than or equal to 1",
        );
    }
}

/// The table-name check on RequestItems' keys, the map quoted as `shown`.
pub fn check_table_names(v: &mut Violations, names: &[&String], shown: impl Fn() -> String) {
    for name in names {
        if !valid_table_name(name) {
            v.push(shown(), "requestItems", TABLE_NAME_CONSTRAINT);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_java() {
        let v: Value = serde_json::from_str(r#"{"t":[{"a":"x"},1,true]}"#).unwrap();
        assert_eq!(java_string(&v), "{t=[{a=x}, 1, true]}");
    }
}
