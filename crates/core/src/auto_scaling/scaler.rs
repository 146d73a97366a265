//! The scaler: one thread that, once a period, reads what each scaling
//! capacity consumed (the counters `throughput` keeps for CloudWatch's
//! ConsumedRead/WriteCapacityUnits) and moves its provisioned capacity as
//! a target tracking policy does.
//!
//! A period is one of the alarms' data points: a minute in DynamoDB, and
//! here by default (`--auto-scaling-period-ms` shortens it, so that tests
//! and demonstrations need not wait minutes). The policy scales out after
//! `HIGH_ALARM_PERIODS` consecutive periods above the target utilization
//! and in after `LOW_ALARM_PERIODS` consecutive periods well under it, the
//! data points of the alarms Application Auto Scaling creates for a
//! DynamoDB target; either way to the capacity at which the last period's
//! consumption would have been at the target, within the target's bounds.
//! Cooldowns hold back the next change in the same direction, and a scale
//! in also waits out the scale-out cooldown (availability first).
//!
//! Each period it also runs the scheduled actions whose time came since
//! the last one (`schedule`), and logs what it changed, and what the
//! bounds kept it from changing, as scaling activities (`activities`).
//!
//! Changes go through the catalog as UpdateTable's do, so DescribeTable
//! reports them with their LastIncrease/DecreaseDateTime, and throttling
//! (`--enforce-throughput`) follows the new capacity at once.

use super::activities::{Activity, NotScaled};
use super::ScalingTarget;
use crate::catalog::{BillingMode, IndexKind, TableMeta};
use crate::throughput::Direction;
use crate::Database;
use dynalith_model::DynamoError;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Weak;
use std::time::{Duration, Instant};

/// DynamoDB's period: CloudWatch's one-minute data points.
pub const DEFAULT_PERIOD: Duration = Duration::from_secs(60);
/// Consecutive periods above the target before a scale out.
const HIGH_ALARM_PERIODS: u32 = 2;
/// Consecutive periods under the low threshold before a scale in.
const LOW_ALARM_PERIODS: u32 = 15;
/// How far under the target (in points of utilization) a period must be
/// to count towards a scale in, so that a load near the target does not
/// make the capacity swing.
const LOW_ALARM_MARGIN: f64 = 20.0;

/// What the scaler remembers of one capacity between periods.
#[derive(Debug)]
pub(crate) struct Tracker {
    /// The consumption counter at the last reading, and when it was read.
    consumed: f64,
    read_at: Instant,
    above: u32,
    below: u32,
    last_scale_out: Option<Instant>,
    last_scale_in: Option<Instant>,
    /// The last refusal reported while an alarm stays on, so that it is
    /// reported once, not every period.
    last_not_scaled: Option<AlreadyAt>,
}

/// What a policy decides in one period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Move the capacity to this many units.
    Scale(i64),
    /// An alarm asks for a change the bounds leave no room for.
    NotScaled(AlreadyAt),
}

/// Application Auto Scaling's NotScaledReason codes that apply here:
/// the capacity is already at its maximum, minimum or the desired one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AlreadyAt {
    Maximum,
    Minimum,
    Desired,
}

impl AlreadyAt {
    pub(crate) fn name(self) -> &'static str {
        match self {
            AlreadyAt::Maximum => "AlreadyAtMaxCapacity",
            AlreadyAt::Minimum => "AlreadyAtMinCapacity",
            AlreadyAt::Desired => "AlreadyAtDesiredCapacity",
        }
    }
}

impl Tracker {
    pub(crate) fn new(consumed: f64, now: Instant) -> Tracker {
        Tracker {
            consumed,
            read_at: now,
            above: 0,
            below: 0,
            last_scale_out: None,
            last_scale_in: None,
            last_not_scaled: None,
        }
    }

