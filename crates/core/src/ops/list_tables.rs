//! ListTables, paged by name.

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTablesInput {
    exclusive_start_table_name: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    limit: Option<i64>,
}

const MAX_LIMIT: i64 = 100;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: ListTablesInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name_with_min(
        input.exclusive_start_table_name.as_deref(),
        "exclusiveStartTableName",
        3,
        false,
    );
    v.at_least(input.limit, "limit", 1);
    v.at_most(input.limit, "limit", MAX_LIMIT);
    v.finish()?;
    let limit = input.limit.unwrap_or(MAX_LIMIT) as usize;
    // Tables still DELETING are listed too, as DynamoDB lists them.
    let mut names: Vec<String> = (db.catalog().names().into_iter())
        .filter(|n| db.catalog().get_in(n, &context.region).is_some())
        .chain(db.deleting_table_names(&context.region)?)
        .filter(|n| {
            input
                .exclusive_start_table_name
                .as_ref()
                .is_none_or(|start| n > start)
        })
        .collect();
    names.sort();
    names.dedup();
    let page: Vec<String> = names.iter().take(limit).cloned().collect();
    let mut response = Map::new();
    if names.len() > limit {
        if let Some(last) = page.last() {
            response.insert("LastEvaluatedTableName".into(), last.clone().into());
        }
    }
    response.insert("TableNames".into(), page.into());
    super::respond(response)
}
