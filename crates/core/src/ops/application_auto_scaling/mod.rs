//! Application Auto Scaling's API (`X-Amz-Target:
//! AnyScaleFrontendService.<Operation>`, JSON 1.1), served on the same
//! endpoint for the resources it scales in DynamoDB: a table's or global
//! index's read or write capacity. CDK, CloudFormation, Terraform and the
//! console set DynamoDB auto scaling through it; the scalable targets and
//! target tracking policies it sets are the ones UpdateTableReplicaAutoScaling
//! sets (`auto_scaling`), kept with the table in the catalog and acted on by
//! the same scaler.
//!
//! Every other service namespace has nothing registered: its listings are
//! empty and registering in it is refused, as for a resource type
//! Application Auto Scaling does not support. Predictive scaling is not
//! served (DynamoDB's capacities do not take it).

pub mod delete_scaling_policy;
pub mod delete_scheduled_action;
pub mod deregister_scalable_target;
pub mod describe_scalable_targets;
pub mod describe_scaling_activities;
pub mod describe_scaling_policies;
pub mod describe_scheduled_actions;
pub mod list_tags_for_resource;
pub mod put_scaling_policy;
pub mod put_scheduled_action;
pub mod register_scalable_target;
pub mod tag_resource;
pub mod untag_resource;

use crate::auto_scaling::{self, ScalingTarget, TargetTracking, ALARMS};
use crate::catalog::{IndexKind, TableMeta};
use crate::throughput::Direction;
use crate::validate::Violations;
use crate::{Database, RequestContext};
use base64::Engine as _;
use dynalith_model::{DynamoError, ErrorKind};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

const DYNAMODB: &str = "dynamodb";

/// ServiceNamespace's values, in the service model's order.
const SERVICE_NAMESPACES: &[&str] = &[
    "ecs",
    "elasticmapreduce",
    "ec2",
    "appstream",
    "dynamodb",
    "rds",
    "sagemaker",
    "custom-resource",
    "comprehend",
    "lambda",
    "cassandra",
    "kafka",
    "elasticache",
    "neptune",
    "workspaces",
];

/// ScalableDimension's values, in the service model's order.
const SCALABLE_DIMENSIONS: &[&str] = &[
    "ecs:service:DesiredCount",
    "ec2:spot-fleet-request:TargetCapacity",
    "elasticmapreduce:instancegroup:InstanceCount",
    "appstream:fleet:DesiredCapacity",
    "dynamodb:table:ReadCapacityUnits",
    "dynamodb:table:WriteCapacityUnits",
    "dynamodb:index:ReadCapacityUnits",
    "dynamodb:index:WriteCapacityUnits",
    "rds:cluster:ReadReplicaCount",
    "sagemaker:variant:DesiredInstanceCount",
    "custom-resource:ResourceType:Property",
    "comprehend:document-classifier-endpoint:DesiredInferenceUnits",
    "comprehend:entity-recognizer-endpoint:DesiredInferenceUnits",
    "lambda:function:ProvisionedConcurrency",
    "cassandra:table:ReadCapacityUnits",
    "cassandra:table:WriteCapacityUnits",
    "kafka:broker-storage:VolumeSize",
    "elasticache:cache-cluster:Nodes",
    "elasticache:replication-group:NodeGroups",
    "elasticache:replication-group:Replicas",
    "neptune:cluster:ReadReplicaCount",
    "sagemaker:variant:DesiredProvisionedConcurrency",
    "sagemaker:inference-component:DesiredCopyCount",
    "workspaces:workspacespool:DesiredUserSessions",
];

/// The most items one Describe call returns, and its default.
const MAX_RESULTS: i64 = 50;

/// The members that name a scalable target, as most requests give them.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct TargetName {
    service_namespace: Option<String>,
    resource_id: Option<String>,
    scalable_dimension: Option<String>,
}

