//! A TableName member that may hold the table's ARN instead of its name.
//!
//! Since 2024 DynamoDB's API reference says of TableName in the item,
//! query, batch, transaction and table operations: "You can also provide
//! the Amazon Resource Name (ARN) of the table in this parameter"; the
//! model's member became a `TableArn` (1 to 1024 characters, no pattern).
//! A plain name is checked exactly as before (`Violations::name`).
//!
//! What DynamoDB was recorded answering (October 2026): an ARN
//! `arn:aws:dynamodb:<region>:<account>:table/<name>` of the endpoint's
//! region and the caller's account designates the table `<name>`, whose
//! answers name it bare; a missing one gives ResourceNotFoundException
//! naming `<name>`; an ARN of another region is a ValidationException
//! "1 validation error detected: Invalid AWS region in '<arn>'" (DynamoDB
//! also has "Invalid AWS partition in" and "Invalid resource type in"); an
//! index's or a stream's ARN is a ValidationException (DynamoDB's
//! "Valid ARN format is ..." text); another account's is
//! AccessDeniedException "Access is denied". The order of these checks
//! beyond what was recorded is dynalith's choice: format, partition,
//! region, resource type, resource name, account.

use crate::ops::tags::{dynamodb_resource, DynamoResource};
use crate::validate::Violations;
use crate::RequestContext;
use dynalith_model::{DynamoError, ErrorKind};

/// The most characters a TableName holding an ARN may have.
pub const MAX_ARN_LENGTH: usize = 1024;

/// Whether a TableName holds an ARN rather than a name.
pub fn is_arn(value: &str) -> bool {
    value.starts_with("arn:")
}

/// Coral's checks on a TableName member at `path`: an ARN's length (1 to
/// 1024), or a name's pattern and length (3 to 255).
pub fn check_member(v: &mut Violations, value: Option<&str>, path: &str) {
    match value {
        Some(arn) if is_arn(arn) => {
            if arn.chars().count() > MAX_ARN_LENGTH {
                v.push(
                    format_args!("'{arn}'"),
                    path,
                    format_args!("Member must have length less than or equal to {MAX_ARN_LENGTH}"),
                );
            }
        }
        // A TableName that may be an ARN is one character at least, and
        // an empty one is refused for that alone (recorded from DynamoDB's
        // PutItem and UpdateItem, 2026).
        Some("") => v.push(
            "''",
            path,
            "Member must have length greater than or equal to 1",
        ),
        _ => v.name(value, path),
    }
}

/// The name of the table `given` (a TableName member that passed
/// `check_member`, at `path`) designates, for a request signed for
/// `context.region`. A name is its own answer.
pub fn table_name<'a>(
    given: &'a str,
    path: &str,
    context: &RequestContext,
) -> Result<&'a str, DynamoError> {
    if !is_arn(given) {
        return Ok(given);
    }
    let parts: Vec<&str> = given.splitn(6, ':').collect();
    if parts.len() < 6 || !parts[5].contains('/') {
        return Err(invalid_format(given, path));
    }
    let detected = |what: &str| {
        DynamoError::validation(format!(
            "1 validation error detected: Invalid {what} in '{given}'"
        ))
    };
    if parts[1] != "aws" {
        return Err(detected("AWS partition"));
    }
    if parts[3] != context.region {
        return Err(detected("AWS region"));
    }
    let name = match dynamodb_resource(given) {
        Ok(DynamoResource::Table(name)) if is_table_name(name) => name,
        // An index's or a stream's ARN, or a name DynamoDB could not hold.
        Ok(_) => return Err(invalid_format(given, path)),
        Err(_) if parts[2] == "dynamodb" && parts[5].starts_with("table/") => {
            return Err(invalid_format(given, path))
        }
        Err(_) => return Err(detected("resource type")),
    };
    if parts[4] != crate::ACCOUNT_ID {
        return Err(DynamoError::new(
            ErrorKind::AccessDenied,
            "Access is denied",
        ));
    }
    Ok(name)
}

