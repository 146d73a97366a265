//! The TableDescription object that CreateTable, DescribeTable, UpdateTable
//! and DeleteTable return.

use crate::catalog::{
    BillingMode, IndexKind, IndexMeta, IndexProjection, IndexStatus, KeySchema, OnDemandThroughput,
    TableMeta, Throughput,
};
use crate::Database;
use dynalith_model::DynamoError;
use serde_json::{json, Map, Value};

pub fn table_description(
    db: &Database,
    table: &TableMeta,
    status: &str,
) -> Result<Value, DynamoError> {
    let (item_count, size_bytes) = db.table_counters(table)?;
    let mut d = Map::new();
    // DynamoDB lists the definitions by name, whatever the order given.
    let mut definitions: Vec<_> = table.attribute_definitions.iter().collect();
    definitions.sort_by(|a, b| a.name.cmp(&b.name));
    d.insert(
        "AttributeDefinitions".into(),
        definitions
            .into_iter()
            .map(|a| json!({"AttributeName": a.name, "AttributeType": a.scalar_type.as_str()}))
            .collect(),
    );
    d.insert("TableName".into(), table.name.clone().into());
    d.insert("KeySchema".into(), key_schema(&table.key_schema));
    d.insert("TableStatus".into(), status.into());
    d.insert("CreationDateTime".into(), table.created_at.into());
    d.insert(
        "ProvisionedThroughput".into(),
        throughput_description(&table.throughput),
    );
    d.insert("TableSizeBytes".into(), size_bytes.max(0).into());
    d.insert("ItemCount".into(), item_count.max(0).into());
    d.insert("TableArn".into(), table.arn().into());
    d.insert("TableId".into(), table.uuid.clone().into());
    let on_demand_since = match (table.pay_per_request_at, table.billing_mode) {
        (None, BillingMode::PayPerRequest) => Some(table.created_at),
        (since, _) => since,
    };
    if let Some(since) = on_demand_since {
        d.insert(
            "BillingModeSummary".into(),
            json!({
                "BillingMode": table.billing_mode.as_str(),
                "LastUpdateToPayPerRequestDateTime": since,
            }),
        );
    }
    if table.billing_mode == BillingMode::PayPerRequest {
        if let Some(ceiling) = on_demand(&table.on_demand) {
            d.insert("OnDemandThroughput".into(), ceiling);
        }
    }
    for (kind, member) in [
        (IndexKind::Local, "LocalSecondaryIndexes"),
        (IndexKind::Global, "GlobalSecondaryIndexes"),
    ] {
        let indexes = table
            .indexes
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| index_description(db, table, i))
            .collect::<Result<Vec<_>, _>>()?;
        if !indexes.is_empty() {
            d.insert(member.into(), indexes.into());
        }
    }
    if !table.vector_indexes.is_empty() {
        let vector: Vec<Value> = (table.vector_indexes.iter())
            .map(|i| i.description(table))
            .collect();
        d.insert("VectorIndexes".into(), vector.into());
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
        // The stream keeps the ARN it was made with, in the Region the
        // table had then (a global table's own Region may pass to a
        // replica since).
        let arn = match stream.id.and_then(|id| db.streams().get(id)) {
            Some(meta) => meta.arn(),
            None => format!("{}/stream/{}", table.arn(), stream.label),
        };
        d.insert("LatestStreamArn".into(), arn.into());
    }
    if let Some(restore) = &table.restore {
        let mut summary = json!({
            "SourceTableArn": restore.source_table_arn,
            "RestoreDateTime": restore.restored_at,
            "RestoreInProgress": restore.in_progress,
        });
        if let Some(arn) = &restore.source_backup_arn {
            summary["SourceBackupArn"] = arn.clone().into();
        }
        d.insert("RestoreSummary".into(), summary);
    }
    if let Some(encryption) = &table.encryption {
        d.insert(
            "SSEDescription".into(),
            crate::encryption::description(encryption),
        );
    }
    if let Some(summary) = table_class_summary(table) {
        d.insert("TableClassSummary".into(), summary);
    }
    d.insert(
        "DeletionProtectionEnabled".into(),
        table.deletion_protection.into(),
    );
    crate::global_tables::describe(&mut d, table, &table.region, db.catalog().transitions());
    // The table's status is the warm throughput's too: CREATING and
    // DELETING with the table, UPDATING in UpdateTable's answer (applied by
    // the time anyone asks again), ACTIVE otherwise.
    d.insert(
        "WarmThroughput".into(),
        table.warm_throughput().description(status),
    );
    Ok(Value::Object(d))
}

