//! The Prometheus endpoint, `GET /metrics` (OpenMetrics text): requests by
//! operation and outcome with their latency, and, read at each scrape,
//! every table's item count and size, the capacity each table and global
//! index consumed and the requests throttled on it (CloudWatch's
//! ConsumedReadCapacityUnits, ReadThrottleEvents, ...), the read caches'
//! hits and misses, the records stream triggers and Kinesis destinations
//! delivered and their failed attempts, the process's memory, and for a
//! server sharing a schema (`following`) whether it leads and what became
//! of the requests it passed on.
//!
//! A request only adds to atomics of its operation (no lock, no label
//! lookup); prometheus-client encodes them at scrape time.

use crate::deliveries::{Deliverer, Deliveries};
use crate::following::Following;
use dynalith_core::{Database, Operation};
use dynalith_model::DynamoError;
use dynalith_storage::FailureCause;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds (then +Inf).
const LATENCY_BOUNDS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// One operation's counts.
struct OperationStats {
    succeeded: AtomicU64,
    /// By error type (`ValidationException`, ...): errors are rare enough
    /// for a lock.
    failed: parking_lot::Mutex<Vec<(String, u64)>>,
    /// Requests per latency bucket, the last one +Inf.
    latency_buckets: [AtomicU64; LATENCY_BOUNDS.len() + 1],
    latency_nanos: AtomicU64,
}

impl OperationStats {
    fn new() -> OperationStats {
        OperationStats {
            succeeded: AtomicU64::new(0),
            failed: parking_lot::Mutex::new(Vec::new()),
            latency_buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            latency_nanos: AtomicU64::new(0),
        }
    }

    fn count(&self) -> u64 {
        self.latency_buckets
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .sum()
    }
}

/// The server's request counters.
pub struct Metrics {
    deliveries: Arc<Deliveries>,
    following: Option<Arc<Following>>,
    /// Counted where the storage is reopened.
    storage_reopens: Arc<StorageReopens>,
    /// Indexed by `Operation as usize` (declaration order).
    operations: Arc<Vec<OperationStats>>,
    started_at: f64,
}

impl Metrics {
    pub fn new(
        deliveries: Arc<Deliveries>,
        following: Option<Arc<Following>>,
        storage_reopens: Arc<StorageReopens>,
    ) -> Metrics {
        Metrics {
            deliveries,
            following,
            storage_reopens,
            operations: Arc::new(
                Operation::ALL
                    .iter()
                    .map(|_| OperationStats::new())
                    .collect(),
            ),
            started_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        }
    }

    /// Counts one request of `operation` that took `elapsed`.
    pub fn observe(
        &self,
        operation: Operation,
        outcome: Result<(), &DynamoError>,
        elapsed: Duration,
    ) {
        let Some(stats) = self.operations.get(operation as usize) else {
            return;
        };
        let seconds = elapsed.as_secs_f64();
        let bucket = LATENCY_BOUNDS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BOUNDS.len());
        stats.latency_buckets[bucket].fetch_add(1, Ordering::Relaxed);
        stats
            .latency_nanos
            .fetch_add(elapsed.as_nanos() as u64, Ordering::Relaxed);
        match outcome {
            Ok(()) => {
                stats.succeeded.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                let wire_type = error.kind.wire_type();
                let name = wire_type.rsplit('#').next().unwrap_or_default();
                let mut failed = stats.failed.lock();
                match failed.iter_mut().find(|(n, _)| n == name) {
                    Some((_, count)) => *count += 1,
                    None => failed.push((name.to_string(), 1)),
                }
            }
        }
    }

    /// What a scrape of `database` reads, to render where database calls
    /// may block (the table counters are storage reads).
    pub fn scrape(&self, database: Arc<Database>) -> Scrape {
        Scrape {
            database,
            deliveries: Arc::clone(&self.deliveries),
            following: self.following.clone(),
            storage_reopens: FailureCause::ALL.map(|cause| self.storage_reopens.count(cause)),
            operations: Arc::clone(&self.operations),
            started_at: self.started_at,
        }
    }
}

/// Times the storage was reopened after it failed, by what failed.
#[derive(Default)]
pub struct StorageReopens([AtomicU64; FailureCause::ALL.len()]);

