//! RestoreTableFromBackup: a new table with the backup's key schema,
//! indexes (all, or those the overrides keep) and items (`restore_common`).

use super::restore_common::{restore_table, Overrides, Source};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RestoreTableFromBackupInput {
    target_table_name: Option<String>,
    backup_arn: Option<String>,
    #[serde(flatten)]
    overrides: Overrides,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: RestoreTableFromBackupInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name(input.target_table_name.as_deref(), "targetTableName");
    if v.require(&input.backup_arn, "backupArn") {
        let arn = input.backup_arn.as_deref().unwrap_or_default();
        v.length_between(format_args!("'{arn}'"), arn.len(), "backupArn", 37, 1024);
    }
    input.overrides.check(&mut v);
    v.finish()?;
    let name = input.target_table_name.clone().unwrap_or_default();
    let arn = input.backup_arn.clone().unwrap_or_default();

    let _changes = db.catalog().lock_changes();
    let backup = db.backup(&arn, &context.region)?;
    let source = Source {
        table: &backup.source,
        backup_arn: Some(backup.arn.clone()),
    };
    restore_table(db, context, &name, source, &input.overrides, |table| {
        db.restore_items(backup.id, table)
    })
}
