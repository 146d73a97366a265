//! DescribeBackup.

use crate::Database;
use dynalith_model::DynamoError;
use serde_json::Map;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let arn = super::backup_shapes::backup_arn_of(body)?;
    let backup = db.backup(&arn, &context.region)?;
    let mut response = Map::new();
    response.insert(
        "BackupDescription".into(),
        super::backup_shapes::description(&backup, "AVAILABLE"),
    );
    super::respond(response)
}
