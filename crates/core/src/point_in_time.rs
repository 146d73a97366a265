//! Point-in-time recovery: a table's items can be restored as they were
//! at any moment since recovery was enabled.
//!
//! Enabling copies the table's items (as a backup is copied, under an id
//! of the table-id sequence) from a snapshot taken with no write in
//! flight, and from then on every write to the table also writes a history
//! record in its own storage transaction: the item's key and its new
//! stored form (nothing for a delete), with the time, numbered by the
//! stream sequencer, so an item's records follow its changes. So the table
//! at time T is the live table less the changes recorded after T: restores
//! and exports stream it from one snapshot (`visit_items_at`).
//!
//! Records older than the recovery period (35 days by default) are folded
//! into the copy by the retention thread, which moves the earliest
//! restorable time forward.

use crate::catalog::{PointInTimeRecovery, TableMeta};
use crate::{keys, storage_error, stored_item, Database};
use dynalith_model::{DynamoError, Item};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Items written per storage transaction when restoring.
const RESTORE_BATCH: usize = 1000;

fn now_millis() -> u64 {
    (crate::now_epoch_seconds() * 1000.0) as u64
}

/// The history record of a write of `item_key`: its time, the key, and
/// the item's new stored form (none for a delete).
pub(crate) fn history_record(item_key: &[u8], new: Option<(&Item, &[u8])>) -> Vec<u8> {
    let stored = new.map_or(&[][..], |(_, stored)| stored);
    let mut record = Vec::with_capacity(12 + item_key.len() + stored.len());
    record.extend_from_slice(&now_millis().to_be_bytes());
    record.extend_from_slice(&(item_key.len() as u32).to_be_bytes());
    record.extend_from_slice(item_key);
    record.extend_from_slice(stored);
    record
}

/// Called with an item's stored form before an export's window and at its
/// end, and the time of its last write in the window.
pub(crate) type VisitChange<'a> =
    dyn FnMut(Option<&[u8]>, Option<&[u8]>, u64) -> Result<(), DynamoError> + 'a;

/// One history record, read.
struct Change<'a> {
    time_millis: u64,
    item_key: &'a [u8],
    /// The item's new stored form; None for a delete.
    stored: Option<&'a [u8]>,
}

fn parse_history(record: &[u8]) -> Result<Change<'_>, DynamoError> {
    let corrupt = || DynamoError::internal("corrupt history record");
    let word = |range: std::ops::Range<usize>| -> Result<&[u8], DynamoError> {
        record.get(range).ok_or_else(corrupt)
    };
    let time_millis = u64::from_be_bytes(word(0..8)?.try_into().map_err(|_| corrupt())?);
    let length = u32::from_be_bytes(word(8..12)?.try_into().map_err(|_| corrupt())?) as usize;
    let item_key = word(12..12 + length)?;
    let stored = &record[12 + length..];
    Ok(Change {
        time_millis,
        item_key,
        stored: (!stored.is_empty()).then_some(stored),
    })
}

impl Database {
    /// History records share the stream sequencer: at start-up its next
    /// number must follow every history record kept, or a later change
    /// would sort before (or replace) an earlier one.
    pub(crate) fn resume_history_sequence(&self) -> Result<(), DynamoError> {
        let snapshot = self.engine().snapshot();
        for name in self.catalog().names() {
            let Some(table) = self.catalog().get(&name) else {
                continue;
            };
            if table.point_in_time_recovery.is_none() {
                continue;
            }
            let (start, end) = keys::history_range(table.id);
            if let Some(last) = snapshot.scan(&start, &end, true).next() {
                let (key, _) = last.map_err(storage_error)?;
                if let Some(sequence) = keys::sequence_of_stream_record(&key) {
                    self.streams().sequencer().advance_past(sequence);
                }
            }
        }
        Ok(())
    }