    /// Takes one period's reading of the consumption counter
    /// (`consumed_total`, in units since the server started) for a
    /// capacity provisioned at `provisioned`, and returns what the policy
    /// decides now, if anything: the capacity to move to, or a refusal
    /// (once for as long as its alarm stays on).
    pub(crate) fn observe(
        &mut self,
        target: &ScalingTarget,
        consumed_total: f64,
        provisioned: i64,
        now: Instant,
    ) -> Option<Decision> {
        let elapsed = now.duration_since(self.read_at).as_secs_f64();
        let consumed = (consumed_total - self.consumed).max(0.0);
        self.consumed = consumed_total;
        self.read_at = now;
        let policy = target.policy.as_ref()?;
        if elapsed <= 0.0 {
            return None;
        }
        let rate = consumed / elapsed;
        let utilization = 100.0 * rate / provisioned.max(1) as f64;
        self.above = if utilization > policy.target_value {
            self.above + 1
        } else {
            0
        };
        self.below = if utilization < policy.target_value - LOW_ALARM_MARGIN {
            self.below + 1
        } else {
            0
        };
        let wanted = (rate * 100.0 / policy.target_value).ceil();
        let desired = (wanted.min(target.maximum_units as f64) as i64)
            .clamp(target.minimum_units, target.maximum_units);
        let cooled = |last: Option<Instant>, seconds: Option<i64>| {
            let cooldown = Duration::from_secs(seconds.unwrap_or(0).max(0) as u64);
            last.is_none_or(|at| now.duration_since(at) >= cooldown)
        };
        if self.above >= HIGH_ALARM_PERIODS
            && !target.suspended.scale_out
            && cooled(self.last_scale_out, policy.scale_out_cooldown)
        {
            if desired <= provisioned {
                let code = if provisioned >= target.maximum_units {
                    AlreadyAt::Maximum
                } else {
                    AlreadyAt::Desired
                };
                return self.refused(code);
            }
            self.above = 0;
            self.last_scale_out = Some(now);
            self.last_not_scaled = None;
            return Some(Decision::Scale(desired));
        }
        if self.below >= LOW_ALARM_PERIODS
            && !policy.disable_scale_in
            && !target.suspended.scale_in
            && cooled(self.last_scale_in, policy.scale_in_cooldown)
            && cooled(self.last_scale_out, policy.scale_out_cooldown)
        {
            if desired >= provisioned {
                let code = if provisioned <= target.minimum_units {
                    AlreadyAt::Minimum
                } else {
                    AlreadyAt::Desired
                };
                return self.refused(code);
            }
            self.below = 0;
            self.last_scale_in = Some(now);
            self.last_not_scaled = None;
            return Some(Decision::Scale(desired));
        }
        if self.above < HIGH_ALARM_PERIODS && self.below < LOW_ALARM_PERIODS {
            // Both alarms are off: the next refusal is news again.
            self.last_not_scaled = None;
        }
        None
    }

    /// A refusal, reported when it differs from the last one.
    fn refused(&mut self, code: AlreadyAt) -> Option<Decision> {
        if self.last_not_scaled == Some(code) {
            return None;
        }
        self.last_not_scaled = Some(code);
        Some(Decision::NotScaled(code))
    }
}

impl Database {
    /// Starts the scaler unless it runs already. Called when a capacity
    /// is set to scale and at start-up when some table has one.
    pub(crate) fn start_scaler(&self) {
        if self.scaler_started.swap(true, Ordering::AcqRel) {
            return;
        }
        let db = self.self_ref.clone();
        let period = self.auto_scaling_period;
        let spawned = std::thread::Builder::new()
            .name("dynalith-scaler".into())
            .spawn(move || scale_until_closed(db, period));
        if let Err(e) = spawned {
            tracing::error!(%e, "cannot start the auto scaler; capacities stay as they are");
            self.scaler_started.store(false, Ordering::Release);
        }
    }

    /// Starts the scaler if a table has a scaling capacity.
    pub(crate) fn resume_scaling(&self) {
        let scaling = self
            .catalog()
            .names()
            .iter()
            .any(|name| self.catalog().get(name).is_some_and(|t| t.scales()));
        if scaling {
            self.start_scaler();
        }
    }

    /// Sets one provisioned capacity of the table (or of its global index
    /// `index`) with the table id `id`, as UpdateTable would. A table
    /// since deleted or re-created, or one that cannot change now, is left.
    pub(crate) fn set_scaled_capacity(
        &self,
        table: &TableMeta,
        capacity: &ScalingCapacity<'_>,
        units: i64,
    ) -> Result<(), DynamoError> {
        let (region, index, direction) = (capacity.region, capacity.index, capacity.direction);
        let _changes = self.catalog().lock_changes();
        let current = self.catalog().require_changeable(&table.name)?;
        if current.id != table.id || current.billing_mode != BillingMode::Provisioned {
            return Ok(());
        }
        let mut changed = (*current).clone();
        changed.record_warm_throughput();
        let now = crate::now_epoch_seconds();
        if !changed.scale_in(region, index, direction, units, now) {
            return Ok(());
        }
        changed.record_capacity_changes(&current, now)?;
        self.save_table(&changed)?;
        self.catalog().publish(changed);
        Ok(())
    }

