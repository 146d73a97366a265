//! Scaling activities: each change the scaler or a registration made to a
//! scaling capacity, for Application Auto Scaling's
//! DescribeScalingActivities.
//!
//! The log is the server's memory of recent changes, not data: it holds
//! the newest `KEPT` activities and starts empty on each start (AWS keeps
//! six weeks of them). The changes themselves are in the catalog.

use crate::throughput::Direction;
use parking_lot::Mutex;
use std::collections::VecDeque;

/// How many activities the log keeps, newest first.
const KEPT: usize = 1000;

/// One change of a capacity.
#[derive(Clone, Debug)]
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
}

/// Application Auto Scaling's NotScaledReason; the current capacity is
/// the activity's units.
#[derive(Clone, Debug)]
pub struct NotScaled {
    pub code: &'static str,
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
        }
    }
}

#[derive(Default)]
pub struct Activities {
    newest_first: Mutex<VecDeque<Activity>>,
}

impl Activities {
    pub fn record(&self, activity: Activity) {
        let mut log = self.newest_first.lock();
        log.push_front(activity);
        log.truncate(KEPT);
    }

    /// The activities `keep` selects, newest first.
    pub fn matching(&self, keep: impl Fn(&Activity) -> bool) -> Vec<Activity> {
        self.newest_first
            .lock()
            .iter()
            .filter(|a| keep(a))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_activities_first() {
        let log = Activities::default();
        for units in 0..(KEPT as i64 + 5) {
            log.record(Activity::new(
                "t",
                None,
                Direction::Read,
                units,
                String::new(),
            ));
        }
        let all = log.matching(|_| true);
        assert_eq!(all.len(), KEPT);
        assert_eq!(all[0].units, KEPT as i64 + 4);
        assert_eq!(all[KEPT - 1].units, 5);
        let even = log.matching(|a| a.units % 2 == 0);
        assert!(even.iter().all(|a| a.units % 2 == 0));
        assert_eq!(even.len(), KEPT / 2);
    }
}
