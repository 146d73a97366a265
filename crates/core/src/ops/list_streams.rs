//! ListStreams (DynamoDB Streams): every stream still kept, of all tables
//! or of one, oldest first, paged by ARN.

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListStreamsInput {
    table_name: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    limit: Option<i64>,
    exclusive_start_stream_arn: Option<String>,
}

const MAX_LIMIT: i64 = 100;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: ListStreamsInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name_with_min(input.table_name.as_deref(), "tableName", 3, false);
    if let Some(arn) = &input.exclusive_start_stream_arn {
        v.length_between(
            format_args!("'{arn}'"),
            arn.len(),
            "exclusiveStartStreamArn",
            37,
            1024,
        );
    }
    v.at_least(input.limit, "limit", 1);
    v.finish()?;
    if input.limit.is_some_and(|l| l > MAX_LIMIT) {
        return Err(DynamoError::validation(format!(
            "One or more parameter values were invalid: Limit cannot be greater than the maximum allowed size: {MAX_LIMIT}"
        )));
    }
    let limit = input.limit.unwrap_or(MAX_LIMIT) as usize;
    let mut streams: Vec<_> = db
        .streams()
        .all()
        .into_iter()
        .filter(|s| input.table_name.as_ref().is_none_or(|t| &s.table_name == t))
        // A global table's streams are listed in its Regions only (the
        // streams of a deleted table wherever they were).
        .filter(|s| {
            (db.catalog().get(&s.table_name)).is_none_or(|table| table.answers_in(&context.region))
        })
        .collect();
    if let Some(start) = &input.exclusive_start_stream_arn {
        // An ARN that names no stream kept starts past the end, as
        // DynamoDB Local answers it.
        let after = streams
            .iter()
            .position(|s| &s.arn() == start)
            .map_or(streams.len(), |i| i + 1);
        streams.drain(..after);
    }
    let more = streams.len() > limit;
    streams.truncate(limit);
    let mut response = Map::new();
    if more {
        if let Some(last) = streams.last() {
            response.insert("LastEvaluatedStreamArn".into(), last.arn().into());
        }
    }
    let listed: Vec<_> = streams
        .iter()
        .map(|s| json!({"StreamArn": s.arn(), "TableName": s.table_name, "StreamLabel": s.label}))
        .collect();
    response.insert("Streams".into(), listed.into());
    super::respond(response)
}
