//! DescribeScalableTargets: the registered scalable targets of the
//! caller's Region, filtered by ResourceIds and ScalableDimension, in
//! pages of MaxResults.

use super::{check_name_list, page_response, registered_targets, target_description, TargetName};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeScalableTargetsInput {
    #[serde(flatten)]
    target: TargetName,
    resource_ids: Option<Vec<String>>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    max_results: Option<i64>,
    next_token: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeScalableTargetsInput = parse_input(body)?;
    let mut v = Violations::new();
    input.target.check(&mut v, false);
    check_name_list(&mut v, input.resource_ids.as_deref(), "resourceIds");
    v.finish()?;
    let mut targets = Vec::new();
    if input.target.in_dynamodb() {
        for (capacity, table) in registered_targets(db, &context.region) {
            let resource_id = capacity.resource_id();
            let dimension = capacity.dimension();
            let listed = input
                .resource_ids
                .as_ref()
                .is_none_or(|ids| ids.is_empty() || ids.contains(&resource_id));
            let wanted = listed && input.target.selects(&resource_id, &dimension);
            if let (true, Some(target)) = (wanted, capacity.target(&table, &context.region)) {
                let key = format!("{resource_id} {dimension}");
                targets.push((key, target_description(&context.region, &capacity, target)));
            }
        }
    }
    page_response(
        "ScalableTargets",
        targets,
        input.max_results,
        input.next_token.as_deref(),
    )
}
