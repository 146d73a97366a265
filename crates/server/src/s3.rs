//! The client of an S3-compatible service (`--s3-endpoint`: S3 itself,
//! MinIO, LocalStack) that table exports are written to and imports read
//! from (`dynalith_core::s3`): PutObject, GetObject and ListObjectsV2,
//! path-style (`/bucket/key`, which every S3-compatible service takes),
//! signed with SigV4.
//!
//! Exports and imports run on threads of their own and call it blocking:
//! each call drives its request on a small runtime of its own, which also
//! keeps it off the runtime serving requests.

use crate::outgoing;
use crate::sigv4::{self, SigningCredentials};
use bytes::Bytes;
use dynalith_core::local_s3::S3Failure;
use dynalith_core::s3::{Bucket, Encryption, RemoteS3};
use http_body_util::Full;
use hyper::{Method, StatusCode, Uri};
use quick_xml::events::Event;
use std::time::{Duration, SystemTime};
use tokio_rustls::TlsConnector;

/// How long one call may take: an export's data file is at most a few
/// megabytes.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

pub struct S3Endpoint {
    pub url: Uri,
    pub credentials: SigningCredentials,
    /// The Region requests are signed for (the bucket's).
    pub region: String,
    /// For an https:// endpoint.
    pub tls: Option<TlsConnector>,
}

impl std::fmt::Debug for S3Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Endpoint")
            .field("url", &self.url)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl S3Endpoint {
    /// Checks an `http[s]://host[:port][/path]` URL.
    pub fn parse_url(text: &str) -> Result<Uri, String> {
        outgoing::parse_url(text, "S3 endpoint")
    }

    /// One signed call on the object (or, with an empty key, the bucket),
    /// with `headers` besides those of every call. `query` is already
    /// encoded.
    fn call(
        &self,
        method: Method,
        bucket: Bucket<'_>,
        key: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<outgoing::Answer, S3Failure> {
        let base = self.url.path().trim_end_matches('/');
        let mut target = format!("{base}/{}", sigv4::uri_encode(bucket.name, true));
        if !key.is_empty() {
            target.push('/');
            target.push_str(&sigv4::uri_encode(key, false));
        }
        if !query.is_empty() {
            target.push('?');
            target.push_str(query);
        }
        let authority = self
            .url
            .authority()
            .map(|a| a.to_string())
            .unwrap_or_default();
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(target)
            .header(hyper::header::HOST, authority);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(owner) = bucket.expected_owner {
            request = request.header("x-amz-expected-bucket-owner", owner);
        }
        let request = request
            .body(())
            .map_err(|e| transport_failure(e.to_string()))?;
        let (mut parts, ()) = request.into_parts();
        sigv4::sign(
            &mut parts,
            body,
            &self.credentials,
            &self.region,
            "s3",
            SystemTime::now(),
        )
        .map_err(transport_failure)?;
        let request = hyper::Request::from_parts(parts, Full::new(Bytes::copy_from_slice(body)));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| transport_failure(e.to_string()))?;
        let answer = runtime
            .block_on(outgoing::send(
                &self.url,
                self.tls.as_ref(),
                request,
                CALL_TIMEOUT,
            ))
            .map_err(transport_failure)?;
        if answer.status == StatusCode::OK {
            Ok(answer)
        } else {
            Err(refused(&answer))
        }
    }
}

impl RemoteS3 for S3Endpoint {
    fn put(
        &self,
        bucket: Bucket<'_>,
        key: &str,
        bytes: &[u8],
        encryption: Encryption<'_>,
    ) -> Result<(), S3Failure> {
        let headers = encryption_headers(encryption);
        self.call(Method::PUT, bucket, key, "", &headers, bytes)
            .map(drop)
    }

    fn get(&self, bucket: Bucket<'_>, key: &str) -> Result<Vec<u8>, S3Failure> {
        Ok(self
            .call(Method::GET, bucket, key, "", &[], b"")?
            .body
            .to_vec())
    }

