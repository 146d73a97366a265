//! The `dynalith` server binary.

use arc_swap::ArcSwapOption;
use clap::{Parser, Subcommand};
use dynalith_core::read_cache::ReadCacheOptions;
use dynalith_core::{Database, Limits, Settings};
use dynalith_server::deliveries::Deliveries;
use dynalith_server::following::Following;
use dynalith_server::kinesis::KinesisEndpoint;
use dynalith_server::metrics::{Metrics, StorageReopens};
use dynalith_server::s3::S3Endpoint;
use dynalith_server::sigv4::{SigningCredentials, VerifySignatures};
use dynalith_server::triggers::Trigger;
use dynalith_server::{AcceptAnyCredentials, Authenticator, CurrentDatabase, Service};
use dynalith_storage::{
    default_background_write_bytes_per_sec, Engine, MemoryEngine, PgEngine, PgOptions, RocksEngine,
    RocksOptions, DEFAULT_BLOCK_CACHE_BYTES, DEFAULT_IDLE_BEFORE_LEVEL0_COMPACTION,
    DEFAULT_MEMTABLE_BYTES, MAX_BLOCK_CACHE_BYTES,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

mod allocator;

#[derive(Parser)]
#[command(
    name = "dynalith",
    version,
    about = "A DynamoDB-compatible database server"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the DynamoDB API (the default).
    Serve(ServeArgs),
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (DynamoDB Local's is 8000; 0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Where data is kept.
    #[arg(long, default_value = "./dynalith-data")]
    data_dir: PathBuf,
    /// Keep everything in memory; nothing is written to disk. The embedded
    /// engine's storage options (block cache, memtables, background
    /// writes, idle compaction) then do not apply.
    #[arg(long)]
    in_memory: bool,
    /// Keep the data in a PostgreSQL-protocol database instead of the
    /// embedded engine: a URL such as postgres://user:password@host/db (or a
    /// libpq key=value string). The embedded engine's options then do not
    /// apply.
    #[arg(long, value_name = "URL", conflicts_with = "in_memory")]
    postgres: Option<String>,
    /// The schema that holds dynalith's data in that database, created when
    /// missing.
    #[arg(long, value_name = "NAME", default_value = "dynalith")]
    postgres_schema: String,
    /// Connections to that database; requests beyond that many wait for one.
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    postgres_connections: u32,
    /// CA certificates (PEM) the database's certificate must chain to, in
    /// place of the system's roots (a private CA, such as Amazon RDS's).
    /// TLS itself is asked for by sslmode=require in the URL; the
    /// certificate's chain and host name are then always verified.
    #[arg(long, value_name = "PEM_FILE", requires = "postgres")]
    postgres_ca_file: Option<PathBuf>,
    /// Lets several servers share the PostgreSQL schema: the first to hold
    /// it leads (runs every write and the background work); the others
    /// answer reads themselves, send the rest of their requests to the
    /// leader, and one of them takes over when it stops. Without it, a
    /// second server on a schema in use refuses to start. With
    /// --enforce-throughput, reads go to the leader too, so that a table's
    /// capacity is metered in one place.
    #[arg(long, requires = "postgres")]
    shared_schema: bool,
    /// With --shared-schema: the URL other servers reach this one at when
    /// it leads (default: the address it listens on, 127.0.0.1 for an
    /// unspecified one).
    #[arg(long, value_name = "URL", requires = "shared_schema")]
    advertise_url: Option<String>,
    /// Log filter: error, warn, info, debug, trace (or a tracing filter).
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Memory for caching data read from storage, in MiB (uncompressed
    /// blocks; used only as data beyond the newest writes is read; 0: none).
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = (DEFAULT_BLOCK_CACHE_BYTES >> 20) as u64,
        value_parser = clap::value_parser!(u64).range(0..=(MAX_BLOCK_CACHE_BYTES >> 20) as u64),
    )]
    block_cache_mb: u64,
    /// Memory for the item cache, in MiB (0: off): GetItem and BatchGetItem
    /// answered from memory, DAX-style, but never stale, as every write
    /// updates it.
    #[arg(long, value_name = "MIB", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1 << 20))]
    item_cache_mb: u64,
    /// Memory for the query cache, in MiB (0: off): whole Query and Scan
    /// pages answered from memory until the next write to their table.
    #[arg(long, value_name = "MIB", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1 << 20))]
    query_cache_mb: u64,
    /// Writes a memtable takes before it is flushed to storage, in MiB
    /// (memory in use for recent writes, and the size of each WAL file).
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = (DEFAULT_MEMTABLE_BYTES >> 20) as u64,
        value_parser = clap::value_parser!(u64).range(1..=4096),
    )]
    memtable_mb: u64,
    /// Write rate allowed to flushes and compactions together, in MiB/s (0:
    /// unlimited). Paced, they leave the CPUs to requests within a
    /// millisecond instead of holding one for a scheduler tick. Default: 24
    /// per CPU the process may use.
    #[arg(long, value_name = "MIB_PER_SEC", value_parser = clap::value_parser!(u64).range(0..=1 << 20))]
    background_write_mb: Option<u64>,
    /// Seconds without writes after which recently flushed data (RocksDB's
    /// level 0) is merged into the levels below, so that reads after a
    /// burst of writes search fewer files (0: only as writes flow).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = DEFAULT_IDLE_BEFORE_LEVEL0_COMPACTION.as_secs(),
        value_parser = clap::value_parser!(u64).range(0..=86_400),
    )]
    compact_when_idle_secs: u64,
    /// Largest item collection (items and local-index entries sharing a
    /// partition-key value) on tables with local secondary indexes.
    /// DynamoDB's fixed limit is 10 GiB.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().item_collection_bytes)]
    max_item_collection_bytes: i64,
    /// How long DynamoDB Streams records are kept, and a disabled stream
    /// stays readable. DynamoDB's is fixed at 24 hours.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = Limits::default().stream_retention_seconds,
        value_parser = clap::value_parser!(u64).range(1..),
    )]
    stream_retention_secs: u64,
    /// Deliver TABLE's stream records, as Lambda's DynamoDB event, in HTTP
    /// POSTs to URL (a handler's HTTP wrapper, or a local Lambda's Invoke
    /// URL); repeatable. The table needs a stream (StreamSpecification).
    #[arg(long = "stream-trigger", value_name = "TABLE=URL")]
    stream_triggers: Vec<String>,
    /// CA certificates (PEM) trusted, besides the system's, for https://
    /// trigger URLs, an https:// --kinesis-endpoint, and (with
    /// --shared-schema and --tls-cert) the leading server's certificate.
    #[arg(long, value_name = "PEM_FILE")]
    stream_trigger_ca_file: Option<PathBuf>,
    /// Where tables' Kinesis Data Streams destinations
    /// (EnableKinesisStreamingDestination) send their records: a
    /// Kinesis-compatible endpoint (http[s]://host[:port]: LocalStack,
    /// kinesalite, or Kinesis itself). Without it, enabling a destination
    /// fails (ENABLE_FAILED, saying why).
    #[arg(long, value_name = "URL")]
    kinesis_endpoint: Option<String>,
    /// The credentials PutRecords calls to --kinesis-endpoint are signed
    /// with. Default: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the
    /// environment, else dummy ones (which local Kinesis emulators take).
    #[arg(long, value_name = "ACCESS_KEY:SECRET", requires = "kinesis_endpoint")]
    kinesis_credentials: Option<String>,
    /// Verify SigV4 signatures: only requests signed with one of these
    /// credentials are served (repeatable). Without it, any credentials are
    /// accepted, as DynamoDB Local does.
    #[arg(long = "credentials", value_name = "ACCESS_KEY:SECRET")]
    credentials: Vec<String>,
    /// The directory standing in for Amazon S3: table exports are written
    /// to, and imports read from, bucket B at DIR/B (object keys are paths
    /// below it). Default: DATA_DIR/s3; an in-memory server has none unless
    /// given.
    #[arg(long, value_name = "DIR")]
    s3_dir: Option<PathBuf>,
    /// Write table exports to, and read imports from, an S3-compatible
    /// service instead of a directory: http[s]://host[:port] of S3 itself,
    /// MinIO or LocalStack (path-style requests, signed with SigV4).
    #[arg(long, value_name = "URL", conflicts_with = "s3_dir")]
    s3_endpoint: Option<String>,
    /// The credentials calls to --s3-endpoint are signed with. Default:
    /// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY from the environment,
    /// else dummy ones (which local S3 emulators take).
    #[arg(long, value_name = "ACCESS_KEY:SECRET", requires = "s3_endpoint")]
    s3_credentials: Option<String>,
    /// The Region calls to --s3-endpoint are signed for: the buckets'.
    #[arg(
        long,
        value_name = "REGION",
        default_value = "us-east-1",
        requires = "s3_endpoint"
    )]
    s3_region: String,
    /// Throttle as DynamoDB does: requests over a provisioned table's or
    /// global index's capacity (after its burst capacity) get
    /// ProvisionedThroughputExceededException, and over an on-demand
    /// table's MaxRead/WriteRequestUnits ThrottlingException; batches
    /// return what they could not do as UnprocessedKeys / UnprocessedItems.
    /// Off by default, as in DynamoDB Local.
    #[arg(long)]
    enforce_throughput: bool,
    /// How often auto scaling (UpdateTableReplicaAutoScaling) looks at
    /// what each scaling capacity consumed: one data point of its alarms.
    /// DynamoDB's is a minute, so a scale out takes two and a scale in
    /// fifteen; a shorter period makes them quicker to see (shorter than
    /// a throttled client's retry backoff, though, some periods see no
    /// consumption at all, and scaling out waits for two in a row).
    #[arg(long, value_name = "MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(10..))]
    auto_scaling_period_ms: u64,
    /// Serve no Prometheus metrics at GET /metrics (and count no requests
    /// for them).
    #[arg(long)]
    no_metrics: bool,
    /// Serve HTTPS with this certificate (PEM: the server's certificate,
    /// then any intermediates); needs --tls-key. Clients then use an
    /// https:// endpoint and must trust the certificate's issuer. SIGHUP
    /// reads this file and --tls-key again (a failed read keeps the pair
    /// in use and logs why).
    #[arg(long, value_name = "PEM_FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM_FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Also reload --tls-cert and --tls-key when either file changes,
    /// looking every SECONDS (for certificates rotated by tools that send
    /// no signal, such as cert-manager's secret volumes).
    #[arg(long, value_name = "SECONDS", requires = "tls_cert", value_parser = clap::value_parser!(u64).range(1..))]
    tls_reload_secs: Option<u64>,
    /// Close a connection that has made no request for SECONDS (to twice
    /// that): connections that send nothing, or a request's headers a
    /// byte at a time, hold nothing for long. 0 keeps them open.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    idle_connection_secs: u64,
    /// Most records per triggered event (Lambda's BatchSize).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..=10_000))]
    stream_trigger_batch_size: u16,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        None => cli.serve,
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&args.log_level))
        .with_writer(std::io::stderr)
        .init();
    match run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The engine, and the PostgreSQL one again when it is that, which says
