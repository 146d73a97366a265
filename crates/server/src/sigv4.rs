//! AWS Signature Version 4 verification, for servers started with
//! credentials (`--credentials ACCESS_KEY:SECRET`): a request is served only
//! if its `Authorization` header carries a signature made with a known
//! access key's secret over this very request, within 15 minutes of now.
//! The errors are DynamoDB's: MissingAuthenticationToken,
//! IncompleteSignature, UnrecognizedClient (an unknown access key) and
//! InvalidSignature (a wrong signature, or an expired one).
//!
//! The canonical request is rebuilt from the request as received: method,
//! path, query, the headers the client says it signed (with their values
//! trimmed and inner spaces collapsed) and the SHA-256 of the body as sent
//! (still compressed, when it was).

use crate::auth::{Authenticator, Caller};
use dynalith_model::{DynamoError, ErrorKind};
use hmac::{Hmac, KeyInit, Mac};
use hyper::http::request::Parts;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// How far a request's time may be from the server's, either way.
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);

/// Verifies signatures made with these access keys' secrets.
pub struct VerifySignatures {
    secrets: HashMap<String, String>,
}

impl VerifySignatures {
    /// From `ACCESS_KEY:SECRET` pairs.
    pub fn new(credentials: &[String]) -> Result<VerifySignatures, String> {
        let mut secrets = HashMap::new();
        for pair in credentials {
            let pair = SigningCredentials::parse(pair)?;
            secrets.insert(pair.access_key, pair.secret);
        }
        Ok(VerifySignatures { secrets })
    }
}

/// The parts of an `Authorization` header.
struct Authorization<'a> {
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

impl Authenticator for VerifySignatures {
    fn authenticate(&self, parts: &Parts, body: &[u8]) -> Result<Caller, DynamoError> {
        self.verify(parts, body, SystemTime::now())
    }
}

impl VerifySignatures {
    fn verify(&self, parts: &Parts, body: &[u8], now: SystemTime) -> Result<Caller, DynamoError> {
        let Some(header) = parts.headers.get(hyper::header::AUTHORIZATION) else {
            return Err(DynamoError::new(
                ErrorKind::MissingAuthenticationToken,
                "Request is missing Authentication Token",
            ));
        };
        let header = header
            .to_str()
            .map_err(|_| incomplete("Authorization header is not text"))?;
        let auth = parse_authorization(header)?;
        let secret = self.secrets.get(auth.access_key).ok_or_else(|| {
            DynamoError::new(
                ErrorKind::UnrecognizedClient,
                "The security token included in the request is invalid.",
            )
        })?;
        let amz_date = header_text(parts, "x-amz-date").ok_or_else(|| {
            incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        })?;
        check_time(amz_date, auth.date, now)?;

        let payload_hash = hex(&Sha256::digest(body));
        let canonical = canonical_request(
            parts,
            auth.signed_headers,
            &payload_hash,
            PathEncoding::Twice,
        )?;
        let scope = Scope {
            date: auth.date,
            region: auth.region,
            service: auth.service,
        };
        let expected = signature(secret, amz_date, &scope, &canonical);
        if !constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
            return Err(DynamoError::new(
                ErrorKind::InvalidSignature,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ));
        }
        Ok(Caller {
            access_key_id: auth.access_key.to_string(),
            region: auth.region.to_string(),
        })
    }
}

/// A signature's credential scope.
struct Scope<'a> {
    date: &'a str,
    region: &'a str,
    service: &'a str,
}

impl std::fmt::Display for Scope<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

