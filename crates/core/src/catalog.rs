//! The catalog: every table's definition, persisted in the engine and
//! cached in memory, because every data-plane request needs its table's
//! key schema and must not pay a storage read for it.

use crate::keys;
use crate::table_status::Transitions;
use crate::warm_throughput::{self, WarmThroughput};
use dynalith_model::{AttributeValue, DynamoError, ValueType};
use dynalith_storage::{Engine, ReadView, Transaction};
use parking_lot::{Mutex, MutexGuard, RwLock};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The three types a key attribute may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    pub fn parse(text: &str) -> Option<ScalarType> {
        match text {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    pub fn matches(self, value: &AttributeValue) -> bool {
        matches!(
            (self, value.value_type()),
            (ScalarType::S, ValueType::S)
                | (ScalarType::N, ValueType::N)
                | (ScalarType::B, ValueType::B)
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttribute {
    pub name: String,
    pub scalar_type: ScalarType,
}

/// A table's or index's key. Tables and local indexes have one partition
/// attribute and at most one sort attribute; a global index may have up to
/// four of each (DynamoDB's multi-attribute keys), whose values are
/// compared as tuples in key-schema order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySchema {
    pub partition: KeyAttribute,
    pub sort: Option<KeyAttribute>,
    /// The partition attributes after the first (multi-attribute keys).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_partition: Vec<KeyAttribute>,
    /// The sort attributes after the first (multi-attribute keys); empty
    /// when `sort` is None.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub more_sort: Vec<KeyAttribute>,
}

impl KeySchema {
    /// A key of one partition attribute and at most one sort attribute.
    pub fn single(partition: KeyAttribute, sort: Option<KeyAttribute>) -> KeySchema {
        KeySchema {
            partition,
            sort,
            more_partition: Vec::new(),
            more_sort: Vec::new(),
        }
    }

    /// The partition attributes, in key-schema order.
    pub fn partition_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.partition).chain(&self.more_partition)
    }

    /// The sort attributes, in key-schema order.
    pub fn sort_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.sort.iter().chain(&self.more_sort)
    }

    /// Whether the key has more than one partition or sort attribute.
    pub fn is_multi_attribute(&self) -> bool {
        !self.more_partition.is_empty() || !self.more_sort.is_empty()
    }

    /// Every key attribute in storage-key order: the partition attributes,
    /// then the sort attributes.
    pub fn attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        self.partition_attributes().chain(self.sort_attributes())
    }

    pub fn is_key_attribute(&self, name: &str) -> bool {
        self.attributes().any(|k| k.name == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BillingMode {
    Provisioned,
    PayPerRequest,
}

impl BillingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BillingMode::Provisioned => "PROVISIONED",
            BillingMode::PayPerRequest => "PAY_PER_REQUEST",
        }
    }
}

/// Decreases of a provisioned capacity any time of a UTC day; each one
/// more needs an hour since the last (`Throughput::check_decrease`).
const FREE_DECREASES_PER_DAY: i64 = 4;
const DECREASE_SPACING_SECS: f64 = 3600.0;

/// A time as DynamoDB's decrease limit spells it: "Monday, February 13,
/// 2023 at 10:25:39 AM Coordinated Universal Time".
fn spoken_utc(epoch_seconds: f64) -> String {
    let format = time::macros::format_description!(
        "[weekday repr:long], [month repr:long] [day padding:none], [year] at [hour repr:12 padding:none]:[minute]:[second] [period]"
    );
    time::OffsetDateTime::from_unix_timestamp(epoch_seconds.floor() as i64)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .map_or_else(String::new, |t| format!("{t} Coordinated Universal Time"))
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub read_capacity_units: i64,
    pub write_capacity_units: i64,
    pub last_increase: Option<f64>,
    pub last_decrease: Option<f64>,
    pub decreases_today: i64,
}