/// whether this server follows another on a shared schema.
type Engines = (Arc<dyn Engine>, Option<Arc<PgEngine>>);

/// Operations that may wait on the disk at once once the data has
/// outgrown memory (each on a blocking thread of its own).
const MAX_DISK_READS_IN_FLIGHT: usize = 64;

fn open_engine(args: &ServeArgs) -> Result<Engines, String> {
    if let Some(url) = &args.postgres {
        let options = PgOptions::new(url.as_str())
            .with_schema(args.postgres_schema.as_str())
            .with_pool_size(args.postgres_connections);
        let options = match &args.postgres_ca_file {
            Some(file) => options.with_ca_file(file),
            None => options,
        };
        let options = if args.shared_schema {
            options.following()
        } else {
            options
        };
        let engine = Arc::new(PgEngine::open(&options).map_err(|e| e.to_string())?);
        return Ok((engine.clone(), Some(engine)));
    }
    if args.in_memory {
        return Ok((Arc::new(MemoryEngine::default()), None));
    }
    let options = RocksOptions::durable(&args.data_dir)
        .with_range_prefix_len(dynalith_core::keys::PARTITION_PREFIX_LEN)
        // In range by the argument's parser: at most MAX_BLOCK_CACHE_BYTES.
        .with_block_cache_bytes((args.block_cache_mb as usize) << 20)
        .with_memtable_bytes((args.memtable_mb as usize) << 20)
        .with_background_write_bytes_per_sec(
            args.background_write_mb
                .map_or_else(default_background_write_bytes_per_sec, |mb| mb << 20),
        )
        .with_level0_compaction_when_idle_for(
            (args.compact_when_idle_secs > 0)
                .then(|| Duration::from_secs(args.compact_when_idle_secs)),
        );
    let engine = Arc::new(RocksEngine::open(&options).map_err(|e| e.to_string())?);
    Ok((engine, None))
}

