//! Kinesis Data Streams destinations: the delivery half (the core keeps
//! each destination's record log, `dynalith_core::kinesis`). Records go
//! to a Kinesis-compatible endpoint (`--kinesis-endpoint`: Kinesis itself,
//! LocalStack, kinesalite) in PutRecords calls signed with SigV4, one task
//! per destination:
//!
//! - ENABLING: DescribeStreamSummary finds the stream (ACTIVE) or not
//!   (ENABLE_FAILED, the reason in DestinationStatusDescription, as when
//!   DynamoDB cannot reach a stream). Without an endpoint there is nowhere
//!   to deliver, and that is the reason given.
//! - ACTIVE: batches of up to 500 records are sent in order and confirmed
//!   (the log's cursor moves, its records go) once Kinesis took them all;
//!   a refused call or any failed record sends the batch again, with
//!   backoff, so delivery is at least once, as DynamoDB's is.

use crate::deliveries::{Deliveries, Kind};
use crate::outgoing;
use crate::sigv4::{self, SigningCredentials};
use base64::Engine as _;
use bytes::Bytes;
use dynalith_core::kinesis::{self, DeliveryTarget, DestinationStatus, KinesisBatch};
use dynalith_core::Database;
use dynalith_model::DynamoError;
use http_body_util::Full;
use hyper::Uri;
use serde_json::{json, Value};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;

/// Where destinations' records go.
#[derive(Clone)]
pub struct KinesisEndpoint {
    pub url: Uri,
    pub credentials: SigningCredentials,
    /// For an https:// endpoint.
    pub tls: Option<TlsConnector>,
}

impl KinesisEndpoint {
    /// Checks an `http[s]://host[:port]` URL.
    pub fn parse_url(text: &str) -> Result<Uri, String> {
        outgoing::parse_url(text, "Kinesis endpoint")
    }
}

/// How often the destinations are looked at, and an idle one's log.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(30);
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Failed attempts to reach the endpoint before enabling fails.
const ENABLE_ATTEMPTS: u32 = 5;
/// PutRecords takes at most 500 records and 5 MiB; records' data is kept
/// under 4 MiB so that keys and framing fit.
const MAX_RECORDS: usize = 500;
const MAX_DATA_BYTES: usize = 4 << 20;

/// Starts delivering, in `tasks`: dropping or aborting them stops every
/// delivery. `endpoint` None makes every destination enabled from now on
/// fail, saying why.
pub fn spawn(
    tasks: &mut JoinSet<()>,
    database: Arc<Database>,
    endpoint: Option<KinesisEndpoint>,
    deliveries: Arc<Deliveries>,
) {
    tasks.spawn(supervise(database, endpoint.map(Arc::new), deliveries));
}