/// The hex signature of a canonical request made at `amz_date`.
fn signature(secret: &str, amz_date: &str, scope: &Scope<'_>, canonical: &str) -> String {
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let mut key = hmac(format!("AWS4{secret}").as_bytes(), scope.date.as_bytes());
    for part in [scope.region, scope.service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    hex(&hmac(&key, string_to_sign.as_bytes()))
}

/// Signs an outgoing request to another AWS service (Kinesis, for the
/// streaming destinations; S3, for exports and imports): adds
/// `X-Amz-Date` and `Authorization` over its method, path, query, `host`,
/// `content-type` and `x-amz-*` headers and `body`. The
/// request must carry a `host` header. For S3, which requires it, the
/// body's hash is sent and signed as `x-amz-content-sha256`, and the path
/// is signed as it is sent (S3 alone does not encode it again).
pub fn sign(
    parts: &mut Parts,
    body: &[u8],
    credentials: &SigningCredentials,
    region: &str,
    service: &str,
    now: SystemTime,
) -> Result<(), String> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let amz_date = time::OffsetDateTime::from(now)
        .format(&format)
        .map_err(|e| e.to_string())?;
    let value = hyper::header::HeaderValue::from_str(&amz_date).map_err(|e| e.to_string())?;
    parts.headers.insert("x-amz-date", value);
    let payload_hash = hex(&Sha256::digest(body));
    let s3 = service == "s3";
    if s3 {
        let value =
            hyper::header::HeaderValue::from_str(&payload_hash).map_err(|e| e.to_string())?;
        parts.headers.insert("x-amz-content-sha256", value);
    }
    // S3 wants every x-amz-* header sent signed (its encryption ones too).
    let mut signed: Vec<&str> = parts
        .headers
        .keys()
        .map(|name| name.as_str())
        .filter(|name| matches!(*name, "content-type" | "host") || name.starts_with("x-amz-"))
        .collect();
    signed.sort_unstable();
    let signed_headers = signed.join(";");
    let path = if s3 {
        PathEncoding::AsSent
    } else {
        PathEncoding::Twice
    };
    let canonical =
        canonical_request(parts, &signed_headers, &payload_hash, path).map_err(|e| e.message)?;
    let scope = Scope {
        date: &amz_date[..8],
        region,
        service,
    };
    let signature = signature(&credentials.secret, &amz_date, &scope, &canonical);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key
    );
    let value = hyper::header::HeaderValue::from_str(&authorization).map_err(|e| e.to_string())?;
    parts.headers.insert(hyper::header::AUTHORIZATION, value);
    Ok(())
}

/// An access key and its secret, for signing outgoing requests.
#[derive(Clone, Debug)]
pub struct SigningCredentials {
    pub access_key: String,
    pub secret: String,
}

impl SigningCredentials {
    /// From `ACCESS_KEY:SECRET`.
    pub fn parse(pair: &str) -> Result<SigningCredentials, String> {
        let (access_key, secret) = pair
            .split_once(':')
            .filter(|(k, s)| !k.is_empty() && !s.is_empty())
            .ok_or_else(|| format!("expected ACCESS_KEY:SECRET, got {pair:?}"))?;
        Ok(SigningCredentials {
            access_key: access_key.to_string(),
            secret: secret.to_string(),
        })
    }
}

fn incomplete(message: &str) -> DynamoError {
    DynamoError::new(ErrorKind::IncompleteSignature, message)
}

fn parse_authorization(header: &str) -> Result<Authorization<'_>, DynamoError> {
    let rest = header
        .strip_prefix(ALGORITHM)
        .filter(|r| r.starts_with(' '))
        .ok_or_else(|| {
            incomplete(&format!(
                "Unsupported AWS 'algorithm': '{}'",
                header.split(' ').next().unwrap_or_default()
            ))
        })?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let mut missing = Vec::new();
    for (name, value) in [
        ("Credential", credential),
        ("Signature", signature),
        ("SignedHeaders", signed_headers),
    ] {
        if value.is_none() {
            missing.push(format!("Authorization header requires '{name}' parameter."));
        }
    }
    if !missing.is_empty() {
        return Err(incomplete(&format!(
            "{} Authorization={header}",
            missing.join(" ")
        )));
    }
    let credential = credential.unwrap_or_default();
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, service, "aws4_request"] = scope[..] else {
        return Err(incomplete(&format!(
            "Credential should be scoped to a valid region, not '{credential}'. "
        )));
    };
    Ok(Authorization {
        access_key,
        date,
        region,
        service,
        signed_headers: signed_headers.unwrap_or_default(),
        signature: signature.unwrap_or_default(),
    })
}

