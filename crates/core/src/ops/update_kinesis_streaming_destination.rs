//! UpdateKinesisStreamingDestination: changes an ACTIVE destination's
//! ApproximateCreationDateTimePrecision. The answer says UPDATING, as
//! DynamoDB's does; records delivered from then on carry the new
//! precision, and the destination is ACTIVE again at once.

use crate::kinesis;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateKinesisStreamingDestinationInput {
    table_name: Option<String>,
    stream_arn: Option<String>,
    update_kinesis_streaming_configuration: Option<UpdateConfiguration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateConfiguration {
    approximate_creation_date_time_precision: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: UpdateKinesisStreamingDestinationInput = parse_input(body)?;
    let precision = input
        .update_kinesis_streaming_configuration
        .as_ref()
        .and_then(|c| c.approximate_creation_date_time_precision.clone());
    let request = kinesis::check_request(
        input.table_name.as_deref(),
        input.stream_arn.as_deref(),
        precision.as_deref(),
        "updateKinesisStreamingConfiguration.approximateCreationDateTimePrecision",
        context,
    )?;
    let stream_arn = request.stream_arn;
    // Precision is the only setting there is to update.
    let Some(precision) = precision else {
        return Err(DynamoError::validation(
            "Invalid Request: UpdateKinesisStreamingConfiguration must name an \
             ApproximateCreationDateTimePrecision",
        ));
    };

    let _changes = db.catalog().lock_changes();
    let current = kinesis::table(db, request.table_name, &context.region)?;
    let mut table = (*current).clone();
    let destination = kinesis::active_destination(&mut table, &stream_arn, "Update")?;
    if destination.precision == precision {
        return Err(DynamoError::validation(format!(
            "Invalid Request: ApproximateCreationDateTimePrecision is already {precision}"
        )));
    }
    destination.precision = precision.clone();
    kinesis::save_destinations(db, table, None, None)?;

    let mut response = Map::new();
    response.insert("TableName".into(), current.name.clone().into());
    response.insert("StreamArn".into(), stream_arn.into());
    response.insert("DestinationStatus".into(), "UPDATING".into());
    response.insert(
        "UpdateKinesisStreamingConfiguration".into(),
        json!({"ApproximateCreationDateTimePrecision": precision}),
    );
    super::respond(response)
}