/// Starts a task for each destination that needs one; they stop with it.
async fn supervise(
    database: Arc<Database>,
    endpoint: Option<Arc<KinesisEndpoint>>,
    deliveries: Arc<Deliveries>,
) {
    let mut running: HashSet<u32> = HashSet::new();
    let mut deliveries_running = JoinSet::new();
    loop {
        while let Some(finished) = deliveries_running.try_join_next() {
            if let Ok(log) = finished {
                running.remove(&log);
            }
        }
        for target in database.kinesis_delivery_targets() {
            if running.insert(target.log) {
                let task = deliver(
                    database.clone(),
                    endpoint.clone(),
                    target.log,
                    deliveries.clone(),
                );
                deliveries_running.spawn(async move {
                    task.await;
                    target.log
                });
            }
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// The destination recording into `log`, while it still does.
fn current(database: &Database, log: u32) -> Option<DeliveryTarget> {
    database
        .kinesis_delivery_targets()
        .into_iter()
        .find(|t| t.log == log)
}

/// Delivers one destination's records until it stops recording.
async fn deliver(
    database: Arc<Database>,
    endpoint: Option<Arc<KinesisEndpoint>>,
    log: u32,
    deliveries: Arc<Deliveries>,
) {
    let mut retry = FIRST_RETRY;
    let mut failed_attempts = 0;
    let mut warned_without_endpoint = false;
    // A refused batch is sent again as it was, even if more records have
    // arrived since, so that Kinesis gets them in order.
    let mut refused: Option<KinesisBatch> = None;
    while let Some(target) = current(&database, log) {
        if target.status == DestinationStatus::Enabling {
            let failure = match endpoint.as_deref() {
                None => Some(
                    "dynalith has no Kinesis endpoint to deliver to: start it with \
                     --kinesis-endpoint URL"
                        .to_string(),
                ),
                Some(endpoint) => match find_stream(endpoint, &target.stream_arn).await {
                    Ok(()) => None,
                    Err(StreamProblem::Missing(why)) => Some(why),
                    Err(StreamProblem::Unreachable(why)) => {
                        failed_attempts += 1;
                        if failed_attempts < ENABLE_ATTEMPTS {
                            tracing::warn!(stream = %target.stream_arn, %why, "Kinesis endpoint not answering; retrying");
                            tokio::time::sleep(retry).await;
                            retry = (retry * 2).min(LAST_RETRY);
                            continue;
                        }
                        Some(format!("Kinesis endpoint not reachable: {why}"))
                    }
                },
            };
            retry = FIRST_RETRY;
            let (table, outcome) = (target.table.clone(), failure.clone());
            let settled = crate::database_calls::run(&database, move |database| {
                database.settle_kinesis_destination(&table, log, outcome)
            })
            .await
            .unwrap_or_else(|| Err(DynamoError::internal("panicked")));
            match settled {
                Ok(()) => match failure {
                    None => {
                        tracing::info!(table = %target.table, stream = %target.stream_arn, "Kinesis destination active")
                    }
                    Some(why) => {
                        tracing::warn!(table = %target.table, stream = %target.stream_arn, %why, "Kinesis destination failed to enable")
                    }
                },
                Err(e) => {
                    tracing::error!(message = %e.message, "cannot record a Kinesis destination's status");
                    tokio::time::sleep(LAST_RETRY).await;
                }
            }
            continue;
        }
        let Some(endpoint) = endpoint.as_deref() else {
            // ACTIVE before a restart without the endpoint: records are
            // kept (for the retention period) until it is given again.
            if !warned_without_endpoint {
                tracing::warn!(table = %target.table, stream = %target.stream_arn, "Kinesis destination is active but no --kinesis-endpoint is set; its records wait");
                warned_without_endpoint = true;
            }
            tokio::time::sleep(LAST_RETRY).await;
            continue;
        };
        let batch = match refused.take() {
            Some(batch) => batch,
            None => {
                let reader = target.clone();
                let next = crate::database_calls::run(&database, move |database| {
                    database.next_kinesis_batch(&reader, MAX_RECORDS, MAX_DATA_BYTES)
                })
                .await
                .unwrap_or_else(|| Err(DynamoError::internal("panicked")));
                match next {
                    Ok(Some(batch)) => batch,
                    Ok(None) => {
                        tokio::time::sleep(POLL_INTERVAL).await;
                        continue;
                    }
                    Err(e) => {
                        tracing::error!(message = %e.message, "Kinesis destination cannot read its records");
                        tokio::time::sleep(LAST_RETRY).await;
                        continue;
                    }
                }
            }
        };
        // Only durable changes leave the server: Kinesis must never hold a
        // change that a crash could take back.
        if let Some(durable) = database.engine().pending_durability() {
            if let Err(e) = durable.wait().await {
                tracing::error!(%e, "Kinesis destination: waiting for durability failed");
                refused = Some(batch);
                tokio::time::sleep(retry).await;
                continue;
            }
        }
        match put_records(endpoint, &target.stream_arn, &batch).await {
            Ok(()) => {
                retry = FIRST_RETRY;
                let records = batch.records.len();
                deliveries.delivered(Kind::Kinesis, &target.table, &target.stream_arn, records);
                let confirmed = crate::database_calls::run(&database, move |database| {
                    database.confirm_kinesis_batch(&batch)
                })
                .await
                .unwrap_or_else(|| Err(DynamoError::internal("panicked")));
                if let Err(e) = confirmed {
                    tracing::error!(message = %e.message, "Kinesis destination cannot store its position");
                }
                tracing::debug!(stream = %target.stream_arn, records, "sent to Kinesis");
            }
            Err(why) => {
                tracing::warn!(stream = %target.stream_arn, %why, "PutRecords failed; retrying");
                deliveries.failed(Kind::Kinesis, &target.table, &target.stream_arn);
                refused = Some(batch);
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(LAST_RETRY);
            }
        }
    }
}

enum StreamProblem {
    /// The endpoint answered that there is no such stream.
    Missing(String),
    /// No answer, or one that says nothing about the stream.
    Unreachable(String),
}

/// Whether the endpoint has the stream `stream_arn` names.
async fn find_stream(endpoint: &KinesisEndpoint, stream_arn: &str) -> Result<(), StreamProblem> {
    let (_, name) = kinesis::parse_stream_arn(stream_arn)
        .ok_or_else(|| StreamProblem::Missing(format!("{stream_arn} is not a stream ARN")))?;
    let body = json!({ "StreamName": name });
    let answer = call(endpoint, stream_arn, "DescribeStreamSummary", &body)
        .await
        .map_err(StreamProblem::Unreachable)?;
    if answer.status.is_success() {
        return Ok(());
    }
    let error: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    let kind = error["__type"].as_str().unwrap_or_default();
    if kind.ends_with("ResourceNotFoundException") {
        return Err(StreamProblem::Missing(format!(
            "Kinesis stream {stream_arn} not found"
        )));
    }
    Err(StreamProblem::Unreachable(format!(
        "DescribeStreamSummary answered {}: {}",
        answer.status,
        answer.body_start()
    )))
}

/// One PutRecords call with the batch; Ok only if every record was taken.
async fn put_records(
    endpoint: &KinesisEndpoint,
    stream_arn: &str,
    batch: &KinesisBatch,
) -> Result<(), String> {
    let (_, name) = kinesis::parse_stream_arn(stream_arn).ok_or("not a stream ARN")?;
    let base64 = base64::engine::general_purpose::STANDARD;
    let records: Vec<Value> = batch
        .records
        .iter()
        .map(|r| json!({"Data": base64.encode(&r.data), "PartitionKey": r.partition_key}))
        .collect();
    let body = json!({ "StreamName": name, "Records": records });
    let answer = call(endpoint, stream_arn, "PutRecords", &body).await?;
    if !answer.status.is_success() {
        return Err(format!(
            "answered {}: {}",
            answer.status,
            answer.body_start()
        ));
    }
    let result: Value =
        serde_json::from_slice(&answer.body).map_err(|e| format!("unreadable answer: {e}"))?;
    match result["FailedRecordCount"].as_u64() {
        Some(0) => Ok(()),
        Some(failed) => {
            let first = result["Records"]
                .as_array()
                .and_then(|r| r.iter().find(|r| r.get("ErrorCode").is_some()))
                .cloned()
                .unwrap_or_default();
            Err(format!(
                "{failed} of {} records refused, e.g. {} {}",
                batch.records.len(),
                first["ErrorCode"].as_str().unwrap_or_default(),
                first["ErrorMessage"].as_str().unwrap_or_default()
            ))
        }
        None => Err(format!("unexpected answer: {}", answer.body_start())),
    }
}

/// A signed Kinesis JSON call, in the stream's Region.
async fn call(
    endpoint: &KinesisEndpoint,
    stream_arn: &str,
    operation: &str,
    body: &Value,
) -> Result<outgoing::Answer, String> {
    let (region, _) = kinesis::parse_stream_arn(stream_arn).ok_or("not a stream ARN")?;
    let body = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let authority = endpoint
        .url
        .authority()
        .map(|a| a.to_string())
        .ok_or("no host")?;
    let request = hyper::Request::post(endpoint.url.path_and_query().map_or("/", |p| p.as_str()))
        .header(hyper::header::HOST, authority)
        .header(hyper::header::CONTENT_TYPE, "application/x-amz-json-1.1")
        .header("x-amz-target", format!("Kinesis_20131202.{operation}"))
        .body(())
        .map_err(|e| e.to_string())?;
    let (mut parts, ()) = request.into_parts();
    sigv4::sign(
        &mut parts,
        &body,
        &endpoint.credentials,
        region,
        "kinesis",
        SystemTime::now(),
    )?;
    let request = hyper::Request::from_parts(parts, Full::new(Bytes::from(body)));
    outgoing::send(&endpoint.url, endpoint.tls.as_ref(), request, CALL_TIMEOUT).await
}
