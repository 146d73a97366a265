//! RegisterScalableTarget: makes a table's or global index's capacity
//! scalable between MinCapacity and MaxCapacity, or changes the bounds,
//! role or suspended scaling of a registered one. A capacity outside new
//! bounds moves into them at once.

use super::{
    apply_update, change_target, check_bounds, check_xml_string, unsupported, Capacity, TargetName,
};
use crate::auto_scaling::activities::Activity;
use crate::auto_scaling::{SettingsUpdate, Suspension};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map};
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RegisterScalableTargetInput {
    #[serde(flatten)]
    target: TargetName,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    min_capacity: Option<i64>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    max_capacity: Option<i64>,
    #[serde(rename = "RoleARN")]
    role_arn: Option<String>,
    suspended_state: Option<SuspendedState>,
    tags: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SuspendedState {
    dynamic_scaling_in_suspended: Option<bool>,
    dynamic_scaling_out_suspended: Option<bool>,
    scheduled_scaling_suspended: Option<bool>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: RegisterScalableTargetInput = parse_input(body)?;
    let mut v = Violations::new();
    input.target.check(&mut v, true);
    check_xml_string(&mut v, input.role_arn.as_deref(), "roleARN", 1, 1600);
    if let Some(tags) = &input.tags {
        super::tag_resource::check_tags(&mut v, tags);
    }
    v.finish()?;
    let capacity = input.target.capacity().ok_or_else(unsupported)?;
    check_bounds(input.min_capacity, input.max_capacity)?;
    let resource_id = capacity.resource_id();
    let missing = || {
        let what = if capacity.index.is_some() {
            "global secondary index"
        } else {
            "table"
        };
        DynamoError::validation(format!("DynamoDB {what} does not exist: {resource_id}"))
    };
    let (arn, moved, by_region) = change_target(db, context, &capacity, missing, |table, slot| {
        if slot.is_none() && (input.min_capacity.is_none() || input.max_capacity.is_none()) {
            return Err(DynamoError::validation(format!(
                "MinCapacity and MaxCapacity are required to register the new scalable target {resource_id} ({})",
                capacity.dimension()
            )));
        }
        if slot.is_some() && input.tags.is_some() {
            return Err(DynamoError::validation(
                "The scalable target that you tried to tag already exists. To update tags on an existing scalable target, use the TagResource API.",
            ));
        }
        let update = SettingsUpdate {
            minimum_units: input.min_capacity,
            maximum_units: input.max_capacity,
            auto_scaling_role_arn: input.role_arn.clone(),
            ..Default::default()
        };
        let (mut target, moved) = apply_update(table, &context.region, &capacity, slot, &update)?;
        if let Some(target) = &mut target {
            if let Some(state) = &input.suspended_state {
                target.suspended = suspension(&target.suspended, state);
            }
            if let Some(tags) = &input.tags {
                target.tags = tags.clone();
            }
        }
        let arn = target
            .as_ref()
            .map(|t| super::target_arn(&context.region, t))
            .unwrap_or_default();
        *slot = target;
        let by_region = table.scales_by_region(capacity.direction);
        Ok(((arn, moved, by_region), moved))
    })?;
    if let Some(units) = moved {
        let region = by_region.then_some(context.region.as_str());
        record_bounds_move(db, &capacity, region, units, &input);
    }
    let mut response = Map::new();
    response.insert("ScalableTargetARN".into(), json!(arn));
    crate::ops::respond(response)
}

/// SuspendedState given for a target: what it names changes, the rest
/// stays.
fn suspension(current: &Suspension, state: &SuspendedState) -> Suspension {
    Suspension {
        scale_in: state
            .dynamic_scaling_in_suspended
            .unwrap_or(current.scale_in),
        scale_out: state
            .dynamic_scaling_out_suspended
            .unwrap_or(current.scale_out),
        scheduled: state
            .scheduled_scaling_suspended
            .unwrap_or(current.scheduled),
    }
}

/// The activity of a capacity moved into the bounds just registered.
fn record_bounds_move(
    db: &Database,
    capacity: &Capacity,
    region: Option<&str>,
    units: i64,
    input: &RegisterScalableTargetInput,
) {
    let (bound, value) = if Some(units) == input.min_capacity {
        ("minimum", units)
    } else {
        ("maximum", units)
    };
    db.record_scaling_activity(
        Activity::new(
            &capacity.table,
            capacity.index.as_deref(),
            capacity.direction,
            units,
            format!("{bound} capacity was set to {value}"),
        )
        .in_region(region),
    );
}
