//! GetRecords (DynamoDB Streams): the records at a shard iterator's
//! position, up to Limit records or 1 MB, and the iterator to continue
//! from. A reader never passes a record whose write has not committed
//! yet (`streams::sequencer`), so following `NextShardIterator` sees every
//! record exactly once, in order.

use crate::streams::{iterator, record};
use crate::validate::Violations;
use crate::{keys, storage_error, Database};
use dynalith_model::{wire::parse_input, DynamoError, ErrorKind};
use dynalith_storage::ControlFlow;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetRecordsInput {
    shard_iterator: Option<String>,
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

    let readable_end = db.streams().sequencer().readable_end();
    let start = keys::stream_record(stream.id, position.sequence);
    let end = keys::stream_record(stream.id, readable_end.max(position.sequence));
    let mut out = Vec::with_capacity(1024);
    out.extend_from_slice(br#"{"Records":["#);
    let mut returned = 0usize;
    let mut bytes = 0usize;
    let mut next = position.sequence;
    let mut stopped_early = false;
    let mut failure = None;
    db.engine()
        .snapshot()
        .visit_range(&start, &end, false, &mut |key, value| {
            if returned == limit || (returned > 0 && bytes + value.len() > MAX_BYTES) {
                stopped_early = true;
                return ControlFlow::Break(());
            }
            let Some(sequence) = keys::sequence_of_stream_record(key) else {
                failure = Some(DynamoError::internal("corrupt stream record key"));
                return ControlFlow::Break(());
            };
            if returned > 0 {
                out.push(b',');
            }
            if let Err(e) = record::render(&mut out, &stream, sequence, value) {
                failure = Some(e);
                return ControlFlow::Break(());
            }
            returned += 1;
            bytes += value.len();
            next = sequence + 1;
            ControlFlow::Continue(())
        })
        .map_err(storage_error)?;
    if let Some(e) = failure {
        return Err(e);
    }
    out.push(b']');
    // A closed shard read to its end has no next iterator: that is how a
    // reader learns the shard is done.
    let exhausted = !stream.is_enabled() && !stopped_early;
    if !exhausted {
        let next = iterator::Position {
            stream_id: stream.id,
            sequence: next.max(position.sequence),
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
