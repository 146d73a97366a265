//! DescribeGlobalTable (global tables version 2017.11.29): there is no such
//! global table (`legacy_global_tables`).

use super::legacy_global_tables::{check_name, not_found};
use crate::validate::Violations;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeGlobalTableInput {
    global_table_name: Option<String>,
}

pub fn execute(body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeGlobalTableInput = parse_input(body)?;
    let mut v = Violations::new();
    check_name(&mut v, input.global_table_name.as_deref());
    v.finish()?;
    Err(not_found(
        input.global_table_name.as_deref().unwrap_or_default(),
    ))
}
