//! What the global-table operations of version 2017.11.29 (CreateGlobalTable,
//! UpdateGlobalTable, DescribeGlobalTable, ListGlobalTables and the two
//! settings operations) share. DynamoDB no longer makes such global tables
//! (recorded answers, 2026-10): a creation is refused, no global table of
//! that version exists to describe, change or list, and the global tables
//! of version 2019.11.21 (`global_tables`) are not among them.

use crate::validate::Violations;
use dynalith_model::{DynamoError, ErrorKind};

/// DynamoDB's answer to a CreateGlobalTable, or an UpdateGlobalTable that
/// creates a replica.
pub fn version_not_supported() -> DynamoError {
    DynamoError::invalid_parameter(
        "DynamoDB global tables version 2017.11.29 is not supported. We recommend using DynamoDB global tables version 2019.11.21, instead of version 2017.11.29 (Legacy).",
    )
}

/// DescribeGlobalTable's and UpdateGlobalTable's answer.
pub fn not_found(name: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::GlobalTableNotFound,
        format!("Global table not found: Global table with name: '{name}' does not exist."),
    )
}

/// The settings operations' answer.
pub fn settings_not_found(name: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::GlobalTableNotFound,
        format!("Global table with name: '{name}' does not exist."),
    )
}

/// GlobalTableName: a table name, required.
pub fn check_name(v: &mut Violations, name: Option<&str>) {
    v.name(name, "globalTableName");
}
