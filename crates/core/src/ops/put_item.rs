//! PutItem.

use super::expressions::{self, ExpressionTexts, Names, Values, WriteCondition};
use crate::capacity::{self, Consumed, ReturnCapacity};
use crate::primary_key::key_of_item;
use crate::validate::{self, Violations};
use crate::write::{ItemWrite, Mutation};
use crate::Database;
use dynalith_expr::legacy::ExpectedAttributeValue;
use dynalith_model::size::{item_size, MAX_ITEM_SIZE};
use dynalith_model::{wire::parse_input, DynamoError, Item};
use serde::Deserialize;
use serde_json::Map;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutItemInput {
    table_name: Option<String>,
    item: Option<Item>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<Names>,
    expression_attribute_values: Option<Values>,
    expected: Option<HashMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: PutItemInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name(input.table_name.as_deref(), "tableName");
    v.require(&input.item, "item");
    v.one_of(
        input.return_values.as_deref(),
        "returnValues",
        validate::RETURN_VALUES,
    );
    v.one_of(
        input.return_consumed_capacity.as_deref(),
        "returnConsumedCapacity",
        validate::RETURN_CONSUMED_CAPACITY,
    );
    v.one_of(
        input.return_item_collection_metrics.as_deref(),
        "returnItemCollectionMetrics",
        validate::RETURN_ITEM_COLLECTION_METRICS,
    );
    v.one_of(
        input.conditional_operator.as_deref(),
        "conditionalOperator",
        &["AND", "OR"],
    );
    v.one_of(
        input.return_values_on_condition_check_failure.as_deref(),
        "returnValuesOnConditionCheckFailure",
        validate::RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
    );
    v.finish()?;
    let return_old = match input.return_values.as_deref() {
        None | Some("NONE") => false,
        Some("ALL_OLD") => true,
        Some(_) => {
            return Err(DynamoError::validation(
                "ReturnValues can only be ALL_OLD or NONE",
            ))
        }
    };
    expressions::reject_mixing(
        &[("Expected", input.expected.is_some())],
        &[("ConditionExpression", input.condition_expression.is_some())],
    )?;
    let prepared = expressions::prepare(
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
        &ExpressionTexts {
            condition: input.condition_expression.as_deref(),
            ..Default::default()
        },
        &["ConditionExpression"],
    )?;
    let condition = WriteCondition::new(
        &prepared,
        input.expected.as_ref(),
        input.conditional_operator.as_deref(),
    )?;
    let return_on_failure = expressions::wants_item_on_failure(
        input.return_values_on_condition_check_failure.as_deref(),
    );
    let item = input
        .item
        .as_ref()
        .ok_or_else(|| DynamoError::internal("item checked above"))?;
    let table = db
        .catalog()
        .require(input.table_name.as_deref().unwrap_or_default())?;
    let key = key_of_item(&table, item)?;
    // After the key itself, as DynamoDB (Local) does.
    expressions::check_scalar_keys(&prepared, &table)?;
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(DynamoError::validation(
            "Item size has exceeded the maximum allowed size",
        ));
    }

    let outcome = db.write_item(ItemWrite {
        table: table.clone(),
        key,
        decide: Box::new(|old: Option<&Item>| {
            condition.check(old, return_on_failure)?;
            Ok(Mutation::Put(item.clone()))
        }),
    })?;

    let mut response = Map::new();
    if return_old {
        if let Some(old) = &outcome.old {
            response.insert("Attributes".into(), super::attributes_value(old)?);
        }
    }
    let units = capacity::write_units(outcome.old_size.max(outcome.new_size));
    let mode = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    capacity::attach(&mut response, &Consumed::write(units), &table.name, mode)?;
    super::respond(response)
}