/// `table_name` of an optional member (validation has required it).
pub fn required<'a>(
    given: Option<&'a str>,
    path: &str,
    context: &RequestContext,
) -> Result<&'a str, DynamoError> {
    table_name(given.unwrap_or_default(), path, context)
}

/// `required` of a top-level TableName member, as an owned name.
pub fn owned(given: &Option<String>, context: &RequestContext) -> Result<String, DynamoError> {
    required(given.as_deref(), "tableName", context).map(str::to_string)
}

fn is_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn invalid_format(arn: &str, path: &str) -> DynamoError {
    DynamoError::validation(format!(
        "1 validation error detected: Value '{arn}' at '{path}' failed to satisfy constraint: \
         Valid ARN format is 'arn:<awsPartition>:<vendor>:<region>:<subscriber>:resourceType/resourceName', \
         where Resource name must have length less than or equal to 255, Resource name must have \
         length greater than or equal to 3, Resource name must satisfy regular expression pattern: \
         [a-zA-Z0-9_.-]+"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> RequestContext {
        RequestContext::default()
    }

    fn error(given: &str) -> DynamoError {
        table_name(given, "tableName", &context()).unwrap_err()
    }

    #[test]
    fn names_pass_through() {
        assert_eq!(
            table_name("T.a-b_1", "tableName", &context()).unwrap(),
            "T.a-b_1"
        );
        assert_eq!(table_name("x:y", "tableName", &context()).unwrap(), "x:y");
    }

    #[test]
    fn a_table_arn_names_its_table() {
        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/Music";
        assert_eq!(table_name(arn, "tableName", &context()).unwrap(), "Music");
    }

    #[test]
    fn other_regions_partitions_and_accounts_are_refused() {
        let region = error("arn:aws:dynamodb:eu-west-1:000000000000:table/Music");
        assert_eq!(region.kind, ErrorKind::Validation);
        assert_eq!(
            region.message,
            "1 validation error detected: Invalid AWS region in \
             'arn:aws:dynamodb:eu-west-1:000000000000:table/Music'"
        );
        let partition = error("arn:aws-cn:dynamodb:us-east-1:000000000000:table/Music");
        assert!(partition.message.contains("Invalid AWS partition in"));
        let account = error("arn:aws:dynamodb:us-east-1:111122223333:table/Music");
        assert_eq!(account.kind, ErrorKind::AccessDenied);
        assert_eq!(account.message, "Access is denied");
    }

    #[test]
    fn index_stream_and_malformed_arns_are_invalid() {
        for arn in [
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/index/ByArtist",
            "arn:aws:dynamodb:us-east-1:000000000000:table/Music/stream/2026-01-01T00:00:00.000",
            "arn:aws:dynamodb:us-east-1:000000000000:table/ab",
            "arn:aws:dynamodb:us-east-1:000000000000:table",
            "arn:aws:dynamodb",
        ] {
            let e = error(arn);
            assert_eq!(e.kind, ErrorKind::Validation, "{arn}");
            assert!(
                e.message.contains("Valid ARN format is"),
                "{arn}: {}",
                e.message
            );
        }
        let backup = error("arn:aws:dynamodb:us-east-1:000000000000:backup/x");
        assert!(backup.message.contains("Invalid resource type in"));
    }

    #[test]
    fn members_holding_arns_are_checked_for_length_only() {
        let mut v = Violations::new();
        check_member(
            &mut v,
            Some("arn:aws:dynamodb:us-east-1:000000000000:table/a b"),
            "tableName",
        );
        assert!(v.finish().is_ok());
        let mut v = Violations::new();
        let long = format!("arn:{}", "x".repeat(1021));
        check_member(&mut v, Some(&long), "tableName");
        assert!(v
            .finish()
            .unwrap_err()
            .message
            .contains("Member must have length less than or equal to 1024"));
        let mut v = Violations::new();
        check_member(&mut v, Some("ab"), "tableName");
        assert!(v.finish().is_err());
    }
}
