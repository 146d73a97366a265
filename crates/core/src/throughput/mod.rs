//! Capacity accounting: what each table and global index consumed and how
//! often it was throttled, counted always (the metrics endpoint reports
//! it, as CloudWatch reports ConsumedReadCapacityUnits and
//! ReadThrottleEvents), and throughput enforcement, off unless asked for.
//!
//! Enforcement throttles the provisioned capacity
//! of provisioned tables and global indexes, and the maximum throughput
//! (OnDemandThroughput) of on-demand ones, throttled as DynamoDB throttles
//! them, so that an application's retries, backoff and batch re-sends can
//! be tested before production does it for them. DynamoDB Local records
//! both settings and throttles nothing, which stays the default.
//!
//! Each table and global index has a token bucket per direction that fills
//! at its capacity per second and keeps up to 300 seconds of unused
//! capacity (DynamoDB's burst capacity). A new bucket (a new table, or a
//! restarted server) starts with one second's worth. A request is let in
//! while the buckets it needs hold anything, and pays what it consumed once
//! it has run, as DynamoDB does: the cost of a Query is not known before it
//! reads, so one large request may take a bucket below zero and hold back
//! the requests after it until the deficit is refilled. Writes need the
//! buckets of the table and of every global index it has, as a global
//! index short of write capacity throttles writes to its table.
//!
//! Reads of a global table use the buckets of the Region they are signed
//! for: in DynamoDB each replica is a copy with read capacity of its own,
//! the table's or its ProvisionedThroughputOverride (on-demand: its
//! OnDemandThroughputOverride), for the table and for each global index.
//! Writes, which every replica takes, use the table's one set of buckets,
//! and so do a partition's (`partitions`) in every Region.

mod partitions;

pub use partitions::Partition;

use crate::capacity::Consumed;
use crate::catalog::{BillingMode, IndexKind, IndexMeta, TableMeta};
use crate::global_tables::ReplicaMeta;
use dynalith_model::{DynamoError, ErrorKind};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// How much unused capacity a bucket keeps, in seconds of capacity.
const BURST_SECONDS: f64 = 300.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Direction {
    Read,
    Write,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::Read => "Read",
            Direction::Write => "Write",
        }
    }
}

/// Which limit refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Limit {
    /// A provisioned table's or global index's capacity units.
    Provisioned,
    /// An on-demand table's or global index's MaxRead/WriteRequestUnits.
    MaxOnDemand,
    /// What one partition serves (`partitions`), on a provisioned table
    /// (true) or an on-demand one.
    KeyRange { provisioned: bool },
}

impl Limit {
    /// ProvisionedThroughputExceededException for what provisioning sets,
    /// ThrottlingException for the rest.
    fn is_provisioned(self) -> bool {
        matches!(
            self,
            Limit::Provisioned | Limit::KeyRange { provisioned: true }
        )
    }
}

/// A refused request: what ran out, for the error and its
/// ThrottlingReasons.
#[derive(Clone, Debug, PartialEq)]
pub struct Throttled {
    limit: Limit,
    direction: Direction,
    /// The index's ARN when a global index ran out, else the table's.
    resource: String,
    on_index: bool,
}