fn header_text<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The request's time (`X-Amz-Date`, `20260101T000000Z`) must match the
/// credential scope's date and lie within 15 minutes of now.
fn check_time(amz_date: &str, scope_date: &str, now: SystemTime) -> Result<(), DynamoError> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    let signed = time::PrimitiveDateTime::parse(amz_date, &format)
        .map_err(|_| incomplete(&format!("Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601")))?
        .assume_utc();
    if !amz_date.starts_with(scope_date) {
        return Err(DynamoError::new(
            ErrorKind::InvalidSignature,
            format!("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{}', from '{amz_date}'.", &amz_date[..8.min(amz_date.len())]),
        ));
    }
    let now = time::OffsetDateTime::from(now);
    let skew = time::Duration::try_from(MAX_SKEW).unwrap_or(time::Duration::minutes(15));
    let stamp = |t: time::OffsetDateTime| t.format(&format).unwrap_or_default();
    if signed < now - skew {
        return Err(DynamoError::new(
            ErrorKind::InvalidSignature,
            format!(
                "Signature expired: {amz_date} is now earlier than {} ({} - 15 min.)",
                stamp(now - skew),
                stamp(now)
            ),
        ));
    }
    if signed > now + skew {
        return Err(DynamoError::new(
            ErrorKind::InvalidSignature,
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
                stamp(now + skew),
                stamp(now)
            ),
        ));
    }
    Ok(())
}

/// How a canonical request holds the request's path.
#[derive(Clone, Copy, PartialEq)]
enum PathEncoding {
    /// Each segment URI-encoded once more, as SigV4 does for every service
    /// but S3.
    Twice,
    /// As it was sent (S3).
    AsSent,
}

fn canonical_request(
    parts: &Parts,
    signed_headers: &str,
    payload_hash: &str,
    path: PathEncoding,
) -> Result<String, DynamoError> {
    let mut canonical = String::with_capacity(512);
    canonical.push_str(parts.method.as_str());
    canonical.push('\n');
    match path {
        PathEncoding::Twice => canonical.push_str(&canonical_path(parts.uri.path())),
        PathEncoding::AsSent if parts.uri.path().is_empty() => canonical.push('/'),
        PathEncoding::AsSent => canonical.push_str(parts.uri.path()),
    }
    canonical.push('\n');
    canonical.push_str(&canonical_query(parts.uri.query().unwrap_or_default()));
    canonical.push('\n');
    for name in signed_headers.split(';') {
        let values: Vec<&str> = parts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            return Err(DynamoError::new(
                ErrorKind::InvalidSignature,
                format!("The request signature we calculated does not match the signature you provided. Signed header {name} is missing from the request."),
            ));
        }
        canonical.push_str(name);
        canonical.push(':');
        let joined: Vec<String> = values.iter().map(|v| collapse_spaces(v)).collect();
        canonical.push_str(&joined.join(","));
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(signed_headers);
    canonical.push('\n');
    canonical.push_str(payload_hash);
    Ok(canonical)
}

/// A header value trimmed, with runs of spaces made one.
fn collapse_spaces(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each path segment URI-encoded once more, as SigV4 does for every
/// service but S3.
fn canonical_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    path.split('/')
        .map(|segment| uri_encode(segment, true))
        .collect::<Vec<_>>()
        .join("/")
}

