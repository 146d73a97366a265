//! UpdateTable: billing mode, provisioned throughput, deletion protection,
//! stream specification and table class. Index changes arrive with the
//! secondary-index work.

use super::shapes::{ProvisionedThroughputInput, StreamSpecificationInput, BILLING_MODES};
use crate::catalog::{BillingMode, StreamSettings, TableMeta};
use crate::validate::Violations;
use crate::{describe, keys, now_epoch_seconds, storage_error, Database};
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateTableInput {
    table_name: Option<String>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ProvisionedThroughputInput>,
    deletion_protection_enabled: Option<bool>,
    stream_specification: Option<StreamSpecificationInput>,
    global_secondary_index_updates: Option<Vec<serde_json::Value>>,
    table_class: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: UpdateTableInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name(input.table_name.as_deref(), "tableName");
    if let Some(t) = &input.provisioned_throughput {
        t.check(&mut v, "provisionedThroughput");
    }
    v.one_of(input.billing_mode.as_deref(), "billingMode", BILLING_MODES);
    if let Some(spec) = &input.stream_specification {
        spec.check(&mut v, "streamSpecification");
    }
    v.one_of(
        input.table_class.as_deref(),
        "tableClass",
        &["STANDARD", "STANDARD_INFREQUENT_ACCESS"],
    );
    v.finish()?;
    if let Some(t) = &input.provisioned_throughput {
        t.check_bounds()?;
    }
    if input.global_secondary_index_updates.is_some() {
        return Err(DynamoError::validation(
            "One or more parameter values were invalid: secondary indexes are not supported by this server yet",
        ));
    }
    if input.billing_mode.is_none()
        && input.provisioned_throughput.is_none()
        && input.deletion_protection_enabled.is_none()
        && input.stream_specification.is_none()
        && input.table_class.is_none()
    {
        return Err(DynamoError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    let name = input.table_name.clone().unwrap_or_default();

    let _changes = db.catalog().lock_changes();
    let current = db
        .catalog()
        .get(&name)
        .ok_or_else(|| DynamoError::table_not_found(&name))?;
    let mut table = (*current).clone();
    let now = now_epoch_seconds();
    apply_billing(&mut table, &input, now)?;
    if let Some(spec) = &input.stream_specification {
        apply_stream(&mut table, spec)?;
    }
    if let Some(protect) = input.deletion_protection_enabled {
        table.deletion_protection = protect;
    }
    if let Some(class) = &input.table_class {
        table.table_class = class.clone();
    }

    let encoded = serde_json::to_vec(&table).map_err(|e| DynamoError::internal(e.to_string()))?;
    let mut txn = db.engine().begin();
    txn.put(&keys::table_entry(&name), &encoded)
        .map_err(storage_error)?;
    txn.commit().map_err(storage_error)?;
    let (count, size) = db.table_counters(table.id)?;
    // DynamoDB reports UPDATING while it applies the change; ours is
    // applied already, and the next DescribeTable says ACTIVE.
    let description = describe::table_description(&table, "UPDATING", count, size);
    db.catalog().publish(table);
    let mut response = Map::new();
    response.insert("TableDescription".into(), description);
    super::respond(response)
}

fn apply_billing(
    table: &mut TableMeta,
    input: &UpdateTableInput,
    now: f64,
) -> Result<(), DynamoError> {
    let mode = match input.billing_mode.as_deref() {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        Some(_) => BillingMode::Provisioned,
        None => table.billing_mode,
    };
    match (mode, &input.provisioned_throughput) {
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(DynamoError::invalid_parameter(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ))
        }
        (BillingMode::Provisioned, None) if table.billing_mode == BillingMode::PayPerRequest => {
            return Err(DynamoError::invalid_parameter(
                "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
            ))
        }
        (BillingMode::Provisioned, Some(requested)) => {
            let read = requested.read_capacity_units.unwrap_or(0);
            let write = requested.write_capacity_units.unwrap_or(0);
            let old = &mut table.throughput;
            if table.billing_mode == BillingMode::Provisioned
                && read == old.read_capacity_units
                && write == old.write_capacity_units
            {
                return Err(DynamoError::validation(format!(
                    "The provisioned throughput for the table will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for the table: {read}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for the table: {write}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."
                )));
            }
            if read > old.read_capacity_units || write > old.write_capacity_units {
                old.last_increase = Some(now);
            }
            if read < old.read_capacity_units || write < old.write_capacity_units {
                old.last_decrease = Some(now);
                old.decreases_today += 1;
            }
            old.read_capacity_units = read;
            old.write_capacity_units = write;
        }
        _ => {}
    }
    if mode != table.billing_mode {
        table.billing_mode = mode;
        table.billing_mode_changed_at = Some(now);
        if mode == BillingMode::PayPerRequest {
            table.throughput.read_capacity_units = 0;
            table.throughput.write_capacity_units = 0;
        }
    }
    Ok(())
}

fn apply_stream(table: &mut TableMeta, spec: &StreamSpecificationInput) -> Result<(), DynamoError> {
    let enabled_now = table.stream.as_ref().is_some_and(|s| s.enabled);
    match spec.settings()? {
        Some(settings) => {
            if enabled_now {
                return Err(DynamoError::validation(format!(
                    "Table already has an enabled stream: TableName: {}",
                    table.name
                )));
            }
            table.stream = Some(settings);
        }
        None => {
            if !enabled_now {
                return Err(DynamoError::validation(format!(
                    "Table does not have a stream to disable: TableName: {}",
                    table.name
                )));
            }
            if let Some(StreamSettings { enabled, .. }) = &mut table.stream {
                *enabled = false;
            }
        }
    }
    Ok(())
}
