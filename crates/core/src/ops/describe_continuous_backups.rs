//! DescribeContinuousBackups: on-demand backups are always available
//! (`backups`); point-in-time recovery is not offered, so it is DISABLED.
//! Tools that describe every aspect of a table (Terraform's provider reads
//! this after each change) get DynamoDB's answer for such a table.

use crate::Database;
use dynalith_model::DynamoError;
use serde_json::{json, Map, Value};

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let name = super::shapes::table_name_of(body)?;
    require_table(db, &name)?;
    let mut response = Map::new();
    response.insert("ContinuousBackupsDescription".into(), description());
    super::respond(response)
}

/// The table named, or DynamoDB's TableNotFoundException for the backup
/// APIs.
pub(super) fn require_table(db: &Database, name: &str) -> Result<(), DynamoError> {
    match db.catalog().get(name) {
        Some(_) => Ok(()),
        None => Err(crate::backups::table_not_found(name)),
    }
}

pub(super) fn description() -> Value {
    json!({
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
    })
}
