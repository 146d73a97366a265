//! UpdateItem: the current item (or, when absent, just its key) goes
//! through the UpdateExpression (or legacy AttributeUpdates) inside the
//! write's transaction, after the condition.

use super::expressions::{self, ExpressionTexts, Names, Values, WriteCondition};
use super::write_members::{self, WriteMembers, UPDATE_ITEM_FALLBACK};
use crate::capacity::{self, ReturnCapacity};
use crate::catalog::TableMeta;
use crate::primary_key::key_of_key_param;
use crate::write::{ItemWrite, Mutation};
use crate::Database;
use dynalith_expr::legacy::{self, AttributeValueUpdate, ExpectedAttributeValue, Legacy};
use dynalith_expr::{project_document_paths, Bindings, DocumentPath, UpdateExpression};
use dynalith_model::{wire::parse_single_write_input, DynamoError, Item};
use serde::Deserialize;
use serde_json::Map;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateItemInput {
    table_name: Option<String>,
    key: Option<Item>,
    update_expression: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<Names>,
    #[serde(
        default,
        deserialize_with = "dynalith_model::expression_values::deserialize"
    )]
    expression_attribute_values: Option<Values>,
    attribute_updates: Option<HashMap<String, AttributeValueUpdate>>,
    expected: Option<HashMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<String>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
}

/// The update to apply, in either form.
pub(super) enum Update<'a> {
    Nothing,
    Expression(Arc<UpdateExpression>, Bindings<'a>),
    AttributeUpdates(Legacy<UpdateExpression>),
}

