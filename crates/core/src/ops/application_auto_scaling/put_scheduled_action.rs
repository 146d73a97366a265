//! PutScheduledAction: creates or changes a scheduled action of a
//! registered capacity: at the times of its Schedule, the target takes
//! the ScalableTargetAction's bounds (`auto_scaling::schedule`; the
//! scaler runs it). Members left out of a change keep their values.

use super::{change_target, check_bounds, check_xml_string, unsupported, TargetName};
use crate::auto_scaling::schedule::Schedule;
use crate::auto_scaling::ScheduledAction;
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutScheduledActionInput {
    #[serde(flatten)]
    target: TargetName,
    schedule: Option<String>,
    timezone: Option<String>,
    scheduled_action_name: Option<String>,
    start_time: Option<f64>,
    end_time: Option<f64>,
    scalable_target_action: Option<ScalableTargetAction>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ScalableTargetAction {
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    min_capacity: Option<i64>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    max_capacity: Option<i64>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: PutScheduledActionInput = parse_input(body)?;
    let mut v = Violations::new();
    input.target.check(&mut v, true);
    check_xml_string(&mut v, input.schedule.as_deref(), "schedule", 1, 1600);
    check_xml_string(&mut v, input.timezone.as_deref(), "timezone", 1, 1600);
    v.require(&input.scheduled_action_name, "scheduledActionName");
    check_action_name(&mut v, input.scheduled_action_name.as_deref());
    v.finish()?;
    if !input.target.in_dynamodb() {
        return Err(input.target.not_registered());
    }
    let capacity = input.target.capacity().ok_or_else(unsupported)?;
    check_values(&input)?;
    let name = input.scheduled_action_name.clone().unwrap_or_default();
    change_target(
        db,
        context,
        &capacity,
        || input.target.not_registered(),
        |_, slot| {
            let Some(target) = slot else {
                return Err(input.target.not_registered());
            };
            let current = target.scheduled_actions.iter().position(|a| a.name == name);
            let mut action = match current {
                Some(i) => target.scheduled_actions[i].clone(),
                None => ScheduledAction {
                    name: name.clone(),
                    schedule: input.schedule.clone().ok_or_else(|| {
                        DynamoError::validation("Schedule is required to create a scheduled action")
                    })?,
                    timezone: None,
                    start: None,
                    end: None,
                    minimum_units: None,
                    maximum_units: None,
                    created: crate::now_epoch_seconds(),
                    id: uuid::Uuid::new_v4().to_string(),
                },
            };
            if let Some(schedule) = &input.schedule {
                action.schedule = schedule.clone();
            }
            if input.timezone.is_some() {
                action.timezone = input.timezone.clone();
            }
            if input.start_time.is_some() {
                action.start = input.start_time;
            }
            if input.end_time.is_some() {
                action.end = input.end_time;
            }
            if let Some(bounds) = &input.scalable_target_action {
                action.minimum_units = bounds.min_capacity.or(action.minimum_units);
                action.maximum_units = bounds.max_capacity.or(action.maximum_units);
            }
            check_action(&action)?;
            match current {
                Some(i) => target.scheduled_actions[i] = action,
                None => target.scheduled_actions.push(action),
            }
            Ok(((), None))
        },
    )?;
    crate::ops::respond(Map::new())
}

/// ScheduledActionName's pattern: no leading or trailing space, no
/// control characters, `:`, `/` or `|`.
pub(super) fn check_action_name(v: &mut Violations, name: Option<&str>) {
    let Some(name) = name else {
        return;
    };
    let shown = format!("'{name}'");
    v.length_between(&shown, name.chars().count(), "scheduledActionName", 1, 256);
    let refused = name.starts_with(' ')
        || name.ends_with(' ')
        || name
            .chars()
            .any(|c| c.is_control() || matches!(c, ':' | '/' | '|'));
    if refused {
        v.push(
            &shown,
            "scheduledActionName",
            "Member must satisfy regular expression pattern: (?!((^[ ]+.*)|(.*([\\u0000-\\u001f]|[\\u007f-\\u009f]|[:/|])+.*)|(.*[ ]+$))).+",
        );
    }
}

/// What the request gives, on its own: a schedule that parses, a known
/// time zone, bounds a DynamoDB capacity can take.
fn check_values(input: &PutScheduledActionInput) -> Result<(), DynamoError> {
    if let Some(schedule) = &input.schedule {
        Schedule::parse(schedule)
            .map_err(|why| DynamoError::validation(format!("Invalid Schedule: {why}")))?;
    }
    if let Some(zone) = &input.timezone {
        jiff::tz::TimeZone::get(zone).map_err(|_| {
            DynamoError::validation(format!(
                "Invalid Timezone: {zone} is not a time zone of the IANA time zone database"
            ))
        })?;
    }
    if let Some(bounds) = &input.scalable_target_action {
        check_bounds(bounds.min_capacity, bounds.max_capacity)?;
    }
    Ok(())
}

/// The action as it will be kept: bounds in order, a start before its end,
/// something to set.
fn check_action(action: &ScheduledAction) -> Result<(), DynamoError> {
    if action.minimum_units.is_none() && action.maximum_units.is_none() {
        return Err(DynamoError::validation(
            "ScalableTargetAction must set MinCapacity, MaxCapacity or both",
        ));
    }
    if let (Some(min), Some(max)) = (action.minimum_units, action.maximum_units) {
        if min > max {
            return Err(DynamoError::validation(format!(
                "Minimum capacity cannot be larger than maximum capacity: MinCapacity {min}, MaxCapacity {max}"
            )));
        }
    }
    if let (Some(start), Some(end)) = (action.start, action.end) {
        if start > end {
            return Err(DynamoError::validation("StartTime must be before EndTime"));
        }
    }
    Ok(())
}
