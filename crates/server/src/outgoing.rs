//! Requests the server makes itself (stream triggers, Kinesis
//! destinations): one request per connection, over plain TCP or TLS
//! (`tls::connector`), under a time limit. Deliveries are rare next to
//! the requests served, so a connection pool is not worth its state.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{HeaderMap, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

/// What the other side answered.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The body's first 200 bytes, for messages.
    pub fn body_start(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(200)]).into_owned()
    }
}

/// How the error of a request that could not connect begins: one that was
/// never sent, which a caller may send again.
pub const CONNECT_FAILED: &str = "connect: ";

/// Sends `request` (its URI the path only; `host` is set here unless it
/// has one, as a request passed on keeps its client's) to `url`'s host and
/// port, over TLS for https:// URLs.
pub async fn send(
    url: &Uri,
    tls: Option<&TlsConnector>,
    mut request: Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<Answer, String> {
    let host = url.host().ok_or("no host")?;
    let https = url.scheme_str() == Some("https");
    let port = url.port_u16().unwrap_or(if https { 443 } else { 80 });
    let authority = url.authority().map_or(host, |a| a.as_str());
    let value = hyper::header::HeaderValue::from_str(authority).map_err(|e| e.to_string())?;
    request
        .headers_mut()
        .entry(hyper::header::HOST)
        .or_insert(value);
    let exchange = async {
        let stream = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| format!("{CONNECT_FAILED}{e}"))?;
        if !https {
            return exchange(stream, request).await;
        }
        let tls = tls.ok_or("no TLS connector for an https:// URL")?;
        // `Uri::host` keeps an IPv6 address's brackets; a server name has none.
        let name = ServerName::try_from(host.trim_start_matches('[').trim_end_matches(']'))
            .map_err(|e| format!("server name {host:?}: {e}"))?
            .to_owned();
        let stream = tls
            .connect(name, stream)
            .await
            .map_err(|e| format!("TLS: {e}"))?;
        exchange(stream, request).await
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| "timed out".to_string())?
}

async fn exchange<S>(stream: S, request: Request<Full<Bytes>>) -> Result<Answer, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| format!("request: {e}"))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok(Answer {
        status,
        headers,
        body,
    })
}
