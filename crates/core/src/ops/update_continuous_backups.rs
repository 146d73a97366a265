//! UpdateContinuousBackups: point-in-time recovery may be turned off (it
//! is off), not on: dynalith keeps no history to restore from, and says so
//! rather than report a protection it does not give.

use super::describe_continuous_backups::{description, require_table};
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
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
    recovery_period_in_days: Option<i64>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: UpdateContinuousBackupsInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name(input.table_name.as_deref(), "tableName");
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
            35,
        );
    }
    v.finish()?;
    require_table(db, input.table_name.as_deref().unwrap_or_default())?;
    let enable = input
        .point_in_time_recovery_specification
        .and_then(|s| s.point_in_time_recovery_enabled)
        .unwrap_or(false);
    if enable {
        return Err(DynamoError::validation(
            "Point-in-time recovery is not supported by this server; use CreateBackup for on-demand backups",
        ));
    }
    let mut response = Map::new();
    response.insert("ContinuousBackupsDescription".into(), description());
    super::respond(response)
}
