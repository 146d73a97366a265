//! DescribeScalingPolicies: the target tracking policies of the caller's
//! Region, filtered by PolicyNames, ResourceId and ScalableDimension, in
//! pages of MaxResults.

use super::{check_name_list, page_response, policy_description, registered_targets, TargetName};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeScalingPoliciesInput {
    policy_names: Option<Vec<String>>,
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
    let input: DescribeScalingPoliciesInput = parse_input(body)?;
    let mut v = Violations::new();
    check_name_list(&mut v, input.policy_names.as_deref(), "policyNames");
    input.target.check(&mut v, false);
    v.finish()?;
    let mut policies = Vec::new();
    if input.target.in_dynamodb() {
        for (capacity, table) in registered_targets(db, &context.region) {
            let Some(policy) = capacity
                .target(&table, &context.region)
                .and_then(|t| t.policy.as_ref())
            else {
                continue;
            };
            let resource_id = capacity.resource_id();
            let dimension = capacity.dimension();
            let named = input
                .policy_names
                .as_ref()
                .is_none_or(|names| names.is_empty() || names.contains(&policy.name));
            if named && input.target.selects(&resource_id, &dimension) {
                let key = format!("{resource_id} {dimension}");
                policies.push((key, policy_description(&context.region, &capacity, policy)));
            }
        }
    }
    page_response(
        "ScalingPolicies",
        policies,
        input.max_results,
        input.next_token.as_deref(),
    )
}