    /// Turns point-in-time recovery on for `table` (the caller holds the
    /// catalog's change lock); returns the table as published.
    pub(crate) fn enable_point_in_time_recovery(
        &self,
        table: &TableMeta,
        recovery_period_days: i64,
    ) -> Result<TableMeta, DynamoError> {
        let base_id = crate::catalog::next_id(self.engine())?;
        let next = base_id
            .checked_add(1)
            .ok_or_else(|| DynamoError::internal("table ids exhausted"))?;
        let mut txn = self.engine().begin();
        txn.put(&keys::next_table_id(), &next.to_be_bytes())
            .map_err(storage_error)?;
        txn.put(&keys::pending_drop(base_id), b"")
            .map_err(storage_error)?;
        txn.commit().map_err(storage_error)?;
        // History left by an enabling that a crash cut short.
        let (start, end) = keys::history_range(table.id);
        self.engine()
            .delete_range(&start, &end)
            .map_err(storage_error)?;

        let mut enabled = table.clone();
        enabled.point_in_time_recovery = Some(PointInTimeRecovery {
            base_id,
            earliest: crate::now_epoch_seconds(),
            recovery_period_days,
        });
        // Every write committed before the snapshot is in the copy, every
        // later one writes history: none is in flight across the switch.
        let snapshot = self.publish_exclusively(|| {
            self.catalog().publish(enabled.clone());
            self.engine().snapshot()
        });
        let copied = self.copy_items_from(&*snapshot, table.id, base_id);
        drop(snapshot);
        let persisted = copied.and_then(|_| {
            let mut txn = self.engine().begin();
            crate::catalog::write_entry(&mut *txn, &enabled)?;
            txn.delete(&keys::pending_drop(base_id))
                .map_err(storage_error)?;
            txn.commit().map_err(storage_error)
        });
        if let Err(e) = persisted {
            self.publish_exclusively(|| self.catalog().publish(table.clone()));
            self.drop_table_data(base_id);
            return Err(e);
        }
        Ok(enabled)
    }

    /// Turns point-in-time recovery off and drops its copy and history.
    pub(crate) fn disable_point_in_time_recovery(
        &self,
        table: &TableMeta,
    ) -> Result<TableMeta, DynamoError> {
        let Some(recovery) = &table.point_in_time_recovery else {
            return Ok(table.clone());
        };
        let mut disabled = table.clone();
        disabled.point_in_time_recovery = None;
        let mut txn = self.engine().begin();
        crate::catalog::write_entry(&mut *txn, &disabled)?;
        txn.put(&keys::pending_drop(recovery.base_id), b"")
            .map_err(storage_error)?;
        txn.commit().map_err(storage_error)?;
        self.publish_exclusively(|| self.catalog().publish(disabled.clone()));
        self.drop_table_data(recovery.base_id);
        let (start, end) = keys::history_range(table.id);
        self.engine()
            .delete_range(&start, &end)
            .map_err(storage_error)?;
        Ok(disabled)
    }

    /// Fills `target` (new and empty) with `source`'s items as they were
    /// at `at` (seconds since the epoch, to the millisecond), streamed
    /// from one snapshot (`visit_items_at`).
    pub(crate) fn restore_to_point_in_time(
        &self,
        source: &TableMeta,
        at: f64,
        target: &Arc<TableMeta>,
    ) -> Result<(), DynamoError> {
        let at_millis = (at * 1000.0).round() as u64;
        let mut batch = Vec::with_capacity(RESTORE_BATCH);
        self.visit_items_at(source, at_millis, &mut |stored| {
            let item = stored_item::decode(stored)?;
            batch.push((crate::primary_key::key_of_item(target, &item)?, item));
            if batch.len() == RESTORE_BATCH {
                self.write_restored(target, std::mem::take(&mut batch))?;
            }
            Ok(())
        })?;
        self.write_restored(target, batch)
    }

