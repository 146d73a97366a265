//! Auto scaling of provisioned capacity, as DynamoDB has it through
//! Application Auto Scaling: a table's or global index's read or write
//! capacity may be a scalable target (a minimum and a maximum) with a
//! target tracking policy (a utilization to keep) and scheduled actions
//! (bounds to set at given times). UpdateTableReplicaAutoScaling and
//! Application Auto Scaling's own API (`ops::application_auto_scaling`)
//! set them, DescribeTableReplicaAutoScaling and that API report them, and
//! `scaler` changes the capacity as the consumption and the clock move.
//!
//! A global table's reads scale in each Region on that Region's reads,
//! under settings of its own (`regions`); its writes under the table's
//! one setting.
//!
//! Where DynamoDB's answer was never recorded, the messages are ours and
//! say what is wrong.

pub mod activities;
pub mod regions;
pub mod scaler;
pub mod schedule;

use crate::catalog::{BillingMode, IndexKind, TableMeta};
use dynalith_model::{json_integer, DynamoError, ErrorKind};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The role Application Auto Scaling acts as when none is named: the
/// service-linked role AWS creates for DynamoDB.
const SERVICE_LINKED_ROLE: &str = "role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable";

/// The range DynamoDB accepts for a target utilization, in percent.
const TARGET_UTILIZATION: std::ops::RangeInclusive<f64> = 20.0..=90.0;

/// A capacity that scales: its bounds and the policy that moves it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalingTarget {
    pub minimum_units: i64,
    pub maximum_units: i64,
    pub role_arn: String,
    /// None: registered, but nothing scales it yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<TargetTracking>,
    /// When it was registered, in epoch seconds (0: before this was kept).
    #[serde(default)]
    pub created: f64,
    /// The last part of its ScalableTargetARN, drawn at registration.
    #[serde(default)]
    pub arn_id: String,
    #[serde(default, skip_serializing_if = "Suspension::is_default")]
    pub suspended: Suspension,
    /// Application Auto Scaling's tags of the scalable target.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Scheduled changes of the bounds, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduled_actions: Vec<ScheduledAction>,
}

/// A scheduled action: at the times of `schedule`, the target's bounds
/// become MinCapacity and MaxCapacity (those given), and a capacity
/// outside them moves in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduledAction {
    pub name: String,
    /// As given: `at(...)`, `rate(...)` or `cron(...)` (`schedule`).
    pub schedule: String,
    /// An IANA time zone name; None: UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Epoch seconds between which it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_units: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_units: Option<i64>,
    pub created: f64,
    /// The id in its ScheduledActionARN.
    pub id: String,
}

impl ScheduledAction {
    /// Whether it runs in the window (`after`, `until`] of epoch seconds.
    pub fn runs_between(&self, after: f64, until: f64) -> bool {
        let Ok(schedule) = schedule::Schedule::parse(&self.schedule) else {
            return false;
        };
        let zone = match &self.timezone {
            Some(name) => jiff::tz::TimeZone::get(name),
            None => Ok(jiff::tz::TimeZone::UTC),
        };
        let (after, until) = (
            after.max(self.start.unwrap_or(f64::MIN)),
            until.min(self.end.unwrap_or(f64::MAX)),
        );
        let stamp = |seconds: f64| jiff::Timestamp::from_second(seconds.floor() as i64);
        let origin = self.start.unwrap_or(self.created);
        match (zone, stamp(after), stamp(until), stamp(origin)) {
            (Ok(zone), Ok(after), Ok(until), Ok(origin)) => {
                schedule.fires_between(after, until, &zone, origin)
            }
            _ => false,
        }
    }

    /// The bounds a target of `minimum`..=`maximum` takes when it runs: a
    /// new bound that crosses the other moves it along.
    pub fn bounds(&self, minimum: i64, maximum: i64) -> (i64, i64) {
        match (self.minimum_units, self.maximum_units) {
            (Some(min), Some(max)) => (min, max),
            (Some(min), None) => (min, maximum.max(min)),
            (None, Some(max)) => (minimum.min(max), max),
            (None, None) => (minimum, maximum),
        }
    }
}

/// Application Auto Scaling's SuspendedState: which scaling is paused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Suspension {
    #[serde(default)]
    pub scale_in: bool,
    #[serde(default)]
    pub scale_out: bool,
    /// Holds the scheduled actions.
    #[serde(default)]
    pub scheduled: bool,
}

impl Suspension {
    fn is_default(&self) -> bool {
        *self == Suspension::default()
    }
}

