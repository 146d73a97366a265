//! The TableDescription object that CreateTable, DescribeTable, UpdateTable
//! and DeleteTable return.

use crate::catalog::{BillingMode, TableMeta};
use serde_json::{json, Map, Value};

pub fn table_description(
    table: &TableMeta,
    status: &str,
    item_count: i64,
    size_bytes: i64,
) -> Value {
    let mut d = Map::new();
    d.insert(
        "AttributeDefinitions".into(),
        table
            .attribute_definitions
            .iter()
            .map(|a| json!({"AttributeName": a.name, "AttributeType": a.scalar_type.as_str()}))
            .collect(),
    );
    d.insert("TableName".into(), table.name.clone().into());
    let mut key_schema =
        vec![json!({"AttributeName": table.key_schema.partition.name, "KeyType": "HASH"})];
    if let Some(sort) = &table.key_schema.sort {
        key_schema.push(json!({"AttributeName": sort.name, "KeyType": "RANGE"}));
    }
    d.insert("KeySchema".into(), key_schema.into());
    d.insert("TableStatus".into(), status.into());
    d.insert("CreationDateTime".into(), table.created_at.into());
    let mut throughput = Map::new();
    if let Some(t) = table.throughput.last_increase {
        throughput.insert("LastIncreaseDateTime".into(), t.into());
    }
    if let Some(t) = table.throughput.last_decrease {
        throughput.insert("LastDecreaseDateTime".into(), t.into());
    }
    throughput.insert(
        "NumberOfDecreasesToday".into(),
        table.throughput.decreases_today.into(),
    );
    throughput.insert(
        "ReadCapacityUnits".into(),
        table.throughput.read_capacity_units.into(),
    );
    throughput.insert(
        "WriteCapacityUnits".into(),
        table.throughput.write_capacity_units.into(),
    );
    d.insert("ProvisionedThroughput".into(), Value::Object(throughput));
    d.insert("TableSizeBytes".into(), size_bytes.max(0).into());
    d.insert("ItemCount".into(), item_count.max(0).into());
    d.insert("TableArn".into(), table.arn().into());
    d.insert("TableId".into(), table.uuid.clone().into());
    let mut billing = Map::new();
    billing.insert("BillingMode".into(), table.billing_mode.as_str().into());
    if table.billing_mode == BillingMode::PayPerRequest {
        let since = table.billing_mode_changed_at.unwrap_or(table.created_at);
        billing.insert("LastUpdateToPayPerRequestDateTime".into(), since.into());
    }
    d.insert("BillingModeSummary".into(), Value::Object(billing));
    if table.billing_mode == BillingMode::PayPerRequest {
        // DynamoDB reports the on-demand ceiling as -1 (unlimited) when none is set.
        d.insert(
            "OnDemandThroughput".into(),
            json!({"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1}),
        );
    }
    if let Some(stream) = &table.stream {
        // After a stream is disabled DynamoDB still names the last one.
        if stream.enabled {
            d.insert(
                "StreamSpecification".into(),
                json!({"StreamEnabled": true, "StreamViewType": stream.view_type}),
            );
        }
        d.insert("LatestStreamLabel".into(), stream.label.clone().into());
        d.insert(
            "LatestStreamArn".into(),
            format!("{}/stream/{}", table.arn(), stream.label).into(),
        );
    }
    d.insert(
        "TableClassSummary".into(),
        json!({"TableClass": table.table_class}),
    );
    d.insert(
        "DeletionProtectionEnabled".into(),
        table.deletion_protection.into(),
    );
    Value::Object(d)
}