impl TargetName {
    /// Coral's checks of the three members; `identified`: all three are
    /// required (they name one target) rather than filters.
    fn check(&self, v: &mut Violations, identified: bool) {
        v.require(&self.service_namespace, "serviceNamespace");
        v.one_of(
            self.service_namespace.as_deref(),
            "serviceNamespace",
            SERVICE_NAMESPACES,
        );
        if identified {
            v.require(&self.resource_id, "resourceId");
        }
        check_xml_string(v, self.resource_id.as_deref(), "resourceId", 1, 1600);
        if identified {
            v.require(&self.scalable_dimension, "scalableDimension");
        }
        v.one_of(
            self.scalable_dimension.as_deref(),
            "scalableDimension",
            SCALABLE_DIMENSIONS,
        );
    }

    fn in_dynamodb(&self) -> bool {
        self.service_namespace.as_deref() == Some(DYNAMODB)
    }

    /// The capacity the three members name, when they name a DynamoDB
    /// one.
    fn capacity(&self) -> Option<Capacity> {
        if !self.in_dynamodb() {
            return None;
        }
        Capacity::parse(
            self.resource_id.as_deref()?,
            self.scalable_dimension.as_deref()?,
        )
    }

    /// Whether a listing filtered by these members (ResourceId and
    /// ScalableDimension, each when given) lists a capacity.
    fn selects(&self, resource_id: &str, dimension: &str) -> bool {
        self.resource_id.as_deref().is_none_or(|r| r == resource_id)
            && self
                .scalable_dimension
                .as_deref()
                .is_none_or(|d| d == dimension)
    }

    /// The target as Application Auto Scaling's not-found messages name it.
    fn described(&self) -> String {
        format!(
            "service namespace: {}, resource ID: {}, scalable dimension: {}",
            self.service_namespace.as_deref().unwrap_or_default(),
            self.resource_id.as_deref().unwrap_or_default(),
            self.scalable_dimension.as_deref().unwrap_or_default(),
        )
    }

    /// ObjectNotFoundException for a `kind` ("scaling policy", "scheduled
    /// action") named `name` that the target does not have.
    fn none_named(&self, kind: &str, name: &str) -> DynamoError {
        DynamoError::new(
            ErrorKind::ObjectNotFound,
            format!(
                "No {kind} found for {}, {} name: {name}",
                self.described(),
                kind.strip_prefix("scaling ").unwrap_or(kind),
            ),
        )
    }

    /// ObjectNotFoundException for a target that is not registered.
    fn not_registered(&self) -> DynamoError {
        DynamoError::new(
            ErrorKind::ObjectNotFound,
            format!("No scalable target registered for {}", self.described()),
        )
    }
}

/// A string member of the XmlString pattern (any character but the
/// control characters other than tab, line feed and carriage return), of
/// `min..=max` characters.
fn check_xml_string(v: &mut Violations, value: Option<&str>, path: &str, min: usize, max: usize) {
    let Some(value) = value else {
        return;
    };
    let shown = format!("'{value}'");
    v.length_between(&shown, value.chars().count(), path, min, max);
    if value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        v.push(
            &shown,
            path,
            "Member must satisfy regular expression pattern: [\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\r\\n\\t]*",
        );
    }
}

/// A list filter member (ResourceIds, PolicyNames, ScheduledActionNames)
/// at `path`: at most 50 strings of 1 to 1600 characters.
fn check_name_list(v: &mut Violations, names: Option<&[String]>, path: &str) {
    let Some(names) = names else {
        return;
    };
    v.length_between(format_args!("'{names:?}'"), names.len(), path, 0, 50);
    for (i, name) in names.iter().enumerate() {
        let member = format!("{path}.{}.member", i + 1);
        check_xml_string(v, Some(name), &member, 1, 1600);
    }
}

/// The error for a ResourceId and ScalableDimension that do not name a
/// DynamoDB capacity (or a namespace this server does not scale).
fn unsupported() -> DynamoError {
    DynamoError::validation("Unsupported service namespace, resource type or scalable dimension")
}

/// One DynamoDB capacity Application Auto Scaling can scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Capacity {
    table: String,
    /// A global index's name; None: the table's own capacity.
    index: Option<String>,
    direction: Direction,
}

