//! UpdateTable's GlobalSecondaryIndexUpdates: an index created (with a
//! background backfill), one deleted, or an index's throughput, on-demand
//! ceiling or warm throughput updated.

use super::one_concern::sets_on_demand;
use super::{IndexChanges, IndexThroughputInput, IndexUpdateInput, UpdateTableInput, UpdatedIndex};
use crate::catalog::{
    BillingMode, IndexKind, IndexMeta, IndexStatus, KeyAttribute, ScalarType, TableMeta,
};
use crate::ops::capacity_quotas::{check_capacity_quota, check_on_demand_quota};
use crate::ops::index_definitions::{self, IndexInput};
use crate::ops::shapes::{AttributeDefinitionInput, Target};
use crate::validate::Violations;
use crate::{now_epoch_seconds, Database};
use dynalith_model::{DynamoError, ErrorKind};

/// Applies GlobalSecondaryIndexUpdates to `table`: at most one index
/// created or deleted per request, as DynamoDB allows.
pub(super) fn apply_index_updates(
    db: &Database,
    table: &mut TableMeta,
    input: &UpdateTableInput,
    updates: &[IndexUpdateInput],
) -> Result<IndexChanges, DynamoError> {
    if updates.is_empty() {
        return Err(DynamoError::invalid_parameter(
            "List of GlobalSecondaryIndexUpdates is empty",
        ));
    }
    for update in updates {
        let actions = usize::from(update.create.is_some())
            + usize::from(update.update.is_some())
            + usize::from(update.delete.is_some());
        if actions == 0 {
            return Err(DynamoError::invalid_parameter(
                "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null",
            ));
        }
        if actions > 1 {
            return Err(DynamoError::invalid_parameter(
                "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object",
            ));
        }
    }
    let limit = || {
        DynamoError::new(
            ErrorKind::LimitExceeded,
            "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
        )
    };
    let mut named = std::collections::HashSet::new();
    let names = updates.iter().flat_map(|u| {
        [
            u.create.as_ref().and_then(|c| c.index_name.as_deref()),
            u.update.as_ref().and_then(|c| c.index_name.as_deref()),
            u.delete.as_ref().and_then(|c| c.index_name.as_deref()),
        ]
        .into_iter()
        .flatten()
    });
    for name in names {
        if !named.insert(name) {
            return Err(DynamoError::invalid_parameter(format!(
                "Only one global secondary index update per index is allowed simultaneously. Index: {name}"
            )));
        }
    }
    let structural = updates
        .iter()
        .map(|u| usize::from(u.create.is_some()) + usize::from(u.delete.is_some()))
        .sum::<usize>();
    if structural > 1 {
        return Err(limit());
    }
    let creating = table
        .indexes
        .iter()
        .find(|i| i.status == IndexStatus::Creating)
        .map(|i| i.name.clone());
    let mut changes = IndexChanges::default();
    for (position, update) in updates.iter().enumerate() {
        if let Some(create) = &update.create {
            if creating.is_some() {
                return Err(limit());
            }
            changes.created = Some(create_index(db, table, input, create)?);
        }
        if let Some(change) = &update.update {
            let billing_asked = input.billing_mode.is_some();
            let updated = update_index_throughput(table, change, billing_asked, position)?;
            changes.updated.push(updated);
        }
        if let Some(delete) = &update.delete {
            let name = delete.index_name.as_deref().unwrap_or_default();
            global_index_position(table, name, "delete")?;
            match &creating {
                Some(c) if c == name => return Err(DynamoError::new(
                    ErrorKind::ResourceInUse,
                    "Attempt to change a resource which is still in use: Index is being created.",
                )),
                Some(_) => return Err(limit()),
                None => {}
            }
            let position = global_index_position(table, name, "delete")?;
            changes.deleted = Some(table.indexes.remove(position));
            // Its read scaling in each Region goes with it.
            for replica in &mut table.replicas {
                replica.read_scaling.indexes.remove(name);
            }
            prune_definitions(table);
        }
    }
    Ok(changes)
}

/// Where the global index an Update or Delete action (`action`) names is
/// among the table's indexes; DynamoDB's answers for no such index and
/// for a local one.
fn global_index_position(
    table: &TableMeta,
    name: &str,
    action: &str,
) -> Result<usize, DynamoError> {
    let position = table
        .indexes
        .iter()
        .position(|i| i.name == name)
        .ok_or_else(|| {
            DynamoError::new(
                ErrorKind::ResourceNotFound,
                format!(
                    "Requested resource not found: Index {name} for table {}",
                    table.name
                ),
            )
        })?;
    if table.indexes[position].kind != IndexKind::Global {
        return Err(DynamoError::validation(format!(
            "Cannot {action} an index that is not a GlobalSecondaryIndex: {name}"
        )));
    }
    Ok(position)
}