    /// Visits the stored form of each of `table`'s items as it was at
    /// `at_millis`. Every write since recovery was enabled left a history
    /// record, so the table as one snapshot holds it, less the changes
    /// recorded after that time, is the table at that time: the live items
    /// are streamed, and only the items changed since are held in memory
    /// with their state at the time (their last earlier record, or the
    /// recovery copy's) — few for an export of a recent moment. The
    /// table's recovery must still be on once the snapshot is taken, or
    /// the copy may already be gone: the caller learns so from the error.
    pub(crate) fn visit_items_at(
        &self,
        table: &TableMeta,
        at_millis: u64,
        visit: &mut dyn FnMut(&[u8]) -> Result<(), DynamoError>,
    ) -> Result<(), DynamoError> {
        let snapshot = self.engine().snapshot();
        let recovery = self.recovery_in_snapshot(table)?;
        let (history_start, history_end) = keys::history_range(table.id);
        // The items changed after the time, and then (None until known)
        // their state at it, by their key in the table.
        let mut changed: BTreeMap<Vec<u8>, Option<Option<Vec<u8>>>> = BTreeMap::new();
        for entry in snapshot.scan(&history_start, &history_end, false) {
            let (_, record) = entry.map_err(storage_error)?;
            let change = parse_history(&record)?;
            if change.time_millis > at_millis {
                changed.entry(change.item_key.to_vec()).or_insert(None);
            }
        }
        if !changed.is_empty() {
            for entry in snapshot.scan(&history_start, &history_end, false) {
                let (_, record) = entry.map_err(storage_error)?;
                let change = parse_history(&record)?;
                if change.time_millis <= at_millis {
                    if let Some(state) = changed.get_mut(change.item_key) {
                        *state = Some(change.stored.map(<[u8]>::to_vec));
                    }
                }
            }
            for (key, state) in changed.iter_mut().filter(|(_, state)| state.is_none()) {
                let base_key = keys::item_key_in(recovery.base_id, key)
                    .ok_or_else(|| DynamoError::internal("corrupt history record key"))?;
                *state = Some(snapshot.get(&base_key).map_err(storage_error)?);
            }
        }
        let (start, end) = keys::table_items_range(table.id);
        for entry in snapshot.scan(&start, &end, false) {
            let (key, stored) = entry.map_err(storage_error)?;
            match changed.remove(&key[..]) {
                Some(Some(Some(then))) => visit(&then)?,
                Some(_) => {}
                None => visit(&stored)?,
            }
        }
        // Items deleted since the time.
        for then in changed.into_values().flatten().flatten() {
            visit(&then)?;
        }
        Ok(())
    }

    /// The table's recovery settings as of a snapshot just taken: the
    /// catalog still showing them means the snapshot holds the copy.
    fn recovery_in_snapshot(&self, table: &TableMeta) -> Result<PointInTimeRecovery, DynamoError> {
        self.catalog()
            .get(&table.name)
            .filter(|t| t.id == table.id)
            .and_then(|t| t.point_in_time_recovery.clone())
            .ok_or_else(|| {
                DynamoError::internal(
                    "the table was deleted, or its point-in-time recovery disabled, as it was read",
                )
            })
    }

    /// Visits each item of `table` that changed at or after `from_millis`
    /// and before `to_millis`: its stored form before the window and at its
    /// end (None where absent) and the time of its last change in the
    /// window, in milliseconds. Items that were absent at both ends are
    /// left out. One snapshot, as `visit_items_at`.
    pub(crate) fn visit_changes_between(
        &self,
        table: &TableMeta,
        from_millis: u64,
        to_millis: u64,
        visit: &mut VisitChange<'_>,
    ) -> Result<(), DynamoError> {
        let snapshot = self.engine().snapshot();
        let recovery = self.recovery_in_snapshot(table)?;
        let mut before: BTreeMap<Vec<u8>, Option<Vec<u8>>> = BTreeMap::new();
        let mut after: BTreeMap<Vec<u8>, (Option<Vec<u8>>, u64)> = BTreeMap::new();
        let (start, end) = keys::history_range(table.id);
        for entry in snapshot.scan(&start, &end, false) {
            let (_, record) = entry.map_err(storage_error)?;
            let change = parse_history(&record)?;
            let stored = change.stored.map(<[u8]>::to_vec);
            if change.time_millis < from_millis {
                before.insert(change.item_key.to_vec(), stored);
            } else if change.time_millis < to_millis {
                after.insert(change.item_key.to_vec(), (stored, change.time_millis));
            }
        }
        for (key, (new, time)) in after {
            let old = match before.remove(&key) {
                Some(old) => old,
                None => {
                    let base_key = keys::item_key_in(recovery.base_id, &key)
                        .ok_or_else(|| DynamoError::internal("corrupt history record key"))?;
                    snapshot.get(&base_key).map_err(storage_error)?
                }
            };
            if old.is_some() || new.is_some() {
                visit(old.as_deref(), new.as_deref(), time)?;
            }
        }
        Ok(())
    }

    /// Folds the history of every table older than its recovery period
    /// into its copy (the retention thread's pass).
    pub(crate) fn fold_histories(&self) -> Result<(), DynamoError> {
        for name in self.catalog().names() {
            let _changes = self.catalog().lock_changes();
            let Some(table) = self.catalog().get(&name) else {
                continue;
            };
            let Some(recovery) = &table.point_in_time_recovery else {
                continue;
            };
            let period = recovery.recovery_period_days as f64 * 86_400.0;
            let cutoff = crate::now_epoch_seconds() - period;
            if cutoff > recovery.earliest {
                self.fold_history(&table, recovery, cutoff)?;
            }
        }
        Ok(())
    }

