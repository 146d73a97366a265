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
use dynalith_model::{DynamoError, Item};

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
        let order = if readable { &READ_ORDER } else { fallback };
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
