//! BatchExecuteStatement: up to 25 PartiQL statements, all reads (each a
//! SELECT of one item by its whole key) or all writes, each run on its own
//! as ExecuteStatement would run it. A statement's failure is its entry in
//! Responses, not the request's, a parameter DynamoDB refuses included; a
//! malformed batch (reads mixed with writes, one item written twice, a
//! parameter of the wrong JSON shape) fails as a whole. Messages are DynamoDB
//! Local's where the documentation gives none.

use super::execute_statement::{check_listed_statements, parsed, run, ListedStatement};
use crate::partiql::plan::{Plan, Planner};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{
    wire::{json_error, parse_input},
    AttributeValue, DynamoError, ErrorKind,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// DynamoDB's bound on statements per batch.
const MAX_STATEMENTS: usize = 25;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BatchExecuteStatementInput {
    statements: Option<Vec<ListedStatement<StatementParameter>>>,
    return_consumed_capacity: Option<String>,
}

/// A statement's parameter as BatchExecuteStatement reads it: a value
/// DynamoDB refuses (a number it cannot convert, nesting too deep) fails
/// its statement, with a ValidationError in Responses, not the batch
/// (recorded from DynamoDB, eu-west-2 and us-east-1, 2026-10, by the
/// paritysuite conformance suite; DynamoDB Local refuses the request). A
/// malformed one (a SerializationException) still fails the request, as
/// Coral reads the whole body before any statement runs.
struct StatementParameter(Result<AttributeValue, DynamoError>);

impl<'de> Deserialize<'de> for StatementParameter {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        match serde_json::from_value::<AttributeValue>(raw) {
            Ok(value) => Ok(StatementParameter(Ok(value))),
            Err(e) => {
                let refusal = json_error(&e);
                if refusal.kind == ErrorKind::Validation {
                    Ok(StatementParameter(Err(refusal)))
                } else {
                    Err(serde::de::Error::custom(e))
                }
            }
        }
    }
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: BatchExecuteStatementInput = parse_input(body)?;
    let mut v = Violations::new();
    check_listed_statements(
        &mut v,
        input.statements.as_deref(),
        "statements",
        MAX_STATEMENTS,
    );
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.finish()?;
    let statements = input.statements.unwrap_or_default();

    // Plan every statement first: the batch's shape is checked as a whole.
    let plans: Vec<Result<Plan, DynamoError>> = statements
        .iter()
        .map(|s| plan(db, context, s, input.return_consumed_capacity.as_deref()))
        .collect();
    let planned = plans.iter().filter_map(|p| p.as_ref().ok());
    let (reads, writes): (Vec<&Plan>, Vec<&Plan>) = planned.partition(|p| p.is_read());
    if !reads.is_empty() && !writes.is_empty() {
        return Err(DynamoError::validation(
            "Read and write requests together in the same batch is not supported.",
        ));
    }
    let mut written = std::collections::HashSet::new();
    for write in &writes {
        let key = write
            .key
            .as_ref()
            .map(|k| Value::Object(k.clone()).to_string());
        if !written.insert((write.table().to_string(), key)) {
            return Err(DynamoError::validation(
                "Provided list of item keys contains duplicates",
            ));
        }
    }

    let mut responses = Vec::with_capacity(plans.len());
    let mut capacity = Map::new();
    for plan in plans {
        let plan = match plan {
            Ok(plan) => plan,
            Err(e) => {
                responses.push(json!({"Error": statement_error(&e)}));
                continue;
            }
        };
        let mut entry = Map::new();
        entry.insert("TableName".into(), plan.table().into());
        match run(db, context, &plan) {
            Ok(mut response) => {
                if let Some(item) = response.remove("Item") {
                    entry.insert("Item".into(), plan.project(item));
                }
                // What a write's RETURNING clause asked for is its Item.
                if let Some(attributes) = response.remove("Attributes") {
                    entry.insert("Item".into(), attributes);
                }
                if let Some(consumed) = response.remove("ConsumedCapacity") {
                    add_capacity(&mut capacity, plan.table(), consumed);
                }
            }
            Err(e) => {
                entry.insert("Error".into(), statement_error(&e));
            }
        }
        responses.push(Value::Object(entry));
    }
    let mut out = Map::new();
    out.insert("Responses".into(), responses.into());
    if input.return_consumed_capacity.is_some_and(|c| c != "NONE") {
        out.insert(
            "ConsumedCapacity".into(),
            capacity.into_iter().map(|(_, c)| c).collect(),
        );
    }
    super::respond(out)
}

