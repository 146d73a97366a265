//! ListExports: the exports made, oldest first, of one table or all,
//! paged by an opaque token (the last export's id).

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListExportsInput {
    table_arn: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    max_results: Option<i64>,
    next_token: Option<String>,
}

const MAX_RESULTS: i64 = 25;

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: ListExportsInput = parse_input(body)?;
    let mut v = Violations::new();
    if let Some(arn) = &input.table_arn {
        v.length_between(format_args!("'{arn}'"), arn.len(), "tableArn", 1, 1024);
    }
    v.at_least(input.max_results, "maxResults", 1);
    v.at_most(input.max_results, "maxResults", MAX_RESULTS);
    v.finish()?;
    let limit = input.max_results.unwrap_or(MAX_RESULTS) as usize;
    let exports: Vec<_> = db
        .exports()?
        .into_iter()
        .filter(|e| input.table_arn.as_ref().is_none_or(|t| &e.table_arn == t))
        .collect();
    let (exports, next) =
        super::job_pages::page_after(exports, input.next_token.as_deref(), limit, |e| &e.id)?;
    let mut response = Map::new();
    response.insert(
        "ExportSummaries".into(),
        Value::Array(exports.iter().map(|e| e.summary()).collect()),
    );
    if let Some(next) = next {
        response.insert("NextToken".into(), next.into());
    }
    super::respond(response)
}
