//! One request: route, read, authenticate, dispatch, respond.

use crate::body::{self, BodyError};
use crate::compression;
use crate::cors::{self, Cors};
use crate::database_calls;
use crate::response::{self, HttpResponse};
use crate::Service;
use dynalith_core::{Database, Operation, RequestContext};
use dynalith_model::{DynamoError, ErrorKind};
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use std::sync::Arc;

pub async fn handle(
    service: &Service,
    request: Request<Incoming>,
    local: Option<std::net::SocketAddr>,
) -> HttpResponse {
    let cors = Cors::of(request.headers(), request.method() == Method::OPTIONS);
    let mut response = respond(service, request, local).await;
    if let Some(cors) = cors {
        cors.apply(&mut response);
    }
    response
}

async fn respond(
    service: &Service,
    request: Request<Incoming>,
    local: Option<std::net::SocketAddr>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let request_id = response::request_id();
    match request.method() {
        &Method::POST => {}
        &Method::GET if request.uri().path() == "/metrics" => {
            return metrics(service, &request_id).await
        }
        &Method::GET | &Method::HEAD => return health(&request_id),
        &Method::OPTIONS => return cors::preflight_response(&request_id),
        _ => {
            let error = DynamoError::new(ErrorKind::UnknownOperation, "");
            return response::error(&error, &request_id);
        }
    }
    let (parts, incoming) = request.into_parts();
    // DynamoDB reads the last Accept-Encoding header when there are several.
    let encoding = parts
        .headers
        .get_all(hyper::header::ACCEPT_ENCODING)
        .iter()
        .next_back()
        .and_then(|value| value.to_str().ok())
        .and_then(compression::negotiate);
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .and_then(Operation::from_target);
    let body = match body::read(&parts.headers, incoming, service.idle_connection_timeout).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            let mut r = response::with_body(
                StatusCode::PAYLOAD_TOO_LARGE,
                br#"{"__type":"com.amazon.coral.service#RequestEntityTooLargeException","message":"Request entity too large"}"#.to_vec(),
                &request_id,
                "application/x-amz-json-1.0",
            );
            r.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
            return r;
        }
        Err(BodyError::BadEncoding(e)) => {
            return response::error(
                &DynamoError::serialization(format!("Could not decode the gzip body: {e}")),
                &request_id,
            )
        }
        Err(BodyError::Unreadable(e)) => {
            tracing::debug!(%e, "request body could not be read");
            let mut r = response::error(
                &DynamoError::serialization("The request body could not be read"),
                &request_id,
            );
            // What is left of the body is not worth waiting for.
            r.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
            return r;
        }
    };
    let Some(operation) = operation else {
        let error = DynamoError::new(ErrorKind::UnknownOperation, "");
        return response::error(&error, &request_id);
    };
    let Some(database) = service.database.load_full() else {
        return response::unavailable(&request_id);
    };
    if let Some(following) = &service.following {
        if following.passes_on(operation, &body.decoded) {
            return following
                .forward(&database, operation, &parts, body.raw, &request_id)
                .await;
        }
    }
    let caller = match service.authenticator.authenticate(&parts, &body.raw) {
        Ok(caller) => caller,
        Err(e) => return response::error(&e, &request_id),
    };
    // Only DescribeEndpoints answers with it; other requests do not pay
    // for the copy.
    let host = (operation == Operation::DescribeEndpoints)
        .then(|| {
            parts
                .headers
                .get(hyper::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
                .or_else(|| parts.uri.authority().map(|a| a.to_string()))
                .or_else(|| local.map(|a| a.to_string()))
        })
        .flatten();
    let context = RequestContext {
        region: caller.region,
        host,
    };
    // With the embedded engine the operation runs inline on this thread
    // (`database_calls`): commits do not wait for the disk (see below), and
    // a page is capped at 1 MB read, which bounds how long one request
    // holds the thread.
    let body = body.decoded;
    let again = database
        .is_follower()
        .then(|| (body.clone(), context.clone()));
    let mut result = run(&database, operation, body, context).await;
    // A follower learns of another server's new table within
    // `following::CHECK_EVERY`; one asked for sooner reads the catalog now.
    if let Some((body, context)) = again {
        if matches!(&result, Err(e) if e.kind == ErrorKind::ResourceNotFound)
            && database_calls::run(&database, |db| db.refresh_catalog().unwrap_or(false)).await
                == Some(true)
        {
            result = run(&database, operation, body, context).await;
        }
    }
    // Acknowledge nothing, written or read, before it is on disk: commits
    // return before the WAL sync that makes them durable.
    if let Some(durable) = database.engine().pending_durability() {
        if let Err(e) = durable.wait().await {
            result = Err(DynamoError::internal(e.to_string()));
        }
    }
    if let Some(metrics) = &service.metrics {
        metrics.observe(operation, result.as_ref().map(|_| ()), started.elapsed());
    }
    let mut response = match result {
        Ok(body) => response::ok(body, &request_id, encoding),
        Err(error) => {
            if error.kind == ErrorKind::InternalServerError {
                tracing::error!(operation = operation.name(), message = %error.message, "internal error");
            } else {
                tracing::debug!(operation = operation.name(), kind = ?error.kind, message = %error.message, "request rejected");
            }
            response::error_encoded(&error, &request_id, encoding)
        }
    };
    if operation.is_application_auto_scaling() {
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"),
        );
    }
    response
}

async fn run(
    database: &Arc<Database>,
    operation: Operation,
    body: bytes::Bytes,
    context: RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let call = move |database: &Database| execute(database, operation, &body, &context);
    let result = if operation.reads_only() {
        database_calls::run_reads(database, call).await
    } else {
        database_calls::run(database, call).await
    };
    result.unwrap_or_else(|| Err(DynamoError::internal("operation panicked")))
}

/// Runs one operation. A bug must cost one request a 500, not the
/// connection.
fn execute(
    database: &Database,
    operation: Operation,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        database.execute(operation, body, context)
    }))
    .unwrap_or_else(|_| Err(DynamoError::internal("operation panicked")))
}

/// `GET /metrics`: the Prometheus exposition, read where database calls
/// may block (the table counters are storage reads); with metrics off,
/// the health line any other GET gets.
async fn metrics(service: &Service, request_id: &str) -> HttpResponse {
    let Some(metrics) = &service.metrics else {
        return health(request_id);
    };
    let Some(database) = service.database.load_full() else {
        return response::unavailable(request_id);
    };
    let scrape = metrics.scrape(database.clone());
    match database_calls::run(&database, move |_| scrape.render()).await {
        Some(text) => response::with_body(
            StatusCode::OK,
            text.into_bytes(),
            request_id,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        ),
        None => response::error(
            &DynamoError::internal("metrics could not be read"),
            request_id,
        ),
    }
}

/// DynamoDB answers `GET /` with a plain health line.
fn health(request_id: &str) -> HttpResponse {
    response::with_body(
        StatusCode::OK,
        b"healthy: dynamodb.us-east-1.amazonaws.com ".to_vec(),
        request_id,
        "text/plain",
    )
}