impl Capacity {
    /// From a ResourceId (`table/<table>` or `table/<table>/index/<index>`)
    /// and the ScalableDimension that must go with it.
    fn parse(resource_id: &str, dimension: &str) -> Option<Capacity> {
        let (of_index, direction) = match dimension {
            "dynamodb:table:ReadCapacityUnits" => (false, Direction::Read),
            "dynamodb:table:WriteCapacityUnits" => (false, Direction::Write),
            "dynamodb:index:ReadCapacityUnits" => (true, Direction::Read),
            "dynamodb:index:WriteCapacityUnits" => (true, Direction::Write),
            _ => return None,
        };
        let rest = resource_id.strip_prefix("table/")?;
        let (table, index) = match rest.split_once("/index/") {
            Some((table, index)) => (table, Some(index)),
            None => (rest, None),
        };
        let plain = |name: &str| !name.is_empty() && !name.contains('/');
        if !plain(table) || !index.is_none_or(plain) || index.is_some() != of_index {
            return None;
        }
        Some(Capacity {
            table: table.to_string(),
            index: index.map(str::to_string),
            direction,
        })
    }

    fn resource_id(&self) -> String {
        auto_scaling::resource_id(&self.table, self.index.as_deref())
    }

    fn dimension(&self) -> String {
        auto_scaling::scalable_dimension(self.index.is_some(), self.direction)
    }

    /// Its scalable target in `region`, if registered (a replica's reads
    /// scale under settings of their own, `auto_scaling::regions`).
    fn target<'t>(&self, table: &'t TableMeta, region: &str) -> Option<&'t ScalingTarget> {
        table.target_in(region, self.index.as_deref(), self.direction)
    }
}

/// Every registered DynamoDB scalable target of the tables in `region`,
/// each with its table, ordered by ResourceId and dimension.
fn registered_targets(db: &Database, region: &str) -> Vec<(Capacity, Arc<TableMeta>)> {
    let mut targets = Vec::new();
    for name in db.catalog().names() {
        let Some(table) = db.catalog().get_in(&name, region) else {
            continue;
        };
        let indexes = table
            .indexes
            .iter()
            .filter(|i| i.kind == IndexKind::Global)
            .map(|i| Some(i.name.clone()));
        for index in std::iter::once(None).chain(indexes) {
            for direction in [Direction::Read, Direction::Write] {
                let capacity = Capacity {
                    table: name.clone(),
                    index: index.clone(),
                    direction,
                };
                if capacity.target(&table, region).is_some() {
                    targets.push((capacity, table.clone()));
                }
            }
        }
    }
    targets.sort_by_key(|(c, _)| (c.resource_id(), c.dimension()));
    targets
}

/// Changes the scaling of one capacity of a table in the caller's Region
/// under the catalog's change lock: `change` gets the table as it is and
/// the slot of the capacity's target, and returns its answer and the
/// units the capacity must move to at once (into new bounds), if any.
/// `missing` is the error for a table or index that is not there.
fn change_target<R>(
    db: &Database,
    context: &RequestContext,
    capacity: &Capacity,
    missing: impl FnOnce() -> DynamoError,
    change: impl FnOnce(&TableMeta, &mut Option<ScalingTarget>) -> Result<(R, Option<i64>), DynamoError>,
) -> Result<R, DynamoError> {
    let _changes = db.catalog().lock_changes();
    let Some(current) = db.catalog().get_in(&capacity.table, &context.region) else {
        return Err(missing());
    };
    let current = db.catalog().require_changeable(&current.name)?;
    let mut table = (*current).clone();
    let (index, region) = (capacity.index.as_deref(), context.region.as_str());
    let changed = table.change_target_in(region, index, capacity.direction, |slot| {
        change(&current, slot)
    });
    let Some(changed) = changed else {
        return Err(missing());
    };
    let (answer, moved) = changed?;
    if current.stops_replicable_writes(&table) {
        return Err(crate::global_tables::provisioned_writes_refused());
    }
    if let Some(units) = moved {
        let now = crate::now_epoch_seconds();
        table.move_into_bounds(&current, now, |table| {
            table.record_warm_throughput();
            table.scale_in(region, index, capacity.direction, units, now);
        });
    }
    db.save_table(&table)?;
    let scales = table.scales();
    db.catalog().publish(table);
    if scales {
        db.start_scaler();
    }
    Ok(answer)
}

