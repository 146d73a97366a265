//! DeleteItem.

use super::conditional_write::{Checked, ConditionalWrite};
use super::expressions::{self, Names, Values};
use super::write_members::{self, DELETE_ITEM_FALLBACK};
use crate::primary_key::key_of_key_param;
use crate::write::{ItemWrite, Mutation};
use crate::Database;
use dynalith_expr::legacy::ExpectedAttributeValue;
use dynalith_model::{wire::parse_single_write_input, DynamoError, Item};
use serde::Deserialize;
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
    let input: DeleteItemInput = parse_single_write_input(body).map_err(|e| {
        write_members::refuse_before_depth(body, e, "key", &DELETE_ITEM_FALLBACK, true)
    })?;
    let write = ConditionalWrite {
        table_name: input.table_name.as_deref(),
        return_values: input.return_values.as_deref(),
        return_consumed_capacity: input.return_consumed_capacity.as_deref(),
        return_item_collection_metrics: input.return_item_collection_metrics.as_deref(),
        condition_expression: input.condition_expression.as_deref(),
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values.as_ref(),
        expected: input.expected.as_ref(),
        conditional_operator: input.conditional_operator.as_deref(),
        return_values_on_condition_check_failure: input
            .return_values_on_condition_check_failure
            .as_deref(),
    };
    let Checked {
        table_name,
        return_old,
        expressions: prepared,
        condition,
        return_item_on_failure: return_on_failure,
    } = write.check(&input.key, "key", &DELETE_ITEM_FALLBACK, context)?;
    let table = db.catalog().require_in(table_name, &context.region)?;
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

    write.respond(&outcome, &table, return_old)
}
