//! DynamoDB's item-size arithmetic, which drives the 400 KB item limit and
//! capacity-unit accounting.
//!
//! The rules follow the Developer Guide ("Item sizes and formats"): strings
//! and binaries by their byte length, numbers by significant digits, one byte
//! for BOOL and NULL, three bytes of overhead for a list or map plus one byte
//! per element, and every attribute's name counted with its value.

use crate::value::{AttributeValue, Item};

/// The largest item DynamoDB stores.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

/// Size of a value, without the name of the attribute that holds it.
pub fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.storage_size(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Bool(_) | AttributeValue::Null => 1,
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| k.len() + value_size(v) + 1)
                .sum::<usize>()
        }
        AttributeValue::L(l) => 3 + l.iter().map(|v| value_size(v) + 1).sum::<usize>(),
        AttributeValue::Ss(ss) => ss.iter().map(|s| s.len()).sum(),
        AttributeValue::Ns(ns) => ns.iter().map(|n| n.storage_size()).sum(),
        AttributeValue::Bs(bs) => bs.iter().map(|b| b.len()).sum(),
    }
}

/// Size of an item: each attribute's name plus its value.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> Item {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn sizes_follow_the_developer_guide() {
        assert_eq!(item_size(&item(r#"{"ab":{"S":"xyz"}}"#)), 5);
        assert_eq!(
            item_size(&item(r#"{"a":{"BOOL":true},"b":{"NULL":true}}"#)),
            4
        );
        assert_eq!(item_size(&item(r#"{"a":{"B":"AAEC"}}"#)), 4);
        assert_eq!(item_size(&item(r#"{"m":{"M":{}}}"#)), 4);
        assert_eq!(
            item_size(&item(r#"{"l":{"L":[{"S":"ab"}]}}"#)),
            1 + 3 + 2 + 1
        );
        assert_eq!(item_size(&item(r#"{"s":{"SS":["a","bc"]}}"#)), 4);
    }
}
