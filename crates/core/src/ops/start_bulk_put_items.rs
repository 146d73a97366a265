//! StartBulkPutItems: items from objects in S3 (or the local stand-in for
//! it) put into an existing table in the background (`bulk_operations`).
//! The answer says IN_PROGRESS; DescribeBulkOperation (or the SDKs'
//! `bulk_operation_completed` waiter) tells when it is done.

use crate::bulk_operations::records::BulkInputFormat;
use crate::bulk_operations::report::ReportTarget;
use crate::bulk_operations::{self, BulkOperationMeta, BulkPutJob};
use crate::catalog::IndexStatus;
use crate::imports::Compression;
use crate::table_status::TableStatus;
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{json_integer, wire::parse_input, DynamoError, ErrorKind};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StartBulkPutItemsInput {
    client_token: Option<String>,
    input_s3_configuration: Option<InputS3Configuration>,
    output_s3_configuration: Option<OutputS3Configuration>,
    table_name: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    max_write_request_units: Option<i64>,
    performance_tier: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InputS3Configuration {
    s3_bucket_owner: Option<String>,
    s3_bucket: Option<String>,
    s3_key_prefix: Option<String>,
    input_format: Option<String>,
    input_compression_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct OutputS3Configuration {
    s3_bucket_owner: Option<String>,
    s3_bucket: Option<String>,
    s3_key_prefix: Option<String>,
    s3_sse_algorithm: Option<String>,
    s3_sse_kms_key_id: Option<String>,
    output_type: Option<Vec<String>>,
}

/// The least MaxWriteRequestUnits DynamoDB takes.
const MIN_WRITE_REQUEST_UNITS: i64 = 1024;

/// How long a ClientToken names one operation.
const CLIENT_TOKEN_SECONDS: f64 = 8.0 * 3600.0;

fn check_bucket(v: &mut Violations, bucket: &Option<String>, owner: &Option<String>, path: &str) {
    crate::local_s3::check_bucket(v, bucket, &format!("{path}.s3Bucket"));
    if let Some(owner) = owner {
        if owner.len() != 12 || !owner.bytes().all(|b| b.is_ascii_digit()) {
            v.push(
                format_args!("'{owner}'"),
                &format!("{path}.s3BucketOwner"),
                "Member must satisfy regular expression pattern: [0-9]{12}",
            );
        }
    }
}

fn check(input: &StartBulkPutItemsInput) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    v.client_token(input.client_token.as_deref());
    if v.require(&input.input_s3_configuration, "inputS3Configuration") {
        if let Some(source) = &input.input_s3_configuration {
            let path = "inputS3Configuration";
            check_bucket(&mut v, &source.s3_bucket, &source.s3_bucket_owner, path);
            if let Some(prefix) = &source.s3_key_prefix {
                let member = format!("{path}.s3KeyPrefix");
                v.length_between(format_args!("'{prefix}'"), prefix.len(), &member, 0, 1024);
            }
            if v.require(&source.input_format, &format!("{path}.inputFormat")) {
                v.one_of(
                    source.input_format.as_deref(),
                    &format!("{path}.inputFormat"),
                    &["DYNAMODB_JSON", "ION"],
                );
            }
            v.one_of(
                source.input_compression_type.as_deref(),
                &format!("{path}.inputCompressionType"),
                &["GZIP", "ZSTD", "NONE"],
            );
        }
    }
    if v.require(&input.output_s3_configuration, "outputS3Configuration") {
        if let Some(output) = &input.output_s3_configuration {
            let path = "outputS3Configuration";
            check_bucket(&mut v, &output.s3_bucket, &output.s3_bucket_owner, path);
            if let Some(prefix) = &output.s3_key_prefix {
                let member = format!("{path}.s3KeyPrefix");
                v.length_between(format_args!("'{prefix}'"), prefix.len(), &member, 0, 1024);
            }
            v.one_of(
                output.s3_sse_algorithm.as_deref(),
                &format!("{path}.s3SseAlgorithm"),
                &["AES256", "KMS"],
            );
            if let Some(key) = &output.s3_sse_kms_key_id {
                let member = format!("{path}.s3SseKmsKeyId");
                v.length_between(format_args!("'{key}'"), key.len(), &member, 1, 2048);
            }
            let member = format!("{path}.outputType");
            if v.require(&output.output_type, &member) {
                let types = output.output_type.as_deref().unwrap_or_default();
                v.length_between(format_args!("'{types:?}'"), types.len(), &member, 1, 2);
                for (n, kind) in types.iter().enumerate() {
                    v.one_of(
                        Some(kind),
                        &format!("{member}.{}.member", n + 1),
                        &["ERROR", "CONDITION_CHECK_FAILURE"],
                    );
                }
            }
        }
    }
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    v.at_least(
        input.max_write_request_units,
        "maxWriteRequestUnits",
        MIN_WRITE_REQUEST_UNITS,
    );
    v.one_of(
        input.performance_tier.as_deref(),
        "performanceTier",
        &["STANDARD", "ACCELERATED"],
    );
    v.finish()?;
    if let Some(output) = &input.output_s3_configuration {
        if output.s3_sse_kms_key_id.is_some() && output.s3_sse_algorithm.as_deref() != Some("KMS") {
            return Err(DynamoError::validation(
                "S3SseKmsKeyId can only be specified when S3SseAlgorithm is KMS",
            ));
        }
    }
    Ok(())
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: StartBulkPutItemsInput = parse_input(body)?;
    check(&input)?;
    let table_name =
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?;
    let table = db.catalog().require_in(table_name, &context.region)?;
    let mut request: Option<Value> = serde_json::from_slice(body).ok();
    if let Some(Value::Object(fields)) = &mut request {
        fields.remove("ClientToken");
    }
    let now = crate::now_epoch_seconds();
    let client_token = input
        .client_token
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if input.client_token.is_some() {
        let earlier = db
            .bulk_operations()?
            .into_iter()
            .find(|o| o.client_token == client_token && now - o.start_time < CLIENT_TOKEN_SECONDS);
        if let Some(earlier) = earlier {
            if earlier.request != request {
                return Err(DynamoError::new(
                    ErrorKind::IdempotentParameterMismatch,
                    "The request uses the same client token as a previous, but non-identical request. Do not reuse a client token with different requests, unless the requests are identical.",
                ));
            }
            return respond(&earlier);
        }
    }
    // The table must take writes as they are: not while its items or an
    // index of it are still being made.
    let building = db.catalog().transitions().status(&table) == TableStatus::Creating
        || table.restore.as_ref().is_some_and(|r| r.in_progress)
        || table
            .indexes
            .iter()
            .any(|i| i.status == IndexStatus::Creating);
    if building {
        return Err(DynamoError::new(
            ErrorKind::ResourceInUse,
            format!(
                "Table {} is being created or is creating a secondary index; bulk put items can start once it is ACTIVE",
                table.name
            ),
        ));
    }
    let (Some(source), Some(output)) = (
        input.input_s3_configuration.as_ref(),
        input.output_s3_configuration.as_ref(),
    ) else {
        return Err(DynamoError::internal("S3 configurations checked above"));
    };
    let id = bulk_operations::new_operation_id();
    let op = BulkOperationMeta {
        arn: format!("{}/bulk-operation/{id}", table.arn()),
        id,
        status: bulk_operations::IN_PROGRESS.into(),
        table_name: table.name.clone(),
        table_id: table.uuid.clone(),
        client_token,
        input: request
            .as_ref()
            .and_then(|r| r.get("InputS3Configuration").cloned())
            .unwrap_or_default(),
        output: request
            .as_ref()
            .and_then(|r| r.get("OutputS3Configuration").cloned())
            .unwrap_or_default(),
        start_time: now,
        end_time: None,
        processed_item_count: 0,
        failed_item_count: 0,
        processed_input_bytes: 0,
        total_input_bytes: None,
        table_bytes: 0,
        index_bytes: BTreeMap::new(),
        failure_code: None,
        failure_message: None,
        max_write_request_units: input.max_write_request_units,
        performance_tier: input
            .performance_tier
            .clone()
            .unwrap_or_else(|| "STANDARD".into()),
        request,
    };
    db.save_bulk_operation(&op)?;
    let types = output.output_type.as_deref().unwrap_or_default();
    let job = BulkPutJob {
        bucket: source.s3_bucket.clone().unwrap_or_default(),
        bucket_owner: source.s3_bucket_owner.clone(),
        key_prefix: source.s3_key_prefix.clone().unwrap_or_default(),
        format: match source.input_format.as_deref() {
            Some("ION") => BulkInputFormat::Ion,
            _ => BulkInputFormat::DynamoDbJson,
        },
        compression: source
            .input_compression_type
            .as_deref()
            .and_then(Compression::parse)
            .unwrap_or(Compression::None),
        report: ReportTarget {
            bucket: output.s3_bucket.clone().unwrap_or_default(),
            bucket_owner: output.s3_bucket_owner.clone(),
            prefix: output.s3_key_prefix.clone(),
            sse_algorithm: output.s3_sse_algorithm.clone(),
            sse_kms_key_id: output.s3_sse_kms_key_id.clone(),
            errors: types.iter().any(|t| t == "ERROR"),
            condition_failures: types.iter().any(|t| t == "CONDITION_CHECK_FAILURE"),
        },
    };
    let answer = respond(&op);
    db.start_bulk_put(op, table, job);
    answer
}

fn respond(op: &BulkOperationMeta) -> Result<Vec<u8>, DynamoError> {
    let mut response = Map::new();
    response.insert("BulkOperationDescription".into(), op.description());
    super::respond(response)
}