impl Throttled {
    /// The message DynamoDB gives for this limit.
    fn message(&self) -> &'static str {
        match (self.limit, self.on_index, self.direction) {
            (Limit::KeyRange { provisioned: false }, ..) => "Throughput exceeds the current capacity of your table or index. DynamoDB is automatically scaling your table or index so please try again shortly. If exceptions persist, check if you have a hot key: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html",
            (Limit::Provisioned | Limit::KeyRange { .. }, false, _) => "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
            (Limit::Provisioned | Limit::KeyRange { .. }, true, Direction::Write) => "The level of configured provisioned throughput for one or more global secondary indexes of the table was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary indexes with the UpdateTable API",
            (Limit::Provisioned | Limit::KeyRange { .. }, true, Direction::Read) => "The level of configured provisioned throughput for the index was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
            (Limit::MaxOnDemand, ..) => "Throughput exceeds the maximum OnDemandThroughput configured on table or index",
        }
    }

    /// `ResourceType + OperationType + LimitType`, e.g.
    /// TableReadProvisionedThroughputExceeded.
    fn reason(&self) -> String {
        format!(
            "{}{}{}",
            if self.on_index { "Index" } else { "Table" },
            self.direction.name(),
            match self.limit {
                Limit::Provisioned => "ProvisionedThroughputExceeded",
                Limit::MaxOnDemand => "MaxOnDemandThroughputExceeded",
                Limit::KeyRange { .. } => "KeyRangeThroughputExceeded",
            }
        )
    }

    /// ProvisionedThroughputExceededException on provisioned tables,
    /// ThrottlingException on on-demand ones, with ThrottlingReasons.
    pub fn error(&self) -> DynamoError {
        // DynamoDB's model spells the member differently in the two.
        let (kind, member) = match self.limit.is_provisioned() {
            true => (
                ErrorKind::ProvisionedThroughputExceeded,
                "ThrottlingReasons",
            ),
            false => (ErrorKind::Throttling, "throttlingReasons"),
        };
        DynamoError::new(kind, self.message()).with_extra(
            member,
            json!([{"reason": self.reason(), "resource": self.resource}]),
        )
    }

    /// The CancellationReasons entry of a transaction action it refused.
    pub fn cancellation_reason(&self) -> Value {
        let code = match self.limit.is_provisioned() {
            true => "ProvisionedThroughputExceeded",
            false => "ThrottlingError",
        };
        json!({"Code": code, "Message": self.message()})
    }
}

impl From<Throttled> for DynamoError {
    fn from(throttled: Throttled) -> DynamoError {
        throttled.error()
    }
}

struct Bucket {
    tokens: f64,
    refilled: Instant,
}

impl Bucket {
    /// A bucket holding one second of capacity.
    fn new(rate: f64, now: Instant) -> Bucket {
        Bucket {
            tokens: rate,
            refilled: now,
        }
    }

    /// Adds what `rate` gave since the last refill, keeping at most `cap`.
    fn refill(&mut self, rate: f64, cap: f64, now: Instant) {
        let elapsed = now.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + rate * elapsed).min(cap);
        self.refilled = now;
    }
}

/// Whose buckets a request uses: the table's (`SHARED`), or for a read of
/// a global table those of the Region it is signed for, with that
/// Region's overrides.
#[derive(Clone, Copy)]
struct Scope<'a> {
    /// 0: the table's; else the Region's (`region_key`).
    key: u64,
    /// The Region, whose ARNs a throttled request's reasons name.
    region: Option<&'a str>,
    replica: Option<&'a ReplicaMeta>,
}

impl<'a> Scope<'a> {
    const SHARED: Scope<'static> = Scope {
        key: 0,
        region: None,
        replica: None,
    };

    fn of_read(table: &'a TableMeta, region: &'a str) -> Scope<'a> {
        if !table.is_global() || !table.is_in_region(region) {
            return Scope::SHARED;
        }
        Scope {
            key: region_key(region),
            region: Some(region),
            replica: table.overrides_in(region),
        }
    }
}

/// A Region's name as a bucket key: FNV-1a, never 0 (the table's).
fn region_key(region: &str) -> u64 {
    let hash = region
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    hash.max(1)
}

