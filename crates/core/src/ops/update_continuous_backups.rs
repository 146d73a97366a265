//! UpdateContinuousBackups: point-in-time recovery on (a copy of the
//! table now, and its history from now on; `point_in_time`) or off (both
//! dropped). Turning it on again while on changes only the recovery
//! period.

use super::describe_continuous_backups::{description, require_table};
use crate::validate::Violations;
use crate::{storage_error, Database};
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateContinuousBackupsInput {
    table_name: Option<String>,
    point_in_time_recovery_specification: Option<Specification>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Specification {
    point_in_time_recovery_enabled: Option<bool>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    recovery_period_in_days: Option<i64>,
}

/// DynamoDB's recovery period when none is given, and its longest.
const MAX_RECOVERY_DAYS: i64 = 35;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: UpdateContinuousBackupsInput = parse_input(body)?;
    let mut v = Violations::new();
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    if v.require(
        &input.point_in_time_recovery_specification,
        "pointInTimeRecoverySpecification",
    ) {
        let spec = input.point_in_time_recovery_specification.as_ref();
        v.require(
            &spec.and_then(|s| s.point_in_time_recovery_enabled),
            "pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled",
        );
        let days = spec.and_then(|s| s.recovery_period_in_days);
        v.at_least(
            days,
            "pointInTimeRecoverySpecification.recoveryPeriodInDays",
            1,
        );
        v.at_most(
            days,
            "pointInTimeRecoverySpecification.recoveryPeriodInDays",
            MAX_RECOVERY_DAYS,
        );
    }
    v.finish()?;
    let table_name =
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?;
    let spec = input.point_in_time_recovery_specification;
    let enable = spec
        .as_ref()
        .and_then(|s| s.point_in_time_recovery_enabled)
        .unwrap_or(false);
    let days = spec.and_then(|s| s.recovery_period_in_days);

    let _changes = db.catalog().lock_changes();
    let table = require_table(db, table_name, &context.region)?;
    let updated = match (enable, &table.point_in_time_recovery) {
        (true, None) => {
            let updated =
                db.enable_point_in_time_recovery(&table, days.unwrap_or(MAX_RECOVERY_DAYS))?;
            db.start_retention();
            updated
        }
        (true, Some(_)) => {
            let mut updated = (*table).clone();
            if let (Some(days), Some(recovery)) = (days, &mut updated.point_in_time_recovery) {
                recovery.recovery_period_days = days;
            }
            let mut txn = db.engine().begin();
            crate::catalog::write_entry(&mut *txn, &updated)?;
            txn.commit().map_err(storage_error)?;
            db.catalog().publish(updated.clone());
            updated
        }
        (false, _) => {
            if days.is_some() {
                return Err(DynamoError::validation(
                    "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery.",
                ));
            }
            db.disable_point_in_time_recovery(&table)?
        }
    };
    let mut response = Map::new();
    response.insert("ContinuousBackupsDescription".into(), description(&updated));
    super::respond(response)
}
