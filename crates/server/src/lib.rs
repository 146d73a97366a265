//! dynalith's HTTP front end: DynamoDB's JSON protocol over HTTP/1.1.
//!
//! `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>`; bodies may
//! be gzip-compressed; every response carries `x-amzn-RequestId` and the
//! `x-amz-crc32` checksum that boto3 verifies. Errors are mapped to
//! DynamoDB's `__type` and HTTP status in one place ([`response::error`]).

pub mod auth;
mod body;
mod compression;
mod cors;
mod database_calls;
mod handler;
pub mod metrics;
mod response;
pub mod sigv4;
pub mod triggers;
mod yield_before_response;

pub use auth::{AcceptAnyCredentials, Authenticator};

use dynalith_core::Database;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use yield_before_response::YieldBeforeResponse;

/// Everything a request handler needs.
pub struct Service {
    pub database: Arc<Database>,
    pub authenticator: Box<dyn Authenticator>,
    /// Request counters and the `GET /metrics` endpoint; None turns both
    /// off.
    pub metrics: Option<metrics::Metrics>,
}

/// Serves connections until `shutdown` resolves, then stops accepting and
/// waits (up to `drain`) for in-flight requests to finish.
pub async fn serve(
    listener: TcpListener,
    service: Arc<Service>,
    shutdown: impl Future<Output = ()>,
    drain: Duration,
) -> std::io::Result<()> {
    let (closing_tx, closing_rx) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        tracing::warn!(%e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                connections.spawn(serve_connection(stream, peer, service.clone(), closing_rx.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let _ = closing_tx.send(true);
    let drained = tokio::time::timeout(drain, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("shutdown: connections still open after the drain period");
        connections.abort_all();
    }
    Ok(())
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    service: Arc<Service>,
    mut closing: watch::Receiver<bool>,
) {
    // Where a request without a Host header was sent (DescribeEndpoints).
    let local = stream.local_addr().ok();
    let handler = hyper::service::service_fn(move |request| {
        let service = service.clone();
        async move { Ok::<_, std::convert::Infallible>(handler::handle(&service, request, local).await) }
    });
    let connection = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(YieldBeforeResponse::new(stream)), handler);
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(%peer, %e, "connection ended with an error");
            }
        }
        _ = closing.changed() => {
            // Finish the request in flight, then close.
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        }
    }
}
