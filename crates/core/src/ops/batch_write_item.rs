//! BatchWriteItem: up to 25 puts and deletes over several tables. Every
//! request is validated like PutItem / DeleteItem before anything is
//! written, then all of them go through the read-modify-write path in one
//! `write_items` call (DynamoDB does not promise atomicity across the
//! items of a batch; one transaction is simply the cheapest way to write
//! them). Requests are left unprocessed only when throughput is enforced
//! (`throughput`): a request whose table, global indexes or partition has
//! no capacity left goes back in UnprocessedItems, and when none could be
//! done the call fails as DynamoDB fails it, with the throttling error.

use super::batch_common::{self, DUPLICATE_KEYS};
use crate::capacity::{Consumed, ReturnCapacity};
use crate::catalog::TableMeta;
use crate::primary_key::{key_of_item, key_of_key_param};
use crate::throughput::Partition;
use crate::validate::Violations;
use crate::write::{ItemWrite, Mutation};
use crate::Database;
use dynalith_model::size::{item_size, MAX_ITEM_SIZE};
use dynalith_model::{attribute_names, wire::parse_input, DynamoError, Item};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// DynamoDB's bound on the requests of one call, over all tables.
const MAX_REQUESTS: usize = 25;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchWriteItemInput {
    request_items: Option<BTreeMap<String, Vec<WriteRequest>>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
}

/// Serialized back for UnprocessedItems.
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
struct WriteRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    put_request: Option<PutRequest>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete_request: Option<DeleteRequest>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
struct PutRequest {
    item: Option<Item>,
}

#[derive(Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteRequest {
    key: Option<Item>,
}

fn check_members(input: &BatchWriteItemInput, body: &[u8]) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.return_item_collection_metrics(input.return_item_collection_metrics.as_deref());
    let items = input.request_items.as_ref();
    let names: Option<Vec<&String>> = items.map(|m| m.keys().collect());
    batch_common::check_request_items(&mut v, body, names.as_deref());
    for requests in items.into_iter().flat_map(|m| m.values()) {
        if requests.is_empty() || requests.len() > MAX_REQUESTS {
            v.push(
                batch_common::quoted_request_items(body),
                "requestItems",
                "Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
            );
        }
    }
    for (table, requests) in items.into_iter().flatten() {
        for (i, request) in requests.iter().enumerate() {
            let path = format!("requestItems.{table}.member.{}.member", i + 1);
            if let Some(delete) = &request.delete_request {
                v.require(&delete.key, &format!("{path}.deleteRequest.key"));
            }
            if let Some(put) = &request.put_request {
                v.require(&put.item, &format!("{path}.putRequest.item"));
            }
        }
    }
    v.finish()?;
    // A bad table name gives way to the other member errors and is
    // reported alone after them (recorded from DynamoDB, 2026-10-09).
    let mut v = Violations::new();
    batch_common::check_table_names(&mut v, names.as_deref().unwrap_or_default(), || {
        batch_common::quoted_request_items(body)
    });
    v.finish()
}

/// One validated write.
enum Write<'r> {
    Put(&'r Item),
    Delete,
}