/// CreateTable's TableDescription, as DynamoDB was recorded answering it
/// (October 2026): CREATING, with every global index CREATING (without
/// Backfilling, which only an index added by UpdateTable has) and without
/// its WarmThroughput; the table's WarmThroughput only when the request
/// asked for some (`warm_requested`), then UPDATING; BillingModeSummary
/// without LastUpdateToPayPerRequestDateTime. DescribeTable then reports
/// all of them.
pub fn created_table_description(
    db: &Database,
    table: &TableMeta,
    warm_requested: bool,
) -> Result<Value, DynamoError> {
    let mut description = table_description(db, table, "CREATING")?;
    let Some(d) = description.as_object_mut() else {
        return Ok(description);
    };
    match d.get_mut("WarmThroughput") {
        Some(warm) if warm_requested => warm["Status"] = "UPDATING".into(),
        _ => {
            d.remove("WarmThroughput");
        }
    }
    if let Some(Value::Object(billing)) = d.get_mut("BillingModeSummary") {
        billing.remove("LastUpdateToPayPerRequestDateTime");
    }
    indexes_created_with_the_table(d);
    if let Some(Value::Array(indexes)) = d.get_mut("GlobalSecondaryIndexes") {
        for index in indexes.iter_mut().filter_map(Value::as_object_mut) {
            index.remove("WarmThroughput");
        }
    }
    Ok(description)
}

/// Adds `indexes` to the description's GlobalSecondaryIndexes, making the
/// list if the table has no other.
pub fn append_global_indexes(d: &mut Map<String, Value>, indexes: impl Iterator<Item = Value>) {
    let mut indexes = indexes.peekable();
    if indexes.peek().is_none() {
        return;
    }
    match d.get_mut("GlobalSecondaryIndexes") {
        Some(Value::Array(list)) => list.extend(indexes),
        _ => {
            d.insert("GlobalSecondaryIndexes".into(), indexes.collect());
        }
    }
}

/// A CREATING table's global indexes are CREATING with it, without the
/// Backfilling that only an index added by UpdateTable has.
pub fn indexes_created_with_the_table(d: &mut Map<String, Value>) {
    if let Some(Value::Array(indexes)) = d.get_mut("GlobalSecondaryIndexes") {
        for index in indexes.iter_mut().filter_map(Value::as_object_mut) {
            index.insert("IndexStatus".into(), "CREATING".into());
            index.remove("Backfilling");
        }
    }
}

/// DeleteTable's TableDescription: DELETING, and reduced as DynamoDB's
/// is (recorded October 2026): without KeySchema, AttributeDefinitions,
/// the index lists, CreationDateTime and WarmThroughput.
pub fn deleted_table_description(db: &Database, table: &TableMeta) -> Result<Value, DynamoError> {
    let mut description = table_description(db, table, "DELETING")?;
    if let Some(d) = description.as_object_mut() {
        for member in [
            "KeySchema",
            "AttributeDefinitions",
            "LocalSecondaryIndexes",
            "GlobalSecondaryIndexes",
            "CreationDateTime",
            "WarmThroughput",
        ] {
            d.remove(member);
        }
    }
    Ok(description)
}

/// TableClassSummary: absent while the class was never set (STANDARD, as
/// DynamoDB answers), with LastUpdateDateTime once UpdateTable changed it.
pub fn table_class_summary(table: &TableMeta) -> Option<Value> {
    if !table.table_class_given && table.table_class == "STANDARD" {
        return None;
    }
    let mut summary = json!({"TableClass": table.table_class});
    if let Some(at) = table.table_class_changed_at {
        summary["LastUpdateDateTime"] = at.into();
    }
    Some(summary)
}

