//! DeleteResourcePolicy: removes the policy of a table or its stream,
//! optionally only at an expected revision (`resource_policies`).

use crate::resource_policies;
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DeleteResourcePolicyInput {
    resource_arn: Option<String>,
    expected_revision_id: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: DeleteResourcePolicyInput = parse_input(body)?;
    let mut v = Violations::new();
    v.require(&input.resource_arn, "resourceArn");
    v.finish()?;

    let _changes = db.catalog().lock_changes();
    let (current, arn) = resource_policies::owner_of(db, input.resource_arn.as_deref())?;
    let Some(existing) = current.resource_policies.get(&arn) else {
        return Err(resource_policies::not_found(&arn));
    };
    resource_policies::check_expected(
        &current,
        &arn,
        Some(existing),
        input.expected_revision_id.as_deref(),
    )?;
    let revision_id = existing.revision_id.clone();
    let mut table = (*current).clone();
    table.resource_policies.remove(&arn);
    db.save_table(&table)?;
    db.catalog().publish(table);
    let mut response = Map::new();
    response.insert("RevisionId".into(), revision_id.into());
    super::respond(response)
}
