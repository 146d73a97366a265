//! The errors DynamoDB answers with, and the one place that maps each to its
//! wire `__type` and HTTP status.

use std::fmt;

/// Every error type the service can answer with.
///
/// The namespace differs per type because DynamoDB itself is built on
/// several layers (Coral validation, Coral service, DynamoDB proper), and SDKs
/// only look at the part after `#`, but the namespace is what DynamoDB sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A parameter failed DynamoDB's validation rules.
    Validation,
    /// The body is not JSON, or a field has the wrong JSON type.
    Serialization,
    /// `X-Amz-Target` names no known operation.
    UnknownOperation,
    /// No `Authorization` header (or query-string signature).
    MissingAuthenticationToken,
    /// The `Authorization` header lacks required parts.
    IncompleteSignature,
    /// The signature does not verify.
    InvalidSignature,
    /// The access key is unknown.
    UnrecognizedClient,
    /// The caller may not perform the operation.
    AccessDenied,
    /// The table or index does not exist (or is not ACTIVE yet).
    ResourceNotFound,
    /// The table exists already, or is being changed.
    ResourceInUse,
    /// A ConditionExpression or Expected evaluated to false.
    ConditionalCheckFailed,
    /// Too many concurrent control-plane operations, or a per-account limit.
    LimitExceeded,
    /// Request rate over provisioned throughput.
    ProvisionedThroughputExceeded,
    /// Request rate over account limits.
    RequestLimitExceeded,
    /// Control-plane request rate too high.
    Throttling,
    /// A transaction was cancelled; carries CancellationReasons.
    TransactionCanceled,
    /// Another transaction conflicts with this request.
    TransactionConflict,
    /// A transaction with the same token is still running.
    TransactionInProgress,
    /// A ClientRequestToken was reused with other parameters.
    IdempotentParameterMismatch,
    /// An LSI item collection would exceed 10 GB.
    ItemCollectionSizeLimitExceeded,
    /// Deletion protection is on.
    ResourceInUseDeletionProtection,
    /// A PartiQL INSERT of an item whose key exists.
    DuplicateItem,
    /// A shard iterator older than 15 minutes (DynamoDB Streams).
    ExpiredIterator,
    /// A stream read below the stream's trim point (DynamoDB Streams).
    TrimmedDataAccess,
    /// CreateBackup of a table that does not exist.
    TableNotFound,
    /// RestoreTableFromBackup onto a table name in use.
    TableAlreadyExists,
    /// A backup ARN that names no backup.
    BackupNotFound,
    /// RestoreTableToPointInTime of a table that does not exist.
    SourceTableNotFound,
    /// RestoreTableToPointInTime of a table without point-in-time recovery.
    PointInTimeRecoveryUnavailable,
    /// A restore time outside the recoverable window.
    InvalidRestoreTime,
    /// No resource-based policy, or not the revision the request expected.
    PolicyNotFound,
    /// An export ARN that names no export.
    ExportNotFound,
    /// An export's ClientToken reused with other parameters.
    ExportConflict,
    /// An export time outside the table's recoverable window.
    InvalidExportTime,
    /// An import ARN that names no import.
    ImportNotFound,
    /// An import's ClientToken reused with other parameters.
    ImportConflict,
    /// A global table of version 2017.11.29 that does not exist (all of
    /// them: DynamoDB no longer makes them).
    GlobalTableNotFound,
    /// Application Auto Scaling: no such scalable target or policy.
    ObjectNotFound,
    /// Application Auto Scaling: a NextToken that no listing gave.
    InvalidNextToken,
    /// Application Auto Scaling: a scalable target would have more than
    /// 50 tags.
    TooManyTags,
    /// A bug or storage failure on our side.
    InternalServerError,
    /// The server cannot answer for now, a state that passes (HTTP 503,
    /// which SDKs retry): a server following another that cannot reach it.
    ServiceUnavailable,
}

