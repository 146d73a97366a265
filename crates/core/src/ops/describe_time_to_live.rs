//! DescribeTimeToLive. A table's Time to Live takes effect at once, so its
//! status is ENABLED or DISABLED, or DynamoDB's passing ENABLING or
//! DISABLING while a transient status lasts (`table_status`).

use crate::table_status::TableStatus;
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
    if db.catalog().transitions().status(&table) == TableStatus::Creating {
        return Err(DynamoError::validation(
            "Cannot describe time to live while table is in CREATING state: Current table state is CREATING",
        ));
    }
    let description = db.catalog().transitions().time_to_live_description(&table);
    let mut response = Map::new();
    response.insert("TimeToLiveDescription".into(), description);
    super::respond(response)
}
