//! TagResource: adds or replaces tags of a scalable target, named by its
//! ScalableTargetARN.

use super::{arn_not_found, change_target, check_target_arn, target_of_arn};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{wire::parse_input, DynamoError, ErrorKind};
use serde::Deserialize;
use serde_json::{json, Map};
use std::collections::BTreeMap;

/// The most tags a scalable target takes.
const MAX_TAGS: usize = 50;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TagResourceInput {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
    tags: Option<BTreeMap<String, String>>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: TagResourceInput = parse_input(body)?;
    let mut v = Violations::new();
    check_target_arn(&mut v, input.resource_arn.as_deref());
    v.require(&input.tags, "tags");
    if let Some(tags) = &input.tags {
        check_tags(&mut v, tags);
    }
    v.finish()?;
    let arn = input.resource_arn.as_deref().unwrap_or_default();
    let missing = || arn_not_found(arn);
    let capacity = target_of_arn(db, context, arn).ok_or_else(missing)?;
    change_target(db, context, &capacity, missing, |_, slot| {
        let Some(target) = slot else {
            return Err(missing());
        };
        let mut tags = target.tags.clone();
        tags.extend(input.tags.clone().unwrap_or_default());
        if tags.len() > MAX_TAGS {
            return Err(DynamoError::new(
                ErrorKind::TooManyTags,
                format!(
                    "A scalable target can have at most {MAX_TAGS} tags; {arn} would have {}",
                    tags.len()
                ),
            )
            .with_extra("ResourceName", json!(arn)));
        }
        target.tags = tags;
        Ok(((), None))
    })?;
    crate::ops::respond(Map::new())
}

/// Coral's checks of a TagMap: keys of 1 to 128 characters, values of up
/// to 256.
pub(super) fn check_tags(v: &mut Violations, tags: &BTreeMap<String, String>) {
    for (key, value) in tags {
        let length = key.chars().count();
        if !(1..=128).contains(&length) {
            v.push(
                format_args!("'{key}'"),
                "tags",
                "Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]",
            );
        }
        if value.chars().count() > 256 {
            v.push(
                format_args!("'{value}'"),
                "tags",
                "Map values must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]",
            );
        }
    }
}
