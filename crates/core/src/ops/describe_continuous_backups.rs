//! DescribeContinuousBackups: on-demand backups are always available
//! (`backups`); point-in-time recovery as the table has it
//! (`point_in_time`). Terraform's provider reads this after each change to
//! a table.

use crate::catalog::TableMeta;
use crate::Database;
use dynalith_model::DynamoError;
use serde_json::{json, Map, Value};
use std::sync::Arc;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let name = super::shapes::table_name_of(body, context)?;
    let table = require_table(db, &name, &context.region)?;
    let mut response = Map::new();
    response.insert("ContinuousBackupsDescription".into(), description(&table));
    super::respond(response)
}

/// The table named, or DynamoDB's TableNotFoundException for the backup
/// APIs.
pub(super) fn require_table(
    db: &Database,
    name: &str,
    region: &str,
) -> Result<Arc<TableMeta>, DynamoError> {
    db.catalog()
        .get_in(name, region)
        .ok_or_else(|| crate::backups::table_not_found(name))
}

pub(super) fn description(table: &TableMeta) -> Value {
    json!({
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": crate::point_in_time::description(table),
    })
}
