//! Requests the server makes itself, over plain TCP or TLS
//! (`tls::connector`), under a time limit: stream triggers and Kinesis
//! destinations one request per connection (deliveries are rare next to
//! the requests served, so keeping connections is not worth its state);
//! a follower's requests to its leader on kept-alive ones (`KeptAlive`).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{HeaderMap, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

/// Checks the URL of a service the server calls (a Kinesis or S3
/// endpoint, a trigger's URL): http:// or https://, with a host. `what`
/// names it in the message.
pub fn parse_url(text: &str, what: &str) -> Result<Uri, String> {
    let url: Uri = text
        .parse()
        .map_err(|e| format!("bad {what} {text:?}: {e}"))?;
    if !matches!(url.scheme_str(), Some("http" | "https")) || url.host().is_none() {
        return Err(format!(
            "the {what} must be http[s]://host[:port][/path], got {text}"
        ));
    }
    Ok(url)
}

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

/// Sends `request` (its URI the path only; `host` is set here unless it
/// has one, as a request passed on keeps its client's) to `url`'s host and
/// port, over TLS for https:// URLs, on a connection of its own.
pub async fn send(
    url: &Uri,
    tls: Option<&TlsConnector>,
    request: Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<Answer, String> {
    let exchange = async {
        let mut sender = connect(url, tls).await?;
        let response = sender
            .send_request(addressed(url, request)?)
            .await
            .map_err(|e| format!("request: {e}"))?;
        Ok(answer(response).await)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| "timed out".to_string())?
}

/// Why a request on kept-alive connections failed.
#[derive(Debug)]
pub enum Failure {
    /// It never left: sending it again cannot run it twice.
    NotSent(String),
    /// It may have been received, and run.
    MaybeSent(String),
}

/// At most this many idle connections are kept.
const IDLE_LIMIT: usize = 64;

/// Kept-alive connections, for a server that passes requests on to another
/// (a follower to its leader, `following`): a connection per request would
/// pay a handshake each time and leave a socket in TIME_WAIT per request,
/// which a steady stream of writes turns into running out of ports.
#[derive(Default)]
pub struct KeptAlive {
    idle: Mutex<Vec<(String, SendRequest<Full<Bytes>>)>>,
}

impl KeptAlive {
    /// Sends the request `make` builds on an idle connection to `url` if
    /// one is open, else on a new one, kept open afterwards.
    pub async fn send(
        &self,
        url: &Uri,
        tls: Option<&TlsConnector>,
        make: impl Fn() -> Request<Full<Bytes>>,
        timeout: Duration,
    ) -> Result<Answer, Failure> {
        let peer = url.to_string();
        let exchange = async {
            while let Some(mut sender) = self.take_idle(&peer) {
                let request = addressed(url, make()).map_err(Failure::NotSent)?;
                match sender.try_send_request(request).await {
                    Ok(response) => return Ok(self.finish(peer, sender, response).await),
                    Err(mut e) => {
                        // Given back: the peer closed the connection before
                        // it took the request. Try the next one.
                        if e.take_message().is_none() {
                            return Err(Failure::MaybeSent(format!("request: {}", e.error())));
                        }
                    }
                }
            }
            let mut sender = connect(url, tls).await.map_err(Failure::NotSent)?;
            let request = addressed(url, make()).map_err(Failure::NotSent)?;
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| Failure::MaybeSent(format!("request: {e}")))?;
            Ok(self.finish(peer, sender, response).await)
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| Failure::MaybeSent("timed out".to_string()))?
    }

    /// An open idle connection to `peer`; closed ones are dropped.
    fn take_idle(&self, peer: &str) -> Option<SendRequest<Full<Bytes>>> {
        let mut idle = self.idle.lock();
        idle.retain(|(_, sender)| !sender.is_closed());
        let at = idle
            .iter()
            .rposition(|(p, sender)| p == peer && sender.is_ready())?;
        Some(idle.swap_remove(at).1)
    }

    async fn finish(
        &self,
        peer: String,
        sender: SendRequest<Full<Bytes>>,
        response: hyper::Response<hyper::body::Incoming>,
    ) -> Answer {
        let answer = answer(response).await;
        let mut idle = self.idle.lock();
        if !sender.is_closed() && idle.len() < IDLE_LIMIT {
            idle.push((peer, sender));
        }
        answer
    }
}

/// `request` with the `Host` of `url` unless it names one already.
fn addressed(url: &Uri, mut request: Request<Full<Bytes>>) -> Result<Request<Full<Bytes>>, String> {
    let authority = url.authority().ok_or("no host")?.as_str();
    let value = hyper::header::HeaderValue::from_str(authority).map_err(|e| e.to_string())?;
    request
        .headers_mut()
        .entry(hyper::header::HOST)
        .or_insert(value);
    Ok(request)
}

/// A new HTTP/1.1 connection to `url`'s host and port, over TLS for
/// https:// URLs, served by a task of its own.
async fn connect(
    url: &Uri,
    tls: Option<&TlsConnector>,
) -> Result<SendRequest<Full<Bytes>>, String> {
    let host = url.host().ok_or("no host")?;
    let https = url.scheme_str() == Some("https");
    let port = url.port_u16().unwrap_or(if https { 443 } else { 80 });
    let stream = tokio::net::TcpStream::connect((host, port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let _ = stream.set_nodelay(true);
    if !https {
        return handshake(stream).await;
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
    handshake(stream).await
}

async fn handshake<S>(stream: S) -> Result<SendRequest<Full<Bytes>>, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    tokio::spawn(connection);
    Ok(sender)
}

async fn answer(response: hyper::Response<hyper::body::Incoming>) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Answer {
        status,
        headers,
        body,
    }
}
