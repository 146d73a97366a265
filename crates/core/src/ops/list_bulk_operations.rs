//! ListBulkOperations: the bulk operations started in the last 90 days,
//! newest first, paged by an opaque token (the last operation's id).

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListBulkOperationsInput {
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    max_results: Option<i64>,
    next_token: Option<String>,
}

const MAX_RESULTS: i64 = 25;
const DEFAULT_RESULTS: i64 = 10;
/// How far back the list goes.
const LISTED_SECONDS: f64 = 90.0 * 86_400.0;

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: ListBulkOperationsInput = parse_input(body)?;
    let mut v = Violations::new();
    v.at_least(input.max_results, "maxResults", 1);
    v.at_most(input.max_results, "maxResults", MAX_RESULTS);
    if let Some(token) = &input.next_token {
        let hex_blocks = !token.is_empty()
            && token.len() % 16 == 0
            && token
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !hex_blocks {
            v.push(
                format_args!("'{token}'"),
                "nextToken",
                "Member must satisfy regular expression pattern: ([0-9a-f]{16})+",
            );
        }
    }
    v.finish()?;
    let limit = input.max_results.unwrap_or(DEFAULT_RESULTS) as usize;
    let since = crate::now_epoch_seconds() - LISTED_SECONDS;
    let operations: Vec<_> = db
        .bulk_operations()?
        .into_iter()
        .rev()
        .filter(|o| o.start_time >= since)
        .collect();
    let (operations, next) =
        super::job_pages::page_after(operations, input.next_token.as_deref(), limit, |o| &o.id)?;
    let mut response = Map::new();
    response.insert(
        "BulkOperationsSummaryList".into(),
        Value::Array(operations.iter().map(|o| o.summary()).collect()),
    );
    if let Some(next) = next {
        response.insert("NextToken".into(), next.into());
    }
    super::respond(response)
}