/// A target tracking policy on a capacity's utilization (consumed over
/// provisioned, in percent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetTracking {
    pub name: String,
    pub target_value: f64,
    #[serde(default)]
    pub disable_scale_in: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_in_cooldown: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_out_cooldown: Option<i64>,
    /// When it was created, in epoch seconds (0: before this was kept).
    #[serde(default)]
    pub created: f64,
    /// The id in its PolicyARN and those of its four CloudWatch alarms,
    /// drawn when it is created (empty: before this was kept).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alarm_ids: Vec<String>,
}

/// The scaling of a table's or global index's two capacities.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CapacityScaling {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<ScalingTarget>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<ScalingTarget>,
}

impl CapacityScaling {
    pub fn is_empty(&self) -> bool {
        self.read.is_none() && self.write.is_none()
    }

    pub fn get(&self, direction: crate::throughput::Direction) -> Option<&ScalingTarget> {
        match direction {
            crate::throughput::Direction::Read => self.read.as_ref(),
            crate::throughput::Direction::Write => self.write.as_ref(),
        }
    }

    pub fn slot(&mut self, direction: crate::throughput::Direction) -> &mut Option<ScalingTarget> {
        match direction {
            crate::throughput::Direction::Read => &mut self.read,
            crate::throughput::Direction::Write => &mut self.write,
        }
    }
}

impl TableMeta {
    /// Whether any capacity of the table or of its global indexes scales.
    pub fn scales(&self) -> bool {
        !self.auto_scaling.is_empty()
            || self.indexes.iter().any(|i| !i.auto_scaling.is_empty())
            || self.replicas.iter().any(|r| !r.read_scaling.is_empty())
    }

    /// Sets one provisioned capacity, of the table (`index` None) or of
    /// its global index `index`, recording the change as UpdateTable does
    /// (LastIncrease/DecreaseDateTime, decreases today). False when the
    /// index is gone.
    pub fn scale_capacity_to(
        &mut self,
        index: Option<&str>,
        direction: crate::throughput::Direction,
        units: i64,
        now: f64,
    ) -> bool {
        let throughput = match index {
            Some(name) => match self.indexes.iter_mut().find(|i| i.name == name) {
                Some(index) => &mut index.throughput,
                None => return false,
            },
            None => &mut self.throughput,
        };
        let (read, write) = match direction {
            crate::throughput::Direction::Read => (units, throughput.write_capacity_units),
            crate::throughput::Direction::Write => (throughput.read_capacity_units, units),
        };
        throughput.change_to(read, write, now);
        true
    }

    /// The scaling settings of the table (`index` None) or of its global
    /// index `index`; None when there is no such index.
    pub fn capacity_scaling(&self, index: Option<&str>) -> Option<&CapacityScaling> {
        match index {
            None => Some(&self.auto_scaling),
            Some(name) => self
                .indexes
                .iter()
                .find(|i| i.kind == IndexKind::Global && i.name == name)
                .map(|i| &i.auto_scaling),
        }
    }

    pub fn capacity_scaling_mut(&mut self, index: Option<&str>) -> Option<&mut CapacityScaling> {
        match index {
            None => Some(&mut self.auto_scaling),
            Some(name) => self
                .indexes
                .iter_mut()
                .find(|i| i.kind == IndexKind::Global && i.name == name)
                .map(|i| &mut i.auto_scaling),
        }
    }

    /// Whether a provisioned table's write scaling, or one of its global
    /// indexes', is removed from `self` in `after`: a provisioned global
    /// table keeps its writes auto scaled (`TableMeta::writes_replicable`).
    pub fn stops_replicable_writes(&self, after: &TableMeta) -> bool {
        if !self.is_global() || self.billing_mode != BillingMode::Provisioned {
            return false;
        }
        let lost =
            |was: &CapacityScaling, is: &CapacityScaling| was.write.is_some() && is.write.is_none();
        lost(&self.auto_scaling, &after.auto_scaling)
            || self
                .indexes
                .iter()
                .zip(&after.indexes)
                .any(|(was, is)| lost(&was.auto_scaling, &is.auto_scaling))
    }

    /// The provisioned units of one capacity of the table (`index` None)
    /// or of its index `index`; None when there is no such index.
    pub fn provisioned_units(
        &self,
        index: Option<&str>,
        direction: crate::throughput::Direction,
    ) -> Option<i64> {
        let throughput = match index {
            Some(name) => &self.index(name)?.throughput,
            None => &self.throughput,
        };
        Some(match direction {
            crate::throughput::Direction::Read => throughput.read_capacity_units,
            crate::throughput::Direction::Write => throughput.write_capacity_units,
        })
    }