    /// Runs the scheduled action `name` of one capacity of `table` (as
    /// read by the scaler): the target takes the action's bounds, and a
    /// capacity outside them moves in. Returns the units it moved to, if
    /// it moved. A table since deleted or re-created, or an action since
    /// removed, is left.
    pub(crate) fn run_scheduled_action(
        &self,
        table: &TableMeta,
        capacity: &ScalingCapacity<'_>,
        name: &str,
    ) -> Result<Option<i64>, DynamoError> {
        let (region, index, direction) = (capacity.region, capacity.index, capacity.direction);
        let _changes = self.catalog().lock_changes();
        let current = self.catalog().require_changeable(&table.name)?;
        if current.id != table.id || current.billing_mode != BillingMode::Provisioned {
            return Ok(None);
        }
        let Some(provisioned) = current.units_in(region, index, direction) else {
            return Ok(None);
        };
        let mut changed = (*current).clone();
        let ran = changed.change_target_in(region, index, direction, |slot| {
            let target = slot.as_mut()?;
            let action = target.scheduled_actions.iter().find(|a| a.name == name)?;
            let (minimum, maximum) = action.bounds(target.minimum_units, target.maximum_units);
            target.minimum_units = minimum;
            target.maximum_units = maximum;
            Some(provisioned.clamp(minimum, maximum))
        });
        let Some(moved) = ran.flatten() else {
            return Ok(None);
        };
        if moved != provisioned {
            let now = crate::now_epoch_seconds();
            changed.record_warm_throughput();
            changed.scale_in(region, index, direction, moved, now);
            changed.record_capacity_changes(&current, now)?;
        }
        self.save_table(&changed)?;
        self.catalog().publish(changed);
        Ok((moved != provisioned).then_some(moved))
    }
}

/// Runs the scheduled actions of `table` whose times fell in the window
/// (`after`, `until`] of epoch seconds, logging the capacities they move.
fn run_scheduled_actions(db: &Database, table: &TableMeta, after: f64, until: f64) {
    for capacity in scaling_capacities(table) {
        let (index, direction, target) = (capacity.index, capacity.direction, capacity.target);
        if target.suspended.scheduled {
            continue;
        }
        for action in &target.scheduled_actions {
            if !action.runs_between(after, until) {
                continue;
            }
            tracing::info!(table = %table.name, region = capacity.region, index, direction = direction.name(), action = %action.name, "scheduled scaling");
            let cause = format!("scheduled action name {} was triggered", action.name);
            match db.run_scheduled_action(table, &capacity, &action.name) {
                Ok(Some(units)) => {
                    db.record_scaling_activity(capacity.activity(&table.name, units, cause))
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(table = %table.name, %e, "scheduled action failed");
                    let units = action.minimum_units.or(action.maximum_units).unwrap_or(0);
                    let mut activity = capacity.activity(&table.name, units, cause);
                    activity.failure = Some(e.message);
                    db.record_scaling_activity(activity);
                }
            }
        }
    }
}

/// One scaling capacity of a table.
pub(crate) struct ScalingCapacity<'t> {
    /// The table's or global index's id, its consumption's key.
    id: u32,
    /// The Region it scales in: a global table's reads scale in each
    /// Region (`regions`); everything else in the table's own.
    region: &'t str,
    /// Its global index's name; None: the table's own.
    index: Option<&'t str>,
    direction: Direction,
    target: &'t ScalingTarget,
    provisioned: i64,
    /// Whether it scales in `region` alone (`TableMeta::scales_by_region`).
    by_region: bool,
}

impl ScalingCapacity<'_> {
    /// An activity of this capacity (of its Region, when it scales in each).
    fn activity(&self, table: &str, units: i64, cause: String) -> Activity {
        Activity::new(table, self.index, self.direction, units, cause)
            .in_region(self.by_region.then_some(self.region))
    }
}

