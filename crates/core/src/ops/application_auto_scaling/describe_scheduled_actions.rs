//! DescribeScheduledActions: the scheduled actions of the caller's
//! Region, filtered by ScheduledActionNames, ResourceId and
//! ScalableDimension, in pages of MaxResults.

use super::{check_name_list, page_response, registered_targets, Capacity, TargetName, DYNAMODB};
use crate::auto_scaling::ScheduledAction;
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeScheduledActionsInput {
    scheduled_action_names: Option<Vec<String>>,
    #[serde(flatten)]
    target: TargetName,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeScheduledActionsInput = parse_input(body)?;
    let mut v = Violations::new();
    check_name_list(
        &mut v,
        input.scheduled_action_names.as_deref(),
        "scheduledActionNames",
    );
    input.target.check(&mut v, false);
    v.finish()?;
    let mut actions = Vec::new();
    if input.target.in_dynamodb() {
        for (capacity, table) in registered_targets(db, &context.region) {
            let resource_id = capacity.resource_id();
            let dimension = capacity.dimension();
            let wanted = input.target.selects(&resource_id, &dimension);
            let Some(target) = capacity.target(&table, &context.region).filter(|_| wanted) else {
                continue;
            };
            for action in &target.scheduled_actions {
                let named = input
                    .scheduled_action_names
                    .as_ref()
                    .is_none_or(|names| names.is_empty() || names.contains(&action.name));
                if named {
                    let key = format!("{resource_id} {dimension} {}", action.name);
                    actions.push((key, description(&context.region, &capacity, action)));
                }
            }
        }
    }
    page_response(
        "ScheduledActions",
        actions,
        input.max_results,
        input.next_token.as_deref(),
    )
}

/// ScheduledAction.
fn description(region: &str, capacity: &Capacity, action: &ScheduledAction) -> Value {
    let resource_id = capacity.resource_id();
    let mut bounds = Map::new();
    if let Some(min) = action.minimum_units {
        bounds.insert("MinCapacity".into(), min.into());
    }
    if let Some(max) = action.maximum_units {
        bounds.insert("MaxCapacity".into(), max.into());
    }
    let mut described = json!({
        "ScheduledActionName": action.name,
        "ScheduledActionARN": format!(
            "arn:aws:autoscaling:{region}:{}:scheduledAction:{}:resource/dynamodb/{resource_id}:scheduledActionName/{}",
            crate::ACCOUNT_ID,
            action.id,
            action.name
        ),
        "ServiceNamespace": DYNAMODB,
        "Schedule": action.schedule,
        "ResourceId": resource_id,
        "ScalableDimension": capacity.dimension(),
        "ScalableTargetAction": bounds,
        "CreationTime": action.created,
    });
    if let Some(zone) = &action.timezone {
        described["Timezone"] = zone.clone().into();
    }
    if let Some(start) = action.start {
        described["StartTime"] = start.into();
    }
    if let Some(end) = action.end {
        described["EndTime"] = end.into();
    }
    described
}