/// The limit a table (index None) or index has in one direction: units
/// per second, or None when nothing limits it. A replica's override sets
/// its Region's reads.
fn limit_of(
    table: &TableMeta,
    index: Option<&IndexMeta>,
    direction: Direction,
    replica: Option<&ReplicaMeta>,
) -> Option<(f64, Limit)> {
    let (throughput, on_demand) = match index {
        Some(index) => (&index.throughput, &index.on_demand),
        None => (&table.throughput, &table.on_demand),
    };
    let (units, limit) = match (table.billing_mode, direction) {
        (BillingMode::Provisioned, Direction::Read) => {
            (throughput.read_capacity_units, Limit::Provisioned)
        }
        (BillingMode::Provisioned, Direction::Write) => {
            (throughput.write_capacity_units, Limit::Provisioned)
        }
        (BillingMode::PayPerRequest, Direction::Read) => {
            (on_demand.max_read_request_units, Limit::MaxOnDemand)
        }
        (BillingMode::PayPerRequest, Direction::Write) => {
            (on_demand.max_write_request_units, Limit::MaxOnDemand)
        }
    };
    let overridden = match (replica, direction) {
        (Some(replica), Direction::Read) => {
            replica.read_override(table.billing_mode, index.map(|i| i.name.as_str()))
        }
        _ => None,
    };
    let units = overridden.unwrap_or(units);
    (units > 0).then_some((units as f64, limit))
}

/// What a table (its own units and its local indexes') or a global index
/// consumed and was refused since the server started.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    pub read_units: f64,
    pub write_units: f64,
    pub read_throttles: u64,
    pub write_throttles: u64,
}

/// Usage counters of one table or index. Units are multiples of half a
/// unit, counted in halves so that an atomic integer holds them exactly.
#[derive(Default)]
struct UsageCounters {
    read_half_units: AtomicU64,
    write_half_units: AtomicU64,
    read_throttles: AtomicU64,
    write_throttles: AtomicU64,
}

impl UsageCounters {
    fn units(&self, direction: Direction) -> &AtomicU64 {
        match direction {
            Direction::Read => &self.read_half_units,
            Direction::Write => &self.write_half_units,
        }
    }

    fn throttles(&self, direction: Direction) -> &AtomicU64 {
        match direction {
            Direction::Read => &self.read_throttles,
            Direction::Write => &self.write_throttles,
        }
    }
}

/// The usage counters and token buckets, by table or index id (ids are
/// never reused) and direction; the buckets stay empty and untouched
/// unless enforcement is on.
pub struct ThroughputLimits {
    enforced: bool,
    /// By table or index id, direction and scope (`Scope::key`).
    buckets: Mutex<HashMap<(u32, Direction, u64), Bucket>>,
    partitions: partitions::PartitionLimits,
    usage: parking_lot::RwLock<HashMap<u32, UsageCounters>>,
    /// Read units of a global table or index consumed by the reads signed
    /// for one Region, in halves, by id and `Scope::key`: what that
    /// Region's read scaling follows (`auto_scaling::regions`).
    regional_reads: parking_lot::RwLock<HashMap<(u32, u64), AtomicU64>>,
}

impl ThroughputLimits {
    pub fn new(enforced: bool) -> ThroughputLimits {
        ThroughputLimits {
            enforced,
            buckets: Mutex::new(HashMap::new()),
            partitions: partitions::PartitionLimits::new(enforced),
            usage: parking_lot::RwLock::new(HashMap::new()),
            regional_reads: parking_lot::RwLock::new(HashMap::new()),
        }
    }

    /// The read units the table or global index with this id consumed in
    /// reads signed for `region`, since it became global.
    pub fn regional_read_units(&self, id: u32, region: &str) -> f64 {
        let reads = self.regional_reads.read();
        reads
            .get(&(id, region_key(region)))
            .map_or(0.0, |halves| halves.load(Ordering::Relaxed) as f64 / 2.0)
    }

    /// What the table or global index with this id has consumed and been
    /// refused (a table's counts include its local indexes').
    pub fn usage(&self, id: u32) -> Usage {
        let usage = self.usage.read();
        let Some(counters) = usage.get(&id) else {
            return Usage::default();
        };
        let halves = |counter: &AtomicU64| counter.load(Ordering::Relaxed) as f64 / 2.0;
        Usage {
            read_units: halves(&counters.read_half_units),
            write_units: halves(&counters.write_half_units),
            read_throttles: counters.read_throttles.load(Ordering::Relaxed),
            write_throttles: counters.write_throttles.load(Ordering::Relaxed),
        }
    }

