//! ExecuteStatement: one PartiQL statement, run as the equivalent request
//! of the JSON API, so that it shares that operation's validation, limits,
//! capacity arithmetic and storage path:
//!
//! * SELECT is a Query when its WHERE clause fixes the (table's or
//!   index's) partition key with `=` at its top level (with a sort-key
//!   condition, when there is one, as the key condition), otherwise a
//!   Scan; the rest of the clause is the filter. `Limit` and `NextToken`
//!   page it.
//! * INSERT is a PutItem on the condition that no item has the key
//!   (DuplicateItemException otherwise).
//! * UPDATE is an UpdateItem and DELETE a DeleteItem of the item whose
//!   whole primary key the WHERE clause fixes with `=`; the rest of the
//!   clause is the condition (UPDATE also requires the item to exist, as
//!   DynamoDB does). `RETURNING` chooses ReturnValues.

use super::Operation;
use crate::catalog::KeySchema;
use crate::partiql::parse::{self, Expr, Returning, Statement};
use crate::partiql::translate::{self, Placeholders};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use base64::Engine as _;
use dynalith_model::{wire::parse_input, AttributeValue, DynamoError, ErrorKind};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// DynamoDB's bound on a statement's length.
const MAX_STATEMENT_LENGTH: usize = 8192;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExecuteStatementInput {
    statement: Option<String>,
    parameters: Option<Vec<AttributeValue>>,
    consistent_read: Option<bool>,
    next_token: Option<String>,
    return_consumed_capacity: Option<String>,
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
    if v.require(&input.statement, "statement") {
        let text = input.statement.as_deref().unwrap_or_default();
        v.length_between(
            "'[...]'",
            text.chars().count(),
            "statement",
            1,
            MAX_STATEMENT_LENGTH,
        );
    }
    if let Some(parameters) = &input.parameters {
        v.length_between("'[...]'", parameters.len(), "parameters", 1, usize::MAX);
    }
    v.at_least(input.limit, "limit", 1);
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.finish()?;
    let text = input.statement.as_deref().unwrap_or_default();
    let parameters = input.parameters.as_deref().unwrap_or_default();
    if parse::parameter_count(text)? != parameters.len() {
        return Err(DynamoError::validation(
            "Number of parameters in request and statement don't match.",
        ));
    }
    let run = Run {
        db,
        context,
        input: &input,
        parameters,
    };
    match parse::parse(text)? {
        Statement::Select {
            projection,
            table,
            index,
            condition,
            descending,
        } => run.select(projection, &table, index, condition, descending),
        Statement::Insert { table, item } => run.insert(&table, &item),
        Statement::Update {
            table,
            set,
            remove,
            condition,
            returning,
        } => run.update(&table, &set, &remove, &condition, returning),
        Statement::Delete {
            table,
            condition,
            returning,
        } => run.delete(&table, &condition, returning),
    }
}

/// A write's WHERE clause: the item's whole key, and the conditions left.
struct KeyedWhere {
    keys: KeySchema,
    key: Map<String, Value>,
    rest: Vec<Expr>,
}

struct Run<'a> {
    db: &'a Database,
    context: &'a RequestContext,
    input: &'a ExecuteStatementInput,
    parameters: &'a [AttributeValue],
}

