//! CORS, for the JavaScript SDK in a web page of another origin: the
//! browser asks first with a preflight `OPTIONS`, then sends the request,
//! and gives the page the answer only if the server allowed its origin.
//! DynamoDB allows every origin. To a request with an `Origin` header it
//! adds `Access-Control-Allow-Origin: *` and the response headers a script
//! may read; to a preflight also the method and headers the browser asked
//! for, echoed, and how long it may cache that answer. A request without
//! `Origin` (every SDK outside a browser) gets none of these headers.

use crate::response::{self, HttpResponse};
use hyper::header::{
    HeaderMap, HeaderName, HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_HEADERS, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
};
use hyper::StatusCode;

/// The response headers DynamoDB lets a page's script read.
const EXPOSED: &str = "x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date";
/// Two days, as AWS endpoints answer preflights: the answer never changes.
const MAX_AGE_SECONDS: &str = "172800";

/// What a cross-origin request asked for; `None` from `of` when the
/// request is not one.
pub struct Cors {
    /// A preflight's `Access-Control-Request-Method` and
    /// `Access-Control-Request-Headers`, to echo; `None` for a request
    /// that is not a preflight.
    preflight: Option<(Option<HeaderValue>, Option<HeaderValue>)>,
}

impl Cors {
    pub fn of(headers: &HeaderMap, preflight: bool) -> Option<Cors> {
        headers.get(ORIGIN)?;
        let preflight = preflight.then(|| {
            (
                headers.get(ACCESS_CONTROL_REQUEST_METHOD).cloned(),
                headers.get(ACCESS_CONTROL_REQUEST_HEADERS).cloned(),
            )
        });
        Some(Cors { preflight })
    }

    pub fn apply(self, response: &mut HttpResponse) {
        let headers = response.headers_mut();
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED),
        );
        let Some((method, requested_headers)) = self.preflight else {
            return;
        };
        let echo = [
            (ACCESS_CONTROL_ALLOW_METHODS, method),
            (ACCESS_CONTROL_ALLOW_HEADERS, requested_headers),
        ];
        for (name, value) in echo {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                headers.insert::<HeaderName>(name, value);
            }
        }
        headers.insert(
            ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(MAX_AGE_SECONDS),
        );
    }
}

/// The answer to an `OPTIONS` request: no operation, an empty body.
pub fn preflight_response(request_id: &str) -> HttpResponse {
    response::with_body(StatusCode::OK, Vec::new(), request_id, "text/plain")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    fn answered(request: &HeaderMap, preflight: bool) -> HeaderMap {
        let mut response = preflight_response("ID");
        if let Some(cors) = Cors::of(request, preflight) {
            cors.apply(&mut response);
        }
        response.headers().clone()
    }

    #[test]
    fn only_a_request_with_an_origin_gets_cors_headers() {
        let plain = answered(&headers(&[("content-type", "x")]), true);
        assert!(plain
            .keys()
            .all(|k| !k.as_str().starts_with("access-control")));
        let cross = answered(&headers(&[("origin", "http://localhost:3000")]), false);
        assert_eq!(cross[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(cross[ACCESS_CONTROL_EXPOSE_HEADERS], EXPOSED);
        assert!(!cross.contains_key(ACCESS_CONTROL_MAX_AGE));
        assert!(!cross.contains_key(ACCESS_CONTROL_ALLOW_METHODS));
    }

    #[test]
    fn a_preflight_gets_what_it_asked_for_echoed() {
        let request = headers(&[
            ("origin", "http://localhost:3000"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "content-type,x-amz-target,authorization,amz-sdk-invocation-id",
            ),
        ]);
        let answer = answered(&request, true);
        assert_eq!(answer[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert_eq!(answer[ACCESS_CONTROL_ALLOW_METHODS], "POST");
        assert_eq!(
            answer[ACCESS_CONTROL_ALLOW_HEADERS],
            "content-type,x-amz-target,authorization,amz-sdk-invocation-id"
        );
        assert_eq!(answer[ACCESS_CONTROL_MAX_AGE], MAX_AGE_SECONDS);
    }
}
