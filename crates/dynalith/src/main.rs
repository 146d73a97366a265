//! The `dynalith` server binary.

use arc_swap::ArcSwapOption;
use clap::Parser;
use dynalith_core::read_cache::ReadCacheOptions;
use dynalith_core::{Database, Limits, Settings};
use dynalith_server::deliveries::Deliveries;
use dynalith_server::following::Following;
use dynalith_server::metrics::{Metrics, StorageReopens};
use dynalith_server::sigv4::VerifySignatures;
use dynalith_server::{AcceptAnyCredentials, Authenticator, CurrentDatabase, Service};
use dynalith_storage::{
    default_background_write_bytes_per_sec, Engine, MemoryEngine, PgEngine, PgOptions, RocksEngine,
    RocksOptions,
};
use std::sync::Arc;
use std::time::Duration;

mod allocator;
mod args;
mod background;
mod certificates;
mod keep_storage_open;
mod outgoing;

use args::{Cli, Command, ServeArgs};
use background::Background;
use certificates::{reload_certificate_on_sighup, reload_certificate_when_changed};
use keep_storage_open::keep_storage_open;
use outgoing::{outgoing, Outgoing};

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
    let Outgoing {
        triggers,
        kinesis_endpoint,
        s3_remote,
        https_leader,
        tls: outgoing_tls,
    } = outgoing(&args, tls.is_some())?;
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
        transient_status: Duration::from_millis(args.transient_status_ms),
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
