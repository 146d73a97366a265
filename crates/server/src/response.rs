//! Building responses: headers every DynamoDB response carries, and the one
//! mapping from errors to HTTP.

use bytes::Bytes;
use dynalith_model::DynamoError;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use rand::Rng;

pub type HttpResponse = Response<Full<Bytes>>;

const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
const REQUEST_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// DynamoDB's request ids: 52 upper-case letters and digits.
pub fn request_id() -> String {
    let mut rng = rand::rng();
    (0..52)
        .map(|_| REQUEST_ID_ALPHABET[rng.random_range(0..REQUEST_ID_ALPHABET.len())] as char)
        .collect()
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
    headers.insert("x-amzn-RequestId", header_value(request_id));
    headers.insert("x-amz-crc32", header_value(&crc.to_string()));
    headers.insert(hyper::header::CONTENT_TYPE, header_value(content_type));
    response
}

fn header_value(text: &str) -> hyper::header::HeaderValue {
    hyper::header::HeaderValue::from_str(text)
        .unwrap_or(hyper::header::HeaderValue::from_static(""))
}

pub fn ok(body: Vec<u8>, request_id: &str) -> HttpResponse {
    with_body(StatusCode::OK, body, request_id, JSON_CONTENT_TYPE)
}

/// The single place an error becomes an HTTP response.
pub fn error(error: &DynamoError, request_id: &str) -> HttpResponse {
    let status =
        StatusCode::from_u16(error.kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&error.to_body()).unwrap_or_default();
    with_body(status, body, request_id, JSON_CONTENT_TYPE)
}
