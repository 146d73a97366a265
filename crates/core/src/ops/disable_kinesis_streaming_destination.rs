//! DisableKinesisStreamingDestination: stops sending the table's changes
//! to a Kinesis data stream. The answer says DISABLING, as DynamoDB's
//! does; the change is complete at once (no later write is sent), so
//! DescribeKinesisStreamingDestination then says DISABLED. Records not
//! yet delivered are dropped with the destination's record log.

use super::enable_kinesis_streaming_destination::StreamingConfiguration;
use crate::kinesis::{self, DestinationStatus};
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DisableKinesisStreamingDestinationInput {
    table_name: Option<String>,
    stream_arn: Option<String>,
    /// In DynamoDB's model of this operation too; only checked and echoed.
    enable_kinesis_streaming_configuration: Option<StreamingConfiguration>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: DisableKinesisStreamingDestinationInput = parse_input(body)?;
    let precision = input
        .enable_kinesis_streaming_configuration
        .as_ref()
        .map(|c| c.approximate_creation_date_time_precision.clone());
    let request = kinesis::check_request(
        input.table_name.as_deref(),
        input.stream_arn.as_deref(),
        precision.clone().flatten().as_deref(),
        "enableKinesisStreamingConfiguration.approximateCreationDateTimePrecision",
        context,
    )?;
    let stream_arn = request.stream_arn;

    let _changes = db.catalog().lock_changes();
    let current = kinesis::table(db, request.table_name, &context.region)?;
    let mut table = (*current).clone();
    let destination = kinesis::active_destination(&mut table, &stream_arn, "Disable")?;
    destination.status = DestinationStatus::Disabled;
    destination.status_description = None;
    let closed = kinesis::closed_log(db, destination.log);
    kinesis::save_destinations(db, table, None, closed)?;

    let mut response = Map::new();
    response.insert("TableName".into(), current.name.clone().into());
    response.insert("StreamArn".into(), stream_arn.into());
    response.insert("DestinationStatus".into(), "DISABLING".into());
    if let Some(precision) = precision {
        let configuration = match precision {
            Some(precision) => json!({"ApproximateCreationDateTimePrecision": precision}),
            None => json!({}),
        };
        response.insert("EnableKinesisStreamingConfiguration".into(), configuration);
    }
    super::respond(response)
}
