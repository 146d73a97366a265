//! DeleteScalingPolicy: removes a capacity's target tracking policy; the
//! scalable target stays registered, and the capacity where it is.

use super::{change_target, check_xml_string, unsupported, TargetName};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteScalingPolicyInput {
    policy_name: Option<String>,
    #[serde(flatten)]
    target: TargetName,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: DeleteScalingPolicyInput = parse_input(body)?;
    let mut v = Violations::new();
    v.require(&input.policy_name, "policyName");
    check_xml_string(&mut v, input.policy_name.as_deref(), "policyName", 1, 1600);
    input.target.check(&mut v, true);
    v.finish()?;
    let name = input.policy_name.as_deref().unwrap_or_default();
    let not_found = || input.target.none_named("scaling policy", name);
    if !input.target.in_dynamodb() {
        return Err(not_found());
    }
    let capacity = input.target.capacity().ok_or_else(unsupported)?;
    change_target(db, context, &capacity, not_found, |_, slot| {
        match slot.as_mut() {
            Some(target) if target.policy.as_ref().is_some_and(|p| p.name == name) => {
                target.policy = None;
                Ok(((), None))
            }
            _ => Err(not_found()),
        }
    })?;
    crate::ops::respond(Map::new())
}
