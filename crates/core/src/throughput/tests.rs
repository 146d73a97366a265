use super::*;
use crate::catalog::{IndexProjection, Throughput};
use crate::index::IndexUnits;
use std::time::Duration;

fn throughput(read: i64, write: i64) -> Throughput {
    Throughput {
        read_capacity_units: read,
        write_capacity_units: write,
        ..Throughput::default()
    }
}

/// A provisioned table without indexes.
fn provisioned_table(read: i64, write: i64) -> TableMeta {
    let mut table = crate::index::tests::table(IndexProjection::All);
    table.indexes.clear();
    table.billing_mode = BillingMode::Provisioned;
    table.throughput = throughput(read, write);
    table
}

/// `table` with a provisioned global index (id 2) named `name`.
fn with_global_index(table: TableMeta, name: &str, read: i64, write: i64) -> TableMeta {
    let mut index = crate::index::tests::table(IndexProjection::All).indexes[0].clone();
    index.name = name.into();
    index.throughput = throughput(read, write);
    TableMeta {
        indexes: vec![index],
        ..table
    }
}

fn limits() -> ThroughputLimits {
    ThroughputLimits::new(true)
}

/// The table's own buckets (not a Region's), as most tests drive them.
impl ThroughputLimits {
    fn admit_shared(
        &self,
        table: &TableMeta,
        index: Option<&IndexMeta>,
        direction: Direction,
        at: Instant,
    ) -> Result<(), Throttled> {
        self.admit_at(table, index, direction, Scope::SHARED, at)
    }

    fn charge_shared(
        &self,
        table: &TableMeta,
        consumed: &Consumed,
        direction: Direction,
        at: Instant,
    ) {
        self.charge_at(table, consumed, direction, Scope::SHARED, at)
    }
}

#[test]
fn each_region_reads_a_global_table_under_its_own_capacity() {
    let mut table = with_global_index(provisioned_table(100, 5), "g", 100, 5);
    // Not global yet: one capacity, whatever the Region.
    let regional = limits();
    regional.charge_read(&table, &Consumed::read(150.0), None, "eu-west-1");
    assert!(regional
        .admit_read(&table, None, None, "us-east-1")
        .is_err());

    let mut replica = ReplicaMeta::new("eu-west-1");
    replica.read_capacity_units = Some(1);
    replica.index_read_capacity_units = vec![("g".into(), 2)];
    table.replicas = vec![replica, ReplicaMeta::new("ap-south-1")];
    let limits = limits();
    let read = |limits: &ThroughputLimits, index, region| {
        limits.admit_read(&table, index, None, region).is_ok()
    };
    assert!(read(&limits, None, "eu-west-1"));
    limits.charge_read(&table, &Consumed::read(10.0), None, "eu-west-1");
    let refused = limits
        .admit_read(&table, None, None, "eu-west-1")
        .unwrap_err();
    assert_eq!(
        refused.resource,
        format!(
            "arn:aws:dynamodb:eu-west-1:{}:table/{}",
            crate::ACCOUNT_ID,
            table.name
        )
    );
    // The table's own Region and a replica without an override have
    // the table's 100 units each, untouched by eu-west-1's reads.
    for region in ["us-east-1", "ap-south-1"] {
        limits.charge_read(&table, &Consumed::read(90.0), None, region);
        assert!(read(&limits, None, region), "{region}");
    }
    limits.charge_read(&table, &Consumed::read(20.0), None, "us-east-1");
    assert!(!read(&limits, None, "us-east-1"));
    assert!(read(&limits, None, "ap-south-1"));
    // The index's override in eu-west-1 (2 units), its own capacity
    // (100) elsewhere.
    let consumed = Consumed::read(0.0).with_indexes(
        &[IndexUnits {
            name: "g".into(),
            kind: IndexKind::Global,
            units: 10.0,
            written_bytes: 0,
        }],
        true,
    );
    assert!(read(&limits, Some("g"), "eu-west-1"));
    limits.charge_read(&table, &consumed, None, "eu-west-1");
    assert!(!read(&limits, Some("g"), "eu-west-1"));
    limits.charge_read(&table, &consumed, None, "ap-south-1");
    assert!(read(&limits, Some("g"), "ap-south-1"));
    // Writes: the table's one capacity, in every Region.
    assert!(limits.admit_write(&table, None).is_ok());
    limits.charge_write(&table, &Consumed::write(10.0), None);
    assert!(limits.admit_write(&table, None).is_err());
}

