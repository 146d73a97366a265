//! Warm throughput (DynamoDB's `WarmThroughput`): the read and write units
//! per second a table or global index can serve at once. DynamoDB reports
//! it for every table and global index, raises it as provisioned capacity
//! (or usage) reaches new peaks, lets a client raise it ahead of a peak
//! (CreateTable, UpdateTable) and never lowers it. Here it is kept and
//! reported by those rules; it throttles nothing (`--enforce-throughput`
//! applies provisioned capacity, on-demand ceilings and per-key limits, and
//! a server here has no storage partitions that would need warming). Tools
//! read it back: Terraform's AWS provider
//! waits for its `Status` to be ACTIVE after creating or updating a table,
//! and never stops waiting when DescribeTable leaves it out, as DynamoDB
//! Local does.

use crate::catalog::{BillingMode, Throughput};
pub use crate::ops::shapes::Target;
use crate::validate::Violations;
use dynalith_model::{json_integer, DynamoError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Read and write units per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarmThroughput {
    pub read_units_per_second: i64,
    pub write_units_per_second: i64,
}

/// What a new on-demand table or global index can serve at once
/// (DynamoDB Developer Guide, "Warm throughput for an on-demand table").
pub const ON_DEMAND_START: WarmThroughput = WarmThroughput {
    read_units_per_second: 12_000,
    write_units_per_second: 4_000,
};

impl WarmThroughput {
    /// The least a table or global index billed `billing` is warm for:
    /// on-demand's starting values, or its provisioned capacity (raising
    /// provisioned capacity past the warm throughput raises the warm
    /// throughput with it).
    pub fn floor(billing: BillingMode, provisioned: &Throughput) -> WarmThroughput {
        match billing {
            BillingMode::PayPerRequest => ON_DEMAND_START,
            BillingMode::Provisioned => WarmThroughput {
                read_units_per_second: provisioned.read_capacity_units,
                write_units_per_second: provisioned.write_capacity_units,
            },
        }
    }

    /// Each value the larger of the two: warm throughput only rises.
    pub fn max(self, other: WarmThroughput) -> WarmThroughput {
        WarmThroughput {
            read_units_per_second: self.read_units_per_second.max(other.read_units_per_second),
            write_units_per_second: self
                .write_units_per_second
                .max(other.write_units_per_second),
        }
    }

    /// DescribeTable's `WarmThroughput` member (of the table or of a global
    /// index), with the table's or the index's status.
    pub fn description(self, status: &str) -> Value {
        json!({
            "ReadUnitsPerSecond": self.read_units_per_second,
            "WriteUnitsPerSecond": self.write_units_per_second,
            "Status": status,
        })
    }
}

/// A table's or global index's effective warm throughput: what it was last
/// recorded at (None where nothing was ever recorded, as for tables written
/// before warm throughput was kept), raised to what its billing gives it now.
pub fn effective(
    recorded: Option<WarmThroughput>,
    billing: BillingMode,
    provisioned: &Throughput,
) -> WarmThroughput {
    let floor = WarmThroughput::floor(billing, provisioned);
    recorded.map_or(floor, |recorded| recorded.max(floor))
}

/// The `WarmThroughput` member of CreateTable, UpdateTable, a global index
/// definition or a global index update.
#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(rename_all = "PascalCase")]
pub struct WarmThroughputInput {
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    pub read_units_per_second: Option<i64>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    pub write_units_per_second: Option<i64>,
}

impl WarmThroughputInput {
    /// Coral's member checks, at `path`: DynamoDB describes warm
    /// throughput values of at least 1.
    pub fn check(&self, v: &mut Violations, path: &str) {
        v.at_least(
            self.read_units_per_second,
            &format!("{path}.readUnitsPerSecond"),
            1,
        );
        v.at_least(
            self.write_units_per_second,
            &format!("{path}.writeUnitsPerSecond"),
            1,
        );
    }

    /// The table's `current` warm throughput with the values this asks for
    /// (`applied_to_for` with the table as the target).
    pub fn applied_to(&self, current: WarmThroughput) -> Result<WarmThroughput, DynamoError> {
        self.applied_to_for(current, Target::Table)
    }

    /// `target`'s `current` warm throughput with the values this asks
    /// for; a value left out keeps its current one. Asking for less than
    /// the current value is refused, in DynamoDB's words.
    pub fn applied_to_for(
        &self,
        current: WarmThroughput,
        target: Target,
    ) -> Result<WarmThroughput, DynamoError> {
        self.raised(current, target, Baseline::Current)
    }

    /// What a new `target` (table or global index) billed `billing`, with
    /// `provisioned` capacity, asks for. It starts at its floor
    /// (`WarmThroughput::floor`): asking for less than its provisioned
    /// capacity, or an on-demand one for less than on-demand's starting
    /// values (0 included: CreateTable has no member check of its own on
    /// warm throughput), is refused in DynamoDB's words.
    pub fn at_creation(
        &self,
        billing: BillingMode,
        provisioned: &Throughput,
        target: Target,
    ) -> Result<WarmThroughput, DynamoError> {
        let baseline = match billing {
            BillingMode::Provisioned => Baseline::Provisioned,
            BillingMode::PayPerRequest => Baseline::OnDemandStart,
        };
        self.raised(
            WarmThroughput::floor(billing, provisioned),
            target,
            baseline,
        )
    }

    fn raised(
        &self,
        current: WarmThroughput,
        target: Target,
        baseline: Baseline,
    ) -> Result<WarmThroughput, DynamoError> {
        crate::ops::shapes::check_capacity_bounds([
            (self.read_units_per_second, "ReadUnitsPerSecond"),
            (self.write_units_per_second, "WriteUnitsPerSecond"),
        ])?;
        let wanted = WarmThroughput {
            read_units_per_second: self
                .read_units_per_second
                .unwrap_or(current.read_units_per_second),
            write_units_per_second: self
                .write_units_per_second
                .unwrap_or(current.write_units_per_second),
        };
        let lowered = if wanted.read_units_per_second < current.read_units_per_second {
            ("ReadUnitsPerSecond", "ReadCapacityUnits")
        } else if wanted.write_units_per_second < current.write_units_per_second {
            ("WriteUnitsPerSecond", "WriteCapacityUnits")
        } else {
            return Ok(wanted);
        };
        let (member, capacity) = lowered;
        let target = match target {
            Target::Table => "table".to_string(),
            Target::Index(index) => format!("index {index}"),
        };
        let than = match baseline {
            Baseline::Current => {
                "current WarmThroughput, decreasing WarmThroughput is not supported".to_string()
            }
            Baseline::Provisioned => format!("{capacity} of ProvisionedThroughput"),
            Baseline::OnDemandStart => "initial throughput for OnDemand. See: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html#on-demand-capacity-mode-initial".to_string(),
        };
        Err(DynamoError::invalid_parameter(format!(
            "Requested {member} for WarmThroughput for {target} is lower than {than}"
        )))
    }
}

/// What a warm throughput request may not go below.
enum Baseline {
    /// The current warm throughput.
    Current,
    /// The provisioned capacity of a table or index being created.
    Provisioned,
    /// On-demand's starting values, for an on-demand table or index being
    /// created.
    OnDemandStart,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provisioned(read: i64, write: i64) -> Throughput {
        Throughput {
            read_capacity_units: read,
            write_capacity_units: write,
            ..Throughput::default()
        }
    }

    fn warm(read: i64, write: i64) -> WarmThroughput {
        WarmThroughput {
            read_units_per_second: read,
            write_units_per_second: write,
        }
    }

    fn input(read: Option<i64>, write: Option<i64>) -> WarmThroughputInput {
        WarmThroughputInput {
            read_units_per_second: read,
            write_units_per_second: write,
        }
    }

    #[test]
    fn on_demand_starts_at_twelve_thousand_reads_and_four_thousand_writes() {
        let floor = WarmThroughput::floor(BillingMode::PayPerRequest, &Throughput::default());
        assert_eq!(floor, warm(12_000, 4_000));
    }

    #[test]
    fn provisioned_capacity_is_the_floor_and_raises_what_was_recorded() {
        let capacity = provisioned(50, 25);
        assert_eq!(
            effective(None, BillingMode::Provisioned, &capacity),
            warm(50, 25)
        );
        let raised = provisioned(50_000, 10);
        assert_eq!(
            effective(
                Some(warm(30_000, 10_000)),
                BillingMode::Provisioned,
                &raised
            ),
            warm(50_000, 10_000)
        );
    }

    #[test]
    fn a_request_raises_either_value_and_keeps_the_other() {
        let current = warm(12_000, 4_000);
        assert_eq!(
            input(Some(15_000), None).applied_to(current).unwrap(),
            warm(15_000, 4_000)
        );
        assert_eq!(
            input(None, Some(5_000)).applied_to(current).unwrap(),
            warm(12_000, 5_000)
        );
        assert_eq!(input(None, None).applied_to(current).unwrap(), current);
    }

    #[test]
    fn a_request_below_the_current_value_is_refused() {
        let current = warm(12_000, 4_000);
        let cases = [
            (
                input(Some(11_999), None),
                Target::Table,
                "ReadUnitsPerSecond for WarmThroughput for table",
            ),
            (
                input(Some(20_000), Some(3_999)),
                Target::Index("byColor"),
                "WriteUnitsPerSecond for WarmThroughput for index byColor",
            ),
        ];
        for (request, target, what) in cases {
            let error = request.applied_to_for(current, target).unwrap_err();
            assert_eq!(
                error.message,
                format!("One or more parameter values were invalid: Requested {what} is lower than current WarmThroughput, decreasing WarmThroughput is not supported")
            );
        }
    }

    #[test]
    fn a_new_provisioned_table_is_not_warmed_below_its_capacity() {
        let capacity = provisioned(50, 25);
        let request = input(Some(100), Some(24));
        let error = request
            .at_creation(BillingMode::Provisioned, &capacity, Target::Table)
            .unwrap_err();
        assert_eq!(
            error.message,
            "One or more parameter values were invalid: Requested WriteUnitsPerSecond for WarmThroughput for table is lower than WriteCapacityUnits of ProvisionedThroughput"
        );
        assert_eq!(
            input(Some(100), None)
                .at_creation(BillingMode::Provisioned, &capacity, Target::Index("i"))
                .unwrap(),
            warm(100, 25)
        );
    }

    #[test]
    fn a_new_on_demand_table_is_not_warmed_below_the_initial_throughput() {
        let free = Throughput::default();
        for (request, target, what) in [
            (
                input(Some(0), Some(0)),
                Target::Table,
                "ReadUnitsPerSecond for WarmThroughput for table",
            ),
            (
                input(None, Some(3_999)),
                Target::Index("g-a"),
                "WriteUnitsPerSecond for WarmThroughput for index g-a",
            ),
        ] {
            let error = request
                .at_creation(BillingMode::PayPerRequest, &free, target)
                .unwrap_err();
            assert_eq!(
                error.message,
                format!("One or more parameter values were invalid: Requested {what} is lower than initial throughput for OnDemand. See: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html#on-demand-capacity-mode-initial")
            );
        }
    }

    #[test]
    fn values_beyond_provisioned_capacity_bounds_are_refused() {
        let error = input(Some(crate::ops::shapes::MAX_CAPACITY_UNITS + 1), None)
            .applied_to(ON_DEMAND_START)
            .unwrap_err();
        assert!(error
            .message
            .ends_with("for ReadUnitsPerSecond is out of bounds"));
    }
}
