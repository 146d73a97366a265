//! The descriptions of a backup that CreateBackup, DescribeBackup,
//! DeleteBackup and ListBackups return.

use crate::backups::BackupMeta;
use crate::catalog::{BillingMode, IndexKind};
use crate::describe::{key_schema, on_demand, projection_description};
use serde_json::{json, Map, Value};

/// BackupDetails; `status` is AVAILABLE, or what the operation reports.
pub fn details(backup: &BackupMeta, status: &str) -> Value {
    json!({
        "BackupArn": backup.arn,
        "BackupName": backup.name,
        "BackupSizeBytes": backup.size_bytes,
        "BackupStatus": status,
        "BackupType": "USER",
        "BackupCreationDateTime": backup.created_at,
    })
}

/// BackupDescription: the details, the source table, and its features.
pub fn description(backup: &BackupMeta, status: &str) -> Value {
    let table = &backup.source;
    let mut source = json!({
        "TableName": table.name,
        "TableId": table.uuid,
        "TableArn": table.arn(),
        "TableSizeBytes": backup.size_bytes,
        "KeySchema": key_schema(&table.key_schema),
        "TableCreationDateTime": table.created_at,
        "ProvisionedThroughput": {
            "ReadCapacityUnits": table.throughput.read_capacity_units,
            "WriteCapacityUnits": table.throughput.write_capacity_units,
        },
        "ItemCount": backup.item_count,
        "BillingMode": table.billing_mode.as_str(),
    });
    if table.billing_mode == BillingMode::PayPerRequest {
        if let Some(ceiling) = on_demand(&table.on_demand) {
            source["OnDemandThroughput"] = ceiling;
        }
    }
    let mut features = Map::new();
    for (kind, member) in [
        (IndexKind::Local, "LocalSecondaryIndexes"),
        (IndexKind::Global, "GlobalSecondaryIndexes"),
    ] {
        let indexes: Vec<Value> = table
            .indexes
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| {
                let mut index = json!({
                    "IndexName": i.name,
                    "KeySchema": key_schema(&i.key_schema),
                    "Projection": projection_description(&i.projection),
                });
                if kind == IndexKind::Global {
                    index["ProvisionedThroughput"] = json!({
                        "ReadCapacityUnits": i.throughput.read_capacity_units,
                        "WriteCapacityUnits": i.throughput.write_capacity_units,
                    });
                }
                index
            })
            .collect();
        if !indexes.is_empty() {
            features.insert(member.into(), indexes.into());
        }
    }
    if !table.vector_indexes.is_empty() {
        let vector: Vec<Value> = table.vector_indexes.iter().map(|i| i.info()).collect();
        features.insert("VectorIndexes".into(), vector.into());
    }
    if let Some(stream) = table.stream.as_ref().filter(|s| s.enabled) {
        features.insert(
            "StreamDescription".into(),
            json!({"StreamEnabled": true, "StreamViewType": stream.view_type}),
        );
    }
    if let Some(attribute) = &table.time_to_live_attribute {
        features.insert(
            "TimeToLiveDescription".into(),
            json!({"TimeToLiveStatus": "ENABLED", "AttributeName": attribute}),
        );
    }
    if let Some(encryption) = &table.encryption {
        features.insert(
            "SSEDescription".into(),
            crate::encryption::description(encryption),
        );
    }
    json!({
        "BackupDetails": details(backup, status),
        "SourceTableDetails": source,
        "SourceTableFeatureDetails": Value::Object(features),
    })
}

/// One entry of ListBackups' BackupSummaries.
pub fn summary(backup: &BackupMeta) -> Value {
    json!({
        "TableName": backup.source.name,
        "TableId": backup.source.uuid,
        "TableArn": backup.source.arn(),
        "BackupArn": backup.arn,
        "BackupName": backup.name,
        "BackupCreationDateTime": backup.created_at,
        "BackupStatus": "AVAILABLE",
        "BackupType": "USER",
        "BackupSizeBytes": backup.size_bytes,
    })
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct BackupArnInput {
    backup_arn: Option<String>,
}

/// The BackupArn of a request that names only a backup (DescribeBackup,
/// DeleteBackup), checked as Coral checks it.
pub fn backup_arn_of(body: &[u8]) -> Result<String, dynalith_model::DynamoError> {
    let input: BackupArnInput = dynalith_model::wire::parse_input(body)?;
    let mut v = crate::validate::Violations::new();
    if v.require(&input.backup_arn, "backupArn") {
        let arn = input.backup_arn.as_deref().unwrap_or_default();
        v.length_between(format_args!("'{arn}'"), arn.len(), "backupArn", 37, 1024);
    }
    v.finish()?;
    Ok(input.backup_arn.unwrap_or_default())
}