impl StorageReopens {
    pub fn add(&self, cause: FailureCause) {
        self.0[cause as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn count(&self, cause: FailureCause) -> u64 {
        self.0[cause as usize].load(Ordering::Relaxed)
    }
}

/// What one scrape reads.
pub struct Scrape {
    database: Arc<Database>,
    deliveries: Arc<Deliveries>,
    following: Option<Arc<Following>>,
    storage_reopens: [u64; FailureCause::ALL.len()],
    operations: Arc<Vec<OperationStats>>,
    started_at: f64,
}

impl std::fmt::Debug for Scrape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scrape")
    }
}

type Labels<'a> = Vec<(&'static str, &'a str)>;

/// One metric family: its descriptor, then one value per label set.
fn family<'l, V>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric_type: MetricType,
    values: impl IntoIterator<Item = (Labels<'l>, V)>,
    mut encode: impl FnMut(&mut prometheus_client::encoding::MetricEncoder, &V) -> std::fmt::Result,
) -> std::fmt::Result {
    let mut metric = encoder.encode_descriptor(name, help, None, metric_type)?;
    for (labels, value) in values {
        let mut labelled = metric.encode_family(&labels)?;
        encode(&mut labelled, &value)?;
    }
    Ok(())
}

fn delivery_labels((kind, table, target): &Deliverer) -> Labels<'_> {
    vec![
        ("kind", kind.name()),
        ("table", table.as_str()),
        ("target", target.as_str()),
    ]
}

fn counter<V: prometheus_client::encoding::EncodeCounterValue>(
    encoder: &mut prometheus_client::encoding::MetricEncoder,
    value: &V,
) -> std::fmt::Result {
    encoder.encode_counter::<NoLabelSet, _, u64>(value, None)
}

fn gauge<V: prometheus_client::encoding::EncodeGaugeValue>(
    encoder: &mut prometheus_client::encoding::MetricEncoder,
    value: &V,
) -> std::fmt::Result {
    encoder.encode_gauge(value)
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        self.encode_requests(&mut encoder)?;
        self.encode_tables(&mut encoder)?;
        self.encode_caches(&mut encoder)?;
        self.encode_deliveries(&mut encoder)?;
        self.encode_sharing(&mut encoder)?;
        self.encode_storage(&mut encoder)?;
        self.encode_process(&mut encoder)
    }
}

