//! PutResourcePolicy: attaches a policy to a table or its stream, or
//! replaces it. The same document again changes nothing and keeps its
//! revision (`resource_policies`).

use crate::resource_policies::{self, ResourcePolicy};
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutResourcePolicyInput {
    resource_arn: Option<String>,
    policy: Option<String>,
    expected_revision_id: Option<String>,
    /// Only guards against a policy that locks its author out, which
    /// dynalith's policies cannot do.
    #[allow(dead_code)]
    confirm_remove_self_resource_access: Option<bool>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: PutResourcePolicyInput = parse_input(body)?;
    let mut v = Violations::new();
    v.require(&input.resource_arn, "resourceArn");
    v.require(&input.policy, "policy");
    v.finish()?;
    let document = input.policy.unwrap_or_default();
    resource_policies::check_policy(&document)?;

    let _changes = db.catalog().lock_changes();
    let (current, arn) = resource_policies::owner_of(db, input.resource_arn.as_deref())?;
    let existing = current.resource_policies.get(&arn);
    resource_policies::check_expected(
        &current,
        &arn,
        existing,
        input.expected_revision_id.as_deref(),
    )?;
    let revision_id = match existing {
        Some(same) if same.document == document => same.revision_id.clone(),
        _ => {
            let revision_id = resource_policies::next_revision(existing);
            let mut table = (*current).clone();
            table.resource_policies.insert(
                arn,
                ResourcePolicy {
                    document,
                    revision_id: revision_id.clone(),
                },
            );
            db.save_table(&table)?;
            db.catalog().publish(table);
            revision_id
        }
    };
    let mut response = Map::new();
    response.insert("RevisionId".into(), revision_id.into());
    super::respond(response)
}
