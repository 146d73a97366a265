//! TransactWriteItems: up to 100 Put, Update, Delete and ConditionCheck
//! actions over any tables, applied all or nothing.
//!
//! The actions go through the one read-modify-write path as a single
//! storage transaction: every item is locked (in key order, so no two
//! transactions deadlock), every condition is evaluated, and only if all
//! hold does anything commit — items, index entries and the request token
//! together. A transaction waits for another holding one of its items
//! rather than failing, which is serializable and fair to single-item
//! writes (they take the same locks).

use super::expressions::{
    self, ExpressionTexts, Names, PreparedExpressions, Values, WriteCondition,
};
use super::index_definitions::shown_list;
use super::update_item::{resolve_update, Update};
use crate::capacity::{self, Consumed, ReturnCapacity};
use crate::catalog::TableMeta;
use crate::index::{self, Origin};
use crate::primary_key::{self, key_attributes, KeyFault};
use crate::request_tokens::{self, Seen};
use crate::throughput::{Direction, Partition};
use crate::validate::{self, Violations};
use crate::write::{BeforeCommitError, ItemWrite, Mutation, WriteOutcome};
use crate::Database;
use dynalith_model::size::{item_size, MAX_ITEM_SIZE};
use dynalith_model::{attribute_names, wire::parse_input, DynamoError, ErrorKind, Item};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::cell::RefCell;
use std::sync::Arc;

/// DynamoDB's limits on one transaction.
const MAX_ACTIONS: usize = 100;
const MAX_PAYLOAD_BYTES: usize = 4 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactWriteItemsInput {
    transact_items: Option<Vec<TransactWriteItem>>,
    return_consumed_capacity: Option<String>,
    return_item_collection_metrics: Option<String>,
    client_request_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TransactWriteItem {
    condition_check: Option<ActionInput>,
    put: Option<ActionInput>,
    delete: Option<ActionInput>,
    update: Option<ActionInput>,
}

/// The members of the four action shapes (each uses some of them).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ActionInput {
    table_name: Option<String>,
    key: Option<Item>,
    item: Option<Item>,
    update_expression: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<Names>,
    #[serde(
        default,
        deserialize_with = "dynalith_model::expression_values::deserialize"
    )]
    expression_attribute_values: Option<Values>,
    return_values_on_condition_check_failure: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    ConditionCheck,
    Put,
    Delete,
    Update,
}

impl Kind {
    fn member(self) -> &'static str {
        match self {
            Kind::ConditionCheck => "conditionCheck",
            Kind::Put => "put",
            Kind::Delete => "delete",
            Kind::Update => "update",
        }
    }
}

impl TransactWriteItem {
    /// The one action of this element, or None when it has none or several.
    fn action(&self) -> Result<(Kind, &ActionInput), DynamoError> {
        let present: Vec<(Kind, &ActionInput)> = [
            (Kind::ConditionCheck, &self.condition_check),
            (Kind::Put, &self.put),
            (Kind::Delete, &self.delete),
            (Kind::Update, &self.update),
        ]
        .into_iter()
        .filter_map(|(kind, action)| action.as_ref().map(|a| (kind, a)))
        .collect();
        match present.as_slice() {
            [one] => Ok(*one),
            [] => Err(DynamoError::validation(
                "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request",
            )),
            _ => Err(DynamoError::validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            )),
        }
    }
}