    /// Forgets every scaling setting (a switch to on-demand, a restore).
    pub fn stop_scaling(&mut self) {
        self.auto_scaling = CapacityScaling::default();
        for index in &mut self.indexes {
            index.auto_scaling = CapacityScaling::default();
        }
    }
}

/// Application Auto Scaling's ResourceId of a table's (`index` None) or
/// global index's capacities.
pub fn resource_id(table: &str, index: Option<&str>) -> String {
    match index {
        Some(index) => format!("table/{table}/index/{index}"),
        None => format!("table/{table}"),
    }
}

/// Application Auto Scaling's ScalableDimension of a capacity.
pub fn scalable_dimension(of_index: bool, direction: crate::throughput::Direction) -> String {
    let kind = if of_index { "index" } else { "table" };
    format!("dynamodb:{kind}:{}CapacityUnits", direction.name())
}

/// The name of alarm `which` (of `ALARMS`) of a target tracking policy.
pub fn alarm_name(resource_id: &str, policy: &TargetTracking, which: usize) -> String {
    let id = policy
        .alarm_ids
        .get(which)
        .map_or(policy.id.as_str(), String::as_str);
    format!("TargetTracking-{resource_id}-{}-{id}", ALARMS[which])
}

/// One AutoScalingSettingsUpdate, as the request gives it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SettingsUpdate {
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    pub minimum_units: Option<i64>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    pub maximum_units: Option<i64>,
    pub auto_scaling_disabled: Option<bool>,
    pub auto_scaling_role_arn: Option<String>,
    pub scaling_policy_update: Option<PolicyUpdate>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyUpdate {
    pub policy_name: Option<String>,
    pub target_tracking_scaling_policy_configuration: Option<TargetTrackingUpdate>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTrackingUpdate {
    pub disable_scale_in: Option<bool>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    pub scale_in_cooldown: Option<i64>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    pub scale_out_cooldown: Option<i64>,
    pub target_value: Option<f64>,
}

impl SettingsUpdate {
    /// The members' own constraints, in Coral's words.
    pub fn check(&self, v: &mut crate::validate::Violations, path: &str) {
        v.at_least(self.minimum_units, &format!("{path}.minimumUnits"), 1);
        v.at_least(self.maximum_units, &format!("{path}.maximumUnits"), 1);
        if let Some(role) = &self.auto_scaling_role_arn {
            v.length_between(
                format_args!("'{role}'"),
                role.chars().count(),
                &format!("{path}.autoScalingRoleArn"),
                1,
                1600,
            );
        }
        if let Some(policy) = &self.scaling_policy_update {
            let path = format!("{path}.scalingPolicyUpdate");
            if let Some(name) = &policy.policy_name {
                check_policy_name(v, name, &format!("{path}.policyName"));
            }
            let configuration = format!("{path}.targetTrackingScalingPolicyConfiguration");
            if v.require(
                &policy.target_tracking_scaling_policy_configuration,
                &configuration,
            ) {
                if let Some(c) = &policy.target_tracking_scaling_policy_configuration {
                    v.require(&c.target_value, &format!("{configuration}.targetValue"));
                }
            }
        }
    }
}

/// Coral's checks of a PolicyName member at `path`: 1 to 256 printable
/// characters.
pub fn check_policy_name(v: &mut crate::validate::Violations, name: &str, path: &str) {
    let shown = format!("'{name}'");
    v.length_between(&shown, name.chars().count(), path, 1, 256);
    if name.chars().any(|c| c.is_control()) {
        v.push(
            &shown,
            path,
            "Member must satisfy regular expression pattern: \\p{Print}+",
        );
    }
}

/// What a scaling change applies to, for its messages and default names.
pub struct Resource<'a> {
    pub table: &'a TableMeta,
    /// A global index's name; None: the table.
    pub index: Option<&'a str>,
    pub direction: crate::throughput::Direction,
    /// The Region whose capacity it is (`regions`).
    pub region: &'a str,
}

impl Resource<'_> {
    /// Application Auto Scaling's ResourceId and dimension of the capacity.
    fn described(&self) -> (String, String) {
        (
            resource_id(&self.table.name, self.index),
            scalable_dimension(self.index.is_some(), self.direction),
        )
    }

    fn provisioned(&self) -> i64 {
        self.table
            .units_in(self.region, self.index, self.direction)
            .unwrap_or(0)
    }
}

