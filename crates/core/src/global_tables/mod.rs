//! Global tables, version 2019.11.21: a table's replicas in other Regions,
//! added and removed by UpdateTable's ReplicaUpdates and by DeleteTable in
//! a replica's Region, and described by DescribeTable.
//!
//! One copy of the items serves every replica (as LocalStack does it): a
//! write in any Region is in every other at once, which is what DynamoDB's
//! multi-Region strong consistency promises and more than its eventual
//! consistency does, and there is nothing to reconcile. A replica is then
//! the Region's view of the table: its own TableArn, the group's other
//! Regions as Replicas. The table's stream is the one stream of every
//! replica.
//!
//! Tables are one namespace whatever the Region, and a table answers in
//! every Region (`README`, "Tables") until it becomes a global table: from
//! then on it answers only in its Regions (`TableMeta::region_bound`), as a
//! DynamoDB table does, so that a replica deleted in its Region is gone
//! there, and a Region the table never had a replica in does not have it.
//!
//! Rules and messages are DynamoDB's as recorded against AWS (ScyllaDB
//! Alternator's global-table tests, which also run against DynamoDB, and
//! published probe logs of 2026-10); where none was recorded the text is
//! ours and says what is wrong.

mod capacity_changes;

pub use capacity_changes::CapacityChanges;

use crate::auto_scaling::regions::ReplicaReadScaling;
use crate::catalog::{BillingMode, IndexKind, OnDemandThroughput, TableMeta, Throughput};
use crate::table_status::Transitions;
use dynalith_model::{DynamoError, ErrorKind};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// What DescribeTable reports as GlobalTableVersion.
pub const VERSION: &str = "2019.11.21";

/// The Regions DynamoDB offers global tables in (its error lists them).
pub const REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

/// A replica of the table in another Region, with the settings it
/// overrides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplicaMeta {
    pub region: String,
    /// The replica's own TableId, drawn when it was created (empty for a
    /// replica created before these were kept: it shows the table's).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub table_id: String,
    /// When UpdateTable created it (epoch seconds; 0 for the table's own
    /// Region and for replicas created before this was kept), which its
    /// CREATING lasts from (`table_status`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub created_at: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<String>,
    /// OnDemandThroughputOverride's MaxReadRequestUnits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_read_request_units: Option<i64>,
    /// TableClassOverride, and when it was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_class: Option<(String, f64)>,
    /// Global indexes' read ceilings in this Region, by index name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<(String, i64)>,
    /// ProvisionedThroughputOverride's ReadCapacityUnits, for the table
    /// and for global indexes by name, on a provisioned table: the read
    /// capacity of requests signed for this Region (`throughput`), as the
    /// read ceilings above are on an on-demand one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub index_read_capacity_units: Vec<(String, i64)>,
    /// The Region's own read auto scaling, which moves the overrides
    /// above (`auto_scaling::regions`); always empty in
    /// `TableMeta::own_region_overrides`, whose Region uses the table's.
    #[serde(default, skip_serializing_if = "ReplicaReadScaling::is_empty")]
    pub read_scaling: ReplicaReadScaling,
    /// When the Region's provisioned capacities last rose and fell
    /// (`capacity_changes`); none until one moves.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_changes: Vec<CapacityChanges>,
}

impl ReplicaMeta {
    pub fn new(region: &str) -> ReplicaMeta {
        ReplicaMeta {
            region: region.to_string(),
            table_id: String::new(),
            created_at: 0.0,
            kms_master_key_id: None,
            max_read_request_units: None,
            table_class: None,
            indexes: Vec::new(),
            read_capacity_units: None,
            index_read_capacity_units: Vec::new(),
            read_scaling: ReplicaReadScaling::default(),
            capacity_changes: Vec::new(),
        }
    }

    /// The read capacity this Region overrides for the table (`index`
    /// None) or one of its global indexes: ProvisionedThroughputOverride's
    /// ReadCapacityUnits on a provisioned table, OnDemandThroughputOverride's
    /// MaxReadRequestUnits on an on-demand one.
    pub fn read_override(&self, billing: BillingMode, index: Option<&str>) -> Option<i64> {
        let named = |overrides: &[(String, i64)], index: &str| {
            overrides
                .iter()
                .find(|(name, _)| name == index)
                .map(|(_, units)| *units)
        };
        match (billing, index) {
            (BillingMode::Provisioned, None) => self.read_capacity_units,
            (BillingMode::Provisioned, Some(index)) => {
                named(&self.index_read_capacity_units, index)
            }
            (BillingMode::PayPerRequest, None) => self.max_read_request_units,
            (BillingMode::PayPerRequest, Some(index)) => named(&self.indexes, index),
        }
    }

