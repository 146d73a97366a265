//! CreateBackup: a copy of a table's items as of now (see `backups`).

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateBackupInput {
    table_name: Option<String>,
    backup_name: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: CreateBackupInput = parse_input(body)?;
    let mut v = Violations::new();
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    v.name(input.backup_name.as_deref(), "backupName");
    v.finish()?;
    let name = crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?
        .to_string();
    // The copy is taken under the catalog's change lock, so the table's
    // definition cannot change (nor the table go) while it is made.
    let _changes = db.catalog().lock_changes();
    let table = db
        .catalog()
        .get_in(&name, &context.region)
        .ok_or_else(|| crate::backups::table_not_found(&name))?;
    // A backup made in a replica's Region is that replica's.
    let source = table.as_replica_in(&context.region);
    let backup = db.create_backup(&source, &input.backup_name.unwrap_or_default())?;
    let mut response = Map::new();
    // DynamoDB answers CREATING; the copy here is complete already, and
    // DescribeBackup says AVAILABLE.
    response.insert(
        "BackupDetails".into(),
        super::backup_shapes::details(&backup, "CREATING"),
    );
    super::respond(response)
}
