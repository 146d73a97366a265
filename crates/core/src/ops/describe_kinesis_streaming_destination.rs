//! DescribeKinesisStreamingDestination: every Kinesis data stream the
//! table has been enabled for, with its status (`kinesis`).

use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeKinesisStreamingDestinationInput {
    table_name: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeKinesisStreamingDestinationInput = parse_input(body)?;
    let mut v = Violations::new();
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    v.finish()?;
    let table_name =
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?;
    let table = crate::kinesis::table(db, table_name, &context.region)?;
    let destinations: Vec<Value> = table
        .kinesis_destinations
        .iter()
        .map(|d| {
            let mut entry = json!({
                "StreamArn": d.stream_arn,
                "DestinationStatus": d.status.as_str(),
                "ApproximateCreationDateTimePrecision": d.precision,
            });
            if let Some(description) = &d.status_description {
                entry["DestinationStatusDescription"] = description.clone().into();
            }
            entry
        })
        .collect();
    let mut response = Map::new();
    response.insert("TableName".into(), table.name.clone().into());
    response.insert("KinesisDataStreamDestinations".into(), destinations.into());
    super::respond(response)
}