/// DynamoDB's key checks for a PutRequest: a key attribute that is missing
/// or of the wrong type is a schema mismatch here (PutItem words it
/// differently); empty values and sizes get PutItem's messages.
fn put_key(table: &TableMeta, item: &Item) -> Result<Vec<u8>, DynamoError> {
    let matches = table.key_schema.attributes().all(|attribute| {
        item.get(&attribute.name)
            .is_some_and(|value| attribute.scalar_type.matches(value))
    });
    if !matches {
        return Err(DynamoError::validation(
            "The provided key element does not match the schema",
        ));
    }
    key_of_item(table, item)
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: BatchWriteItemInput = parse_input(body)?;
    check_members(&input, body)?;
    let request_items = input.request_items.as_ref().ok_or_else(|| {
        DynamoError::internal("BatchWriteItem without RequestItems passed validation")
    })?;
    let mut total = 0;
    for requests in request_items.values() {
        for request in requests {
            let write = match (&request.put_request, &request.delete_request) {
                (Some(put), None) => put.item.as_ref().map(Write::Put),
                (None, Some(_)) => Some(Write::Delete),
                _ => {
                    return Err(DynamoError::validation(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                    ))
                }
            };
            if let Some(Write::Put(item)) = write {
                attribute_names::check(item)?;
                if item_size(item) > MAX_ITEM_SIZE {
                    return Err(DynamoError::validation(
                        "Item size has exceeded the maximum allowed size",
                    ));
                }
            }
            total += 1;
        }
    }
    if total > MAX_REQUESTS {
        return Err(DynamoError::validation(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    // Every table must exist before any key is looked at.
    let mut tables: Vec<Arc<TableMeta>> = Vec::with_capacity(request_items.len());
    // The answer names each table as the request did (name or ARN).
    let given: Vec<&String> = request_items.keys().collect();
    for name in &given {
        let name = crate::table_reference::table_name(name, "requestItems", context)?;
        tables.push(db.catalog().require_in(name, &context.region)?);
    }

    let empty = Item::new();
    let mut seen = HashSet::new();
    let mut writes = Vec::with_capacity(total);
    // Per write: its table's position and its partition.
    let mut write_places = Vec::with_capacity(total);
    let mut unprocessed: Vec<Vec<&WriteRequest>> = vec![Vec::new(); tables.len()];
    let mut throttled = None;
    for (t, (table, requests)) in tables.iter().zip(request_items.values()).enumerate() {
        for request in requests {
            let (key, write) = match (&request.put_request, &request.delete_request) {
                (Some(put), _) => {
                    let item = put.item.as_ref().unwrap_or(&empty);
                    (put_key(table, item)?, Write::Put(item))
                }
                (None, Some(delete)) => {
                    let key = delete.key.as_ref().unwrap_or(&empty);
                    (key_of_key_param(table, key)?, Write::Delete)
                }
                (None, None) => return Err(DynamoError::internal("empty write request")),
            };
            // Storage keys carry the table id, so one set serves all tables.
            if !seen.insert(key.clone()) {
                return Err(DynamoError::validation(DUPLICATE_KEYS));
            }
            let partition = Partition::of_key(&key);
            if let Err(refused) = db.throughput().admit_write(table, partition) {
                throttled.get_or_insert(refused);
                unprocessed[t].push(request);
                continue;
            }
            let table = Arc::clone(table);
            writes.push(match write {
                Write::Put(item) => ItemWrite {
                    table,
                    key,
                    decide: Box::new(move |_| Ok(Mutation::Put(item.clone()))),
                },
                Write::Delete => ItemWrite {
                    table,
                    key,
                    decide: Box::new(|_| Ok(Mutation::Delete)),
                },
            });
            write_places.push((t, partition));
        }
    }
    if let (Some(refused), true) = (throttled, writes.is_empty()) {
        return Err(refused.error());
    }

    let outcomes = db.write_items(writes)?;

    let mode = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    let mut consumed = vec![Consumed::default(); tables.len()];
    let mut metrics: Vec<Vec<serde_json::Value>> = vec![Vec::new(); tables.len()];
    for (outcome, &(t, partition)) in outcomes.iter().zip(&write_places) {
        let charge = outcome.consumed();
        db.throughput().charge_write(&tables[t], &charge, partition);
        consumed[t].add(&charge);
        metrics[t].extend(outcome.item_collection_metrics());
    }
    let mut left = serde_json::Map::new();
    for (name, requests) in given.iter().zip(&unprocessed) {
        if !requests.is_empty() {
            let requests = serde_json::to_value(requests)
                .map_err(|e| DynamoError::internal(format!("response encoding failed: {e}")))?;
            left.insert(name.to_string(), requests);
        }
    }
    let mut response = serde_json::Map::new();
    response.insert("UnprocessedItems".into(), left.into());
    if mode != ReturnCapacity::None {
        let consumed: Vec<serde_json::Value> = given
            .iter()
            .zip(consumed)
            .filter_map(|(name, consumed)| consumed.report(name, mode))
            .collect();
        response.insert("ConsumedCapacity".into(), consumed.into());
    }
    if input.return_item_collection_metrics.as_deref() == Some("SIZE") {
        let by_table: serde_json::Map<String, serde_json::Value> = given
            .iter()
            .zip(metrics)
            .filter(|(_, m)| !m.is_empty())
            .map(|(name, m)| (name.to_string(), m.into()))
            .collect();
        response.insert("ItemCollectionMetrics".into(), by_table.into());
    }
    super::respond(response)
}
