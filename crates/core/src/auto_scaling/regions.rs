//! A global table's read scaling in each Region. In DynamoDB each replica
//! is a table of its Region with read capacity of its own, scaled on that
//! Region's reads under settings of its own, while write scaling is one
//! setting kept the same in every Region. So here: the table's own Region
//! reads under the table's settings (`TableMeta::auto_scaling`, each global
//! index's), a replica under its own (`ReplicaMeta::read_scaling`), which
//! move that replica's ProvisionedThroughputOverride; writes have the
//! table's settings in every Region. A new replica starts with a copy of
//! the table's read settings.

use super::{new_target_arn_id, ScalingTarget};
use crate::catalog::{BillingMode, IndexKind, TableMeta};
use crate::global_tables::ReplicaMeta;
use crate::throughput::Direction;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A replica's own read scaling: the table's and its global indexes' by
/// name.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplicaReadScaling {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<ScalingTarget>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub indexes: BTreeMap<String, ScalingTarget>,
}

impl ReplicaReadScaling {
    pub fn is_empty(&self) -> bool {
        self.table.is_none() && self.indexes.is_empty()
    }

    /// A copy of `table`'s read settings, for a replica added to it: the
    /// same bounds and policy under a target of the replica's Region.
    pub fn copied_from(table: &TableMeta) -> ReplicaReadScaling {
        let copy = |target: &ScalingTarget| ScalingTarget {
            created: crate::now_epoch_seconds(),
            arn_id: new_target_arn_id(),
            ..target.clone()
        };
        ReplicaReadScaling {
            table: table.auto_scaling.read.as_ref().map(copy),
            indexes: (table.indexes.iter())
                .filter(|i| i.kind == IndexKind::Global)
                .filter_map(|i| Some((i.name.clone(), copy(i.auto_scaling.read.as_ref()?))))
                .collect(),
        }
    }
}

impl ReplicaMeta {
    /// Sets the Region's read capacity of the table (`index` None) or of a
    /// global index, as its ProvisionedThroughputOverride.
    fn set_read_override(&mut self, index: Option<&str>, units: i64) {
        match index {
            None => self.read_capacity_units = Some(units),
            Some(name) => {
                let overrides = &mut self.index_read_capacity_units;
                match overrides.iter_mut().find(|(n, _)| n == name) {
                    Some((_, slot)) => *slot = units,
                    None => overrides.push((name.to_string(), units)),
                }
            }
        }
    }
}

impl TableMeta {
    /// The replica in `region` whose own settings scale capacity in
    /// `direction`: reads in a replica's Region; None for writes and for
    /// the table's own Region, which use the table's settings.
    fn scaling_replica(&self, region: &str, direction: Direction) -> Option<&ReplicaMeta> {
        if direction == Direction::Write || region == self.region {
            return None;
        }
        self.replicas.iter().find(|r| r.region == region)
    }

    /// The scalable target of one capacity, of the table (`index` None) or
    /// of a global index, as requests signed for `region` see it.
    pub fn target_in(
        &self,
        region: &str,
        index: Option<&str>,
        direction: Direction,
    ) -> Option<&ScalingTarget> {
        let table_target = self.capacity_scaling(index)?.get(direction);
        let Some(replica) = self.scaling_replica(region, direction) else {
            return table_target;
        };
        match index {
            None => replica.read_scaling.table.as_ref(),
            Some(name) => replica.read_scaling.indexes.get(name),
        }
    }

    /// Runs `change` on the slot of one capacity's scalable target as
    /// `region` sees it (`target_in`); None when there is no such global
    /// index.
    pub fn change_target_in<R>(
        &mut self,
        region: &str,
        index: Option<&str>,
        direction: Direction,
        change: impl FnOnce(&mut Option<ScalingTarget>) -> R,
    ) -> Option<R> {
        self.capacity_scaling(index)?;
        let own_settings = self.scaling_replica(region, direction).is_none();
        if own_settings {
            return Some(change(self.capacity_scaling_mut(index)?.slot(direction)));
        }
        let replica = self.replicas.iter_mut().find(|r| r.region == region)?;
        let scaling = &mut replica.read_scaling;
        let Some(name) = index else {
            return Some(change(&mut scaling.table));
        };
        let mut slot = scaling.indexes.remove(name);
        let answer = change(&mut slot);
        if let Some(target) = slot {
            scaling.indexes.insert(name.to_string(), target);
        }
        Some(answer)
    }

    /// The provisioned units of one capacity in `region`: a Region's reads
    /// run under its override, else the table's units.
    pub fn units_in(&self, region: &str, index: Option<&str>, direction: Direction) -> Option<i64> {
        let units = self.provisioned_units(index, direction)?;
        if direction == Direction::Write || self.billing_mode != BillingMode::Provisioned {
            return Some(units);
        }
        let overridden = (self.overrides_in(region))
            .and_then(|replica| replica.read_override(BillingMode::Provisioned, index));
        Some(overridden.unwrap_or(units))
    }

    /// Moves one capacity in `region` to `units`, as UpdateTable would: a
    /// replica's reads through its override, the table's own Region's
    /// through its override when it has one, else the table's capacity
    /// (with UpdateTable's dates and counts). False when the index is gone
    /// or the table has no replica in `region`.
    pub fn scale_in(
        &mut self,
        region: &str,
        index: Option<&str>,
        direction: Direction,
        units: i64,
        now: f64,
    ) -> bool {
        if direction == Direction::Write || !self.is_global() {
            return self.scale_capacity_to(index, direction, units, now);
        }
        if self.capacity_scaling(index).is_none() {
            return false;
        }
        let own = region == self.region;
        let replica = match own {
            true => (self.own_region_overrides.as_mut())
                .filter(|r| r.read_override(BillingMode::Provisioned, index).is_some()),
            false => self.replicas.iter_mut().find(|r| r.region == region),
        };
        match replica {
            Some(replica) => {
                replica.set_read_override(index, units);
                true
            }
            None if own => self.scale_capacity_to(index, direction, units, now),
            None => false,
        }
    }