/// Keeps only the attribute definitions some key still uses, as DynamoDB
/// does after an index change.
pub(super) fn prune_definitions(table: &mut TableMeta) {
    let used = |name: &str| {
        table.key_schema.is_key_attribute(name)
            || table
                .indexes
                .iter()
                .any(|i| i.key_schema.is_key_attribute(name))
            || table.vector_indexes_use(name)
    };
    let kept = table
        .attribute_definitions
        .iter()
        .filter(|d| used(&d.name))
        .cloned()
        .collect();
    table.attribute_definitions = kept;
}

/// Adds a new global index (CREATING) to `table`; returns its name and id.
fn create_index(
    db: &Database,
    table: &mut TableMeta,
    input: &UpdateTableInput,
    create: &IndexInput,
) -> Result<(String, u32), DynamoError> {
    let index_name = create.index_name.as_deref().unwrap_or_default();
    let Some(requested) = input.attribute_definitions.as_deref() else {
        return Err(DynamoError::invalid_parameter(format!(
            "AttributeDefinitions is not specified for index: {index_name}"
        )));
    };
    if table.billing_mode == BillingMode::Provisioned && create.provisioned_throughput.is_none() {
        return Err(DynamoError::invalid_parameter(format!(
            "Both ReadCapacityUnits and WriteCapacityUnits must be specified for index: {index_name}"
        )));
    }
    let definitions = merged_definitions(table, requested)?;
    // The new index's keys must be defined by the request itself, even
    // those the table defines already (DynamoDB refuses the request
    // otherwise: the API reference's "must include the key element(s) of
    // the new index", recorded against it in 2026-07).
    let in_request: Vec<KeyAttribute> = requested
        .iter()
        .filter_map(|def| {
            let name = def.attribute_name.as_deref()?;
            definitions.iter().find(|d| d.name == name).cloned()
        })
        .collect();
    let definition = index_definitions::global_index(create, &in_request, table.billing_mode)?;
    if let Some(t) = &create.provisioned_throughput {
        check_capacity_quota(
            t.read_capacity_units,
            t.write_capacity_units,
            Target::Index(index_name),
            &table.region,
        )?;
    }
    if let Some(ceiling) = &create.on_demand_throughput {
        check_on_demand_quota(ceiling, Target::Index(index_name), &table.region)?;
    }
    if table.index(&definition.name).is_some() {
        return Err(DynamoError::validation(
            "Attempting to create an index which already exists",
        ));
    }
    let globals = table
        .indexes
        .iter()
        .filter(|i| i.kind == IndexKind::Global)
        .count();
    if globals >= index_definitions::MAX_GLOBAL_INDEXES {
        return Err(DynamoError::new(
            ErrorKind::LimitExceeded,
            format!(
                "Subscriber limit exceeded: Number of global secondary indexes exceeds per-table limit of {}",
                index_definitions::MAX_GLOBAL_INDEXES
            ),
        ));
    }
    let mut all: Vec<index_definitions::IndexDefinition> = table
        .indexes
        .iter()
        .map(|i| index_definitions::IndexDefinition {
            name: i.name.clone(),
            kind: i.kind,
            key_schema: i.key_schema.clone(),
            projection: i.projection.clone(),
            throughput: i.throughput.clone(),
            on_demand: i.on_demand,
            warm_throughput: i.warm_throughput,
        })
        .collect();
    all.push(definition.clone());
    index_definitions::check_all(&all)?;
    let id = crate::catalog::next_id(db.engine())?;
    let counter_slot = Some(table.take_counter_slot()?);
    // Keep only the definitions some key uses, as DynamoDB does.
    table.indexes.push(IndexMeta {
        id,
        name: definition.name.clone(),
        kind: IndexKind::Global,
        key_schema: definition.key_schema,
        projection: definition.projection,
        throughput: definition.throughput,
        on_demand: definition.on_demand,
        warm_throughput: definition.warm_throughput,
        status: IndexStatus::Creating,
        counter_slot,
        auto_scaling: Default::default(),
    });
    table.attribute_definitions = definitions
        .into_iter()
        .filter(|d| {
            table.key_schema.is_key_attribute(&d.name)
                || table
                    .indexes
                    .iter()
                    .any(|i| i.key_schema.is_key_attribute(&d.name))
                || table.vector_indexes_use(&d.name)
        })
        .collect();
    Ok((definition.name, id))
}