#[test]
fn a_new_bucket_holds_one_second_of_capacity() {
    let table = provisioned_table(2, 1);
    let limits = limits();
    let t0 = Instant::now();
    assert!(limits
        .admit_shared(&table, None, Direction::Read, t0)
        .is_ok());
    limits.charge_shared(&table, &Consumed::read(2.0), Direction::Read, t0);
    let refused = limits
        .admit_shared(&table, None, Direction::Read, t0)
        .unwrap_err();
    assert_eq!(refused.reason(), "TableReadProvisionedThroughputExceeded");
    assert_eq!(refused.resource, table.arn());
    // Reads and writes have buckets of their own.
    assert!(limits
        .admit_shared(&table, None, Direction::Write, t0)
        .is_ok());
    // Half a second at 2 units a second pays the deficit back.
    let later = t0 + Duration::from_millis(501);
    assert!(limits
        .admit_shared(&table, None, Direction::Read, later)
        .is_ok());
}

#[test]
fn unused_capacity_accumulates_up_to_five_minutes() {
    let table = provisioned_table(10, 1);
    let limits = limits();
    let t0 = Instant::now();
    assert!(limits
        .admit_shared(&table, None, Direction::Read, t0)
        .is_ok());
    // An hour idle keeps only 300 s of capacity: 3,000 units.
    let later = t0 + Duration::from_secs(3600);
    limits.charge_shared(&table, &Consumed::read(2999.0), Direction::Read, later);
    assert!(limits
        .admit_shared(&table, None, Direction::Read, later)
        .is_ok());
    limits.charge_shared(&table, &Consumed::read(1.0), Direction::Read, later);
    assert!(limits
        .admit_shared(&table, None, Direction::Read, later)
        .is_err());
}

#[test]
fn one_large_request_runs_and_holds_back_the_next_ones() {
    let table = provisioned_table(1, 1);
    let limits = limits();
    let t0 = Instant::now();
    assert!(limits
        .admit_shared(&table, None, Direction::Read, t0)
        .is_ok());
    limits.charge_shared(&table, &Consumed::read(10.0), Direction::Read, t0);
    // 9 units of deficit at 1 unit a second.
    assert!(limits
        .admit_shared(&table, None, Direction::Read, t0 + Duration::from_secs(8))
        .is_err());
    assert!(limits
        .admit_shared(
            &table,
            None,
            Direction::Read,
            t0 + Duration::from_millis(9001)
        )
        .is_ok());
}

#[test]
fn a_global_index_short_of_write_capacity_throttles_its_table() {
    let table = with_global_index(provisioned_table(5, 5), "byColor", 1, 1);
    let index = table.index("byColor").unwrap().clone();
    let limits = limits();
    let t0 = Instant::now();
    assert!(limits
        .admit_shared(&table, None, Direction::Write, t0)
        .is_ok());
    let consumed = Consumed::write(1.0).with_indexes(
        &[IndexUnits {
            name: "byColor".into(),
            kind: IndexKind::Global,
            units: 3.0,
            written_bytes: 0,
        }],
        false,
    );
    limits.charge_shared(&table, &consumed, Direction::Write, t0);
    // The table has 4 units left; the index is 2 short.
    assert!(limits
        .admit_shared(&table, None, Direction::Write, t0)
        .is_ok());
    let refused = limits
        .admit_shared(&table, Some(&index), Direction::Write, t0)
        .unwrap_err();
    assert_eq!(refused.reason(), "IndexWriteProvisionedThroughputExceeded");
    assert_eq!(refused.resource, index.arn(&table));
    assert_eq!(
        refused.error().kind,
        ErrorKind::ProvisionedThroughputExceeded
    );
    // Reads of the index have a bucket of their own.
    assert!(limits
        .admit_shared(&table, Some(&index), Direction::Read, t0)
        .is_ok());
}

#[test]
fn local_index_units_come_out_of_the_table() {
    let table = provisioned_table(3, 3);
    let limits = limits();
    let t0 = Instant::now();
    let consumed = Consumed::read(1.0).with_indexes(
        &[IndexUnits {
            name: "local".into(),
            kind: IndexKind::Local,
            units: 2.0,
            written_bytes: 0,
        }],
        true,
    );
    limits.charge_shared(&table, &consumed, Direction::Read, t0);
    assert!(limits
        .admit_shared(&table, None, Direction::Read, t0)
        .is_err());
}

