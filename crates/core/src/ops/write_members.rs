//! Coral's member checks of PutItem, UpdateItem and DeleteItem, in the
//! order DynamoDB lists their errors.
//!
//! DynamoDB's current validation layer reads a request that has its
//! required members (TableName and the Item or Key): an unknown
//! ConditionalOperator is then refused on its own in that layer's words
//! (`validate::current_layer_conditional_operator`), and the other member
//! errors keep the order they are listed in below (ReturnValues ahead of
//! ReturnConsumedCapacity, as recorded from UpdateItem, eu-west-2,
//! 2026-06). A request without one of them falls back to Coral, which lists
//! every member error in the iteration order of a Java `HashMap` holding
//! the operation's members (recorded from UpdateItem in eu-west-2 and
//! us-east-1, 2026-10-09, by the paritysuite conformance suite:
//! ReturnConsumedCapacity, tableName, ReturnValues, ConditionalOperator,
//! key; the same rule places TransactWriteItems' ClientRequestToken ahead of
//! its enums and BatchGetItem's table names ahead of its own, as recorded).
//! PutItem's and DeleteItem's fallback orders are that rule applied to their
//! members; `tests::fallback_orders_are_javas_hash_map_order` derives them.

use crate::validate::{self, Violations};
use dynalith_model::value::NESTED_TOO_DEEP;
use dynalith_model::{DynamoError, Item};
use serde::de::IgnoredAny;
use serde::Deserialize;

/// One member Coral checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    TableName,
    /// The Item of a PutItem, the Key of an UpdateItem or DeleteItem.
    Subject,
    ReturnValues,
    ReturnConsumedCapacity,
    ReturnItemCollectionMetrics,
    ConditionalOperator,
    ReturnValuesOnConditionCheckFailure,
}

use Member::*;

/// The order of a request the current layer reads.
const READ_ORDER: [Member; 7] = [
    TableName,
    Subject,
    ReturnValues,
    ReturnConsumedCapacity,
    ReturnItemCollectionMetrics,
    ConditionalOperator,
    ReturnValuesOnConditionCheckFailure,
];

/// Coral's order when PutItem falls back to it.
pub const PUT_ITEM_FALLBACK: [Member; 7] = [
    ReturnValues,
    ConditionalOperator,
    Subject,
    ReturnValuesOnConditionCheckFailure,
    ReturnConsumedCapacity,
    ReturnItemCollectionMetrics,
    TableName,
];

/// Coral's order when UpdateItem falls back to it.
pub const UPDATE_ITEM_FALLBACK: [Member; 7] = [
    ReturnConsumedCapacity,
    TableName,
    ReturnValues,
    ConditionalOperator,
    ReturnValuesOnConditionCheckFailure,
    ReturnItemCollectionMetrics,
    Subject,
];

/// Coral's order when DeleteItem falls back to it.
pub const DELETE_ITEM_FALLBACK: [Member; 7] = [
    ReturnValues,
    ConditionalOperator,
    ReturnValuesOnConditionCheckFailure,
    ReturnConsumedCapacity,
    ReturnItemCollectionMetrics,
    Subject,
    TableName,
];

/// The members of one request.
pub struct WriteMembers<'a> {
    pub table_name: Option<&'a str>,
    pub subject: &'a Option<Item>,
    /// How messages name the subject: "item" or "key".
    pub subject_path: &'a str,
    pub return_values: Option<&'a str>,
    pub return_consumed_capacity: Option<&'a str>,
    pub return_item_collection_metrics: Option<&'a str>,
    pub conditional_operator: Option<&'a str>,
    pub return_values_on_condition_check_failure: Option<&'a str>,
}

impl WriteMembers<'_> {
    /// Checks the members, listing errors in `fallback` order when a
    /// required member is missing.
    pub fn check(&self, fallback: &[Member; 7]) -> Result<(), DynamoError> {
        let readable = self.table_name.is_some() && self.subject.is_some();
        validate::current_layer_conditional_operator(self.conditional_operator, readable)?;
        self.check_in(if readable { &READ_ORDER } else { fallback })
    }

    /// Coral's checks of every member, errors listed in `order`.
    fn check_in(&self, order: &[Member; 7]) -> Result<(), DynamoError> {
        let mut v = Violations::new();
        for member in order {
            self.check_one(&mut v, *member);
        }
        v.finish()
    }

    fn check_one(&self, v: &mut Violations, member: Member) {
        match member {
            TableName => crate::table_reference::check_member(v, self.table_name, "tableName"),
            Subject => {
                v.require(self.subject, self.subject_path);
            }
            ReturnValues => v.one_of(self.return_values, "returnValues", validate::RETURN_VALUES),
            ReturnConsumedCapacity => v.return_consumed_capacity(self.return_consumed_capacity),
            ReturnItemCollectionMetrics => {
                v.return_item_collection_metrics(self.return_item_collection_metrics)
            }
            ConditionalOperator => v.one_of(
                self.conditional_operator,
                "conditionalOperator",
                validate::CONDITIONAL_OPERATOR,
            ),
            ReturnValuesOnConditionCheckFailure => v.one_of(
                self.return_values_on_condition_check_failure,
                "returnValuesOnConditionCheckFailure",
                validate::RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
            ),
        }
    }
}

