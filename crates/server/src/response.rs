//! Building responses: headers every DynamoDB response carries, and the one
//! mapping from errors to HTTP.

use crate::compression::{self, Encoding};
use bytes::Bytes;
use dynalith_model::{DynamoError, ErrorKind};
use http_body_util::Full;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Response, StatusCode};
use rand::Rng;

pub type HttpResponse = Response<Full<Bytes>>;

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const REQUEST_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
// Header names are case-insensitive and go out in lower case either way;
// as constants they are not parsed again for every response.
const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-amzn-requestid");
const CRC32_HEADER: HeaderName = HeaderName::from_static("x-amz-crc32");

/// DynamoDB's request ids: 52 upper-case letters and digits.
pub fn request_id() -> String {
    const LENGTH: usize = 52;
    // Ten base-36 digits per random draw rather than one draw per
    // character (36^10 < 2^64, drawn without bias by `random_range`).
    const DIGITS_PER_DRAW: u32 = 10;
    let base = REQUEST_ID_ALPHABET.len() as u64;
    let mut rng = rand::rng();
    let mut id = String::with_capacity(LENGTH);
    let (mut draw, mut digits_left) = (0u64, 0);
    for _ in 0..LENGTH {
        if digits_left == 0 {
            draw = rng.random_range(0..base.pow(DIGITS_PER_DRAW));
            digits_left = DIGITS_PER_DRAW;
        }
        id.push(REQUEST_ID_ALPHABET[(draw % base) as usize] as char);
        draw /= base;
        digits_left -= 1;
    }
    id
}

pub fn with_body(
    status: StatusCode,
    body: Vec<u8>,
    request_id: &str,
    content_type: &str,
) -> HttpResponse {
    let crc = crc32fast::hash(&body);
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(REQUEST_ID_HEADER, header_value(request_id));
    headers.insert(CRC32_HEADER, HeaderValue::from(crc));
    headers.insert(hyper::header::CONTENT_TYPE, header_value(content_type));
    response
}

fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or(HeaderValue::from_static(""))
}

/// An operation's JSON answer, compressed with `encoding` when it is large
/// enough to be (see `compression`).
fn json(
    status: StatusCode,
    body: Vec<u8>,
    request_id: &str,
    encoding: Option<Encoding>,
) -> HttpResponse {
    let compressed = encoding
        .filter(|_| body.len() >= compression::THRESHOLD)
        .and_then(|encoding| Some((encoding, encoding.compress(&body)?)));
    let Some((encoding, compressed)) = compressed else {
        return with_body(status, body, request_id, JSON_CONTENT_TYPE);
    };
    let mut response = with_body(status, compressed, request_id, JSON_CONTENT_TYPE);
    response.headers_mut().insert(
        hyper::header::CONTENT_ENCODING,
        HeaderValue::from_static(encoding.name()),
    );
    response
}

pub fn ok(body: Vec<u8>, request_id: &str, encoding: Option<Encoding>) -> HttpResponse {
    json(StatusCode::OK, body, request_id, encoding)
}

/// What a server answers while it cannot serve (a follower that reaches
/// no leader, storage being reopened): a 503, which SDKs retry, as
/// DynamoDB's "currently unavailable".
pub fn unavailable(request_id: &str) -> HttpResponse {
    let unavailable = DynamoError::new(
        ErrorKind::ServiceUnavailable,
        "DynamoDB is currently unavailable. (This should be a temporary state.)",
    );
    error(&unavailable, request_id)
}

/// The single place an error becomes an HTTP response.
pub fn error(error: &DynamoError, request_id: &str) -> HttpResponse {
    error_encoded(error, request_id, None)
}

/// `error`, compressed with `encoding` when it is large enough (a
/// cancellation that returns items can be).
pub fn error_encoded(
    error: &DynamoError,
    request_id: &str,
    encoding: Option<Encoding>,
) -> HttpResponse {
    let status =
        StatusCode::from_u16(error.kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&error.to_body()).unwrap_or_default();
    json(status, body, request_id, encoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_52_letters_and_digits_and_differ() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| request_id()).collect();
        assert_eq!(ids.len(), 1000, "request ids repeat");
        for id in &ids {
            assert_eq!(id.len(), 52, "{id}");
            assert!(id.bytes().all(|c| REQUEST_ID_ALPHABET.contains(&c)), "{id}");
        }
        // Neighbours, often from one draw, match about 1 time in 36.
        let pairs = ids.len() * 51;
        let equal: usize = ids
            .iter()
            .map(|id| id.as_bytes().windows(2).filter(|w| w[0] == w[1]).count())
            .sum();
        assert!(equal * 10 < pairs, "{equal} of {pairs} neighbours equal");
        // Every position takes many values: no digit of a draw is stuck.
        for position in 0..52 {
            let seen: std::collections::HashSet<u8> =
                ids.iter().map(|id| id.as_bytes()[position]).collect();
            assert!(seen.len() > 30, "position {position}: {seen:?}");
        }
    }
}
