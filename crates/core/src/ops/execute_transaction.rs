//! ExecuteTransaction: up to 100 PartiQL statements as one transaction,
//! all reads (each a SELECT of one item by its whole key: a
//! TransactGetItems) or all writes (a TransactWriteItems of the statements'
//! Put, Update and Delete, and the ConditionCheck of each
//! `EXISTS(SELECT ...)`). Messages are DynamoDB Local's where the
//! documentation gives none; an INSERT of an existing key cancels the
//! transaction with a ValidationError reason, as DynamoDB Local reports it.

use super::execute_statement::{
    check_listed_statements, in_statement_terms, parsed, ListedStatement,
};
use super::Operation;
use crate::partiql::parse::Statement;
use crate::partiql::plan::{Plan, Planner};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{wire::parse_input, DynamoError, ErrorKind};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// DynamoDB's bound on statements per transaction.
const MAX_STATEMENTS: usize = 100;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExecuteTransactionInput {
    transact_statements: Option<Vec<ListedStatement>>,
    client_request_token: Option<String>,
    return_consumed_capacity: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: ExecuteTransactionInput = parse_input(body)?;
    let mut v = Violations::new();
    check_listed_statements(
        &mut v,
        input.transact_statements.as_deref(),
        "transactStatements",
        MAX_STATEMENTS,
    );
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.finish()?;
    let statements = input.transact_statements.unwrap_or_default();

    let mut plans: Vec<TransactStatement> = Vec::with_capacity(statements.len());
    for (i, s) in statements.iter().enumerate() {
        let parameters = s.parameters.as_deref().unwrap_or_default();
        let in_statement = |detail: &str| {
            DynamoError::validation(format!(
                "Validation failed in TransactStatements[{i}]: {detail}"
            ))
        };
        // A statement refused as it is read names its place, one that does
        // not parse too (recorded from DynamoDB, 2026-10: "Validation failed
        // in TransactStatements[0]: Statement wasn't well formed, ...").
        let statement = parsed(s.statement.as_deref().unwrap_or_default(), parameters).map_err(
            |e| match e.kind {
                ErrorKind::Validation => in_statement(&e.message),
                _ => e,
            },
        )?;
        if matches!(
            statement,
            Statement::Update {
                returning: Some(_),
                ..
            } | Statement::Delete {
                returning: Some(_),
                ..
            }
        ) {
            return Err(in_statement(
                "RETURNING clause is not supported in ExecuteTransaction.",
            ));
        }
        let planner = Planner {
            db,
            parameters,
            region: &context.region,
        };
        let mut planned = match &statement {
            Statement::Exists(select) => {
                TransactStatement::ConditionCheck(planner.condition_check(select, &in_statement)?)
            }
            _ => {
                let whole_key = "Select statements within ExecuteTransaction must specify the primary key in the where clause.";
                TransactStatement::Plan(planner.plan_single_item(&statement, whole_key).map_err(
                    |e| {
                        if e.message == whole_key {
                            in_statement(whole_key)
                        } else {
                            e
                        }
                    },
                )?)
            }
        };
        if let Some(on_failure) = &s.return_values_on_condition_check_failure {
            if let Some(body) = planned.write_body() {
                body.insert(
                    "ReturnValuesOnConditionCheckFailure".into(),
                    on_failure.clone().into(),
                );
            }
        }
        plans.push(planned);
    }
    let reads = plans.iter().filter(|p| p.is_read()).count();
    if reads != 0 && reads != plans.len() {
        return Err(DynamoError::validation(
            "ExecuteTransaction API does not support both read and write operations in the same request.",
        ));
    }

    let items: Vec<Value> = plans.iter().map(TransactStatement::item).collect();
    let mut request = Map::new();
    request.insert("TransactItems".into(), items.into());
    if let Some(capacity) = &input.return_consumed_capacity {
        request.insert("ReturnConsumedCapacity".into(), capacity.clone().into());
    }
    let operation = if reads != 0 {
        Operation::TransactGetItems
    } else {
        if let Some(token) = &input.client_request_token {
            request.insert("ClientRequestToken".into(), token.clone().into());
        }
        Operation::TransactWriteItems
    };
    let bytes = serde_json::to_vec(&Value::Object(request))
        .map_err(|e| DynamoError::internal(e.to_string()))?;
    let response = super::execute(db, operation, &bytes, context)
        .map_err(|e| with_duplicate_items(in_statement_terms(e), &plans))?;
    let mut response: Map<String, Value> =
        serde_json::from_slice(&response).map_err(|e| DynamoError::internal(e.to_string()))?;
    let mut out = Map::new();
    let responses: Vec<Value> = match response.remove("Responses") {
        Some(Value::Array(responses)) => responses
            .into_iter()
            .zip(&plans)
            .map(|(mut entry, planned)| {
                if let (Some(item), TransactStatement::Plan(plan)) =
                    (entry.get_mut("Item"), planned)
                {
                    *item = plan.project(item.take());
                }
                entry
            })
            .collect(),
        _ => Vec::new(),
    };
    out.insert("Responses".into(), responses.into());
    if let Some(capacity) = response.remove("ConsumedCapacity") {
        out.insert("ConsumedCapacity".into(), capacity);
    }
    super::respond(out)
}

/// What one statement of the transaction runs as.
enum TransactStatement {
    Plan(Plan),
    /// An `EXISTS(SELECT ...)`: the ConditionCheck's body.
    ConditionCheck(Map<String, Value>),
}

impl TransactStatement {
    fn is_read(&self) -> bool {
        matches!(self, TransactStatement::Plan(plan) if plan.is_read())
    }

    fn is_insert(&self) -> bool {
        matches!(self, TransactStatement::Plan(plan) if plan.insert)
    }

    /// The body of a write, for the members a statement adds to it.
    fn write_body(&mut self) -> Option<&mut Map<String, Value>> {
        match self {
            TransactStatement::Plan(plan) if plan.is_read() => None,
            TransactStatement::Plan(plan) => Some(&mut plan.body),
            TransactStatement::ConditionCheck(body) => Some(body),
        }
    }

    /// Its entry in TransactItems.
    fn item(&self) -> Value {
        let (member, body) = match self {
            TransactStatement::ConditionCheck(body) => ("ConditionCheck", body),
            TransactStatement::Plan(plan) => (
                match plan.operation {
                    Operation::GetItem => "Get",
                    Operation::PutItem => "Put",
                    Operation::UpdateItem => "Update",
                    _ => "Delete",
                },
                &plan.body,
            ),
        };
        json!({ member: Value::Object(body.clone()) })
    }
}

/// A cancellation whose INSERTs failed their condition names them as
/// duplicate keys.
fn with_duplicate_items(mut error: DynamoError, plans: &[TransactStatement]) -> DynamoError {
    if error.kind != ErrorKind::TransactionCanceled {
        return error;
    }
    let Some(extra) = error.extra.as_mut() else {
        return error;
    };
    let Some(Value::Array(reasons)) = extra.get_mut("CancellationReasons") else {
        return error;
    };
    for (reason, plan) in reasons.iter_mut().zip(plans) {
        if plan.is_insert() && reason["Code"] == "ConditionalCheckFailed" {
            *reason = json!({
                "Code": "ValidationError",
                "Message": "Duplicate primary key exists in table",
            });
        }
    }
    let codes: Vec<String> = reasons
        .iter()
        .map(|r| r["Code"].as_str().unwrap_or("None").to_string())
        .collect();
    extra.insert(
        "Message".into(),
        format!(
            "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
            codes.join(", ")
        )
        .into(),
    );
    error
}