fn run(args: ServeArgs) -> Result<(), String> {
    // Read before the engine opens: a bad certificate stops the server
    // before it touches any data.
    let (tls, server_certificate) = match (&args.tls_cert, &args.tls_key) {
        (Some(certificate), Some(key)) => {
            let (acceptor, files) = dynalith_server::tls::acceptor(certificate, key)?;
            (Some(acceptor), Some(files))
        }
        _ => (None, None),
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let triggers = args
        .stream_triggers
        .iter()
        .map(|t| Trigger::parse(t, usize::from(args.stream_trigger_batch_size)))
        .collect::<Result<Vec<_>, _>>()?;
    let kinesis_url = args
        .kinesis_endpoint
        .as_deref()
        .map(KinesisEndpoint::parse_url)
        .transpose()?;
    let s3_url = args
        .s3_endpoint
        .as_deref()
        .map(S3Endpoint::parse_url)
        .transpose()?;
    // System roots are read only when some trigger or the Kinesis or S3
    // endpoint needs them.
    let endpoints_https = [&kinesis_url, &s3_url]
        .into_iter()
        .flatten()
        .any(|url| url.scheme_str() == Some("https"));
    // Servers sharing a schema over HTTPS reach their leader over it too.
    let https_leader = args.shared_schema && tls.is_some();
    let outgoing_tls = if triggers.iter().any(Trigger::is_https) || endpoints_https || https_leader
    {
        Some(dynalith_server::tls::connector(
            args.stream_trigger_ca_file.as_deref(),
        )?)
    } else {
        None
    };
    let kinesis_endpoint = match kinesis_url {
        Some(url) => Some(KinesisEndpoint {
            url,
            credentials: signing_credentials(args.kinesis_credentials.as_deref())?,
            tls: outgoing_tls.clone(),
        }),
        None => None,
    };
    let s3_remote = match s3_url {
        Some(url) => Some(Arc::new(S3Endpoint {
            url,
            credentials: signing_credentials(args.s3_credentials.as_deref())?,
            region: args.s3_region.clone(),
            tls: outgoing_tls.clone(),
        }) as Arc<dyn dynalith_core::s3::RemoteS3>),
        None => None,
    };
    let (engine, postgres) = open_engine(&args)?;
    let limits = Limits {
        item_collection_bytes: args.max_item_collection_bytes,
        stream_retention_seconds: args.stream_retention_secs,
    };
    let authenticator: Box<dyn Authenticator> = if args.credentials.is_empty() {
        Box::new(AcceptAnyCredentials)
    } else {
        Box::new(VerifySignatures::new(&args.credentials)?)
    };
    let read_cache = ReadCacheOptions {
        item_bytes: (args.item_cache_mb as usize) << 20,
        query_bytes: (args.query_cache_mb as usize) << 20,
    };
    let s3_dir = args
        .s3_dir
        .clone()
        .or_else(|| (!args.in_memory).then(|| args.data_dir.join("s3")));
    let settings = Settings {
        limits,
        read_cache,
        s3_dir,
        s3_remote,
        enforce_throughput: args.enforce_throughput,
        auto_scaling_period: Some(Duration::from_millis(args.auto_scaling_period_ms)),
    };
    let follows = postgres.as_ref().is_some_and(|pg| pg.follows());
    let database = if follows {
        Database::open_follower(engine.clone(), settings.clone())
    } else {
        Database::open_with(engine.clone(), settings.clone())
    }
    .map_err(|e| e.to_string())?;
    // The database holds the engine from here on: the embedded engine is
    // reopened in place when its log fails (`keep_storage_open`), which
    // needs every holder to let go of the old one.
    drop(engine);
    let current: CurrentDatabase = Arc::new(ArcSwapOption::from(Some(database)));
    let deliveries = Arc::new(Deliveries::default());
    let following = args.shared_schema.then(|| {
        Arc::new(Following::new(
            !follows,
            args.enforce_throughput,
            https_leader.then(|| outgoing_tls.clone()).flatten(),
        ))
    });
    let storage_reopens = Arc::new(StorageReopens::default());
    let metrics = (!args.no_metrics).then(|| {
        Metrics::new(
            deliveries.clone(),
            following.clone(),
            storage_reopens.clone(),
        )
    });
    let service = Arc::new(Service {
        database: current.clone(),
        following: following.clone(),
        authenticator,
        metrics,
        idle_connection_timeout: (args.idle_connection_secs > 0)
            .then(|| Duration::from_secs(args.idle_connection_secs)),
    });
    let background = Background {
        triggers,
        outgoing_tls,
        kinesis_endpoint,
        deliveries,
    };
    // The embedded engine on disk is reopened when it fails; in memory it
    // cannot fail so, and PostgreSQL's engine reconnects by itself.
    let reopens = postgres.is_none() && !args.in_memory;

    let parked = current.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Operations run there while calls may block (`database_calls`):
        // one per PostgreSQL connection, or enough reads waiting on the
        // disk at once to keep a device's queue full. tokio's default of
        // 512 would start a thread for nearly every request in flight.
        .max_blocking_threads((args.postgres_connections as usize).max(MAX_DISK_READS_IN_FLIGHT))
        .on_thread_park(move || {
            if let Some(database) = &*parked.load() {
                database.engine().request_threads_idle();
            }
        })
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
            .await
            .map_err(|e| format!("cannot listen on {}:{}: {e}", args.host, args.port))?;
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        // Installed before the listening line, so that a SIGHUP sent once
        // the server is up reloads rather than kills it.
        if let Some(files) = server_certificate {
            if let Some(seconds) = args.tls_reload_secs {
                reload_certificate_when_changed(files.clone(), Duration::from_secs(seconds));
            }
            reload_certificate_on_sighup(files)?;
        }
        if let (Some(_), Some(pg)) = (&following, postgres.clone()) {
            tokio::spawn(dynalith_server::following::stop_when_superseded(
                move || pg.lost_schema(),
            ));
        }
        let started = current.load_full().ok_or("no database to serve")?;
        match (following, postgres.clone().filter(|_| follows)) {
            // Following: the leader's work starts here if this server takes
            // over.
            (Some(following), Some(pg)) => {
                let url = args
                    .advertise_url
                    .clone()
                    .unwrap_or_else(|| advertised(scheme, address));
                let engine: Arc<dyn Engine> = pg.clone();
                let lead = move || {
                    let database =
                        Database::open_with(engine, settings).map_err(|e| e.to_string())?;
                    dynalith_server::following::announce(&database, &url)?;
                    background.start(&database).detach_all();
                    Ok(database)
                };
                tokio::spawn(dynalith_server::following::follow(
                    following,
                    current.clone(),
                    move || pg.follows(),
                    lead,
                ));
            }
            // Leading a shared schema: followers started from now on find
            // this server.
            (Some(_), None) => {
                let url = args
                    .advertise_url
                    .clone()
                    .unwrap_or_else(|| advertised(scheme, address));
                let database = started.clone();
                tokio::task::spawn_blocking(move || {
                    dynalith_server::following::announce(&database, &url)
                })
                .await
                .map_err(|e| e.to_string())??;
                background.start(&started).detach_all();
            }
            (None, _) if reopens => {
                let tasks = background.start(&started);
                let open_args = args.clone();
                let reopen = move || {
                    let (engine, _) = open_engine(&open_args)?;
                    Database::open_with(engine, settings.clone()).map_err(|e| e.to_string())
                };
                tokio::spawn(keep_storage_open(
                    current.clone(),
                    background,
                    tasks,
                    reopen,
                    storage_reopens,
                ));
            }
            (None, _) => background.start(&started).detach_all(),
        }
        drop(started);
        // Tests and scripts read this line to find the port.
        println!("dynalith listening on {scheme}://{address}");
        let storage = match (&args.postgres, args.in_memory) {
            (Some(_), _) => format!("PostgreSQL, schema {}", args.postgres_schema),
            (None, true) => "in memory".to_string(),
            (None, false) => args.data_dir.display().to_string(),
        };
        tracing::info!(%address, %storage, "listening");
        dynalith_server::serve(
            listener,
            tls,
            service,
            shutdown_signal(),
            Duration::from_secs(10),
        )
        .await
        .map_err(|e| e.to_string())
    })?;
    let database = current
        .load_full()
        .ok_or("the storage could not be reopened before the shutdown")?;
    database.engine().flush().map_err(|e| e.to_string())?;
    let cache = database.read_cache();
    if cache.enabled() {
        let (items, queries) = (cache.item_stats(), cache.query_stats());
        tracing::info!(?items, ?queries, "read cache since start");
    }
    tracing::info!("shut down cleanly");
    Ok(())
}