impl Throughput {
    /// Sets new provisioned values, recording when they last went up or
    /// down as DynamoDB reports it.
    pub fn change_to(&mut self, read: i64, write: i64, now: f64) {
        if read > self.read_capacity_units || write > self.write_capacity_units {
            self.last_increase = Some(now);
        }
        if read < self.read_capacity_units || write < self.write_capacity_units {
            self.decreases_today = self.decreases_on(now) + 1;
            self.last_decrease = Some(now);
        }
        self.read_capacity_units = read;
        self.write_capacity_units = write;
    }

    /// Refuses, as DynamoDB does, a change to `read` and `write` units that
    /// decreases either once the day's first four decreases are spent and
    /// the last came less than an hour ago (its quota: four at any time
    /// of a UTC day, then one for each hour without a decrease, 27 at
    /// most). The message is DynamoDB's as recorded in 2019 and 2023.
    pub fn check_decrease(&self, read: i64, write: i64, now: f64) -> Result<(), DynamoError> {
        let decreasing = read < self.read_capacity_units || write < self.write_capacity_units;
        let today = self.decreases_on(now);
        let last = match self.last_decrease {
            Some(last) if decreasing && today >= FREE_DECREASES_PER_DAY => last,
            _ => return Ok(()),
        };
        let next = last + DECREASE_SPACING_SECS;
        if now >= next {
            return Ok(());
        }
        Err(DynamoError::new(
            dynalith_model::ErrorKind::LimitExceeded,
            format!(
                "Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. After the first {FREE_DECREASES_PER_DAY} decreases, each subsequent decrease in the same UTC day can be performed at most once every {} seconds. Number of decreases today: {today}. Last decrease at {}. Next decrease can be made at {}",
                DECREASE_SPACING_SECS as i64,
                spoken_utc(last),
                spoken_utc(next)
            ),
        ))
    }

    /// NumberOfDecreasesToday as of `now`: the count starts again at 00:00
    /// UTC, as DynamoDB's does (LastDecreaseDateTime stays).
    pub fn decreases_on(&self, now: f64) -> i64 {
        let day = |t: f64| (t / 86_400.0).floor() as i64;
        match self.last_decrease {
            Some(last) if day(last) == day(now) => self.decreases_today,
            _ => 0,
        }
    }
}

/// The most request units per second an on-demand table or global index
/// may use (its OnDemandThroughput); -1 is no ceiling. Recorded and
/// reported as DynamoDB reports it, and enforced with `--enforce-throughput`
/// (`throughput`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnDemandThroughput {
    pub max_read_request_units: i64,
    pub max_write_request_units: i64,
}