/// The table's attribute definitions plus those of the request; a
/// redefinition must keep the type.
pub(super) fn merged_definitions(
    table: &TableMeta,
    requested: &[AttributeDefinitionInput],
) -> Result<Vec<KeyAttribute>, DynamoError> {
    let mut definitions = table.attribute_definitions.clone();
    for def in requested {
        let name = def.attribute_name.clone().unwrap_or_default();
        let scalar_type = def
            .attribute_type
            .as_deref()
            .and_then(ScalarType::parse)
            .unwrap_or(ScalarType::S);
        match definitions.iter().find(|d| d.name == name) {
            Some(existing) if existing.scalar_type != scalar_type => {
                return Err(DynamoError::validation(
                    "invalid attribute, SchemaElement redefined should be of same type as previously defined",
                ))
            }
            Some(_) => {}
            None => definitions.push(KeyAttribute { name, scalar_type }),
        }
    }
    Ok(definitions)
}

/// Applies a global index's Update action. `billing_asked`: the request
/// sets BillingMode too, which words a misplaced ProvisionedThroughput
/// differently.
/// `position`: the action's place in GlobalSecondaryIndexUpdates.
fn update_index_throughput(
    table: &mut TableMeta,
    change: &IndexThroughputInput,
    billing_asked: bool,
    position: usize,
) -> Result<UpdatedIndex, DynamoError> {
    let name = change.index_name.as_deref().unwrap_or_default();
    let billing = table.billing_mode;
    let region = table.region.clone();
    let at = global_index_position(table, name, "update")?;
    let index = &mut table.indexes[at];
    let sets_ceiling = change
        .on_demand_throughput
        .as_ref()
        .is_some_and(sets_on_demand);
    if change.provisioned_throughput.is_none() && change.warm_throughput.is_none() {
        if billing == BillingMode::PayPerRequest && !sets_ceiling {
            return Err(DynamoError::invalid_parameter(format!(
                "The only Updates for index: {name} when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput"
            )));
        }
        if billing == BillingMode::Provisioned && change.on_demand_throughput.is_none() {
            // A provisioned table's index update needs its capacity.
            let mut v = Violations::new();
            v.require(
                &change.provisioned_throughput,
                &format!(
                    "globalSecondaryIndexUpdates.{}.member.update.provisionedThroughput",
                    position + 1
                ),
            );
            v.finish()?;
        }
    }
    index.on_demand = index_definitions::on_demand_ceiling_for(
        billing,
        change.on_demand_throughput.as_ref(),
        index.on_demand,
        Target::Index(name),
    )?;
    if let Some(ceiling) = change.on_demand_throughput.as_ref() {
        check_on_demand_quota(ceiling, Target::Index(name), &region)?;
    }
    if let Some(requested) = change.provisioned_throughput {
        if billing == BillingMode::PayPerRequest {
            return Err(DynamoError::invalid_parameter(if billing_asked {
                format!("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: {name} when BillingMode is PAY_PER_REQUEST")
            } else {
                format!("The only Updates for index: {name} when TableThroughputMode is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput")
            }));
        }
        requested.check_bounds()?;
        let now = now_epoch_seconds();
        let read = requested.read_capacity_units.unwrap_or(0);
        let write = requested.write_capacity_units.unwrap_or(0);
        let current = &index.throughput;
        if read == current.read_capacity_units && write == current.write_capacity_units {
            return Err(DynamoError::validation(format!(
                "The provisioned throughput for the index {name} will not change. The requested value equals the current value. Current ReadCapacityUnits provisioned for index {name}: {read}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned for index {name}: {write}. Requested WriteCapacityUnits: {write}. Refer to the Amazon DynamoDB Developer Guide for current limits and how to request higher limits."
            )));
        }
        check_capacity_quota(Some(read), Some(write), Target::Index(name), &region)?;
        index.throughput.change_to(read, write, now);
    }
    if let Some(wanted) = &change.warm_throughput {
        index.warm_throughput =
            Some(wanted.applied_to_for(index.warm_throughput(billing), Target::Index(name))?);
    }
    Ok(UpdatedIndex {
        name: name.to_string(),
        capacity: change.provisioned_throughput.is_some() || sets_ceiling,
        provisioned: change.provisioned_throughput.is_some(),
        warm: change.warm_throughput.is_some(),
        ceiling_set: match &change.on_demand_throughput {
            Some(asked) if billing == BillingMode::PayPerRequest => [
                asked.max_read_request_units.is_some(),
                asked.max_write_request_units.is_some(),
            ],
            _ => [false, false],
        },
    })
}
