//! DynamoDB's per-table quotas on capacity (provisioned throughput and
//! on-demand ceilings, of a table or one of its global indexes), checked
//! by CreateTable and UpdateTable: LimitExceededException in DynamoDB's
//! words. The quota is what DescribeLimits reports.

use super::shapes::{OnDemandThroughputInput, Target};
use dynalith_model::{DynamoError, ErrorKind};

/// DynamoDB's per-table quota on provisioned capacity, for the table or
/// one of its global indexes (the index's capacity is not counted in the
/// table's): LimitExceededException in DynamoDB's words. The quota is
/// what DescribeLimits reports.
pub fn check_capacity_quota(
    read: Option<i64>,
    write: Option<i64>,
    target: Target,
    region: &str,
) -> Result<(), DynamoError> {
    let max = super::describe_limits::TABLE_MAX_CAPACITY_UNITS;
    for (value, member) in [(read, "ReadCapacityUnits"), (write, "WriteCapacityUnits")] {
        let Some(units) = value.filter(|u| *u > max) else {
            continue;
        };
        let start = match target {
            Target::Table => {
                format!("The requested {member}, {units}, is above the per table maximum")
            }
            Target::Index(index) => format!(
                "The requested {member} for index {index}, {units}, is above the per index maximum"
            ),
        };
        return Err(DynamoError::new(
            ErrorKind::LimitExceeded,
            format!("{start} for the account in {region}. Per table maximum: {max}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."),
        ));
    }
    Ok(())
}

/// The same quota on an on-demand ceiling of the table or one of its
/// global indexes (-1, no ceiling, is within it).
pub fn check_on_demand_quota(
    ceiling: &OnDemandThroughputInput,
    target: Target,
    region: &str,
) -> Result<(), DynamoError> {
    let max = super::describe_limits::TABLE_MAX_CAPACITY_UNITS;
    for (value, member, quota) in [
        (
            ceiling.max_read_request_units,
            "MaxReadRequestUnits",
            "TableMaxReadCapacityUnits",
        ),
        (
            ceiling.max_write_request_units,
            "MaxWriteRequestUnits",
            "TableMaxWriteCapacityUnits",
        ),
    ] {
        if value.is_some_and(|u| u > max) {
            let what = match target {
                Target::Table => "table".to_string(),
                Target::Index(index) => format!("index : {index}"),
            };
            return Err(DynamoError::new(
                ErrorKind::LimitExceeded,
                format!("Subscriber limit exceeded: Requested {member} for OnDemandThroughput for {what} exceeds {quota} of the account in region {region}"),
            ));
        }
    }
    Ok(())
}