impl Default for OnDemandThroughput {
    fn default() -> Self {
        OnDemandThroughput {
            max_read_request_units: -1,
            max_write_request_units: -1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StreamSettings {
    pub enabled: bool,
    pub view_type: String,
    /// The stream's label (its creation time), which names its ARN.
    pub label: String,
    /// The stream's entry in the stream registry (`streams`); None for a
    /// stream recorded before records were kept, which has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
}

/// Everything DynamoDB knows about a table, as persisted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableMeta {
    /// Prefix of every storage key of the table; never reused.
    pub id: u32,
    pub name: String,
    /// The TableId DynamoDB reports (a UUID).
    pub uuid: String,
    pub region: String,
    pub key_schema: KeySchema,
    /// In the order the client gave them.
    pub attribute_definitions: Vec<KeyAttribute>,
    pub billing_mode: BillingMode,
    pub throughput: Throughput,
    /// Tables written before this was recorded have no ceiling.
    #[serde(default)]
    pub on_demand: OnDemandThroughput,
    /// The warm throughput last recorded (`warm_throughput`); read it with
    /// `TableMeta::warm_throughput`, which raises it to what the billing
    /// gives now. None for tables written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<WarmThroughput>,
    pub created_at: f64,
    /// When UpdateTable last made a change DynamoDB applies while the
    /// table is UPDATING (`table_status`); None if it never did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updating_since: Option<f64>,
    /// When the table last became on-demand (created so, switched, restored
    /// so); None if it never was. DynamoDB describes BillingModeSummary only
    /// for a table that was ever on demand, with this time, even after a
    /// switch to provisioned (DDB-TABLE-025, -055). Tables recorded before
    /// it was kept have the time of their last switch.
    #[serde(default, alias = "billing_mode_changed_at")]
    pub pay_per_request_at: Option<f64>,
    pub deletion_protection: bool,
    pub stream: Option<StreamSettings>,
    pub table_class: String,
    /// Whether CreateTable named a class or UpdateTable changed it:
    /// DynamoDB leaves TableClassSummary out of the description of a table
    /// whose class was never set (STANDARD).
    #[serde(default)]
    pub table_class_given: bool,
    /// When UpdateTable last changed the class (TableClassSummary's
    /// LastUpdateDateTime).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_class_changed_at: Option<f64>,
    /// The attribute whose epoch-seconds Number expires an item, while
    /// Time to Live is enabled (`ttl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_live_attribute: Option<String>,
    /// The last UpdateTimeToLive (`table_status`: ENABLING or DISABLING
    /// while the transient status lasts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_live_change: Option<crate::table_status::TimeToLiveChange>,
    /// The table's tags (TagResource, CreateTable's Tags), by key.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tags: std::collections::BTreeMap<String, String>,
    /// Local indexes first (they never change), then global ones in the
    /// order they were created.
    #[serde(default)]
    pub indexes: Vec<IndexMeta>,
    /// Global indexes UpdateTable deleted, described DELETING while the
    /// transient status lasts (`table_status`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleting_indexes: Vec<crate::table_status::DeletingIndex>,
    /// Replicas UpdateTable or DeleteTable removed, described DELETING in
    /// the other Regions while the transient status lasts
    /// (`table_status`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deleting_replicas: Vec<crate::table_status::DeletingReplica>,
    /// Vector indexes (`vectors`), in the order they were created.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vector_indexes: Vec<crate::vectors::VectorIndexMeta>,
    /// How many counter slots (`IndexMeta::counter_slot`) the table's
    /// indexes have ever taken. A dropped index's slot is not reused: its
    /// stale counts stay in the table's counter values.
    #[serde(default)]
    pub counter_slots_taken: u16,
    /// Set while point-in-time recovery is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_in_time_recovery: Option<PointInTimeRecovery>,
    /// Resource-based policies of the table and of its stream, by the ARN
    /// each was put on (`resource_policies`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub resource_policies:
        std::collections::BTreeMap<String, crate::resource_policies::ResourcePolicy>,
    /// Contributor Insights settings that are on: the table's under "",
    /// its global indexes' under their names (`contributor_insights`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub contributor_insights:
        std::collections::BTreeMap<String, crate::contributor_insights::ContributorInsights>,
    /// Kinesis Data Streams destinations, one per stream ARN ever enabled
    /// (`kinesis`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinesis_destinations: Vec<crate::kinesis::KinesisDestination>,
    /// The table's replicas in other Regions while it is a global table
    /// (`global_tables`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<crate::global_tables::ReplicaMeta>,
    /// What a replica's Update set for the table's own Region while the
    /// table is global, as the other Regions describe it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own_region_overrides: Option<crate::global_tables::ReplicaMeta>,
    /// Set once the table became a global table: from then on it answers
    /// only in its Regions (its own and its replicas'), as every DynamoDB
    /// table does; other tables answer in every Region (`global_tables`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub region_bound: bool,
    /// Set on a global table created with MultiRegionConsistency STRONG.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strong_consistency: Option<crate::global_tables::StrongConsistency>,
    /// Set while the table asks for a KMS key (SSESpecification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption: Option<crate::encryption::KmsEncryption>,
    /// Set on a table made by RestoreTableFromBackup.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreSummary>,
    /// An ImportTable is still writing the table's items; a table left so
    /// by a crash is dropped at the next start.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub importing: bool,
    /// The table's scaling capacities (`auto_scaling`).
    #[serde(
        default,
        skip_serializing_if = "crate::auto_scaling::CapacityScaling::is_empty"
    )]
    pub auto_scaling: crate::auto_scaling::CapacityScaling,
}