    /// Applies `table`'s history records up to `cutoff` to its copy and
    /// deletes them; the earliest restorable time becomes `cutoff`.
    fn fold_history(
        &self,
        table: &TableMeta,
        recovery: &PointInTimeRecovery,
        cutoff: f64,
    ) -> Result<(), DynamoError> {
        let cutoff_millis = (cutoff * 1000.0) as u64;
        let (start, end) = keys::history_range(table.id);
        let mut folded = Vec::new();
        let mut txn = self.engine().begin();
        {
            let snapshot = self.engine().snapshot();
            for entry in snapshot.scan(&start, &end, false) {
                let (history_key, record) = entry.map_err(storage_error)?;
                let change = parse_history(&record)?;
                if change.time_millis > cutoff_millis {
                    break;
                }
                let base_key = keys::item_key_in(recovery.base_id, change.item_key)
                    .ok_or_else(|| DynamoError::internal("corrupt history record key"))?;
                match change.stored {
                    Some(stored) => txn.put(&base_key, stored),
                    None => txn.delete(&base_key),
                }
                .map_err(storage_error)?;
                folded.push(history_key);
            }
        }
        let mut moved = table.clone();
        if let Some(r) = &mut moved.point_in_time_recovery {
            r.earliest = cutoff;
        }
        for key in &folded {
            txn.delete(key).map_err(storage_error)?;
        }
        crate::catalog::write_entry(&mut *txn, &moved)?;
        txn.commit().map_err(storage_error)?;
        self.catalog().publish(moved);
        Ok(())
    }
}