/// Coral's check of a ResourceARN: required, 1 to 1011 characters, and
/// `^arn:.+:application-autoscaling:.+:[0-9]+:scalable-target\/[a-zA-Z0-9-]+$`.
fn check_target_arn(v: &mut Violations, arn: Option<&str>) {
    if !v.require(&arn, "resourceARN") {
        return;
    }
    let arn = arn.unwrap_or_default();
    let shown = format!("'{arn}'");
    v.length_between(&shown, arn.chars().count(), "resourceARN", 1, 1011);
    let fits = || -> Option<()> {
        let rest = arn.strip_prefix("arn:")?;
        let (head, id) = rest.rsplit_once(":scalable-target/")?;
        let (head, account) = head.rsplit_once(':')?;
        let (partition, region) = head.split_once(":application-autoscaling:")?;
        let plain = |c: char| c.is_ascii_alphanumeric() || c == '-';
        (!partition.is_empty()
            && !region.is_empty()
            && !account.is_empty()
            && account.chars().all(|c| c.is_ascii_digit())
            && !id.is_empty()
            && id.chars().all(plain))
        .then_some(())
    };
    if fits().is_none() {
        v.push(
            &shown,
            "resourceARN",
            "Member must satisfy regular expression pattern: ^arn:.+:application-autoscaling:.+:[0-9]+:scalable-target\\/[a-zA-Z0-9-]+$",
        );
    }
}

/// The capacity of the Region's scalable target with the ARN `arn`.
fn target_of_arn(db: &Database, context: &RequestContext, arn: &str) -> Option<Capacity> {
    registered_targets(db, &context.region)
        .into_iter()
        .find(|(capacity, table)| {
            capacity
                .target(table, &context.region)
                .is_some_and(|t| target_arn(&context.region, t) == arn)
        })
        .map(|(capacity, _)| capacity)
}

/// ResourceNotFoundException for a ResourceARN that names no target.
fn arn_not_found(arn: &str) -> DynamoError {
    DynamoError::new(
        ErrorKind::ResourceNotFound,
        format!("No scalable target found for ARN {arn}"),
    )
    .with_extra("ResourceName", json!(arn))
}

fn target_arn(region: &str, target: &ScalingTarget) -> String {
    format!(
        "arn:aws:application-autoscaling:{region}:{}:scalable-target/{}",
        crate::ACCOUNT_ID,
        target.arn_id
    )
}

/// ScalableTarget.
fn target_description(region: &str, capacity: &Capacity, target: &ScalingTarget) -> Value {
    json!({
        "ServiceNamespace": DYNAMODB,
        "ResourceId": capacity.resource_id(),
        "ScalableDimension": capacity.dimension(),
        "MinCapacity": target.minimum_units,
        "MaxCapacity": target.maximum_units,
        "RoleARN": target.role_arn,
        "CreationTime": target.created,
        "SuspendedState": {
            "DynamicScalingInSuspended": target.suspended.scale_in,
            "DynamicScalingOutSuspended": target.suspended.scale_out,
            "ScheduledScalingSuspended": target.suspended.scheduled,
        },
        "ScalableTargetARN": target_arn(region, target),
    })
}

fn policy_arn(region: &str, capacity: &Capacity, policy: &TargetTracking) -> String {
    format!(
        "arn:aws:autoscaling:{region}:{}:scalingPolicy:{}:resource/dynamodb/{}:policyName/{}",
        crate::ACCOUNT_ID,
        policy.id,
        capacity.resource_id(),
        policy.name
    )
}