#[test]
fn on_demand_tables_are_limited_only_by_a_maximum() {
    let mut table = provisioned_table(1, 1);
    table.billing_mode = BillingMode::PayPerRequest;
    let limits = limits();
    let t0 = Instant::now();
    limits.charge_shared(&table, &Consumed::read(1_000_000.0), Direction::Read, t0);
    assert!(limits
        .admit_shared(&table, None, Direction::Read, t0)
        .is_ok());

    table.on_demand.max_read_request_units = 4;
    limits.charge_shared(&table, &Consumed::read(5.0), Direction::Read, t0);
    let refused = limits
        .admit_shared(&table, None, Direction::Read, t0)
        .unwrap_err();
    assert_eq!(refused.reason(), "TableReadMaxOnDemandThroughputExceeded");
    let error = refused.error();
    assert_eq!(error.kind, ErrorKind::Throttling);
    assert_eq!(
        error.to_body()["throttlingReasons"][0]["reason"],
        "TableReadMaxOnDemandThroughputExceeded"
    );
}

#[test]
fn usage_is_counted_per_table_and_global_index_enforced_or_not() {
    let table = with_global_index(provisioned_table(5, 5), "byColor", 1, 1);
    let index_id = table.index("byColor").unwrap().id;
    for limits in [ThroughputLimits::new(false), limits()] {
        let consumed = Consumed::write(1.0).with_indexes(
            &[IndexUnits {
                name: "byColor".into(),
                kind: IndexKind::Global,
                units: 2.0,
                written_bytes: 0,
            }],
            false,
        );
        limits.charge_write(&table, &consumed, None);
        limits.charge_read(&table, &Consumed::read(0.5), None, "us-east-1");
        assert_eq!(limits.usage(table.id).write_units, 1.0);
        assert_eq!(limits.usage(table.id).read_units, 0.5);
        assert_eq!(limits.usage(index_id).write_units, 2.0);
        let refused = limits.admit_write(&table, None).is_err();
        assert_eq!(refused, limits.enforced());
        assert_eq!(limits.usage(index_id).write_throttles, u64::from(refused));
    }
}

#[test]
fn a_hot_partition_is_throttled_whatever_the_table_has() {
    for billing_mode in [BillingMode::PayPerRequest, BillingMode::Provisioned] {
        let mut table = provisioned_table(100_000, 100_000);
        table.billing_mode = billing_mode;
        let limits = limits();
        let hot = Partition {
            id: table.id,
            hash: 42,
        };
        assert!(limits.admit_write(&table, Some(hot)).is_ok());
        limits.charge_write(&table, &Consumed::write(1500.0), Some(hot));
        let refused = limits.admit_write(&table, Some(hot)).unwrap_err();
        assert_eq!(refused.reason(), "TableWriteKeyRangeThroughputExceeded");
        let error = refused.error();
        match billing_mode {
            BillingMode::PayPerRequest => {
                assert_eq!(error.kind, ErrorKind::Throttling);
                assert!(error.message.contains("check if you have a hot key"));
                assert_eq!(refused.cancellation_reason()["Code"], "ThrottlingError");
            }
            BillingMode::Provisioned => {
                assert_eq!(error.kind, ErrorKind::ProvisionedThroughputExceeded);
                assert_eq!(
                    refused.cancellation_reason()["Code"],
                    "ProvisionedThroughputExceeded"
                );
            }
        }
        // Another partition key, a shard of the hot one, goes through.
        let shard = Partition {
            id: table.id,
            hash: 43,
        };
        assert!(limits.admit_write(&table, Some(shard)).is_ok());
        assert_eq!(limits.usage(table.id).write_throttles, 1);
    }
}

#[test]
fn nothing_is_refused_unless_enforced() {
    let table = provisioned_table(1, 1);
    let limits = ThroughputLimits::new(false);
    for _ in 0..10 {
        limits.charge_write(&table, &Consumed::write(100.0), None);
        assert!(limits.admit_write(&table, None).is_ok());
    }
    assert!(limits.buckets.lock().is_empty());
    assert_eq!(limits.usage(table.id).write_units, 1000.0);
}
