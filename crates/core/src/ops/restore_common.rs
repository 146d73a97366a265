//! What RestoreTableFromBackup and RestoreTableToPointInTime share: the
//! overrides a restore may ask for, and making the new table. As in
//! DynamoDB, a restored table has no stream, Time to Live, tags or
//! point-in-time recovery of its source.
//!
//! The items are written within the request, through the write path (so
//! the indexes and counts are made as for any write), while the table's
//! RestoreSummary says RestoreInProgress; a table a crash leaves so is
//! dropped at the next start, so a restore is whole or absent.

use super::shapes::{OnDemandThroughputInput, ProvisionedThroughputInput, BILLING_MODES};
use crate::catalog::{BillingMode, IndexKind, RestoreSummary, TableMeta, Throughput};
use crate::encryption::SseSpecificationInput;
use crate::validate::Violations;
use crate::{describe, keys, now_epoch_seconds, storage_error, Database, RequestContext};
use dynalith_model::{DynamoError, ErrorKind};
use serde::Deserialize;
use serde_json::Map;
use std::sync::Arc;

/// The overrides of a restore request.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Overrides {
    billing_mode_override: Option<String>,
    provisioned_throughput_override: Option<ProvisionedThroughputInput>,
    on_demand_throughput_override: Option<OnDemandThroughputInput>,
    global_secondary_index_override: Option<Vec<IndexOverride>>,
    local_secondary_index_override: Option<Vec<IndexOverride>>,
    /// The vector indexes the restored table keeps (their names; each must
    /// be one of the source's).
    vector_index_override: Option<Vec<IndexOverride>>,
    #[serde(rename = "SSESpecificationOverride")]
    sse_specification_override: Option<SseSpecificationInput>,
}

/// An index the restored table keeps; only its name and, for a global
/// index, its provisioned throughput (of a provisioned table) and warm
/// throughput are taken.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexOverride {
    index_name: Option<String>,
    provisioned_throughput: Option<ProvisionedThroughputInput>,
    warm_throughput: Option<crate::warm_throughput::WarmThroughputInput>,
}

impl Overrides {
    pub fn check(&self, v: &mut Violations) {
        v.one_of(
            self.billing_mode_override.as_deref(),
            "billingModeOverride",
            BILLING_MODES,
        );
        if let Some(throughput) = &self.provisioned_throughput_override {
            throughput.check(v, "provisionedThroughputOverride");
        }
        if let Some(spec) = &self.sse_specification_override {
            spec.check(v, "sSESpecificationOverride");
        }
        for (i, index) in self
            .global_secondary_index_override
            .iter()
            .flatten()
            .enumerate()
        {
            if let Some(warm) = &index.warm_throughput {
                let path = format!(
                    "globalSecondaryIndexOverride.{}.member.warmThroughput",
                    i + 1
                );
                warm.check(v, &path);
            }
        }
    }
}

/// Where a restored table comes from.
pub struct Source<'a> {
    pub table: &'a TableMeta,
    pub backup_arn: Option<String>,
}

/// Makes table `name` from `source`'s definition and `overrides`, fills
/// it with `fill`, and answers with its description. The caller holds the
/// catalog's change lock.
pub fn restore_table(
    db: &Database,
    context: &RequestContext,
    name: &str,
    source: Source<'_>,
    overrides: &Overrides,
    fill: impl FnOnce(&Arc<TableMeta>) -> Result<(), DynamoError>,
) -> Result<Vec<u8>, DynamoError> {
    // A table still DELETING holds its name.
    if db.catalog().get(name).is_some() || db.deleting_table(name, None)?.is_some() {
        return Err(DynamoError::new(
            ErrorKind::TableAlreadyExists,
            format!("Table already exists: {name}"),
        ));
    }
    let mut table = restored_definition(source.table, overrides)?;
    db.check_room_for_a_transition(None, !table.indexes.is_empty())?;
    let id = crate::catalog::next_id(db.engine())?;
    let next = u32::try_from(table.indexes.len() + 1)
        .ok()
        .and_then(|n| id.checked_add(n))
        .ok_or_else(|| DynamoError::internal("table ids exhausted"))?;
    table.id = id;
    for ((index, index_id), slot) in table.indexes.iter_mut().zip(id + 1..).zip(1..) {
        index.id = index_id;
        index.counter_slot = Some(slot);
    }
    table.counter_slots_taken = u16::try_from(table.indexes.len())
        .map_err(|_| DynamoError::internal("too many indexes"))?;
    table.name = name.to_string();
    table.uuid = uuid::Uuid::new_v4().to_string();
    table.region = context.region.clone();
    // A restored table is a regional table, whatever the source's replicas.
    table.replicas.clear();
    table.own_region_overrides = None;
    table.region_bound = false;
    table.strong_consistency = None;
    // Without an override, the source's key stays, as DynamoDB keeps it.
    if let Some(spec) = &overrides.sse_specification_override {
        table.encryption = spec.encryption(&context.region);
    }
    table.created_at = now_epoch_seconds();
    table.updating_since = None;
    table.importing = false;
    table.restore = Some(RestoreSummary {
        source_backup_arn: source.backup_arn,
        source_table_arn: source.table.arn(),
        restored_at: table.created_at,
        in_progress: true,
    });
    persist(db, &table, Some(next))?;
    db.catalog().publish(table.clone());
    if let Err(e) = fill(&Arc::new(table.clone())) {
        // Leave nothing half-restored behind.
        db.drop_table(&table)?;
        return Err(e);
    }
    if let Some(restore) = &mut table.restore {
        restore.in_progress = false;
    }
    persist(db, &table, None)?;
    db.catalog().publish(table.clone());
    let mut description = describe::table_description(db, &table, "CREATING")?;
    description["RestoreSummary"]["RestoreInProgress"] = true.into();
    let mut response = Map::new();
    response.insert("TableDescription".into(), description);
    super::respond(response)
}