    /// Runs `count` on the counters of `id`, under the read lock but for
    /// the first time: a request pays no allocation and no reference count.
    fn count(&self, id: u32, count: impl Fn(&UsageCounters)) {
        if let Some(counters) = self.usage.read().get(&id) {
            return count(counters);
        }
        count(self.usage.write().entry(id).or_default());
    }

    fn count_regional_read(&self, id: u32, region_key: u64, halves: u64) {
        if let Some(counter) = self.regional_reads.read().get(&(id, region_key)) {
            counter.fetch_add(halves, Ordering::Relaxed);
            return;
        }
        (self
            .regional_reads
            .write()
            .entry((id, region_key))
            .or_default())
        .fetch_add(halves, Ordering::Relaxed);
    }

    pub fn enforced(&self) -> bool {
        self.enforced
    }

    /// Whether a read of the table, or of one of its indexes, signed for
    /// `region`, may run; a read of one partition (GetItem, Query) needs
    /// that partition's capacity too. A local index shares its table's
    /// capacity.
    pub fn admit_read(
        &self,
        table: &TableMeta,
        index: Option<&str>,
        partition: Option<Partition>,
        region: &str,
    ) -> Result<(), Throttled> {
        if !self.enforced {
            return Ok(());
        }
        let now = Instant::now();
        let index = index
            .and_then(|name| table.index(name))
            .filter(|index| index.kind == IndexKind::Global);
        self.admit_at(
            table,
            index,
            Direction::Read,
            Scope::of_read(table, region),
            now,
        )?;
        self.admit_partition(table, partition, Direction::Read, now)
    }

    /// Whether a write to the table may run: the table, each of its
    /// global indexes and the item's partition must have capacity left.
    pub fn admit_write(
        &self,
        table: &TableMeta,
        partition: Option<Partition>,
    ) -> Result<(), Throttled> {
        if !self.enforced {
            return Ok(());
        }
        let now = Instant::now();
        self.admit_at(table, None, Direction::Write, Scope::SHARED, now)?;
        for index in table.indexes.iter().filter(|i| i.kind == IndexKind::Global) {
            self.admit_at(table, Some(index), Direction::Write, Scope::SHARED, now)?;
        }
        self.admit_partition(table, partition, Direction::Write, now)
    }

    /// Counts what a read signed for `region` consumed and, when
    /// enforcing, takes it from the buckets it used, the partition's
    /// included.
    pub fn charge_read(
        &self,
        table: &TableMeta,
        consumed: &Consumed,
        partition: Option<Partition>,
        region: &str,
    ) {
        let scope = Scope::of_read(table, region);
        self.charge(table, consumed, Direction::Read, partition, scope);
    }

    /// Counts what a write consumed and, when enforcing, takes it from
    /// the buckets it used, the partition's included.
    pub fn charge_write(
        &self,
        table: &TableMeta,
        consumed: &Consumed,
        partition: Option<Partition>,
    ) {
        self.charge(table, consumed, Direction::Write, partition, Scope::SHARED);
    }

    fn charge(
        &self,
        table: &TableMeta,
        consumed: &Consumed,
        direction: Direction,
        partition: Option<Partition>,
        scope: Scope,
    ) {
        for (index, units) in charged_parts(table, consumed) {
            let id = index.map_or(table.id, |i| i.id);
            if units > 0.0 {
                let halves = (units * 2.0).round() as u64;
                self.count(id, |c| {
                    c.units(direction).fetch_add(halves, Ordering::Relaxed);
                });
                if scope.key != Scope::SHARED.key {
                    self.count_regional_read(id, scope.key, halves);
                }
            }
            if let Some(partition) = partition.filter(|p| p.id == id && self.enforced) {
                self.partitions
                    .charge(partition, direction, units, Instant::now());
            }
        }
        if self.enforced {
            self.charge_at(table, consumed, direction, scope, Instant::now());
        }
    }

