//! The condition parameters of single-item writes (ConditionExpression with
//! its names and values, or the legacy Expected), checked against the
//! current item inside the write's transaction.

use crate::validate::Violations;
use dynalith_model::{AttributeValue, DynamoError, Item};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ConditionInput {
    pub condition_expression: Option<String>,
    pub expression_attribute_names: Option<HashMap<String, String>>,
    pub expression_attribute_values: Option<HashMap<String, AttributeValue>>,
    pub expected: Option<HashMap<String, serde_json::Value>>,
    pub conditional_operator: Option<String>,
    pub return_values_on_condition_check_failure: Option<String>,
}

/// A condition ready to evaluate.
pub struct PreparedCondition {
    _private: (),
}

impl ConditionInput {
    pub fn check_members(&self, v: &mut Violations) {
        v.one_of(
            self.conditional_operator.as_deref(),
            "conditionalOperator",
            &["AND", "OR"],
        );
        v.one_of(
            self.return_values_on_condition_check_failure.as_deref(),
            "returnValuesOnConditionCheckFailure",
            crate::validate::RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
        );
    }

    /// Parses and binds the condition. `_other_expressions` are the other
    /// expressions of the request sharing the same names and values.
    pub fn prepare(&self, _other_expressions: &[&str]) -> Result<PreparedCondition, DynamoError> {
        if self.condition_expression.is_some()
            || self.expected.is_some()
            || self.expression_attribute_names.is_some()
            || self.expression_attribute_values.is_some()
        {
            return Err(DynamoError::validation(
                "condition expressions are not supported yet",
            ));
        }
        Ok(PreparedCondition { _private: () })
    }
}

impl PreparedCondition {
    pub fn check(&self, _item: Option<&Item>) -> Result<(), DynamoError> {
        Ok(())
    }
}
