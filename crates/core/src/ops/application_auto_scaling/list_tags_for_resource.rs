//! ListTagsForResource: the tags of a scalable target, named by its
//! ScalableTargetARN.

use super::{arn_not_found, check_target_arn, target_of_arn};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{json, Map};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTagsForResourceInput {
    #[serde(rename = "ResourceARN")]
    resource_arn: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: ListTagsForResourceInput = parse_input(body)?;
    let mut v = Violations::new();
    check_target_arn(&mut v, input.resource_arn.as_deref());
    v.finish()?;
    let arn = input.resource_arn.as_deref().unwrap_or_default();
    let missing = || arn_not_found(arn);
    let capacity = target_of_arn(db, context, arn).ok_or_else(missing)?;
    let table = db
        .catalog()
        .get_in(&capacity.table, &context.region)
        .ok_or_else(missing)?;
    let target = capacity
        .target(&table, &context.region)
        .ok_or_else(missing)?;
    let mut response = Map::new();
    response.insert("Tags".into(), json!(target.tags));
    crate::ops::respond(response)
}
