//! DescribeImport: one import's state (`imports`).

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeImportInput {
    import_arn: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeImportInput = parse_input(body)?;
    let mut v = Violations::new();
    if v.require(&input.import_arn, "importArn") {
        let arn = input.import_arn.as_deref().unwrap_or_default();
        v.length_between(format_args!("'{arn}'"), arn.len(), "importArn", 37, 1024);
    }
    v.finish()?;
    let import = db.import(input.import_arn.as_deref().unwrap_or_default())?;
    let mut response = Map::new();
    response.insert("ImportTableDescription".into(), import.description());
    super::respond(response)
}
