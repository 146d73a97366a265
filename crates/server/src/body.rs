//! Reading a request body: the 16 MB limit and gzip decoding.

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::HeaderMap;
use std::io::Read;

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

pub async fn read(headers: &HeaderMap, body: Incoming) -> Result<Body, BodyError> {
    let declared = headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_REQUEST_BYTES) {
        return Err(BodyError::TooLarge);
    }
    let raw = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
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