    /// Whether capacity in `direction` scales in each Region on its own:
    /// a global table's reads.
    pub fn scales_by_region(&self, direction: Direction) -> bool {
        direction == Direction::Read && self.is_global()
    }

    /// The Regions whose reads scale under settings of their own: the
    /// table's alone unless it is global.
    pub fn read_scaling_regions(&self) -> Vec<&str> {
        std::iter::once(self.region.as_str())
            .chain(self.replicas.iter().map(|r| r.region.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{IndexProjection, Throughput};

    fn target(min: i64, max: i64) -> ScalingTarget {
        ScalingTarget {
            minimum_units: min,
            maximum_units: max,
            role_arn: "arn".into(),
            policy: None,
            created: 0.0,
            arn_id: "table-target".into(),
            suspended: Default::default(),
            tags: Default::default(),
            scheduled_actions: Vec::new(),
        }
    }

    /// A provisioned table of 5 units each way in us-east-1, with the
    /// global index `g`; reads and writes of both scale.
    fn scaling_table() -> TableMeta {
        let mut table = crate::index::tests::table(IndexProjection::All);
        table.billing_mode = BillingMode::Provisioned;
        let five = Throughput {
            read_capacity_units: 5,
            write_capacity_units: 5,
            ..Throughput::default()
        };
        table.throughput = five.clone();
        table.indexes[0].throughput = five;
        table.auto_scaling.read = Some(target(5, 50));
        table.auto_scaling.write = Some(target(5, 40));
        table.indexes[0].auto_scaling.read = Some(target(5, 30));
        table
    }

    fn maximum(table: &TableMeta, region: &str, index: Option<&str>, d: Direction) -> i64 {
        table.target_in(region, index, d).unwrap().maximum_units
    }

    #[test]
    fn a_replicas_reads_scale_under_settings_of_their_own() {
        let mut table = scaling_table();
        let mut replica = ReplicaMeta::new("eu-west-1");
        replica.read_scaling = ReplicaReadScaling::copied_from(&table);
        table.replicas.push(replica);
        table.region_bound = true;

        // A copy of the table's read settings, under a target of its own.
        let copied = table.target_in("eu-west-1", None, Direction::Read).unwrap();
        assert_eq!(copied.maximum_units, 50);
        assert_ne!(copied.arn_id, "table-target");
        assert_eq!(maximum(&table, "eu-west-1", Some("g"), Direction::Read), 30);

        // Changed in eu-west-1, the table's own Region keeps its settings;
        // writes are the table's seen from either Region.
        (table.change_target_in("eu-west-1", None, Direction::Read, |slot| {
            slot.as_mut().unwrap().maximum_units = 20
        }))
        .unwrap();
        assert_eq!(maximum(&table, "eu-west-1", None, Direction::Read), 20);
        assert_eq!(maximum(&table, "us-east-1", None, Direction::Read), 50);
        assert_eq!(maximum(&table, "eu-west-1", None, Direction::Write), 40);
        (table.change_target_in("eu-west-1", Some("g"), Direction::Read, |slot| *slot = None))
            .unwrap();
        assert!(table
            .target_in("eu-west-1", Some("g"), Direction::Read)
            .is_none());
        assert_eq!(maximum(&table, "us-east-1", Some("g"), Direction::Read), 30);
        assert!(
            (table.change_target_in("eu-west-1", Some("nope"), Direction::Read, |_| ())).is_none()
        );

        // Scaling eu-west-1's reads sets its override; the table's own
        // Region reads under the table's capacity.
        assert!(table.scale_in("eu-west-1", None, Direction::Read, 15, 0.0));
        assert!(table.scale_in("eu-west-1", Some("g"), Direction::Read, 9, 0.0));
        assert_eq!(table.units_in("eu-west-1", None, Direction::Read), Some(15));
        assert_eq!(
            table.units_in("eu-west-1", Some("g"), Direction::Read),
            Some(9)
        );
        assert_eq!(table.units_in("us-east-1", None, Direction::Read), Some(5));
        assert_eq!(table.throughput.read_capacity_units, 5);
        assert!(table.scale_in("us-east-1", None, Direction::Read, 7, 0.0));
        assert_eq!(table.units_in("us-east-1", None, Direction::Read), Some(7));
        assert_eq!(table.units_in("eu-west-1", None, Direction::Read), Some(15));
        assert!(!table.scale_in("ap-south-1", None, Direction::Read, 7, 0.0));

        // The table's own Region deleted: eu-west-1 takes its place, with
        // its read settings as the table's and its capacity kept.
        table.replicas.push(ReplicaMeta::new("ap-south-1"));
        table.pass_own_region_to("eu-west-1");
        assert_eq!(table.region, "eu-west-1");
        assert_eq!(maximum(&table, "eu-west-1", None, Direction::Read), 20);
        assert!(table
            .target_in("eu-west-1", Some("g"), Direction::Read)
            .is_none());
        assert_eq!(table.units_in("eu-west-1", None, Direction::Read), Some(15));
        assert!(table.scale_in("eu-west-1", None, Direction::Read, 18, 0.0));
        assert_eq!(table.units_in("eu-west-1", None, Direction::Read), Some(18));
        // ap-south-1 has no override: the table's capacity.
        assert_eq!(table.units_in("ap-south-1", None, Direction::Read), Some(7));
        assert!(table
            .target_in("ap-south-1", None, Direction::Read)
            .is_none());
    }
}
