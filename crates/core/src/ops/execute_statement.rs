//! ExecuteStatement: one PartiQL statement, run as the equivalent request
//! of the JSON API (`partiql/plan.rs`), so that it shares that operation's
//! validation, limits, capacity arithmetic and storage path.

use super::index_definitions::shown_list;
use super::Operation;
use crate::partiql::parse;
use crate::partiql::plan::{Plan, Planner};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use base64::Engine as _;
use dynalith_model::{json_integer, wire::parse_input, AttributeValue, DynamoError, ErrorKind};
use serde::Deserialize;
use serde_json::{Map, Value};

/// DynamoDB's bound on a statement's length.
pub(crate) const MAX_STATEMENT_LENGTH: usize = 8192;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExecuteStatementInput {
    statement: Option<String>,
    parameters: Option<Vec<AttributeValue>>,
    consistent_read: Option<bool>,
    next_token: Option<String>,
    return_consumed_capacity: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    limit: Option<i64>,
    return_values_on_condition_check_failure: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: ExecuteStatementInput = parse_input(body)?;
    let mut v = Violations::new();
    check_statement_members(
        &mut v,
        input.statement.as_deref(),
        input.parameters.as_deref(),
        "",
    );
    v.at_least(input.limit, "limit", 1);
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.finish()?;
    let parameters = input.parameters.as_deref().unwrap_or_default();
    let statement = parsed(input.statement.as_deref().unwrap_or_default(), parameters)?;
    let mut plan = Planner {
        db,
        parameters,
        region: &context.region,
    }
    .plan(&statement)?;
    if input.consistent_read == Some(true)
        && plan.is_read()
        && reads_a_global_index(db, context, &plan)?
    {
        // PartiQL's own words for what Query calls "Consistent reads are
        // not supported on global secondary indexes" (recorded from
        // DynamoDB by the paritysuite suite).
        return Err(DynamoError::validation(
            "Strongly consistent read is not supported on Global Secondary Indexes",
        ));
    }
    if !plan.partition_queries.is_empty() {
        let page = super::statement_partitions::read(
            db,
            context,
            &plan,
            input.limit,
            input.consistent_read.unwrap_or(false),
            input.return_consumed_capacity.as_deref(),
            input.next_token.as_deref(),
        )?;
        return respond(&plan, page.response, page.next_token);
    }
    if matches!(plan.operation, Operation::Query | Operation::Scan) {
        if let Some(limit) = input.limit {
            plan.body.insert("Limit".into(), limit.into());
        }
        if let Some(consistent) = input.consistent_read {
            plan.body.insert("ConsistentRead".into(), consistent.into());
        }
        if let Some(token) = &input.next_token {
            plan.body
                .insert("ExclusiveStartKey".into(), start_key_of_token(token)?);
        }
    } else if let Some(on_failure) = &input.return_values_on_condition_check_failure {
        plan.body.insert(
            "ReturnValuesOnConditionCheckFailure".into(),
            on_failure.clone().into(),
        );
    }
    if let Some(capacity) = &input.return_consumed_capacity {
        plan.body
            .insert("ReturnConsumedCapacity".into(), capacity.clone().into());
    }
    let response = run(db, context, &plan)?;
    let next_token = (response.get("LastEvaluatedKey"))
        .map(token_of_start_key)
        .transpose()?;
    respond(&plan, response, next_token)
}

/// ExecuteStatement's answer from that of the operation the statement ran
/// as.
fn respond(
    plan: &Plan,
    mut response: Map<String, Value>,
    next_token: Option<String>,
) -> Result<Vec<u8>, DynamoError> {
    let items: Vec<Value> = match response.remove("Items") {
        Some(Value::Array(items)) => items.into_iter().map(|i| plan.project(i)).collect(),
        // A write's returned attributes, when it returns them.
        _ => response.remove("Attributes").into_iter().collect(),
    };
    let mut out = Map::new();
    out.insert("Items".into(), items.into());
    if let Some(token) = next_token {
        out.insert("NextToken".into(), token.into());
    }
    if let Some(key) = response.remove("LastEvaluatedKey") {
        out.insert("LastEvaluatedKey".into(), key);
    }
    if let Some(capacity) = response.remove("ConsumedCapacity") {
        out.insert("ConsumedCapacity".into(), capacity);
    }
    super::respond(out)
}

/// A statement of BatchExecuteStatement or ExecuteTransaction (whose
/// ParameterizedStatement has no ConsistentRead), with parameters of type
/// `P` (BatchExecuteStatement reads them its own way).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListedStatement<P = AttributeValue> {
    pub statement: Option<String>,
    pub parameters: Option<Vec<P>>,
    pub consistent_read: Option<bool>,
    pub return_values_on_condition_check_failure: Option<String>,
}

/// Coral's checks on a list of statements at `path`, of at most `max`.
pub(crate) fn check_listed_statements<P>(
    v: &mut Violations,
    statements: Option<&[ListedStatement<P>]>,
    path: &str,
    max: usize,
) {
    if !v.require(&statements, path) {
        return;
    }
    let statements = statements.unwrap_or_default();
    v.length_between(shown_list(statements.len()), statements.len(), path, 1, max);
    for (i, s) in statements.iter().enumerate() {
        check_statement_members(
            v,
            s.statement.as_deref(),
            s.parameters.as_deref(),
            &format!("{path}.{}.member.", i + 1),
        );
    }
}

