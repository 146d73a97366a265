//! DescribeLimits: the account's and each table's provisioned-capacity
//! quotas, DynamoDB's defaults (what DynamoDB Local answers too). The
//! per-table ones hold for the capacity and on-demand ceilings CreateTable
//! and UpdateTable set
//! (`capacity_quotas::check_capacity_quota`); the account's are reported
//! only.

use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

/// DynamoDB's default quotas, in capacity units.
const ACCOUNT_MAX_CAPACITY_UNITS: i64 = 80_000;
pub(crate) const TABLE_MAX_CAPACITY_UNITS: i64 = 40_000;

/// DescribeLimits has no members; the body must still be a JSON object.
#[derive(Deserialize)]
struct DescribeLimitsInput {}

pub fn execute(_db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let _: DescribeLimitsInput = parse_input(body)?;
    let mut response = Map::new();
    for (member, units) in [
        ("AccountMaxReadCapacityUnits", ACCOUNT_MAX_CAPACITY_UNITS),
        ("AccountMaxWriteCapacityUnits", ACCOUNT_MAX_CAPACITY_UNITS),
        ("TableMaxReadCapacityUnits", TABLE_MAX_CAPACITY_UNITS),
        ("TableMaxWriteCapacityUnits", TABLE_MAX_CAPACITY_UNITS),
    ] {
        response.insert(member.into(), units.into());
    }
    super::respond(response)
}
