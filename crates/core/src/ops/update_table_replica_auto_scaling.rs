//! UpdateTableReplicaAutoScaling: sets or removes the auto scaling of a
//! table's write capacity and its global indexes' (ProvisionedWrite...,
//! GlobalSecondaryIndexUpdates) and of their read capacity in a Region
//! (ReplicaUpdates), all or nothing (`auto_scaling`).

use crate::auto_scaling::{self, CapacityScaling, Resource, SettingsUpdate};
use crate::catalog::{IndexKind, TableMeta};
use crate::throughput::Direction;
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateTableReplicaAutoScalingInput {
    table_name: Option<String>,
    global_secondary_index_updates: Option<Vec<IndexUpdate>>,
    provisioned_write_capacity_auto_scaling_update: Option<SettingsUpdate>,
    replica_updates: Option<Vec<ReplicaUpdate>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IndexUpdate {
    index_name: Option<String>,
    provisioned_write_capacity_auto_scaling_update: Option<SettingsUpdate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicaUpdate {
    region_name: Option<String>,
    replica_global_secondary_index_updates: Option<Vec<ReplicaIndexUpdate>>,
    replica_provisioned_read_capacity_auto_scaling_update: Option<SettingsUpdate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ReplicaIndexUpdate {
    index_name: Option<String>,
    provisioned_read_capacity_auto_scaling_update: Option<SettingsUpdate>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: UpdateTableReplicaAutoScalingInput = parse_input(body)?;
    check_members(&input)?;
    let name = crate::table_reference::owned(&input.table_name, context)?;

    let _changes = db.catalog().lock_changes();
    let current = db.catalog().require_changeable(&name)?;
    crate::global_tables::in_region(&current, &context.region)?;
    let mut table = (*current).clone();
    // Every change is worked out on the table as it was, then applied
    // together: a refused update leaves every setting as it stood.
    let mut moves: Vec<(Option<String>, Direction, i64)> = Vec::new();
    let mut changed = |table: &mut TableMeta,
                       index: Option<&str>,
                       direction: Direction,
                       update: &SettingsUpdate|
     -> Result<(), DynamoError> {
        let mut scaling = scaling_of(table, index)?.clone();
        let moved = auto_scaling::apply(
            &mut scaling,
            &Resource {
                table: &current,
                index,
                direction,
            },
            update,
        )?;
        *scaling_of_mut(table, index) = scaling;
        if let Some(units) = moved {
            moves.push((index.map(str::to_string), direction, units));
        }
        Ok(())
    };
    if let Some(update) = &input.provisioned_write_capacity_auto_scaling_update {
        changed(&mut table, None, Direction::Write, update)?;
    }
    for update in input.global_secondary_index_updates.iter().flatten() {
        if let Some(settings) = &update.provisioned_write_capacity_auto_scaling_update {
            changed(
                &mut table,
                update.index_name.as_deref(),
                Direction::Write,
                settings,
            )?;
        } else {
            scaling_of(&table, update.index_name.as_deref())?;
        }
    }
    for replica in input.replica_updates.iter().flatten() {
        let region = replica.region_name.as_deref().unwrap_or_default();
        if !current.is_in_region(region) {
            return Err(DynamoError::validation(format!(
                "Update table replica auto scaling operation failed because one or more replicas were not part of the global table. Please retry the request without these replicas: [{region}]."
            )));
        }
        if let Some(update) = &replica.replica_provisioned_read_capacity_auto_scaling_update {
            changed(&mut table, None, Direction::Read, update)?;
        }
        for update in replica
            .replica_global_secondary_index_updates
            .iter()
            .flatten()
        {
            if let Some(settings) = &update.provisioned_read_capacity_auto_scaling_update {
                changed(
                    &mut table,
                    update.index_name.as_deref(),
                    Direction::Read,
                    settings,
                )?;
            } else {
                scaling_of(&table, update.index_name.as_deref())?;
            }
        }
    }
    if current.is_global() && stops_replicable_writes(&current, &table) {
        return Err(crate::global_tables::provisioned_writes_refused());
    }
    if !moves.is_empty() {
        table.record_warm_throughput();
    }
    let now = crate::now_epoch_seconds();
    for (index, direction, units) in &moves {
        table.scale_capacity_to(index.as_deref(), *direction, *units, now);
    }
    db.save_table(&table)?;
    let scales = table.scales();
    let status = if moves.is_empty() {
        "ACTIVE"
    } else {
        "UPDATING"
    };
    let description = auto_scaling::table_description(&table, status);
    db.catalog().publish(table);
    if scales {
        db.start_scaler();
    }
    let mut response = Map::new();
    response.insert("TableAutoScalingDescription".into(), description);
    super::respond(response)
}

/// The members' own constraints, in Coral's words.
fn check_members(input: &UpdateTableReplicaAutoScalingInput) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    if let Some(updates) = &input.global_secondary_index_updates {
        if updates.is_empty() {
            v.push(
                "'[]'",
                "globalSecondaryIndexUpdates",
                "Member must have length greater than or equal to 1",
            );
        }
        for (i, update) in updates.iter().enumerate() {
            let path = format!("globalSecondaryIndexUpdates.{}.member", i + 1);
            v.name_with_min(
                update.index_name.as_deref(),
                &format!("{path}.indexName"),
                3,
                false,
            );
            if let Some(settings) = &update.provisioned_write_capacity_auto_scaling_update {
                settings.check(
                    &mut v,
                    &format!("{path}.provisionedWriteCapacityAutoScalingUpdate"),
                );
            }
        }
    }
    if let Some(settings) = &input.provisioned_write_capacity_auto_scaling_update {
        settings.check(&mut v, "provisionedWriteCapacityAutoScalingUpdate");
    }
    if let Some(updates) = &input.replica_updates {
        if updates.is_empty() {
            v.push(
                "'[]'",
                "replicaUpdates",
                "Member must have length greater than or equal to 1",
            );
        }
        for (i, update) in updates.iter().enumerate() {
            let path = format!("replicaUpdates.{}.member", i + 1);
            v.require(&update.region_name, &format!("{path}.regionName"));
            for (j, index) in update
                .replica_global_secondary_index_updates
                .iter()
                .flatten()
                .enumerate()
            {
                let path = format!("{path}.replicaGlobalSecondaryIndexUpdates.{}.member", j + 1);
                v.name_with_min(
                    index.index_name.as_deref(),
                    &format!("{path}.indexName"),
                    3,
                    false,
                );
                if let Some(settings) = &index.provisioned_read_capacity_auto_scaling_update {
                    settings.check(
                        &mut v,
                        &format!("{path}.provisionedReadCapacityAutoScalingUpdate"),
                    );
                }
            }
            if let Some(settings) = &update.replica_provisioned_read_capacity_auto_scaling_update {
                settings.check(
                    &mut v,
                    &format!("{path}.replicaProvisionedReadCapacityAutoScalingUpdate"),
                );
            }
        }
    }
    v.finish()
}

/// Whether a provisioned table's write scaling, or one of its global
/// indexes', is removed from `before` in `after`: a provisioned global
/// table keeps its writes auto scaled (`TableMeta::writes_replicable`).
fn stops_replicable_writes(before: &TableMeta, after: &TableMeta) -> bool {
    if before.billing_mode != crate::catalog::BillingMode::Provisioned {
        return false;
    }
    let lost =
        |was: &CapacityScaling, is: &CapacityScaling| was.write.is_some() && is.write.is_none();
    lost(&before.auto_scaling, &after.auto_scaling)
        || before
            .indexes
            .iter()
            .zip(&after.indexes)
            .any(|(was, is)| lost(&was.auto_scaling, &is.auto_scaling))
}

/// The scaling settings of the table (`index` None) or of its global
/// index `index`, which must exist.
fn scaling_of<'t>(
    table: &'t TableMeta,
    index: Option<&str>,
) -> Result<&'t CapacityScaling, DynamoError> {
    let Some(name) = index else {
        return Ok(&table.auto_scaling);
    };
    table
        .indexes
        .iter()
        .find(|i| i.kind == IndexKind::Global && i.name == name)
        .map(|i| &i.auto_scaling)
        .ok_or_else(|| {
            DynamoError::validation(format!(
                "Global secondary index {name} does not exist on table {}",
                table.name
            ))
        })
}

fn scaling_of_mut<'t>(table: &'t mut TableMeta, index: Option<&str>) -> &'t mut CapacityScaling {
    match index.and_then(|name| table.indexes.iter().position(|i| i.name == name)) {
        Some(position) => &mut table.indexes[position].auto_scaling,
        None => &mut table.auto_scaling,
    }
}
