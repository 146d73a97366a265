//! DeleteScheduledAction: removes a scheduled action of a capacity; the
//! bounds it set stay.

use super::{change_target, check_xml_string, unsupported, TargetName};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteScheduledActionInput {
    #[serde(flatten)]
    target: TargetName,
    scheduled_action_name: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: DeleteScheduledActionInput = parse_input(body)?;
    let mut v = Violations::new();
    input.target.check(&mut v, true);
    v.require(&input.scheduled_action_name, "scheduledActionName");
    check_xml_string(
        &mut v,
        input.scheduled_action_name.as_deref(),
        "scheduledActionName",
        1,
        1600,
    );
    v.finish()?;
    let name = input.scheduled_action_name.as_deref().unwrap_or_default();
    let not_found = || input.target.none_named("scheduled action", name);
    if !input.target.in_dynamodb() {
        return Err(not_found());
    }
    let capacity = input.target.capacity().ok_or_else(unsupported)?;
    change_target(db, context, &capacity, not_found, |_, slot| {
        let actions = match slot.as_mut() {
            Some(target) => &mut target.scheduled_actions,
            None => return Err(not_found()),
        };
        let before = actions.len();
        actions.retain(|a| a.name != name);
        if actions.len() == before {
            return Err(not_found());
        }
        Ok(((), None))
    })?;
    crate::ops::respond(Map::new())
}