/// Each scaling capacity of `table`.
fn scaling_capacities(table: &TableMeta) -> Vec<ScalingCapacity<'_>> {
    let owners = std::iter::once((table.id, None)).chain(
        (table.indexes.iter())
            .filter(|i| i.kind == IndexKind::Global)
            .map(|i| (i.id, Some(i.name.as_str()))),
    );
    let mut capacities = Vec::new();
    for (id, index) in owners {
        for direction in [Direction::Read, Direction::Write] {
            let regions = match direction {
                Direction::Read => table.read_scaling_regions(),
                Direction::Write => vec![table.region.as_str()],
            };
            for region in regions {
                let Some(target) = table.target_in(region, index, direction) else {
                    continue;
                };
                capacities.push(ScalingCapacity {
                    id,
                    region,
                    index,
                    direction,
                    target,
                    provisioned: table.units_in(region, index, direction).unwrap_or(0),
                    by_region: table.scales_by_region(direction),
                });
            }
        }
    }
    capacities
}

/// An activity's cause: the alarm that went off and the policy it set
/// going, as Application Auto Scaling words it.
fn alarm_cause(
    table: &TableMeta,
    index: Option<&str>,
    target: &ScalingTarget,
    out: bool,
) -> String {
    let Some(policy) = &target.policy else {
        return String::new();
    };
    let alarm = super::alarm_name(
        &super::resource_id(&table.name, index),
        policy,
        usize::from(!out),
    );
    format!(
        "monitor alarm {alarm} in state ALARM triggered policy {}",
        policy.name
    )
}

