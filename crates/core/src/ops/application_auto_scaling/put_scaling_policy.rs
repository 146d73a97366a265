//! PutScalingPolicy: creates or changes the target tracking policy of a
//! registered capacity. DynamoDB's capacities take target tracking only,
//! on the utilization metric of their direction, so a capacity has at most
//! one policy; the scaler follows it from its next period on.

use super::{apply_update, change_target, predefined_metric, unsupported, TargetName};
use crate::auto_scaling::{self, PolicyUpdate, SettingsUpdate, TargetTrackingUpdate};
use crate::validate::Violations;
use crate::{Database, RequestContext};
use dynalith_model::{json_integer, wire::parse_input, DynamoError};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutScalingPolicyInput {
    policy_name: Option<String>,
    #[serde(flatten)]
    target: TargetName,
    policy_type: Option<String>,
    target_tracking_scaling_policy_configuration: Option<TargetTrackingConfiguration>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TargetTrackingConfiguration {
    target_value: Option<f64>,
    predefined_metric_specification: Option<PredefinedMetric>,
    customized_metric_specification: Option<Value>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    scale_out_cooldown: Option<i64>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    scale_in_cooldown: Option<i64>,
    disable_scale_in: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PredefinedMetric {
    predefined_metric_type: Option<String>,
    resource_label: Option<String>,
}

const POLICY_TYPES: &[&str] = &["StepScaling", "TargetTrackingScaling", "PredictiveScaling"];

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: PutScalingPolicyInput = parse_input(body)?;
    check_members(&input)?;
    if !input.target.in_dynamodb() {
        return Err(input.target.not_registered());
    }
    let capacity = input.target.capacity().ok_or_else(unsupported)?;
    let name = input.policy_name.clone().unwrap_or_default();
    let configuration = &input.target_tracking_scaling_policy_configuration;
    let described = change_target(
        db,
        context,
        &capacity,
        || input.target.not_registered(),
        |table, slot| {
            let Some(target) = slot else {
                return Err(input.target.not_registered());
            };
            let current = target.policy.as_ref();
            if let Some(other) = current.filter(|p| p.name != name) {
                return Err(DynamoError::validation(format!(
                    "Only one TargetTrackingScaling policy for a given metric specification is allowed: {} tracks {} already",
                    other.name,
                    predefined_metric(capacity.direction)
                )));
            }
            match input.policy_type.as_deref() {
                Some("TargetTrackingScaling") => {}
                Some(other) => {
                    return Err(DynamoError::validation(format!(
                        "{other} policies are not supported for the service namespace dynamodb: its capacities take TargetTrackingScaling policies"
                    )))
                }
                None if current.is_none() => {
                    return Err(DynamoError::validation(
                        "PolicyType is required to create a scaling policy",
                    ))
                }
                None => {}
            }
            let Some(configuration) = configuration else {
                return Err(DynamoError::validation(
                    "TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy",
                ));
            };
            check_metric(configuration, &capacity)?;
            let update = SettingsUpdate {
                scaling_policy_update: Some(PolicyUpdate {
                    policy_name: Some(name.clone()),
                    target_tracking_scaling_policy_configuration: Some(TargetTrackingUpdate {
                        disable_scale_in: configuration.disable_scale_in,
                        scale_in_cooldown: configuration.scale_in_cooldown,
                        scale_out_cooldown: configuration.scale_out_cooldown,
                        target_value: configuration.target_value,
                    }),
                }),
                ..Default::default()
            };
            *slot = apply_update(table, &context.region, &capacity, slot, &update)?.0;
            let policy = slot.as_ref().and_then(|t| t.policy.as_ref());
            let described = policy.map(|p| {
                (
                    super::policy_arn(&context.region, &capacity, p),
                    super::alarms(&context.region, &capacity, p),
                )
            });
            Ok((described, None))
        },
    )?;
    let (arn, alarms) = described.unwrap_or_default();
    let mut response = Map::new();
    response.insert("PolicyARN".into(), arn.into());
    response.insert("Alarms".into(), alarms);
    crate::ops::respond(response)
}

/// Coral's checks of the members.
fn check_members(input: &PutScalingPolicyInput) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    v.require(&input.policy_name, "policyName");
    if let Some(name) = &input.policy_name {
        auto_scaling::check_policy_name(&mut v, name, "policyName");
    }
    input.target.check(&mut v, true);
    v.one_of(input.policy_type.as_deref(), "policyType", POLICY_TYPES);
    if let Some(configuration) = &input.target_tracking_scaling_policy_configuration {
        let path = "targetTrackingScalingPolicyConfiguration";
        v.require(&configuration.target_value, &format!("{path}.targetValue"));
        if let Some(metric) = &configuration.predefined_metric_specification {
            let path = format!("{path}.predefinedMetricSpecification");
            v.require(
                &metric.predefined_metric_type,
                &format!("{path}.predefinedMetricType"),
            );
            if let Some(label) = &metric.resource_label {
                v.length_between(
                    format_args!("'{label}'"),
                    label.chars().count(),
                    &format!("{path}.resourceLabel"),
                    1,
                    1023,
                );
            }
        }
    }
    v.finish()
}

/// The policy must track the utilization of the capacity's direction,
/// the one metric this server measures.
fn check_metric(
    configuration: &TargetTrackingConfiguration,
    capacity: &super::Capacity,
) -> Result<(), DynamoError> {
    let wanted = predefined_metric(capacity.direction);
    match &configuration.predefined_metric_specification {
        Some(metric) if metric.predefined_metric_type.as_deref() == Some(wanted.as_str()) => Ok(()),
        Some(metric) => Err(DynamoError::validation(format!(
            "PredefinedMetricType {} does not apply to scalable dimension {}: use {wanted}",
            metric.predefined_metric_type.as_deref().unwrap_or_default(),
            capacity.dimension()
        ))),
        None if configuration.customized_metric_specification.is_some() => {
            Err(DynamoError::validation(format!(
                "CustomizedMetricSpecification is not supported here: a DynamoDB capacity is tracked by the PredefinedMetricType {wanted}"
            )))
        }
        None => Err(DynamoError::validation(
            "Either PredefinedMetricSpecification or CustomizedMetricSpecification must be specified",
        )),
    }
}