/// A table's point-in-time recovery (`point_in_time`): a copy of its items
/// when recovery was enabled, and every change since.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointInTimeRecovery {
    /// Where the copy is kept, an id of the table-id sequence.
    pub base_id: u32,
    /// The earliest time a restore may ask for (seconds since the epoch).
    pub earliest: f64,
    pub recovery_period_days: i64,
}

/// Where a restored table came from (DescribeTable's RestoreSummary).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RestoreSummary {
    /// None for a point-in-time restore.
    #[serde(default)]
    pub source_backup_arn: Option<String>,
    pub source_table_arn: String,
    pub restored_at: f64,
    /// The items are still being written; a table left so by a crash is
    /// dropped at the next start.
    pub in_progress: bool,
}

impl TableMeta {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{}",
            self.region,
            crate::ACCOUNT_ID,
            self.name
        )
    }

    /// The counter slot for an index being added to the table.
    pub fn take_counter_slot(&mut self) -> Result<u16, DynamoError> {
        self.counter_slots_taken = self
            .counter_slots_taken
            .checked_add(1)
            .ok_or_else(|| DynamoError::internal("counter slots exhausted"))?;
        Ok(self.counter_slots_taken)
    }

    /// The warm throughput DynamoDB would report for the table now.
    pub fn warm_throughput(&self) -> WarmThroughput {
        warm_throughput::effective(self.warm_throughput, self.billing_mode, &self.throughput)
    }

    /// Records the warm throughput of the table and of its global indexes
    /// as they are now, so that a drop of provisioned capacity leaves them
    /// where they were: warm throughput never goes down. UpdateTable, the
    /// one way to change a table's capacity, calls it before a change.
    pub fn record_warm_throughput(&mut self) {
        self.warm_throughput = Some(self.warm_throughput());
        let billing = self.billing_mode;
        for index in &mut self.indexes {
            if index.kind == IndexKind::Global {
                index.warm_throughput = Some(index.warm_throughput(billing));
            }
        }
    }

    pub fn index(&self, name: &str) -> Option<&IndexMeta> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// Item collections (and their size limit) exist only on tables with
    /// local indexes.
    pub fn has_local_indexes(&self) -> bool {
        self.indexes.iter().any(|i| i.kind == IndexKind::Local)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexKind {
    Global,
    Local,
}

/// Which attributes an index copies from the table besides the keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexProjection {
    KeysOnly,
    /// The keys and these non-key attributes.
    Include(Vec<String>),
    All,
}

impl IndexProjection {
    pub fn type_name(&self) -> &'static str {
        match self {
            IndexProjection::KeysOnly => "KEYS_ONLY",
            IndexProjection::Include(_) => "INCLUDE",
            IndexProjection::All => "ALL",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IndexStatus {
    /// Being filled from the table's existing items; not readable yet.
    Creating,
    Active,
}

impl IndexStatus {
    /// The IndexStatus DescribeTable reports.
    pub fn as_str(self) -> &'static str {
        match self {
            IndexStatus::Creating => "CREATING",
            IndexStatus::Active => "ACTIVE",
        }
    }
}

/// A secondary index, as persisted with its table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexMeta {
    /// Prefix of the index's storage keys, from the same never-reused
    /// sequence as table ids.
    pub id: u32,
    pub name: String,
    pub kind: IndexKind,
    pub key_schema: KeySchema,
    pub projection: IndexProjection,
    /// Global indexes of provisioned tables have their own throughput.
    pub throughput: Throughput,
    /// Global indexes of on-demand tables have their own ceiling.
    #[serde(default)]
    pub on_demand: OnDemandThroughput,
    /// A global index's warm throughput last recorded, as the table's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<WarmThroughput>,
    pub status: IndexStatus,
    /// Which pair of the table's counter values holds the index's item
    /// count and size (`counters`). None for indexes created before slots
    /// existed: their counters have shards of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter_slot: Option<u16>,
    /// A global index's scaling capacities (`auto_scaling`).
    #[serde(
        default,
        skip_serializing_if = "crate::auto_scaling::CapacityScaling::is_empty"
    )]
    pub auto_scaling: crate::auto_scaling::CapacityScaling,
}