/// Observes every scaling capacity once a period until the database is
/// gone.
fn scale_until_closed(db: Weak<Database>, period: Duration) {
    let mut trackers: HashMap<(u32, Direction, Option<String>), Tracker> = HashMap::new();
    // Scheduled actions run when their time falls after the last check.
    let mut checked_until = crate::now_epoch_seconds();
    loop {
        std::thread::sleep(period);
        let Some(db) = db.upgrade() else {
            return;
        };
        let now = Instant::now();
        let (after, until) = (checked_until, crate::now_epoch_seconds());
        checked_until = until;
        for name in db.catalog().names() {
            if let Some(table) = db.catalog().get(&name).filter(|t| t.scales()) {
                run_scheduled_actions(&db, &table, after, until);
            }
        }
        let mut seen = HashSet::new();
        for name in db.catalog().names() {
            let Some(table) = db.catalog().get(&name) else {
                continue;
            };
            if table.billing_mode != BillingMode::Provisioned || !table.scales() {
                continue;
            }
            for capacity in scaling_capacities(&table) {
                let ScalingCapacity {
                    id,
                    region,
                    index,
                    direction,
                    target,
                    provisioned,
                    by_region,
                } = capacity;
                // A global table's reads are counted by Region; a table
                // that becomes global (or regional again) starts a new
                // tracker rather than compare one counter with another.
                let key = (id, direction, by_region.then(|| region.to_string()));
                let usage = db.throughput().usage(id);
                let consumed = match direction {
                    Direction::Read if by_region => db.throughput().regional_read_units(id, region),
                    Direction::Read => usage.read_units,
                    Direction::Write => usage.write_units,
                };
                seen.insert(key.clone());
                let tracker = trackers
                    .entry(key)
                    .or_insert_with(|| Tracker::new(consumed, now));
                let units = match tracker.observe(target, consumed, provisioned, now) {
                    Some(Decision::Scale(units)) => units,
                    Some(Decision::NotScaled(code)) => {
                        let out = code != AlreadyAt::Minimum && tracker.above >= HIGH_ALARM_PERIODS;
                        let cause = alarm_cause(&table, index, target, out);
                        let mut activity = capacity.activity(&name, provisioned, cause);
                        activity.not_scaled = Some(NotScaled {
                            code: code.name().to_string(),
                            minimum: (code == AlreadyAt::Minimum).then_some(target.minimum_units),
                            maximum: (code == AlreadyAt::Maximum).then_some(target.maximum_units),
                        });
                        db.record_scaling_activity(activity);
                        continue;
                    }
                    None => continue,
                };
                tracing::info!(table = %name, region, index, direction = direction.name(), from = provisioned, to = units, "auto scaling");
                let cause = alarm_cause(&table, index, target, units > provisioned);
                let mut activity = capacity.activity(&name, units, cause);
                if let Err(e) = db.set_scaled_capacity(&table, &capacity, units) {
                    tracing::warn!(table = %name, %e, "auto scaling change failed; tried again next period");
                    activity.failure = Some(e.message);
                }
                db.record_scaling_activity(activity);
            }
        }
        trackers.retain(|key, _| seen.contains(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auto_scaling::TargetTracking;

    fn target(min: i64, max: i64, value: f64) -> ScalingTarget {
        ScalingTarget {
            minimum_units: min,
            maximum_units: max,
            role_arn: "arn".into(),
            policy: Some(TargetTracking {
                name: "p".into(),
                target_value: value,
                disable_scale_in: false,
                scale_in_cooldown: None,
                scale_out_cooldown: None,
                created: 0.0,
                id: String::new(),
                alarm_ids: Vec::new(),
            }),
            created: 0.0,
            arn_id: String::new(),
            suspended: Default::default(),
            tags: Default::default(),
            scheduled_actions: Vec::new(),
        }
    }

    /// Feeds `rates` (units per second, one per one-second period) to a
    /// tracker of a capacity starting at `provisioned`, applying what it
    /// decides; returns the capacity after each period.
    fn run(target: &ScalingTarget, provisioned: i64, rates: &[f64]) -> Vec<i64> {
        let start = Instant::now();
        let mut tracker = Tracker::new(0.0, start);
        let mut consumed = 0.0;
        let mut capacity = provisioned;
        let mut capacities = Vec::new();
        for (i, rate) in rates.iter().enumerate() {
            consumed += rate;
            let now = start + Duration::from_secs(i as u64 + 1);
            if let Some(Decision::Scale(units)) = tracker.observe(target, consumed, capacity, now) {
                capacity = units;
            }
            capacities.push(capacity);
        }
        capacities
    }

    #[test]
    fn a_scale_in_past_the_daily_decrease_limit_fails_and_changes_nothing() {
        use crate::test_support::run;
        let db = crate::Database::open(std::sync::Arc::new(
            dynalith_storage::MemoryEngine::default(),
        ))
        .unwrap();
        let units = |n: i64| serde_json::json!({"ReadCapacityUnits": n, "WriteCapacityUnits": n});
        let create = serde_json::json!({"TableName": "decreasing", "BillingMode": "PROVISIONED",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "ProvisionedThroughput": units(20)});
        run(&db, crate::Operation::CreateTable, &create.to_string());
        for n in [19, 18, 17, 16] {
            let update =
                serde_json::json!({"TableName": "decreasing", "ProvisionedThroughput": units(n)});
            run(&db, crate::Operation::UpdateTable, &update.to_string());
        }
        let table = db.catalog().require("decreasing").unwrap();
        let target = target(1, 100, 50.0);
        let capacity = ScalingCapacity {
            id: table.id,
            region: &table.region,
            index: None,
            direction: Direction::Read,
            target: &target,
            provisioned: 16,
            by_region: false,
        };
        let e = db.set_scaled_capacity(&table, &capacity, 8).unwrap_err();
        assert_eq!(e.kind, dynalith_model::ErrorKind::LimitExceeded);
        assert!(
            e.message.contains("Number of decreases today: 4."),
            "{}",
            e.message
        );
        let after = db.catalog().require("decreasing").unwrap();
        assert_eq!(after.throughput.read_capacity_units, 16);
        // A scale-out is not limited.
        db.set_scaled_capacity(&table, &capacity, 30).unwrap();
        let after = db.catalog().require("decreasing").unwrap();
        assert_eq!(after.throughput.read_capacity_units, 30);

        // Bounds below the capacity are set; the capacity, whose move
        // into them would be a fifth decrease within the hour, stays.
        let bounds = serde_json::json!({"TableName": "decreasing",
            "ProvisionedWriteCapacityAutoScalingUpdate": {"MinimumUnits": 1, "MaximumUnits": 10,
                "ScalingPolicyUpdate": {"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 50.0}}}});
        run(
            &db,
            crate::Operation::UpdateTableReplicaAutoScaling,
            &bounds.to_string(),
        );
        let after = db.catalog().require("decreasing").unwrap();
        assert_eq!(after.auto_scaling.write.as_ref().unwrap().maximum_units, 10);
        assert_eq!(after.throughput.write_capacity_units, 16);
    }

    #[test]
    fn scales_out_after_two_periods_above_the_target_to_the_capacity_that_meets_it() {
        let t = target(5, 1000, 50.0);
        // 30 units/s on 10 provisioned: 300% of it. 30 / 0.5 = 60.
        assert_eq!(run(&t, 10, &[30.0, 30.0, 30.0]), vec![10, 60, 60]);
        // One period above, one under: no alarm.
        assert_eq!(run(&t, 10, &[30.0, 1.0, 30.0]), vec![10, 10, 10]);
        // At the target exactly: nothing moves.
        assert_eq!(run(&t, 10, &[5.0; 20]), vec![10; 20]);
    }

    #[test]
    fn never_leaves_the_bounds() {
        assert_eq!(run(&target(5, 40, 50.0), 10, &[1000.0; 2]), vec![10, 40]);
        // Idle: down to the minimum after fifteen periods, not below.
        let idle = run(&target(5, 40, 50.0), 10, &[0.0; 16]);
        assert_eq!(idle[13], 10);
        assert_eq!(idle[14], 5);
        assert_eq!(idle[15], 5);
    }

    #[test]
    fn scales_in_only_after_fifteen_periods_well_under_the_target() {
        let t = target(1, 1000, 50.0);
        // 2 units/s on 100: 2%. After 15 periods: 2 / 0.5 = 4.
        let mut rates = vec![2.0; 15];
        assert_eq!(*run(&t, 100, &rates).last().unwrap(), 4);
        rates[14] = 45.0; // 45% is within 20 points of the target
        assert_eq!(*run(&t, 100, &rates).last().unwrap(), 100);
        let mut no_scale_in = t.clone();
        no_scale_in.policy.as_mut().unwrap().disable_scale_in = true;
        assert_eq!(*run(&no_scale_in, 100, &[2.0; 30]).last().unwrap(), 100);
    }

    #[test]
    fn cooldowns_hold_back_the_next_change() {
        let mut t = target(1, 1000, 50.0);
        t.policy.as_mut().unwrap().scale_out_cooldown = Some(5);
        // Out at the second period (to 20); load doubles at once, but the
        // next scale out waits five seconds after the first.
        let rates = [10.0, 10.0, 20.0, 20.0, 20.0, 20.0, 20.0];
        assert_eq!(run(&t, 10, &rates), vec![10, 20, 20, 20, 20, 20, 40]);
        // The same without a cooldown: out again as soon as the alarm
        // sounds twice more.
        t.policy.as_mut().unwrap().scale_out_cooldown = None;
        assert_eq!(run(&t, 10, &rates), vec![10, 20, 20, 40, 40, 40, 40]);
    }

    #[test]
    fn suspended_scaling_holds_its_direction_only() {
        let mut t = target(1, 1000, 50.0);
        t.suspended.scale_out = true;
        assert_eq!(run(&t, 10, &[100.0; 5]), vec![10; 5]);
        assert_eq!(*run(&t, 100, &[2.0; 15]).last().unwrap(), 4);
        t.suspended = super::super::Suspension {
            scale_in: true,
            ..Default::default()
        };
        assert_eq!(*run(&t, 100, &[2.0; 30]).last().unwrap(), 100);
        assert_eq!(run(&t, 10, &[30.0; 2]), vec![10, 60]);
    }

    #[test]
    fn a_capacity_held_by_its_bounds_reports_it_once_per_alarm() {
        let t = target(1, 20, 50.0);
        let start = Instant::now();
        let mut tracker = Tracker::new(0.0, start);
        let mut consumed = 0.0;
        let mut decisions = Vec::new();
        // 100 units/s on 20 (the maximum) for 5 periods, idle for 2, busy
        // again for 3.
        for (i, rate) in [
            100.0, 100.0, 100.0, 100.0, 100.0, 0.0, 0.0, 100.0, 100.0, 100.0,
        ]
        .iter()
        .enumerate()
        {
            consumed += rate;
            let now = start + Duration::from_secs(i as u64 + 1);
            decisions.push(tracker.observe(&t, consumed, 20, now));
        }
        let at_max = Some(Decision::NotScaled(AlreadyAt::Maximum));
        assert_eq!(
            decisions,
            vec![None, at_max, None, None, None, None, None, None, at_max, None]
        );
        // Idle at the minimum: once, after fifteen periods.
        let mut tracker = Tracker::new(0.0, start);
        let idle: Vec<_> = (1..=20)
            .map(|i| tracker.observe(&t, 0.0, 1, start + Duration::from_secs(i)))
            .collect();
        let at_min = Some(Decision::NotScaled(AlreadyAt::Minimum));
        assert_eq!(idle.iter().filter(|d| **d == at_min).count(), 1);
        assert_eq!(idle[14], at_min);
    }

    #[test]
    fn a_target_without_policy_never_moves() {
        let mut t = target(1, 1000, 50.0);
        t.policy = None;
        assert_eq!(run(&t, 10, &[100.0; 20]), vec![10; 20]);
    }
}
