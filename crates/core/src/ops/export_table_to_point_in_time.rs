//! ExportTableToPointInTime: starts writing a table's items, as they were
//! at a moment since point-in-time recovery was enabled, to the local
//! stand-in for S3 (`exports`).

use crate::exports::{self, item_lines::Format, ExportMeta, IncrementalExport};
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError, ErrorKind};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct ExportTableToPointInTimeInput {
    table_arn: Option<String>,
    export_time: Option<f64>,
    client_token: Option<String>,
    s3_bucket: Option<String>,
    s3_bucket_owner: Option<String>,
    s3_prefix: Option<String>,
    s3_sse_algorithm: Option<String>,
    s3_sse_kms_key_id: Option<String>,
    export_format: Option<String>,
    export_type: Option<String>,
    incremental_export_specification: Option<IncrementalExportSpecificationInput>,
}

#[derive(Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
struct IncrementalExportSpecificationInput {
    export_from_time: Option<f64>,
    export_to_time: Option<f64>,
    export_view_type: Option<String>,
}

/// An incremental export covers at least this and at most a day, as in
/// DynamoDB.
const MIN_WINDOW_SECONDS: f64 = 15.0 * 60.0;
const MAX_WINDOW_SECONDS: f64 = 24.0 * 3600.0;

fn check(input: &ExportTableToPointInTimeInput) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    if v.require(&input.table_arn, "tableArn") {
        let arn = input.table_arn.as_deref().unwrap_or_default();
        v.length_between(format_args!("'{arn}'"), arn.len(), "tableArn", 1, 1024);
    }
    v.client_token(input.client_token.as_deref());
    crate::local_s3::check_bucket(&mut v, &input.s3_bucket, "s3Bucket");
    if let Some(owner) = &input.s3_bucket_owner {
        if owner.len() != 12 || !owner.bytes().all(|b| b.is_ascii_digit()) {
            v.push(
                format_args!("'{owner}'"),
                "s3BucketOwner",
                "Member must satisfy regular expression pattern: [0-9]{12}",
            );
        }
    }
    if let Some(prefix) = &input.s3_prefix {
        v.length_between(
            format_args!("'{prefix}'"),
            prefix.len(),
            "s3Prefix",
            0,
            1024,
        );
    }
    v.one_of(
        input.s3_sse_algorithm.as_deref(),
        "s3SseAlgorithm",
        &["AES256", "KMS"],
    );
    if let Some(key) = &input.s3_sse_kms_key_id {
        v.length_between(format_args!("'{key}'"), key.len(), "s3SseKmsKeyId", 1, 2048);
    }
    v.one_of(
        input.export_format.as_deref(),
        "exportFormat",
        &["DYNAMODB_JSON", "ION"],
    );
    v.one_of(
        input.export_type.as_deref(),
        "exportType",
        &["FULL_EXPORT", "INCREMENTAL_EXPORT"],
    );
    if let Some(spec) = &input.incremental_export_specification {
        v.one_of(
            spec.export_view_type.as_deref(),
            "incrementalExportSpecification.exportViewType",
            &["NEW_IMAGE", "NEW_AND_OLD_IMAGES"],
        );
    }
    v.finish()?;
    // A key is for KMS encryption only (AES256 is the default).
    if input.s3_sse_kms_key_id.is_some() && input.s3_sse_algorithm.as_deref() != Some("KMS") {
        return Err(DynamoError::validation(
            "Invalid Request: KMS Key Id is not supported for this encryption type",
        ));
    }
    let incremental = input.export_type.as_deref() == Some("INCREMENTAL_EXPORT");
    if incremental && input.export_time.is_some() {
        return Err(DynamoError::validation(
            "ExportTime cannot be specified for an incremental export; use IncrementalExportSpecification",
        ));
    }
    if incremental && input.incremental_export_specification.is_none() {
        return Err(DynamoError::validation(
            "IncrementalExportSpecification is required when ExportType is INCREMENTAL_EXPORT",
        ));
    }
    if !incremental && input.incremental_export_specification.is_some() {
        return Err(DynamoError::validation(
            "IncrementalExportSpecification is only valid with ExportType INCREMENTAL_EXPORT",
        ));
    }
    Ok(())
}

