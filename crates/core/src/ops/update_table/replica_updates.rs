//! UpdateTable's ReplicaUpdates, GlobalTableWitnessUpdates and
//! MultiRegionConsistency: replicas of the table added, changed and
//! removed (`global_tables`). Each is applied at once: a replica is the
//! same copy of the items, so there is nothing to copy or to wait for.

use super::UpdateTableInput;
use crate::auto_scaling::regions::ReplicaReadScaling;
use crate::catalog::{BillingMode, IndexKind, TableMeta};
use crate::global_tables::{self, ReplicaMeta, StrongConsistency};
use crate::validate::Violations;
use dynalith_model::{json_integer, DynamoError};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReplicaUpdateInput {
    create: Option<ReplicaSettingsInput>,
    update: Option<ReplicaSettingsInput>,
    delete: Option<RegionInput>,
    disassociate: Option<RegionInput>,
}

/// A Create or Update action: the Region and what its replica overrides.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicaSettingsInput {
    region_name: Option<String>,
    #[serde(rename = "KMSMasterKeyId")]
    kms_master_key_id: Option<String>,
    provisioned_throughput_override: Option<ReadCapacityInput>,
    on_demand_throughput_override: Option<ReadCeilingInput>,
    global_secondary_indexes: Option<Vec<ReplicaIndexInput>>,
    table_class_override: Option<String>,
}