/// Applies one AutoScalingSettingsUpdate to the scalable target of
/// `resource`, held in `slot`: the capacity the settings want the resource
/// moved to at once (into its new bounds), if it must move.
pub fn apply(
    slot: &mut Option<ScalingTarget>,
    resource: &Resource<'_>,
    update: &SettingsUpdate,
) -> Result<Option<i64>, DynamoError> {
    if update.auto_scaling_disabled == Some(true) {
        *slot = None;
        return Ok(None);
    }
    if resource.table.billing_mode != BillingMode::Provisioned {
        return Err(DynamoError::validation(format!(
            "Auto scaling cannot be set on table {}: its billing mode is PAY_PER_REQUEST, and only provisioned capacity scales",
            resource.table.name
        )));
    }
    let (resource_id, dimension) = resource.described();
    let (minimum, maximum) = match (&*slot, update.minimum_units, update.maximum_units) {
        (_, Some(min), Some(max)) => (min, max),
        (Some(current), min, max) => (
            min.unwrap_or(current.minimum_units),
            max.unwrap_or(current.maximum_units),
        ),
        (None, _, _) => {
            return Err(DynamoError::validation(format!(
                "MinimumUnits and MaximumUnits are required to register the scalable target {resource_id} ({dimension})"
            )))
        }
    };
    if minimum > maximum {
        return Err(DynamoError::validation(format!(
            "Minimum capacity cannot be larger than maximum capacity: MinimumUnits {minimum}, MaximumUnits {maximum}"
        )));
    }
    let quota = crate::ops::TABLE_MAX_CAPACITY_UNITS;
    if maximum > quota {
        return Err(DynamoError::new(
            ErrorKind::LimitExceeded,
            format!("The requested MaximumUnits, {maximum}, is above the per table maximum for the account in {}. Per table maximum: {quota}.", resource.region),
        ));
    }
    let role_arn = match (&update.auto_scaling_role_arn, &*slot) {
        (Some(role), _) => role.clone(),
        (None, Some(current)) => current.role_arn.clone(),
        (None, None) => format!("arn:aws:iam::{}:{SERVICE_LINKED_ROLE}", crate::ACCOUNT_ID),
    };
    let mut policy = slot.as_ref().and_then(|s| s.policy.clone());
    if let Some(wanted) = &update.scaling_policy_update {
        let configuration = wanted
            .target_tracking_scaling_policy_configuration
            .clone()
            .unwrap_or_default();
        let target_value = configuration.target_value.unwrap_or_default();
        if !TARGET_UTILIZATION.contains(&target_value) {
            return Err(DynamoError::validation(format!(
                "The target value {target_value} of the scaling policy for {resource_id} ({dimension}) must be between {} and {} (percent utilization)",
                TARGET_UTILIZATION.start(),
                TARGET_UTILIZATION.end()
            )));
        }
        for (cooldown, member) in [
            (configuration.scale_in_cooldown, "ScaleInCooldown"),
            (configuration.scale_out_cooldown, "ScaleOutCooldown"),
        ] {
            if cooldown.is_some_and(|c| c < 0) {
                return Err(DynamoError::validation(format!(
                    "{member} must not be negative"
                )));
            }
        }
        let name = wanted.policy_name.clone().unwrap_or_else(|| {
            format!(
                "DynamoDB{}CapacityUtilization:{resource_id}",
                resource.direction.name()
            )
        });
        // A policy changed under its own name keeps its identity (ARN,
        // alarms, creation time); another name makes a new policy.
        let (created, id, alarm_ids) = match policy.take() {
            Some(old) if old.name == name && !old.id.is_empty() => {
                (old.created, old.id, old.alarm_ids)
            }
            _ => (
                crate::now_epoch_seconds(),
                uuid::Uuid::new_v4().to_string(),
                (0..ALARMS.len())
                    .map(|_| uuid::Uuid::new_v4().to_string())
                    .collect(),
            ),
        };
        policy = Some(TargetTracking {
            name,
            target_value,
            disable_scale_in: configuration.disable_scale_in.unwrap_or(false),
            scale_in_cooldown: configuration.scale_in_cooldown,
            scale_out_cooldown: configuration.scale_out_cooldown,
            created,
            id,
            alarm_ids,
        });
    }
    let kept = slot.take().map(|mut old| {
        // Targets set before ARNs were kept get one when next changed.
        if old.arn_id.is_empty() {
            old.arn_id = new_target_arn_id();
        }
        old
    });
    let (created, arn_id, suspended, tags, scheduled_actions) = match kept {
        Some(old) => (
            old.created,
            old.arn_id,
            old.suspended,
            old.tags,
            old.scheduled_actions,
        ),
        None => (
            crate::now_epoch_seconds(),
            new_target_arn_id(),
            Suspension::default(),
            BTreeMap::new(),
            Vec::new(),
        ),
    };
    *slot = Some(ScalingTarget {
        minimum_units: minimum,
        maximum_units: maximum,
        role_arn,
        policy,
        created,
        arn_id,
        suspended,
        tags,
        scheduled_actions,
    });
    // A capacity outside its new bounds is moved into them at once, as
    // registering a scalable target does.
    let provisioned = resource.provisioned();
    let clamped = provisioned.clamp(minimum, maximum);
    Ok((clamped != provisioned).then_some(clamped))
}

