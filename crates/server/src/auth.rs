//! Authentication, kept apart from everything else so that SigV4
//! verification can replace the default without touching dispatch.

use dynalith_model::{DynamoError, ErrorKind};
use hyper::http::request::Parts;

/// Who sent a request, as far as the operations care.
#[derive(Clone, Debug)]
pub struct Caller {
    pub access_key_id: String,
    pub region: String,
}

pub trait Authenticator: Send + Sync {
    /// Checks the request's credentials. `body` is the raw request body,
    /// which a verifying implementation hashes.
    fn authenticate(&self, parts: &Parts, body: &[u8]) -> Result<Caller, DynamoError>;
}

/// Accepts any well-formed SigV4 `Authorization` header without verifying
/// the signature, as DynamoDB Local does, but still reads the credential
/// scope so ARNs name the caller's region.
pub struct AcceptAnyCredentials;

const DEFAULT_REGION: &str = "us-east-1";

impl Authenticator for AcceptAnyCredentials {
    fn authenticate(&self, parts: &Parts, _body: &[u8]) -> Result<Caller, DynamoError> {
        let header = parts
            .headers
            .get(hyper::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok());
        let query_signed = parts
            .uri
            .query()
            .is_some_and(|q| q.contains("X-Amz-Credential="));
        let Some(header) = header else {
            if query_signed {
                return Ok(Caller {
                    access_key_id: String::new(),
                    region: DEFAULT_REGION.into(),
                });
            }
            return Err(DynamoError::new(
                ErrorKind::MissingAuthenticationToken,
                "Request is missing Authentication Token",
            ));
        };
        Ok(parse_credential_scope(header).unwrap_or_else(|| Caller {
            access_key_id: String::new(),
            region: DEFAULT_REGION.into(),
        }))
    }
}

/// `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/dynamodb/aws4_request, ...`
fn parse_credential_scope(header: &str) -> Option<Caller> {
    let credential = header
        .split([',', ' '])
        .find_map(|part| part.trim().strip_prefix("Credential="))?;
    let mut scope = credential.split('/');
    let access_key_id = scope.next()?.to_string();
    let _date = scope.next()?;
    let region = scope.next().filter(|r| !r.is_empty())?.to_string();
    Some(Caller {
        access_key_id,
        region,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_region_from_the_credential_scope() {
        let caller = parse_credential_scope(
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc",
        )
        .unwrap();
        assert_eq!(caller.region, "eu-west-1");
        assert_eq!(caller.access_key_id, "AKID");
        assert!(parse_credential_scope("garbage").is_none());
    }
}