/// The window of an incremental export: from its start, which recovery
/// must cover, to its end (now when not given), 15 minutes to 24 hours.
fn incremental_window(
    spec: &IncrementalExportSpecificationInput,
    earliest: f64,
    now: f64,
) -> Result<IncrementalExport, DynamoError> {
    let Some(from) = spec.export_from_time.map(crate::to_the_millisecond) else {
        return Err(DynamoError::validation(
            "Invalid Request: ExportFromTime must be provided in IncrementalExportSpecification",
        ));
    };
    let to = spec.export_to_time.map_or(now, crate::to_the_millisecond);
    if from < earliest || to > now || from >= to {
        return Err(DynamoError::new(
            ErrorKind::InvalidExportTime,
            format!(
                "ExportFromTime and ExportToTime must be between {earliest} and {now}, ExportFromTime first"
            ),
        ));
    }
    if !(MIN_WINDOW_SECONDS..=MAX_WINDOW_SECONDS).contains(&(to - from)) {
        return Err(DynamoError::validation(
            "The incremental export period between ExportFromTime and ExportToTime must be at least 15 minutes and at most 24 hours",
        ));
    }
    Ok(IncrementalExport {
        from,
        to,
        view_type: spec
            .export_view_type
            .clone()
            .unwrap_or_else(|| "NEW_AND_OLD_IMAGES".into()),
    })
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: ExportTableToPointInTimeInput = parse_input(body)?;
    check(&input)?;
    let arn = input.table_arn.clone().unwrap_or_default();
    let _changes = db.catalog().lock_changes();
    let table = db.catalog().get_by_arn(&arn).ok_or_else(|| {
        DynamoError::new(ErrorKind::TableNotFound, format!("Table not found: {arn}"))
    })?;
    let Some(recovery) = table.point_in_time_recovery.clone() else {
        return Err(DynamoError::new(
            ErrorKind::PointInTimeRecoveryUnavailable,
            format!(
                "Point in time recovery is not enabled for table '{}'",
                table.name
            ),
        ));
    };
    let client_token = input
        .client_token
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // A token names one request: the same parameters again get the same
    // export, other parameters a conflict.
    if input.client_token.is_some() {
        if let Some(earlier) = db
            .exports()?
            .into_iter()
            .find(|e| e.client_token == client_token)
        {
            if earlier.request != serde_json::from_slice::<serde_json::Value>(body).ok() {
                return Err(DynamoError::new(
                    ErrorKind::ExportConflict,
                    "There was a conflict when writing to the specified S3 bucket: an export with the same client token and different parameters exists",
                ));
            }
            return respond(&earlier);
        }
    }
    let now = crate::now_epoch_seconds();
    // Kept to the millisecond, as the recovery history is
    // (`to_the_millisecond`).
    let incremental = input
        .incremental_export_specification
        .as_ref()
        .map(|spec| incremental_window(spec, recovery.earliest, now))
        .transpose()?;
    let at = match &incremental {
        Some(window) => window.to,
        None => crate::to_the_millisecond(input.export_time.unwrap_or(now)),
    };
    if at < recovery.earliest || at > now {
        return Err(DynamoError::new(
            ErrorKind::InvalidExportTime,
            format!("ExportTime must be between {} and {now}", recovery.earliest),
        ));
    }
    let id = exports::new_job_id(now);
    // An export of a replica (its ARN names its Region) is that replica's.
    let region = arn.split(':').nth(3).unwrap_or_default();
    let source = table.as_replica_in(region);
    let export = ExportMeta {
        arn: format!("{}/export/{id}", source.arn()),
        id,
        status: exports::IN_PROGRESS.into(),
        table_name: table.name.clone(),
        table_storage_id: table.id,
        table_arn: source.arn(),
        table_id: source.uuid.clone(),
        start_time: now,
        end_time: None,
        export_time: at,
        client_token,
        s3_bucket: input.s3_bucket.clone().unwrap_or_default(),
        s3_bucket_owner: input.s3_bucket_owner.clone(),
        s3_prefix: input.s3_prefix.clone(),
        s3_sse_algorithm: input.s3_sse_algorithm.clone(),
        s3_sse_kms_key_id: input.s3_sse_kms_key_id.clone(),
        export_format: input
            .export_format
            .clone()
            .filter(|f| Format::parse(f).is_some())
            .unwrap_or_else(|| "DYNAMODB_JSON".into()),
        export_type: input
            .export_type
            .clone()
            .unwrap_or_else(|| "FULL_EXPORT".into()),
        incremental,
        manifest: None,
        billed_size_bytes: None,
        item_count: None,
        failure_code: None,
        failure_message: None,
        request: serde_json::from_slice(body).ok(),
    };
    db.save_export(&export)?;
    db.start_export(export.clone(), table);
    respond(&export)
}

fn respond(export: &ExportMeta) -> Result<Vec<u8>, DynamoError> {
    let mut response = Map::new();
    response.insert("ExportDescription".into(), export.description());
    super::respond(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(from: f64, to: Option<f64>) -> Result<IncrementalExport, DynamoError> {
        let spec = IncrementalExportSpecificationInput {
            export_from_time: Some(from),
            export_to_time: to,
            export_view_type: None,
        };
        incremental_window(&spec, 1_000.0, 100_000.0)
    }

    #[test]
    fn an_incremental_window_is_recoverable_and_15_minutes_to_a_day_long() {
        let ok = window(2_000.0, Some(2_900.0)).unwrap();
        assert_eq!(
            (ok.from, ok.to, ok.view_type.as_str()),
            (2_000.0, 2_900.0, "NEW_AND_OLD_IMAGES")
        );
        assert_eq!(window(99_000.0, None).unwrap().to, 100_000.0);
        for (from, to, kind) in [
            (2_000.0, 2_899.0, ErrorKind::Validation),
            (2_000.0, 2_000.0 + 86_401.0, ErrorKind::Validation),
            (999.0, 2_000.0, ErrorKind::InvalidExportTime),
            (2_000.0, 100_001.0, ErrorKind::InvalidExportTime),
            (5_000.0, 4_000.0, ErrorKind::InvalidExportTime),
        ] {
            assert_eq!(
                window(from, Some(to)).unwrap_err().kind,
                kind,
                "{from}..{to}"
            );
        }
    }
}
