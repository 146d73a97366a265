//! ListImports: the imports made, oldest first, into one table or all,
//! paged by an opaque token (the last import's id).

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListImportsInput {
    table_arn: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    page_size: Option<i64>,
    next_token: Option<String>,
}

const MAX_PAGE_SIZE: i64 = 25;

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: ListImportsInput = parse_input(body)?;
    let mut v = Violations::new();
    if let Some(arn) = &input.table_arn {
        v.length_between(format_args!("'{arn}'"), arn.len(), "tableArn", 1, 1024);
    }
    v.at_least(input.page_size, "pageSize", 1);
    v.at_most(input.page_size, "pageSize", MAX_PAGE_SIZE);
    v.finish()?;
    let limit = input.page_size.unwrap_or(MAX_PAGE_SIZE) as usize;
    let imports: Vec<_> = db
        .imports()?
        .into_iter()
        .filter(|i| input.table_arn.as_ref().is_none_or(|t| &i.table_arn == t))
        .collect();
    let (imports, next) =
        super::job_pages::page_after(imports, input.next_token.as_deref(), limit, |i| &i.id)?;
    let mut response = Map::new();
    response.insert(
        "ImportSummaryList".into(),
        Value::Array(imports.iter().map(|i| i.summary()).collect()),
    );
    if let Some(next) = next {
        response.insert("NextToken".into(), next.into());
    }
    super::respond(response)
}