/// Query parameters decoded, re-encoded the SigV4 way and sorted.
fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), true),
                uri_encode(&percent_decode(v), true),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub(crate) fn uri_encode(text: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b'/' if !encode_slash => out.push('/'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Signing reproduces the published example's signature, and a signed
    /// POST with a body and a target passes verification.
    #[test]
    fn signs_as_the_published_example_and_as_verification_expects() {
        let credentials =
            SigningCredentials::parse("AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
                .unwrap();
        let now = SystemTime::from(time::macros::datetime!(2015-08-30 12:36:00 UTC));
        let (mut parts, ()) = hyper::Request::get("/")
            .header("host", "example.amazonaws.com")
            .body(())
            .unwrap()
            .into_parts();
        sign(&mut parts, b"", &credentials, "us-east-1", "service", now).unwrap();
        assert_eq!(
            parts.headers["authorization"],
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );

        let body = br#"{"StreamName":"orders"}"#;
        let (mut parts, ()) = hyper::Request::post("/")
            .header("host", "127.0.0.1:4567")
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", "Kinesis_20131202.PutRecords")
            .body(())
            .unwrap()
            .into_parts();
        let now = SystemTime::now();
        sign(&mut parts, body, &credentials, "eu-west-1", "kinesis", now).unwrap();
        let verifier = VerifySignatures::new(&[
            "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string(),
        ])
        .unwrap();
        let caller = verifier.verify(&parts, body, now).unwrap();
        assert_eq!(caller.region, "eu-west-1");
        assert!(verifier.verify(&parts, b"{}", now).is_err());
    }

    /// AWS's published SigV4 example (the "get-vanilla" case of the SigV4
    /// test suite): GET / with host and x-amz-date signed.
    #[test]
    fn verifies_the_published_example_and_refuses_changes() {
        let verifier = VerifySignatures::new(&[
            "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string(),
        ])
        .unwrap();
        let request = |signature: &str, date: &str| {
            hyper::Request::get("/")
                .header("host", "example.amazonaws.com")
                .header("x-amz-date", date)
                .header(
                    "authorization",
                    format!("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"),
                )
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        let signature = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
        let at = time::macros::datetime!(2015-08-30 12:36:00 UTC);
        let now = SystemTime::from(at);
        let caller = verifier
            .verify(&request(signature, "20150830T123600Z"), b"", now)
            .unwrap();
        assert_eq!(caller.region, "us-east-1");
        let wrong = verifier
            .verify(
                &request(&signature.replace('5', "6"), "20150830T123600Z"),
                b"",
                now,
            )
            .unwrap_err();
        assert_eq!(wrong.kind, ErrorKind::InvalidSignature);
        let later = SystemTime::from(at + time::Duration::minutes(16));
        let expired = verifier
            .verify(&request(signature, "20150830T123600Z"), b"", later)
            .unwrap_err();
        assert_eq!(expired.kind, ErrorKind::InvalidSignature);
        assert!(
            expired.message.starts_with(
                "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z"
            ),
            "{}",
            expired.message
        );
    }

    #[test]
    fn malformed_headers_are_incomplete_signatures() {
        let verifier = VerifySignatures::new(&["AKID:secret".to_string()]).unwrap();
        for header in [
            "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/dynamodb/aws4_request",
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00",
            "Basic abc",
        ] {
            let parts = hyper::Request::post("/")
                .header("authorization", header)
                .body(())
                .unwrap()
                .into_parts()
                .0;
            let error = verifier.verify(&parts, b"", SystemTime::now()).unwrap_err();
            assert_eq!(error.kind, ErrorKind::IncompleteSignature, "{header}");
        }
        let unknown = hyper::Request::post("/")
            .header("authorization", "AWS4-HMAC-SHA256 Credential=OTHER/20150830/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00")
            .body(())
            .unwrap()
            .into_parts()
            .0;
        let error = verifier
            .verify(&unknown, b"", SystemTime::now())
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::UnrecognizedClient);
        let anonymous = hyper::Request::post("/").body(()).unwrap().into_parts().0;
        let error = verifier
            .verify(&anonymous, b"", SystemTime::now())
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::MissingAuthenticationToken);
    }
}
