//! Lambda-style triggers: the delivery half (the core hands out batches,
//! `dynalith_core::streams::triggers`). Each trigger is a task that sends
//! its table's stream records, as Lambda's DynamoDB event, in an HTTP POST
//! to a URL: a small HTTP server around a Lambda handler, the Invoke
//! API of a local Lambda runtime (`.../2015-03-31/functions/<name>/invocations`
//! of `sam local start-lambda` or LocalStack), which takes the event as
//! its body, or over HTTPS a Lambda function URL (auth type NONE) or any
//! webhook, its certificate verified (`tls::connector`). A 2xx answer without `X-Amz-Function-Error` confirms the
//! batch; anything else is retried, with backoff, until it succeeds, so
//! records arrive in order and at least once, as from Lambda's event source
//! mappings.

use crate::deliveries::{Deliveries, Kind};
use crate::{database_calls, outgoing};
use bytes::Bytes;
use dynalith_core::streams::triggers::TriggerBatch;
use dynalith_core::Database;
use dynalith_model::DynamoError;
use http_body_util::Full;
use hyper::Uri;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;

/// One trigger: a table's stream records go to `url`.
#[derive(Clone, Debug)]
pub struct Trigger {
    pub table: String,
    pub url: Uri,
    /// Records per event at most (Lambda's BatchSize).
    pub batch_size: usize,
}

impl Trigger {
    /// Parses `TABLE=URL`, an `http://` or `https://` URL.
    pub fn parse(text: &str, batch_size: usize) -> Result<Trigger, String> {
        let (table, url) = text
            .split_once('=')
            .ok_or_else(|| format!("expected TABLE=URL, got {text:?}"))?;
        let url = outgoing::parse_url(url, "trigger URL")?;
        if table.is_empty() {
            return Err(format!("no table name in {text:?}"));
        }
        Ok(Trigger {
            table: table.to_string(),
            url,
            batch_size,
        })
    }

    pub fn is_https(&self) -> bool {
        self.url.scheme_str() == Some("https")
    }
}

/// How often a trigger with nothing to deliver looks again.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LAST_RETRY: Duration = Duration::from_secs(30);
/// How long one delivery may take (a handler's run included).
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(60);

/// Starts every trigger, in `tasks` (dropping them stops it); `tls` connects to the
/// https:// ones; `deliveries` counts what they deliver.
pub fn spawn(
    tasks: &mut JoinSet<()>,
    database: Arc<Database>,
    triggers: Vec<Trigger>,
    tls: Option<TlsConnector>,
    deliveries: Arc<Deliveries>,
) {
    for trigger in triggers {
        tasks.spawn(run(
            database.clone(),
            trigger,
            tls.clone(),
            deliveries.clone(),
        ));
    }
}

async fn run(
    database: Arc<Database>,
    trigger: Trigger,
    tls: Option<TlsConnector>,
    deliveries: Arc<Deliveries>,
) {
    let target = trigger.url.to_string();
    let mut retry = FIRST_RETRY;
    // A refused batch is offered again as it was, as Lambda retries a
    // batch, even if more records have arrived since.
    let mut refused: Option<TriggerBatch> = None;
    loop {
        let batch = match refused.take() {
            Some(batch) => batch,
            None => match next_batch(&database, &trigger, &target).await {
                Ok(Some(batch)) => batch,
                Ok(None) => {
                    tokio::time::sleep(POLL_INTERVAL).await;
                    continue;
                }
                Err(e) => {
                    tracing::error!(table = %trigger.table, message = %e.message, "trigger cannot read its stream");
                    tokio::time::sleep(LAST_RETRY).await;
                    continue;
                }
            },
        };
        // Records are delivered only once they are durable: a handler must
        // never see a change that a crash could take back.
        if let Some(durable) = database.engine().pending_durability() {
            if let Err(e) = durable.wait().await {
                tracing::error!(%e, "trigger: waiting for durability failed");
                refused = Some(batch);
                tokio::time::sleep(retry).await;
                continue;
            }
        }
        match deliver(&trigger.url, tls.as_ref(), batch.event.clone()).await {
            Ok(()) => {
                retry = FIRST_RETRY;
                let (reader, records) = (target.clone(), batch.records);
                deliveries.delivered(Kind::Trigger, &trigger.table, &target, records);
                let confirmed = database_calls::run(&database, move |database| {
                    database.confirm_trigger_batch(&reader, &batch)
                });
                let confirmed = confirmed
                    .await
                    .unwrap_or_else(|| Err(DynamoError::internal("panicked")));
                if let Err(e) = confirmed {
                    tracing::error!(message = %e.message, "trigger: cannot store its position");
                }
                tracing::debug!(table = %trigger.table, records, "trigger delivered");
            }
            Err(why) => {
                tracing::warn!(table = %trigger.table, url = %target, %why, "trigger delivery failed; retrying");
                deliveries.failed(Kind::Trigger, &trigger.table, &target);
                refused = Some(batch);
                tokio::time::sleep(retry).await;
                retry = (retry * 2).min(LAST_RETRY);
            }
        }
    }
}

/// The records after the trigger's position, if any.
async fn next_batch(
    database: &Arc<Database>,
    trigger: &Trigger,
    target: &str,
) -> Result<Option<TriggerBatch>, DynamoError> {
    let (table, reader, batch_size) = (
        trigger.table.clone(),
        target.to_string(),
        trigger.batch_size,
    );
    database_calls::run(database, move |database| {
        database.next_trigger_batch(&table, &reader, batch_size)
    })
    .await
    .unwrap_or_else(|| Err(DynamoError::internal("panicked")))
}

/// POSTs one event; Ok when the receiver took it.
async fn deliver(url: &Uri, tls: Option<&TlsConnector>, event: Vec<u8>) -> Result<(), String> {
    let request = hyper::Request::post(url.path_and_query().map_or("/", |p| p.as_str()))
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(event)))
        .map_err(|e| e.to_string())?;
    let answer = outgoing::send(url, tls, request, DELIVERY_TIMEOUT).await?;
    let function_error = answer.headers.contains_key("x-amz-function-error");
    if answer.status.is_success() && !function_error {
        Ok(())
    } else {
        Err(format!(
            "answered {}: {}",
            answer.status,
            answer.body_start()
        ))
    }
}
