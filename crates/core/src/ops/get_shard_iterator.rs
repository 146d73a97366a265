//! GetShardIterator (DynamoDB Streams): a position in a stream's shard,
//! at its oldest record kept (TRIM_HORIZON), after its newest (LATEST), or
//! at or after a sequence number.

use crate::streams::iterator::{self, Position};
use crate::streams::record::parse_sequence;
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError, ErrorKind};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetShardIteratorInput {
    stream_arn: Option<String>,
    shard_id: Option<String>,
    shard_iterator_type: Option<String>,
    sequence_number: Option<String>,
}

const ITERATOR_TYPES: &[&str] = &[
    "TRIM_HORIZON",
    "LATEST",
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
];

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: GetShardIteratorInput = parse_input(body)?;
    let mut v = Violations::new();
    if let Some(shard) = &input.shard_id {
        v.length_between(format_args!("'{shard}'"), shard.len(), "shardId", 28, 65);
    }
    if v.require(&input.shard_iterator_type, "shardIteratorType") {
        v.one_of(
            input.shard_iterator_type.as_deref(),
            "shardIteratorType",
            ITERATOR_TYPES,
        );
    }
    if let Some(sequence) = &input.sequence_number {
        v.length_between(
            format_args!("'{sequence}'"),
            sequence.len(),
            "sequenceNumber",
            21,
            40,
        );
    }
    v.finish()?;
    let arn = super::streams_common::stream_arn(
        input.stream_arn.as_deref(),
        "One or more parameter values were invalid: streamArn cannot be empty or null.",
    )?;
    let Some(shard_id) = input.shard_id.as_deref() else {
        return Err(DynamoError::validation("No ShardId specified."));
    };
    let kind = input.shard_iterator_type.as_deref().unwrap_or_default();
    let by_sequence = kind.ends_with("_SEQUENCE_NUMBER");
    let sequence = match (&input.sequence_number, by_sequence) {
        (Some(text), true) => Some(parse_sequence(text).ok_or_else(invalid_sequence)?),
        (None, true) => {
            return Err(DynamoError::validation(
                "One or more parameter values were invalid: Invalid SequenceNumber",
            ))
        }
        (Some(_), false) => {
            return Err(DynamoError::validation(
                "One or more parameter values were invalid: SequenceNumber should not be passed for this iterator type",
            ))
        }
        (None, false) => None,
    };
    let stream = db.streams().by_arn(arn)?;
    if stream.shard_id() != shard_id {
        return Err(DynamoError::new(
            ErrorKind::ResourceNotFound,
            "Shard does not exist",
        ));
    }
    let next = match (kind, sequence) {
        ("TRIM_HORIZON", _) => stream.oldest_readable(),
        ("AT_SEQUENCE_NUMBER", Some(n)) => n,
        ("AFTER_SEQUENCE_NUMBER", Some(n)) => n.saturating_add(1),
        _ => db.streams().sequencer().readable_end(),
    };
    if let Some(n) = sequence {
        if n < stream.first_sequence {
            return Err(invalid_sequence());
        }
        if n < stream.trimmed_before {
            return Err(super::get_records::trimmed());
        }
    }
    let position = Position {
        stream_id: stream.id,
        sequence: next.max(stream.oldest_readable()),
        issued_at: iterator::now_seconds(),
    };
    let mut response = Map::new();
    response.insert(
        "ShardIterator".into(),
        iterator::encode(&stream, position).into(),
    );
    super::respond(response)
}

fn invalid_sequence() -> DynamoError {
    DynamoError::validation("Invalid SequenceNumber for the shard")
}
