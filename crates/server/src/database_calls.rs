//! Where calls into the database run. The embedded engine's calls are CPU
//! work over memory and the page cache, run inline on the request thread
//! (a hop to another thread costs two context switches, more than a
//! typical request). A call that waits, on a database server or on the
//! disk once the data has outgrown memory, would stall every request
//! sharing the thread, so while the engine says its calls may block they
//! go to tokio's blocking threads, where the waits overlap.

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
