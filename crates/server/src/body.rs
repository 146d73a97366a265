//! Reading a request body: the 16 MB limit and gzip decoding.

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::HeaderMap;
use std::future::Future;
use std::io::Read;
use std::task::Poll;
use std::time::Duration;

/// DynamoDB refuses request bodies larger than this.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

pub enum BodyError {
    TooLarge,
    Unreadable(String),
    BadEncoding(String),
}

/// A request body as sent (what a signature covers) and as the operation
/// reads it (decompressed).
pub struct Body {
    pub raw: Bytes,
    pub decoded: Bytes,
}

/// Reads the body, which must arrive within `deadline` when one is given
/// (the connection's idle timeout: a body sent a byte at a time would
/// otherwise hold the connection, which counts as busy while a request is
/// read). A body that came with its headers, as most do, is read without
/// arming a timer.
pub async fn read(
    headers: &HeaderMap,
    body: Incoming,
    deadline: Option<Duration>,
) -> Result<Body, BodyError> {
    let declared = headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BYTES) {
        return Err(BodyError::TooLarge);
    }
    let mut collect = std::pin::pin!(Limited::new(body, MAX_REQUEST_BYTES).collect());
    let at_once = std::future::poll_fn(|cx| Poll::Ready(collect.as_mut().poll(cx))).await;
    let collected = match (at_once, deadline) {
        (Poll::Ready(collected), _) => collected,
        (Poll::Pending, None) => collect.await,
        (Poll::Pending, Some(deadline)) => match tokio::time::timeout(deadline, collect).await {
            Ok(collected) => collected,
            Err(_) => {
                return Err(BodyError::Unreadable(format!(
                    "the body did not arrive within {deadline:?}"
                )))
            }
        },
    };
    let raw = match collected {
        Ok(collected) => collected.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Err(BodyError::TooLarge)
        }
        Err(e) => return Err(BodyError::Unreadable(e.to_string())),
    };
    let gzipped = headers
        .get(hyper::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim().eq_ignore_ascii_case("gzip")));
    if !gzipped {
        return Ok(Body {
            decoded: raw.clone(),
            raw,
        });
    }
    // The limit applies to the decoded body too, so a small bomb can't
    // expand past it.
    let mut decoded = Vec::with_capacity(raw.len() * 4);
    let mut decoder = flate2::read::GzDecoder::new(&raw[..]).take(MAX_REQUEST_BYTES as u64 + 1);
    decoder
        .read_to_end(&mut decoded)
        .map_err(|e| BodyError::BadEncoding(e.to_string()))?;
    if decoded.len() > MAX_REQUEST_BYTES {
        return Err(BodyError::TooLarge);
    }
    Ok(Body {
        raw,
        decoded: Bytes::from(decoded),
    })
}
