//! DeleteBackup: the backup is forgotten at once and its items dropped in
//! the background.

use crate::Database;
use dynalith_model::DynamoError;
use serde_json::Map;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let arn = super::backup_shapes::backup_arn_of(body)?;
    let _changes = db.catalog().lock_changes();
    let backup = db.backup(&arn, &context.region)?;
    db.delete_backup(&backup)?;
    let mut response = Map::new();
    response.insert(
        "BackupDescription".into(),
        super::backup_shapes::description(&backup, "DELETED"),
    );
    super::respond(response)
}
