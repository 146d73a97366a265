//! Which expression parameter a text came from, and the messages DynamoDB
//! builds from it. Most expression errors read "Invalid <Parameter>:
//! <detail>", so the kind travels with every parse and validation.

use dynalith_model::DynamoError;
use std::fmt;

/// The request parameter an expression was given in. Condition, filter and
/// key-condition expressions share one grammar but not their messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExpressionKind {
    Condition,
    Filter,
    KeyCondition,
    Update,
    Projection,
    /// SearchVectors' SearchConditionExpression.
    SearchCondition,
}

impl ExpressionKind {
    /// The parameter's name as DynamoDB spells it in messages.
    pub fn parameter_name(self) -> &'static str {
        match self {
            ExpressionKind::Condition => "ConditionExpression",
            ExpressionKind::Filter => "FilterExpression",
            ExpressionKind::KeyCondition => "KeyConditionExpression",
            ExpressionKind::Update => "UpdateExpression",
            ExpressionKind::Projection => "ProjectionExpression",
            ExpressionKind::SearchCondition => "SearchConditionExpression",
        }
    }

    /// Whether the text is parsed with the condition grammar.
    pub fn is_condition(self) -> bool {
        matches!(
            self,
            ExpressionKind::Condition
                | ExpressionKind::Filter
                | ExpressionKind::KeyCondition
                | ExpressionKind::SearchCondition
        )
    }
}

impl fmt::Display for ExpressionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.parameter_name())
    }
}

/// "Invalid ConditionExpression: <detail>".
pub(crate) fn invalid(kind: ExpressionKind, detail: impl fmt::Display) -> DynamoError {
    DynamoError::validation(format!("Invalid {}: {detail}", kind.parameter_name()))
}

/// Messages raised while applying an update to an item (no "Invalid ..." prefix).
pub(crate) fn invalid_update_path() -> DynamoError {
    DynamoError::validation(
        "The document path provided in the update expression is invalid for update",
    )
}

pub(crate) fn missing_operand_attribute() -> DynamoError {
    DynamoError::validation(
        "The provided expression refers to an attribute that does not exist in the item",
    )
}

pub(crate) fn incorrect_data_type() -> DynamoError {
    DynamoError::validation("An operand in the update expression has an incorrect data type")
}

pub(crate) fn undefined_name(name: &str) -> String {
    format!(
        "An expression attribute name used in the document path is not defined; attribute name: {name}"
    )
}

pub(crate) fn undefined_value(value: &str) -> String {
    format!(
        "An expression attribute value used in expression is not defined; attribute value: {value}"
    )
}

pub(crate) fn incorrect_operand_type(function: &str, type_name: &str) -> String {
    format!(
        "Incorrect operand type for operator or function; operator or function: {function}, operand type: {type_name}"
    )
}

pub(crate) fn not_distinct(operator: &str, path: &str) -> String {
    format!(
        "The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {path}"
    )
}
