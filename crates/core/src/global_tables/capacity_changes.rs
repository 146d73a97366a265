//! When each Region's provisioned capacity last went up and down.
//!
//! A replica is a table of its Region: its ProvisionedThroughput is its
//! own read capacity (its override, else the table's) beside the table's
//! write capacity, and its LastIncreaseDateTime, LastDecreaseDateTime and
//! NumberOfDecreasesToday count changes of those two numbers, from the
//! replica's creation on: a replica made after the table's capacity last
//! moved has none, and a change of one Region's read override is that
//! Region's alone. The table's own Region keeps the table's record
//! (`Throughput::change_to`) until an override of its own moves it.

use super::ReplicaMeta;
use crate::catalog::{BillingMode, IndexKind, TableMeta, Throughput};
use dynalith_model::DynamoError;
use serde::{Deserialize, Serialize};

/// One Region's record of the table's (`index` None) or a global index's
/// provisioned capacity: the units as last changed, and when they rose
/// and fell.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CapacityChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<String>,
    pub throughput: Throughput,
}

impl ReplicaMeta {
    /// The Region's record for the table (`index` None) or a global index,
    /// if its capacity there has moved since the record began.
    pub fn capacity_changes(&self, index: Option<&str>) -> Option<&Throughput> {
        (self.capacity_changes.iter())
            .find(|c| c.index.as_deref() == index)
            .map(|c| &c.throughput)
    }
}

impl TableMeta {
    /// The provisioned (read, write) units of the table (`index` None) or a
    /// global index in `region`: the Region's read override, else the
    /// table's read capacity, and the table's write capacity. None on an
    /// on-demand table and for an index the table does not have.
    fn provisioned_in(&self, region: &str, index: Option<&str>) -> Option<(i64, i64)> {
        if self.billing_mode != BillingMode::Provisioned {
            return None;
        }
        let throughput = match index {
            None => &self.throughput,
            Some(name) => {
                let global = |i: &&crate::catalog::IndexMeta| i.kind == IndexKind::Global;
                let index = self
                    .indexes
                    .iter()
                    .filter(global)
                    .find(|i| i.name == name)?;
                &index.throughput
            }
        };
        let overridden = (self.overrides_in(region))
            .and_then(|replica| replica.read_override(BillingMode::Provisioned, index));
        Some((
            overridden.unwrap_or(throughput.read_capacity_units),
            throughput.write_capacity_units,
        ))
    }

    /// What DescribeTable in `region` reports of the table's (`index`
    /// None) or a global index's capacity changes: the Region's own record
    /// where it has one; else, in the table's own Region, the table's; in
    /// a replica's, none (its capacity has not moved since it was made).
    pub fn capacity_changes_in(&self, region: &str, index: Option<&str>) -> Throughput {
        if let Some(own) = self
            .overrides_in(region)
            .and_then(|r| r.capacity_changes(index))
        {
            return own.clone();
        }
        if region != self.region {
            return Throughput::default();
        }
        match index {
            None => self.throughput.clone(),
            Some(name) => (self.index(name))
                .map(|i| i.throughput.clone())
                .unwrap_or_default(),
        }
    }

    /// Refuses a change from `before` that decreases a capacity in some
    /// Region past DynamoDB's daily limit (`Throughput::check_decrease`),
    /// counted on what that Region reports: the table's own Region (and
    /// any regional table) the table's and its indexes' records, a
    /// replica its own.
    fn check_capacity_decreases(&self, before: &TableMeta, now: f64) -> Result<(), DynamoError> {
        let mut regions = vec![self.region.as_str()];
        regions.extend(self.replicas.iter().map(|r| r.region.as_str()));
        let mut capacities = vec![None];
        capacities.extend(
            (self.indexes.iter())
                .filter(|i| i.kind == IndexKind::Global)
                .map(|i| Some(i.name.as_str())),
        );
        for region in regions.into_iter().filter(|r| before.is_in_region(r)) {
            for &index in &capacities {
                let (Some(old), Some(new)) = (
                    before.provisioned_in(region, index),
                    self.provisioned_in(region, index),
                ) else {
                    continue;
                };
                let mut record = before.capacity_changes_in(region, index);
                record.read_capacity_units = old.0;
                record.write_capacity_units = old.1;
                record.check_decrease(new.0, new.1, now)?;
            }
        }
        Ok(())
    }