impl Scrape {
    /// The OpenMetrics text of everything, as of now.
    pub fn render(self) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(self));
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
            tracing::error!(%e, "metrics could not be encoded");
        }
        out
    }

    fn encode_requests(&self, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
        // The operations asked for so far, once: requests keep arriving.
        let used: Vec<(&Operation, &OperationStats)> = Operation::ALL
            .iter()
            .zip(self.operations.iter())
            .filter(|(_, stats)| stats.count() > 0)
            .collect();
        // Owned here: the labels borrow the error types' names.
        let failures: Vec<Vec<(String, u64)>> = used
            .iter()
            .map(|(_, stats)| stats.failed.lock().clone())
            .collect();
        let mut outcomes: Vec<(Labels, u64)> = Vec::new();
        for ((operation, stats), failed) in used.iter().zip(&failures) {
            let succeeded = stats.succeeded.load(Ordering::Relaxed);
            if succeeded > 0 {
                outcomes.push((
                    vec![("operation", operation.unique_name()), ("outcome", "ok")],
                    succeeded,
                ));
            }
            for (name, count) in failed {
                outcomes.push((
                    vec![
                        ("operation", operation.unique_name()),
                        ("outcome", name.as_str()),
                    ],
                    *count,
                ));
            }
        }
        family(
            encoder,
            "dynalith_requests",
            "Requests answered, by operation and outcome (ok, or the error type).",
            MetricType::Counter,
            outcomes,
            counter,
        )?;
        let latencies = used.iter().map(|(operation, stats)| {
            let buckets: Vec<(f64, u64)> = LATENCY_BOUNDS
                .iter()
                .copied()
                .chain(std::iter::once(f64::INFINITY))
                .zip(
                    stats
                        .latency_buckets
                        .iter()
                        .map(|b| b.load(Ordering::Relaxed)),
                )
                .collect();
            let sum = stats.latency_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            (vec![("operation", operation.unique_name())], (sum, buckets))
        });
        family(
            encoder,
            "dynalith_request_duration_seconds",
            "Time from a request's arrival to its response, by operation.",
            MetricType::Histogram,
            latencies,
            |metric, (sum, buckets)| {
                let count = buckets.iter().map(|(_, n)| n).sum();
                metric.encode_histogram::<NoLabelSet>(*sum, count, buckets, None)
            },
        )
    }

    fn encode_tables(&self, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
        let catalog = self.database.catalog();
        let tables: Vec<_> = catalog
            .names()
            .iter()
            .filter_map(|name| catalog.get(name))
            .collect();
        let mut items = Vec::new();
        let mut sizes = Vec::new();
        let mut usage = Vec::new();
        let mut provisioned = Vec::new();
        for table in &tables {
            match self.database.table_counters(table) {
                Ok((count, bytes)) => {
                    items.push((vec![("table", table.name.as_str())], count.max(0)));
                    sizes.push((vec![("table", table.name.as_str())], bytes.max(0)));
                }
                Err(e) => {
                    tracing::warn!(table = %table.name, message = %e.message, "metrics: table counters unreadable")
                }
            }
            usage.push((
                table.name.as_str(),
                "",
                self.database.throughput().usage(table.id),
            ));
            let billed = table.billing_mode == dynalith_core::catalog::BillingMode::Provisioned;
            if billed {
                provisioned.push((table.name.as_str(), "", &table.throughput));
            }
            for index in table
                .indexes
                .iter()
                .filter(|i| i.kind == dynalith_core::catalog::IndexKind::Global)
            {
                let used = self.database.throughput().usage(index.id);
                usage.push((table.name.as_str(), index.name.as_str(), used));
                if billed {
                    provisioned.push((table.name.as_str(), index.name.as_str(), &index.throughput));
                }
            }
        }
        family(
            encoder,
            "dynalith_table_items",
            "Items in each table (DescribeTable's ItemCount, kept exact).",
            MetricType::Gauge,
            items,
            gauge,
        )?;
        family(
            encoder,
            "dynalith_table_size_bytes",
            "Size of each table's items by DynamoDB's size rules (TableSizeBytes).",
            MetricType::Gauge,
            sizes,
            gauge,
        )?;
        let per_resource = |pick: fn(&dynalith_core::throughput::Usage) -> f64| {
            usage
                .iter()
                .map(move |(table, index, used)| {
                    (vec![("table", *table), ("index", *index)], pick(used))
                })
                .collect::<Vec<_>>()
        };
        family(
            encoder,
            "dynalith_consumed_read_capacity_units",
            "Read capacity units consumed, by table and global index (index=\"\": the table and its local indexes).",
            MetricType::Counter,
            per_resource(|u| u.read_units),
            counter,
        )?;
        family(
            encoder,
            "dynalith_consumed_write_capacity_units",
            "Write capacity units consumed, by table and global index (index=\"\": the table and its local indexes).",
            MetricType::Counter,
            per_resource(|u| u.write_units),
            counter,
        )?;
        // CloudWatch's ProvisionedRead/WriteCapacityUnits: what auto
        // scaling moves.
        for (name, help, pick) in [
            (
                "dynalith_provisioned_read_capacity_units",
                "Provisioned read capacity units of provisioned tables and their global indexes.",
                (|t| t.read_capacity_units) as fn(&dynalith_core::catalog::Throughput) -> i64,
            ),
            (
                "dynalith_provisioned_write_capacity_units",
                "Provisioned write capacity units of provisioned tables and their global indexes.",
                |t| t.write_capacity_units,
            ),
        ] {
            family(
                encoder,
                name,
                help,
                MetricType::Gauge,
                provisioned.iter().map(|(table, index, throughput)| {
                    (vec![("table", *table), ("index", *index)], pick(throughput))
                }),
                gauge,
            )?;
        }
        family(
            encoder,
            "dynalith_throttled_requests",
            "Requests refused for lack of capacity (--enforce-throughput), by table, global index and direction.",
            MetricType::Counter,
            usage.iter().flat_map(|(table, index, used)| {
                [("read", used.read_throttles), ("write", used.write_throttles)].map(
                    |(direction, count)| {
                        (
                            vec![("table", *table), ("index", *index), ("direction", direction)],
                            count,
                        )
                    },
                )
            }),
            counter,
        )
    }

    fn encode_deliveries(&self, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
        let snapshot = self.deliveries.snapshot();
        family(
            encoder,
            "dynalith_delivered_records",
            "Records delivered by stream triggers (target: URL) and Kinesis destinations \
             (target: stream ARN).",
            MetricType::Counter,
            snapshot
                .iter()
                .map(|(d, c)| (delivery_labels(d), c.records)),
            counter,
        )?;
        family(
            encoder,
            "dynalith_delivery_failures",
            "Delivery attempts that failed and are retried, by trigger and Kinesis destination.",
            MetricType::Counter,
            snapshot
                .iter()
                .map(|(d, c)| (delivery_labels(d), c.failures)),
            counter,
        )
    }

    fn encode_caches(&self, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
        let cache = self.database.read_cache();
        let stats = [("item", cache.item_stats()), ("query", cache.query_stats())];
        for (name, help, pick) in [
            (
                "dynalith_read_cache_hits",
                "Reads answered from the read cache.",
                (|s| s.hits) as fn(&dynalith_core::read_cache::CacheStats) -> u64,
            ),
            (
                "dynalith_read_cache_misses",
                "Reads the read cache did not hold.",
                |s| s.misses,
            ),
        ] {
            family(
                encoder,
                name,
                help,
                MetricType::Counter,
                stats
                    .iter()
                    .map(|(cache, s)| (vec![("cache", *cache)], pick(s))),
                counter,
            )?;
        }
        family(
            encoder,
            "dynalith_read_cache_bytes",
            "Memory the read cache's entries take.",
            MetricType::Gauge,
            stats
                .iter()
                .map(|(cache, s)| (vec![("cache", *cache)], s.bytes as u64)),
            gauge,
        )
    }

    fn encode_sharing(&self, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
        let Some(following) = &self.following else {
            return Ok(());
        };
        family(
            encoder,
            "dynalith_leads",
            "1 while this server leads the servers sharing its schema, 0 while it follows.",
            MetricType::Gauge,
            [(Labels::new(), i64::from(following.leads()))],
            gauge,
        )?;
        family(
            encoder,
            "dynalith_forwarded_requests",
            "Requests this server passed on to the leader, by outcome: answered (the leader's \
             response), unanswered (sent, no response: 500), unavailable (no leader: 503), \
             refused (sent here as if this server led: 503).",
            MetricType::Counter,
            following
                .forwarded()
                .map(|(outcome, count)| (vec![("outcome", outcome)], count)),
            counter,
        )
    }

    fn encode_storage(&self, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
        let engine = self.database.engine();
        family(
            encoder,
            "dynalith_storage_reopens",
            "Times the embedded engine's storage was closed and opened again after it could no \
             longer make writes durable (a full disk, an I/O error), by what failed: the \
             write-ahead log (log_sync), or a write RocksDB refused after a flush or compaction \
             could not write its file (write).",
            MetricType::Counter,
            FailureCause::ALL
                .iter()
                .zip(self.storage_reopens)
                .map(|(cause, times)| (vec![("cause", cause.label())], times)),
            counter,
        )?;
        family(
            encoder,
            "dynalith_operations_on_blocking_threads",
            "1 while operations run on threads made for blocking rather than inline on the \
             request threads: always with the PostgreSQL engine; with the embedded engine while \
             the request threads' reads wait on the disk (the data has outgrown memory).",
            MetricType::Gauge,
            [(Labels::new(), i64::from(engine.calls_may_block()))],
            gauge,
        )?;
        if let Some(bytes) = engine.request_disk_read_bytes() {
            family(
                encoder,
                "dynalith_request_disk_read_bytes",
                "Bytes the threads running requests read from the storage device, not the page \
                 cache (the embedded engine on disk).",
                MetricType::Counter,
                [(Labels::new(), bytes)],
                counter,
            )?;
        }
        match engine.memory_first() {
            Some(first) => {
                let (served, needed_device) = first.outcomes();
                family(
                    encoder,
                    "dynalith_reads_tried_in_memory",
                    "Read-only operations first tried inline with their reads limited to memory \
                     while operations run on blocking threads, by outcome: served, or \
                     needed_device (then run again on a blocking thread).",
                    MetricType::Counter,
                    [
                        (vec![("outcome", "served")], served),
                        (vec![("outcome", "needed_device")], needed_device),
                    ],
                    counter,
                )
            }
            None => Ok(()),
        }
    }

    fn encode_process(&self, encoder: &mut DescriptorEncoder) -> std::fmt::Result {
        family(
            encoder,
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch, in seconds.",
            MetricType::Gauge,
            [(Labels::new(), self.started_at)],
            gauge,
        )?;
        match resident_memory_bytes() {
            Some(bytes) => family(
                encoder,
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                MetricType::Gauge,
                [(Labels::new(), bytes)],
                gauge,
            ),
            None => Ok(()),
        }
    }
}

/// Resident memory, from /proc (Linux only).
fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
