//! DescribeExport: one export's state (`exports`).

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeExportInput {
    export_arn: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeExportInput = parse_input(body)?;
    let mut v = Violations::new();
    if v.require(&input.export_arn, "exportArn") {
        let arn = input.export_arn.as_deref().unwrap_or_default();
        v.length_between(format_args!("'{arn}'"), arn.len(), "exportArn", 37, 1024);
    }
    v.finish()?;
    let export = db.export(input.export_arn.as_deref().unwrap_or_default())?;
    let mut response = Map::new();
    response.insert("ExportDescription".into(), export.description());
    super::respond(response)
}