impl Update<'_> {
    /// Applies the update to `item`; returns the document paths it touched.
    pub(super) fn apply(&self, item: &mut Item) -> Result<Vec<DocumentPath>, DynamoError> {
        match self {
            Update::Nothing => Ok(Vec::new()),
            Update::Expression(update, bindings) => Ok(update.apply(item, bindings)?.paths),
            Update::AttributeUpdates(converted) => Ok(converted.apply(item)?.paths),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ReturnValues {
    None,
    AllOld,
    UpdatedOld,
    AllNew,
    UpdatedNew,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: UpdateItemInput = parse_single_write_input(body).map_err(|e| {
        write_members::refuse_before_depth(body, e, "key", &UPDATE_ITEM_FALLBACK, false)
    })?;
    check_members(&input)?;
    let table_name =
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?;
    expressions::reject_mixing(
        &[
            ("AttributeUpdates", input.attribute_updates.is_some()),
            ("Expected", input.expected.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
        ],
        &[
            ("UpdateExpression", input.update_expression.is_some()),
            ("ConditionExpression", input.condition_expression.is_some()),
        ],
    )?;
    let prepared = expressions::prepare(
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
        &ExpressionTexts {
            update: input.update_expression.as_deref(),
            condition: input.condition_expression.as_deref(),
            projection: None,
        },
        &["UpdateExpression", "ConditionExpression"],
    )?;
    let condition = WriteCondition::new(
        &prepared,
        input.expected.as_ref(),
        input.conditional_operator.as_deref(),
    )?;
    let return_on_failure = expressions::wants_item_on_failure(
        input.return_values_on_condition_check_failure.as_deref(),
    );
    let return_values = match input.return_values.as_deref() {
        Some("ALL_OLD") => ReturnValues::AllOld,
        Some("UPDATED_OLD") => ReturnValues::UpdatedOld,
        Some("ALL_NEW") => ReturnValues::AllNew,
        Some("UPDATED_NEW") => ReturnValues::UpdatedNew,
        _ => ReturnValues::None,
    };
    let table = db.catalog().require_in(table_name, &context.region)?;
    let key_param = input
        .key
        .as_ref()
        .ok_or_else(|| DynamoError::internal("key checked above"))?;
    let key = key_of_key_param(&table, key_param)?;
    // After the key itself, as DynamoDB (Local) does.
    expressions::check_scalar_keys(&prepared, &table)?;
    let (update, key_attribute_error) =
        resolve_update(&table, &prepared, input.attribute_updates.as_ref())?;

    let mut touched: Vec<DocumentPath> = Vec::new();
    let outcome = db.write_client_item(ItemWrite {
        table: table.clone(),
        key,
        decide: Box::new(|old: Option<&Item>| {
            condition.check(old, return_on_failure)?;
            if let Some(error) = &key_attribute_error {
                return Err(error.clone());
            }
            // A failed update must not leave a half-applied copy behind, so
            // it works on a fresh copy every attempt.
            let mut item = old.cloned().unwrap_or_else(|| key_param.clone());
            touched = update.apply(&mut item)?;
            crate::updated_item::check(&table, &item)?;
            Ok(Mutation::Put(item))
        }),
    })?;

    let mut response = Map::new();
    let attributes = match return_values {
        ReturnValues::None => None,
        ReturnValues::AllOld => outcome.old.clone(),
        ReturnValues::AllNew => outcome.new.clone(),
        ReturnValues::UpdatedOld => outcome
            .old
            .as_ref()
            .map(|old| project_document_paths(old, &touched)),
        ReturnValues::UpdatedNew => outcome
            .new
            .as_ref()
            .map(|new| project_document_paths(new, &touched)),
    };
    if let Some(attributes) = attributes.filter(|a| !a.is_empty()) {
        response.insert("Attributes".into(), super::attributes_value(&attributes)?);
    }
    let mode = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    capacity::attach(
        &mut response,
        &outcome.consumed(),
        input.table_name.as_deref().unwrap_or(&table.name),
        mode,
    )?;
    super::attach_item_collection_metrics(
        &mut response,
        &outcome,
        input.return_item_collection_metrics.as_deref(),
    );
    super::respond(response)
}

fn check_members(input: &UpdateItemInput) -> Result<(), DynamoError> {
    WriteMembers {
        table_name: input.table_name.as_deref(),
        subject: &input.key,
        subject_path: "key",
        return_values: input.return_values.as_deref(),
        return_consumed_capacity: input.return_consumed_capacity.as_deref(),
        return_item_collection_metrics: input.return_item_collection_metrics.as_deref(),
        conditional_operator: input.conditional_operator.as_deref(),
        return_values_on_condition_check_failure: input
            .return_values_on_condition_check_failure
            .as_deref(),
    }
    .check(&UPDATE_ITEM_FALLBACK)
}

/// The update in whichever form the request used, and the error to give
/// if the condition holds when it writes a key attribute or reads inside
/// one (`SET a = pk.x`): DynamoDB (Local) evaluates the condition first,
/// so a failed condition wins.
pub(super) fn resolve_update<'a>(
    table: &TableMeta,
    prepared: &expressions::PreparedExpressions<'a>,
    attribute_updates: Option<&HashMap<String, AttributeValueUpdate>>,
) -> Result<(Update<'a>, Option<DynamoError>), DynamoError> {
    let key_names = expressions::key_names(table);
    if let Some(update) = &prepared.update {
        let key_error = update
            .check_key_attributes(&prepared.bindings, &key_names)
            .and_then(|()| update.check_scalar_keys(&prepared.bindings, &key_names))
            .err();
        return Ok((
            Update::Expression(update.clone(), prepared.bindings),
            key_error,
        ));
    }
    let Some(updates) = attribute_updates else {
        return Ok((Update::Nothing, None));
    };
    let key_error = key_names
        .iter()
        .find(|k| updates.contains_key(**k))
        .map(|key_name| {
            DynamoError::invalid_parameter(format!(
                "Cannot update attribute {key_name}. This attribute is part of the key"
            ))
        });
    Ok((
        Update::AttributeUpdates(legacy::convert_attribute_updates(updates)?),
        key_error,
    ))
}