    /// Moves capacities into a scaling target's new bounds (`moves`), as
    /// registering or changing the target does, unless that would
    /// decrease one past DynamoDB's daily limit: the target's settings
    /// stand, the capacities stay (DynamoDB's auto scaling fails such a
    /// move as a scaling activity, and the scaler here moves them once its
    /// alarms call for it and the limit allows).
    pub fn move_into_bounds(
        &mut self,
        before: &TableMeta,
        now: f64,
        moves: impl FnOnce(&mut TableMeta),
    ) {
        let mut moved = self.clone();
        moves(&mut moved);
        if moved.record_capacity_changes(before, now).is_ok() {
            *self = moved;
        }
    }

    /// Records, in every Region with overrides of its own (each replica,
    /// and the own Region once it has some), each capacity whose units
    /// there differ from what they were in `before`, as changed at `now`.
    /// A Region `before` did not have (a replica just made) starts with no
    /// record. Refuses, first, a decrease past DynamoDB's daily limit
    /// (`check_capacity_decreases`). Called by every operation that moves
    /// capacity, before it saves the table.
    pub fn record_capacity_changes(
        &mut self,
        before: &TableMeta,
        now: f64,
    ) -> Result<(), DynamoError> {
        self.check_capacity_decreases(before, now)?;
        let mut capacities = vec![None];
        capacities.extend(
            (self.indexes.iter())
                .filter(|i| i.kind == IndexKind::Global)
                .map(|i| Some(i.name.clone())),
        );
        // A deleted index's records go with it.
        let replicas = self
            .replicas
            .iter_mut()
            .chain(&mut self.own_region_overrides);
        for replica in replicas {
            (replica.capacity_changes).retain(|c| capacities.contains(&c.index));
        }
        let mut regions: Vec<String> = self.replicas.iter().map(|r| r.region.clone()).collect();
        if self.own_region_overrides.is_some() {
            regions.push(self.region.clone());
        }
        for region in regions.iter().filter(|r| before.is_in_region(r)) {
            for index in capacities.iter().map(Option::as_deref) {
                let (Some(old), Some(new)) = (
                    before.provisioned_in(region, index),
                    self.provisioned_in(region, index),
                ) else {
                    continue;
                };
                if old == new {
                    continue;
                }
                // A record goes on from what the Region reported before
                // this change (not from the table's record, which the
                // same change may already have moved).
                let mut record = before.capacity_changes_in(region, index);
                record.read_capacity_units = old.0;
                record.write_capacity_units = old.1;
                record.change_to(new.0, new.1, now);
                let replica = if *region == self.region {
                    self.own_region_overrides.as_mut()
                } else {
                    self.replicas.iter_mut().find(|r| r.region == *region)
                };
                if let Some(replica) = replica {
                    replica
                        .capacity_changes
                        .retain(|c| c.index.as_deref() != index);
                    replica.capacity_changes.push(CapacityChanges {
                        index: index.map(str::to_string),
                        throughput: record,
                    });
                }
            }
        }
        Ok(())
    }

    /// The replica that becomes the table's own Region brings its record:
    /// the table's and its indexes' change times become the successor's
    /// (none where it had none: its capacity had not moved).
    pub(super) fn take_capacity_changes_of(&mut self, successor: &mut ReplicaMeta) {
        let changes = std::mem::take(&mut successor.capacity_changes);
        let find = |index: Option<&str>| {
            (changes.iter())
                .find(|c| c.index.as_deref() == index)
                .map(|c| c.throughput.clone())
                .unwrap_or_default()
        };
        adopt_times(&mut self.throughput, &find(None));
        let global = self
            .indexes
            .iter_mut()
            .filter(|i| i.kind == IndexKind::Global);
        for index in global {
            adopt_times(&mut index.throughput, &find(Some(&index.name)));
        }
    }
}