/// The CloudWatch alarms of a target tracking policy.
fn alarms(region: &str, capacity: &Capacity, policy: &TargetTracking) -> Value {
    let resource_id = capacity.resource_id();
    (0..ALARMS.len())
        .map(|which| {
            let name = auto_scaling::alarm_name(&resource_id, policy, which);
            json!({
                "AlarmName": name,
                "AlarmARN": format!("arn:aws:cloudwatch:{region}:{}:alarm:{name}", crate::ACCOUNT_ID),
            })
        })
        .collect()
}

/// The utilization metric that tracks a capacity of `direction`.
fn predefined_metric(direction: Direction) -> String {
    format!("DynamoDB{}CapacityUtilization", direction.name())
}

/// ScalingPolicy.
fn policy_description(region: &str, capacity: &Capacity, policy: &TargetTracking) -> Value {
    let mut configuration = json!({
        "TargetValue": policy.target_value,
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": predefined_metric(capacity.direction),
        },
        "DisableScaleIn": policy.disable_scale_in,
    });
    if let Some(c) = policy.scale_out_cooldown {
        configuration["ScaleOutCooldown"] = c.into();
    }
    if let Some(c) = policy.scale_in_cooldown {
        configuration["ScaleInCooldown"] = c.into();
    }
    json!({
        "PolicyARN": policy_arn(region, capacity, policy),
        "PolicyName": policy.name,
        "ServiceNamespace": DYNAMODB,
        "ResourceId": capacity.resource_id(),
        "ScalableDimension": capacity.dimension(),
        "PolicyType": "TargetTrackingScaling",
        "TargetTrackingScalingPolicyConfiguration": configuration,
        "Alarms": alarms(region, capacity, policy),
        "CreationTime": policy.created,
    })
}

/// A Describe call's answer: one page of `items` (each with the key it is
/// listed by, in listing order) as the member `member`, and NextToken.
fn page_response(
    member: &str,
    items: Vec<(String, Value)>,
    max_results: Option<i64>,
    token: Option<&str>,
) -> Result<Vec<u8>, DynamoError> {
    let (items, next) = page(items, page_size(max_results)?, token)?;
    let mut response = serde_json::Map::new();
    response.insert(member.into(), Value::Array(items));
    if let Some(next) = next {
        response.insert("NextToken".into(), next.into());
    }
    crate::ops::respond(response)
}

/// MinCapacity and MaxCapacity, where given, as a DynamoDB capacity takes
/// them: at least 1, at most the per-table quota.
fn check_bounds(minimum: Option<i64>, maximum: Option<i64>) -> Result<(), DynamoError> {
    for (bound, value) in [("MinCapacity", minimum), ("MaxCapacity", maximum)] {
        if value.is_some_and(|units| units < 1) {
            return Err(DynamoError::validation(format!(
                "{bound} must be at least 1 for a DynamoDB capacity"
            )));
        }
    }
    let quota = crate::ops::TABLE_MAX_CAPACITY_UNITS;
    match maximum {
        Some(maximum) if maximum > quota => Err(DynamoError::new(
            ErrorKind::LimitExceeded,
            format!(
                "MaxCapacity {maximum} is above the per table maximum for the account: {quota}"
            ),
        )),
        _ => Ok(()),
    }
}

/// `auto_scaling::apply` of `update` to the target in `slot` of a
/// capacity of `table`: the target as it becomes, and the units the
/// capacity must move to at once, if any.
fn apply_update(
    table: &TableMeta,
    region: &str,
    capacity: &Capacity,
    slot: &Option<ScalingTarget>,
    update: &auto_scaling::SettingsUpdate,
) -> Result<(Option<ScalingTarget>, Option<i64>), DynamoError> {
    let mut target = slot.clone();
    let moved = auto_scaling::apply(
        &mut target,
        &auto_scaling::Resource {
            table,
            index: capacity.index.as_deref(),
            direction: capacity.direction,
            region,
        },
        update,
    )?;
    Ok((target, moved))
}