fn check_members(input: &TransactWriteItemsInput) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    if v.require(&input.transact_items, "transactItems") {
        let items = input.transact_items.as_deref().unwrap_or_default();
        v.length_between(
            shown_list(items.len()),
            items.len(),
            "transactItems",
            1,
            MAX_ACTIONS,
        );
        for (i, element) in items.iter().enumerate() {
            let Ok((kind, action)) = element.action() else {
                continue;
            };
            let path = format!("transactItems.{}.member.{}", i + 1, kind.member());
            crate::table_reference::check_member(
                &mut v,
                action.table_name.as_deref(),
                &format!("{path}.tableName"),
            );
            match kind {
                Kind::Put => {
                    v.require(&action.item, &format!("{path}.item"));
                }
                _ => {
                    v.require(&action.key, &format!("{path}.key"));
                }
            }
            if kind == Kind::ConditionCheck {
                v.require(
                    &action.condition_expression,
                    &format!("{path}.conditionExpression"),
                );
            }
            if kind == Kind::Update {
                v.require(
                    &action.update_expression,
                    &format!("{path}.updateExpression"),
                );
            }
            v.one_of(
                action.return_values_on_condition_check_failure.as_deref(),
                &format!("{path}.returnValuesOnConditionCheckFailure"),
                validate::RETURN_VALUES_ON_CONDITION_CHECK_FAILURE,
            );
        }
    }
    // Coral's order (recorded from DynamoDB, us-east-1, 2026-10-09): the
    // token, then ReturnConsumedCapacity, then ReturnItemCollectionMetrics.
    if let Some(token) = &input.client_request_token {
        v.length_between(
            format_args!("'{token}'"),
            token.chars().count(),
            "clientRequestToken",
            1,
            36,
        );
    }
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.return_item_collection_metrics(input.return_item_collection_metrics.as_deref());
    v.finish()
}

/// One validated action, ready to run inside the transaction.
struct Action<'a> {
    kind: Kind,
    table: Arc<TableMeta>,
    key: Vec<u8>,
    /// The key attributes (Update starts a missing item from them).
    key_item: Item,
    /// Put's item.
    item: Option<&'a Item>,
    condition: WriteCondition<'a>,
    return_item_on_failure: bool,
    /// Update's update, and the error to give once the condition holds.
    update: Option<(Update<'a>, Option<DynamoError>)>,
}

/// Why an action does not go ahead.
enum Refusal {
    /// A reason to cancel the transaction.
    Cancel(DynamoError),
    /// A fault DynamoDB finds up front, which refuses the whole request.
    Refuse(DynamoError),
}

impl From<DynamoError> for Refusal {
    fn from(error: DynamoError) -> Refusal {
        Refusal::Cancel(error)
    }
}

impl Action<'_> {
    /// What the action does with the current item.
    fn decide(&self, old: Option<&Item>) -> Result<Mutation, Refusal> {
        self.condition.check(old, self.return_item_on_failure)?;
        match self.kind {
            Kind::ConditionCheck => Ok(Mutation::Keep),
            Kind::Delete => Ok(Mutation::Delete),
            Kind::Put => {
                Ok(Mutation::Put(self.item.cloned().ok_or_else(|| {
                    DynamoError::internal("put without item")
                })?))
            }
            Kind::Update => {
                let (update, key_error) = self
                    .update
                    .as_ref()
                    .ok_or_else(|| DynamoError::internal("update without expression"))?;
                if let Some(error) = key_error {
                    return Err(Refusal::Cancel(error.clone()));
                }
                let mut item = old.cloned().unwrap_or_else(|| self.key_item.clone());
                update.apply(&mut item)?;
                // An index key set to an empty value refuses the request;
                // one of the wrong type cancels it.
                match index::check_item_keys(&self.table, &item, Origin::Updated) {
                    Err(KeyFault::Invalid(error)) => return Err(Refusal::Refuse(error)),
                    Err(KeyFault::Mismatch(error)) => return Err(Refusal::Cancel(error)),
                    Ok(()) => {}
                }
                crate::updated_item::check(&self.table, &item)?;
                Ok(Mutation::Put(item))
            }
        }
    }
}

/// An action checked up front: ready to run, or one whose key (or index
/// key) has the wrong type, which cancels the transaction once every
/// action has passed the checks that refuse the request.
enum Prepared<'a> {
    Ready(Box<Action<'a>>),
    Mismatched(DynamoError),
}

/// An action's expressions, parsed and bound, and its condition.
type ReadExpressions<'a> = (PreparedExpressions<'a>, WriteCondition<'a>);

