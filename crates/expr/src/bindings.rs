//! ExpressionAttributeNames and ExpressionAttributeValues: one pair per
//! request, shared by all its expressions, with DynamoDB's checks on the
//! maps themselves and on which entries the expressions use.

use crate::ast::NameRef;
use crate::error::undefined_name;
use dynalith_model::{AttributeValue, DynamoError};
use std::collections::{HashMap, HashSet};

/// Longest key (`#name` or `:value`, prefix included) DynamoDB accepts.
const MAX_KEY_LENGTH: usize = 255;
/// Attribute names must be shorter than this many bytes.
const MAX_NAME_BYTES: usize = 65536;

/// A request's placeholders. Either map may be absent.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bindings<'a> {
    pub names: Option<&'a HashMap<String, String>>,
    pub values: Option<&'a HashMap<String, AttributeValue>>,
}

impl<'a> Bindings<'a> {
    pub fn new(
        names: Option<&'a HashMap<String, String>>,
        values: Option<&'a HashMap<String, AttributeValue>>,
    ) -> Self {
        Bindings { names, values }
    }

    /// The attribute name `#placeholder` stands for.
    pub fn name(&self, placeholder: &str) -> Option<&'a str> {
        self.names?.get(placeholder).map(String::as_str)
    }

    /// The value `:placeholder` stands for.
    pub fn value(&self, placeholder: &str) -> Option<&'a AttributeValue> {
        self.values?.get(placeholder)
    }

    /// The attribute name a path element means. Fails only for a
    /// placeholder the request does not define (validation reports that
    /// first, with the expression's kind; this is the fallback).
    pub(crate) fn resolve<'n>(&self, name: &'n NameRef) -> Result<&'n str, DynamoError>
    where
        'a: 'n,
    {
        match name {
            NameRef::Literal(name) => Ok(name),
            NameRef::Placeholder(placeholder) => self
                .name(placeholder)
                .ok_or_else(|| DynamoError::validation(undefined_name(placeholder))),
        }
    }

    /// The checks DynamoDB makes on the maps before parsing any expression:
    /// not empty, keys well-formed and short enough, names non-empty and
    /// short enough. Call only when the request has an expression (see
    /// [`check_without_expressions`] otherwise).
    pub fn validate(&self) -> Result<(), DynamoError> {
        if let Some(names) = self.names {
            if names.is_empty() {
                return Err(DynamoError::validation(
                    "ExpressionAttributeNames must not be empty",
                ));
            }
            for key in sorted(names.keys()) {
                check_key("ExpressionAttributeNames", key, '#')?;
                let name = names.get(key).map_or("", String::as_str);
                if name.is_empty() {
                    return Err(DynamoError::validation(format!(
                        "ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}"
                    )));
                }
                if name.len() >= MAX_NAME_BYTES {
                    return Err(DynamoError::validation(format!(
                        "ExpressionAttributeNames contains invalid value: Attribute name is too large, must be less than 65536 bytes for key {key}"
                    )));
                }
            }
        }
        if let Some(values) = self.values {
            if values.is_empty() {
                return Err(DynamoError::validation(
                    "ExpressionAttributeValues must not be empty",
                ));
            }
            for key in sorted(values.keys()) {
                check_key("ExpressionAttributeValues", key, ':')?;
            }
        }
        Ok(())
    }
}

fn sorted<'k>(keys: impl Iterator<Item = &'k String>) -> Vec<&'k String> {
    let mut keys: Vec<_> = keys.collect();
    keys.sort();
    keys
}