    /// Forgets the provisioned overrides (the table went on demand).
    pub fn drop_provisioned_overrides(&mut self) {
        self.read_capacity_units = None;
        self.index_read_capacity_units.clear();
        self.read_scaling = ReplicaReadScaling::default();
    }
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

/// Set on a global table created with MultiRegionConsistency STRONG.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StrongConsistency {
    /// The witness Region, when the group was made of one replica and a
    /// witness rather than two replicas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub witness: Option<String>,
}

impl TableMeta {
    pub fn is_global(&self) -> bool {
        !self.replicas.is_empty()
    }

    /// Whether the table's writes can be replicated: DynamoDB's condition
    /// for a replica, on-demand writes or provisioned ones that auto scale,
    /// the table's and every global index's (`auto_scaling`).
    pub fn writes_replicable(&self) -> bool {
        self.billing_mode == BillingMode::PayPerRequest
            || (self.auto_scaling.write.is_some()
                && self
                    .indexes
                    .iter()
                    .filter(|i| i.kind == IndexKind::Global)
                    .all(|i| i.auto_scaling.write.is_some()))
    }

    /// Whether the table has a replica (its own, or another) in `region`.
    pub fn is_in_region(&self, region: &str) -> bool {
        self.region == region || self.replicas.iter().any(|r| r.region == region)
    }

    /// The table's replica in `region` as it stands (one in the table's
    /// own Region without overrides: a bare one).
    pub fn replica_in(&self, region: &str) -> ReplicaMeta {
        (self.overrides_in(region).cloned()).unwrap_or_else(|| ReplicaMeta::new(region))
    }

    /// The overrides of the table's replica in `region`: its own Region's
    /// (once that passed from a deleted replica) or another replica's.
    pub fn overrides_in(&self, region: &str) -> Option<&ReplicaMeta> {
        if self.region == region {
            self.own_region_overrides.as_ref()
        } else {
            self.replicas.iter().find(|r| r.region == region)
        }
    }

    /// The TableId of the table's replica in `region`: each replica is a
    /// table of its Region with an id of its own; the table's own Region
    /// has the table's.
    pub fn table_id_in(&self, region: &str) -> &str {
        (self.replicas.iter())
            .find(|r| r.region == region && !r.table_id.is_empty())
            .map_or(&self.uuid, |r| &r.table_id)
    }

    /// The table as its replica in `region` names itself, that Region in
    /// its ARNs and that replica's TableId: what a backup or an export
    /// made there records of its source. The table itself for a Region it
    /// has no replica in.
    pub fn as_replica_in(&self, region: &str) -> TableMeta {
        let mut named = self.clone();
        if self.region != region && self.is_in_region(region) {
            named.uuid = self.table_id_in(region).to_string();
            named.region = region.to_string();
        }
        named
    }

    /// Whether a request signed for `region` finds the table: in every
    /// Region, until it becomes a global table (`region_bound`).
    pub fn answers_in(&self, region: &str) -> bool {
        !self.region_bound || self.is_in_region(region)
    }

    /// Makes `successor`, a replica's Region, the table's own: its
    /// overrides become what the other Regions see of the table's own, and
    /// its TableId and read scaling the table's.
    pub fn pass_own_region_to(&mut self, successor: &str) {
        if let Some(position) = self.replicas.iter().position(|r| r.region == successor) {
            let mut replica = self.replicas.remove(position);
            if !replica.table_id.is_empty() {
                self.uuid = std::mem::take(&mut replica.table_id);
            }
            let mut scaling = std::mem::take(&mut replica.read_scaling);
            self.auto_scaling.read = scaling.table.take();
            for index in self
                .indexes
                .iter_mut()
                .filter(|i| i.kind == IndexKind::Global)
            {
                index.auto_scaling.read = scaling.indexes.remove(&index.name);
            }
            self.take_capacity_changes_of(&mut replica);
            self.region = replica.region.clone();
            self.own_region_overrides = Some(replica);
        }
    }

    /// Forgets what only a global table has, once its last replica is gone.
    pub fn settle_if_regional(&mut self) {
        if !self.is_global() {
            self.strong_consistency = None;
            self.own_region_overrides = None;
        }
    }

    /// The table's ARN in `region`.
    pub fn arn_in(&self, region: &str) -> String {
        format!(
            "arn:aws:dynamodb:{region}:{}:table/{}",
            crate::ACCOUNT_ID,
            self.name
        )
    }
}