/// A Describe call's page size: MaxResults, 1 to 50, 50 when not given.
fn page_size(max_results: Option<i64>) -> Result<usize, DynamoError> {
    match max_results {
        None => Ok(MAX_RESULTS as usize),
        Some(n) if (1..=MAX_RESULTS).contains(&n) => Ok(n as usize),
        Some(n) => Err(DynamoError::validation(format!(
            "MaxResults must be between 1 and {MAX_RESULTS}, not {n}"
        ))),
    }
}

/// One page of `items` (each with the key it is listed by, in listing
/// order) after the NextToken `token`, and the token of the next page.
fn page<T>(
    items: Vec<(String, T)>,
    size: usize,
    token: Option<&str>,
) -> Result<(Vec<T>, Option<String>), DynamoError> {
    let start = match token {
        None => 0,
        Some(token) => {
            let invalid = || DynamoError::new(ErrorKind::InvalidNextToken, "Invalid token");
            let key = base64::engine::general_purpose::STANDARD
                .decode(token)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(invalid)?;
            items
                .iter()
                .position(|(k, _)| *k == key)
                .ok_or_else(invalid)?
                + 1
        }
    };
    let mut rest: Vec<(String, T)> = items.into_iter().skip(start).collect();
    let next = (rest.len() > size)
        .then(|| base64::engine::general_purpose::STANDARD.encode(&rest[size - 1].0));
    rest.truncate(size);
    Ok((rest.into_iter().map(|(_, item)| item).collect(), next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_name_a_table_or_an_index_with_the_dimension_that_fits() {
        let table = Capacity::parse("table/Orders", "dynamodb:table:ReadCapacityUnits").unwrap();
        assert_eq!(table.table, "Orders");
        assert_eq!(table.index, None);
        assert_eq!(table.direction, Direction::Read);
        assert_eq!(table.resource_id(), "table/Orders");
        assert_eq!(table.dimension(), "dynamodb:table:ReadCapacityUnits");
        let index = Capacity::parse(
            "table/Orders/index/ByDate",
            "dynamodb:index:WriteCapacityUnits",
        )
        .unwrap();
        assert_eq!(index.index.as_deref(), Some("ByDate"));
        assert_eq!(index.resource_id(), "table/Orders/index/ByDate");
        for (resource, dimension) in [
            ("table/Orders", "dynamodb:index:ReadCapacityUnits"),
            (
                "table/Orders/index/ByDate",
                "dynamodb:table:ReadCapacityUnits",
            ),
            ("Orders", "dynamodb:table:ReadCapacityUnits"),
            ("table/", "dynamodb:table:ReadCapacityUnits"),
            ("table/a/b", "dynamodb:table:ReadCapacityUnits"),
            ("table/Orders/index/", "dynamodb:index:ReadCapacityUnits"),
            ("table/Orders/index/a/b", "dynamodb:index:ReadCapacityUnits"),
            ("table/Orders", "ecs:service:DesiredCount"),
        ] {
            assert_eq!(
                Capacity::parse(resource, dimension),
                None,
                "{resource} {dimension}"
            );
        }
    }

    #[test]
    fn pages_follow_each_other_and_refuse_unknown_tokens() {
        let items: Vec<(String, u32)> = (0..7).map(|i| (format!("k{i}"), i)).collect();
        let (first, token) = page(items.clone(), 3, None).unwrap();
        assert_eq!(first, vec![0, 1, 2]);
        let (second, token) = page(items.clone(), 3, token.as_deref()).unwrap();
        assert_eq!(second, vec![3, 4, 5]);
        let (last, token) = page(items.clone(), 3, token.as_deref()).unwrap();
        assert_eq!((last, token), (vec![6], None));
        let (all, token) = page(items.clone(), 7, None).unwrap();
        assert_eq!((all.len(), token), (7, None));
        for bad in ["%%%", "a2V5"] {
            let e = page(items.clone(), 3, Some(bad)).unwrap_err();
            assert_eq!(e.kind, ErrorKind::InvalidNextToken);
        }
    }
}
