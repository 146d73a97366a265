//! DeleteItem.

use super::expressions::{self, ConditionParameters, Names, PreparedCondition, Values};
use crate::capacity::{self, ReturnCapacity};
use crate::primary_key::key_of_key_param;
use crate::validate::{self, Violations};
use crate::write::{ItemWrite, Mutation};
use crate::Database;
use dynalith_expr::legacy::ExpectedAttributeValue;
use dynalith_model::{wire::parse_input, DynamoError, Item};
use serde::Deserialize;
use serde_json::Map;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteItemInput {
    table_name: Option<String>,
    key: Option<Item>,
    return_values: Option<String>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<Names>,
    #[serde(
        default,
        deserialize_with = "dynalith_model::expression_values::deserialize"
    )]
    expression_attribute_values: Option<Values>,
    expected: Option<HashMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: DeleteItemInput = parse_input(body)?;
    let mut v = Violations::new();
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    v.require(&input.key, "key");
    v.one_of(
        input.return_values.as_deref(),
        "returnValues",
        validate::RETURN_VALUES,
    );
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.return_item_collection_metrics(input.return_item_collection_metrics.as_deref());
    let condition_parameters = ConditionParameters {
        condition_expression: input.condition_expression.as_deref(),
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values.as_ref(),
        expected: input.expected.as_ref(),
        conditional_operator: input.conditional_operator.as_deref(),
        return_values_on_condition_check_failure: input
            .return_values_on_condition_check_failure
            .as_deref(),
    };
    condition_parameters.check_members(&mut v);
    v.finish()?;
    let table_name =
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?;
    let return_old = expressions::return_old_only(input.return_values.as_deref())?;
    let PreparedCondition {
        expressions: prepared,
        condition,
        return_item_on_failure: return_on_failure,
    } = condition_parameters.prepare()?;
    let table = db.catalog().require(table_name)?;
    let key = key_of_key_param(&table, input.key.as_ref().unwrap_or(&Item::new()))?;
    // After the key itself, as DynamoDB (Local) does.
    expressions::check_scalar_keys(&prepared, &table)?;

    let outcome = db.write_client_item(ItemWrite {
        table: table.clone(),
        key,
        decide: Box::new(|old: Option<&Item>| {
            condition.check(old, return_on_failure)?;
            Ok(Mutation::Delete)
        }),
    })?;

    let mut response = Map::new();
    if return_old {
        if let Some(old) = &outcome.old {
            response.insert("Attributes".into(), super::attributes_value(old)?);
        }
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
