//! CloudWatch Contributor Insights settings of a table and its global
//! indexes (DescribeContributorInsights, UpdateContributorInsights,
//! ListContributorInsights). DynamoDB publishes the most accessed and most
//! throttled keys to CloudWatch rules; dynalith has no CloudWatch, so it
//! keeps each setting and describes it with the rule names DynamoDB would
//! create, for the tools that manage the setting (Terraform's
//! aws_dynamodb_contributor_insights, the CDK).

use crate::catalog::TableMeta;
use dynalith_model::{DynamoError, ErrorKind};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

pub const MODES: &[&str] = &["ACCESSED_AND_THROTTLED_KEYS", "THROTTLED_KEYS"];

/// An enabled setting; a table or index without one has it disabled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContributorInsights {
    pub mode: String,
    /// When it was enabled (seconds since the epoch); names the rules.
    pub enabled_at: f64,
}

/// The key of a table's setting (empty) or of its index's (the index name)
/// in `TableMeta::contributor_insights`, after checking that the index is
/// one of the table's global indexes.
pub fn target(table: &TableMeta, index: Option<&str>) -> Result<String, DynamoError> {
    match index {
        None => Ok(String::new()),
        Some(name) if table.indexes.iter().any(|i| i.name == name) => Ok(name.to_string()),
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
    let kinds: &[&str] = if has_sort_key {
        &["PKC", "PKT", "SKC", "SKT"]
    } else {
        &["PKC", "PKT"]
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
        Some(setting) => {
            out.insert(
                "ContributorInsightsRuleList".into(),
                rule_names(table, index, setting).into(),
            );
            out.insert("ContributorInsightsStatus".into(), "ENABLED".into());
            out.insert("LastUpdateDateTime".into(), setting.enabled_at.into());
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
