//! BatchGetItem: up to 100 keys over several tables, read from one
//! snapshot. Keys whose items would take the response past 16 MB come back
//! in UnprocessedKeys, with their table's read options, for the client to
//! retry.

use super::batch_common::{self, DUPLICATE_KEYS};
use super::read_common;
use crate::capacity::{self, Consumed, ReturnCapacity};
use crate::catalog::TableMeta;
use crate::primary_key::key_of_key_param;
use crate::read_cache::Stored;
use crate::throughput::Partition;
use crate::validate::Violations;
use crate::{storage_error, stored_item, Database};
use dynalith_expr::{Bindings, Projection, RequestExpressions};
use dynalith_model::{wire::parse_input_in, DynamoError, Item, ValueLayer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// DynamoDB's bound on the keys of one request, over all tables.
const MAX_KEYS: usize = 100;
/// DynamoDB returns at most this much item data per BatchGetItem.
const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchGetItemInput {
    request_items: Option<BTreeMap<String, KeysAndAttributes>>,
    return_consumed_capacity: Option<String>,
}

/// One table's part of the request; echoed in UnprocessedKeys.
#[derive(Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct KeysAndAttributes {
    #[serde(skip_serializing_if = "Option::is_none")]
    keys: Option<Vec<Item>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attributes_to_get: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    consistent_read: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    projection_expression: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expression_attribute_names: Option<HashMap<String, String>>,
}

fn check_members(input: &BatchGetItemInput, body: &[u8]) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    let items = input.request_items.as_ref();
    let names: Option<Vec<&String>> = items.map(|m| m.keys().collect());
    batch_common::check_request_items(&mut v, body, names.as_deref());
    // The newer validation framework (recorded from DynamoDB, 2026-10-09):
    // a bad table name is quoted as JSON and reported ahead of the enum.
    batch_common::check_table_names(&mut v, names.as_deref().unwrap_or_default(), || {
        batch_common::json_request_items(body)
    });
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    for (table, request) in items.into_iter().flatten() {
        let path = format!("requestItems.{table}.member.keys");
        match &request.keys {
            None => v.push("null", &path, "Member must not be null"),
            Some(keys) => {
                let shown = || {
                    let raw = batch_common::raw_request_items(body);
                    let keys = raw.get(table).and_then(|t| t.get("Keys")).cloned();
                    format!("'{}'", batch_common::java_string(&keys.unwrap_or_default()))
                };
                if keys.is_empty() || keys.len() > MAX_KEYS {
                    v.length_between(shown(), keys.len(), &path, 1, MAX_KEYS);
                }
            }
        }
        if let Some(names) = &request.attributes_to_get {
            v.length_between(
                format_args!("'{names:?}'"),
                names.len(),
                &format!("requestItems.{table}.member.attributesToGet"),
                1,
                usize::MAX,
            );
        }
    }
    v.finish()
}

/// One table's projection, parsed.
enum TableProjection {
    All,
    Expression(Arc<Projection>),
    Attributes(Vec<String>),
}

fn prepare_projection(request: &KeysAndAttributes) -> Result<TableProjection, DynamoError> {
    read_common::reject_mixing(
        &[("AttributesToGet", request.attributes_to_get.is_some())],
        &[(
            "ProjectionExpression",
            request.projection_expression.is_some(),
        )],
    )?;
    read_common::check_unique_names(request.attributes_to_get.as_deref())?;
    let names = request.expression_attribute_names.as_ref();
    if let Some(text) = &request.projection_expression {
        let mut expressions = RequestExpressions::new(names, None)?;
        let projection = expressions.projection(text)?;
        expressions.finish()?;
        return Ok(TableProjection::Expression(projection));
    }
    dynalith_expr::check_without_expressions(names, None, &[])?;
    Ok(match &request.attributes_to_get {
        Some(names) => TableProjection::Attributes(names.clone()),
        None => TableProjection::All,
    })
}

