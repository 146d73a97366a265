//! What the DynamoDB Streams operations share.

use dynalith_model::DynamoError;

/// The StreamArn member, present and non-empty; `missing` is the message
/// when it is not (DynamoDB Local's words differ by operation).
pub fn stream_arn<'a>(arn: Option<&'a str>, missing: &str) -> Result<&'a str, DynamoError> {
    match arn {
        Some(arn) if !arn.is_empty() => Ok(arn),
        _ => Err(DynamoError::validation(missing)),
    }
}