/// The source table's definition with the request's overrides applied;
/// ids and names are the caller's to set.
fn restored_definition(source: &TableMeta, input: &Overrides) -> Result<TableMeta, DynamoError> {
    let mut table = source.clone();
    table.stream = None;
    table.point_in_time_recovery = None;
    table.time_to_live_attribute = None;
    table.time_to_live_change = None;
    table.deleting_indexes.clear();
    table.deleting_replicas.clear();
    table.tags.clear();
    table.resource_policies.clear();
    table.contributor_insights.clear();
    table.kinesis_destinations.clear();
    table.deletion_protection = false;
    // Scalable targets belong to the source table's capacity.
    table.stop_scaling();
    // Nor its table class: a restore is STANDARD, described without one.
    table.table_class = "STANDARD".into();
    table.table_class_given = false;
    table.table_class_changed_at = None;
    table.throughput = Throughput {
        read_capacity_units: table.throughput.read_capacity_units,
        write_capacity_units: table.throughput.write_capacity_units,
        ..Throughput::default()
    };
    // A restored table is a new table: it starts warm for what its billing
    // gives it, whatever the source had reached.
    table.warm_throughput = None;
    for index in &mut table.indexes {
        index.warm_throughput = None;
    }
    for (kind, overrides) in [
        (IndexKind::Global, &input.global_secondary_index_override),
        (IndexKind::Local, &input.local_secondary_index_override),
    ] {
        let Some(overrides) = overrides else {
            continue;
        };
        for wanted in overrides {
            let name = wanted.index_name.as_deref().unwrap_or_default();
            let Some(index) = table
                .indexes
                .iter_mut()
                .find(|i| i.kind == kind && i.name == name)
            else {
                return Err(DynamoError::validation(format!(
                    "Invalid Request: Index {name} does not match a secondary index that existed in the source table and cannot be created during the restore operation"
                )));
            };
            if let Some(throughput) = &wanted.provisioned_throughput {
                throughput.check_bounds()?;
                index.throughput.read_capacity_units = throughput.read_capacity_units.unwrap_or(0);
                index.throughput.write_capacity_units =
                    throughput.write_capacity_units.unwrap_or(0);
            }
        }
        table.indexes.retain(|i| {
            i.kind != kind
                || overrides
                    .iter()
                    .any(|o| o.index_name.as_deref() == Some(&i.name))
        });
    }
    if let Some(overrides) = &input.vector_index_override {
        let kept = |name: &str| {
            overrides
                .iter()
                .any(|o| o.index_name.as_deref() == Some(name))
        };
        if let Some(unknown) = (overrides.iter())
            .filter_map(|o| o.index_name.as_deref())
            .find(|name| !table.vector_indexes.iter().any(|i| i.name == *name))
        {
            return Err(DynamoError::validation(format!(
                "Invalid Request: Index {unknown} does not match a vector index that existed in the source table and cannot be created during the restore operation"
            )));
        }
        table.vector_indexes.retain(|i| kept(&i.name));
    }
    let mode = match input.billing_mode_override.as_deref() {
        Some("PAY_PER_REQUEST") => BillingMode::PayPerRequest,
        Some(_) => BillingMode::Provisioned,
        None => table.billing_mode,
    };
    check_throughput_overrides(input, source.billing_mode, mode)?;
    table.billing_mode = mode;
    if mode == BillingMode::Provisioned && !table.vector_indexes.is_empty() {
        return Err(DynamoError::invalid_parameter(
            "Vector indexes are only supported for PAY_PER_REQUEST tables",
        ));
    }
    table.pay_per_request_at = (mode == BillingMode::PayPerRequest).then_some(table.created_at);
    match (mode, &input.provisioned_throughput_override) {
        (BillingMode::Provisioned, Some(throughput)) => {
            throughput.check_bounds()?;
            table.throughput.read_capacity_units = throughput.read_capacity_units.unwrap_or(0);
            table.throughput.write_capacity_units = throughput.write_capacity_units.unwrap_or(0);
        }
        (BillingMode::PayPerRequest, _) => table.throughput = Throughput::default(),
        _ => {}
    }
    if let Some(ceiling) = &input.on_demand_throughput_override {
        table.on_demand =
            super::index_definitions::on_demand_ceiling(mode, Some(ceiling), table.on_demand)?;
    }
    for wanted in input.global_secondary_index_override.iter().flatten() {
        let Some(warm) = &wanted.warm_throughput else {
            continue;
        };
        let name = wanted.index_name.as_deref().unwrap_or_default();
        if let Some(index) = table
            .indexes
            .iter_mut()
            .find(|i| i.kind == IndexKind::Global && i.name == name)
        {
            index.warm_throughput = Some(warm.applied_to_for(
                index.warm_throughput(mode),
                super::shapes::Target::Index(name),
            )?);
        }
    }
    Ok(table)
}