/// How deep DynamoDB's current layer reads a request's JSON: deeper, the
/// request falls back to Coral (recorded 2026-10-09 by the paritysuite
/// suite's deepRequests tests: a value nested 40 levels deep is read by the
/// current layer, one nested 63 levels is not, and JSON nesting of 128 is
/// where 62 and 63 levels part).
const CURRENT_LAYER_JSON_DEPTH: usize = 128;

/// The members `refuse_before_depth` reads, the values skipped unread (and
/// without recursion, however deep they nest).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ShallowMembers {
    table_name: Option<String>,
    item: Option<IgnoredAny>,
    key: Option<IgnoredAny>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    conditional_operator: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
}

/// What a single-item write reports when a value in `body` nests too deep
/// (`error`, from reading it): DynamoDB checks some members first. The
/// current layer refuses an unknown ConditionalOperator ahead of the depth;
/// a request too deep for it falls back to Coral, whose member errors come
/// first in its words, and then, for PutItem and DeleteItem
/// (`old_or_none`), a ReturnValues other than ALL_OLD or NONE (all
/// recorded 2026-10-09). `subject_path` is "item" or "key".
pub fn refuse_before_depth(
    body: &[u8],
    error: DynamoError,
    subject_path: &str,
    fallback: &[Member; 7],
    old_or_none: bool,
) -> DynamoError {
    if !error.message.contains(NESTED_TOO_DEEP) {
        return error;
    }
    let Ok(members) = serde_json::from_slice::<ShallowMembers>(body) else {
        return error;
    };
    let subject = if subject_path == "item" {
        members.item
    } else {
        members.key
    }
    .map(|_| Item::new());
    let write = WriteMembers {
        table_name: members.table_name.as_deref(),
        subject: &subject,
        subject_path,
        return_values: members.return_values.as_deref(),
        return_consumed_capacity: members.return_consumed_capacity.as_deref(),
        return_item_collection_metrics: members.return_item_collection_metrics.as_deref(),
        conditional_operator: members.conditional_operator.as_deref(),
        return_values_on_condition_check_failure: members
            .return_values_on_condition_check_failure
            .as_deref(),
    };
    let readable = write.table_name.is_some() && subject.is_some();
    let refusal = if read_by_current_layer(body) {
        validate::current_layer_conditional_operator(write.conditional_operator, readable)
    } else {
        write
            .check_in(fallback)
            .and_then(|()| match write.return_values {
                Some(other) if old_or_none && !matches!(other, "NONE" | "ALL_OLD") => Err(
                    DynamoError::validation("ReturnValues can only be ALL_OLD or NONE"),
                ),
                _ => Ok(()),
            })
    };
    refusal.err().unwrap_or(error)
}

/// Whether DynamoDB's current layer reads `body`, or Coral does.
pub fn read_by_current_layer(body: &[u8]) -> bool {
    json_depth(body) <= CURRENT_LAYER_JSON_DEPTH
}

