//! Coral-style parameter validation: constraint violations are collected in
//! request order and reported together, as DynamoDB does:
//! "2 validation errors detected: Value null at 'tableName' failed to
//! satisfy constraint: Member must not be null; Value ..."

use dynalith_model::DynamoError;
use std::fmt::Display;

#[derive(Default)]
pub struct Violations {
    messages: Vec<String>,
}

const TABLE_NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, value: impl Display, path: &str, constraint: impl Display) {
        self.messages.push(format!(
            "Value {value} at '{path}' failed to satisfy constraint: {constraint}"
        ));
    }

    /// A required member is missing (or JSON null). Returns whether present.
    pub fn require<T>(&mut self, value: &Option<T>, path: &str) -> bool {
        if value.is_none() {
            self.push("null", path, "Member must not be null");
            return false;
        }
        true
    }

    /// A table or index name: 3 to 255 characters of `[a-zA-Z0-9_.-]`.
    pub fn name(&mut self, value: Option<&str>, path: &str) {
        self.name_with_min(value, path, 3, true);
    }

    pub fn name_with_min(&mut self, value: Option<&str>, path: &str, min: usize, required: bool) {
        let Some(name) = value else {
            if required {
                self.push("null", path, "Member must not be null");
            }
            return;
        };
        if !name.chars().all(is_name_char) || name.is_empty() {
            self.push(
                format_args!("'{name}'"),
                path,
                format_args!(
                    "Member must satisfy regular expression pattern: {TABLE_NAME_PATTERN}"
                ),
            );
        }
        let length = name.chars().count();
        if length < min {
            self.push(
                format_args!("'{name}'"),
                path,
                format_args!("Member must have length greater than or equal to {min}"),
            );
        }
        if length > 255 {
            self.push(
                format_args!("'{name}'"),
                path,
                "Member must have length less than or equal to 255",
            );
        }
    }

    /// A member restricted to a set of values (Coral lists them in its own order).
    pub fn one_of(&mut self, value: Option<&str>, path: &str, allowed: &[&str]) {
        if let Some(v) = value {
            if !allowed.contains(&v) {
                self.push(
                    format_args!("'{v}'"),
                    path,
                    format_args!(
                        "Member must satisfy enum value set: [{}]",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    /// A ClientToken member: DynamoDB's pattern `^[^\$]+$`.
    pub fn client_token(&mut self, token: Option<&str>) {
        if let Some(token) = token {
            if token.contains('$') || token.is_empty() {
                self.push(
                    format_args!("'{token}'"),
                    "clientToken",
                    "Member must satisfy regular expression pattern: ^[^\\$]+$",
                );
            }
        }
    }

    pub fn at_least(&mut self, value: Option<i64>, path: &str, min: i64) {
        if let Some(v) = value {
            if v < min {
                self.push(
                    format_args!("'{v}'"),
                    path,
                    format_args!("Member must have value greater than or equal to {min}"),
                );
            }
        }
    }

    pub fn at_most(&mut self, value: Option<i64>, path: &str, max: i64) {
        if let Some(v) = value {
            if v > max {
                self.push(
                    format_args!("'{v}'"),
                    path,
                    format_args!("Member must have value less than or equal to {max}"),
                );
            }
        }
    }

    pub fn length_between(
        &mut self,
        shown: impl Display,
        length: usize,
        path: &str,
        min: usize,
        max: usize,
    ) {
        if length < min {
            self.push(
                &shown,
                path,
                format_args!("Member must have length greater than or equal to {min}"),
            );
        }
        if length > max {
            self.push(
                &shown,
                path,
                format_args!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// AttributesToGet, when given, names at least one attribute.
    pub fn attributes_to_get(&mut self, names: Option<&[String]>) {
        if let Some(names) = names {
            self.length_between(
                format_args!("'{names:?}'"),
                names.len(),
                "attributesToGet",
                1,
                usize::MAX,
            );
        }
    }

    /// ReturnConsumedCapacity, which most operations take.
    pub fn return_consumed_capacity(&mut self, value: Option<&str>) {
        self.one_of(value, "returnConsumedCapacity", RETURN_CONSUMED_CAPACITY);
    }

    /// ReturnItemCollectionMetrics, which every write takes.
    pub fn return_item_collection_metrics(&mut self, value: Option<&str>) {
        self.one_of(
            value,
            "returnItemCollectionMetrics",
            RETURN_ITEM_COLLECTION_METRICS,
        );
    }

    pub fn finish(self) -> Result<(), DynamoError> {
        match self.messages.len() {
            0 => Ok(()),
            n => {
                let noun = if n == 1 { "error" } else { "errors" };
                Err(DynamoError::validation(format!(
                    "{n} validation {noun} detected: {}",
                    self.messages.join("; ")
                )))
            }
        }
    }
}

pub const RETURN_CONSUMED_CAPACITY: &[&str] = &["INDEXES", "TOTAL", "NONE"];
pub const RETURN_ITEM_COLLECTION_METRICS: &[&str] = &["SIZE", "NONE"];
/// In the order DynamoDB lists them in its enum message (recorded from
/// DynamoDB's UpdateItem, eu-west-2 and us-east-1, 2026-10-09).
pub const RETURN_VALUES: &[&str] = &["ALL_NEW", "UPDATED_OLD", "ALL_OLD", "NONE", "UPDATED_NEW"];
/// ConditionalOperator's values, in DynamoDB's message order (recorded
/// 2026-10-09).
pub const CONDITIONAL_OPERATOR: &[&str] = &["OR", "AND"];
pub const RETURN_VALUES_ON_CONDITION_CHECK_FAILURE: &[&str] = &["ALL_OLD", "NONE"];

/// DynamoDB's current validation layer (Query, PutItem, UpdateItem and
/// DeleteItem) refuses an unknown ConditionalOperator on its own, bare and
/// ahead of Coral's member checks, in words of its own that list `[ALL, OR]`
/// (recorded in eu-west-2 and us-east-1, 2026-10-09, by the paritysuite
/// conformance suite: a Query's XOR beside an unknown Select, PutItem's and
/// UpdateItem's XOR beside a deep Expected value). It reads a request only
/// when its required members are there: with one missing, Coral lists the
/// operator among its own errors in the older words (`[OR, AND]`), as
/// recorded for an UpdateItem without a Key. So callers pass whether the
/// required members are present.
pub fn current_layer_conditional_operator(
    operator: Option<&str>,
    required_members_present: bool,
) -> Result<(), DynamoError> {
    match operator {
        Some(op) if required_members_present && !CONDITIONAL_OPERATOR.contains(&op) => {
            Err(DynamoError::validation(
                "Failed to satisfy constraint: Member must satisfy enum value set: [ALL, OR]",
            ))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_every_violation_in_order() {
        let mut v = Violations::new();
        v.name(None, "tableName");
        v.name(Some("a b"), "indexName");
        let message = v.finish().unwrap_err().message;
        assert_eq!(
            message,
            "2 validation errors detected: Value null at 'tableName' failed to satisfy constraint: \
             Member must not be null; Value 'a b' at 'indexName' failed to satisfy constraint: \
             Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        );
    }

    #[test]
    fn short_names_are_rejected() {
        let mut v = Violations::new();
        v.name(Some("ab"), "tableName");
        assert!(v
            .finish()
            .unwrap_err()
            .message
            .contains("length greater than or equal to 3"));
    }
}