/// DynamoDB's checks on the throughput overrides against the billing mode
/// the restored table will have (`mode`), in its words: provisioned
/// throughput only for a provisioned table (and then required, when the
/// billing mode is overridden; for the indexes of an on-demand source
/// too), on-demand ceilings only for an on-demand table, and within their
/// range.
fn check_throughput_overrides(
    input: &Overrides,
    source_mode: BillingMode,
    mode: BillingMode,
) -> Result<(), DynamoError> {
    let invalid = |detail: String| DynamoError::validation(format!("Invalid Request: {detail}"));
    let overridden = input.billing_mode_override.is_some();
    let provisioned = input.provisioned_throughput_override.is_some();
    match (mode, overridden, provisioned) {
        (BillingMode::PayPerRequest, true, true) => return Err(invalid(
            "Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST"
                .into(),
        )),
        (BillingMode::PayPerRequest, false, true) => {
            return Err(invalid(
                "Cannot override ProvisionedThroughput unless BillingMode is PROVISIONED".into(),
            ))
        }
        (BillingMode::Provisioned, true, false) => {
            return Err(invalid(
                "Must override ProvisionedThroughput if BillingMode is overridden to PROVISIONED"
                    .into(),
            ))
        }
        _ => {}
    }
    for index in input.global_secondary_index_override.iter().flatten() {
        let name = index.index_name.as_deref().unwrap_or_default();
        match (mode, &index.provisioned_throughput) {
            (BillingMode::PayPerRequest, Some(_)) if overridden => {
                return Err(invalid(format!(
                    "Cannot override ProvisionedThroughput if BillingMode is overridden to PAY_PER_REQUEST for index {name}"
                )))
            }
            (BillingMode::Provisioned, None)
                if overridden && source_mode == BillingMode::PayPerRequest =>
            {
                return Err(invalid(format!(
                    "Must specify provisioned throughput for index {name}"
                )))
            }
            _ => {}
        }
    }
    if let Some(ceiling) = &input.on_demand_throughput_override {
        if mode != BillingMode::PayPerRequest {
            return Err(invalid(
                "Cannot override MaxReadRequestUnits for OnDemandThroughput unless BillingModeOverride is PAY_PER_REQUEST".into(),
            ));
        }
        for (units, name) in [
            (ceiling.max_read_request_units, "MaxReadRequestUnits"),
            (ceiling.max_write_request_units, "MaxWriteRequestUnits"),
        ] {
            if units
                .is_some_and(|u| u != -1 && !(1..=super::shapes::MAX_CAPACITY_UNITS).contains(&u))
            {
                return Err(invalid(format!(
                    "Requested {name} for OnDemandThroughput is outside of valid range"
                )));
            }
        }
    }
    Ok(())
}

/// Writes the table's catalog entry (and the advanced id counter).
fn persist(db: &Database, table: &TableMeta, next_id: Option<u32>) -> Result<(), DynamoError> {
    let mut txn = db.engine().begin();
    if let Some(next) = next_id {
        txn.put(&keys::next_table_id(), &next.to_be_bytes())
            .map_err(storage_error)?;
    }
    crate::catalog::write_entry(&mut *txn, table)?;
    txn.commit().map_err(storage_error)
}