const DYNAMODB: &str = "com.amazonaws.dynamodb.v20120810#";
const CORAL_SERVICE: &str = "com.amazon.coral.service#";
const APPLICATION_AUTO_SCALING: &str = "com.amazonaws.applicationautoscaling#";

impl ErrorKind {
    /// The `__type` DynamoDB sends for this error.
    pub fn wire_type(self) -> String {
        let (namespace, name) = match self {
            ErrorKind::Validation => ("com.amazon.coral.validate#", "ValidationException"),
            ErrorKind::Serialization => (CORAL_SERVICE, "SerializationException"),
            ErrorKind::UnknownOperation => (CORAL_SERVICE, "UnknownOperationException"),
            ErrorKind::MissingAuthenticationToken => {
                (CORAL_SERVICE, "MissingAuthenticationTokenException")
            }
            ErrorKind::IncompleteSignature => (CORAL_SERVICE, "IncompleteSignatureException"),
            ErrorKind::InvalidSignature => (CORAL_SERVICE, "InvalidSignatureException"),
            ErrorKind::UnrecognizedClient => (CORAL_SERVICE, "UnrecognizedClientException"),
            ErrorKind::AccessDenied => (CORAL_SERVICE, "AccessDeniedException"),
            ErrorKind::Throttling => ("com.amazon.coral.availability#", "ThrottlingException"),
            ErrorKind::ResourceNotFound => (DYNAMODB, "ResourceNotFoundException"),
            ErrorKind::ResourceInUse | ErrorKind::ResourceInUseDeletionProtection => {
                (DYNAMODB, "ResourceInUseException")
            }
            ErrorKind::ConditionalCheckFailed => (DYNAMODB, "ConditionalCheckFailedException"),
            ErrorKind::LimitExceeded => (DYNAMODB, "LimitExceededException"),
            ErrorKind::ProvisionedThroughputExceeded => {
                (DYNAMODB, "ProvisionedThroughputExceededException")
            }
            ErrorKind::RequestLimitExceeded => (DYNAMODB, "RequestLimitExceeded"),
            ErrorKind::TransactionCanceled => (DYNAMODB, "TransactionCanceledException"),
            ErrorKind::TransactionConflict => (DYNAMODB, "TransactionConflictException"),
            ErrorKind::TransactionInProgress => (DYNAMODB, "TransactionInProgressException"),
            ErrorKind::IdempotentParameterMismatch => {
                (DYNAMODB, "IdempotentParameterMismatchException")
            }
            ErrorKind::ItemCollectionSizeLimitExceeded => {
                (DYNAMODB, "ItemCollectionSizeLimitExceededException")
            }
            ErrorKind::DuplicateItem => (DYNAMODB, "DuplicateItemException"),
            ErrorKind::ExpiredIterator => (DYNAMODB, "ExpiredIteratorException"),
            ErrorKind::TrimmedDataAccess => (DYNAMODB, "TrimmedDataAccessException"),
            ErrorKind::TableNotFound => (DYNAMODB, "TableNotFoundException"),
            ErrorKind::TableAlreadyExists => (DYNAMODB, "TableAlreadyExistsException"),
            ErrorKind::BackupNotFound => (DYNAMODB, "BackupNotFoundException"),
            ErrorKind::SourceTableNotFound => (DYNAMODB, "SourceTableNotFoundException"),
            ErrorKind::PointInTimeRecoveryUnavailable => {
                (DYNAMODB, "PointInTimeRecoveryUnavailableException")
            }
            ErrorKind::InvalidRestoreTime => (DYNAMODB, "InvalidRestoreTimeException"),
            ErrorKind::PolicyNotFound => (DYNAMODB, "PolicyNotFoundException"),
            ErrorKind::ExportNotFound => (DYNAMODB, "ExportNotFoundException"),
            ErrorKind::ExportConflict => (DYNAMODB, "ExportConflictException"),
            ErrorKind::InvalidExportTime => (DYNAMODB, "InvalidExportTimeException"),
            ErrorKind::ImportNotFound => (DYNAMODB, "ImportNotFoundException"),
            ErrorKind::ImportConflict => (DYNAMODB, "ImportConflictException"),
            ErrorKind::GlobalTableNotFound => (DYNAMODB, "GlobalTableNotFoundException"),
            ErrorKind::ObjectNotFound => (APPLICATION_AUTO_SCALING, "ObjectNotFoundException"),
            ErrorKind::InvalidNextToken => (APPLICATION_AUTO_SCALING, "InvalidNextTokenException"),
            ErrorKind::TooManyTags => (APPLICATION_AUTO_SCALING, "TooManyTagsException"),
            ErrorKind::InternalServerError => (DYNAMODB, "InternalServerError"),
            ErrorKind::ServiceUnavailable => (DYNAMODB, "ServiceUnavailable"),
        };
        format!("{namespace}{name}")
    }

