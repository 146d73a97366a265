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

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> StreamMeta {
        crate::streams::test_stream(9, "KEYS_ONLY")
    }

    #[test]
    fn iterators_round_trip_and_tampering_is_refused() {
        let position = Position {
            stream_id: 9,
            sequence: 1234,
            issued_at: 1_800_000_000,
        };
        let text = encode(&stream(), position);
        assert!(text.starts_with(&format!("{}|1|", stream().arn())));
        let (decoded, arn) = decode(&text).unwrap();
        assert_eq!(decoded, position);
        assert_eq!(arn, stream().arn());
        let mut token = STANDARD.decode(text.rsplit_once("|1|").unwrap().1).unwrap();
        token[11] ^= 1; // another sequence number, same checksum
        let forged = format!("{arn}|1|{}", STANDARD.encode(token));
        assert_eq!(
            decode(&forged).unwrap_err().message,
            "Invalid ShardIterator"
        );
        for garbage in ["", "x", "a|1|", "a|1|!!!", "a|1|AAAA"] {
            assert!(decode(garbage).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn iterators_expire_after_fifteen_minutes() {
        let position = Position {
            stream_id: 9,
            sequence: 1,
            issued_at: 1_000,
        };
        assert!(check_age(&position, 1_000 + LIFETIME_SECONDS).is_ok());
        let expired = check_age(&position, 1_001 + LIFETIME_SECONDS).unwrap_err();
        assert_eq!(expired.kind, ErrorKind::ExpiredIterator);
    }
}