/// A table's validated part of the request.
struct TableRead<'r> {
    name: &'r str,
    table: Arc<TableMeta>,
    request: &'r KeysAndAttributes,
    projection: TableProjection,
    storage_keys: Vec<Vec<u8>>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: BatchGetItemInput = parse_input_in(body, ValueLayer::Current)?;
    check_members(&input, body)?;
    let request_items = input.request_items.as_ref().ok_or_else(|| {
        DynamoError::internal("BatchGetItem without RequestItems passed validation")
    })?;
    let mut projections = Vec::with_capacity(request_items.len());
    for request in request_items.values() {
        projections.push(prepare_projection(request)?);
    }
    // The two forms are not mixed across tables either (DynamoDB refuses
    // it, as the paritysuite suite recorded in 2026).
    read_common::reject_mixing(
        &[(
            "AttributesToGet",
            request_items
                .values()
                .any(|r| r.attributes_to_get.is_some()),
        )],
        &[(
            "ProjectionExpression",
            request_items
                .values()
                .any(|r| r.projection_expression.is_some()),
        )],
    )?;
    let total: usize = request_items
        .values()
        .map(|r| r.keys.as_ref().map_or(0, Vec::len))
        .sum();
    if total > MAX_KEYS {
        return Err(DynamoError::validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    let mut tables = Vec::with_capacity(request_items.len());
    for ((name, request), projection) in request_items.iter().zip(projections) {
        tables.push(TableRead {
            name,
            table: db.catalog().require_in(
                crate::table_reference::table_name(name, "requestItems", context)?,
                &context.region,
            )?,
            request,
            projection,
            storage_keys: Vec::new(),
        });
    }
    for read in &mut tables {
        let mut seen = HashSet::new();
        for key in read.request.keys.iter().flatten() {
            let storage_key = key_of_key_param(&read.table, key)?;
            if !seen.insert(storage_key.clone()) {
                return Err(DynamoError::validation(DUPLICATE_KEYS));
            }
            read.storage_keys.push(storage_key);
        }
    }

    let mode = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    // Without the item cache, one snapshot serves every key; the cache
    // reads each key it misses on its own, after it looked (`read_cache`).
    let snapshot = (!db.read_cache().items_enabled()).then(|| db.engine().snapshot());
    let mut response_bytes = 0usize;
    let mut full = false;
    let mut responses: Vec<u8> = b"{".to_vec();
    let mut unprocessed = Map::new();
    let mut consumed = Vec::new();
    // With throughput enforced, a table that has run out of capacity
    // leaves its remaining keys unprocessed.
    let mut throttled = None;
    let mut processed_any = false;
    for (t, read) in tables.iter().enumerate() {
        let consistent = read.request.consistent_read.unwrap_or(false);
        let mut units = 0.0;
        let mut left_over = Vec::new();
        if t > 0 {
            responses.push(b',');
        }
        serde_json::to_writer(&mut responses, read.name).map_err(encoding)?;
        responses.extend_from_slice(b":[");
        let mut returned = 0usize;
        let keys = read.request.keys.iter().flatten();
        for (key, storage_key) in keys.zip(&read.storage_keys) {
            if full {
                left_over.push(key.clone());
                continue;
            }
            let partition = Partition::of_key(storage_key);
            if let Err(refused) =
                db.throughput()
                    .admit_read(&read.table, None, partition, &context.region)
            {
                throttled.get_or_insert(refused);
                left_over.push(key.clone());
                continue;
            }
            processed_any = true;
            let stored = match &snapshot {
                Some(snapshot) => snapshot.get(storage_key).map(|s| s.map(Stored::Loaded)),
                None => db
                    .read_cache()
                    .get_item(storage_key, || db.engine().get(storage_key)),
            };
            let Some(stored) = stored.map_err(storage_error)? else {
                // A missing item still costs the minimum read.
                let unit = capacity::read_units(0, consistent);
                let consumed = Consumed::read(unit);
                db.throughput()
                    .charge_read(&read.table, &consumed, partition, &context.region);
                units += unit;
                continue;
            };
            let size = stored_item::size(&stored)?;
            if response_bytes + size > MAX_RESPONSE_BYTES {
                full = true;
                left_over.push(key.clone());
                continue;
            }
            response_bytes += size;
            let item_units = capacity::read_units(size, consistent);
            let consumed = Consumed::read(item_units);
            db.throughput()
                .charge_read(&read.table, &consumed, partition, &context.region);
            units += item_units;
            if returned > 0 {
                responses.push(b',');
            }
            returned += 1;
            let names = read.request.expression_attribute_names.as_ref();
            write_item(&mut responses, &stored, &read.projection, names)?;
        }
        responses.push(b']');
        if !left_over.is_empty() {
            let mut retry = read.request.clone();
            retry.keys = Some(left_over);
            unprocessed.insert(
                read.name.to_string(),
                serde_json::to_value(&retry).map_err(encoding)?,
            );
        }
        consumed.extend(Consumed::read(units).report(read.name, mode));
    }
    responses.push(b'}');
    if let (Some(refused), false) = (throttled, processed_any) {
        return Err(refused.error());
    }

    let mut out = Vec::with_capacity(responses.len() + 64);
    out.extend_from_slice(b"{\"Responses\":");
    out.extend_from_slice(&responses);
    out.extend_from_slice(b",\"UnprocessedKeys\":");
    serde_json::to_writer(&mut out, &Value::Object(unprocessed)).map_err(encoding)?;
    if mode != ReturnCapacity::None {
        out.extend_from_slice(b",\"ConsumedCapacity\":");
        serde_json::to_writer(&mut out, &consumed).map_err(encoding)?;
    }
    out.push(b'}');
    Ok(out)
}

fn encoding(e: serde_json::Error) -> DynamoError {
    DynamoError::internal(format!("response encoding failed: {e}"))
}

/// Appends one item as the table's projection returns it.
fn write_item(
    out: &mut Vec<u8>,
    stored: &[u8],
    projection: &TableProjection,
    names: Option<&HashMap<String, String>>,
) -> Result<(), DynamoError> {
    let projected = match projection {
        TableProjection::All => {
            out.extend_from_slice(stored_item::json(stored)?);
            return Ok(());
        }
        TableProjection::Expression(projection) => {
            projection.apply(&stored_item::decode(stored)?, &Bindings::new(names, None))?
        }
        TableProjection::Attributes(names) => {
            dynalith_expr::project_attributes(&stored_item::decode(stored)?, names)
        }
    };
    serde_json::to_writer(out, &projected).map_err(encoding)
}
