//! Shard iterators: opaque to clients, shaped as DynamoDB's are (the
//! stream's ARN, `|1|`, then a base64 token), and valid for 15 minutes.

use crate::streams::StreamMeta;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use dynalith_model::{DynamoError, ErrorKind};

/// How long an iterator may be used after it was handed out.
pub const LIFETIME_SECONDS: u64 = 15 * 60;

/// Where an iterator points: the next record to read in a stream's shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub stream_id: u32,
    pub sequence: u64,
    /// Seconds since the epoch when the iterator was handed out.
    pub issued_at: u64,
}

const TOKEN_LENGTH: usize = 4 + 8 + 8 + 8;

pub fn encode(stream: &StreamMeta, position: Position) -> String {
    let mut token = Vec::with_capacity(TOKEN_LENGTH);
    token.extend_from_slice(&position.stream_id.to_be_bytes());
    token.extend_from_slice(&position.sequence.to_be_bytes());
    token.extend_from_slice(&position.issued_at.to_be_bytes());
    let check = xxhash_rust::xxh3::xxh3_64(&token);
    token.extend_from_slice(&check.to_be_bytes());
    format!("{}|1|{}", stream.arn(), STANDARD.encode(token))
}

/// The position an iterator names, or DynamoDB's "Invalid ShardIterator".
pub fn decode(text: &str) -> Result<(Position, &str), DynamoError> {
    let invalid = || DynamoError::validation("Invalid ShardIterator");
    let (arn, token) = text.rsplit_once("|1|").ok_or_else(invalid)?;
    let token = STANDARD.decode(token).map_err(|_| invalid())?;
    if token.len() != TOKEN_LENGTH {
        return Err(invalid());
    }
    let (body, check) = token.split_at(TOKEN_LENGTH - 8);
    if xxhash_rust::xxh3::xxh3_64(body).to_be_bytes() != check {
        return Err(invalid());
    }
    let word = |range: std::ops::Range<usize>| {
        let mut raw = [0u8; 8];
        raw[8 - range.len()..].copy_from_slice(&body[range]);
        u64::from_be_bytes(raw)
    };
    let position = Position {
        stream_id: word(0..4) as u32,
        sequence: word(4..12),
        issued_at: word(12..20),
    };
    Ok((position, arn))
}

/// Refuses an iterator older than its lifetime.
pub fn check_age(position: &Position, now: u64) -> Result<(), DynamoError> {
    if now.saturating_sub(position.issued_at) > LIFETIME_SECONDS {
        return Err(DynamoError::new(
            ErrorKind::ExpiredIterator,
            "The provided iterator exceeds the maximum age allowed.",
        ));
    }
    Ok(())
}

/// Seconds since the epoch, for iterator ages.
pub fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
