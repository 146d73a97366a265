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

/// DynamoDB's checks on a policy document (PutResourcePolicy), in its
/// words: its size, then that it is JSON, an object, with a Statement that
/// is not empty, whose statements have an Effect and a Resource and
/// distinct Sids. dynalith does not judge what a policy grants.
pub fn check_policy(document: &str) -> Result<(), DynamoError> {
    if document.len() > MAX_POLICY_BYTES {
        return Err(DynamoError::invalid_parameter(format!(
            "Maximum policy size of {MAX_POLICY_BYTES} bytes exceeded"
        )));
    }
    let invalid =
        |detail: &str| DynamoError::invalid_parameter(format!("Invalid policy document: {detail}"));
    let policy: serde_json::Value =
        serde_json::from_str(document).map_err(|_| invalid("This policy contains invalid Json"))?;
    let policy = match policy {
        serde_json::Value::Object(policy) => policy,
        serde_json::Value::Null => return Err(invalid("This text appears not to be a policy")),
        _ => return Err(invalid("This policy contains invalid Json")),
    };
    let statements = match policy.get("Statement") {
        Some(serde_json::Value::Array(statements)) => statements.clone(),
        Some(statement) => vec![statement.clone()],
        None => Vec::new(),
    };
    if statements.is_empty() {
        return Err(invalid("Could not parse the policy: Statement is empty!"));
    }
    let mut sids = std::collections::BTreeSet::new();
    for statement in &statements {
        for field in ["Effect", "Resource"] {
            if statement.get(field).is_none() {
                return Err(invalid(&format!("Missing required field {field}")));
            }
        }
        if let Some(sid) = statement.get("Sid") {
            if !sids.insert(sid.to_string()) {
                return Err(invalid("The Statement Ids in the policy are not unique"));
            }
        }
    }
    Ok(())
}

/// The table an ARN belongs to (the table's or its stream's), with the ARN
/// the policy is kept under. DynamoDB's answers, as recorded: no ARN at
/// all, not a DynamoDB table's, stream's or index's, another partition, an
/// index's, no such table, another region (the table's own is the only
/// one), no such stream.
pub fn owner_of(db: &Database, arn: Option<&str>) -> Result<(Arc<TableMeta>, String), DynamoError> {
    use crate::ops::tags::{self, DynamoResource};
    let arn = arn.unwrap_or_default();
    if !arn.starts_with("arn:") {
        return Err(tags::not_an_arn(arn));
    }
    let resource = tags::dynamodb_resource(arn)?;
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let invalid = || DynamoError::invalid_parameter(format!("Invalid resource Arn: {arn}"));
    if parts[1] != "aws" {
        return Err(invalid());
    }
    let (name, stream) = match resource {
        DynamoResource::Table(name) => (name, None),
        DynamoResource::Stream(name, label) => (name, Some(label)),
        DynamoResource::Index => return Err(tags::only_table_or_stream(arn)),
    };
    let table = db.catalog().get(name).ok_or_else(|| {
        DynamoError::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: Table: {name} not found"),
        )
    })?;
    // The Regions the table is in (its own, its replicas') are the only
    // ones its ARN may name.
    if !table.is_in_region(parts[3]) {
        return Err(invalid());
    }
    if let Some(label) = stream {
        if table.stream.as_ref().map(|s| s.label.as_str()) != Some(label) {
            return Err(DynamoError::new(
                ErrorKind::ResourceNotFound,
                format!(
                    "Requested resource not found: Stream: {label} not found for Table: {name}"
                ),
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
