//! The expression parameters of item operations — ConditionExpression,
//! UpdateExpression and ProjectionExpression with their shared
//! ExpressionAttributeNames/Values — and the legacy parameters they replace
//! (Expected, AttributeUpdates, AttributesToGet), prepared once per request
//! and evaluated inside the write's transaction.

use crate::catalog::TableMeta;
use dynalith_expr::legacy::{self, ExpectedAttributeValue, Legacy};
use dynalith_expr::{
    Bindings, ConditionExpression, ExpressionKind, Projection, RequestExpressions, UpdateExpression,
};
use dynalith_model::{AttributeValue, DynamoError, Item};
use std::collections::HashMap;
use std::sync::Arc;

pub type Names = HashMap<String, String>;
pub type Values = HashMap<String, AttributeValue>;

/// The expression texts of one request.
#[derive(Default)]
pub struct ExpressionTexts<'a> {
    pub update: Option<&'a str>,
    pub condition: Option<&'a str>,
    pub projection: Option<&'a str>,
}

/// Parsed expressions of one request, bound to its names and values.
pub struct PreparedExpressions<'a> {
    pub update: Option<Arc<UpdateExpression>>,
    pub condition: Option<Arc<ConditionExpression>>,
    pub projection: Option<Arc<Projection>>,
    pub bindings: Bindings<'a>,
}

/// Parses and validates the request's expressions in DynamoDB's order
/// (update, condition, projection), then rejects unused names and values.
/// `value_parameters` names the request's expression parameters that can
/// take values, for the message DynamoDB gives when values come without
/// any expression.
pub fn prepare<'a>(
    names: Option<&'a Names>,
    values: Option<&'a Values>,
    texts: &ExpressionTexts<'_>,
    value_parameters: &[&str],
) -> Result<PreparedExpressions<'a>, DynamoError> {
    if texts.update.is_none() && texts.condition.is_none() && texts.projection.is_none() {
        dynalith_expr::check_without_expressions(names, values, value_parameters)?;
        return Ok(PreparedExpressions {
            update: None,
            condition: None,
            projection: None,
            bindings: Bindings::new(None, None),
        });
    }
    let mut request = RequestExpressions::new(names, values)?;
    let update = texts.update.map(|t| request.update(t)).transpose()?;
    let condition = texts
        .condition
        .map(|t| request.condition(t, ExpressionKind::Condition))
        .transpose()?;
    let projection = texts
        .projection
        .map(|t| request.projection(t))
        .transpose()?;
    request.finish()?;
    Ok(PreparedExpressions {
        update,
        condition,
        projection,
        bindings: request.bindings(),
    })
}

/// The table's key attribute names, in key-schema order.
pub fn key_names(table: &TableMeta) -> Vec<&str> {
    table
        .key_schema
        .attributes()
        .map(|k| k.name.as_str())
        .collect()
}

/// Key attributes are scalars: DynamoDB rejects a condition or projection
/// that reads inside one (`pk.x`) before reading the item.
pub fn check_scalar_keys(
    prepared: &PreparedExpressions<'_>,
    table: &TableMeta,
) -> Result<(), DynamoError> {
    let keys = key_names(table);
    if let Some(condition) = &prepared.condition {
        condition.check_scalar_keys(&prepared.bindings, &keys)?;
    }
    if let Some(projection) = &prepared.projection {
        projection.check_scalar_keys(&prepared.bindings, &keys)?;
    }
    Ok(())
}

/// DynamoDB refuses requests that mix the legacy and expression forms.
pub fn reject_mixing(
    legacy_parameters: &[(&str, bool)],
    expression_parameters: &[(&str, bool)],
) -> Result<(), DynamoError> {
    let used = |params: &[(&str, bool)]| -> Vec<String> {
        params
            .iter()
            .filter(|(_, present)| *present)
            .map(|(name, _)| name.to_string())
            .collect()
    };
    let legacy = used(legacy_parameters);
    let expressions = used(expression_parameters);
    if legacy.is_empty() || expressions.is_empty() {
        return Ok(());
    }
    Err(DynamoError::validation(format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
        legacy.join(", "),
        expressions.join(", ")
    )))
}

/// The condition a write must satisfy, in either form.
pub enum WriteCondition<'a> {
    Always,
    Expression {
        condition: Arc<ConditionExpression>,
        bindings: Bindings<'a>,
    },
    Expected(Legacy<ConditionExpression>),
}

impl<'a> WriteCondition<'a> {
    /// From a prepared ConditionExpression or the legacy Expected map.
    pub fn new(
        prepared: &PreparedExpressions<'a>,
        expected: Option<&HashMap<String, ExpectedAttributeValue>>,
        conditional_operator: Option<&str>,
    ) -> Result<Self, DynamoError> {
        if let Some(condition) = &prepared.condition {
            return Ok(WriteCondition::Expression {
                condition: condition.clone(),
                bindings: prepared.bindings,
            });
        }
        match legacy::convert_expected(expected, conditional_operator)? {
            Some(converted) => Ok(WriteCondition::Expected(converted)),
            None => Ok(WriteCondition::Always),
        }
    }

    /// ConditionalCheckFailedException when the condition is false; it
    /// carries the current item when the client asked for it with
    /// ReturnValuesOnConditionCheckFailure ALL_OLD.
    pub fn check(
        &self,
        item: Option<&Item>,
        return_item_on_failure: bool,
    ) -> Result<(), DynamoError> {
        let holds = match self {
            WriteCondition::Always => true,
            WriteCondition::Expression {
                condition,
                bindings,
            } => condition.evaluate(item, bindings)?,
            WriteCondition::Expected(converted) => converted.evaluate(item)?,
        };
        if holds {
            return Ok(());
        }
        let error = DynamoError::conditional_check_failed();
        match item {
            Some(item) if return_item_on_failure => {
                Err(error.with_extra("Item", super::attributes_value(item)?))
            }
            _ => Err(error),
        }
    }
}

/// Whether ReturnValuesOnConditionCheckFailure asks for the item.
pub fn wants_item_on_failure(value: Option<&str>) -> bool {
    value == Some("ALL_OLD")
}