impl IndexMeta {
    pub fn arn(&self, table: &TableMeta) -> String {
        format!("{}/index/{}", table.arn(), self.name)
    }

    /// The warm throughput DynamoDB would report for this global index of
    /// a table billed `billing`.
    pub fn warm_throughput(&self, billing: BillingMode) -> WarmThroughput {
        warm_throughput::effective(self.warm_throughput, billing, &self.throughput)
    }

    /// Whether the index holds `attribute` of its items (keys of the index
    /// and of the table are always there).
    pub fn projects(&self, table: &TableMeta, attribute: &str) -> bool {
        match &self.projection {
            IndexProjection::All => true,
            projection => {
                self.key_schema.is_key_attribute(attribute)
                    || table.key_schema.is_key_attribute(attribute)
                    || matches!(projection, IndexProjection::Include(names) if names.iter().any(|n| n == attribute))
            }
        }
    }
}

/// The next id of the table-id sequence (the caller holds the catalog's
/// change lock and commits the advanced counter).
pub(crate) fn next_id(engine: &dyn Engine) -> Result<u32, DynamoError> {
    let raw = engine
        .get(&keys::next_table_id())
        .map_err(crate::storage_error)?;
    match raw {
        Some(raw) => raw
            .as_slice()
            .try_into()
            .map(u32::from_be_bytes)
            .map_err(|_| DynamoError::internal("corrupt table id counter")),
        None => Ok(1),
    }
}

/// The in-memory catalog. Control-plane changes are serialized by
/// `change_lock`; readers only take the short `tables` read lock.
pub struct Catalog {
    tables: RwLock<HashMap<String, Arc<TableMeta>>>,
    change_lock: Mutex<()>,
    /// The count of catalog changes `tables` reflects (`refresh`).
    version: AtomicI64,
    /// Tables' CREATING, UPDATING and DELETING periods (`table_status`).
    transitions: Transitions,
}

impl Catalog {
    /// The catalog in `engine`; each table stays CREATING, UPDATING and
    /// DELETING for `transient_status` (`table_status`).
    pub fn load(engine: &dyn Engine, transient_status: Duration) -> Result<Catalog, DynamoError> {
        let (version, tables) = read_tables(&*engine.snapshot())?;
        Ok(Catalog {
            tables: RwLock::new(tables),
            change_lock: Mutex::new(()),
            version: AtomicI64::new(version),
            transitions: Transitions::new(transient_status),
        })
    }

    pub fn transitions(&self) -> &Transitions {
        &self.transitions
    }

    /// Reads the catalog again if another server changed it since it was
    /// read (a server following another on one schema changes nothing
    /// itself). Whether it had changed.
    pub fn refresh(&self, engine: &dyn Engine) -> Result<bool, DynamoError> {
        let snapshot = engine.snapshot();
        if version_in(&*snapshot)? == self.version.load(Ordering::Acquire) {
            return Ok(false);
        }
        let (version, tables) = read_tables(&*snapshot)?;
        *self.tables.write() = tables;
        self.version.store(version, Ordering::Release);
        Ok(true)
    }

    pub fn get(&self, name: &str) -> Option<Arc<TableMeta>> {
        self.tables.read().get(name).cloned()
    }

    /// The table `arn` names: its ARN in its own Region, or in a replica's.
    pub fn get_by_arn(&self, arn: &str) -> Option<Arc<TableMeta>> {
        let region = arn.split(':').nth(3)?;
        let name = arn.rsplit_once(":table/")?.1;
        self.get(name)
            .filter(|table| table.is_in_region(region) && table.arn_in(region) == arn)
    }

    /// A table the control plane may change: an ACTIVE one, not one being
    /// created (by CreateTable, or an import still filling it) or updated,
    /// which DynamoDB refuses to change.
    pub fn require_changeable(&self, name: &str) -> Result<Arc<TableMeta>, DynamoError> {
        let table = self
            .get(name)
            .ok_or_else(|| DynamoError::table_not_found(name))?;
        self.transitions.check_changeable(&table)?;
        Ok(table)
    }

