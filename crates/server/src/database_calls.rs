//! Where calls into the database run. The embedded engine's calls are CPU
//! work over memory and the page cache, run inline on the request thread
//! (a hop to another thread costs two context switches, more than a
//! typical request). A call that waits, on a database server or on the
//! disk once the data has outgrown memory, would stall every request
//! sharing the thread, so while the engine says its calls may block they
//! go to tokio's blocking threads, where the waits overlap. A call that
//! changes nothing is first tried inline with its reads limited to memory
//! (`dynalith_storage::MemoryFirst`), so that reads of a hot set stay
//! inline; only those that need the device move.

use dynalith_core::Database;
use std::sync::Arc;

/// Runs `call` on the database; `None` when it panicked on a blocking
/// thread.
pub(crate) async fn run<T: Send + 'static>(
    database: &Arc<Database>,
    call: impl FnOnce(&Database) -> T + Send + 'static,
) -> Option<T> {
    if !database.engine().calls_may_block() {
        return Some(call(database));
    }
    let database = database.clone();
    tokio::task::spawn_blocking(move || call(&database))
        .await
        .ok()
}

/// `run` for a call that changes nothing, so that it may be tried inline
/// first and thrown away if a read needed the device. Not while throughput
/// is enforced: reads charge their tables' capacity as they go (a batch
/// item by item), and a try thrown away would have charged it twice.
pub(crate) async fn run_reads<T: Send + 'static>(
    database: &Arc<Database>,
    call: impl Fn(&Database) -> T + Send + 'static,
) -> Option<T> {
    if !database.engine().calls_may_block() {
        return Some(call(database));
    }
    if let Some(first) = database.engine().memory_first() {
        if !database.throughput().enforced() {
            if let Some(result) = first.run(|| call(database)) {
                return Some(result);
            }
        }
    }
    let database = database.clone();
    tokio::task::spawn_blocking(move || call(&database))
        .await
        .ok()
}
