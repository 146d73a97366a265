//! Time to Live: deleting expired items in the background.
//!
//! An item expires once the Number in its table's TTL attribute, read as
//! seconds since the epoch, is less than the current time (DynamoDB's
//! rule). A TTL attribute of any other type, or missing, never expires
//! the item, and neither does a time more than five years in the past
//! (DynamoDB leaves those too, so that a value in milliseconds or a
//! mistaken zero does not wipe a table). Expired items stay readable until
//! they are deleted, as in DynamoDB, which deletes them within days; here
//! within seconds.
//!
//! One thread sweeps every table with TTL enabled. Each pass (one a
//! second) reads at most `ITEMS_PER_PASS` items of a table from a
//! snapshot, in key order, and the next pass resumes after the last one,
//! so a large table costs a bounded amount of work per second; a table
//! swept to its end rests `ROUND_INTERVAL` before its next round, so a
//! small one is not re-read every second. Each expired item is deleted through
//! the write path, which checks the expiry again under the item's lock: an
//! item rewritten meanwhile with a later expiry, or without one, stays.
//! The delete maintains indexes and counters like any other.

use crate::catalog::TableMeta;
use crate::write::{ItemWrite, Mutation};
use crate::{keys, storage_error, stored_item, Database};
use dynalith_model::{AttributeValue, DynamoError, Item, Number};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long the sweeper sleeps between passes.
const PASS_INTERVAL: Duration = Duration::from_secs(1);
/// Items of one table read per pass.
const ITEMS_PER_PASS: usize = 10_000;
/// The shortest time from the start of one round through a table to the
/// start of the next.
const ROUND_INTERVAL: Duration = Duration::from_secs(5);
/// Expiry times further in the past than this are left alone.
const OLDEST_EXPIRY_SECONDS: i64 = 5 * 365 * 24 * 60 * 60;

impl Database {
    /// Starts the sweeper unless it runs already. Called when a table's
    /// TTL is enabled and at start-up when some table has it.
    pub(crate) fn start_ttl_sweeper(&self) {
        if self.ttl_sweeper_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let db = self.self_ref.clone();
        let spawned = std::thread::Builder::new()
            .name("dynalith-ttl".into())
            .spawn(move || sweep_until_closed(db));
        if let Err(e) = spawned {
            tracing::error!(%e, "cannot start the TTL sweeper; expired items stay");
            self.ttl_sweeper_started.store(false, Ordering::Release);
        }
    }

    /// Starts the sweeper if a table has TTL enabled.
    pub(crate) fn resume_ttl(&self) {
        let enabled = self.catalog().names().iter().any(|name| {
            self.catalog()
                .get(name)
                .is_some_and(|t| t.time_to_live_attribute.is_some())
        });
        if enabled {
            self.start_ttl_sweeper();
        }
    }

    /// One pass over `table`: reads up to `ITEMS_PER_PASS` items after
    /// `after` and deletes the expired ones. Returns the key to resume
    /// after, or None once the table's end was reached.
    fn sweep_table(
        &self,
        table: &Arc<TableMeta>,
        attribute: &str,
        now: &Number,
        after: Option<&[u8]>,
    ) -> Result<Option<Vec<u8>>, DynamoError> {
        let (start, end) = keys::table_items_range(table.id);
        let start = match after {
            // The smallest key after `after`.
            Some(key) => [key, &[0]].concat(),
            None => start,
        };
        let mut expired = Vec::new();
        let mut resume = None;
        {
            let snapshot = self.engine().snapshot();
            for (read, entry) in snapshot.scan(&start, &end, false).enumerate() {
                let (key, stored) = entry.map_err(storage_error)?;
                if is_expired(&stored_item::decode(&stored)?, attribute, now) {
                    expired.push(key.to_vec());
                }
                if read + 1 == ITEMS_PER_PASS {
                    resume = Some(key.to_vec());
                    break;
                }
            }
        }
        for key in expired {
            let deleted = self.write_item(ItemWrite {
                table: Arc::clone(table),
                key,
                decide: Box::new(|current| {
                    Ok(match current {
                        Some(item) if is_expired(item, attribute, now) => Mutation::Expire,
                        _ => Mutation::Keep,
                    })
                }),
            });
            if let Err(e) = deleted {
                // The table went away, or the item is contended: the next
                // round through the table tries again.
                tracing::debug!(table = %table.name, %e, "TTL delete skipped");
            }
        }
        Ok(resume)
    }
}