/// OnDemandThroughput as DescribeTable reports it: the ceilings that are
/// set, a member at -1 (no ceiling) left out, and nothing when neither is
/// set (recorded from DynamoDB, DDB-TABLE-178/182; DynamoDB Local 3.3
/// agrees for tables never given one).
pub fn on_demand(ceiling: &OnDemandThroughput) -> Option<Value> {
    on_demand_with(ceiling, [false, false])
}

/// OnDemandThroughput with the members `echoed` (read, write) shown even
/// at -1: UpdateTable's answer echoes the ceilings it was asked to clear.
pub fn on_demand_with(ceiling: &OnDemandThroughput, echoed: [bool; 2]) -> Option<Value> {
    let members = [
        ("MaxReadRequestUnits", ceiling.max_read_request_units),
        ("MaxWriteRequestUnits", ceiling.max_write_request_units),
    ];
    let shown: Map<String, Value> = members
        .into_iter()
        .zip(echoed)
        .filter(|((_, value), echo)| *value != -1 || *echo)
        .map(|((name, value), _)| (name.to_string(), value.into()))
        .collect();
    (!shown.is_empty()).then_some(Value::Object(shown))
}

pub fn key_schema(schema: &KeySchema) -> Value {
    let element = |name: &str, key_type: &str| json!({"AttributeName": name, "KeyType": key_type});
    let hash = schema
        .partition_attributes()
        .map(|a| element(&a.name, "HASH"));
    let range = schema.sort_attributes().map(|a| element(&a.name, "RANGE"));
    hash.chain(range).collect::<Vec<_>>().into()
}

pub(crate) fn throughput_description(throughput: &Throughput) -> Value {
    let mut out = Map::new();
    if let Some(t) = throughput.last_increase {
        out.insert("LastIncreaseDateTime".into(), t.into());
    }
    if let Some(t) = throughput.last_decrease {
        out.insert("LastDecreaseDateTime".into(), t.into());
    }
    out.insert(
        "NumberOfDecreasesToday".into(),
        throughput.decreases_on(crate::now_epoch_seconds()).into(),
    );
    out.insert(
        "ReadCapacityUnits".into(),
        throughput.read_capacity_units.into(),
    );
    out.insert(
        "WriteCapacityUnits".into(),
        throughput.write_capacity_units.into(),
    );
    Value::Object(out)
}

pub fn projection_description(projection: &IndexProjection) -> Value {
    match projection {
        IndexProjection::Include(names) => {
            // By name, as DynamoDB lists them.
            let mut names = names.clone();
            names.sort();
            json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": names})
        }
        other => json!({"ProjectionType": other.type_name()}),
    }
}

/// One entry of LocalSecondaryIndexes or GlobalSecondaryIndexes.
pub fn index_description(
    db: &Database,
    table: &TableMeta,
    index: &IndexMeta,
) -> Result<Value, DynamoError> {
    let (item_count, size_bytes) = db.index_counters(table, index)?;
    let mut d = Map::new();
    d.insert("IndexName".into(), index.name.clone().into());
    d.insert("KeySchema".into(), key_schema(&index.key_schema));
    d.insert(
        "Projection".into(),
        projection_description(&index.projection),
    );
    if index.kind == IndexKind::Global {
        let creating = index.status == IndexStatus::Creating;
        d.insert(
            "IndexStatus".into(),
            if creating { "CREATING" } else { "ACTIVE" }.into(),
        );
        if creating {
            d.insert("Backfilling".into(), true.into());
        }
        d.insert(
            "ProvisionedThroughput".into(),
            throughput_description(&index.throughput),
        );
    }
    d.insert("IndexSizeBytes".into(), size_bytes.max(0).into());
    d.insert("ItemCount".into(), item_count.max(0).into());
    d.insert("IndexArn".into(), index.arn(table).into());
    if index.kind == IndexKind::Global && table.billing_mode == BillingMode::PayPerRequest {
        if let Some(ceiling) = on_demand(&index.on_demand) {
            d.insert("OnDemandThroughput".into(), ceiling);
        }
    }
    if index.kind == IndexKind::Global {
        let status = index.status.as_str();
        d.insert(
            "WarmThroughput".into(),
            index
                .warm_throughput(table.billing_mode)
                .description(status),
        );
    }
    Ok(Value::Object(d))
}
