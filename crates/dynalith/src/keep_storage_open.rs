//! Reopening the embedded engine after its storage failed.

use crate::background::Background;
use dynalith_core::Database;
use dynalith_server::metrics::StorageReopens;
use dynalith_server::CurrentDatabase;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

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
pub(crate) async fn keep_storage_open<R>(
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
