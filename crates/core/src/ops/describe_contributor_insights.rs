//! DescribeContributorInsights: whether a table or global index has
//! Contributor Insights on (`contributor_insights`).

use crate::contributor_insights;
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeContributorInsightsInput {
    table_name: Option<String>,
    index_name: Option<String>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: DescribeContributorInsightsInput = parse_input(body)?;
    let mut v = Violations::new();
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    v.name_with_min(input.index_name.as_deref(), "indexName", 3, false);
    v.finish()?;
    let table_name =
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?;
    let table = contributor_insights::table(db, table_name, &context.region)?;
    let index = contributor_insights::target(&table, input.index_name.as_deref())?;
    serde_json::to_vec(&contributor_insights::description(&table, &index))
        .map_err(|e| DynamoError::internal(e.to_string()))
}
