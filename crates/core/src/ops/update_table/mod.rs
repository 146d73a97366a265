//! UpdateTable: billing mode, provisioned throughput, deletion protection,
//! stream specification, table class, encryption, and global secondary indexes
//! (created with a background backfill, updated, deleted).

mod index_updates;
mod one_concern;
mod replica_updates;
mod vector_updates;

use super::capacity_quotas::{check_capacity_quota, check_on_demand_quota};
use super::index_definitions::{self, IndexInput};
use super::shapes::{
    AttributeDefinitionInput, OnDemandThroughputInput, ProvisionedThroughputInput,
    StreamSpecificationInput, Target, BILLING_MODES,
};
use crate::catalog::{BillingMode, IndexKind, IndexMeta, StreamSettings, TableMeta, Throughput};
use crate::encryption::SseSpecificationInput;
use crate::streams::StreamMeta;
use crate::validate::Violations;
use crate::warm_throughput::WarmThroughputInput;
use crate::{describe, keys, now_epoch_seconds, storage_error, Database};
use dynalith_model::{wire::parse_input, DynamoError};
use index_updates::apply_index_updates;
use one_concern::{change_kinds, check_one_concern, sets_warm};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateTableInput {
    table_name: Option<String>,
    billing_mode: Option<String>,
    provisioned_throughput: Option<ProvisionedThroughputInput>,
    on_demand_throughput: Option<OnDemandThroughputInput>,
    warm_throughput: Option<WarmThroughputInput>,
    deletion_protection_enabled: Option<bool>,
    stream_specification: Option<StreamSpecificationInput>,
    global_secondary_index_updates: Option<Vec<IndexUpdateInput>>,
    vector_index_updates: Option<Vec<vector_updates::VectorIndexUpdateInput>>,
    attribute_definitions: Option<Vec<AttributeDefinitionInput>>,
    table_class: Option<String>,
    #[serde(rename = "SSESpecification")]
    sse_specification: Option<SseSpecificationInput>,
    /// Global-table changes (`replica_updates`).
    replica_updates: Option<Vec<replica_updates::ReplicaUpdateInput>>,
    global_table_witness_updates: Option<Vec<replica_updates::WitnessUpdateInput>>,
    multi_region_consistency: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexUpdateInput {
    create: Option<IndexInput>,
    update: Option<IndexThroughputInput>,
    delete: Option<IndexNameInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexThroughputInput {
    index_name: Option<String>,
    provisioned_throughput: Option<ProvisionedThroughputInput>,
    on_demand_throughput: Option<OnDemandThroughputInput>,
    warm_throughput: Option<WarmThroughputInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexNameInput {
    index_name: Option<String>,
}

/// What the index updates of one request did, for the response and the
/// work that follows the commit.
#[derive(Default)]
struct IndexChanges {
    /// The new index's name and id.
    created: Option<(String, u32)>,
    deleted: Option<IndexMeta>,
    updated: Vec<UpdatedIndex>,
}

/// An index an Update action changed, and how (for the answer).
struct UpdatedIndex {
    name: String,
    /// Its provisioned throughput or on-demand ceiling: UPDATING.
    capacity: bool,
    /// Its provisioned throughput.
    provisioned: bool,
    /// Its warm throughput: the old values, UPDATING.
    warm: bool,
    /// The on-demand ceilings (read, write) the action set: the answer
    /// echoes them, -1 included, as the table's.
    ceiling_set: [bool; 2],
}

/// Sets a ProvisionedThroughput description back to the `old` capacity
/// and count of decreases, keeping its dates (DynamoDB's answer to a
/// capacity change).
fn echo_old_capacity(described: &mut serde_json::Value, old: &Throughput, now: f64) {
    described["ReadCapacityUnits"] = old.read_capacity_units.into();
    described["WriteCapacityUnits"] = old.write_capacity_units.into();
    described["NumberOfDecreasesToday"] = old.decreases_on(now).into();
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: UpdateTableInput = parse_input(body)?;
    let mut v = Violations::new();
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    if let Some(t) = &input.provisioned_throughput {
        t.check(&mut v, "provisionedThroughput");
    }
    v.one_of(input.billing_mode.as_deref(), "billingMode", BILLING_MODES);
    if let Some(spec) = &input.stream_specification {
        spec.check(&mut v, "streamSpecification");
    }
    if let Some(spec) = &input.sse_specification {
        spec.check(&mut v, "sSESpecification");
    }
    if let Some(warm) = &input.warm_throughput {
        warm.check(&mut v, "warmThroughput");
    }
    check_index_update_members(&mut v, &input);
    replica_updates::check_members(&mut v, &input);
    vector_updates::check_members(
        &mut v,
        input.vector_index_updates.as_deref().unwrap_or_default(),
    );
    v.finish()?;
    // Checked before the table is looked up (a missing table or index
    // gets this answer too).
    for update in input.global_secondary_index_updates.iter().flatten() {
        if let Some(change) = &update.update {
            if change.warm_throughput.is_some_and(|w| !sets_warm(&w)) {
                return Err(DynamoError::invalid_parameter(format!(
                    "WarmThroughput must have at least one of ReadUnitsPerSecond or WriteUnitsPerSecond specified for index: {}",
                    change.index_name.as_deref().unwrap_or_default()
                )));
            }
        }
    }
    if let Some(t) = &input.provisioned_throughput {
        t.check_bounds()?;
    }
    super::create_table::check_table_class(input.table_class.as_deref())?;
    if let Some(spec) = &input.sse_specification {
        spec.validate()?;
    }
    // An empty GlobalSecondaryIndexUpdates counts as absent here, and is
    // refused once something else makes the request one.
    let index_updates_given = input
        .global_secondary_index_updates
        .as_ref()
        .is_some_and(|u| !u.is_empty());
    if input.billing_mode.is_none()
        && !index_updates_given
        && input.provisioned_throughput.is_none()
        && input.on_demand_throughput.is_none()
        && input.deletion_protection_enabled.is_none()
        && input.stream_specification.is_none()
        && input.table_class.is_none()
        && input.sse_specification.is_none()
        && input.warm_throughput.is_none()
        && input.vector_index_updates.is_none()
        && !replicas_change(&input)
    {
        return Err(DynamoError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is required",
        ));
    }
    if input
        .global_secondary_index_updates
        .as_ref()
        .is_some_and(|u| u.is_empty())
    {
        return Err(DynamoError::invalid_parameter(
            "List of GlobalSecondaryIndexUpdates is empty",
        ));
    }
    check_one_concern(&input)?;
    let name = crate::table_reference::owned(&input.table_name, context)?;
    // A WarmThroughput or OnDemandThroughput that sets no member is
    // ignored beside another change (DynamoDB's answer to one sent alone
    // is an HTTP 500; here it is taken as a change to nothing).
    let alone = change_kinds(&input) == 0;
    let warm_change = input
        .warm_throughput
        .is_some_and(|w| sets_warm(&w) || alone);

    let _changes = db.catalog().lock_changes();
    let current = db.catalog().require_changeable_in(&name, &context.region)?;
    crate::global_tables::in_region(&current, &context.region)?;
    let mut table = (*current).clone();
    // Warm throughput as it stands before the change: a new provisioned
    // peak or a request may raise it, nothing lowers it.
    table.record_warm_throughput();
    let now = now_epoch_seconds();
    apply_billing(&mut table, &input, now)?;
    // A global table may go provisioned only with writes that auto scale,
    // which a table just switched cannot have. (An index created on a
    // provisioned global table starts without: its write scaling is set
    // next, with UpdateTableReplicaAutoScaling.)
    if table.is_global() && current.billing_mode != table.billing_mode && !table.writes_replicable()
    {
        return Err(crate::global_tables::provisioned_writes_refused());
    }
    let mut stream_change = match &input.stream_specification {
        Some(spec) => Some(apply_stream(&mut table, spec)?),
        None => None,
    };
    let replica_changes = if replicas_change(&input) {
        if !current.is_in_region(&context.region) {
            return Err(DynamoError::table_not_found(&name));
        }
        if current
            .indexes
            .iter()
            .any(|i| i.status != crate::catalog::IndexStatus::Active)
        {
            return Err(crate::global_tables::in_use());
        }
        let changes = replica_updates::apply(&mut table, &input, &context.region, now)?;
        // A global table's replicas follow its stream: DynamoDB enables
        // one (new and old images) when the first replica comes, and keeps
        // a stream the table has.
        if !changes.created.is_empty() && !table.stream.as_ref().is_some_and(|s| s.enabled) {
            table.stream = Some(StreamSettings {
                enabled: true,
                view_type: "NEW_AND_OLD_IMAGES".into(),
                label: super::shapes::stream_label(),
                id: None,
            });
            stream_change = Some(StreamChange::Enabled);
        }
        Some(changes)
    } else {
        None
    };
    if let Some(protect) = input.deletion_protection_enabled {
        table.deletion_protection = protect;
    }
    if let Some(class) = &input.table_class {
        // Asking for the class the table has changes nothing (a table
        // never given one stays described without one).
        if *class != table.table_class {
            table.table_class = class.clone();
            table.table_class_given = true;
            table.table_class_changed_at = Some(now);
        }
    }
    if let Some(spec) = &input.sse_specification {
        table.encryption = changed_encryption(&table, spec)?;
    }
    let changes = match &input.global_secondary_index_updates {
        Some(updates) => apply_index_updates(db, &mut table, &input, updates)?,
        None => IndexChanges::default(),
    };
    if let Some(created) = &changes.created {
        if vector_updates::names_vector_index(&table, &created.0) {
            return Err(DynamoError::invalid_parameter(format!(
                "Duplicate index name: {}",
                created.0
            )));
        }
    }
    if let Some(updates) = &input.vector_index_updates {
        vector_updates::apply(&mut table, &input, updates)?;
    }
    if let Some(wanted) = input.warm_throughput.filter(|_| warm_change) {
        table.warm_throughput = Some(wanted.applied_to(table.warm_throughput())?);
    }
    // A deleted index's Contributor Insights go with it.
    table
        .contributor_insights
        .retain(|index, _| index.is_empty() || table.indexes.iter().any(|i| &i.name == index));
    table.record_capacity_changes(&current, now)?;
    // DynamoDB reports UPDATING while it applies a change of billing,
    // capacity, stream, class or the set of indexes; ours is applied
    // already (or backfilling), and the table is ACTIVE again once the
    // transient status ends (at once by default, `table_status`).
    // Deletion protection and on-demand ceilings change at once; an
    // encryption change leaves the table ACTIVE while its SSEDescription,
    // still naming the old key, is UPDATING; a warm throughput change
    // leaves it ACTIVE while its WarmThroughput, still the old values, is
    // UPDATING; an index's throughput change leaves it ACTIVE while that
    // index is UPDATING (recorded DynamoDB answers).
    let table_updating = input.billing_mode.is_some()
        || input.provisioned_throughput.is_some()
        || input.stream_specification.is_some()
        || input.table_class.is_some()
        || changes.created.is_some()
        || changes.deleted.is_some()
        || input.vector_index_updates.is_some()
        || replica_changes.is_some();
    if table_updating {
        db.check_room_for_a_transition(Some(&*current), false)?;
        table.updating_since = Some(now);
    }
    // Removed replicas are described DELETING in the other Regions while
    // the transient status lasts.
    for replica in (replica_changes.iter()).flat_map(|c| c.deleted.iter().cloned()) {
        (db.catalog().transitions()).replica_deleted(&mut table, replica);
    }
    // DynamoDB's answer lists a deleted index, DELETING; so does
    // DescribeTable while the transient status lasts.
    let deleted_index = match &changes.deleted {
        Some(deleted) => {
            let mut entry = describe::index_description(db, &table, deleted)?;
            entry["IndexStatus"] = "DELETING".into();
            entry["WarmThroughput"]["Status"] = "DELETING".into();
            db.catalog().transitions().index_deleted(&mut table, &entry);
            Some(entry)
        }
        None => None,
    };

    // A new index takes the next id, and a new stream the one after.
    let mut next_id = changes.created.as_ref().map(|(_, id)| *id);
    let mut txn = db.engine().begin();
    let stream = match stream_change {
        Some(StreamChange::Enabled) => {
            let id = match next_id {
                Some(id) => id.checked_add(1),
                None => Some(crate::catalog::next_id(db.engine())?),
            }
            .ok_or_else(|| DynamoError::internal("table ids exhausted"))?;
            next_id = Some(id);
            let settings = table
                .stream
                .as_mut()
                .ok_or_else(|| DynamoError::internal("enabled stream without settings"))?;
            settings.id = Some(id);
            let first = db.streams().sequencer().peek_next();
            let stream = StreamMeta::new(id, &current, settings, first);
            stream.persist(&mut *txn)?;
            Some(stream)
        }
        Some(StreamChange::Disabled) => crate::streams::disable(db.streams(), &current, &mut *txn)?,
        None => None,
    };
    crate::catalog::write_entry(&mut *txn, &table)?;
    if let Some(id) = next_id {
        let next = id
            .checked_add(1)
            .ok_or_else(|| DynamoError::internal("table ids exhausted"))?;
        txn.put(&keys::next_table_id(), &next.to_be_bytes())
            .map_err(storage_error)?;
    }
    if let Some(deleted) = &changes.deleted {
        txn.put(&keys::pending_drop(deleted.id), b"")
            .map_err(storage_error)?;
    }
    txn.commit().map_err(storage_error)?;
    let status = if table_updating { "UPDATING" } else { "ACTIVE" };
    let mut description = describe::table_description(db, &table, status)?;
    describe_replicas(db, &mut description, &current, &table, &context.region);
    if warm_change {
        description["WarmThroughput"] = current.warm_throughput().description("UPDATING");
    }
    // A billing switch answers with the new mode alone; DescribeTable adds
    // LastUpdateToPayPerRequestDateTime (DDB-TABLE-060).
    if current.billing_mode != table.billing_mode {
        description["BillingModeSummary"] =
            serde_json::json!({"BillingMode": table.billing_mode.as_str()});
    }
    // The answer echoes the ceilings the request set, -1 included.
    if let (Some(asked), BillingMode::PayPerRequest) =
        (&input.on_demand_throughput, table.billing_mode)
    {
        let echoed = [
            asked.max_read_request_units.is_some(),
            asked.max_write_request_units.is_some(),
        ];
        if let Some(ceiling) = describe::on_demand_with(&table.on_demand, echoed) {
            description["OnDemandThroughput"] = ceiling;
        }
    }
    // A capacity change of a provisioned table answers with the old
    // capacity and count of decreases, and the new date of the change.
    let was_provisioned = current.billing_mode == BillingMode::Provisioned;
    if was_provisioned && input.provisioned_throughput.is_some() {
        echo_old_capacity(
            &mut description["ProvisionedThroughput"],
            &current.throughput,
            now,
        );
    }
    if let Some(list) = description
        .get_mut("GlobalSecondaryIndexes")
        .and_then(|l| l.as_array_mut())
    {
        for entry in list.iter_mut() {
            let Some(update) = changes
                .updated
                .iter()
                .find(|u| entry["IndexName"].as_str() == Some(u.name.as_str()))
            else {
                continue;
            };
            let Some(old) = current.index(&update.name) else {
                continue;
            };
            if update.capacity {
                entry["IndexStatus"] = "UPDATING".into();
                if was_provisioned && update.provisioned {
                    echo_old_capacity(&mut entry["ProvisionedThroughput"], &old.throughput, now);
                }
            }
            if update.warm {
                entry["WarmThroughput"] = old
                    .warm_throughput(current.billing_mode)
                    .description("UPDATING");
            }
            let ceiling = table
                .index(&update.name)
                .and_then(|new| describe::on_demand_with(&new.on_demand, update.ceiling_set));
            if let (Some(ceiling), true) = (ceiling, update.ceiling_set.contains(&true)) {
                entry["OnDemandThroughput"] = ceiling;
            }
        }
    }
    if input.sse_specification.is_some() {
        let mut sse = match &current.encryption {
            Some(old) => crate::encryption::description(old),
            None => serde_json::json!({}),
        };
        sse["Status"] = "UPDATING".into();
        description["SSEDescription"] = sse;
    }
    // DynamoDB's answer still shows the class the table had: the new one
    // appears once the switch is done.
    match describe::table_class_summary(&current) {
        Some(summary) => description["TableClassSummary"] = summary,
        None => {
            if let Some(d) = description.as_object_mut() {
                d.remove("TableClassSummary");
            }
        }
    }
    if let (Some(entry), Some(d)) = (deleted_index, description.as_object_mut()) {
        describe::append_global_indexes(d, std::iter::once(entry));
    }
    if changes.created.is_some() || changes.deleted.is_some() || stream.is_some() {
        // Every write from now on maintains the new index (or stops
        // maintaining the deleted one), and every write's stream record
        // goes to the stream now enabled (none to one disabled); no write
        // is in flight across the switch.
        db.publish_exclusively(|| {
            db.catalog().publish(table);
            if let Some(stream) = stream {
                db.streams().publish(stream);
            }
        });
        db.start_retention();
    } else {
        db.catalog().publish(table);
    }
    if let Some(deleted) = changes.deleted {
        db.drop_table_data(deleted.id);
    }
    if let Some((created, _)) = changes.created {
        db.start_backfill(name, created);
    }
    let mut response = Map::new();
    response.insert("TableDescription".into(), description);
    super::respond(response)
}

/// The encryption an SSESpecification moves the table to. Asking for what
/// the table has already is refused as DynamoDB refuses it: the default
/// key again, or the KMS key it uses named by that key's ARN (a key named
/// by alias or id is re-applied, as DynamoDB does).
fn changed_encryption(
    table: &TableMeta,
    spec: &SseSpecificationInput,
) -> Result<Option<crate::encryption::KmsEncryption>, DynamoError> {
    let wanted = spec.encryption(&table.region);
    match (&table.encryption, &wanted) {
        (None, None) => Err(DynamoError::invalid_parameter(
            "Table is already encrypted by default",
        )),
        (Some(current), Some(_)) if spec.names_key_arn(&current.kms_master_key_arn) => {
            Err(DynamoError::invalid_parameter(
                "Table is already encrypted with given KMSMasterKeyId. Use KMSMasterKeyId parameter if you want to change Master Key",
            ))
        }
        _ => Ok(wanted),
    }
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
            // Asked of a provisioned table moving to on-demand, DynamoDB
            // words it otherwise.
            return Err(DynamoError::invalid_parameter(
                if input.billing_mode.is_some() && table.billing_mode == BillingMode::Provisioned {
                    "ProvisionedThroughput cannot be specified when BillingMode is PAY_PER_REQUEST"
                } else {
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
                },
            ));
        }
        // Whatever the table's mode now (DynamoDB: also when it is
        // provisioned already).
        (BillingMode::Provisioned, None) if input.billing_mode.is_some() => {
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
            check_capacity_quota(Some(read), Some(write), Target::Table, &table.region)?;
            old.change_to(read, write, now);
        }
        _ => {}
    }
    // On-demand to provisioned: every global index needs its capacity in
    // the same request (DynamoDB assigns none).
    if mode == BillingMode::Provisioned && table.billing_mode == BillingMode::PayPerRequest {
        let given = |name: &str| {
            input
                .global_secondary_index_updates
                .iter()
                .flatten()
                .any(|u| {
                    u.update.as_ref().is_some_and(|c| {
                        c.index_name.as_deref() == Some(name) && c.provisioned_throughput.is_some()
                    })
                })
        };
        if let Some(index) = table
            .indexes
            .iter()
            .find(|i| i.kind == IndexKind::Global && !given(&i.name))
        {
            return Err(DynamoError::invalid_parameter(format!(
                "ProvisionedThroughput must be specified for index: {}",
                index.name
            )));
        }
    }
    table.on_demand = index_definitions::on_demand_ceiling(
        mode,
        input.on_demand_throughput.as_ref(),
        table.on_demand,
    )?;
    if let Some(ceiling) = input.on_demand_throughput.as_ref() {
        check_on_demand_quota(ceiling, Target::Table, &table.region)?;
    }
    if mode != table.billing_mode {
        table.billing_mode = mode;
        if mode == BillingMode::PayPerRequest {
            table.pay_per_request_at = Some(now);
        }
        if mode == BillingMode::Provisioned {
            // A switch to provisioned drops the on-demand ceilings.
            table.on_demand = Default::default();
            for index in &mut table.indexes {
                index.on_demand = Default::default();
            }
        }
        if mode == BillingMode::PayPerRequest {
            // On-demand capacity has nothing to scale, nor a replica's
            // provisioned reads to override.
            table.stop_scaling();
            for replica in table
                .replicas
                .iter_mut()
                .chain(&mut table.own_region_overrides)
            {
                replica.drop_provisioned_overrides();
            }
            table.throughput.read_capacity_units = 0;
            table.throughput.write_capacity_units = 0;
            for index in &mut table.indexes {
                index.throughput.read_capacity_units = 0;
                index.throughput.write_capacity_units = 0;
            }
        }
    }
    Ok(())
}

