//! UpdateTableReplicaAutoScaling: sets or removes the auto scaling of a
//! table's write capacity and its global indexes' (ProvisionedWrite...,
//! GlobalSecondaryIndexUpdates), the same in every Region, and of their
//! read capacity in each Region (ReplicaUpdates,
//! `auto_scaling::regions`), all or nothing (`auto_scaling`).

use crate::auto_scaling::{self, Resource, SettingsUpdate};
use crate::catalog::TableMeta;
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
    // Writes have the table's settings in every Region, reads the
    // Region's (`auto_scaling::regions`).
    let mut moves: Vec<(String, Option<String>, Direction, i64)> = Vec::new();
    let mut changed = |table: &mut TableMeta,
                       region: &str,
                       index: Option<&str>,
                       direction: Direction,
                       update: &SettingsUpdate|
     -> Result<(), DynamoError> {
        let resource = Resource {
            table: &current,
            index,
            direction,
            region,
        };
        let moved = table
            .change_target_in(region, index, direction, |slot| {
                let mut updated = slot.clone();
                let moved = auto_scaling::apply(&mut updated, &resource, update)?;
                *slot = updated;
                Ok::<_, DynamoError>(moved)
            })
            .ok_or_else(|| missing_index(&current, index))??;
        if let Some(units) = moved {
            moves.push((
                region.to_string(),
                index.map(str::to_string),
                direction,
                units,
            ));
        }
        Ok(())
    };
    let own_region = current.region.clone();
    if let Some(update) = &input.provisioned_write_capacity_auto_scaling_update {
        changed(&mut table, &own_region, None, Direction::Write, update)?;
    }
    for update in input.global_secondary_index_updates.iter().flatten() {
        if let Some(settings) = &update.provisioned_write_capacity_auto_scaling_update {
            changed(
                &mut table,
                &own_region,
                update.index_name.as_deref(),
                Direction::Write,
                settings,
            )?;
        } else {
            let index = update.index_name.as_deref();
            table
                .capacity_scaling(index)
                .ok_or_else(|| missing_index(&table, index))?;
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
            changed(&mut table, region, None, Direction::Read, update)?;
        }
        for update in replica
            .replica_global_secondary_index_updates
            .iter()
            .flatten()
        {
            if let Some(settings) = &update.provisioned_read_capacity_auto_scaling_update {
                changed(
                    &mut table,
                    region,
                    update.index_name.as_deref(),
                    Direction::Read,
                    settings,
                )?;
            } else {
                let index = update.index_name.as_deref();
                table
                    .capacity_scaling(index)
                    .ok_or_else(|| missing_index(&table, index))?;
            }
        }
    }
    if current.stops_replicable_writes(&table) {
        return Err(crate::global_tables::provisioned_writes_refused());
    }
    let now = crate::now_epoch_seconds();
    if !moves.is_empty() {
        table.move_into_bounds(&current, now, |table| {
            table.record_warm_throughput();
            for (region, index, direction, units) in &moves {
                table.scale_in(region, index.as_deref(), *direction, *units, now);
            }
        });
    }
    db.save_table(&table)?;
    let scales = table.scales();
    let status = if moves.is_empty() {
        "ACTIVE"
    } else {
        "UPDATING"
    };
    let description = auto_scaling::table_description(&table, status, db.catalog().transitions());
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

/// The error for a global index `index` the table does not have.
fn missing_index(table: &TableMeta, index: Option<&str>) -> DynamoError {
    DynamoError::validation(format!(
        "Global secondary index {} does not exist on table {}",
        index.unwrap_or_default(),
        table.name
    ))
}