/// The alarms Application Auto Scaling creates for a DynamoDB target
/// tracking policy, by the part of their names that tells them apart: the
/// utilization above or well under the target, and the provisioned
/// capacity above or under what the consumption needs.
pub const ALARMS: [&str; 4] = [
    "AlarmHigh",
    "AlarmLow",
    "ProvisionedCapacityHigh",
    "ProvisionedCapacityLow",
];

/// A ScalableTargetARN's last part: 36 letters and digits, as AWS's are.
fn new_target_arn_id() -> String {
    let [a, b] = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()].map(|u| u.simple().to_string());
    format!("{a}{}", &b[..4])
}

/// AutoScalingSettingsDescription of one capacity.
pub fn settings_description(target: Option<&ScalingTarget>) -> Value {
    let Some(target) = target else {
        return json!({"AutoScalingDisabled": true, "ScalingPolicies": []});
    };
    let policies: Vec<Value> = target
        .policy
        .iter()
        .map(|p| {
            let mut configuration = json!({
                "DisableScaleIn": p.disable_scale_in,
                "TargetValue": p.target_value,
            });
            if let Some(c) = p.scale_in_cooldown {
                configuration["ScaleInCooldown"] = c.into();
            }
            if let Some(c) = p.scale_out_cooldown {
                configuration["ScaleOutCooldown"] = c.into();
            }
            json!({
                "PolicyName": p.name,
                "TargetTrackingScalingPolicyConfiguration": configuration,
            })
        })
        .collect();
    json!({
        "MinimumUnits": target.minimum_units,
        "MaximumUnits": target.maximum_units,
        "AutoScalingDisabled": false,
        "AutoScalingRoleArn": target.role_arn,
        "ScalingPolicies": policies,
    })
}

/// TableAutoScalingDescription: one entry per Region the table is in,
/// each with that Region's read settings and the table's write settings
/// (`regions`), and the table's `status` (a replica still being created:
/// CREATING).
pub fn table_description(
    table: &TableMeta,
    status: &str,
    transitions: &crate::table_status::Transitions,
) -> Value {
    use crate::throughput::Direction::{Read, Write};
    let settings_in = |region: &str, index: Option<&str>, direction| {
        settings_description(table.target_in(region, index, direction))
    };
    let replicas: Vec<Value> = (table.read_scaling_regions().into_iter())
        .map(|region| {
            let indexes: Vec<Value> = (table.indexes.iter())
                .filter(|i| i.kind == IndexKind::Global)
                .map(|i| {
                    let index = Some(i.name.as_str());
                    json!({
                        "IndexName": i.name,
                        "IndexStatus": i.status.as_str(),
                        "ProvisionedReadCapacityAutoScalingSettings": settings_in(region, index, Read),
                        "ProvisionedWriteCapacityAutoScalingSettings": settings_in(region, index, Write),
                    })
                })
                .collect();
            json!({
                "RegionName": region,
                "GlobalSecondaryIndexes": indexes,
                "ReplicaProvisionedReadCapacityAutoScalingSettings": settings_in(region, None, Read),
                "ReplicaProvisionedWriteCapacityAutoScalingSettings": settings_in(region, None, Write),
                "ReplicaStatus": if transitions.replica_creating(table, region) {
                    "CREATING"
                } else {
                    status
                },
            })
        })
        .collect();
    json!({
        "TableName": table.name,
        "TableStatus": status,
        "Replicas": replicas,
    })
}