/// The credentials Kinesis calls are signed with: the flag's, the
/// environment's, or dummy ones.
/// Work only the leading server does, started when it leads.
struct Background {
    triggers: Vec<Trigger>,
    outgoing_tls: Option<dynalith_server::tls::TlsConnector>,
    kinesis_endpoint: Option<KinesisEndpoint>,
    deliveries: Arc<Deliveries>,
}

impl Background {
    /// Starts stream triggers and Kinesis delivery (inside the runtime);
    /// they stop when the tasks are dropped.
    fn start(&self, database: &Arc<Database>) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        dynalith_server::kinesis::spawn(
            &mut tasks,
            database.clone(),
            self.kinesis_endpoint.clone(),
            self.deliveries.clone(),
        );
        dynalith_server::triggers::spawn(
            &mut tasks,
            database.clone(),
            self.triggers.clone(),
            self.outgoing_tls.clone(),
            self.deliveries.clone(),
        );
        tasks
    }
}

/// How often the embedded engine is asked whether it failed.
const STORAGE_CHECK_EVERY: Duration = Duration::from_millis(200);
/// How long to wait between attempts to reopen failed storage.
const REOPEN_EVERY: Duration = Duration::from_secs(1);

/// Reopens the embedded engine once it can no longer make writes durable
/// (its log could not be written: a full disk, an I/O error). RocksDB
/// takes a failed write of its log as fatal and accepts no writes after
/// it, so the database is closed and opened again, as a restart would,
/// without the process stopping: requests get a 503 (which SDKs retry)
/// until it is back. Reopening recovers everything acknowledged (every
/// acknowledged write was synced) and rebuilds what the server keeps in
/// memory from storage; if it fails (the disk is still full) it is tried
/// again every second.
async fn keep_storage_open<R>(
    current: CurrentDatabase,
    background: Background,
    mut tasks: JoinSet<()>,
    reopen: R,
    reopens: Arc<StorageReopens>,
) where
    R: Fn() -> Result<Arc<Database>, String> + Clone + Send + 'static,
{
    loop {
        tokio::time::sleep(STORAGE_CHECK_EVERY).await;
        let Some(database) = current.load_full() else {
            continue;
        };
        let Some(failure) = database.engine().failure() else {
            continue;
        };
        tracing::error!(
            why = %failure,
            "storage failed: reopening it; requests get a 503 until then"
        );
        current.store(None);
        tasks.shutdown().await;
        // RocksDB locks its directory: the old database must be closed
        // before the new one opens, so every request and thread still using
        // it has to let go of it first.
        let mut waited = Duration::ZERO;
        while Arc::strong_count(&database) > 1 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            waited += Duration::from_millis(10);
            if waited.as_millis().is_multiple_of(10_000) {
                tracing::warn!(
                    ?waited,
                    "storage not reopened yet: the failed one is still in use"
                );
            }
        }
        // Closing waits for RocksDB's background threads: not on a request
        // thread.
        let engine = database.engine_in_use();
        let _ = tokio::task::spawn_blocking(move || drop(database)).await;
        while engine.strong_count() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let database = loop {
            match tokio::task::spawn_blocking(reopen.clone()).await {
                Ok(Ok(database)) => break database,
                Ok(Err(e)) => tracing::warn!(error = %e, "cannot reopen the storage yet"),
                Err(e) => tracing::error!(error = %e, "reopening the storage panicked"),
            }
            tokio::time::sleep(REOPEN_EVERY).await;
        };
        tasks = background.start(&database);
        current.store(Some(database));
        reopens.add(failure.cause);
        // As loud as the failure, so that both show at the default level.
        tracing::warn!("storage reopened; serving again");
    }
}

