//! UpdateContributorInsights: turns Contributor Insights on or off for a
//! table or one of its global indexes (`contributor_insights`). The answer
//! says ENABLING or DISABLING, as DynamoDB's does; the change is complete
//! at once, so DescribeContributorInsights then says ENABLED or DISABLED.

use crate::contributor_insights::{self, ContributorInsights, MODES};
use crate::validate::Violations;
use crate::{now_epoch_seconds, Database};
use dynalith_model::{wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::Map;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateContributorInsightsInput {
    table_name: Option<String>,
    index_name: Option<String>,
    contributor_insights_action: Option<String>,
    contributor_insights_mode: Option<String>,
}

pub fn execute(db: &Database, body: &[u8]) -> Result<Vec<u8>, DynamoError> {
    let input: UpdateContributorInsightsInput = parse_input(body)?;
    let mut v = Violations::new();
    v.name(input.table_name.as_deref(), "tableName");
    v.name_with_min(input.index_name.as_deref(), "indexName", 3, false);
    if v.require(
        &input.contributor_insights_action,
        "contributorInsightsAction",
    ) {
        v.one_of(
            input.contributor_insights_action.as_deref(),
            "contributorInsightsAction",
            &["ENABLE", "DISABLE"],
        );
    }
    v.one_of(
        input.contributor_insights_mode.as_deref(),
        "contributorInsightsMode",
        MODES,
    );
    v.finish()?;
    let enable = input.contributor_insights_action.as_deref() == Some("ENABLE");

    let _changes = db.catalog().lock_changes();
    let current = db
        .catalog()
        .require(input.table_name.as_deref().unwrap_or_default())?;
    let index = contributor_insights::target(&current, input.index_name.as_deref())?;
    let mut table = (*current).clone();
    let mode = if enable {
        let mode = input
            .contributor_insights_mode
            .unwrap_or_else(|| MODES[0].to_string());
        let setting = ContributorInsights {
            mode: mode.clone(),
            enabled_at: now_epoch_seconds(),
        };
        table.contributor_insights.insert(index.clone(), setting);
        Some(mode)
    } else {
        table.contributor_insights.remove(&index);
        None
    };
    db.save_table(&table)?;
    db.catalog().publish(table);

    let mut response = Map::new();
    response.insert("TableName".into(), current.name.clone().into());
    if !index.is_empty() {
        response.insert("IndexName".into(), index.into());
    }
    let status = if enable { "ENABLING" } else { "DISABLING" };
    response.insert("ContributorInsightsStatus".into(), status.into());
    if let Some(mode) = mode {
        response.insert("ContributorInsightsMode".into(), mode.into());
    }
    super::respond(response)
}