impl ReplicaSettingsInput {
    /// Whether an Update action asks for anything besides its Region.
    fn changes_anything(&self) -> bool {
        self.kms_master_key_id.is_some()
            || self.provisioned_throughput_override.is_some()
            || self.on_demand_throughput_override.is_some()
            || self.global_secondary_indexes.is_some()
            || self.table_class_override.is_some()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReadCapacityInput {
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    read_capacity_units: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReadCeilingInput {
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    max_read_request_units: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicaIndexInput {
    index_name: Option<String>,
    provisioned_throughput_override: Option<ReadCapacityInput>,
    on_demand_throughput_override: Option<ReadCeilingInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RegionInput {
    region_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WitnessUpdateInput {
    create: Option<RegionInput>,
    delete: Option<RegionInput>,
}

/// The Regions DynamoDB offers multi-Region strong consistency in, by
/// Region set; a strongly consistent group lies within one set.
const STRONG_REGION_SETS: &[&[&str]] = &[
    &["us-east-1", "us-east-2", "us-west-2"],
    &["eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3"],
    &["ap-northeast-1", "ap-northeast-2", "ap-northeast-3"],
];

/// The model's constraints on the members (Coral's messages).
pub(super) fn check_members(v: &mut Violations, input: &UpdateTableInput) {
    v.one_of(
        input.multi_region_consistency.as_deref(),
        "multiRegionConsistency",
        &["EVENTUAL", "STRONG"],
    );
    if let Some(witnesses) = &input.global_table_witness_updates {
        if witnesses.len() > 1 {
            v.push(
                format_args!("'[{} updates]'", witnesses.len()),
                "globalTableWitnessUpdates",
                "Member must have length less than or equal to 1",
            );
        }
    }
    let Some(updates) = &input.replica_updates else {
        return;
    };
    if updates.is_empty() {
        v.push(
            "'[]'",
            "replicaUpdates",
            "Member must have length greater than or equal to 1",
        );
    }
    for (i, update) in updates.iter().enumerate() {
        let member = format!("replicaUpdates.{}.member", i + 1);
        for (settings, action) in [(&update.create, "create"), (&update.update, "update")] {
            let Some(settings) = settings else { continue };
            let path = format!("{member}.{action}");
            v.require(&settings.region_name, &format!("{path}.regionName"));
            v.one_of(
                settings.table_class_override.as_deref(),
                &format!("{path}.tableClassOverride"),
                crate::ops::create_table::TABLE_CLASSES,
            );
            if let Some(o) = &settings.provisioned_throughput_override {
                let path = format!("{path}.provisionedThroughputOverride.readCapacityUnits");
                v.at_least(o.read_capacity_units, &path, 1);
            }
            for (j, index) in settings
                .global_secondary_indexes
                .iter()
                .flatten()
                .enumerate()
            {
                let path = format!("{path}.globalSecondaryIndexes.{}.member", j + 1);
                v.name(index.index_name.as_deref(), &format!("{path}.indexName"));
            }
        }
        for (region, action) in [
            (&update.delete, "delete"),
            (&update.disassociate, "disassociate"),
        ] {
            if let Some(region) = region {
                v.require(
                    &region.region_name,
                    &format!("{member}.{action}.regionName"),
                );
            }
        }
    }
}

/// What the request's replica changes did, for the answer and the stream.
pub(super) struct ReplicaChanges {
    /// Regions that gained a replica.
    pub created: Vec<String>,
    /// The replicas removed, as they were.
    pub deleted: Vec<ReplicaMeta>,
}

/// One action of a ReplicaUpdates element.
enum Action<'a> {
    Create(&'a ReplicaSettingsInput),
    Update(&'a ReplicaSettingsInput),
    Delete(&'a str),
}

fn region_of(settings: &ReplicaSettingsInput) -> &str {
    settings.region_name.as_deref().unwrap_or_default()
}

fn invalid(message: impl Into<String>) -> DynamoError {
    DynamoError::validation(message.into())
}

/// The one action of each element, in DynamoDB's words when an element has
/// none or several.
fn actions(updates: &[ReplicaUpdateInput]) -> Result<Vec<Action<'_>>, DynamoError> {
    let no_action =
        || invalid("There are no actions specified in the Replica Update Action of the request.");
    let mut actions = Vec::new();
    for update in updates {
        let given = [
            update.create.is_some(),
            update.update.is_some(),
            update.delete.is_some(),
            update.disassociate.is_some(),
        ];
        match given.iter().filter(|&&g| g).count() {
            0 => return Err(no_action()),
            1 => {}
            _ => return Err(invalid(
                "Update table operation with more than one type of replica actions not allowed.",
            )),
        }
        if update.disassociate.is_some() {
            // A replica here is a view of the one copy of the items: it
            // cannot be kept as a table of its own beside the group's.
            return Err(DynamoError::invalid_parameter(
                "Disassociate is not supported: every replica of a global table here shares one copy of its items",
            ));
        }
        actions.push(match (&update.create, &update.update, &update.delete) {
            (Some(create), _, _) => Action::Create(create),
            (_, Some(update), _) if update.changes_anything() => Action::Update(update),
            (_, Some(_), _) => return Err(no_action()),
            (_, _, Some(delete)) => {
                Action::Delete(delete.region_name.as_deref().unwrap_or_default())
            }
            _ => return Err(no_action()),
        });
    }
    let kinds = [
        actions.iter().any(|a| matches!(a, Action::Create(_))),
        actions.iter().any(|a| matches!(a, Action::Update(_))),
        actions.iter().any(|a| matches!(a, Action::Delete(_))),
    ];
    if kinds.iter().filter(|&&k| k).count() > 1 {
        return Err(invalid(
            "Update table operation with more than one type of replica actions not allowed.",
        ));
    }
    Ok(actions)
}

/// Applies the request's replica and witness changes to `table`, asked in
/// `local` (a Region the table is in).
pub(super) fn apply(
    table: &mut TableMeta,
    input: &UpdateTableInput,
    local: &str,
    now: f64,
) -> Result<ReplicaChanges, DynamoError> {
    let actions = actions(input.replica_updates.as_deref().unwrap_or_default())?;
    let mut created: Vec<&ReplicaSettingsInput> = Vec::new();
    let mut deleted: Vec<&str> = Vec::new();
    let mut updated: Vec<&ReplicaSettingsInput> = Vec::new();
    for action in &actions {
        match action {
            // The same Create twice is one Create (recorded).
            Action::Create(c) if !created.iter().any(|d| region_of(d) == region_of(c)) => {
                created.push(c)
            }
            Action::Create(_) => {}
            Action::Update(u) => updated.push(u),
            Action::Delete(r) if !deleted.contains(r) => deleted.push(r),
            Action::Delete(_) => {}
        }
    }
    let witness_created: Vec<&str> = witness_regions(input, |w| &w.create);
    let witness_deleted: Vec<&str> = witness_regions(input, |w| &w.delete);
    let strong_asked = input.multi_region_consistency.as_deref() == Some("STRONG");

    if input.multi_region_consistency.is_some() && table.is_global() {
        return Err(invalid(
            "MultiRegionConsistency parameter is unsupported on existing global table",
        ));
    }
    if !witness_created.is_empty() && !strong_asked {
        return Err(invalid(
            "MultiRegionConsistency must be set as STRONG when GlobalTableWitnessUpdates parameter is present.",
        ));
    }
    if table.strong_consistency.is_some() {
        check_strong_teardown(table, local, &created, &deleted, &witness_deleted)?;
    } else {
        if let Some(witness) = witness_deleted.first() {
            return Err(not_a_witness(witness));
        }
        if strong_asked {
            check_strong_group(table, local, &actions, &created, &witness_created)?;
        } else if created.len() + deleted.len() > 1 {
            return Err(invalid(
                "Update table operation with more than one create or delete replica actions not allowed",
            ));
        }
    }

    for create in &created {
        let region = region_of(create);
        global_tables::check_region(region)?;
        if region == local {
            return Err(local_region_refused(false));
        }
        if table.is_in_region(region) {
            return Err(invalid(format!(
                "Failed to create a the new replica of table with name: \u{2018}{}\u{2019} because one or more replicas already existed as tables.",
                table.name
            )));
        }
    }
    let updated_regions = updated.iter().map(|u| region_of(u));
    for (region, update) in deleted
        .iter()
        .copied()
        .map(|r| (r, false))
        .chain(updated_regions.map(|r| (r, true)))
    {
        if region == local {
            return Err(local_region_refused(update));
        }
        if !table.is_in_region(region) {
            return Err(invalid(format!(
                "Update global table operation failed because one or more replicas were not part of the global table. Please retry the request without these replicas: [{region}]."
            )));
        }
    }
    // Deletion protection is the table's here, in every Region: it holds
    // each replica as DynamoDB's per-Region setting holds its own.
    if let (Some(region), true) = (deleted.first(), table.deletion_protection) {
        return Err(invalid(format!(
            "Cannot delete table {} in region {region} because it has deletion protection enabled. Disable deletion protection first.",
            table.name
        )));
    }
    if !created.is_empty() && !table.writes_replicable() {
        return Err(global_tables::provisioned_writes_refused());
    }

    for create in &created {
        let mut replica = ReplicaMeta::new(region_of(create));
        replica.table_id = uuid::Uuid::new_v4().to_string();
        replica.created_at = now;
        replica.read_scaling = ReplicaReadScaling::copied_from(table);
        apply_settings(table, &mut replica, create, now, false)?;
        table.replicas.push(replica);
        table.region_bound = true;
    }
    for update in &updated {
        let region = region_of(update);
        // The table's own Region, updated from a replica's.
        let own = (table.region == region).then(|| {
            (table.own_region_overrides.clone()).unwrap_or_else(|| ReplicaMeta::new(region))
        });
        let mut replica = match own {
            Some(own) => own,
            None => (table.replicas.iter().find(|r| r.region == region).cloned())
                .unwrap_or_else(|| ReplicaMeta::new(region)),
        };
        apply_settings(table, &mut replica, update, now, true)?;
        if table.region == region {
            table.own_region_overrides = Some(replica);
        } else if let Some(slot) = table.replicas.iter_mut().find(|r| r.region == region) {
            *slot = replica;
        }
    }
    let mut removed = Vec::new();
    for region in &deleted {
        removed.push(table.replica_in(region));
        if table.region == *region {
            // The table's own Region goes: the Region asked in takes its
            // place.
            table.pass_own_region_to(local);
        } else {
            table.replicas.retain(|r| r.region != *region);
        }
    }
    if strong_asked {
        table.strong_consistency = Some(StrongConsistency {
            witness: witness_created.first().map(|w| w.to_string()),
        });
    }
    table.settle_if_regional();
    Ok(ReplicaChanges {
        created: created.iter().map(|c| region_of(c).to_string()).collect(),
        deleted: removed,
    })
}

fn witness_regions<'a>(
    input: &'a UpdateTableInput,
    action: impl Fn(&'a WitnessUpdateInput) -> &'a Option<RegionInput>,
) -> Vec<&'a str> {
    (input.global_table_witness_updates.iter().flatten())
        .filter_map(|w| action(w).as_ref())
        .map(|r| r.region_name.as_deref().unwrap_or_default())
        .collect()
}

fn not_a_witness(region: &str) -> DynamoError {
    invalid(format!(
        "Update global table operation failed because one or more witnesses were not part of the global table. Please retry the request without these witnesses: [{region}]."
    ))
}

fn local_region_refused(update: bool) -> DynamoError {
    invalid(if update {
        "Cannot add, delete, or update the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable as required."
    } else {
        "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or UpdateTable as required."
    })
}

/// A strongly consistent group is made in one request of three Regions in
/// one Region set: the local one and two new replicas, or one replica and
/// a witness.
fn check_strong_group(
    table: &TableMeta,
    local: &str,
    actions: &[Action],
    created: &[&ReplicaSettingsInput],
    witnesses: &[&str],
) -> Result<(), DynamoError> {
    if actions.iter().any(|a| !matches!(a, Action::Create(_))) {
        return Err(invalid(
            "Only Replica Create actions are supported when MultiRegionConsistency parameter is provided.",
        ));
    }
    if !matches!((created.len(), witnesses.len()), (2, 0) | (1, 1)) {
        return Err(invalid(
            "Unsupported replica count for global tables with MultiRegionConsistency set to STRONG.",
        ));
    }
    if let Some(witness) = witnesses.first() {
        if created.iter().any(|c| region_of(c) == *witness) {
            return Err(invalid(
                "Cannot target multiple regions with the same action",
            ));
        }
        if *witness == local || table.is_in_region(witness) {
            return Err(invalid(
                "Cannot add a witness in the same region as an existing replica when creating a global table with MultiRegionConsistency set to STRONG.",
            ));
        }
    }
    let set = STRONG_REGION_SETS.iter().find(|set| set.contains(&local));
    let outside: Vec<&str> = std::iter::once(local)
        .chain(created.iter().map(|c| region_of(c)))
        .chain(witnesses.iter().copied())
        .filter(|r| !set.is_some_and(|set| set.contains(r)))
        .collect();
    if !outside.is_empty() {
        return Err(invalid(format!(
            "Unsupported Region(s) specified for global tables with MultiRegionConsistency set to STRONG: [{}].",
            outside.join(", ")
        )));
    }
    Ok(())
}

/// A strongly consistent group takes no new replica and is taken apart
/// whole: every other replica and the witness in one request.
fn check_strong_teardown(
    table: &TableMeta,
    local: &str,
    created: &[&ReplicaSettingsInput],
    deleted: &[&str],
    witnesses_deleted: &[&str],
) -> Result<(), DynamoError> {
    if !created.is_empty() {
        return Err(invalid(
            "Cannot add replicas to a global table with strong MultiRegionConsistency",
        ));
    }
    let witness = table
        .strong_consistency
        .as_ref()
        .and_then(|s| s.witness.as_deref());
    if let Some(other) = witnesses_deleted.iter().find(|w| Some(**w) != witness) {
        return Err(not_a_witness(other));
    }
    if deleted.is_empty() && witnesses_deleted.is_empty() {
        return Ok(());
    }
    if witness.is_some() && witnesses_deleted.is_empty() {
        return Err(invalid(
            "Update table delete operation does not include all witnesses.",
        ));
    }
    let others = (table.replicas.iter().map(|r| r.region.as_str()))
        .chain(std::iter::once(table.region.as_str()))
        .filter(|r| *r != local);
    for region in others {
        if !deleted.contains(&region) {
            return Err(invalid(
                "Deletion of only one table replica is not supported for global tables with MultiRegionConsistency set to STRONG.",
            ));
        }
    }
    Ok(())
}

/// Records a Create's or Update's overrides on `replica`.
fn apply_settings(
    table: &TableMeta,
    replica: &mut ReplicaMeta,
    settings: &ReplicaSettingsInput,
    now: f64,
    updating: bool,
) -> Result<(), DynamoError> {
    // DynamoDB takes a read capacity override in a Create of an on-demand
    // table's replica and ignores it, and refuses it in an Update.
    let provisioned = table.billing_mode == BillingMode::Provisioned;
    if updating && !provisioned && settings.provisioned_throughput_override.is_some() {
        return Err(DynamoError::invalid_parameter(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        ));
    }
    if let (true, Some(o)) = (provisioned, &settings.provisioned_throughput_override) {
        if o.read_capacity_units.is_some() {
            replica.read_capacity_units = o.read_capacity_units;
        }
    }
    if let Some(key) = &settings.kms_master_key_id {
        replica.kms_master_key_id = Some(key.clone());
    }
    if let Some(ceiling) = &settings.on_demand_throughput_override {
        replica.max_read_request_units = ceiling.max_read_request_units;
    }
    if let Some(class) = &settings.table_class_override {
        // A class equal to the table's is no override (DynamoDB drops it).
        replica.table_class = (*class != table.table_class).then(|| (class.clone(), now));
    }
    for index in settings.global_secondary_indexes.iter().flatten() {
        let name = index.index_name.as_deref().unwrap_or_default();
        if !table
            .indexes
            .iter()
            .any(|i| i.kind == IndexKind::Global && i.name == name)
        {
            return Err(DynamoError::invalid_parameter(format!(
                "Global secondary index {name} does not exist on table {}",
                table.name
            )));
        }
        if updating && !provisioned && index.provisioned_throughput_override.is_some() {
            return Err(DynamoError::invalid_parameter(format!(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
            )));
        }
        if let (true, Some(units)) = (
            provisioned,
            (index.provisioned_throughput_override.as_ref()).and_then(|o| o.read_capacity_units),
        ) {
            replica.index_read_capacity_units.retain(|(n, _)| n != name);
            replica
                .index_read_capacity_units
                .push((name.to_string(), units));
        }
        let Some(units) = index
            .on_demand_throughput_override
            .as_ref()
            .and_then(|o| o.max_read_request_units)
        else {
            continue;
        };
        replica.indexes.retain(|(n, _)| n != name);
        replica.indexes.push((name.to_string(), units));
    }
    Ok(())
}