/// Coral's checks on a statement and its parameters, at `prefix` (empty,
/// or a list member's path with its trailing dot).
pub(crate) fn check_statement_members<P>(
    v: &mut Violations,
    statement: Option<&str>,
    parameters: Option<&[P]>,
    prefix: &str,
) {
    let path = format!("{prefix}statement");
    if v.require(&statement, &path) {
        let text = statement.unwrap_or_default();
        v.length_between(
            "'[...]'",
            text.chars().count(),
            &path,
            1,
            MAX_STATEMENT_LENGTH,
        );
    }
    if let Some(parameters) = parameters {
        v.length_between(
            shown_list(parameters.len()),
            parameters.len(),
            &format!("{prefix}parameters"),
            1,
            usize::MAX,
        );
    }
}

/// A statement parsed, with as many parameters as it has `?`. A statement
/// that does not parse is refused for that first, as DynamoDB does.
pub(crate) fn parsed(
    text: &str,
    parameters: &[AttributeValue],
) -> Result<parse::Statement, DynamoError> {
    let statement = parse::parse(text)?;
    if parse::parameter_count(text)? != parameters.len() {
        return Err(DynamoError::validation(
            "Number of parameters in request and statement don't match.",
        ));
    }
    // A literal's empty name is the parser's "Path component cannot be an
    // empty string"; a parameter's is an item's "Empty attribute name".
    if parameters
        .iter()
        .any(dynalith_model::attribute_names::value_has_empty_name)
    {
        return Err(DynamoError::validation(
            dynalith_model::attribute_names::EMPTY_ATTRIBUTE_NAME,
        ));
    }
    Ok(statement)
}

/// Runs a plan; returns the operation's response object. An INSERT's
/// failed condition is a duplicate key.
pub(crate) fn run(
    db: &Database,
    context: &RequestContext,
    plan: &Plan,
) -> Result<Map<String, Value>, DynamoError> {
    let request = serde_json::to_vec(&Value::Object(plan.body.clone()))
        .map_err(|e| DynamoError::internal(e.to_string()))?;
    let result = match (plan.descending_scan, plan.operation) {
        (true, _) => super::scan::execute_descending(db, &request, context),
        (false, Operation::Query) => super::query::execute_for_statement(db, &request, context),
        (false, operation) => super::execute(db, operation, &request, context),
    };
    let response = match result {
        Err(e) if plan.insert && e.kind == ErrorKind::ConditionalCheckFailed => {
            return Err(duplicate_item())
        }
        other => other.map_err(in_statement_terms)?,
    };
    response_map(&response)
}

/// One Query of a SELECT, its body as the plan made it.
pub(super) fn run_query(
    db: &Database,
    context: &RequestContext,
    body: &Map<String, Value>,
) -> Result<Map<String, Value>, DynamoError> {
    let request = serde_json::to_vec(body).map_err(|e| DynamoError::internal(e.to_string()))?;
    let response =
        super::query::execute_for_statement(db, &request, context).map_err(in_statement_terms)?;
    response_map(&response)
}

fn response_map(response: &[u8]) -> Result<Map<String, Value>, DynamoError> {
    match serde_json::from_slice(response) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(DynamoError::internal("unreadable operation response")),
    }
}

/// An error of the operation a statement ran as, in the statement's terms:
/// its writer wrote no FilterExpression or UpdateExpression, and DynamoDB's
/// PartiQL messages do not name them.
pub(crate) fn in_statement_terms(mut error: DynamoError) -> DynamoError {
    const EXPRESSIONS: [&str; 5] = [
        "Invalid FilterExpression: ",
        "Invalid ConditionExpression: ",
        "Invalid UpdateExpression: ",
        "Invalid KeyConditionExpression: ",
        "Invalid ProjectionExpression: ",
    ];
    if let Some(rest) = EXPRESSIONS
        .iter()
        .find_map(|prefix| error.message.strip_prefix(prefix))
    {
        error.message = rest.to_string();
    }
    error
}

pub(crate) fn duplicate_item() -> DynamoError {
    DynamoError::new(
        ErrorKind::DuplicateItem,
        "Duplicate primary key exists in table",
    )
}

/// A NextToken carries the page's LastEvaluatedKey.
pub(super) fn token_of_start_key(key: &Value) -> Result<String, DynamoError> {
    let json = serde_json::to_vec(key).map_err(|e| DynamoError::internal(e.to_string()))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(json))
}

pub(super) fn start_key_of_token(token: &str) -> Result<Value, DynamoError> {
    let invalid = || DynamoError::validation("Invalid NextToken");
    let json = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| invalid())?;
    match serde_json::from_slice(&json) {
        Ok(Value::Object(key)) => Ok(Value::Object(key)),
        _ => Err(invalid()),
    }
}

/// Whether a planned read goes to a global secondary index.
fn reads_a_global_index(
    db: &Database,
    context: &RequestContext,
    plan: &crate::partiql::plan::Plan,
) -> Result<bool, DynamoError> {
    let Some(index) = plan.body.get("IndexName").and_then(Value::as_str) else {
        return Ok(false);
    };
    let table = db.catalog().require_in(plan.table(), &context.region)?;
    Ok(table
        .index(index)
        .is_some_and(|i| i.kind == crate::catalog::IndexKind::Global))
}