/// Whether `item` has expired at `now` under TTL attribute `attribute`.
pub(crate) fn is_expired(item: &Item, attribute: &str, now: &Number) -> bool {
    let Some(AttributeValue::N(expiry)) = item.get(attribute) else {
        return false;
    };
    let oldest = now
        .checked_sub(&Number::from_i64(OLDEST_EXPIRY_SECONDS))
        .unwrap_or_else(|_| Number::zero());
    expiry < now && *expiry >= oldest
}

/// The current time in whole seconds since the epoch.
fn now_seconds() -> Number {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Number::from_i64(i64::try_from(seconds).unwrap_or(i64::MAX))
}

/// Where a table's sweep stands.
struct Round {
    /// The key the next pass resumes after; None between rounds.
    resume_after: Option<Vec<u8>>,
    /// When the next round may start.
    next_start: Instant,
}

/// Sweeps the TTL-enabled tables, a pass a second, until the database is
/// gone.
fn sweep_until_closed(db: Weak<Database>) {
    let mut rounds: HashMap<u32, Round> = HashMap::new();
    loop {
        std::thread::sleep(PASS_INTERVAL);
        let Some(db) = db.upgrade() else {
            return;
        };
        let now = now_seconds();
        let mut enabled = Vec::new();
        for name in db.catalog().names() {
            let Some(table) = db.catalog().get(&name) else {
                continue;
            };
            let Some(attribute) = table.time_to_live_attribute.clone() else {
                continue;
            };
            enabled.push(table.id);
            let round = rounds.entry(table.id).or_insert_with(|| Round {
                resume_after: None,
                next_start: Instant::now(),
            });
            if round.resume_after.is_none() {
                if Instant::now() < round.next_start {
                    continue;
                }
                round.next_start = Instant::now() + ROUND_INTERVAL;
            }
            match db.sweep_table(&table, &attribute, &now, round.resume_after.as_deref()) {
                Ok(next) => round.resume_after = next,
                Err(e) => tracing::warn!(table = %name, %e, "TTL sweep failed; retried next pass"),
            }
        }
        rounds.retain(|id, _| enabled.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> Item {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn expiry_follows_dynamodb_rules() {
        let now = Number::from_i64(1_800_000_000);
        let expired = |json: &str| is_expired(&item(json), "exp", &now);
        assert!(expired(r#"{"exp":{"N":"1799999999"}}"#));
        assert!(expired(r#"{"exp":{"N":"1799999999.5"}}"#));
        // Not yet, or exactly now.
        assert!(!expired(r#"{"exp":{"N":"1800000000"}}"#));
        assert!(!expired(r#"{"exp":{"N":"1800000001"}}"#));
        // Another type, another attribute, or none.
        assert!(!expired(r#"{"exp":{"S":"1"}}"#));
        assert!(!expired(r#"{"exp":{"NS":["1"]}}"#));
        assert!(!expired(r#"{"other":{"N":"1"}}"#));
        // More than five years ago: left alone (a zero, or a time in
        // milliseconds read far in the future, never deletes anything).
        assert!(!expired(r#"{"exp":{"N":"0"}}"#));
        assert!(!expired(r#"{"exp":{"N":"1642319999"}}"#));
        assert!(expired(r#"{"exp":{"N":"1642320000"}}"#));
        assert!(!expired(r#"{"exp":{"N":"1800000000000"}}"#));
    }
}
