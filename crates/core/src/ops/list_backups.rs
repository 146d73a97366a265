//! ListBackups: the backups kept in the caller's Region (`BackupMeta::kept_in`),
//! oldest first, by table, creation time
//! and type, paged by ARN.

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListBackupsInput {
    table_name: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    limit: Option<i64>,
    time_range_lower_bound: Option<f64>,
    time_range_upper_bound: Option<f64>,
    exclusive_start_backup_arn: Option<String>,
    backup_type: Option<String>,
}

const MAX_LIMIT: i64 = 100;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: ListBackupsInput = parse_input(body)?;
    let mut v = Violations::new();
    if input.table_name.is_some() {
        crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    }
    v.at_least(input.limit, "limit", 1);
    v.at_most(input.limit, "limit", MAX_LIMIT);
    if let Some(arn) = &input.exclusive_start_backup_arn {
        v.length_between(
            format_args!("'{arn}'"),
            arn.len(),
            "exclusiveStartBackupArn",
            37,
            1024,
        );
    }
    v.one_of(
        input.backup_type.as_deref(),
        "backupType",
        &["USER", "SYSTEM", "AWS_BACKUP", "ALL"],
    );
    v.finish()?;
    let table_name = input
        .table_name
        .as_deref()
        .map(|t| crate::table_reference::table_name(t, "tableName", context))
        .transpose()?;
    if let (Some(lower), Some(upper)) = (input.time_range_lower_bound, input.time_range_upper_bound)
    {
        if crate::to_the_millisecond(lower) > crate::to_the_millisecond(upper) {
            return Err(DynamoError::invalid_parameter(
                "Time range lower bound must be less than or equal to upper bound",
            ));
        }
    }
    let limit = input.limit.unwrap_or(MAX_LIMIT) as usize;
    // Every backup here is a user's (CreateBackup).
    let user = matches!(input.backup_type.as_deref(), None | Some("USER" | "ALL"));
    let mut backups: Vec<_> = db
        .backups()?
        .into_iter()
        .filter(|_| user)
        .filter(|b| b.kept_in(&context.region))
        .filter(|b| table_name.is_none_or(|t| b.source.name == t))
        // The lower bound is inclusive, the upper one exclusive; a bound
        // that is a backup's own creation time, as a client read it, names
        // that backup's millisecond.
        .filter(|b| {
            input
                .time_range_lower_bound
                .is_none_or(|t| b.created_at >= crate::to_the_millisecond(t))
        })
        .filter(|b| {
            input
                .time_range_upper_bound
                .is_none_or(|t| b.created_at < crate::to_the_millisecond(t))
        })
        .collect();
    if let Some(start) = &input.exclusive_start_backup_arn {
        let after = backups
            .iter()
            .position(|b| &b.arn == start)
            .map_or(backups.len(), |i| i + 1);
        backups.drain(..after);
    }
    let more = backups.len() > limit;
    backups.truncate(limit);
    let mut response = Map::new();
    if more {
        if let Some(last) = backups.last() {
            response.insert("LastEvaluatedBackupArn".into(), last.arn.clone().into());
        }
    }
    let summaries: Vec<_> = backups.iter().map(super::backup_shapes::summary).collect();
    response.insert("BackupSummaries".into(), summaries.into());
    super::respond(response)
}
