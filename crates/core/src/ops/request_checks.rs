//! DynamoDB's current validation layer (PutItem, UpdateItem and DeleteItem,
//! recorded from DynamoDB in eu-west-2 and us-east-1 on 2026-10-09 by the
//! paritysuite conformance suite, `tests/tier3/error-messages/`) reports the
//! request's own checks inside Coral's envelope, "1 validation error
//! detected: ...": expression parameters without an expression (with no
//! ": ConditionExpression is null" after it), empty ExpressionAttributeNames
//! or ExpressionAttributeValues, an empty expression, a value an expression
//! uses but does not define, ReturnValues a Put or Delete cannot return, and
//! a malformed Expected condition. What was recorded bare stays bare: key
//! and schema errors, expression syntax, conditions that fail. DynamoDB
//! Local, and the other operations, report all of these bare.

use dynalith_model::{DynamoError, ErrorKind};

const ENVELOPE: &str = "1 validation error detected: ";

/// The request checks that start with these words.
const ENVELOPED_OPENINGS: [&str; 5] = [
    "ExpressionAttributeNames can only be specified when using expressions",
    "ExpressionAttributeValues can only be specified when using expressions",
    "ExpressionAttributeNames must not be empty",
    "ExpressionAttributeValues must not be empty",
    "ReturnValues can only be ALL_OLD or NONE",
];

/// Expected's malformed conditions, after "One or more parameter values
/// were invalid: ".
const EXPECTED_FAULTS: [&str; 7] = [
    "Value must be provided when Exists is",
    "Value cannot be used when Exists is false",
    "Value and AttributeValueList cannot be used together",
    "Value or AttributeValueList must be used with ComparisonOperator",
    "Invalid number of argument(s) for the",
    "Exists and ComparisonOperator cannot be used together",
    "AttributeValueList can only be used with a ComparisonOperator",
];

/// `error` as PutItem, UpdateItem and DeleteItem report it for `body`: a
/// request nested too deep for the current layer falls back to Coral,
/// which reports its checks bare (`write_members::refuse_before_depth`).
pub fn in_current_layer(mut error: DynamoError, body: &[u8]) -> DynamoError {
    if error.kind != ErrorKind::Validation
        || !is_request_check(&error.message)
        || !super::write_members::read_by_current_layer(body)
    {
        return error;
    }
    let message = error.message.as_str();
    // The older words name the expressions that are missing.
    let message = match message.split_once(" when using expressions: ") {
        Some((opening, _)) => format!("{opening} when using expressions"),
        None => message.to_string(),
    };
    error.message = format!("{ENVELOPE}{message}");
    error
}

fn is_request_check(message: &str) -> bool {
    ENVELOPED_OPENINGS.iter().any(|o| message.starts_with(o))
        || (message.starts_with("Invalid ")
            && message.ends_with("The expression can not be empty;"))
        || message.contains("An expression attribute value used in expression is not defined;")
        || message
            .strip_prefix("One or more parameter values were invalid: ")
            .is_some_and(|rest| EXPECTED_FAULTS.iter().any(|f| rest.starts_with(f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(message: &str) -> String {
        in_current_layer(DynamoError::validation(message), b"{}").message
    }

    #[test]
    fn envelopes_the_recorded_request_checks_only() {
        assert_eq!(
            reported("ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"),
            "1 validation error detected: ExpressionAttributeValues can only be specified when using expressions"
        );
        assert_eq!(
            reported("Invalid ConditionExpression: The expression can not be empty;"),
            "1 validation error detected: Invalid ConditionExpression: The expression can not be empty;"
        );
        assert_eq!(
            reported("One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"),
            "1 validation error detected: One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: a"
        );
        for bare in [
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key",
            "The provided key element does not match the schema",
            "Invalid ConditionExpression: Syntax error; token: \"<EOF>\", near: \"(\"",
            "1 validation error detected: Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ] {
            assert_eq!(reported(bare), bare);
        }
        let failed = DynamoError::new(
            ErrorKind::ConditionalCheckFailed,
            "The conditional request failed",
        );
        assert_eq!(
            in_current_layer(failed, b"{}").message,
            "The conditional request failed"
        );
    }
}
