//! Resource-based policies of a table or its stream (PutResourcePolicy,
//! GetResourcePolicy, DeleteResourcePolicy, CreateTable's ResourcePolicy).
//! dynalith authorizes requests by its `--credentials`, not by these; it
//! keeps them with their revisions as DynamoDB does, so that tools that
//! manage them (Terraform's aws_dynamodb_resource_policy, the CDK) work
//! against it. Behaviour and messages follow DynamoDB's as moto's
//! AWS-verified tests record them (`test_dynamodb_resource_policy.py`).

use crate::catalog::TableMeta;
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{DynamoError, ErrorKind};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// DynamoDB's limit on a policy document.
const MAX_POLICY_BYTES: usize = 20 * 1024;

/// The ExpectedRevisionId that asks for no policy to be there yet.
const NO_POLICY: &str = "NO_POLICY";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResourcePolicy {
    pub document: String,
    /// Milliseconds since the epoch, as DynamoDB's revision ids are: later
    /// revisions compare greater.
    pub revision_id: String,
}

pub fn check_document(v: &mut Violations, document: Option<&str>, path: &str) {
    if let Some(document) = document {
        v.length_between("", document.len(), path, 1, MAX_POLICY_BYTES);
    }
}

/// A policy revision after `previous`: the current millisecond, or one
/// past the previous revision when the clock has not moved on.
pub fn next_revision(previous: Option<&ResourcePolicy>) -> String {
    let now = (crate::now_epoch_seconds() * 1000.0) as u64;
    let after = previous
        .and_then(|p| p.revision_id.parse::<u64>().ok())
        .map_or(0, |r| r + 1);
    now.max(after).to_string()
}

/// The table an ARN belongs to (the table's or its stream's), with the ARN
/// the policy is kept under.
pub fn owner_of(db: &Database, arn: Option<&str>) -> Result<(Arc<TableMeta>, String), DynamoError> {
    let arn = arn.unwrap_or_default();
    let resource = arn
        .splitn(6, ':')
        .nth(5)
        .filter(|_| arn.starts_with("arn:aws:dynamodb:"))
        .and_then(|r| r.strip_prefix("table/"))
        .ok_or_else(|| {
            DynamoError::validation(format!("Invalid ResourceArn provided as input {arn}"))
        })?;
    let (name, stream) = match resource.split_once("/stream/") {
        Some((name, label)) => (name, Some(label)),
        None => (resource, None),
    };
    let table = db.catalog().get(name).ok_or_else(|| {
        DynamoError::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: Table: {name} not found"),
        )
    })?;
    if let Some(label) = stream {
        if table.stream.as_ref().map(|s| s.label.as_str()) != Some(label) {
            return Err(DynamoError::new(
                ErrorKind::ResourceNotFound,
                format!("Requested resource not found: Stream: {arn} not found"),
            ));
        }
    }
    Ok((table, arn.to_string()))
}

pub fn not_found(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::PolicyNotFound,
        format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
    )
}

/// Refuses a change whose ExpectedRevisionId does not match what is there.
pub fn check_expected(
    table: &TableMeta,
    arn: &str,
    current: Option<&ResourcePolicy>,
    expected: Option<&str>,
) -> Result<(), DynamoError> {
    let prefix = "Resource-based policy not found for the provided ResourceArn";
    match (expected, current) {
        (None, _) => Ok(()),
        (Some(NO_POLICY), None) => Ok(()),
        (Some(NO_POLICY), Some(current)) => Err(DynamoError::new(
            ErrorKind::PolicyNotFound,
            format!(
                "{prefix}: Requested policy update expecting none to be present for table {}, but a policy exists with revision id {}.",
                table.name, current.revision_id
            ),
        )),
        (Some(_), None) => Err(not_found(arn)),
        (Some(expected), Some(current)) if expected == current.revision_id => Ok(()),
        (Some(expected), Some(current)) => Err(DynamoError::new(
            ErrorKind::PolicyNotFound,
            format!(
                "{prefix}: Requested update for policy with revision id {expected}, but the policy associated to target table {} has revision id {}.",
                table.name, current.revision_id
            ),
        )),
    }
}