/// The table `name` for a table-level operation signed for `region`: a
/// global table is found only in its Regions.
pub fn in_region(table: &TableMeta, region: &str) -> Result<(), DynamoError> {
    if !table.answers_in(region) {
        return Err(DynamoError::table_not_found(&table.name));
    }
    Ok(())
}

/// Adds what a global table's description has, as seen from `local` (the
/// Region asked; the table's own Region when it has no replica there):
/// GlobalTableVersion, the other Regions as Replicas, the strong
/// consistency and its witness, and the table's ARN, TableId and read
/// capacity in that Region. A
/// table without replicas is left as it is (DynamoDB omits these members
/// rather than leaving them empty). A replica still being created is
/// CREATING, and one removed is listed DELETING while that lasts
/// (`transitions`).
pub fn describe(
    d: &mut Map<String, Value>,
    table: &TableMeta,
    local: &str,
    transitions: &Transitions,
) {
    // The last replica removed is still listed while it is DELETING.
    if !table.is_global() && transitions.deleting_replicas(table).next().is_none() {
        return;
    }
    let local = if table.is_in_region(local) {
        local
    } else {
        table.region.as_str()
    };
    show_read_capacity_in(d, table, local);
    d.insert("TableId".into(), table.table_id_in(local).into());
    let warm = table.warm_throughput().description("ACTIVE");
    let mut replicas = Vec::new();
    if local != table.region {
        let own =
            (table.own_region_overrides.clone()).unwrap_or_else(|| ReplicaMeta::new(&table.region));
        replicas.push(replica_description(&own, &warm, "ACTIVE"));
        let own_arn = table.arn();
        let local_arn = table.arn_in(local);
        d.insert("TableArn".into(), local_arn.clone().into());
        for member in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
            for index in d
                .get_mut(member)
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(arn) = index.get("IndexArn").and_then(Value::as_str) {
                    let in_local = arn.replacen(&own_arn, &local_arn, 1);
                    index["IndexArn"] = in_local.into();
                }
            }
        }
    }
    for replica in table.replicas.iter().filter(|r| r.region != local) {
        let status = if transitions.replica_creating(table, &replica.region) {
            "CREATING"
        } else {
            "ACTIVE"
        };
        replicas.push(replica_description(replica, &warm, status));
    }
    // A replica created again takes the place of one still DELETING.
    for replica in transitions.deleting_replicas(table) {
        if replica.region != local && !table.is_in_region(&replica.region) {
            replicas.push(replica_description(replica, &warm, "DELETING"));
        }
    }
    d.insert("GlobalTableVersion".into(), VERSION.into());
    d.insert("Replicas".into(), replicas.into());
    d.insert(
        "GlobalTableSettingsReplicationMode".into(),
        "ENABLED_WITH_OVERRIDES".into(),
    );
    if let Some(strong) = &table.strong_consistency {
        d.insert("MultiRegionConsistency".into(), "STRONG".into());
        if let Some(witness) = &strong.witness {
            d.insert(
                "GlobalTableWitnesses".into(),
                json!([{"RegionName": witness, "WitnessStatus": "ACTIVE"}]),
            );
        }
    }
}

/// The read capacity of the replica in `local`, a table of that Region
/// with read capacity of its own (as `throughput` enforces it): the
/// Region's overrides where it has them, for the table and each global
/// index (ProvisionedThroughput's ReadCapacityUnits, OnDemandThroughput's
/// MaxReadRequestUnits), the table's settings elsewhere. Worked out from
/// the table, not from `d`, so that a description made for the table's own
/// Region and described again for another is that Region's.
fn show_read_capacity_in(d: &mut Map<String, Value>, table: &TableMeta, local: &str) {
    let overrides = table.overrides_in(local);
    let show = |entry: &mut Map<String, Value>,
                index: Option<&str>,
                units: i64,
                mut ceiling: OnDemandThroughput| {
        let overridden =
            overrides.and_then(|replica| replica.read_override(table.billing_mode, index));
        let provisioned = table.billing_mode == BillingMode::Provisioned;
        // An on-demand table's ProvisionedThroughput (zeros) still dates
        // the Region's changes from when it was provisioned.
        if let Some(shown) = entry.get_mut("ProvisionedThroughput") {
            let write = shown.get("WriteCapacityUnits").and_then(Value::as_i64);
            let read = match overridden {
                Some(overridden) if provisioned => overridden,
                _ => units,
            };
            let throughput = Throughput {
                read_capacity_units: read,
                write_capacity_units: write.unwrap_or_default(),
                ..table.capacity_changes_in(local, index)
            };
            *shown = crate::describe::throughput_description(&throughput);
        }
        if !provisioned {
            if let Some(units) = overridden {
                ceiling.max_read_request_units = units;
            }
            match crate::describe::on_demand(&ceiling) {
                Some(shown) => entry.insert("OnDemandThroughput".into(), shown),
                None => entry.remove("OnDemandThroughput"),
            };
        }
    };
    show(
        d,
        None,
        table.throughput.read_capacity_units,
        table.on_demand,
    );
    let Some(Value::Array(entries)) = d.get_mut("GlobalSecondaryIndexes") else {
        return;
    };
    for entry in entries.iter_mut().filter_map(Value::as_object_mut) {
        let name = entry.get("IndexName").and_then(Value::as_str);
        let index = table.indexes.iter().find(|i| Some(i.name.as_str()) == name);
        if let Some(index) = index.filter(|i| i.kind == IndexKind::Global) {
            let units = index.throughput.read_capacity_units;
            show(entry, Some(index.name.as_str()), units, index.on_demand);
        }
    }
}

