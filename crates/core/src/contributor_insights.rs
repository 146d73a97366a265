//! CloudWatch Contributor Insights settings of a table and its global
//! indexes (DescribeContributorInsights, UpdateContributorInsights,
//! ListContributorInsights). DynamoDB publishes the most accessed and most
//! throttled keys to CloudWatch rules; dynalith has no CloudWatch, so it
//! keeps each setting and describes it with the rule names DynamoDB would
//! create, for the tools that manage the setting (Terraform's
//! aws_dynamodb_contributor_insights, the CDK).

use crate::catalog::{IndexKind, TableMeta};
use dynalith_model::{DynamoError, ErrorKind};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::sync::Arc;

pub const MODES: &[&str] = &["ACCESSED_AND_THROTTLED_KEYS", "THROTTLED_KEYS"];

/// A setting; a table or index without one has never had Contributor
/// Insights on. A disabled one keeps its mode and when it was disabled,
/// which DescribeContributorInsights reports, as DynamoDB's does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContributorInsights {
    pub mode: String,
    /// When it was enabled (seconds since the epoch); names the rules.
    pub enabled_at: f64,
    /// Whether it was disabled since.
    #[serde(default)]
    pub disabled: bool,
    /// When it last changed, where that is not `enabled_at` (a change of
    /// mode, which keeps the rules' names, or a disable).
    #[serde(default)]
    pub updated_at: Option<f64>,
}

impl ContributorInsights {
    /// Enabled at `now` in `mode`.
    pub fn enabled(mode: String, now: f64) -> ContributorInsights {
        ContributorInsights {
            mode,
            enabled_at: now,
            disabled: false,
            updated_at: None,
        }
    }

    pub fn is_enabled(&self) -> bool {
        !self.disabled
    }

    /// DescribeContributorInsights' LastUpdateDateTime.
    pub fn last_update(&self) -> f64 {
        self.updated_at.unwrap_or(self.enabled_at)
    }
}

/// The table `name` for the Contributor Insights operations, or
/// DynamoDB's "Requested resource not found: Table: <name> not found".
pub fn table(
    db: &crate::Database,
    name: &str,
    region: &str,
) -> Result<Arc<TableMeta>, DynamoError> {
    db.catalog()
        .require_in(name, region)
        .map_err(|_| DynamoError::table_not_found(name))
}

/// The key of a table's setting (empty) or of its index's (the index name)
/// in `TableMeta::contributor_insights`, after checking that the index is
/// one of the table's global indexes (a local index's name is not found,
/// as in DynamoDB).
pub fn target(table: &TableMeta, index: Option<&str>) -> Result<String, DynamoError> {
    match index {
        None => Ok(String::new()),
        Some(name)
            if table
                .indexes
                .iter()
                .any(|i| i.name == name && i.kind == IndexKind::Global) =>
        {
            Ok(name.to_string())
        }
        Some(name) => Err(DynamoError::new(
            ErrorKind::ResourceNotFound,
            format!(
                "Requested resource not found: Index: {name} not found for table: {}",
                table.name
            ),
        )),
    }
}

/// The rules DynamoDB creates: most accessed (C) and most throttled (T)
/// partition keys, and sort keys when the table or index has them.
fn rule_names(table: &TableMeta, index: &str, setting: &ContributorInsights) -> Vec<Value> {
    let has_sort_key = match table.indexes.iter().find(|i| i.name == index) {
        Some(index) => index.key_schema.sort.is_some(),
        None => table.key_schema.sort.is_some(),
    };
    let resource = if index.is_empty() {
        table.name.clone()
    } else {
        format!("{}-{index}", table.name)
    };
    let millis = (setting.enabled_at * 1000.0) as u64;
    // THROTTLED_KEYS keeps only the throttled-key rules (T).
    let throttled_only = setting.mode == "THROTTLED_KEYS";
    let kinds: &[&str] = match (has_sort_key, throttled_only) {
        (true, false) => &["PKC", "PKT", "SKC", "SKT"],
        (false, false) => &["PKC", "PKT"],
        (true, true) => &["PKT", "SKT"],
        (false, true) => &["PKT"],
    };
    kinds
        .iter()
        .map(|kind| format!("DynamoDBContributorInsights-{kind}-{resource}-{millis}").into())
        .collect()
}

/// DescribeContributorInsights' answer for a table (`index` empty) or one
/// of its indexes.
pub fn description(table: &TableMeta, index: &str) -> Value {
    let mut out = Map::new();
    out.insert("TableName".into(), table.name.clone().into());
    if !index.is_empty() {
        out.insert("IndexName".into(), index.into());
    }
    match table.contributor_insights.get(index) {
        Some(setting) if setting.is_enabled() => {
            out.insert(
                "ContributorInsightsRuleList".into(),
                rule_names(table, index, setting).into(),
            );
            out.insert("ContributorInsightsStatus".into(), "ENABLED".into());
            out.insert("LastUpdateDateTime".into(), setting.last_update().into());
            out.insert(
                "ContributorInsightsMode".into(),
                setting.mode.clone().into(),
            );
        }
        // Disabled: no rules, but the mode and when it was disabled.
        Some(setting) => {
            out.insert("ContributorInsightsStatus".into(), "DISABLED".into());
            out.insert("LastUpdateDateTime".into(), setting.last_update().into());
            out.insert(
                "ContributorInsightsMode".into(),
                setting.mode.clone().into(),
            );
        }
        None => {
            out.insert("ContributorInsightsStatus".into(), "DISABLED".into());
        }
    }
    Value::Object(out)
}

/// One entry of ListContributorInsights.
pub fn summary(table: &TableMeta, index: &str, setting: &ContributorInsights) -> Value {
    let mut out = json!({
        "TableName": table.name,
        "ContributorInsightsStatus": "ENABLED",
        "ContributorInsightsMode": setting.mode,
    });
    if !index.is_empty() {
        out["IndexName"] = index.into();
    }
    out
}
