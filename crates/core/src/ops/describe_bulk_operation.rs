//! DescribeBulkOperation: one bulk operation's state (`bulk_operations`).

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeBulkOperationInput {
    bulk_operation_arn: Option<String>,
}

/// The length constraint every BulkOperationArn member has.
pub(crate) fn check_arn(v: &mut Violations, arn: &Option<String>) {
    if v.require(arn, "bulkOperationArn") {
        let arn = arn.as_deref().unwrap_or_default();
        v.length_between(
            format_args!("'{arn}'"),
            arn.len(),
            "bulkOperationArn",
            37,
            1024,
        );
    }
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeBulkOperationInput = parse_input(body)?;
    let mut v = Violations::new();
    check_arn(&mut v, &input.bulk_operation_arn);
    v.finish()?;
    let op = db.bulk_operation(input.bulk_operation_arn.as_deref().unwrap_or_default())?;
    let mut response = Map::new();
    response.insert("BulkOperationDescription".into(), op.description());
    super::respond(response)
}