    /// A table for the data plane. One still CREATING is not there yet:
    /// DynamoDB answers ResourceNotFoundException for it.
    pub fn require(&self, name: &str) -> Result<Arc<TableMeta>, DynamoError> {
        self.get(name)
            .filter(|table| self.transitions.serves_items(table))
            .ok_or_else(DynamoError::resource_not_found)
    }

    /// `require_changeable` for a request signed for `region`, where a
    /// replica still being created is not changeable either.
    pub fn require_changeable_in(
        &self,
        name: &str,
        region: &str,
    ) -> Result<Arc<TableMeta>, DynamoError> {
        let table = self
            .get(name)
            .ok_or_else(|| DynamoError::table_not_found(name))?;
        self.transitions.check_changeable_in(&table, region)?;
        Ok(table)
    }

    /// `require` for a request signed for `region`: a table that is or was
    /// a global table is there only in its Regions, and not in a Region
    /// whose replica is still being created.
    pub fn require_in(&self, name: &str, region: &str) -> Result<Arc<TableMeta>, DynamoError> {
        self.require(name)
            .ok()
            .filter(|table| {
                table.answers_in(region) && !self.transitions.replica_creating(table, region)
            })
            .ok_or_else(DynamoError::resource_not_found)
    }

    /// `get` for a request signed for `region` (`require_in`).
    pub fn get_in(&self, name: &str, region: &str) -> Option<Arc<TableMeta>> {
        self.get(name).filter(|table| table.answers_in(region))
    }

    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.tables.read().keys().cloned().collect();
        names.sort();
        names
    }

    pub fn len(&self) -> usize {
        self.tables.read().len()
    }

    /// Every table, in no particular order.
    pub fn tables(&self) -> Vec<Arc<TableMeta>> {
        self.tables.read().values().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Held for the whole of a control-plane change (read, validate, write,
    /// publish) so that two changes to the catalog never interleave.
    pub fn lock_changes(&self) -> MutexGuard<'_, ()> {
        self.change_lock.lock()
    }

    /// Publishes a committed change.
    pub fn publish(&self, meta: TableMeta) {
        self.tables
            .write()
            .insert(meta.name.clone(), Arc::new(meta));
    }

    pub fn unpublish(&self, name: &str) {
        self.tables.write().remove(name);
    }
}

/// Writes a table's catalog entry in `txn`, counting the change (see
/// `keys::catalog_version`).
pub(crate) fn write_entry(txn: &mut dyn Transaction, table: &TableMeta) -> Result<(), DynamoError> {
    let encoded = serde_json::to_vec(table).map_err(|e| DynamoError::internal(e.to_string()))?;
    txn.put(&keys::table_entry(&table.name), &encoded)
        .map_err(crate::storage_error)?;
    count_change(txn)
}

/// Removes a table's catalog entry in `txn`, counting the change.
pub(crate) fn delete_entry(txn: &mut dyn Transaction, name: &str) -> Result<(), DynamoError> {
    txn.delete(&keys::table_entry(name))
        .map_err(crate::storage_error)?;
    count_change(txn)
}

fn count_change(txn: &mut dyn Transaction) -> Result<(), DynamoError> {
    txn.add_counters(&keys::catalog_version(), &[1])
        .map_err(crate::storage_error)
}

/// Every table's entry in `view`, and the count of changes they reflect.
fn read_tables(view: &dyn ReadView) -> Result<(i64, HashMap<String, Arc<TableMeta>>), DynamoError> {
    let version = version_in(view)?;
    let (start, end) = keys::table_entries_range();
    let mut tables = HashMap::new();
    for entry in view.scan(&start, &end, false) {
        let (_, value) = entry.map_err(crate::storage_error)?;
        let meta: TableMeta = serde_json::from_slice(&value)
            .map_err(|e| DynamoError::internal(format!("corrupt catalog entry: {e}")))?;
        tables.insert(meta.name.clone(), Arc::new(meta));
    }
    Ok((version, tables))
}