/// Takes `from`'s change times, keeping `to`'s units.
fn adopt_times(to: &mut Throughput, from: &Throughput) {
    to.last_increase = from.last_increase;
    to.last_decrease = from.last_decrease;
    to.decreases_today = from.decreases_today;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::IndexProjection;
    use crate::throughput::Direction;

    /// A provisioned table of 5 units each way in us-east-1 with the
    /// global index `g`, whose capacity last rose at 100 s, and a replica
    /// in eu-west-1 made after that.
    fn global_table() -> TableMeta {
        let mut table = crate::index::tests::table(IndexProjection::All);
        table.billing_mode = BillingMode::Provisioned;
        let five = Throughput {
            read_capacity_units: 5,
            write_capacity_units: 5,
            last_increase: Some(100.0),
            ..Throughput::default()
        };
        table.throughput = five.clone();
        table.indexes[0].throughput = five;
        table.replicas.push(ReplicaMeta::new("eu-west-1"));
        table.region_bound = true;
        table
    }

    /// Changes `table` with `change` at `now` as an operation does.
    fn change(table: &mut TableMeta, now: f64, change: impl FnOnce(&mut TableMeta)) {
        let before = table.clone();
        change(table);
        table.record_capacity_changes(&before, now).unwrap();
    }

    fn times(changes: &Throughput) -> (Option<f64>, Option<f64>, i64) {
        let today = changes.last_decrease.unwrap_or(0.0);
        let decreases = changes.decreases_on(today);
        (changes.last_increase, changes.last_decrease, decreases)
    }

    #[test]
    fn each_region_reports_its_own_capacity_changes() {
        let mut table = global_table();
        // The table's own Region has the table's record; the replica,
        // made since, has seen no change.
        assert_eq!(
            times(&table.capacity_changes_in("us-east-1", None)),
            (Some(100.0), None, 0)
        );
        assert_eq!(
            times(&table.capacity_changes_in("eu-west-1", None)),
            (None, None, 0)
        );

        // The replica's read override rises: its change alone.
        change(&mut table, 200.0, |t| {
            t.scale_in("eu-west-1", None, Direction::Read, 15, 200.0);
        });
        assert_eq!(
            times(&table.capacity_changes_in("eu-west-1", None)),
            (Some(200.0), None, 0)
        );
        assert_eq!(
            times(&table.capacity_changes_in("us-east-1", None)),
            (Some(100.0), None, 0)
        );
        assert!(table.replicas[0].capacity_changes(Some("g")).is_none());

        // The table's write capacity falls: every Region's does.
        change(&mut table, 300.0, |t| t.throughput.change_to(5, 3, 300.0));
        assert_eq!(
            times(&table.capacity_changes_in("eu-west-1", None)),
            (Some(200.0), Some(300.0), 1)
        );
        assert_eq!(
            times(&table.capacity_changes_in("us-east-1", None)),
            (Some(100.0), Some(300.0), 1)
        );

        // With an override of its own, the own Region keeps a record of
        // its own, going on from the table's: one decrease more, not two.
        let mut own = ReplicaMeta::new("us-east-1");
        own.read_capacity_units = Some(9);
        table.own_region_overrides = Some(own);
        change(&mut table, 400.0, |t| t.throughput.change_to(5, 2, 400.0));
        assert_eq!(
            times(&table.capacity_changes_in("us-east-1", None)),
            (Some(100.0), Some(400.0), 2)
        );
        assert_eq!(times(&table.throughput), (Some(100.0), Some(400.0), 2));
        assert_eq!(
            times(&table.capacity_changes_in("eu-west-1", None)),
            (Some(200.0), Some(400.0), 2)
        );

        // An index's record goes with the index.
        change(&mut table, 500.0, |t| {
            t.scale_in("eu-west-1", Some("g"), Direction::Read, 9, 500.0);
        });
        assert_eq!(
            times(&table.capacity_changes_in("eu-west-1", Some("g"))),
            (Some(500.0), None, 0)
        );
        let index = table.indexes.remove(0);
        change(&mut table, 600.0, |_| ());
        table.indexes.push(index);
        assert_eq!(
            times(&table.capacity_changes_in("eu-west-1", Some("g"))),
            (None, None, 0)
        );

        // eu-west-1 becomes the table's own Region with its record.
        table.pass_own_region_to("eu-west-1");
        assert_eq!(times(&table.throughput), (Some(200.0), Some(400.0), 2));
        assert_eq!(
            times(&table.capacity_changes_in("eu-west-1", None)),
            (Some(200.0), Some(400.0), 2)
        );
        assert_eq!(times(&table.indexes[0].throughput), (None, None, 0));
    }
}