/// What DynamoDB checks of every action before it looks any table up: its
/// expressions parse and use every name and value given, and a Put's
/// attribute names are not empty (recorded from DynamoDB, 2026-10-09: a
/// malformed or unused-value expression on a later action is reported
/// ahead of a missing table on an earlier one).
fn read_expressions<'a>(
    kind: Kind,
    input: &'a ActionInput,
) -> Result<ReadExpressions<'a>, DynamoError> {
    let value_parameters: &[&str] = match kind {
        Kind::Update => &["UpdateExpression", "ConditionExpression"],
        _ => &["ConditionExpression"],
    };
    let prepared = expressions::prepare(
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
        &ExpressionTexts {
            update: input.update_expression.as_deref(),
            condition: input.condition_expression.as_deref(),
            projection: None,
        },
        value_parameters,
    )?;
    let condition = WriteCondition::new(&prepared, None, None)?;
    if matches!(kind, Kind::Put) {
        if let Some(item) = &input.item {
            attribute_names::check(item)?;
        }
    }
    Ok((prepared, condition))
}

/// What a request holding a value nested too deep (`error`) is refused
/// for: DynamoDB checks its actions one at a time, in request order, and
/// reports the first problem it meets, a value's depth among them; but
/// when the request nests its JSON too deep for its current reader, the
/// depth comes only after every action's other checks (recorded from
/// DynamoDB in ten Regions, 2026-10-09, by the paritysuite suite's
/// deepRequests tests). Always an error: what the request is read as here,
/// the too deep values as NULL, is never written.
fn refusal_of_too_deep(body: &[u8], error: DynamoError) -> DynamoError {
    if !error
        .message
        .contains(dynalith_model::value::NESTED_TOO_DEEP)
    {
        return error;
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Elements {
        transact_items: Option<Vec<Box<serde_json::value::RawValue>>>,
    }
    let read =
        dynalith_model::value::read_past_depth(|| parse_input::<TransactWriteItemsInput>(body));
    let (Ok(input), Ok(elements)) = (read, parse_input::<Elements>(body)) else {
        return error;
    };
    // Each action's own depth error, in the words reading it gives.
    let mut too_deep: Vec<Option<DynamoError>> = elements
        .transact_items
        .unwrap_or_default()
        .iter()
        .map(|raw| {
            parse_input::<TransactWriteItem>(raw.get().as_bytes())
                .err()
                .filter(|e| e.message.contains(dynalith_model::value::NESTED_TOO_DEEP))
        })
        .collect();
    let in_order = super::write_members::read_by_current_layer(body);
    let checked = check_members(&input).and_then(|()| {
        let elements = input.transact_items.as_deref().unwrap_or_default();
        let kinds = elements
            .iter()
            .map(TransactWriteItem::action)
            .collect::<Result<Vec<_>, _>>()?;
        for (i, (kind, action)) in kinds.into_iter().enumerate() {
            if in_order {
                if let Some(depth) = too_deep.get_mut(i).and_then(Option::take) {
                    return Err(depth);
                }
            }
            read_expressions(kind, action)?;
        }
        Ok(())
    });
    match checked {
        Err(first) => first,
        Ok(()) => too_deep.into_iter().flatten().next().unwrap_or(error),
    }
}

fn prepare<'a>(
    db: &Database,
    kind: Kind,
    input: &'a ActionInput,
    (prepared, condition): ReadExpressions<'a>,
    context: &crate::RequestContext,
) -> Result<Prepared<'a>, DynamoError> {
    let table = db.catalog().require_in(
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?,
        &context.region,
    )?;
    let (key, key_item) = match kind {
        Kind::Put => {
            let item = input
                .item
                .as_ref()
                .ok_or_else(|| DynamoError::internal("item checked above"))?;
            let key = primary_key::item_key(&table, item);
            if item_size(item) > MAX_ITEM_SIZE {
                return Err(DynamoError::validation(
                    "Item size has exceeded the maximum allowed size",
                ));
            }
            let key = match key {
                Ok(key) => index::check_item_keys(&table, item, Origin::Given).map(|()| key),
                Err(fault) => Err(fault),
            };
            (key, key_attributes(&table, item))
        }
        _ => {
            let key_param = input
                .key
                .as_ref()
                .ok_or_else(|| DynamoError::internal("key checked above"))?;
            (primary_key::param_key(&table, key_param), key_param.clone())
        }
    };
    let key = match key {
        Ok(key) => Ok(key),
        Err(KeyFault::Mismatch(error)) => Err(error),
        Err(KeyFault::Invalid(error)) => return Err(error),
    };
    expressions::check_scalar_keys(&prepared, &table)?;
    let update = match kind {
        Kind::Update => Some(resolve_update(&table, &prepared, None)?),
        _ => None,
    };
    let key = match key {
        Ok(key) => key,
        Err(mismatch) => return Ok(Prepared::Mismatched(mismatch)),
    };
    Ok(Prepared::Ready(Box::new(Action {
        kind,
        table,
        key,
        key_item,
        item: input.item.as_ref(),
        condition,
        return_item_on_failure: expressions::wants_item_on_failure(
            input.return_values_on_condition_check_failure.as_deref(),
        ),
        update,
    })))
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: TransactWriteItemsInput =
        parse_input(body).map_err(|error| refusal_of_too_deep(body, error))?;
    check_members(&input)?;
    let elements = input.transact_items.as_deref().unwrap_or_default();
    let kinds = elements
        .iter()
        .map(TransactWriteItem::action)
        .collect::<Result<Vec<_>, _>>()?;
    let expressions = kinds
        .iter()
        .map(|(kind, action)| read_expressions(*kind, action))
        .collect::<Result<Vec<_>, _>>()?;
    let prepared = kinds
        .iter()
        .zip(expressions)
        .map(|((kind, action), expressions)| prepare(db, *kind, action, expressions, context))
        .collect::<Result<Vec<_>, _>>()?;
    let mut actions = Vec::with_capacity(prepared.len());
    let mut mismatched = Vec::with_capacity(prepared.len());
    for action in prepared {
        match action {
            Prepared::Ready(action) => {
                actions.push(*action);
                mismatched.push(None);
            }
            Prepared::Mismatched(error) => mismatched.push(Some(cancellation_reason(error)?)),
        }
    }
    check_distinct_items(&actions)?;
    check_payload(&actions)?;
    if mismatched.iter().any(Option::is_some) {
        return Err(cancellation(mismatched));
    }
    let refused: Vec<Option<Value>> = actions
        .iter()
        .map(|action| {
            let partition = Partition::of_key(&action.key);
            let admitted = match action.kind {
                Kind::ConditionCheck => {
                    db.throughput()
                        .admit_read(&action.table, None, partition, &context.region)
                }
                _ => db.throughput().admit_write(&action.table, partition),
            };
            admitted
                .err()
                .map(|throttled| throttled.cancellation_reason())
        })
        .collect();
    if refused.iter().any(Option::is_some) {
        return Err(cancellation(refused));
    }

    let capacity_mode = ReturnCapacity::parse(input.return_consumed_capacity.as_deref());
    let with_metrics = input.return_item_collection_metrics.as_deref() == Some("SIZE");
    let token = input.client_request_token.as_deref();
    let fingerprint = match token {
        Some(_) => request_tokens::fingerprint(body)?,
        None => 0,
    };

    // Per action: why it cancels the transaction, if it does.
    let reasons: Vec<RefCell<Option<Value>>> = actions.iter().map(|_| RefCell::new(None)).collect();
    let writes = actions
        .iter()
        .zip(&reasons)
        .map(|(action, reason)| ItemWrite {
            table: Arc::clone(&action.table),
            key: action.key.clone(),
            decide: Box::new(move |old: Option<&Item>| match action.decide(old) {
                Ok(mutation) => {
                    *reason.borrow_mut() = None;
                    Ok(mutation)
                }
                Err(Refusal::Cancel(e)) => {
                    *reason.borrow_mut() = Some(cancellation_reason(e)?);
                    Ok(Mutation::Keep)
                }
                Err(Refusal::Refuse(e)) => Err(e),
            }),
        })
        .collect();

    let repeated: RefCell<Option<Vec<u8>>> = RefCell::new(None);
    let response: RefCell<Vec<u8>> = RefCell::new(Vec::new());
    let charges: RefCell<Vec<(Direction, Consumed)>> = RefCell::new(Vec::new());
    let result = db.write_items_then(writes, &mut |txn, outcomes| {
        if let Some(token) = token {
            if let Seen::Repeat(previous) = db.request_tokens().check(txn, token, fingerprint)? {
                *repeated.borrow_mut() =
                    Some(replayed(previous, &actions, outcomes, capacity_mode)?);
                return Err(BeforeCommitError::Refused(DynamoError::internal("repeat")));
            }
        }
        let cancelled: Vec<Option<Value>> = reasons.iter().map(|r| r.borrow().clone()).collect();
        if cancelled.iter().any(Option::is_some) {
            return Err(BeforeCommitError::Refused(cancellation(cancelled)));
        }
        let body = respond(&actions, outcomes, capacity_mode, with_metrics)?;
        *charges.borrow_mut() = actions
            .iter()
            .zip(outcomes)
            .map(|(action, outcome)| consumed_by(action, outcome))
            .collect();
        if let Some(token) = token {
            db.request_tokens().record(txn, token, fingerprint, &body)?;
        }
        *response.borrow_mut() = body;
        Ok(())
    });
    if let Some(previous) = repeated.into_inner() {
        return Ok(previous);
    }
    match result {
        Ok(_) => {
            for (action, (direction, consumed)) in actions.iter().zip(charges.into_inner()) {
                let partition = Partition::of_key(&action.key);
                match direction {
                    Direction::Read => db.throughput().charge_read(
                        &action.table,
                        &consumed,
                        partition,
                        &context.region,
                    ),
                    Direction::Write => {
                        db.throughput()
                            .charge_write(&action.table, &consumed, partition)
                    }
                }
            }
            if let Some(token) = token {
                db.request_tokens().committed(token);
                db.request_tokens().purge_expired(db.engine());
            }
            Ok(response.into_inner())
        }
        Err(e) if crate::write::is_contention(&e) => {
            // Locks kept timing out: report it the way DynamoDB reports a
            // transaction that lost to another.
            Err(cancellation(
                actions
                    .iter()
                    .map(|_| {
                        Some(json!({
                            "Code": "TransactionConflict",
                            "Message": "Transaction is ongoing for the item",
                        }))
                    })
                    .collect(),
            ))
        }
        Err(e) => Err(e),
    }
}

