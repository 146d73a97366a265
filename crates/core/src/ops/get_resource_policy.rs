//! GetResourcePolicy: the policy of a table or its stream, with its
//! revision (`resource_policies`).

use crate::resource_policies;
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetResourcePolicyInput {
    resource_arn: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: GetResourcePolicyInput = parse_input(body)?;
    let mut v = Violations::new();
    v.require(&input.resource_arn, "resourceArn");
    v.finish()?;
    let (table, arn) = resource_policies::owner_of(db, input.resource_arn.as_deref())?;
    let policy = table
        .resource_policies
        .get(&arn)
        .ok_or_else(|| resource_policies::not_found(&arn))?;
    let mut response = Map::new();
    response.insert("Policy".into(), policy.document.clone().into());
    response.insert("RevisionId".into(), policy.revision_id.clone().into());
    super::respond(response)
}
