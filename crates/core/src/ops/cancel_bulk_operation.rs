//! CancelBulkOperation: marks a running bulk operation CANCELLING; its
//! writer stops at the next batch and records it CANCELLED
//! (`bulk_operations`). What it wrote stays.

use super::describe_bulk_operation::check_arn;
use crate::bulk_operations::{self, CANCELLING};
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CancelBulkOperationInput {
    bulk_operation_arn: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: CancelBulkOperationInput = parse_input(body)?;
    let mut v = Violations::new();
    check_arn(&mut v, &input.bulk_operation_arn);
    v.finish()?;
    let arn = input.bulk_operation_arn.as_deref().unwrap_or_default();
    db.change_bulk_operation(arn, |op| {
        if !bulk_operations::is_running(&op.status) {
            return Err(DynamoError::validation(format!(
                "Bulk operation {} cannot be cancelled: its status is {}",
                op.arn, op.status
            )));
        }
        op.status = CANCELLING.into();
        Ok(())
    })?;
    let mut response = Map::new();
    response.insert("BulkOperationArn".into(), arn.into());
    response.insert("BulkOperationStatus".into(), CANCELLING.into());
    super::respond(response)
}