/// "Transaction request cannot include multiple operations on one item".
fn check_distinct_items(actions: &[Action<'_>]) -> Result<(), DynamoError> {
    let mut seen = std::collections::HashSet::new();
    // Storage keys carry the table id, so one set serves every table.
    if actions.iter().any(|a| !seen.insert(a.key.as_slice())) {
        return Err(DynamoError::validation(
            "Transaction request cannot include multiple operations on one item",
        ));
    }
    Ok(())
}

/// The 4 MB cap on the items (or keys) a transaction carries, reported
/// with the running total that crossed it, as DynamoDB does.
fn check_payload(actions: &[Action<'_>]) -> Result<(), DynamoError> {
    let mut total = 0;
    for action in actions {
        total += match action.item {
            Some(item) => item_size(item),
            None => item_size(&action.key_item),
        };
        if total > MAX_PAYLOAD_BYTES {
            return Err(DynamoError::validation(format!(
                "Transaction payload size cannot exceed 4MB. Payload Size: {total}"
            )));
        }
    }
    Ok(())
}

/// The CancellationReasons entry for an action's error; errors that are
/// not about the request (storage failures) fail the request instead.
fn cancellation_reason(error: DynamoError) -> Result<Value, DynamoError> {
    match error.kind {
        ErrorKind::ConditionalCheckFailed => {
            let mut reason = json!({
                "Code": "ConditionalCheckFailed",
                "Message": "The conditional request failed",
            });
            if let Some(item) = error.extra.as_ref().and_then(|e| e.get("Item")) {
                reason["Item"] = item.clone();
            }
            Ok(reason)
        }
        ErrorKind::Validation => Ok(json!({"Code": "ValidationError", "Message": error.message})),
        _ => Err(error),
    }
}

/// TransactionCanceledException with one reason per action, in request
/// order (`None` for the actions that would have succeeded).
pub(super) fn cancellation(reasons: Vec<Option<Value>>) -> DynamoError {
    let codes: Vec<&str> = reasons
        .iter()
        .map(|r| {
            r.as_ref()
                .and_then(|r| r["Code"].as_str())
                .unwrap_or("None")
        })
        .collect();
    let message = format!(
        "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
        codes.join(", ")
    );
    let reasons: Vec<Value> = reasons
        .into_iter()
        .map(|r| r.unwrap_or_else(|| json!({"Code": "None"})))
        .collect();
    // DynamoDB writes this exception's message as `Message`.
    DynamoError::new(ErrorKind::TransactionCanceled, "")
        .with_extra("CancellationReasons", reasons.into())
        .with_extra("Message", message.into())
}

/// What one action consumed (transactional units cost double): a
/// condition check reads, the other actions write.
fn consumed_by(action: &Action<'_>, outcome: &WriteOutcome) -> (Direction, Consumed) {
    if action.kind == Kind::ConditionCheck {
        let units = 2.0 * capacity::read_units(outcome.old_size, true);
        return (Direction::Read, Consumed::read(units));
    }
    let doubled: Vec<_> = outcome
        .index_units
        .iter()
        .map(|i| crate::index::IndexUnits {
            units: 2.0 * i.units,
            ..i.clone()
        })
        .collect();
    let mut consumed = Consumed::write(2.0 * outcome.table_units()).with_indexes(&doubled, false);
    // Bytes, not units: a transaction does not double them (not recorded).
    consumed.vector_bytes = outcome.vector_bytes.clone();
    (Direction::Write, consumed)
}

/// The first call's response, for a repeat of it (the same token and
/// request): nothing is written again, and what it consumed is reading
/// the items, transactionally (DynamoDB's documented and recorded answer:
/// a 1.5 KB item costs 4 write units the first time, 2 read units after).
fn replayed(
    previous: Vec<u8>,
    actions: &[Action<'_>],
    outcomes: &[WriteOutcome],
    mode: ReturnCapacity,
) -> Result<Vec<u8>, DynamoError> {
    if mode == ReturnCapacity::None {
        return Ok(previous);
    }
    let mut response: Map<String, Value> = serde_json::from_slice(&previous)
        .map_err(|e| DynamoError::internal(format!("stored response: {e}")))?;
    let mut tables: Vec<(&str, Consumed)> = Vec::new();
    for (action, outcome) in actions.iter().zip(outcomes) {
        let read = Consumed::read(2.0 * capacity::read_units(outcome.old_size, true));
        match tables
            .iter_mut()
            .find(|(name, _)| *name == action.table.name)
        {
            Some((_, consumed)) => consumed.add(&read),
            None => tables.push((&action.table.name, read)),
        }
    }
    let reports: Vec<Value> = tables
        .iter()
        .filter_map(|(name, consumed)| consumed.report_transactional(name, mode))
        .collect();
    response.insert("ConsumedCapacity".into(), reports.into());
    super::respond(response)
}

/// The response: ConsumedCapacity per table (transactional units cost
/// double) and ItemCollectionMetrics when asked for.
fn respond(
    actions: &[Action<'_>],
    outcomes: &[WriteOutcome],
    mode: ReturnCapacity,
    with_metrics: bool,
) -> Result<Vec<u8>, DynamoError> {
    let mut tables: Vec<(&str, Consumed, Vec<Value>)> = Vec::new();
    for (action, outcome) in actions.iter().zip(outcomes) {
        let position = match tables
            .iter()
            .position(|(name, ..)| *name == action.table.name)
        {
            Some(p) => p,
            None => {
                tables.push((&action.table.name, Consumed::default(), Vec::new()));
                tables.len() - 1
            }
        };
        let (_, consumed, metrics) = &mut tables[position];
        consumed.add(&consumed_by(action, outcome).1);
        if action.kind != Kind::ConditionCheck {
            metrics.extend(outcome.item_collection_metrics());
        }
    }
    let mut response = Map::new();
    if mode != ReturnCapacity::None {
        let reports: Vec<Value> = tables
            .iter()
            .filter_map(|(name, consumed, _)| consumed.report_transactional(name, mode))
            .collect();
        response.insert("ConsumedCapacity".into(), reports.into());
    }
    if with_metrics {
        let by_table: Map<String, Value> = tables
            .into_iter()
            .filter(|(_, _, metrics)| !metrics.is_empty())
            .map(|(name, _, metrics)| (name.to_string(), metrics.into()))
            .collect();
        response.insert("ItemCollectionMetrics".into(), by_table.into());
    }
    super::respond(response)
}