fn check_key(parameter: &str, key: &str, prefix: char) -> Result<(), DynamoError> {
    if key.len() > MAX_KEY_LENGTH {
        // DynamoDB states the size for names but not for values.
        let size = if prefix == '#' {
            format!(" size of key: {}", key.len())
        } else {
            String::new()
        };
        return Err(DynamoError::validation(format!(
            "{parameter} contains invalid key: The expression attribute map contains a key that is too long;{size}"
        )));
    }
    let well_formed = key.strip_prefix(prefix).is_some_and(|rest| {
        !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    if !well_formed {
        return Err(DynamoError::validation(format!(
            "{parameter} contains invalid key: Syntax error; key: \"{key}\""
        )));
    }
    Ok(())
}

/// For a request that has names or values but none of the expressions that
/// could use them. `value_expressions` lists the request's expression
/// parameters that take values, as DynamoDB names them in the message
/// (e.g. `["UpdateExpression", "ConditionExpression"]`). Empty maps are
/// allowed here, as in DynamoDB.
pub fn check_without_expressions(
    names: Option<&HashMap<String, String>>,
    values: Option<&HashMap<String, AttributeValue>>,
    value_expressions: &[&str],
) -> Result<(), DynamoError> {
    if names.is_some_and(|n| !n.is_empty()) {
        return Err(DynamoError::validation(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    if values.is_some_and(|v| !v.is_empty()) {
        let verb = if value_expressions.len() > 1 {
            "are"
        } else {
            "is"
        };
        return Err(DynamoError::validation(format!(
            "ExpressionAttributeValues can only be specified when using expressions: {} {verb} null",
            value_expressions.join(" and ")
        )));
    }
    Ok(())
}

/// The placeholders a request's expressions used, to report unused ones.
#[derive(Debug, Default)]
pub struct Usage {
    names: HashSet<String>,
    values: HashSet<String>,
}

impl Usage {
    pub fn new() -> Self {
        Usage::default()
    }

    pub(crate) fn use_name(&mut self, placeholder: &str) {
        if !self.names.contains(placeholder) {
            self.names.insert(placeholder.to_string());
        }
    }

    pub(crate) fn use_value(&mut self, placeholder: &str) {
        if !self.values.contains(placeholder) {
            self.values.insert(placeholder.to_string());
        }
    }

    /// Marks every placeholder as used: for expressions whose use DynamoDB
    /// does not track, such as the legacy parameters' generated ones.
    pub fn use_all(&mut self, bindings: &Bindings<'_>) {
        for key in bindings.names.into_iter().flat_map(HashMap::keys) {
            self.use_name(key);
        }
        for key in bindings.values.into_iter().flat_map(HashMap::keys) {
            self.use_value(key);
        }
    }

    /// "Value provided in ExpressionAttributeNames unused in expressions:
    /// keys: {#a, #b}", names before values.
    pub fn check_unused(&self, bindings: &Bindings<'_>) -> Result<(), DynamoError> {
        if let Some(names) = bindings.names {
            let unused: Vec<&str> = names
                .keys()
                .map(String::as_str)
                .filter(|k| !self.names.contains(*k))
                .collect();
            if !unused.is_empty() {
                return Err(unused_error("ExpressionAttributeNames", unused));
            }
        }
        if let Some(values) = bindings.values {
            let unused: Vec<&str> = values
                .keys()
                .map(String::as_str)
                .filter(|k| !self.values.contains(*k))
                .collect();
            if !unused.is_empty() {
                return Err(unused_error("ExpressionAttributeValues", unused));
            }
        }
        Ok(())
    }
}

fn unused_error(parameter: &str, keys: Vec<&str>) -> DynamoError {
    DynamoError::validation(format!(
        "Value provided in {parameter} unused in expressions: keys: {{{}}}",
        java_hash_set_order(keys).join(", ")
    ))
}

/// DynamoDB lists a set of names in its messages (unused placeholders,
/// attributes an index does not project) in the iteration order of a Java
/// `HashSet<String>`; clients (and tests written against DynamoDB) see
/// that order, so it is reproduced: buckets by the spread `String.hashCode`
/// in a table grown the way `HashMap` grows it. Keys sharing a bucket keep
/// insertion order in Java, which the request's map no longer has; they are
/// ordered by key here.
pub fn java_hash_set_order(mut keys: Vec<&str>) -> Vec<&str> {
    let mut capacity: usize = 16;
    while keys.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |key: &str| -> usize {
        let h = key
            .encode_utf16()
            .fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(unit as i32));
        let spread = (h ^ ((h as u32) >> 16) as i32) as u32;
        spread as usize & (capacity - 1)
    };
    keys.sort_by(|a, b| bucket(a).cmp(&bucket(b)).then_with(|| a.cmp(b)));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_order_matches_dynamodb() {
        // Orders observed from DynamoDB (and java.util.HashSet).
        assert_eq!(
            java_hash_set_order(vec![":create_at_1_v1", ":create_at_2_v1"]),
            [":create_at_2_v1", ":create_at_1_v1"]
        );
        assert_eq!(
            java_hash_set_order(vec![":a", ":b", ":zz", ":c1", ":c2", ":c10"]),
            [":c10", ":a", ":b", ":c1", ":c2", ":zz"]
        );
    }
}
