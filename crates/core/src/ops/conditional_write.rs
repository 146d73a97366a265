//! What PutItem and DeleteItem share: every member but the item or key,
//! checked in DynamoDB's order, a condition on the item's current state
//! (ConditionExpression or the legacy Expected), and the response (the old
//! item for ALL_OLD, consumed capacity, item collection metrics).

use super::expressions::{self, Names, PreparedExpressions, Values, WriteCondition};
use super::write_members::{Member, WriteMembers};
use crate::capacity::{self, ReturnCapacity};
use crate::catalog::TableMeta;
use crate::write::WriteOutcome;
use crate::RequestContext;
use dynalith_expr::legacy::ExpectedAttributeValue;
use dynalith_model::{DynamoError, Item};
use serde_json::Map;
use std::collections::HashMap;

/// The shared members, borrowed from one operation's input.
pub struct ConditionalWrite<'a> {
    pub table_name: Option<&'a str>,
    pub return_values: Option<&'a str>,
    pub return_consumed_capacity: Option<&'a str>,
    pub return_item_collection_metrics: Option<&'a str>,
    pub condition_expression: Option<&'a str>,
    pub names: Option<&'a Names>,
    pub values: Option<&'a Values>,
    pub expected: Option<&'a HashMap<String, ExpectedAttributeValue>>,
    pub conditional_operator: Option<&'a str>,
    pub return_values_on_condition_check_failure: Option<&'a str>,
}

/// The members checked: the table's name, and the condition ready to run.
pub struct Checked<'a> {
    pub table_name: &'a str,
    /// ReturnValues ALL_OLD (the only other value allowed is NONE).
    pub return_old: bool,
    pub expressions: PreparedExpressions<'a>,
    pub condition: WriteCondition<'a>,
    /// ReturnValuesOnConditionCheckFailure ALL_OLD.
    pub return_item_on_failure: bool,
}

impl<'a> ConditionalWrite<'a> {
    /// Coral's member checks, with `subject` (the operation's Item or Key,
    /// named `subject_path` in messages) required, in `fallback` order if
    /// a required member is missing (`write_members`), then the table
    /// name, ReturnValues and the condition.
    pub fn check(
        &self,
        subject: &Option<Item>,
        subject_path: &str,
        fallback: &[Member; 7],
        context: &RequestContext,
    ) -> Result<Checked<'a>, DynamoError> {
        WriteMembers {
            table_name: self.table_name,
            subject,
            subject_path,
            return_values: self.return_values,
            return_consumed_capacity: self.return_consumed_capacity,
            return_item_collection_metrics: self.return_item_collection_metrics,
            conditional_operator: self.conditional_operator,
            return_values_on_condition_check_failure: self.return_values_on_condition_check_failure,
        }
        .check(fallback)?;
        let table_name = crate::table_reference::required(self.table_name, "tableName", context)?;
        let return_old = match self.return_values {
            None | Some("NONE") => false,
            Some("ALL_OLD") => true,
            Some(_) => {
                return Err(DynamoError::validation(
                    "ReturnValues can only be ALL_OLD or NONE",
                ))
            }
        };
        expressions::reject_mixing(
            &[
                ("Expected", self.expected.is_some()),
                ("ConditionalOperator", self.conditional_operator.is_some()),
            ],
            &[("ConditionExpression", self.condition_expression.is_some())],
        )?;
        let prepared = expressions::prepare(
            self.names,
            self.values,
            &expressions::ExpressionTexts {
                condition: self.condition_expression,
                ..Default::default()
            },
            &["ConditionExpression"],
        )?;
        let condition = WriteCondition::new(&prepared, self.expected, self.conditional_operator)?;
        Ok(Checked {
            table_name,
            return_old,
            expressions: prepared,
            condition,
            return_item_on_failure: expressions::wants_item_on_failure(
                self.return_values_on_condition_check_failure,
            ),
        })
    }

    /// The response to the write `outcome` describes.
    pub fn respond(
        &self,
        outcome: &WriteOutcome,
        table: &TableMeta,
        return_old: bool,
    ) -> Result<Vec<u8>, DynamoError> {
        let mut response = Map::new();
        if return_old {
            if let Some(old) = &outcome.old {
                response.insert("Attributes".into(), super::attributes_value(old)?);
            }
        }
        capacity::attach(
            &mut response,
            &outcome.consumed(),
            self.table_name.unwrap_or(&table.name),
            ReturnCapacity::parse(self.return_consumed_capacity),
        )?;
        super::attach_item_collection_metrics(
            &mut response,
            outcome,
            self.return_item_collection_metrics,
        );
        super::respond(response)
    }
}