    fn list(&self, bucket: Bucket<'_>, prefix: &str) -> Result<Vec<String>, S3Failure> {
        let mut keys = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let mut query = format!("list-type=2&prefix={}", sigv4::uri_encode(prefix, true));
            if let Some(token) = &continuation {
                query.push_str("&continuation-token=");
                query.push_str(&sigv4::uri_encode(token, true));
            }
            let answer = self.call(Method::GET, bucket, "", &query, &[], b"")?;
            let page = ListPage::parse(&answer.body)?;
            keys.extend(page.keys);
            match page.next {
                Some(token) if page.truncated => continuation = Some(token),
                _ => break,
            }
        }
        // S3 lists in this order already; a service that does not would
        // otherwise change which file an import reads first.
        keys.sort();
        Ok(keys)
    }
}

/// PutObject's server-side encryption headers for an export's
/// S3SseAlgorithm and S3SseKmsKeyId (DynamoDB's `KMS` is S3's `aws:kms`).
fn encryption_headers(encryption: Encryption<'_>) -> Vec<(&str, &str)> {
    let mut headers = Vec::new();
    match encryption.algorithm {
        Some("AES256") => headers.push(("x-amz-server-side-encryption", "AES256")),
        Some("KMS") => {
            headers.push(("x-amz-server-side-encryption", "aws:kms"));
            if let Some(key) = encryption.kms_key_id {
                headers.push(("x-amz-server-side-encryption-aws-kms-key-id", key));
            }
        }
        _ => {}
    }
    headers
}

fn transport_failure(message: String) -> S3Failure {
    S3Failure::new("S3IOError", message)
}

/// An S3 error answer (`<Error><Code>NoSuchBucket</Code>...`) as an
/// export's or import's failure: FailureCode `S3` and S3's code, as
/// DynamoDB reports them (S3NoSuchBucket, S3AccessDenied).
fn refused(answer: &outgoing::Answer) -> S3Failure {
    let (code, message) = error_of(&answer.body);
    match code {
        Some(code) => S3Failure::new(
            failure_code(&code),
            message.unwrap_or_else(|| format!("S3 answered {}", answer.status)),
        ),
        None => S3Failure::new(
            "S3IOError",
            format!("S3 answered {}: {}", answer.status, answer.body_start()),
        ),
    }
}

/// The failure codes are `'static` (the local stand-in's are constants):
/// S3's common codes map to their names, any other to a generic one, the
/// code then kept in the message.
fn failure_code(code: &str) -> &'static str {
    match code {
        "NoSuchBucket" => "S3NoSuchBucket",
        "NoSuchKey" => "S3NoSuchKey",
        "AccessDenied" => "S3AccessDenied",
        "InvalidBucketName" => "S3InvalidBucketName",
        "InvalidAccessKeyId" => "S3InvalidAccessKeyId",
        "SignatureDoesNotMatch" => "S3SignatureDoesNotMatch",
        _ => "S3Error",
    }
}

/// The text of the elements named `names`, in document order, with the
/// name of each.
fn texts(xml: &[u8], names: &[&str]) -> Result<Vec<(String, String)>, String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut open: Option<String> = None;
    let mut found = Vec::new();
    let mut buf = Vec::new();
    loop {
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| e.to_string())?
        {
            Event::Start(start) => {
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                open = names.contains(&name.as_str()).then_some(name);
                if let Some(name) = &open {
                    found.push((name.clone(), String::new()));
                }
            }
            Event::Text(text) => {
                if let (Some(_), Some((_, value))) = (&open, found.last_mut()) {
                    let text = text.decode().map_err(|e| e.to_string())?;
                    value.push_str(&quick_xml::escape::unescape(&text).map_err(|e| e.to_string())?);
                }
            }
            Event::GeneralRef(reference) => {
                if let (Some(_), Some((_, value))) = (&open, found.last_mut()) {
                    let name = reference.decode().map_err(|e| e.to_string())?;
                    let entity = format!("&{name};");
                    value.push_str(
                        &quick_xml::escape::unescape(&entity).map_err(|e| e.to_string())?,
                    );
                }
            }
            Event::End(_) => open = None,
            Event::Eof => return Ok(found),
            _ => {}
        }
        buf.clear();
    }
}

