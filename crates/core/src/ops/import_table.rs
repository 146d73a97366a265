//! ImportTable: a new table filled from objects in the local stand-in for
//! S3 (`imports`). As in DynamoDB, the answer says IN_PROGRESS and the
//! table CREATING; DescribeImport (or the SDKs' `import_completed` waiter)
//! tells when it is done, and the table is then ACTIVE.

use super::create_table::{self, CreateTableInput};
use crate::imports::item_sources::InputFormat;
use crate::imports::{self, Compression, ImportMeta, Source};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{wire::parse_input, DynamoError, ErrorKind};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportTableInput {
    client_token: Option<String>,
    s3_bucket_source: Option<S3BucketSourceInput>,
    input_format: Option<String>,
    input_format_options: Option<InputFormatOptionsInput>,
    input_compression_type: Option<String>,
    table_creation_parameters: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct S3BucketSourceInput {
    s3_bucket_owner: Option<String>,
    s3_bucket: Option<String>,
    s3_key_prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InputFormatOptionsInput {
    csv: Option<CsvOptionsInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CsvOptionsInput {
    delimiter: Option<String>,
    header_list: Option<Vec<String>>,
}

/// The delimiters DynamoDB takes: comma, tab, colon, semicolon, pipe, space.
const DELIMITERS: &str = ",\t:;| ";

fn check(input: &ImportTableInput) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    v.client_token(input.client_token.as_deref());
    if v.require(&input.s3_bucket_source, "s3BucketSource") {
        if let Some(source) = &input.s3_bucket_source {
            crate::local_s3::check_bucket(&mut v, &source.s3_bucket, "s3BucketSource.s3Bucket");
            if let Some(prefix) = &source.s3_key_prefix {
                v.length_between(
                    format_args!("'{prefix}'"),
                    prefix.len(),
                    "s3BucketSource.s3KeyPrefix",
                    0,
                    1024,
                );
            }
        }
    }
    if v.require(&input.input_format, "inputFormat") {
        v.one_of(
            input.input_format.as_deref(),
            "inputFormat",
            &["DYNAMODB_JSON", "ION", "CSV"],
        );
    }
    v.one_of(
        input.input_compression_type.as_deref(),
        "inputCompressionType",
        &["GZIP", "ZSTD", "NONE"],
    );
    if let Some(csv) = input
        .input_format_options
        .as_ref()
        .and_then(|o| o.csv.as_ref())
    {
        if let Some(delimiter) = &csv.delimiter {
            if delimiter.chars().count() != 1 || !DELIMITERS.contains(delimiter.as_str()) {
                v.push(
                    format_args!("'{delimiter}'"),
                    "inputFormatOptions.csv.delimiter",
                    "Member must satisfy regular expression pattern: [,;:|\\t ]",
                );
            }
        }
        if let Some(header) = &csv.header_list {
            v.length_between(
                format_args!("'{header:?}'"),
                header.len(),
                "inputFormatOptions.csv.headerList",
                1,
                255,
            );
        }
    }
    v.require(&input.table_creation_parameters, "tableCreationParameters");
    v.finish()?;
    // Only CSV takes options.
    match input.input_format.as_deref() {
        Some(format @ ("DYNAMODB_JSON" | "ION")) if input.input_format_options.is_some() => {
            Err(DynamoError::validation(format!(
                "Invalid Request: Unsupported InputFormatOptions for the given input format: {format}."
            )))
        }
        _ => Ok(()),
    }
}

fn input_format(input: &ImportTableInput) -> InputFormat {
    match input.input_format.as_deref() {
        Some("ION") => InputFormat::Ion,
        Some("CSV") => {
            let csv = input
                .input_format_options
                .as_ref()
                .and_then(|o| o.csv.as_ref());
            InputFormat::Csv {
                delimiter: csv
                    .and_then(|c| c.delimiter.as_deref())
                    .and_then(|d| d.bytes().next())
                    .unwrap_or(b','),
                header: csv.and_then(|c| c.header_list.clone()),
            }
        }
        _ => InputFormat::DynamoDbJson,
    }
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: ImportTableInput = parse_input(body)?;
    check(&input)?;
    let request: Option<Value> = serde_json::from_slice(body).ok();
    let client_token = input
        .client_token
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if input.client_token.is_some() {
        if let Some(earlier) = db
            .imports()?
            .into_iter()
            .find(|i| i.client_token == client_token)
        {
            if earlier.request != request {
                return Err(DynamoError::new(
                    ErrorKind::ImportConflict,
                    "An import with the same client token and different parameters exists",
                ));
            }
            return respond(&earlier);
        }
    }
    let parameters = input.table_creation_parameters.clone().unwrap_or_default();
    let creation: CreateTableInput = serde_json::from_value(parameters.clone())
        .map_err(|e| DynamoError::serialization(e.to_string()))?;
    let table = Arc::new(create_table::create(db, creation, context, true)?);
    let now = crate::now_epoch_seconds();
    let id = crate::exports::new_job_id(now);
    let source = input.s3_bucket_source.as_ref();
    let mut bucket_source = Map::new();
    let bucket_owner = source.and_then(|s| s.s3_bucket_owner.clone());
    if let Some(owner) = &bucket_owner {
        bucket_source.insert("S3BucketOwner".into(), owner.clone().into());
    }
    let bucket = source.and_then(|s| s.s3_bucket.clone()).unwrap_or_default();
    bucket_source.insert("S3Bucket".into(), bucket.clone().into());
    let key_prefix = source.and_then(|s| s.s3_key_prefix.clone());
    if let Some(prefix) = &key_prefix {
        bucket_source.insert("S3KeyPrefix".into(), prefix.clone().into());
    }
    let compression = input
        .input_compression_type
        .clone()
        .unwrap_or_else(|| "NONE".into());
    let import = ImportMeta {
        arn: format!("{}/import/{id}", table.arn()),
        id,
        status: imports::IN_PROGRESS.into(),
        table_arn: table.arn(),
        table_id: table.uuid.clone(),
        client_token,
        s3_bucket_source: Value::Object(bucket_source),
        input_format: input.input_format.clone().unwrap_or_default(),
        input_format_options: request
            .as_ref()
            .and_then(|r| r.get("InputFormatOptions").cloned()),
        input_compression_type: compression.clone(),
        table_creation_parameters: parameters,
        start_time: now,
        end_time: None,
        processed_size_bytes: 0,
        processed_item_count: 0,
        imported_item_count: 0,
        error_count: 0,
        failure_code: None,
        failure_message: None,
        request,
    };
    db.save_import(&import)?;
    let source = Source {
        bucket,
        bucket_owner,
        key_prefix: key_prefix.unwrap_or_default(),
        format: input_format(&input),
        compression: Compression::parse(&compression).unwrap_or(Compression::None),
    };
    let answer = respond(&import);
    db.start_import(import, table, source);
    answer
}

fn respond(import: &ImportMeta) -> Result<Vec<u8>, DynamoError> {
    let mut response = Map::new();
    response.insert("ImportTableDescription".into(), import.description());
    super::respond(response)
}