/// Where other servers reach this one: its listening address, with an
/// unspecified IP (listening on every interface) read as the loopback's.
fn advertised(scheme: &str, address: std::net::SocketAddr) -> String {
    let ip = match address.ip() {
        ip if !ip.is_unspecified() => ip,
        std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
    };
    format!(
        "{scheme}://{}",
        std::net::SocketAddr::new(ip, address.port())
    )
}

/// The credentials of --kinesis-credentials or --s3-credentials, else of
/// the environment, else dummy ones.
fn signing_credentials(flag: Option<&str>) -> Result<SigningCredentials, String> {
    if let Some(pair) = flag {
        return SigningCredentials::parse(pair);
    }
    match (
        std::env::var("AWS_ACCESS_KEY_ID"),
        std::env::var("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Ok(access_key), Ok(secret)) if !access_key.is_empty() && !secret.is_empty() => {
            Ok(SigningCredentials { access_key, secret })
        }
        _ => SigningCredentials::parse("dynalith:dynalith"),
    }
}

/// Reads the certificate and key again, logging the outcome. Reading two
/// small files is quick enough for a runtime thread.
fn reload_certificate(files: &dynalith_server::tls::ServerCertificate) {
    let certificate = files.certificate_file().display();
    match files.reload() {
        Ok(()) => tracing::info!(%certificate, "TLS certificate reloaded"),
        Err(e) => {
            tracing::error!("TLS certificate not reloaded, still serving the previous one: {e}")
        }
    }
}

/// Reloads the certificate whenever either file's modification time
/// changes, looking every `interval`. A rotation caught between its two
/// files fails (and is logged); the second file's change brings the next
/// try.
fn reload_certificate_when_changed(
    files: Arc<dynalith_server::tls::ServerCertificate>,
    interval: Duration,
) {
    tokio::spawn(async move {
        let mut seen = files.modified();
        loop {
            tokio::time::sleep(interval).await;
            let now = files.modified();
            if now != seen {
                seen = now;
                reload_certificate(&files);
            }
        }
    });
}

/// SIGHUP reads the TLS certificate and key files again (rotation without
/// a restart, as nginx and HAProxy do it). A server without TLS keeps the
/// default action, so closing the terminal it runs in still stops it.
fn reload_certificate_on_sighup(
    files: Arc<dynalith_server::tls::ServerCertificate>,
) -> Result<(), String> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangups =
        signal(SignalKind::hangup()).map_err(|e| format!("cannot handle SIGHUP: {e}"))?;
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            reload_certificate(&files);
        }
    });
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
}
