//! A PartiQL SELECT that names several partitions (`IN`, or an `OR` of
//! equalities, on the partition key) reads each of them with a Query, not
//! the whole table with a Scan: DynamoDB's documentation names these
//! statements among those that avoid a full table scan, and DynamoDB Local
//! answers them from the named partitions alone, all of them in one page
//! when they fit. A Scan of a large table would instead answer pages of
//! nothing but a NextToken, and an application that reads only the first
//! response would see no items.
//!
//! The partitions are read in the order the plan gives (their keys'), one
//! page across them: each Query is asked for what is left of the Limit, a
//! page ends where a Query's own page ends (its LastEvaluatedKey), when the
//! Limit is spent, or once 1 MB has been read, as one Query page would.
//! The NextToken says which partition to go on with, and from which key.

use super::batch_execute_statement::merge_sum;
use super::execute_statement::{run_query, start_key_of_token, token_of_start_key};
use crate::partiql::plan::Plan;
use crate::{Database, RequestContext};
use dynalith_model::DynamoError;
use serde_json::{Map, Value};

/// What one page of a Query or Scan may read.
const PAGE_BYTES: f64 = 1024.0 * 1024.0;

/// The page's members as a Query would answer them: Items,
/// LastEvaluatedKey (when a Query's page ended inside a partition),
/// ConsumedCapacity (summed, when asked for), and the NextToken.
pub(super) struct Page {
    pub response: Map<String, Value>,
    pub next_token: Option<String>,
}

pub(super) fn read(
    db: &Database,
    context: &RequestContext,
    plan: &Plan,
    limit: Option<i64>,
    consistent: bool,
    return_capacity: Option<&str>,
    next_token: Option<&str>,
) -> Result<Page, DynamoError> {
    let queries = &plan.partition_queries;
    let return_capacity = return_capacity.filter(|asked| *asked != "NONE");
    let (mut at, mut start_key) = match next_token {
        Some(token) => position_of(token, queries.len())?,
        None => (0, None),
    };
    let mut items = Vec::new();
    let mut capacity: Option<Value> = None;
    let mut remaining = limit;
    let mut bytes_read = 0.0;
    let mut resume = None;
    while at < queries.len() {
        let mut body = queries[at].clone();
        if let Some(limit) = remaining {
            body.insert("Limit".into(), limit.into());
        }
        body.insert("ConsistentRead".into(), consistent.into());
        // Asked for always: the units read say how much of the page is used.
        body.insert(
            "ReturnConsumedCapacity".into(),
            return_capacity.unwrap_or("TOTAL").into(),
        );
        if let Some(key) = start_key.take() {
            body.insert("ExclusiveStartKey".into(), key);
        }
        let mut response = run_query(db, context, &body)?;
        if let Some(Value::Array(page)) = response.remove("Items") {
            items.extend(page);
        }
        if let Some(consumed) = response.remove("ConsumedCapacity") {
            let units = consumed["CapacityUnits"].as_f64().unwrap_or(0.0);
            // Half a unit per 4 KB read, or one when strongly consistent.
            bytes_read += units * if consistent { 4096.0 } else { 8192.0 };
            match &mut capacity {
                Some(total) => merge_sum(total, &consumed),
                None => capacity = Some(consumed),
            }
        }
        if let Some(key) = response.remove("LastEvaluatedKey") {
            resume = Some((at, Some(key)));
            break;
        }
        at += 1;
        let evaluated = response["ScannedCount"].as_i64().unwrap_or(0);
        let limit_spent = remaining.as_mut().is_some_and(|left| {
            *left -= evaluated;
            *left <= 0
        });
        if at < queries.len() && (limit_spent || bytes_read >= PAGE_BYTES) {
            resume = Some((at, None));
            break;
        }
        if limit_spent {
            break;
        }
    }
    let mut response = Map::new();
    response.insert("Items".into(), items.into());
    if let Some(capacity) = capacity.filter(|_| return_capacity.is_some()) {
        response.insert("ConsumedCapacity".into(), capacity);
    }
    let next_token = match resume {
        Some((partition, key)) => {
            let mut position = Map::new();
            position.insert("Partition".into(), partition.into());
            if let Some(key) = key {
                response.insert("LastEvaluatedKey".into(), key.clone());
                position.insert("ExclusiveStartKey".into(), key);
            }
            Some(token_of_start_key(&Value::Object(position))?)
        }
        None => None,
    };
    Ok(Page {
        response,
        next_token,
    })
}

/// The partition a NextToken goes on with, and the key within it.
fn position_of(token: &str, partitions: usize) -> Result<(usize, Option<Value>), DynamoError> {
    let invalid = || DynamoError::validation("Invalid NextToken");
    let Value::Object(mut position) = start_key_of_token(token)? else {
        return Err(invalid());
    };
    let partition = position
        .get("Partition")
        .and_then(Value::as_u64)
        .and_then(|p| usize::try_from(p).ok())
        .filter(|p| *p < partitions)
        .ok_or_else(invalid)?;
    Ok((partition, position.remove("ExclusiveStartKey")))
}