/// PointInTimeRecoveryDescription of a table.
pub fn description(table: &TableMeta) -> serde_json::Value {
    match &table.point_in_time_recovery {
        Some(recovery) => serde_json::json!({
            "PointInTimeRecoveryStatus": "ENABLED",
            "EarliestRestorableDateTime": recovery.earliest,
            "LatestRestorableDateTime": crate::now_epoch_seconds(),
            "RecoveryPeriodInDays": recovery.recovery_period_days,
        }),
        None => serde_json::json!({"PointInTimeRecoveryStatus": "DISABLED"}),
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{create_table, open_durable, run};
    use crate::{keys, Operation};

    mod exports_at_any_moment {
        use crate::test_support::{create_table, enable_recovery, run};
        use crate::Operation;
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        fn pause() {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }

        fn millis_now() -> u64 {
            (crate::now_epoch_seconds() * 1000.0) as u64
        }

        /// The items `visit_items_at` gives for the moment, as `pk -> v`.
        fn items_at(db: &crate::Database, at_millis: u64) -> BTreeMap<String, String> {
            let table = db.catalog().get("tbl").unwrap();
            let mut items = BTreeMap::new();
            db.visit_items_at(&table, at_millis, &mut |stored| {
                let item = crate::stored_item::decode(stored)?;
                let text = |name: &str| serde_json::to_value(&item[name]).unwrap().to_string();
                assert!(
                    items.insert(text("pk"), text("v")).is_none(),
                    "an item visited twice"
                );
                Ok(())
            })
            .unwrap();
            items
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

            /// Whatever the writes after recovery was enabled, the table read
            /// for any moment between them is the table as it was then.
            #[test]
            fn the_table_at_each_moment_is_the_one_the_writes_made(
                writes in proptest::collection::vec((0u8..5, any::<bool>(), 0u8..3), 1..12),
            ) {
                let db = crate::test_support::open_cached();
                create_table(&db, "tbl");
                let mut model: BTreeMap<String, String> = BTreeMap::new();
                let pk = |k: u8| serde_json::json!({"S": format!("k{k}")}).to_string();
                let v = |n: u8| serde_json::json!({"N": n.to_string()}).to_string();
                let put = |db: &crate::Database, k: u8, n: u8| {
                    run(db, Operation::PutItem, &format!(r#"{{"TableName":"tbl","Item":{{"pk":{},"v":{}}}}}"#, pk(k), v(n)));
                };
                // Items from before recovery live in its copy.
                for k in 0..2 {
                    put(&db, k, 9);
                    model.insert(pk(k), v(9));
                }
                enable_recovery(&db, "tbl");
                // Each moment is taken right after a write, often in the
                // write's own millisecond (which includes it), and the next
                // write comes a pause later.
                let mut moments = vec![(millis_now(), model.clone())];
                for (k, is_put, n) in writes {
                    pause();
                    if is_put {
                        put(&db, k, n);
                        model.insert(pk(k), v(n));
                    } else {
                        run(&db, Operation::DeleteItem, &format!(r#"{{"TableName":"tbl","Key":{{"pk":{}}}}}"#, pk(k)));
                        model.remove(&pk(k));
                    }
                    moments.push((millis_now(), model.clone()));
                }
                for (at, expected) in moments {
                    prop_assert_eq!(items_at(&db, at), expected);
                }
            }
        }
    }

    fn count(db: &crate::Database, table: &str) -> i64 {
        let scanned = run(
            db,
            Operation::Scan,
            &format!(r#"{{"TableName":"{table}","Select":"COUNT","ConsistentRead":true}}"#),
        );
        scanned["Count"].as_i64().unwrap()
    }

    #[test]
    fn the_earliest_restorable_time_as_a_client_renders_it_is_restorable() {
        let dir = tempfile::tempdir().unwrap();
        let db = open_durable(dir.path());
        create_table(&db, "src");
        let enabled = run(
            &db,
            Operation::UpdateContinuousBackups,
            r#"{"TableName":"src","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}}"#,
        );
        let earliest = enabled["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
            ["EarliestRestorableDateTime"]
            .as_f64()
            .unwrap();
        // Just under the millisecond, as the Rust SDK sends most of them back.
        let restored = run(
            &db,
            Operation::RestoreTableToPointInTime,
            &format!(
                r#"{{"SourceTableName":"src","TargetTableName":"dst","RestoreDateTime":{}}}"#,
                earliest - 0.000_000_5
            ),
        );
        assert_eq!(restored["TableDescription"]["TableName"], "dst");
    }

    #[test]
    fn folding_old_history_keeps_every_later_moment_restorable() {
        let dir = tempfile::tempdir().unwrap();
        let db = open_durable(dir.path());
        create_table(&db, "src");
        run(
            &db,
            Operation::UpdateContinuousBackups,
            r#"{"TableName":"src","PointInTimeRecoverySpecification":{"PointInTimeRecoveryEnabled":true}}"#,
        );
        let put = |pk: &str| {
            run(
                &db,
                Operation::PutItem,
                &format!(r#"{{"TableName":"src","Item":{{"pk":{{"S":"{pk}"}}}}}}"#),
            );
        };
        put("a");
        put("b");
        std::thread::sleep(std::time::Duration::from_millis(20));
        let cutoff = crate::now_epoch_seconds();
        std::thread::sleep(std::time::Duration::from_millis(20));
        put("c");
        run(
            &db,
            Operation::DeleteItem,
            r#"{"TableName":"src","Key":{"pk":{"S":"a"}}}"#,
        );

        let table = db.catalog().get("src").unwrap();
        let recovery = table.point_in_time_recovery.clone().unwrap();
        db.fold_history(&table, &recovery, cutoff).unwrap();
        let (start, end) = keys::history_range(table.id);
        let left = db.engine().snapshot().scan(&start, &end, false).count();
        assert_eq!(left, 2, "the two changes after the cutoff stay");
        let earliest = db
            .catalog()
            .get("src")
            .unwrap()
            .point_in_time_recovery
            .clone()
            .unwrap()
            .earliest;
        assert_eq!(earliest, cutoff);

        run(
            &db,
            Operation::RestoreTableToPointInTime,
            &format!(
                r#"{{"SourceTableName":"src","TargetTableName":"at_cutoff","RestoreDateTime":{cutoff}}}"#
            ),
        );
        assert_eq!(count(&db, "at_cutoff"), 2);
        run(
            &db,
            Operation::RestoreTableToPointInTime,
            r#"{"SourceTableName":"src","TargetTableName":"latest","UseLatestRestorableTime":true}"#,
        );
        assert_eq!(count(&db, "latest"), 2);
        let got = run(
            &db,
            Operation::GetItem,
            r#"{"TableName":"latest","Key":{"pk":{"S":"a"}}}"#,
        );
        assert!(got.get("Item").is_none(), "a was deleted after the cutoff");
    }
}
