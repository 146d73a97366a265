//! Stream retention: records are removed once older than the retention
//! period (DynamoDB's 24 hours; `Limits::stream_retention_seconds`), and a
//! stream that is no longer enabled is forgotten, records and all, that
//! long after it was disabled.
//!
//! One background thread, started with the first stream (or table with
//! point-in-time recovery), looks at every stream a few times per retention
//! period; it also folds point-in-time recovery history older than its
//! recovery period into its copy (`point_in_time`). A trim first records the new
//! trim point in the stream's entry and only then deletes the records
//! below it, so a reader behind the trim point is told so
//! (TrimmedDataAccessException) instead of silently skipping records.

use crate::streams::{record, StreamMeta};
use crate::{keys, storage_error, Database};
use dynalith_model::DynamoError;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

impl Database {
    /// Starts the retention thread unless it runs already.
    pub(crate) fn start_retention(&self) {
        if self.retention_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let db = self.self_ref.clone();
        let every = pass_interval(self.limits().stream_retention_seconds);
        let spawned = std::thread::Builder::new()
            .name("dynalith-retention".into())
            .spawn(move || trim_until_closed(db, every));
        if let Err(e) = spawned {
            tracing::error!(%e, "cannot start the retention thread; records are kept");
            self.retention_started.store(false, Ordering::Release);
        }
    }

    /// One look at every stream.
    pub(crate) fn trim_streams(&self) -> Result<(), DynamoError> {
        let retention = self.limits().stream_retention_seconds as f64;
        let now = crate::now_epoch_seconds();
        for stream in self.streams().all_with_kinesis_logs() {
            match stream.disabled_at {
                Some(disabled) if disabled + retention <= now => self.forget_stream(&stream)?,
                _ => self.trim_stream(&stream, (now - retention).floor() as i64)?,
            }
        }
        Ok(())
    }

    /// Removes the records of `stream` created before `cutoff` (seconds).
    fn trim_stream(&self, stream: &StreamMeta, cutoff: i64) -> Result<(), DynamoError> {
        let (start, end) = keys::stream_records_range(stream.id);
        let readable_end = self.streams().sequencer().readable_end();
        let mut trim_before = None;
        {
            let snapshot = self.engine().snapshot();
            for entry in snapshot.scan(&start, &end, false) {
                let (key, value) = entry.map_err(storage_error)?;
                let sequence = keys::sequence_of_stream_record(&key)
                    .ok_or_else(|| DynamoError::internal("corrupt stream record key"))?;
                if sequence >= readable_end || record::created_at(&value)? >= cutoff {
                    break;
                }
                trim_before = Some(sequence + 1);
            }
        }
        let Some(trim_before) = trim_before else {
            return Ok(());
        };
        let mut trimmed = stream.clone();
        trimmed.trimmed_before = trim_before;
        let mut txn = self.engine().begin();
        trimmed.persist(&mut *txn)?;
        txn.commit().map_err(storage_error)?;
        self.streams().publish(trimmed);
        self.engine()
            .delete_range(&start, &keys::stream_record(stream.id, trim_before))
            .map_err(storage_error)
    }

    fn forget_stream(&self, stream: &StreamMeta) -> Result<(), DynamoError> {
        let mut txn = self.engine().begin();
        txn.delete(&keys::stream_entry(stream.id))
            .map_err(storage_error)?;
        txn.commit().map_err(storage_error)?;
        self.streams().unpublish(stream.id);
        for (start, end) in [
            keys::stream_records_range(stream.id),
            keys::trigger_cursors_range(stream.id),
        ] {
            self.engine()
                .delete_range(&start, &end)
                .map_err(storage_error)?;
        }
        Ok(())
    }
}

/// Often enough that records outlive the retention period by at most a
/// quarter of it, and never more than a minute.
fn pass_interval(retention_seconds: u64) -> Duration {
    Duration::from_secs((retention_seconds / 4).clamp(1, 60))
}

fn trim_until_closed(db: Weak<Database>, every: Duration) {
    loop {
        std::thread::sleep(every);
        let Some(db) = db.upgrade() else { return };
        if let Err(e) = db.trim_streams() {
            tracing::warn!(message = %e.message, "stream retention pass failed");
        }
        if let Err(e) = db.fold_histories() {
            tracing::warn!(message = %e.message, "point-in-time history fold failed");
        }
        drop::<Arc<Database>>(db);
    }
}