impl Run<'_> {
    /// Runs `operation` on `body`; returns its response object.
    fn call(
        &self,
        operation: Operation,
        mut body: Map<String, Value>,
    ) -> Result<Map<String, Value>, DynamoError> {
        if let Some(capacity) = &self.input.return_consumed_capacity {
            body.insert("ReturnConsumedCapacity".into(), capacity.clone().into());
        }
        let request = serde_json::to_vec(&Value::Object(body))
            .map_err(|e| DynamoError::internal(e.to_string()))?;
        let response = super::execute(self.db, operation, &request, self.context)?;
        match serde_json::from_slice(&response) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(DynamoError::internal("unreadable operation response")),
        }
    }

    /// ExecuteStatement's answer: `items`, and the ConsumedCapacity of the
    /// operation's `response`.
    fn respond(
        &self,
        items: Vec<Value>,
        mut response: Map<String, Value>,
    ) -> Result<Vec<u8>, DynamoError> {
        let mut out = Map::new();
        out.insert("Items".into(), items.into());
        if let Some(capacity) = response.remove("ConsumedCapacity") {
            out.insert("ConsumedCapacity".into(), capacity);
        }
        super::respond(out)
    }

    fn table_keys(&self, table: &str) -> Result<KeySchema, DynamoError> {
        Ok(self.db.catalog().require(table)?.key_schema.clone())
    }

    fn select(
        &self,
        projection: Option<Vec<parse::Path>>,
        table: &str,
        index: Option<String>,
        condition: Option<Expr>,
        descending: bool,
    ) -> Result<Vec<u8>, DynamoError> {
        let meta = self.db.catalog().require(table)?;
        let keys = match &index {
            Some(name) => meta
                .index(name)
                .ok_or_else(DynamoError::resource_not_found)?
                .key_schema
                .clone(),
            None => meta.key_schema.clone(),
        };
        let mut names = Placeholders::new(self.parameters);
        let mut body = Map::new();
        body.insert("TableName".into(), table.into());
        if let Some(index) = &index {
            body.insert("IndexName".into(), index.clone().into());
        }
        let all_conditions = condition
            .as_ref()
            .map(translate::conjuncts)
            .unwrap_or_default();
        let mut conditions = all_conditions.clone();
        let partition =
            translate::take_equality(&mut conditions, &keys.partition.name, self.parameters)?;
        let mut sort_condition = None;
        if let Some(sort) = &keys.sort {
            if let Some(at) = conditions
                .iter()
                .position(|c| is_sort_key_condition(c, &sort.name))
            {
                sort_condition = Some(conditions.remove(at));
            }
        }
        // A Query's filter may not name a key attribute (its own, or the
        // table's for an index): a statement with more conditions on keys
        // than a key condition holds is run as a Scan of them all.
        let key_names: Vec<&str> = keys
            .attributes()
            .chain(meta.key_schema.attributes())
            .map(|k| k.name.as_str())
            .collect();
        let partition = partition.filter(|_| {
            !conditions
                .iter()
                .any(|c| key_names.iter().any(|k| mentions(c, k)))
        });
        if partition.is_none() {
            conditions = all_conditions;
            sort_condition = None;
        }
        let operation = match partition {
            Some(value) => {
                let mut key_condition = format!(
                    "{} = {}",
                    names.name(&keys.partition.name),
                    names.value(&value)?
                );
                if let Some(sort_condition) = &sort_condition {
                    key_condition =
                        format!("{key_condition} AND {}", names.condition(sort_condition)?);
                }
                body.insert("KeyConditionExpression".into(), key_condition.into());
                if descending {
                    body.insert("ScanIndexForward".into(), false.into());
                }
                Operation::Query
            }
            None if descending => {
                return Err(DynamoError::validation(
                    "Must have WHERE clause in the statement when using ORDER BY clause.",
                ))
            }
            None => Operation::Scan,
        };
        if let Some(filter) = translate::joined(conditions) {
            body.insert("FilterExpression".into(), names.condition(&filter)?.into());
        }
        if let Some(paths) = &projection {
            let rendered: Vec<String> = paths.iter().map(|p| names.path(p)).collect();
            body.insert("ProjectionExpression".into(), rendered.join(", ").into());
        }
        names.add_to(&mut body);
        if let Some(limit) = self.input.limit {
            body.insert("Limit".into(), limit.into());
        }
        if let Some(consistent) = self.input.consistent_read {
            body.insert("ConsistentRead".into(), consistent.into());
        }
        if let Some(token) = &self.input.next_token {
            body.insert("ExclusiveStartKey".into(), start_key_of_token(token)?);
        }
        let mut response = self.call(operation, body)?;
        let items = match response.remove("Items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let last_key = response.remove("LastEvaluatedKey");
        let capacity = response.remove("ConsumedCapacity");
        let mut out = Map::new();
        out.insert("Items".into(), items.into());
        if let Some(key) = last_key {
            out.insert("NextToken".into(), token_of_start_key(&key)?.into());
            out.insert("LastEvaluatedKey".into(), key);
        }
        if let Some(capacity) = capacity {
            out.insert("ConsumedCapacity".into(), capacity);
        }
        super::respond(out)
    }

    fn insert(&self, table: &str, item: &Expr) -> Result<Vec<u8>, DynamoError> {
        let keys = self.table_keys(table)?;
        let AttributeValue::M(item) = parse::value_of(item, self.parameters)? else {
            return Err(parse::malformed(
                "INSERT takes a map: VALUE {'name': value, ...}",
            ));
        };
        let mut body = Map::new();
        body.insert("TableName".into(), table.into());
        body.insert(
            "Item".into(),
            serde_json::to_value(&item).map_err(|e| DynamoError::internal(e.to_string()))?,
        );
        body.insert(
            "ConditionExpression".into(),
            "attribute_not_exists(#key)".into(),
        );
        body.insert(
            "ExpressionAttributeNames".into(),
            json!({"#key": keys.partition.name}),
        );
        match self.call(Operation::PutItem, body) {
            Ok(response) => self.respond(Vec::new(), response),
            Err(e) if e.kind == ErrorKind::ConditionalCheckFailed => Err(DynamoError::new(
                ErrorKind::DuplicateItem,
                "Duplicate primary key exists in table",
            )),
            Err(e) => Err(e),
        }
    }

    /// The table's key fixed by `condition`'s top-level equalities, and
    /// the conditions left.
    fn key_and_rest(&self, table: &str, condition: &Expr) -> Result<KeyedWhere, DynamoError> {
        let keys = self.table_keys(table)?;
        let mut conditions = translate::conjuncts(condition);
        let mut key = Map::new();
        for attribute in keys.attributes() {
            let value =
                translate::take_equality(&mut conditions, &attribute.name, self.parameters)?
                    .ok_or_else(|| {
                        DynamoError::validation(
                        "Where clause does not contain a mandatory equality on all key attributes",
                    )
                    })?;
            key.insert(
                attribute.name.clone(),
                serde_json::to_value(&value).map_err(|e| DynamoError::internal(e.to_string()))?,
            );
        }
        Ok(KeyedWhere {
            keys,
            key,
            rest: conditions,
        })
    }

    fn write_body(&self, table: &str, key: Map<String, Value>) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("TableName".into(), table.into());
        body.insert("Key".into(), Value::Object(key));
        if let Some(on_failure) = &self.input.return_values_on_condition_check_failure {
            body.insert(
                "ReturnValuesOnConditionCheckFailure".into(),
                on_failure.clone().into(),
            );
        }
        body
    }

    fn update(
        &self,
        table: &str,
        set: &[(parse::Path, Expr)],
        remove: &[parse::Path],
        condition: &Expr,
        returning: Option<Returning>,
    ) -> Result<Vec<u8>, DynamoError> {
        let KeyedWhere { keys, key, rest } = self.key_and_rest(table, condition)?;
        let mut names = Placeholders::new(self.parameters);
        let mut clauses = Vec::new();
        if !set.is_empty() {
            let actions = set
                .iter()
                .map(|(path, value)| {
                    Ok(format!("{} = {}", names.path(path), names.operand(value)?))
                })
                .collect::<Result<Vec<_>, DynamoError>>()?;
            clauses.push(format!("SET {}", actions.join(", ")));
        }
        if !remove.is_empty() {
            let paths: Vec<String> = remove.iter().map(|p| names.path(p)).collect();
            clauses.push(format!("REMOVE {}", paths.join(", ")));
        }
        // UPDATE changes an existing item only.
        let mut condition = format!("attribute_exists({})", names.name(&keys.partition.name));
        if let Some(rest) = translate::joined(rest) {
            condition = format!("{condition} AND ({})", names.condition(&rest)?);
        }
        let mut body = self.write_body(table, key);
        body.insert("UpdateExpression".into(), clauses.join(" ").into());
        body.insert("ConditionExpression".into(), condition.into());
        names.add_to(&mut body);
        if let Some(returning) = returning {
            let values = match returning {
                Returning::AllOld => "ALL_OLD",
                Returning::ModifiedOld => "UPDATED_OLD",
                Returning::AllNew => "ALL_NEW",
                Returning::ModifiedNew => "UPDATED_NEW",
            };
            body.insert("ReturnValues".into(), values.into());
        }
        let mut response = self.call(Operation::UpdateItem, body)?;
        let items = response.remove("Attributes").into_iter().collect();
        self.respond(items, response)
    }

    fn delete(
        &self,
        table: &str,
        condition: &Expr,
        returning: Option<Returning>,
    ) -> Result<Vec<u8>, DynamoError> {
        let KeyedWhere { key, rest, .. } = self.key_and_rest(table, condition)?;
        let mut names = Placeholders::new(self.parameters);
        let mut body = self.write_body(table, key);
        if let Some(rest) = translate::joined(rest) {
            body.insert("ConditionExpression".into(), names.condition(&rest)?.into());
        }
        names.add_to(&mut body);
        match returning {
            None => {}
            Some(Returning::AllOld) => {
                body.insert("ReturnValues".into(), "ALL_OLD".into());
            }
            Some(_) => {
                return Err(DynamoError::validation(
                    "DELETE supports only RETURNING ALL OLD *",
                ))
            }
        }
        let mut response = self.call(Operation::DeleteItem, body)?;
        let items = response.remove("Attributes").into_iter().collect();
        self.respond(items, response)
    }
}

