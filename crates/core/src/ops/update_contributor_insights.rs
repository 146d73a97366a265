//! UpdateContributorInsights: turns Contributor Insights on or off for a
//! table or one of its global indexes (`contributor_insights`). The answer
//! says ENABLING or DISABLING, as DynamoDB's does (ENABLED or DISABLED
//! when nothing changes); the change is complete at once, so
//! DescribeContributorInsights then says ENABLED or DISABLED.

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

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: UpdateContributorInsightsInput = parse_input(body)?;
    let mut v = Violations::new();
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
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
    let table_name =
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?;
    let enable = input.contributor_insights_action.as_deref() == Some("ENABLE");

    let _changes = db.catalog().lock_changes();
    let current = contributor_insights::table(db, table_name, &context.region)?;
    let index = contributor_insights::target(&current, input.index_name.as_deref())?;
    let mut table = (*current).clone();
    let now = now_epoch_seconds();
    let previous = table
        .contributor_insights
        .get(&index)
        .filter(|setting| setting.is_enabled())
        .cloned();
    // What DynamoDB was recorded answering: ENABLE in the mode already on,
    // and DISABLE of a setting that is not on, change nothing and answer
    // ENABLED or DISABLED; a change answers ENABLING or DISABLING. A
    // change of mode keeps the rules (and their names); a disable keeps
    // the mode.
    let (status, mode, setting) = match (enable, previous) {
        (true, previous) => {
            let mode = input
                .contributor_insights_mode
                .unwrap_or_else(|| MODES[0].to_string());
            match previous {
                Some(on) if on.mode == mode => ("ENABLED", Some(mode), None),
                Some(on) => {
                    let changed = ContributorInsights {
                        mode: mode.clone(),
                        updated_at: Some(now),
                        ..on
                    };
                    ("ENABLING", Some(mode), Some(changed))
                }
                None => {
                    let on = ContributorInsights::enabled(mode.clone(), now);
                    ("ENABLING", Some(mode), Some(on))
                }
            }
        }
        (false, Some(on)) => {
            let off = ContributorInsights {
                disabled: true,
                updated_at: Some(now),
                ..on.clone()
            };
            ("DISABLING", Some(on.mode), Some(off))
        }
        (false, None) => ("DISABLED", None, None),
    };
    if let Some(setting) = setting {
        table.contributor_insights.insert(index.clone(), setting);
        db.save_table(&table)?;
        db.catalog().publish(table);
    }

    let mut response = Map::new();
    response.insert("TableName".into(), current.name.clone().into());
    if !index.is_empty() {
        response.insert("IndexName".into(), index.into());
    }
    response.insert("ContributorInsightsStatus".into(), status.into());
    if let Some(mode) = mode {
        response.insert("ContributorInsightsMode".into(), mode.into());
    }
    super::respond(response)
}
