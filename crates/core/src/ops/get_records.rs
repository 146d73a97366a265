//! GetRecords (DynamoDB Streams): the records at a shard iterator's
//! position, up to Limit records or 1 MB, and the iterator to continue
//! from. A reader never passes a record whose write has not committed
//! yet (`streams::sequencer`), so following `NextShardIterator` sees every
//! record exactly once, in order.

use crate::streams::iterator;
use crate::streams::reader::PageLimits;
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{json_integer, wire::parse_input, DynamoError, ErrorKind};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetRecordsInput {
    shard_iterator: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    limit: Option<i64>,
}

const MAX_LIMIT: i64 = 1000;
/// GetRecords returns at most this much record data.
const MAX_BYTES: usize = 1024 * 1024;

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: GetRecordsInput = parse_input(body)?;
    let mut v = Violations::new();
    v.at_least(input.limit, "limit", 1);
    v.finish()?;
    if input.limit.is_some_and(|l| l > MAX_LIMIT) {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Limit should be less than or equal to {MAX_LIMIT}"
        )));
    }
    let limit = input.limit.unwrap_or(MAX_LIMIT) as usize;
    let text = input.shard_iterator.as_deref().unwrap_or_default();
    let (position, arn) = iterator::decode(text)?;
    let stream = db
        .streams()
        .get(position.stream_id)
        .ok_or_else(|| crate::streams::stream_not_found(arn))?;
    if stream.arn() != arn {
        return Err(DynamoError::validation("Invalid ShardIterator"));
    }
    iterator::check_age(&position, iterator::now_seconds())?;
    if position.sequence < stream.trimmed_before {
        return Err(trimmed());
    }

    let page = db.read_stream(
        &stream,
        position.sequence,
        &PageLimits {
            records: limit,
            bytes: MAX_BYTES,
            event_source_arn: None,
        },
    )?;
    let mut out = Vec::with_capacity(page.json.len() + 256);
    out.extend_from_slice(br#"{"Records":["#);
    out.extend_from_slice(&page.json);
    out.push(b']');
    // A closed shard read to its end has no next iterator: that is how a
    // reader learns the shard is done.
    if !page.exhausted {
        let next = iterator::Position {
            stream_id: stream.id,
            sequence: page.next,
            issued_at: iterator::now_seconds(),
        };
        out.extend_from_slice(br#","NextShardIterator":"#);
        serde_json::to_writer(&mut out, &iterator::encode(&stream, next))
            .map_err(|e| DynamoError::internal(e.to_string()))?;
    }
    out.push(b'}');
    Ok(out)
}

/// A read below the stream's trim point.
pub(crate) fn trimmed() -> DynamoError {
    DynamoError::new(
        ErrorKind::TrimmedDataAccess,
        "The operation attempted to read past the oldest stream record in a shard.",
    )
}
