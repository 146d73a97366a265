//! EnableKinesisStreamingDestination: starts sending the table's item
//! changes to a Kinesis data stream (`kinesis`). The answer says ENABLING;
//! the server's delivery then finds the stream and makes it ACTIVE, or
//! ENABLE_FAILED with the reason in DescribeKinesisStreamingDestination.
//! Changes are recorded from this request on, so none made while the
//! destination is ENABLING is lost once it is ACTIVE.

use crate::kinesis::{self, DestinationStatus, KinesisDestination, DEFAULT_PRECISION};
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EnableKinesisStreamingDestinationInput {
    table_name: Option<String>,
    stream_arn: Option<String>,
    enable_kinesis_streaming_configuration: Option<StreamingConfiguration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct StreamingConfiguration {
    pub approximate_creation_date_time_precision: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: EnableKinesisStreamingDestinationInput = parse_input(body)?;
    let precision = input
        .enable_kinesis_streaming_configuration
        .as_ref()
        .and_then(|c| c.approximate_creation_date_time_precision.clone());
    let request = kinesis::check_request(
        input.table_name.as_deref(),
        input.stream_arn.as_deref(),
        precision.as_deref(),
        "enableKinesisStreamingConfiguration.approximateCreationDateTimePrecision",
        context,
    )?;
    let stream_arn = request.stream_arn;

    let _changes = db.catalog().lock_changes();
    let current = kinesis::table(db, request.table_name, &context.region)?;
    // One destination at a time: DynamoDB refuses a second while one is
    // ENABLING or ACTIVE, whichever stream it names.
    if current
        .kinesis_destinations
        .iter()
        .any(|d| d.status.records())
    {
        return Err(kinesis::invalid_state(
            "enable",
            "Enable",
            "DISABLED or ENABLE_FAILED",
        ));
    }
    let mut table = (*current).clone();
    let id = crate::catalog::next_id(db.engine())?;
    let log = kinesis::new_log(id, &table, db.streams().sequencer().peek_next());
    let destination = KinesisDestination {
        stream_arn: stream_arn.clone(),
        status: DestinationStatus::Enabling,
        status_description: None,
        precision: precision
            .clone()
            .unwrap_or_else(|| DEFAULT_PRECISION.to_string()),
        log: id,
    };
    // A stream enabled before keeps its place in the list.
    match table
        .kinesis_destinations
        .iter_mut()
        .find(|d| d.stream_arn == stream_arn)
    {
        Some(earlier) => *earlier = destination,
        None => table.kinesis_destinations.push(destination),
    }
    kinesis::save_destinations(db, table, Some(log), None)?;

    let mut response = Map::new();
    response.insert("TableName".into(), current.name.clone().into());
    response.insert("StreamArn".into(), stream_arn.into());
    response.insert("DestinationStatus".into(), "ENABLING".into());
    let configuration = match precision {
        Some(precision) => json!({"ApproximateCreationDateTimePrecision": precision}),
        None => json!({}),
    };
    response.insert("EnableKinesisStreamingConfiguration".into(), configuration);
    super::respond(response)
}