/// How deep `body`'s JSON nests (objects and arrays), strings skipped.
fn json_depth(body: &[u8]) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for &byte in body {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Java's `String.hashCode`, spread as `HashMap` spreads it.
    fn java_hash(name: &str) -> u32 {
        let h = name.encode_utf16().fold(0u32, |h, unit| {
            h.wrapping_mul(31).wrapping_add(u32::from(unit))
        });
        h ^ (h >> 16)
    }

    /// The order a `HashMap` filled with `members` (in API order) iterates
    /// them: by bucket, a bucket's entries in insertion order; the table
    /// doubles from 16 whenever it holds more than three quarters full.
    fn hash_map_order<'a>(members: &[&'a str]) -> Vec<&'a str> {
        let mut buckets = 16;
        while members.len() * 4 > buckets * 3 {
            buckets *= 2;
        }
        let mut order: Vec<(usize, &str)> =
            members.iter().enumerate().map(|(i, m)| (i, *m)).collect();
        order.sort_by_key(|(i, m)| (java_hash(m) as usize & (buckets - 1), *i));
        order.into_iter().map(|(_, m)| m).collect()
    }

    fn wire_name(member: Member, subject: &'static str) -> &'static str {
        match member {
            TableName => "tableName",
            Subject => subject,
            ReturnValues => "returnValues",
            ReturnConsumedCapacity => "returnConsumedCapacity",
            ReturnItemCollectionMetrics => "returnItemCollectionMetrics",
            ConditionalOperator => "conditionalOperator",
            ReturnValuesOnConditionCheckFailure => "returnValuesOnConditionCheckFailure",
        }
    }

    /// The fallback's order of the members it checks, against the hash
    /// order of all the operation's members (from the API's shapes).
    fn assert_hash_order(fallback: &[Member; 7], subject: &'static str, all: &[&str]) {
        let checked: Vec<&str> = fallback.iter().map(|m| wire_name(*m, subject)).collect();
        let expected: Vec<&str> = hash_map_order(all)
            .into_iter()
            .filter(|m| checked.contains(m))
            .collect();
        assert_eq!(checked, expected);
    }

    #[test]
    fn fallback_orders_are_javas_hash_map_order() {
        let common = [
            "expected",
            "returnValues",
            "returnConsumedCapacity",
            "returnItemCollectionMetrics",
            "conditionalOperator",
            "conditionExpression",
            "expressionAttributeNames",
            "expressionAttributeValues",
            "returnValuesOnConditionCheckFailure",
        ];
        let with = |first: &[&'static str]| -> Vec<&'static str> {
            first.iter().copied().chain(common).collect()
        };
        assert_hash_order(&PUT_ITEM_FALLBACK, "item", &with(&["tableName", "item"]));
        assert_hash_order(&DELETE_ITEM_FALLBACK, "key", &with(&["tableName", "key"]));
        let mut update = with(&["tableName", "key", "attributeUpdates"]);
        update.push("updateExpression");
        assert_hash_order(&UPDATE_ITEM_FALLBACK, "key", &update);
    }

    #[test]
    fn a_missing_key_lists_updateitems_errors_as_recorded() {
        let key = None;
        let members = WriteMembers {
            table_name: Some(""),
            subject: &key,
            subject_path: "key",
            return_values: Some("INVALID"),
            return_consumed_capacity: Some("INVALID"),
            return_item_collection_metrics: None,
            conditional_operator: None,
            return_values_on_condition_check_failure: None,
        };
        assert_eq!(
            members.check(&UPDATE_ITEM_FALLBACK).unwrap_err().message,
            "4 validation errors detected: \
             Value 'INVALID' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; \
             Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1; \
             Value 'INVALID' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]; \
             Value null at 'key' failed to satisfy constraint: Member must not be null"
        );
    }

    /// `{"TableName": "table", <subject>: {"pk": {"S": "a"}}, "d": <value nested
    /// `levels` maps deep>, ...}`, with `members` after it.
    fn deep_body(subject: &str, levels: usize, members: &str) -> Vec<u8> {
        let value = "{\"M\":{\"n\":".repeat(levels) + "{\"S\":\"leaf\"}" + &"}}".repeat(levels);
        format!(r#"{{"TableName":"table","{subject}":{{"pk":{{"S":"a"}},"d":{value}}}{members}}}"#)
            .into_bytes()
    }

    fn too_deep() -> DynamoError {
        DynamoError::validation(format!("1 validation error detected: {NESTED_TOO_DEEP}"))
    }

    #[test]
    fn members_are_refused_ahead_of_a_value_nested_too_deep() {
        let refused = |body: &[u8], fallback, old_or_none| {
            refuse_before_depth(body, too_deep(), "item", fallback, old_or_none).message
        };
        // Read by the current layer (40 levels): its words for the operator.
        let body = deep_body(
            "Item",
            40,
            r#","ConditionalOperator":"XOR","ReturnValues":"BOGUS""#,
        );
        assert!(read_by_current_layer(&body));
        assert_eq!(
            refused(&body, &PUT_ITEM_FALLBACK, true),
            "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]"
        );
        // Too deep for it (100 levels): Coral's words, every member error.
        let body = deep_body(
            "Item",
            100,
            r#","ConditionalOperator":"XOR","ReturnValues":"BOGUS""#,
        );
        assert!(!read_by_current_layer(&body));
        assert_eq!(
            refused(&body, &PUT_ITEM_FALLBACK, true),
            "2 validation errors detected: \
             Value 'BOGUS' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]; \
             Value 'XOR' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"
        );
        let body = deep_body("Item", 63, r#","ReturnValues":"UPDATED_NEW""#);
        assert_eq!(
            refused(&body, &PUT_ITEM_FALLBACK, true),
            "ReturnValues can only be ALL_OLD or NONE"
        );
        assert_eq!(
            refused(&body, &UPDATE_ITEM_FALLBACK, false),
            too_deep().message
        );
        // Nothing else wrong: the depth.
        let body = deep_body("Item", 100, "");
        assert_eq!(refused(&body, &PUT_ITEM_FALLBACK, true), too_deep().message);
    }

    #[test]
    fn the_current_layer_reads_json_up_to_128_levels() {
        // 62 levels of maps in an item's attribute nest the JSON 127 deep,
        // 63 levels 129 (brackets in strings do not count).
        assert!(read_by_current_layer(&deep_body(
            "Item",
            62,
            r#","S":"{{[[""#
        )));
        assert!(!read_by_current_layer(&deep_body("Item", 63, "")));
    }

    #[test]
    fn a_readable_request_refuses_its_operator_alone() {
        let key = Some(Item::new());
        let members = WriteMembers {
            table_name: Some("table"),
            subject: &key,
            subject_path: "key",
            return_values: Some("INVALID"),
            return_consumed_capacity: None,
            return_item_collection_metrics: None,
            conditional_operator: Some("XOR"),
            return_values_on_condition_check_failure: None,
        };
        assert_eq!(
            members.check(&DELETE_ITEM_FALLBACK).unwrap_err().message,
            "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]"
        );
    }
}
