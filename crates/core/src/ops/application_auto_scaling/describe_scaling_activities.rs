//! DescribeScalingActivities: the recent changes of scaling capacities,
//! newest first (`auto_scaling::activities`), filtered by ResourceId and
//! ScalableDimension, in pages of MaxResults; with
//! IncludeNotScaledActivities, also the alarms the bounds held back.

use super::{page_response, TargetName, DYNAMODB};
use crate::auto_scaling::activities::Activity;
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeScalingActivitiesInput {
    #[serde(flatten)]
    target: TargetName,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    max_results: Option<i64>,
    next_token: Option<String>,
    include_not_scaled_activities: Option<bool>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeScalingActivitiesInput = parse_input(body)?;
    let mut v = Violations::new();
    input.target.check(&mut v, false);
    v.finish()?;
    let activities = if input.target.in_dynamodb() {
        let include_not_scaled = input.include_not_scaled_activities == Some(true);
        db.scaling_activities(|a| {
            (include_not_scaled || a.not_scaled.is_none())
                && a.seen_in(&context.region)
                && input.target.selects(&resource_id(a), &dimension(a))
        })?
    } else {
        Vec::new()
    };
    let keyed = activities
        .iter()
        .map(|a| (a.id.clone(), description(a)))
        .collect();
    page_response(
        "ScalingActivities",
        keyed,
        input.max_results,
        input.next_token.as_deref(),
    )
}

fn resource_id(activity: &Activity) -> String {
    crate::auto_scaling::resource_id(&activity.table, activity.index.as_deref())
}

fn dimension(activity: &Activity) -> String {
    crate::auto_scaling::scalable_dimension(activity.index.is_some(), activity.direction)
}

/// ScalingActivity, in Application Auto Scaling's words for DynamoDB.
fn description(activity: &Activity) -> Value {
    let what = format!(
        "{} capacity units to {}",
        activity.direction.name().to_lowercase(),
        activity.units
    );
    if let Some(reason) = &activity.not_scaled {
        let mut code = json!({
            "Code": reason.code,
            "CurrentCapacity": activity.units,
        });
        if let Some(min) = reason.minimum {
            code["MinCapacity"] = min.into();
        }
        if let Some(max) = reason.maximum {
            code["MaxCapacity"] = max.into();
        }
        return json!({
            "ActivityId": activity.id,
            "ServiceNamespace": DYNAMODB,
            "ResourceId": resource_id(activity),
            "ScalableDimension": dimension(activity),
            "Description": "Attempting to scale due to alarm triggered",
            "Cause": activity.cause,
            "StartTime": activity.start,
            "EndTime": activity.end,
            "StatusCode": "Failed",
            "StatusMessage": format!("Failed to set {what}"),
            "NotScaledReasons": [code],
        });
    }
    let (status, message) = match &activity.failure {
        None => (
            "Successful",
            format!("Successfully set {what}. Change successfully fulfilled by dynamodb."),
        ),
        Some(why) => ("Failed", format!("Failed to set {what}. Reason: {why}")),
    };
    json!({
        "ActivityId": activity.id,
        "ServiceNamespace": DYNAMODB,
        "ResourceId": resource_id(activity),
        "ScalableDimension": dimension(activity),
        "Description": format!("Setting {what}."),
        "Cause": activity.cause,
        "StartTime": activity.start,
        "EndTime": activity.end,
        "StatusCode": status,
        "StatusMessage": message,
    })
}
