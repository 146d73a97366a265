//! What TagResource, UntagResource, ListTagsOfResource and CreateTable
//! share: the Tag shape, its checks, and finding a table by its ARN.
//!
//! Answers follow what DynamoDB was recorded answering (dynalite's test
//! suite, and DynamoDB's answers recorded in October 2026): "Invalid
//! TableArn" without an ARN, "ARNs must start with 'arn:'" for a string
//! that is no ARN, AccessDeniedException for one too short to be any,
//! "Provided Arn is not a DynamoDB resource arn" for one that names no
//! DynamoDB table, stream or index, "only table or stream is accepted" for
//! an index's, "Invalid TableArn: Invalid ResourceArn provided as input
//! ..." for one of another partition or region, and
//! ResourceNotFoundException "Requested resource not found: ResourceArn:
//! ... not found" for a table that does not exist.
//! Tags are checked with DynamoDB's own texts, not Coral's. DynamoDB Local
//! does not implement tagging.

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

/// Coral's checks on a list of tags at `path`: none. DynamoDB checks the
/// members of Tags itself, with its own texts (`check_tags`), even those
/// the model constrains (a missing Value, a key of 129 characters).
pub fn check_tag_members(_v: &mut Violations, _tags: &[TagInput], _path: &str) {}

/// What a tag key or value may hold (the AWS tag pattern
/// `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`).
fn is_tag_text(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_alphabetic()
            || c.is_numeric()
            || (c.is_whitespace() && !c.is_control())
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    })
}

/// A tag key as TagResource, UntagResource and CreateTable take it: 1 to
/// 128 characters of the tag pattern.
pub fn check_tag_key(key: Option<&str>) -> Result<(), DynamoError> {
    match key {
        Some(key) if (1..=128).contains(&key.chars().count()) && is_tag_text(key) => Ok(()),
        _ => Err(DynamoError::validation(format!(
            "The Tag Key provided is invalid, Key: {}",
            key.unwrap_or("null")
        ))),
    }
}

/// Keys starting with aws: are AWS's, in any case ("AWS:foo" too), and
/// refused by TagResource, CreateTable and UntagResource alike.
pub fn check_not_reserved(key: &str) -> Result<(), DynamoError> {
    if key
        .get(..4)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("aws:"))
    {
        return Err(DynamoError::validation(format!(
            "Tag Key cannot be prefixed with aws:, Key: {key}"
        )));
    }
    Ok(())
}

/// DynamoDB's checks on the tags of a TagResource or CreateTable, in its
/// order: each tag's key, the aws: prefix and its value, then repeated
/// keys, then the quota.
pub fn check_tags(tags: &[TagInput]) -> Result<(), DynamoError> {
    for tag in tags {
        check_tag_key(tag.key.as_deref())?;
        check_not_reserved(tag.key.as_deref().unwrap_or_default())?;
        match tag.value.as_deref() {
            Some(value) if value.chars().count() <= 256 && is_tag_text(value) => {}
            value => {
                return Err(DynamoError::validation(format!(
                    "The Tag Value provided is invalid, Value: {}",
                    value.unwrap_or("null")
                )))
            }
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for tag in tags {
        let key = tag.key.as_deref().unwrap_or_default();
        if !seen.insert(key) {
            return Err(DynamoError::validation(format!(
                "Duplicate Tag Keys provided as input: Duplicate Tag Key found {key}"
            )));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    Ok(())
}

/// The quota's answer: a ValidationException in DynamoDB, not a
/// LimitExceededException.
pub fn too_many_tags() -> DynamoError {
    DynamoError::validation("Number of Tags exceed the current limit for the provided ResourceArn")
}

/// `current` with `tags` added (a key given again takes the new value),
/// once they pass `check_tags` and within the quota.
pub fn merged(
    mut current: BTreeMap<String, String>,
    tags: &[TagInput],
) -> Result<BTreeMap<String, String>, DynamoError> {
    check_tags(tags)?;
    for tag in tags {
        current.insert(
            tag.key.clone().unwrap_or_default(),
            tag.value.clone().unwrap_or_default(),
        );
    }
    if current.len() > MAX_TAGS {
        return Err(too_many_tags());
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
    if !arn.starts_with("arn:") {
        return Err(not_an_arn(arn));
    }
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
    let invalid = || {
        DynamoError::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        ))
    };
    let name = match dynamodb_resource(arn)? {
        DynamoResource::Table(name) if parts[1] == "aws" && name.len() >= 3 => name,
        DynamoResource::Index => return Err(only_table_or_stream(arn)),
        _ => return Err(invalid()),
    };
    let table = db.catalog().get(name).ok_or_else(|| {
        DynamoError::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: ResourceArn: {arn} not found"),
        )
    })?;
    // The Regions the table is in (its own, its replicas') are the only
    // ones its ARN may name.
    if !table.is_in_region(parts[3]) {
        return Err(invalid());
    }
    Ok(table)
}

/// What the resource part of a DynamoDB ARN names.
pub enum DynamoResource<'a> {
    Table(&'a str),
    Stream(&'a str, &'a str),
    Index,
}

/// The DynamoDB resource `arn` (which starts with "arn:") names: a table,
/// a stream or an index, or DynamoDB's "Provided Arn is not a DynamoDB
/// resource arn" (a backup's or an export's, another service's).
pub fn dynamodb_resource(arn: &str) -> Result<DynamoResource<'_>, DynamoError> {
    let not_dynamodb = || {
        DynamoError::invalid_parameter(format!(
            "Provided Arn is not a DynamoDB resource arn: {arn}"
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.len() < 6 || parts[2] != "dynamodb" {
        return Err(not_dynamodb());
    }
    let segments: Vec<&str> = parts[5].split('/').collect();
    match segments.as_slice() {
        ["table", name] if !name.is_empty() => Ok(DynamoResource::Table(name)),
        ["table", name, "stream", label] if !name.is_empty() && !label.is_empty() => {
            Ok(DynamoResource::Stream(name, label))
        }
        ["table", name, "index", index] if !name.is_empty() && !index.is_empty() => {
            Ok(DynamoResource::Index)
        }
        _ => Err(not_dynamodb()),
    }
}

/// DynamoDB's answer to a ResourceArn that is no ARN at all.
pub fn not_an_arn(arn: &str) -> DynamoError {
    DynamoError::invalid_parameter(format!("ARNs must start with 'arn:': {arn}"))
}

/// DynamoDB's answer to an index's ARN where a table's is wanted.
pub fn only_table_or_stream(arn: &str) -> DynamoError {
    DynamoError::invalid_parameter(format!(
        "Invalid resource arn provided, only table or stream is accepted. Provided resource arn: {arn}"
    ))
}
