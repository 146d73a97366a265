//! DescribeGlobalTable (global tables version 2017.11.29): there is no such
//! global table (`legacy_global_tables`).

use super::legacy_global_tables::{named_global_table_not_found, not_found};
use dynalith_model::DynamoError;

pub fn execute(body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    named_global_table_not_found(body, not_found)
}
