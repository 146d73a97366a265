//! DescribeTableReplicaAutoScaling: the auto scaling settings of a table's
//! capacities and its global indexes', for each Region it is in
//! (`auto_scaling`).

use crate::Database;
use dynalith_model::DynamoError;
use serde_json::Map;

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let name = super::shapes::table_name_of(body, context)?;
    let table = db
        .catalog()
        .get_in(&name, &context.region)
        .ok_or_else(|| DynamoError::table_not_found(&name))?;
    let status = db.catalog().transitions().status(&table);
    let mut response = Map::new();
    response.insert(
        "TableAutoScalingDescription".into(),
        crate::auto_scaling::table_description(&table, status.as_str(), db.catalog().transitions()),
    );
    super::respond(response)
}
