//! ClientRequestToken idempotency (TransactWriteItems): a request repeated
//! with the same token within ten minutes returns the first one's result
//! without writing again; the same token with other parameters is an
//! IdempotentParameterMismatchException.
//!
//! A token's record is written in the storage transaction of the request
//! it belongs to, so a request is applied and remembered atomically — also
//! across crashes. Records are purged once their window has passed, oldest
//! first, from an in-memory queue rebuilt at start-up.

use crate::write::BeforeCommitError;
use crate::{keys, storage_error};
use dynalith_model::{DynamoError, ErrorKind};
use dynalith_storage::{Engine, StorageError, Transaction};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How long DynamoDB honours a token.
const WINDOW_MS: u64 = 10 * 60 * 1000;

#[derive(Serialize, Deserialize)]
struct TokenRecord {
    expires_at_ms: u64,
    /// Hash of the request's parameters (all but the token).
    fingerprint: u64,
    /// The response body the request got.
    response: String,
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What a token says about a request about to run.
pub enum Seen {
    /// First use (or expired): run the request.
    New,
    /// Already done with the same parameters: answer this.
    Repeat(Vec<u8>),
}

/// The fingerprint of a request's parameters: its JSON without the token,
/// with object keys in a canonical order.
pub fn fingerprint(body: &[u8]) -> Result<u64, DynamoError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| dynalith_model::wire::json_error(&e))?;
    if let Some(object) = value.as_object_mut() {
        object.remove("ClientRequestToken");
    }
    let canonical = serde_json::to_vec(&value)
        .map_err(|e| DynamoError::internal(format!("request encoding failed: {e}")))?;
    Ok(xxhash_rust::xxh3::xxh3_64(&canonical))
}

#[derive(Default)]
pub struct RequestTokens {
    /// (expiry, token), oldest first.
    expiries: Mutex<VecDeque<(u64, String)>>,
}

impl RequestTokens {
    pub fn load(engine: &dyn Engine) -> Result<RequestTokens, DynamoError> {
        let (start, end) = keys::request_tokens_range();
        let snapshot = engine.snapshot();
        let mut expiries = Vec::new();
        for entry in snapshot.scan(&start, &end, false) {
            let (key, value) = entry.map_err(storage_error)?;
            let token = String::from_utf8_lossy(&key[2..]).into_owned();
            let expires = serde_json::from_slice::<TokenRecord>(&value)
                .map(|r| r.expires_at_ms)
                .unwrap_or(0);
            expiries.push((expires, token));
        }
        expiries.sort();
        Ok(RequestTokens {
            expiries: Mutex::new(expiries.into()),
        })
    }

    /// Checks `token` inside the request's transaction, locking it so that
    /// concurrent requests with one token run one after the other.
    pub fn check(
        &self,
        txn: &mut dyn Transaction,
        token: &str,
        fingerprint: u64,
    ) -> Result<Seen, BeforeCommitError> {
        let Some(raw) = txn.get_for_update(&keys::request_token(token))? else {
            return Ok(Seen::New);
        };
        let record: TokenRecord = serde_json::from_slice(&raw)
            .map_err(|e| DynamoError::internal(format!("corrupt token record: {e}")))?;
        if record.expires_at_ms <= now_ms() {
            return Ok(Seen::New);
        }
        if record.fingerprint != fingerprint {
            return Err(DynamoError::new(
                ErrorKind::IdempotentParameterMismatch,
                "Request parameters do not match the request that first used this ClientRequestToken",
            )
            .into());
        }
        Ok(Seen::Repeat(record.response.into_bytes()))
    }

    /// Records the request's response under its token, in its transaction.
    pub fn record(
        &self,
        txn: &mut dyn Transaction,
        token: &str,
        fingerprint: u64,
        response: &[u8],
    ) -> Result<(), BeforeCommitError> {
        let record = TokenRecord {
            expires_at_ms: now_ms() + WINDOW_MS,
            fingerprint,
            response: String::from_utf8_lossy(response).into_owned(),
        };
        let encoded = serde_json::to_vec(&record)
            .map_err(|e| DynamoError::internal(format!("token encoding failed: {e}")))?;
        txn.put(&keys::request_token(token), &encoded)?;
        Ok(())
    }

    /// Remembers a committed token for purging.
    pub fn committed(&self, token: &str) {
        self.expiries
            .lock()
            .push_back((now_ms() + WINDOW_MS, token.to_string()));
    }

    /// Deletes the records whose window has passed.
    pub fn purge_expired(&self, engine: &dyn Engine) {
        let now = now_ms();
        let expired: Vec<String> = {
            let mut expiries = self.expiries.lock();
            let mut out = Vec::new();
            while expiries.front().is_some_and(|(at, _)| *at <= now) {
                out.extend(expiries.pop_front().map(|(_, token)| token));
            }
            out
        };
        if expired.is_empty() {
            return;
        }
        let result = (|| -> Result<(), StorageError> {
            let mut txn = engine.begin();
            for token in &expired {
                let key = keys::request_token(token);
                // A token reused after expiry has a fresh record: keep it.
                let live = txn
                    .get_for_update(&key)?
                    .and_then(|raw| serde_json::from_slice::<TokenRecord>(&raw).ok())
                    .is_some_and(|r| r.expires_at_ms > now);
                if !live {
                    txn.delete(&key)?;
                }
            }
            txn.commit()
        })();
        if let Err(e) = result {
            tracing::warn!(%e, "purging expired request tokens failed; retried later");
            let mut expiries = self.expiries.lock();
            for token in expired {
                expiries.push_front((now, token));
            }
        }
    }
}