/// What UpdateTable's StreamSpecification did.
enum StreamChange {
    Enabled,
    Disabled,
}

fn apply_stream(
    table: &mut TableMeta,
    spec: &StreamSpecificationInput,
) -> Result<StreamChange, DynamoError> {
    let enabled_now = table.stream.as_ref().is_some_and(|s| s.enabled);
    match spec.settings(false)? {
        Some(settings) => {
            if enabled_now {
                return Err(DynamoError::validation(format!(
                    "Table already has an enabled stream: TableName: {}",
                    table.name
                )));
            }
            table.stream = Some(settings);
            Ok(StreamChange::Enabled)
        }
        None => {
            if table.is_global() {
                return Err(DynamoError::invalid_parameter(
                    "Disabling Stream is not allowed for a Global Table replica.",
                ));
            }
            if !enabled_now {
                return Err(DynamoError::validation(format!(
                    "Table has no stream to disable: TableName: {}",
                    table.name
                )));
            }
            if let Some(StreamSettings { enabled, .. }) = &mut table.stream {
                *enabled = false;
            }
            Ok(StreamChange::Disabled)
        }
    }
}

fn check_index_update_members(v: &mut Violations, input: &UpdateTableInput) {
    for (i, update) in input
        .global_secondary_index_updates
        .iter()
        .flatten()
        .enumerate()
    {
        let member = format!("globalSecondaryIndexUpdates.{}.member", i + 1);
        if let Some(update) = &update.update {
            let path = format!("{member}.update");
            // What an update must carry depends on the table's billing
            // (`update_index_throughput`).
            if let Some(t) = &update.provisioned_throughput {
                t.check(v, &format!("{path}.provisionedThroughput"));
            }
            if let Some(warm) = &update.warm_throughput {
                warm.check(v, &format!("{path}.warmThroughput"));
            }
            v.name(update.index_name.as_deref(), &format!("{path}.indexName"));
        }
        if let Some(create) = &update.create {
            index_definitions::check_one_index_members(v, create, &format!("{member}.create"));
            if let Some(warm) = &create.warm_throughput {
                warm.check(v, &format!("{member}.create.warmThroughput"));
            }
        }
        if let Some(delete) = &update.delete {
            v.name(
                delete.index_name.as_deref(),
                &format!("{member}.delete.indexName"),
            );
        }
    }
    if let Some(definitions) = &input.attribute_definitions {
        super::shapes::check_attribute_definition_members(v, definitions);
    }
}

