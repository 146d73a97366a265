//! What the global-table operations of version 2017.11.29 (CreateGlobalTable,
//! UpdateGlobalTable, DescribeGlobalTable, ListGlobalTables and the two
//! settings operations) share. DynamoDB no longer makes such global tables
//! (recorded answers, 2026-10): a creation is refused, no global table of
//! that version exists to describe, change or list, and the global tables
//! of version 2019.11.21 (`global_tables`) are not among them.

use crate::validate::Violations;
use dynalith_model::{wire::parse_input, DynamoError, ErrorKind};
use serde::Deserialize;

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

/// The input of the operations that name one global table and nothing else
/// they look at (DescribeGlobalTable and the two settings operations).
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct NamedGlobalTableInput {
    global_table_name: Option<String>,
}

/// Validates such an input and answers that its global table does not
/// exist, with `not_found`'s words for it.
pub fn named_global_table_not_found(
    body: &[u8],
    not_found: fn(&str) -> DynamoError,
) -> Result<Vec<u8>, DynamoError> {
    let input: NamedGlobalTableInput = parse_input(body)?;
    let mut v = Violations::new();
    check_name(&mut v, input.global_table_name.as_deref());
    v.finish()?;
    Err(not_found(
        input.global_table_name.as_deref().unwrap_or_default(),
    ))
}