fn error_of(xml: &[u8]) -> (Option<String>, Option<String>) {
    let found = texts(xml, &["Code", "Message"]).unwrap_or_default();
    let take = |wanted: &str| {
        found
            .iter()
            .find(|(name, _)| name == wanted)
            .map(|(_, value)| value.clone())
    };
    (take("Code"), take("Message"))
}

/// One page of ListObjectsV2.
#[derive(Debug, PartialEq)]
struct ListPage {
    keys: Vec<String>,
    truncated: bool,
    next: Option<String>,
}

impl ListPage {
    fn parse(xml: &[u8]) -> Result<ListPage, S3Failure> {
        let found = texts(xml, &["Key", "IsTruncated", "NextContinuationToken"])
            .map_err(|e| S3Failure::new("S3IOError", format!("unreadable object list: {e}")))?;
        let mut page = ListPage {
            keys: Vec::new(),
            truncated: false,
            next: None,
        };
        for (name, value) in found {
            match name.as_str() {
                "Key" => page.keys.push(value),
                "IsTruncated" => page.truncated = value == "true",
                _ => page.next = Some(value),
            }
        }
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Keys come back as they were stored, whatever XML had to escape
        /// in them (`&`, `<`, quotes) and whatever else they hold.
        #[test]
        fn list_pages_give_back_the_keys_they_were_made_of(
            keys in prop::collection::vec("[ -~\u{e9}\u{4e2d}]{1,24}", 0..6),
            next in prop::option::of("[ -~]{1,16}"),
        ) {
            let mut xml = String::from("<ListBucketResult><IsTruncated>");
            xml.push_str(if next.is_some() { "true" } else { "false" });
            xml.push_str("</IsTruncated>");
            for key in &keys {
                xml.push_str(&format!(
                    "<Contents><Key>{}</Key><Size>1</Size></Contents>",
                    quick_xml::escape::escape(key.as_str())
                ));
            }
            if let Some(token) = &next {
                xml.push_str(&format!(
                    "<NextContinuationToken>{}</NextContinuationToken>",
                    quick_xml::escape::escape(token.as_str())
                ));
            }
            xml.push_str("</ListBucketResult>");
            let page = ListPage::parse(xml.as_bytes()).unwrap();
            prop_assert_eq!(page, ListPage { keys, truncated: next.is_some(), next });
        }

        /// Whatever a service answers is a page, an error or a failure,
        /// never a panic of the export's thread.
        #[test]
        fn any_answer_is_read_without_panicking(body in prop::collection::vec(any::<u8>(), 0..200)) {
            let _ = ListPage::parse(&body);
            let _ = error_of(&body);
        }
    }

    #[test]
    fn a_list_page_gives_its_keys_unescaped_and_where_to_go_on() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bk</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>p/a&amp;b.json</Key><Size>3</Size></Contents><Contents><Key>p/c d</Key></Contents><NextContinuationToken>tok/1=</NextContinuationToken></ListBucketResult>"#;
        assert_eq!(
            ListPage::parse(xml).unwrap(),
            ListPage {
                keys: vec!["p/a&b.json".to_string(), "p/c d".to_string()],
                truncated: true,
                next: Some("tok/1=".to_string()),
            }
        );
        let last = br#"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"#;
        assert_eq!(ListPage::parse(last).unwrap().keys, Vec::<String>::new());
    }

    #[test]
    fn an_error_answer_names_s3s_code() {
        let answer = outgoing::Answer {
            status: StatusCode::NOT_FOUND,
            headers: Default::default(),
            body: Bytes::from_static(
                b"<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>nope</BucketName></Error>",
            ),
        };
        let failure = refused(&answer);
        assert_eq!(failure.code, "S3NoSuchBucket");
        assert_eq!(failure.message, "The specified bucket does not exist");
        let teapot = outgoing::Answer {
            status: StatusCode::IM_A_TEAPOT,
            headers: Default::default(),
            body: Bytes::from_static(b"no xml"),
        };
        assert_eq!(refused(&teapot).code, "S3IOError");
    }
}
