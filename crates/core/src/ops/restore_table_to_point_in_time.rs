//! RestoreTableToPointInTime: a new table with the source table's items as
//! they were at a moment since point-in-time recovery was enabled
//! (`point_in_time`, `restore_common`).

use super::restore_common::{restore_table, Overrides, Source};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{wire::parse_input, DynamoError, ErrorKind};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RestoreTableToPointInTimeInput {
    source_table_arn: Option<String>,
    source_table_name: Option<String>,
    target_table_name: Option<String>,
    use_latest_restorable_time: Option<bool>,
    restore_date_time: Option<f64>,
    #[serde(flatten)]
    overrides: Overrides,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: RestoreTableToPointInTimeInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name_with_min(
        input.source_table_name.as_deref(),
        "sourceTableName",
        3,
        false,
    );
    v.name(input.target_table_name.as_deref(), "targetTableName");
    input.overrides.check(&mut v);
    v.finish()?;
    // DynamoDB's checks on the request's shape, in its order and words.
    let latest = input.use_latest_restorable_time.unwrap_or(false);
    if latest && input.restore_date_time.is_some() {
        return Err(DynamoError::validation(
            "Both RestoreDateTime and UseLatestRestorableTime cannot be set",
        ));
    }
    if !latest && input.restore_date_time.is_none() {
        return Err(DynamoError::validation(
            "Invalid Request: Either one of RestoreDateTime or UseLatestRestorableTime must be specified, but not both",
        ));
    }
    match (&input.source_table_name, &input.source_table_arn) {
        (Some(_), Some(_)) => {
            return Err(DynamoError::validation(
                "Must provide exactly one of: sourceTableArn, sourceTableName",
            ))
        }
        (None, None) => {
            return Err(DynamoError::validation(
                "The parameter 'TableName' is required but was not present in the request",
            ))
        }
        (None, Some(arn)) if !arn.starts_with("arn:") => {
            return Err(super::tags::not_an_arn(arn));
        }
        _ => {}
    }
    let name = input.target_table_name.clone().unwrap_or_default();

    let _changes = db.catalog().lock_changes();
    let source = match (&input.source_table_name, &input.source_table_arn) {
        (Some(name), _) => db
            .catalog()
            .get_in(name, &context.region)
            .ok_or_else(|| not_found(name))?,
        (None, Some(arn)) => db.catalog().get_by_arn(arn).ok_or_else(|| not_found(arn))?,
        (None, None) => return Err(DynamoError::internal("source checked above")),
    };
    let Some(recovery) = source.point_in_time_recovery.clone() else {
        return Err(DynamoError::new(
            ErrorKind::PointInTimeRecoveryUnavailable,
            format!(
                "Point in time recovery is not enabled for table '{}'",
                source.name
            ),
        ));
    };
    let now = crate::now_epoch_seconds();
    let at = crate::to_the_millisecond(input.restore_date_time.unwrap_or(now));
    if at < recovery.earliest || at > now {
        return Err(DynamoError::new(
            ErrorKind::InvalidRestoreTime,
            format!(
                "RestoreDateTime must be between {} and {now}",
                recovery.earliest
            ),
        ));
    }
    let from = Source {
        table: &source,
        backup_arn: None,
    };
    restore_table(db, context, &name, from, &input.overrides, |target| {
        db.restore_to_point_in_time(&source, at, target)
    })
}

fn not_found(name: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::SourceTableNotFound,
        format!("Source table not found: {name}"),
    )
}
