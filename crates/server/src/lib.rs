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
pub mod deliveries;
pub mod following;
mod handler;
mod idle_connections;
pub mod kinesis;
pub mod metrics;
mod outgoing;
mod response;
pub mod s3;
pub mod sigv4;
pub mod tls;
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
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use yield_before_response::YieldBeforeResponse;

/// The database requests go to: a server following another on a shared
/// schema swaps its read-only database for a full one when it takes over
/// (`following`), and a server whose storage failed has none while it
/// reopens it (requests then get a 503).
pub type CurrentDatabase = Arc<arc_swap::ArcSwapOption<Database>>;

/// Everything a request handler needs.
pub struct Service {
    pub database: CurrentDatabase,
    /// Set when this server shares its PostgreSQL schema with others
    /// (`--shared-schema`): whether it leads, and how it reaches the one
    /// that does.
    pub following: Option<Arc<following::Following>>,
    pub authenticator: Box<dyn Authenticator>,
    /// Request counters and the `GET /metrics` endpoint; None turns both
    /// off.
    pub metrics: Option<metrics::Metrics>,
    /// A connection without a request for this long (at most twice this)
    /// is closed (`idle_connections`); None keeps connections open.
    pub idle_connection_timeout: Option<Duration>,
}

/// How long a client may take over its TLS handshake. The handshake runs
/// in the connection's own task, so a slow one holds up no one else; this
/// only bounds what a connection that never finishes it costs.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves connections until `shutdown` resolves, then stops accepting and
/// waits (up to `drain`) for in-flight requests to finish. With `tls`,
/// every connection is HTTPS.
pub async fn serve(
    listener: TcpListener,
    tls: Option<tls::TlsAcceptor>,
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
                connections.spawn(accept_connection(
                    stream,
                    peer,
                    tls.clone(),
                    service.clone(),
                    closing_rx.clone(),
                ));
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

/// Completes the TLS handshake when there is one, then serves the
/// connection.
async fn accept_connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<tls::TlsAcceptor>,
    service: Arc<Service>,
    closing: watch::Receiver<bool>,
) {
    // Where a request without a Host header was sent (DescribeEndpoints).
    let local = stream.local_addr().ok();
    let Some(tls) = tls else {
        return serve_connection(stream, peer, local, service, closing).await;
    };
    match tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, tls.accept(stream)).await {
        Ok(Ok(stream)) => serve_connection(stream, peer, local, service, closing).await,
        Ok(Err(e)) => tracing::debug!(%peer, %e, "TLS handshake failed"),
        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
    }
}

async fn serve_connection<S>(
    stream: S,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    service: Arc<Service>,
    mut closing: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let activity = Arc::new(idle_connections::Activity::default());
    let idle_timeout = service.idle_connection_timeout;
    let watched = activity.clone();
    let handler = hyper::service::service_fn(move |request| {
        let service = service.clone();
        let serving = watched.request();
        async move {
            let response = handler::handle(&service, request, local).await;
            drop(serving);
            Ok::<_, std::convert::Infallible>(response)
        }
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
        // Dropping the connection closes it, whatever it was in the middle
        // of reading or writing: idle means no request is being served.
        _ = activity.idle_for(idle_timeout.unwrap_or_default()), if idle_timeout.is_some() => {
            tracing::debug!(%peer, "closing a connection idle too long");
        }
    }
}
