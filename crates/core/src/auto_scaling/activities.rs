//! Scaling activities: each change the scaler or a registration made to a
//! scaling capacity, for Application Auto Scaling's
//! DescribeScalingActivities.
//!
//! The log is kept in storage beside the catalog, so it survives restarts
//! and every server of a shared schema reads the same one; it holds the
//! newest `KEPT` activities (AWS keeps six weeks of them).

use crate::throughput::Direction;
use crate::{keys, storage_error, Database};
use dynalith_model::DynamoError;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};

/// How many activities the log keeps, newest first.
const KEPT: usize = 1000;

/// One change of a capacity.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Activity {
    pub id: String,
    pub table: String,
    /// A global index's name; None: the table's own capacity.
    pub index: Option<String>,
    pub direction: Direction,
    pub units: i64,
    /// Why it changed, in Application Auto Scaling's words.
    pub cause: String,
    /// Epoch seconds.
    pub start: f64,
    pub end: f64,
    /// None: done; Some: why it could not be.
    pub failure: Option<String>,
    /// Some: an alarm asked for a change the target's bounds did not
    /// allow, and nothing changed (a "not scaled" activity).
    pub not_scaled: Option<NotScaled>,
    /// The Region whose capacity changed, for a capacity that scales in
    /// each Region (a global table's reads, `regions`); None: the table's
    /// one capacity, seen from every Region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// Application Auto Scaling's NotScaledReason; the current capacity is
/// the activity's units.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NotScaled {
    pub code: String,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
}

impl Activity {
    pub fn new(
        table: &str,
        index: Option<&str>,
        direction: Direction,
        units: i64,
        cause: String,
    ) -> Activity {
        let now = crate::now_epoch_seconds();
        Activity {
            id: uuid::Uuid::new_v4().to_string(),
            table: table.to_string(),
            index: index.map(str::to_string),
            direction,
            units,
            cause,
            start: now,
            end: now,
            failure: None,
            not_scaled: None,
            region: None,
        }
    }

    /// The activity, of the capacity of `region` (`Activity::region`).
    pub fn in_region(mut self, region: Option<&str>) -> Activity {
        self.region = region.map(str::to_string);
        self
    }

    /// Whether DescribeScalingActivities signed for `region` lists it.
    pub fn seen_in(&self, region: &str) -> bool {
        self.region.as_deref().is_none_or(|r| r == region)
    }
}

/// The last activity's place in the log: microseconds since the epoch,
/// made to grow by one where the clock has not moved on since (or went
/// back), so that the log's order is the order of recording.
static LAST_RECORDED: AtomicU64 = AtomicU64::new(0);

fn next_place() -> u64 {
    let now = (crate::now_epoch_seconds() * 1e6) as u64;
    let mut last = LAST_RECORDED.load(Ordering::Relaxed);
    loop {
        let place = now.max(last + 1);
        match LAST_RECORDED.compare_exchange_weak(last, place, Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => return place,
            Err(seen) => last = seen,
        }
    }
}

impl Database {
    /// Adds `activity` to the log, dropping the oldest beyond `KEPT`. The
    /// log is a record of what the scaler did, not the change itself (that
    /// is in the catalog already): a failure to write it is logged, and
    /// does not undo the change.
    pub(crate) fn record_scaling_activity(&self, activity: Activity) {
        if let Err(e) = self.append_scaling_activity(&activity) {
            tracing::warn!(%e, table = %activity.table, "scaling activity not recorded");
        }
    }

    fn append_scaling_activity(&self, activity: &Activity) -> Result<(), DynamoError> {
        let encoded =
            serde_json::to_vec(activity).map_err(|e| DynamoError::internal(e.to_string()))?;
        let (start, end) = keys::scaling_activities_range();
        let older: Vec<Box<[u8]>> = {
            let snapshot = self.engine().snapshot();
            let mut keys = Vec::new();
            for entry in snapshot.scan(&start, &end, false) {
                keys.push(entry.map_err(storage_error)?.0);
            }
            keys
        };
        let mut txn = self.engine().begin();
        txn.put(&keys::scaling_activity(next_place()), &encoded)
            .map_err(storage_error)?;
        // With this one, the newest KEPT stay.
        for key in older.iter().take((older.len() + 1).saturating_sub(KEPT)) {
            txn.delete(key).map_err(storage_error)?;
        }
        txn.commit().map_err(storage_error)
    }

    /// The activities `keep` selects, newest first.
    pub(crate) fn scaling_activities(
        &self,
        keep: impl Fn(&Activity) -> bool,
    ) -> Result<Vec<Activity>, DynamoError> {
        let (start, end) = keys::scaling_activities_range();
        let snapshot = self.engine().snapshot();
        let mut activities = Vec::new();
        for entry in snapshot.scan(&start, &end, true) {
            let (_, value) = entry.map_err(storage_error)?;
            let activity: Activity = serde_json::from_slice(&value).map_err(|e| {
                DynamoError::internal(format!("corrupt scaling activity entry: {e}"))
            })?;
            if keep(&activity) {
                activities.push(activity);
            }
        }
        Ok(activities)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynalith_storage::MemoryEngine;
    use std::sync::Arc;

    #[test]
    fn keeps_the_newest_activities_first() {
        let db = Database::open(Arc::new(MemoryEngine::default())).unwrap();
        for units in 0..(KEPT as i64 + 5) {
            db.record_scaling_activity(Activity::new(
                "t",
                None,
                Direction::Read,
                units,
                String::new(),
            ));
        }
        let all = db.scaling_activities(|_| true).unwrap();
        assert_eq!(all.len(), KEPT);
        assert_eq!(all[0].units, KEPT as i64 + 4);
        assert_eq!(all[KEPT - 1].units, 5);
        let even = db.scaling_activities(|a| a.units % 2 == 0).unwrap();
        assert!(even.iter().all(|a| a.units % 2 == 0));
        assert_eq!(even.len(), KEPT / 2);
    }

    #[test]
    fn the_log_outlives_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::test_support::open_durable(dir.path());
        let mut activity = Activity::new("t", Some("by_g"), Direction::Write, 7, "why".into());
        activity.not_scaled = Some(NotScaled {
            code: "AlreadyAtMaxCapacity".into(),
            minimum: None,
            maximum: Some(7),
        });
        db.record_scaling_activity(activity.clone());
        drop(db);
        let db = crate::test_support::open_durable(dir.path());
        let [kept] = &db.scaling_activities(|_| true).unwrap()[..] else {
            panic!("one activity kept");
        };
        assert_eq!(format!("{kept:?}"), format!("{activity:?}"));
    }
}