    /// The HTTP status DynamoDB answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InternalServerError => 500,
            ErrorKind::ServiceUnavailable => 503,
            _ => 400,
        }
    }
}

/// An error as the client will see it: a type, a message and, for a few
/// types, extra members (the old `Item` of a failed condition, the
/// `CancellationReasons` of a cancelled transaction).
#[derive(Clone, Debug, PartialEq)]
pub struct DynamoError {
    pub kind: ErrorKind,
    pub message: String,
    pub extra: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl DynamoError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        DynamoError {
            kind,
            message: message.into(),
            extra: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }

    pub fn serialization(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Serialization, message)
    }

    /// "One or more parameter values were invalid: ..." is the prefix
    /// DynamoDB puts on most semantic validation failures.
    pub fn invalid_parameter(detail: impl fmt::Display) -> Self {
        Self::validation(format!(
            "One or more parameter values were invalid: {detail}"
        ))
    }

    pub fn resource_not_found() -> Self {
        Self::new(ErrorKind::ResourceNotFound, "Requested resource not found")
    }

    pub fn table_not_found(table: &str) -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: Table: {table} not found"),
        )
    }

    pub fn conditional_check_failed() -> Self {
        Self::new(
            ErrorKind::ConditionalCheckFailed,
            "The conditional request failed",
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InternalServerError, message)
    }

    pub fn with_extra(mut self, key: &str, value: serde_json::Value) -> Self {
        self.extra
            .get_or_insert_with(Default::default)
            .insert(key.to_string(), value);
        self
    }

    /// The JSON body DynamoDB sends for this error.
    pub fn to_body(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("__type".into(), self.kind.wire_type().into());
        // Coral sends no message at all for some errors (an unknown
        // operation), rather than an empty one.
        if !self.message.is_empty() {
            body.insert("message".into(), self.message.clone().into());
        }
        if let Some(extra) = &self.extra {
            for (k, v) in extra.iter() {
                body.insert(k.clone(), v.clone());
            }
        }
        serde_json::Value::Object(body)
    }
}

impl fmt::Display for DynamoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.message)
    }
}

impl std::error::Error for DynamoError {}

pub type Result<T, E = DynamoError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_follow_dynamodb() {
        assert_eq!(
            ErrorKind::Validation.wire_type(),
            "com.amazon.coral.validate#ValidationException"
        );
        assert_eq!(
            ErrorKind::ResourceNotFound.wire_type(),
            "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
        );
        assert_eq!(
            ErrorKind::Serialization.wire_type(),
            "com.amazon.coral.service#SerializationException"
        );
        assert_eq!(ErrorKind::InternalServerError.http_status(), 500);
        assert_eq!(ErrorKind::ConditionalCheckFailed.http_status(), 400);
    }

    #[test]
    fn body_carries_extra_members() {
        let e = DynamoError::conditional_check_failed()
            .with_extra("Item", serde_json::json!({"pk": {"S": "a"}}));
        let body = e.to_body();
        assert_eq!(body["message"], "The conditional request failed");
        assert_eq!(body["Item"]["pk"]["S"], "a");
    }
}
