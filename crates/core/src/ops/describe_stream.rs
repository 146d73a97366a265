//! DescribeStream (DynamoDB Streams): a stream's status, key schema and
//! its one shard (see `streams`), closed once the stream is disabled.

use crate::streams::record::sequence_text;
use crate::validate::Violations;
use crate::{keys, storage_error, Database};
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeStreamInput {
    stream_arn: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    limit: Option<i64>,
    exclusive_start_shard_id: Option<String>,
}

const MAX_LIMIT: i64 = 100;

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeStreamInput = parse_input(body)?;
    let mut v = Violations::new();
    if let Some(shard) = &input.exclusive_start_shard_id {
        v.length_between(
            format_args!("'{shard}'"),
            shard.len(),
            "exclusiveStartShardId",
            28,
            65,
        );
    }
    v.at_least(input.limit, "limit", 1);
    v.finish()?;
    let arn = super::streams_common::stream_arn(input.stream_arn.as_deref(), "Invalid StreamArn")?;
    if input.limit.is_some_and(|l| l > MAX_LIMIT) {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Limit cannot be greater than the maximum: {MAX_LIMIT}"
        )));
    }
    let stream = db.streams().by_arn(arn)?;
    let shard_id = stream.shard_id();
    let mut shards = Vec::new();
    if input.exclusive_start_shard_id.as_deref() != Some(shard_id.as_str()) {
        let mut range = Map::new();
        range.insert(
            "StartingSequenceNumber".into(),
            sequence_text(stream.oldest_readable()).into(),
        );
        if !stream.is_enabled() {
            let (start, end) = keys::stream_records_range(stream.id);
            let last = match db.engine().snapshot().scan(&start, &end, true).next() {
                Some(entry) => keys::sequence_of_stream_record(&entry.map_err(storage_error)?.0),
                None => None,
            };
            let ending = last
                .unwrap_or(stream.first_sequence)
                .max(stream.first_sequence);
            range.insert("EndingSequenceNumber".into(), sequence_text(ending).into());
        }
        shards.push(json!({"ShardId": shard_id, "SequenceNumberRange": Value::Object(range)}));
    }
    let key_schema: Vec<Value> = std::iter::once(json!({
        "AttributeName": stream.key_schema.partition.name, "KeyType": "HASH"
    }))
    .chain(
        stream
            .key_schema
            .sort
            .iter()
            .map(|s| json!({"AttributeName": s.name, "KeyType": "RANGE"})),
    )
    .collect();
    let description = json!({
        "StreamArn": stream.arn(),
        "StreamLabel": stream.label,
        "StreamStatus": if stream.is_enabled() { "ENABLED" } else { "DISABLED" },
        "StreamViewType": stream.view_type,
        "CreationRequestDateTime": stream.created_at,
        "TableName": stream.table_name,
        "KeySchema": key_schema,
        "Shards": shards,
    });
    let mut response = Map::new();
    response.insert("StreamDescription".into(), description);
    super::respond(response)
}
