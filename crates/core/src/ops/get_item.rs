//! GetItem. Without a projection the stored wire JSON is copied into the
//! response as is.

use super::expressions::{self, ExpressionTexts, Names};
use crate::capacity::{self, Consumed, ReturnCapacity};
use crate::primary_key::key_of_key_param;
use crate::throughput::Partition;
use crate::validate::Violations;
use crate::{storage_error, stored_item, Database};
use dynalith_model::{wire::parse_input_in, DynamoError, Item, ValueLayer};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetItemInput {
    table_name: Option<String>,
    key: Option<Item>,
    attributes_to_get: Option<Vec<String>>,
    consistent_read: Option<bool>,
    return_consumed_capacity: Option<String>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<Names>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: GetItemInput = parse_input_in(body, ValueLayer::Current)?;
    let mut v = Violations::new();
    v.attributes_to_get(input.attributes_to_get.as_deref());
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    v.require(&input.key, "key");
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.finish()?;
    let table_name =
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?;
    expressions::reject_mixing(
        &[("AttributesToGet", input.attributes_to_get.is_some())],
        &[(
            "ProjectionExpression",
            input.projection_expression.is_some(),
        )],
    )?;
    let prepared = expressions::prepare(
        input.expression_attribute_names.as_ref(),
        None,
        &ExpressionTexts {
            projection: input.projection_expression.as_deref(),
            ..Default::default()
        },
        &[],
    )?;
    let table = db.catalog().require_in(table_name, &context.region)?;
    let key = key_of_key_param(&table, input.key.as_ref().unwrap_or(&Item::new()))?;
    // After the key itself, as DynamoDB (Local) does.
    expressions::check_scalar_keys(&prepared, &table)?;
    let partition = Partition::of_key(&key);
    db.throughput()
        .admit_read(&table, None, partition, &context.region)?;

    let stored = db
        .read_cache()
        .get_item(&key, || db.engine().get(&key))
        .map_err(storage_error)?;
    let consistent = input.consistent_read.unwrap_or(false);
    let size = stored
        .as_deref()
        .map(stored_item::size)
        .transpose()?
        .unwrap_or(0);
    let mode = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    let mut rest = Map::new();
    let consumed = Consumed::read(capacity::read_units(size, consistent));
    db.throughput()
        .charge_read(&table, &consumed, partition, &context.region);
    capacity::attach(
        &mut rest,
        &consumed,
        input.table_name.as_deref().unwrap_or(&table.name),
        mode,
    )?;

    let Some(stored) = stored else {
        return super::respond(rest);
    };
    let projection = match (&prepared.projection, &input.attributes_to_get) {
        (Some(projection), _) => Some(projection.clone()),
        (None, Some(names)) => Some(std::sync::Arc::new(
            dynalith_expr::legacy::convert_attributes_to_get(names)?,
        )),
        (None, None) => None,
    };
    match projection {
        None => {
            let json = stored_item::json(&stored)?;
            let mut out = Vec::with_capacity(json.len() + 96);
            out.extend_from_slice(b"{\"Item\":");
            out.extend_from_slice(json);
            for (name, value) in &rest {
                out.push(b',');
                serde_json::to_writer(&mut out, name)
                    .map_err(|e| DynamoError::internal(e.to_string()))?;
                out.push(b':');
                serde_json::to_writer(&mut out, value)
                    .map_err(|e| DynamoError::internal(e.to_string()))?;
            }
            out.push(b'}');
            Ok(out)
        }
        Some(projection) => {
            let item = stored_item::decode(&stored)?;
            let projected = projection.apply(&item, &prepared.bindings)?;
            rest.insert("Item".into(), super::attributes_value(&projected)?);
            super::respond(rest)
        }
    }
}