/// One entry of Replicas: what DynamoDB reports of a replica (its Region,
/// `status`, warm throughput and settings mode) and the overrides it was
/// given.
fn replica_description(replica: &ReplicaMeta, warm: &Value, status: &str) -> Value {
    let mut entry = json!({
        "RegionName": replica.region,
        "ReplicaStatus": status,
        "WarmThroughput": warm,
        "GlobalTableSettingsReplicationMode": "ENABLED_WITH_OVERRIDES",
    });
    if let Some(key) = &replica.kms_master_key_id {
        entry["KMSMasterKeyId"] = key.clone().into();
    }
    if let Some(units) = replica.max_read_request_units {
        entry["OnDemandThroughputOverride"] = json!({"MaxReadRequestUnits": units});
    }
    if let Some(units) = replica.read_capacity_units {
        entry["ProvisionedThroughputOverride"] = json!({"ReadCapacityUnits": units});
    }
    if let Some((class, since)) = &replica.table_class {
        entry["ReplicaTableClassSummary"] =
            json!({"TableClass": class, "LastUpdateDateTime": since});
    }
    let mut indexes: Vec<Value> = (replica.indexes.iter())
        .map(|(name, units)| {
            json!({"IndexName": name, "OnDemandThroughputOverride": {"MaxReadRequestUnits": units}})
        })
        .collect();
    indexes.extend(replica.index_read_capacity_units.iter().map(|(name, units)| {
        json!({"IndexName": name, "ProvisionedThroughputOverride": {"ReadCapacityUnits": units}})
    }));
    if !indexes.is_empty() {
        entry["GlobalSecondaryIndexes"] = indexes.into();
    }
    entry
}

/// DeleteTable in `region` of a global table that has a replica there:
/// only that replica goes. The table's own Region passes to its first
/// replica when it is the one deleted. Returns the replica removed, as it
/// was; None when the table has no replica to keep (DeleteTable then
/// deletes it).
pub fn delete_replica(
    table: &mut TableMeta,
    region: &str,
) -> Result<Option<ReplicaMeta>, DynamoError> {
    if !table.is_global() {
        return Ok(None);
    }
    if table.strong_consistency.is_some() {
        return Err(DynamoError::validation(
            "Deletion of only one table replica is not supported for global tables with MultiRegionConsistency set to STRONG.",
        ));
    }
    let removed = table.replica_in(region);
    if table.region == region {
        let successor = table.replicas[0].region.clone();
        table.pass_own_region_to(&successor);
    } else {
        table.replicas.retain(|r| r.region != region);
    }
    table.settle_if_regional();
    Ok(Some(removed))
}

/// DynamoDB's answer to a replica on a table whose writes are provisioned
/// without auto scaling (`TableMeta::writes_replicable`).
pub fn provisioned_writes_refused() -> DynamoError {
    DynamoError::validation("Table write capacity should either be Pay-Per-Request or AutoScaled.")
}

/// A Region DynamoDB has no global tables in.
pub fn check_region(region: &str) -> Result<(), DynamoError> {
    if REGIONS.contains(&region) {
        return Ok(());
    }
    Err(DynamoError::validation(format!(
        "Region {region} is not supported. The latest version of global tables are only supported in the following regions: [{}].",
        REGIONS.join(", ")
    )))
}

/// The table is still changing (an index backfill): DynamoDB refuses a
/// replica change until it is ACTIVE.
pub fn in_use() -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceInUse,
        "The resource which you are attempting to change is in use.",
    )
}

#[cfg(test)]
mod tests;