    /// A write refused by its condition still costs a write unit.
    pub fn charge_failed_write(
        &self,
        table: &TableMeta,
        error: &DynamoError,
        partition: Option<Partition>,
    ) {
        if error.kind == ErrorKind::ConditionalCheckFailed {
            self.charge_write(table, &Consumed::write(1.0), partition);
        }
    }

    fn admit_partition(
        &self,
        table: &TableMeta,
        partition: Option<Partition>,
        direction: Direction,
        now: Instant,
    ) -> Result<(), Throttled> {
        let Some(partition) = partition else {
            return Ok(());
        };
        if self.partitions.admit(partition, direction, now) {
            return Ok(());
        }
        self.count(partition.id, |c| {
            c.throttles(direction).fetch_add(1, Ordering::Relaxed);
        });
        let index = table.indexes.iter().find(|i| i.id == partition.id);
        Err(Throttled {
            limit: Limit::KeyRange {
                provisioned: table.billing_mode == BillingMode::Provisioned,
            },
            direction,
            resource: match index {
                Some(index) => index.arn(table),
                None => table.arn(),
            },
            on_index: index.is_some(),
        })
    }

    fn admit_at(
        &self,
        table: &TableMeta,
        index: Option<&IndexMeta>,
        direction: Direction,
        scope: Scope,
        now: Instant,
    ) -> Result<(), Throttled> {
        let Some((rate, limit)) = limit_of(table, index, direction, scope.replica) else {
            return Ok(());
        };
        let id = index.map_or(table.id, |i| i.id);
        let mut buckets = self.buckets.lock();
        let bucket = buckets
            .entry((id, direction, scope.key))
            .or_insert_with(|| Bucket::new(rate, now));
        bucket.refill(rate, rate * BURST_SECONDS, now);
        if bucket.tokens > 0.0 {
            return Ok(());
        }
        drop(buckets);
        self.count(id, |c| {
            c.throttles(direction).fetch_add(1, Ordering::Relaxed);
        });
        Err(Throttled {
            limit,
            direction,
            resource: {
                let table_arn = scope
                    .region
                    .map_or_else(|| table.arn(), |r| table.arn_in(r));
                match index {
                    Some(index) => format!("{table_arn}/index/{}", index.name),
                    None => table_arn,
                }
            },
            on_index: index.is_some(),
        })
    }

    fn charge_at(
        &self,
        table: &TableMeta,
        consumed: &Consumed,
        direction: Direction,
        scope: Scope,
        now: Instant,
    ) {
        let mut buckets = self.buckets.lock();
        for (index, units) in charged_parts(table, consumed) {
            let Some((rate, _)) = limit_of(table, index, direction, scope.replica) else {
                continue;
            };
            if units <= 0.0 {
                continue;
            }
            let id = index.map_or(table.id, |i| i.id);
            let bucket = buckets
                .entry((id, direction, scope.key))
                .or_insert_with(|| Bucket::new(rate, now));
            bucket.refill(rate, rate * BURST_SECONDS, now);
            bucket.tokens -= units;
        }
    }
}

/// Who pays for what a request consumed: the table (None) its own units
/// and its local indexes', each global index its own.
fn charged_parts<'t>(
    table: &'t TableMeta,
    consumed: &Consumed,
) -> impl Iterator<Item = (Option<&'t IndexMeta>, f64)> {
    let mut on_table = consumed.table_units;
    let mut global = Vec::new();
    for charge in &consumed.indexes {
        match table.index(&charge.name) {
            Some(index) if index.kind == IndexKind::Global => {
                global.push((Some(index), charge.units))
            }
            _ => on_table += charge.units,
        }
    }
    std::iter::once((None, on_table)).chain(global)
}

#[cfg(test)]
mod tests;
