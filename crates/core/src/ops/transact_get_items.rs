//! TransactGetItems: up to 100 Gets over any tables, read from one
//! storage snapshot, so that together they see a single point in time —
//! never half of a concurrent transaction.

use super::expressions::{self, ExpressionTexts, Names};
use super::index_definitions::shown_list;
use crate::capacity::{self, Consumed, ReturnCapacity};
use crate::catalog::TableMeta;
use crate::primary_key::{param_key, KeyFault};
use crate::throughput::Partition;
use crate::validate::Violations;
use crate::{storage_error, stored_item, Database};
use dynalith_expr::{Bindings, Projection};
use dynalith_model::{wire::parse_input, DynamoError, Item};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;

const MAX_GETS: usize = 100;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactGetItemsInput {
    transact_items: Option<Vec<TransactGetItem>>,
    return_consumed_capacity: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactGetItem {
    get: Option<GetInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetInput {
    table_name: Option<String>,
    key: Option<Item>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<Names>,
}

fn check_members(input: &TransactGetItemsInput) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    if v.require(&input.transact_items, "transactItems") {
        let items = input.transact_items.as_deref().unwrap_or_default();
        v.length_between(
            shown_list(items.len()),
            items.len(),
            "transactItems",
            1,
            MAX_GETS,
        );
        for (i, element) in items.iter().enumerate() {
            let path = format!("transactItems.{}.member.get", i + 1);
            if !v.require(&element.get, &path) {
                continue;
            }
            if let Some(get) = &element.get {
                v.require(&get.key, &format!("{path}.key"));
                crate::table_reference::check_member(
                    &mut v,
                    get.table_name.as_deref(),
                    &format!("{path}.tableName"),
                );
            }
        }
    }
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.finish()
}

struct Get<'a> {
    table: Arc<TableMeta>,
    key: Vec<u8>,
    projection: Option<(Arc<Projection>, Bindings<'a>)>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: TransactGetItemsInput = parse_input(body)?;
    check_members(&input)?;
    let mut gets = Vec::new();
    // A key that does not match the schema cancels the transaction, once
    // every get has passed the checks that refuse the request.
    let mut mismatched = Vec::new();
    for element in input.transact_items.as_deref().unwrap_or_default() {
        let get = element
            .get
            .as_ref()
            .ok_or_else(|| DynamoError::internal("get checked above"))?;
        let prepared = expressions::prepare(
            get.expression_attribute_names.as_ref(),
            None,
            &ExpressionTexts {
                projection: get.projection_expression.as_deref(),
                ..Default::default()
            },
            &[],
        )?;
        let table = db.catalog().require_in(
            crate::table_reference::required(get.table_name.as_deref(), "tableName", context)?,
            &context.region,
        )?;
        let key = param_key(&table, get.key.as_ref().unwrap_or(&Item::new()));
        expressions::check_scalar_keys(&prepared, &table)?;
        let key = match key {
            Ok(key) => {
                mismatched.push(None);
                key
            }
            Err(KeyFault::Mismatch(error)) => {
                mismatched.push(Some(
                    json!({"Code": "ValidationError", "Message": error.message}),
                ));
                continue;
            }
            Err(KeyFault::Invalid(error)) => return Err(error),
        };
        gets.push(Get {
            table,
            key,
            projection: prepared.projection.map(|p| (p, prepared.bindings)),
        });
    }
    let mut seen = std::collections::HashSet::new();
    if gets.iter().any(|g| !seen.insert(g.key.as_slice())) {
        return Err(DynamoError::validation(
            "Transaction request cannot include multiple operations on one item",
        ));
    }
    if mismatched.iter().any(Option::is_some) {
        return Err(super::transact_write_items::cancellation(mismatched));
    }

    let refused: Vec<Option<Value>> = gets
        .iter()
        .map(|get| {
            db.throughput()
                .admit_read(
                    &get.table,
                    None,
                    Partition::of_key(&get.key),
                    &context.region,
                )
                .err()
                .map(|throttled| throttled.cancellation_reason())
        })
        .collect();
    if refused.iter().any(Option::is_some) {
        return Err(super::transact_write_items::cancellation(refused));
    }

    let snapshot = db.engine().snapshot();
    let mut responses = Vec::with_capacity(gets.len());
    let mut consumed: Vec<(&str, f64)> = Vec::new();
    for get in &gets {
        let stored = snapshot.get(&get.key).map_err(storage_error)?;
        let size = stored
            .as_deref()
            .map(stored_item::size)
            .transpose()?
            .unwrap_or(0);
        let units = 2.0 * capacity::read_units(size, true);
        db.throughput().charge_read(
            &get.table,
            &Consumed::read(units),
            Partition::of_key(&get.key),
            &context.region,
        );
        match consumed
            .iter_mut()
            .find(|(name, _)| *name == get.table.name)
        {
            Some((_, total)) => *total += units,
            None => consumed.push((&get.table.name, units)),
        }
        let mut response = Map::new();
        if let Some(stored) = stored {
            let item = stored_item::decode(&stored)?;
            let item = match &get.projection {
                Some((projection, bindings)) => projection.apply(&item, bindings)?,
                None => item,
            };
            response.insert("Item".into(), super::attributes_value(&item)?);
        }
        responses.push(Value::Object(response));
    }

    let mut response = Map::new();
    let mode = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    if mode != ReturnCapacity::None {
        let reports: Vec<Value> = consumed
            .into_iter()
            .filter_map(|(name, units)| Consumed::read(units).report_transactional(name, mode))
            .collect();
        response.insert("ConsumedCapacity".into(), reports.into());
    }
    response.insert("Responses".into(), responses.into());
    super::respond(response)
}
