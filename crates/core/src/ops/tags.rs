//! What TagResource, UntagResource, ListTagsOfResource and CreateTable
//! share: the Tag shape, its checks, and finding a table by its ARN.
//!
//! Answers follow what DynamoDB was recorded answering (dynalite's test
//! suite): "Invalid TableArn" without an ARN, AccessDeniedException for a
//! string that is no ARN at all, "Invalid TableArn: Invalid ResourceArn
//! provided as input ..." for an ARN that names no table (an index's, for
//! one: DynamoDB tags tables only), and ResourceNotFoundException
//! "Requested resource not found: ResourcArn: ... not found" (DynamoDB's
//! spelling) for a table that does not exist. DynamoDB Local does not
//! implement tagging.

use crate::catalog::TableMeta;
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{DynamoError, ErrorKind};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Tags a table may have (DynamoDB's quota).
pub const MAX_TAGS: usize = 50;

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct TagInput {
    pub key: Option<String>,
    pub value: Option<String>,
}

/// Coral's checks on a list of tags at `path` (`tags`).
pub fn check_tag_members(v: &mut Violations, tags: &[TagInput], path: &str) {
    for (i, tag) in tags.iter().enumerate() {
        let member = format!("{path}.{}.member", i + 1);
        if v.require(&tag.key, &format!("{member}.key")) {
            let key = tag.key.as_deref().unwrap_or_default();
            v.length_between(
                format_args!("'{key}'"),
                key.chars().count(),
                &format!("{member}.key"),
                1,
                128,
            );
        }
        if v.require(&tag.value, &format!("{member}.value")) {
            let value = tag.value.as_deref().unwrap_or_default();
            v.length_between(
                format_args!("'{value}'"),
                value.chars().count(),
                &format!("{member}.value"),
                0,
                256,
            );
        }
    }
}

/// `current` with `tags` added (a key given again takes the new value),
/// within the quota.
pub fn merged(
    mut current: BTreeMap<String, String>,
    tags: &[TagInput],
) -> Result<BTreeMap<String, String>, DynamoError> {
    for tag in tags {
        current.insert(
            tag.key.clone().unwrap_or_default(),
            tag.value.clone().unwrap_or_default(),
        );
    }
    if current.len() > MAX_TAGS {
        return Err(DynamoError::new(
            ErrorKind::LimitExceeded,
            format!(
                "Subscriber limit exceeded: The number of tags exceeds the limit of {MAX_TAGS}"
            ),
        ));
    }
    Ok(current)
}

/// The table `arn` names, for `operation` (its name appears in the
/// AccessDeniedException).
pub fn table_of_arn(
    db: &Database,
    arn: Option<&str>,
    operation: &str,
) -> Result<Arc<TableMeta>, DynamoError> {
    let Some(arn) = arn else {
        return Err(DynamoError::validation("Invalid TableArn"));
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts.iter().any(|p| p.is_empty()) || !parts[5].contains('/') {
        return Err(DynamoError::new(
            ErrorKind::AccessDenied,
            format!(
                "User: arn:aws:iam::{}:user/dynalith is not authorized to perform: dynamodb:{operation} on resource: {}",
                crate::ACCOUNT_ID,
                if arn.is_empty() { "*" } else { arn }
            ),
        ));
    }
    let name = match (parts[0], parts[1], parts[2], parts[5].split_once('/')) {
        ("arn", "aws", "dynamodb", Some(("table", name)))
            if name.len() >= 3 && !name.contains('/') =>
        {
            name
        }
        _ => {
            return Err(DynamoError::validation(format!(
                "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
            )))
        }
    };
    db.catalog().get(name).ok_or_else(|| {
        DynamoError::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: ResourcArn: {arn} not found"),
        )
    })
}