/// How many catalog changes `view` sees committed.
fn version_in(view: &dyn ReadView) -> Result<i64, DynamoError> {
    let value = view
        .get(&keys::catalog_version())
        .map_err(crate::storage_error)?;
    Ok(value.map_or(0, |v| {
        dynalith_storage::decode_counters(&v)
            .first()
            .copied()
            .unwrap_or(0)
    }))
}

#[cfg(test)]
mod tests {
    use super::Throughput;

    const DAY: f64 = 86_400.0;

    #[test]
    fn decreases_are_counted_per_utc_day() {
        // 2026-10-08 23:20 UTC, a few seconds before and after midnight.
        let evening = 20_369.0 * DAY + 84_000.0;
        let before_midnight = 20_370.0 * DAY - 5.0;
        let midnight = 20_370.0 * DAY;
        let mut t = Throughput {
            read_capacity_units: 10,
            write_capacity_units: 10,
            ..Default::default()
        };
        assert_eq!(t.decreases_on(evening), 0);
        for (i, units) in (6..10).rev().enumerate() {
            t.change_to(units, units, evening);
            assert_eq!(t.decreases_on(evening), i as i64 + 1);
        }
        assert_eq!(t.decreases_on(before_midnight), 4);
        // At 00:00 UTC the count is 0 again; the date stays.
        assert_eq!(t.decreases_on(midnight), 0);
        assert_eq!(t.last_decrease, Some(evening));
        // The next decrease counts from 0; an increase counts none.
        t.change_to(5, 5, midnight + 46.0);
        assert_eq!(t.decreases_on(midnight + 46.0), 1);
        t.change_to(7, 7, midnight + 50.0);
        assert_eq!(t.decreases_on(midnight + 50.0), 1);
        assert_eq!(t.last_increase, Some(midnight + 50.0));
    }

    #[test]
    fn a_fifth_decrease_waits_an_hour_after_the_last() {
        // 2023-02-13 00:00 UTC, and 10:25:39 that day.
        let midnight = 19_401.0 * DAY;
        let morning = midnight + 37_539.0;
        let mut t = Throughput {
            read_capacity_units: 10,
            write_capacity_units: 10,
            ..Default::default()
        };
        for units in (6..10).rev() {
            t.check_decrease(units, units, morning)
                .expect("four at any time");
            t.change_to(units, units, morning);
        }
        // A fifth, of either capacity, is DynamoDB's LimitExceededException
        // (its words as recorded in 2023) until an hour has passed.
        for (read, write) in [(5, 6), (6, 5)] {
            let e = t.check_decrease(read, write, morning + 60.0).unwrap_err();
            assert_eq!(e.kind, dynalith_model::ErrorKind::LimitExceeded);
            assert_eq!(
                e.message,
                "Subscriber limit exceeded: Provisioned throughput decreases are limited within a given UTC day. After the first 4 decreases, each subsequent decrease in the same UTC day can be performed at most once every 3600 seconds. Number of decreases today: 4. Last decrease at Monday, February 13, 2023 at 10:25:39 AM Coordinated Universal Time. Next decrease can be made at Monday, February 13, 2023 at 11:25:39 AM Coordinated Universal Time"
            );
        }
        // An increase, or a change that lowers nothing, is not a decrease.
        t.check_decrease(7, 6, morning + 60.0).unwrap();
        t.check_decrease(6, 6, morning + 60.0).unwrap();
        // An hour after the last, one more; then an hour after that one.
        t.check_decrease(5, 6, morning + 3_600.0).unwrap();
        t.change_to(5, 6, morning + 3_600.0);
        assert!(t.check_decrease(4, 6, morning + 7_199.0).is_err());
        t.check_decrease(4, 6, morning + 7_200.0).unwrap();
        // A new UTC day starts with four again.
        t.change_to(4, 6, morning + 7_200.0);
        let next_day = midnight + DAY + 1.0;
        t.check_decrease(3, 6, next_day).unwrap();
    }
}
