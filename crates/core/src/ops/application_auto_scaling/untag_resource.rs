//! UntagResource: removes tags of a scalable target, named by its
//! ScalableTargetARN. Keys it does not have are no error.

use super::{arn_not_found, change_target, check_target_arn, target_of_arn};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UntagResourceInput {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
    tag_keys: Option<Vec<String>>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: UntagResourceInput = parse_input(body)?;
    let mut v = Violations::new();
    check_target_arn(&mut v, input.resource_arn.as_deref());
    v.require(&input.tag_keys, "tagKeys");
    if let Some(keys) = &input.tag_keys {
        v.length_between(format_args!("'{keys:?}'"), keys.len(), "tagKeys", 0, 200);
        for (i, key) in keys.iter().enumerate() {
            v.length_between(
                format_args!("'{key}'"),
                key.chars().count(),
                &format!("tagKeys.{}.member", i + 1),
                1,
                128,
            );
        }
    }
    v.finish()?;
    let arn = input.resource_arn.as_deref().unwrap_or_default();
    let missing = || arn_not_found(arn);
    let capacity = target_of_arn(db, context, arn).ok_or_else(missing)?;
    change_target(db, context, &capacity, missing, |_, slot| {
        let Some(target) = slot else {
            return Err(missing());
        };
        for key in input.tag_keys.iter().flatten() {
            target.tags.remove(key);
        }
        Ok(((), None))
    })?;
    crate::ops::respond(Map::new())
}
