//! ListContributorInsights: the tables and global indexes with
//! Contributor Insights on, of one table or of all, in name order, paged
//! (`contributor_insights`).

use crate::contributor_insights;
use crate::validate::Violations;
use crate::Database;
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

/// DynamoDB's page size and its largest.
const DEFAULT_PAGE: i64 = 100;
const MAX_PAGE: i64 = 100;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListContributorInsightsInput {
    table_name: Option<String>,
    next_token: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    max_results: Option<i64>,
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: ListContributorInsightsInput = parse_input(body)?;
    let mut v = Violations::new();
    if input.table_name.is_some() {
        crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    }
    v.at_most(input.max_results, "maxResults", MAX_PAGE);
    v.finish()?;
    let tables = match &input.table_name {
        Some(name) => vec![contributor_insights::table(
            db,
            crate::table_reference::table_name(name, "tableName", context)?,
            &context.region,
        )?],
        None => {
            let mut names = db.catalog().names();
            names.sort();
            names
                .iter()
                .filter_map(|name| db.catalog().get_in(name, &context.region))
                .collect()
        }
    };
    // The token is the position of the next entry in this order; a list
    // that changed between pages may skip or repeat an entry, as listing
    // tables may.
    let start: usize = match input.next_token.as_deref() {
        Some(token) => token
            .parse()
            .map_err(|_| DynamoError::validation("Invalid NextToken"))?,
        None => 0,
    };
    let page = usize::try_from(input.max_results.unwrap_or(DEFAULT_PAGE).max(1)).unwrap_or(1);
    let entries: Vec<_> = tables
        .iter()
        .flat_map(|table| {
            table
                .contributor_insights
                .iter()
                // A disabled setting is not listed, as in DynamoDB.
                .filter(|(_, setting)| setting.is_enabled())
                .map(move |(index, setting)| contributor_insights::summary(table, index, setting))
        })
        .collect();
    let mut response = Map::new();
    let shown: Vec<_> = entries.iter().skip(start).take(page).cloned().collect();
    if start + shown.len() < entries.len() {
        response.insert("NextToken".into(), (start + shown.len()).to_string().into());
    }
    response.insert("ContributorInsightsSummaries".into(), shown.into());
    super::respond(response)
}
