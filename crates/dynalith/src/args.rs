//! The command line.

use clap::{Parser, Subcommand};
use dynalith_core::Limits;
use dynalith_storage::{
    DEFAULT_BLOCK_CACHE_BYTES, DEFAULT_IDLE_BEFORE_LEVEL0_COMPACTION, DEFAULT_MEMTABLE_BYTES,
    MAX_BLOCK_CACHE_BYTES,
};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "dynalith",
    version,
    about = "A DynamoDB-compatible database server"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Serve the DynamoDB API (the default).
    Serve(ServeArgs),
}

#[derive(clap::Args, Clone)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub(crate) host: String,
    /// Port to listen on (DynamoDB Local's is 8000; 0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    pub(crate) port: u16,
    /// Where data is kept.
    #[arg(long, default_value = "./dynalith-data")]
    pub(crate) data_dir: PathBuf,
    /// Keep everything in memory; nothing is written to disk. The embedded
    /// engine's storage options (block cache, memtables, background
    /// writes, idle compaction) then do not apply.
    #[arg(long)]
    pub(crate) in_memory: bool,
    /// Keep the data in a PostgreSQL-protocol database instead of the
    /// embedded engine: a URL such as postgres://user:password@host/db (or a
    /// libpq key=value string). The embedded engine's options then do not
    /// apply.
    #[arg(long, value_name = "URL", conflicts_with = "in_memory")]
    pub(crate) postgres: Option<String>,
    /// The schema that holds dynalith's data in that database, created when
    /// missing.
    #[arg(long, value_name = "NAME", default_value = "dynalith")]
    pub(crate) postgres_schema: String,
    /// Connections to that database; requests beyond that many wait for one.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) postgres_connections: u32,
    /// CA certificates (PEM) the database's certificate must chain to, in
    /// place of the system's roots (a private CA, such as Amazon RDS's).
    /// TLS itself is asked for by sslmode=require in the URL; the
    /// certificate's chain and host name are then always verified.
    #[arg(long, value_name = "PEM_FILE", requires = "postgres")]
    pub(crate) postgres_ca_file: Option<PathBuf>,
    /// Lets several servers share the PostgreSQL schema: the first to hold
    /// it leads (runs every write and the background work); the others
    /// answer reads themselves, send the rest of their requests to the
    /// leader, and one of them takes over when it stops. Without it, a
    /// second server on a schema in use refuses to start. With
    /// --enforce-throughput, reads go to the leader too, so that a table's
    /// capacity is metered in one place.
    #[arg(long, requires = "postgres")]
    pub(crate) shared_schema: bool,
    /// With --shared-schema: the URL other servers reach this one at when
    /// it leads (default: the address it listens on, 127.0.0.1 for an
    /// unspecified one).
    #[arg(long, value_name = "URL", requires = "shared_schema")]
    pub(crate) advertise_url: Option<String>,
    /// Log filter: error, warn, info, debug, trace (or a tracing filter).
    #[arg(long, default_value = "info")]
    pub(crate) log_level: String,
    /// Memory for caching data read from storage, in MiB (uncompressed
    /// blocks; used only as data beyond the newest writes is read; 0: none).
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = (DEFAULT_BLOCK_CACHE_BYTES >> 20) as u64,
        value_parser = clap::value_parser!(u64).range(0..=(MAX_BLOCK_CACHE_BYTES >> 20) as u64),
    )]
    pub(crate) block_cache_mb: u64,
    /// Memory for the item cache, in MiB (0: off): GetItem and BatchGetItem
    /// answered from memory, DAX-style, but never stale, as every write
    /// updates it.
    #[arg(long, value_name = "MIB", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1 << 20))]
    pub(crate) item_cache_mb: u64,
    /// Memory for the query cache, in MiB (0: off): whole Query and Scan
    /// pages answered from memory until the next write to their table.
    #[arg(long, value_name = "MIB", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1 << 20))]
    pub(crate) query_cache_mb: u64,
    /// Writes a memtable takes before it is flushed to storage, in MiB
    /// (memory in use for recent writes, and the size of each WAL file).
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = (DEFAULT_MEMTABLE_BYTES >> 20) as u64,
        value_parser = clap::value_parser!(u64).range(1..=4096),
    )]
    pub(crate) memtable_mb: u64,
    /// Write rate allowed to flushes and compactions together, in MiB/s (0:
    /// unlimited). Paced, they leave the CPUs to requests within a
    /// millisecond instead of holding one for a scheduler tick. Default: 24
    /// per CPU the process may use.
    #[arg(long, value_name = "MIB_PER_SEC", value_parser = clap::value_parser!(u64).range(0..=1 << 20))]
    pub(crate) background_write_mb: Option<u64>,
    /// Seconds without writes after which recently flushed data (RocksDB's
    /// level 0) is merged into the levels below, so that reads after a
    /// burst of writes search fewer files (0: only as writes flow).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = DEFAULT_IDLE_BEFORE_LEVEL0_COMPACTION.as_secs(),
        value_parser = clap::value_parser!(u64).range(0..=86_400),
    )]
    pub(crate) compact_when_idle_secs: u64,
    /// Largest item collection (items and local-index entries sharing a
    /// partition-key value) on tables with local secondary indexes.
    /// DynamoDB's fixed limit is 10 GiB.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().item_collection_bytes)]
    pub(crate) max_item_collection_bytes: i64,
    /// How long DynamoDB Streams records are kept, and a disabled stream
    /// stays readable. DynamoDB's is fixed at 24 hours.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = Limits::default().stream_retention_seconds,
        value_parser = clap::value_parser!(u64).range(1..),
    )]
    pub(crate) stream_retention_secs: u64,
    /// Deliver TABLE's stream records, as Lambda's DynamoDB event, in HTTP
    /// POSTs to URL (a handler's HTTP wrapper, or a local Lambda's Invoke
    /// URL); repeatable. The table needs a stream (StreamSpecification).
    #[arg(long = "stream-trigger", value_name = "TABLE=URL")]
    pub(crate) stream_triggers: Vec<String>,
    /// CA certificates (PEM) trusted, besides the system's, for https://
    /// trigger URLs, an https:// --kinesis-endpoint, and (with
    /// --shared-schema and --tls-cert) the leading server's certificate.
    #[arg(long, value_name = "PEM_FILE")]
    pub(crate) stream_trigger_ca_file: Option<PathBuf>,
    /// Where tables' Kinesis Data Streams destinations
    /// (EnableKinesisStreamingDestination) send their records: a
    /// Kinesis-compatible endpoint (http[s]://host[:port]: LocalStack,
    /// kinesalite, or Kinesis itself). Without it, enabling a destination
    /// fails (ENABLE_FAILED, saying why).
    #[arg(long, value_name = "URL")]
    pub(crate) kinesis_endpoint: Option<String>,
    /// The credentials PutRecords calls to --kinesis-endpoint are signed
    /// with. Default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the
    /// environment, else dummy ones (which local Kinesis emulators take).
    #[arg(long, value_name = "ACCESS_KEY:SECRET", requires = "kinesis_endpoint")]
    pub(crate) kinesis_credentials: Option<String>,
    /// Verify SigV4 signatures: only requests signed with one of these
    /// credentials are served (repeatable). Without it, any credentials are
    /// accepted, as DynamoDB Local does.
    #[arg(long = "credentials", value_name = "ACCESS_KEY:SECRET")]
    pub(crate) credentials: Vec<String>,
    /// The directory standing in for Amazon S3: table exports are written
    /// to, and imports read from, bucket B at DIR/B (object keys are paths
    /// below it). Default: DATA_DIR/s3; an in-memory server has none unless
    /// given.
    #[arg(long, value_name = "DIR")]
    pub(crate) s3_dir: Option<PathBuf>,
    /// Write table exports to, and read imports from, an S3-compatible
    /// service instead of a directory: http[s]://host[:port] of S3 itself,
    /// MinIO or LocalStack (path-style requests, signed with SigV4).
    #[arg(long, value_name = "URL", conflicts_with = "s3_dir")]
    pub(crate) s3_endpoint: Option<String>,
    /// The credentials calls to --s3-endpoint are signed with. Default:
    /// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment,
    /// else dummy ones (which local S3 emulators take).
    #[arg(long, value_name = "ACCESS_KEY:SECRET", requires = "s3_endpoint")]
    pub(crate) s3_credentials: Option<String>,
    /// The Region calls to --s3-endpoint are signed for: the buckets'.
    #[arg(
        long,
        value_name = "REGION",
        default_value = "us-east-1",
        requires = "s3_endpoint"
    )]
    pub(crate) s3_region: String,
    /// Throttle as DynamoDB does: requests over a provisioned table's or
    /// global index's capacity (after its burst capacity) get
    /// ProvisionedThroughputExceededException, and over an on-demand
    /// table's MaxRead/WriteRequestUnits ThrottlingException; batches
    /// return what they could not do as UnprocessedKeys / UnprocessedItems.
    /// Off by default, as in DynamoDB Local.
    #[arg(long)]
    pub(crate) enforce_throughput: bool,
    /// How often auto scaling (UpdateTableReplicaAutoScaling) looks at
    /// what each scaling capacity consumed: one data point of its alarms.
    /// DynamoDB's is a minute, so a scale out takes two and a scale in
    /// fifteen; a shorter period makes them quicker to see (shorter than
    /// a throttled client's retry backoff, though, some periods see no
    /// consumption at all, and scaling out waits for two in a row).
    #[arg(long, value_name = "MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(10..))]
    pub(crate) auto_scaling_period_ms: u64,
    /// Keep a table CREATING for MS after CreateTable (or a restore),
    /// UPDATING after an UpdateTable that DynamoDB applies so, and DELETING
    /// after DeleteTable, a new global index CREATING at least as long, and
    /// Time to Live ENABLING or DISABLING after UpdateTimeToLive (taking no
    /// other change meanwhile), as DynamoDB does for seconds to an hour.
    /// Meanwhile item operations on a CREATING table answer
    /// ResourceNotFoundException, UpdateTable and DeleteTable
    /// ResourceInUseException, and a DELETING table's name is not free:
    /// code that does not wait for ACTIVE fails here as it would on
    /// DynamoDB. 0: every change is immediate, as in DynamoDB Local.
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(..=3_600_000))]
    pub(crate) transient_status_ms: u64,
    /// Serve no Prometheus metrics at GET /metrics (and count no requests
    /// for them).
    #[arg(long)]
    pub(crate) no_metrics: bool,
    /// Serve HTTPS with this certificate (PEM: the server's certificate,
    /// then any intermediates); needs --tls-key. Clients then use an
    /// https:// endpoint and must trust the certificate's issuer. SIGHUP
    /// reads this file and --tls-key again (a failed read keeps the pair
    /// in use and logs why).
    #[arg(long, value_name = "PEM_FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM_FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<PathBuf>,
    /// Also reload --tls-cert and --tls-key when either file changes,
    /// looking every SECONDS (for certificates rotated by tools that send
    /// no signal, such as cert-manager's secret volumes).
    #[arg(long, value_name = "SECONDS", requires = "tls_cert", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) tls_reload_secs: Option<u64>,
    /// Close a connection that has made no request for SECONDS (to twice
    /// that): connections that send nothing, or a request's headers a
    /// byte at a time, hold nothing for long. 0 keeps them open.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub(crate) idle_connection_secs: u64,
    /// Most records per triggered event (Lambda's BatchSize).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    pub(crate) stream_trigger_batch_size: u16,
}