fn plan(
    db: &Database,
    context: &RequestContext,
    input: &ListedStatement<StatementParameter>,
    return_consumed_capacity: Option<&str>,
) -> Result<Plan, DynamoError> {
    // The first refused parameter, in the order they were sent, is the
    // statement's error, as ExecuteStatement refuses it before parsing.
    let parameters = input
        .parameters
        .iter()
        .flatten()
        .map(|p| p.0.clone())
        .collect::<Result<Vec<AttributeValue>, DynamoError>>()?;
    let statement = parsed(input.statement.as_deref().unwrap_or_default(), &parameters)?;
    let mut plan = Planner {
        db,
        parameters: &parameters,
        region: &context.region,
    }
    .plan_single_item(
        &statement,
        "Select statements within BatchExecuteStatement must specify the primary key in the where clause.",
    )?;
    if plan.is_read() {
        if let Some(consistent) = input.consistent_read {
            plan.body.insert("ConsistentRead".into(), consistent.into());
        }
    } else if let Some(on_failure) = &input.return_values_on_condition_check_failure {
        plan.body.insert(
            "ReturnValuesOnConditionCheckFailure".into(),
            on_failure.clone().into(),
        );
    }
    if let Some(capacity) = return_consumed_capacity {
        plan.body
            .insert("ReturnConsumedCapacity".into(), capacity.into());
    }
    Ok(plan)
}

/// A failed statement's entry: DynamoDB's BatchStatementError codes, and
/// the item a failed condition returns when asked.
fn statement_error(error: &DynamoError) -> Value {
    let code = match error.kind {
        ErrorKind::ConditionalCheckFailed => "ConditionalCheckFailed",
        ErrorKind::DuplicateItem => "DuplicateItem",
        ErrorKind::Validation | ErrorKind::Serialization => "ValidationError",
        ErrorKind::ResourceNotFound => "ResourceNotFound",
        ErrorKind::ItemCollectionSizeLimitExceeded => "ItemCollectionSizeLimitExceeded",
        ErrorKind::TransactionConflict => "TransactionConflict",
        ErrorKind::ProvisionedThroughputExceeded => "ProvisionedThroughputExceeded",
        ErrorKind::RequestLimitExceeded => "RequestLimitExceeded",
        ErrorKind::Throttling => "ThrottlingError",
        ErrorKind::AccessDenied => "AccessDenied",
        _ => "InternalServerError",
    };
    let mut entry = Map::new();
    entry.insert("Code".into(), code.into());
    entry.insert("Message".into(), error.message.clone().into());
    if let Some(item) = error.extra.as_ref().and_then(|e| e.get("Item")) {
        entry.insert("Item".into(), item.clone());
    }
    Value::Object(entry)
}

/// Adds one statement's ConsumedCapacity to its table's total.
fn add_capacity(totals: &mut Map<String, Value>, table: &str, consumed: Value) {
    match totals.get_mut(table) {
        Some(total) => merge_sum(total, &consumed),
        None => {
            totals.insert(table.into(), consumed);
        }
    }
}

/// `total` plus `more`, member by member (numbers add up): ConsumedCapacity
/// summed over several reads.
pub(super) fn merge_sum(total: &mut Value, more: &Value) {
    match (total, more) {
        (Value::Object(total), Value::Object(more)) => {
            for (key, value) in more {
                match total.get_mut(key) {
                    Some(existing) => merge_sum(existing, value),
                    None => {
                        total.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (total @ Value::Number(_), Value::Number(more)) => {
            let sum = total.as_f64().unwrap_or(0.0) + more.as_f64().unwrap_or(0.0);
            *total = json!(sum);
        }
        _ => {}
    }
}