/// Whether the request changes the table's replicas or witnesses.
fn replicas_change(input: &UpdateTableInput) -> bool {
    input.replica_updates.is_some() || input.global_table_witness_updates.is_some()
}

/// The global-table members of UpdateTable's answer, asked in `local`: as
/// DynamoDB answers, the replicas the table had (a deleted one still
/// ACTIVE, a new one not yet listed), and GlobalTableVersion from the first
/// replica's request on.
fn describe_replicas(
    db: &Database,
    description: &mut serde_json::Value,
    current: &TableMeta,
    table: &TableMeta,
    local: &str,
) {
    let Some(d) = description.as_object_mut() else {
        return;
    };
    let mut shown = table.clone();
    shown.replicas = current.replicas.clone();
    shown.region = current.region.clone();
    shown.deleting_replicas = current.deleting_replicas.clone();
    for member in [
        "GlobalTableVersion",
        "Replicas",
        "GlobalTableSettingsReplicationMode",
    ] {
        d.remove(member);
    }
    crate::global_tables::describe(d, &shown, local, db.catalog().transitions());
    if table.is_global() && !d.contains_key("GlobalTableVersion") {
        d.insert(
            "GlobalTableVersion".into(),
            crate::global_tables::VERSION.into(),
        );
        d.insert("Replicas".into(), serde_json::Value::Array(Vec::new()));
    }
}