/// Whether `expr` refers to the top-level attribute `attribute`.
fn mentions(expr: &Expr, attribute: &str) -> bool {
    match expr {
        Expr::Path(path) => matches!(path.first(), Some(parse::Step::Name(n)) if n == attribute),
        Expr::Missing(path, _) | Expr::Null(path, _) => {
            matches!(path.first(), Some(parse::Step::Name(n)) if n == attribute)
        }
        Expr::Compare(a, _, b) | Expr::And(a, b) | Expr::Or(a, b) | Expr::Arithmetic(a, _, b) => {
            mentions(a, attribute) || mentions(b, attribute)
        }
        Expr::Not(a) => mentions(a, attribute),
        Expr::Between(a, b, c) => {
            mentions(a, attribute) || mentions(b, attribute) || mentions(c, attribute)
        }
        Expr::In(a, options) => {
            mentions(a, attribute) || options.iter().any(|o| mentions(o, attribute))
        }
        Expr::Call(_, arguments) => arguments.iter().any(|a| mentions(a, attribute)),
        Expr::Value(_) | Expr::Parameter(_) => false,
    }
}

/// Whether `condition` can be a Query's sort-key condition on `sort`.
fn is_sort_key_condition(condition: &Expr, sort: &str) -> bool {
    use parse::Comparison::Ne;
    match condition {
        Expr::Compare(left, comparison, right) => {
            *comparison != Ne && translate::is_attribute(left, sort) && translate::is_value(right)
        }
        Expr::Between(subject, low, high) => {
            translate::is_attribute(subject, sort)
                && translate::is_value(low)
                && translate::is_value(high)
        }
        Expr::Call(function, arguments) if function == "begins_with" => matches!(
            arguments.as_slice(),
            [path, prefix] if translate::is_attribute(path, sort) && translate::is_value(prefix)
        ),
        _ => false,
    }
}

/// A NextToken carries the page's LastEvaluatedKey.
fn token_of_start_key(key: &Value) -> Result<String, DynamoError> {
    let json = serde_json::to_vec(key).map_err(|e| DynamoError::internal(e.to_string()))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(json))
}

fn start_key_of_token(token: &str) -> Result<Value, DynamoError> {
    let invalid = || DynamoError::validation("Invalid NextToken");
    let json = base64::engine::general_purpose::STANDARD
        .decode(token)
        .map_err(|_| invalid())?;
    match serde_json::from_slice(&json) {
        Ok(Value::Object(key)) => Ok(Value::Object(key)),
        _ => Err(invalid()),
    }
}
