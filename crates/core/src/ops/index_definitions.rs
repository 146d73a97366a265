//! Secondary-index definitions, as CreateTable (LocalSecondaryIndexes,
//! GlobalSecondaryIndexes) and UpdateTable (GlobalSecondaryIndexUpdates)
//! take them: their shapes, Coral's member checks, and DynamoDB's rules on
//! keys and projections. Messages are DynamoDB Local's, recorded in
//! docs/index-behaviour.md.

use super::shapes::{KeySchemaElementInput, OnDemandThroughputInput, ProvisionedThroughputInput};
use crate::catalog::{
    BillingMode, IndexKind, IndexProjection, KeyAttribute, KeySchema, OnDemandThroughput,
    Throughput,
};
use crate::validate::Violations;
use crate::warm_throughput::{WarmThroughput, WarmThroughputInput};
use dynalith_model::DynamoError;
use serde::Deserialize;

/// DynamoDB's per-table quotas.
pub const MAX_LOCAL_INDEXES: usize = 5;
pub const MAX_GLOBAL_INDEXES: usize = 20;
/// NonKeyAttributes over all of a table's indexes.
pub const MAX_PROJECTED_ATTRIBUTES: usize = 100;

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct ProjectionInput {
    pub projection_type: Option<String>,
    pub non_key_attributes: Option<Vec<String>>,
}

/// A LocalSecondaryIndex or a GlobalSecondaryIndex (the latter with its
/// provisioned throughput or on-demand ceiling, and warm throughput).
#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct IndexInput {
    pub index_name: Option<String>,
    pub key_schema: Option<Vec<KeySchemaElementInput>>,
    pub projection: Option<ProjectionInput>,
    pub provisioned_throughput: Option<ProvisionedThroughputInput>,
    pub on_demand_throughput: Option<OnDemandThroughputInput>,
    pub warm_throughput: Option<WarmThroughputInput>,
}

/// Coral's checks on a key schema member list, at `path`.
pub fn check_key_schema_members(
    v: &mut Violations,
    schema: Option<&[KeySchemaElementInput]>,
    path: &str,
) {
    let Some(schema) = schema else {
        v.push("null", path, "Member must not be null");
        return;
    };
    v.length_between("'[...]'", schema.len(), path, 1, 2);
    for (i, element) in schema.iter().enumerate() {
        let member = format!("{path}.{}.member", i + 1);
        if let Some(name) = &element.attribute_name {
            v.length_between(
                format_args!("'{name}'"),
                name.len(),
                &format!("{member}.attributeName"),
                1,
                255,
            );
        }
        v.require(&element.attribute_name, &format!("{member}.attributeName"));
        if v.require(&element.key_type, &format!("{member}.keyType")) {
            v.one_of(
                element.key_type.as_deref(),
                &format!("{member}.keyType"),
                &["HASH", "RANGE"],
            );
        }
    }
}

/// Coral's checks on a list of index definitions, at `path`
/// (`localSecondaryIndexes`, `globalSecondaryIndexes`).
pub fn check_index_members(v: &mut Violations, indexes: &[IndexInput], path: &str) {
    for (i, index) in indexes.iter().enumerate() {
        let member = format!("{path}.{}.member", i + 1);
        check_one_index_members(v, index, &member);
    }
}

pub fn check_one_index_members(v: &mut Violations, index: &IndexInput, member: &str) {
    if index.projection.is_none() {
        v.push(
            "null",
            &format!("{member}.projection"),
            "Member must not be null",
        );
    }
    v.name(index.index_name.as_deref(), &format!("{member}.indexName"));
    check_key_schema_members(
        v,
        index.key_schema.as_deref(),
        &format!("{member}.keySchema"),
    );
}

/// Coral's checks on the warm throughput of global index definitions, at
/// `path` (`globalSecondaryIndexes`); a local index has none to check.
pub fn check_global_index_warm_throughput(v: &mut Violations, indexes: &[IndexInput], path: &str) {
    for (i, index) in indexes.iter().enumerate() {
        if let Some(warm) = &index.warm_throughput {
            warm.check(v, &format!("{path}.{}.member.warmThroughput", i + 1));
        }
    }
}

/// A validated index definition, ready to become an `IndexMeta`.
#[derive(Clone, Debug)]
pub struct IndexDefinition {
    pub name: String,
    pub kind: IndexKind,
    pub key_schema: KeySchema,
    pub projection: IndexProjection,
    pub throughput: Throughput,
    pub on_demand: OnDemandThroughput,
    /// What the definition asked for, from the index's starting value; None
    /// when it asked for nothing.
    pub warm_throughput: Option<WarmThroughput>,
}

/// The index's key schema, with DynamoDB's checks against the attribute
/// definitions.
fn index_key_schema(
    index: &IndexInput,
    kind: IndexKind,
    definitions: &[KeyAttribute],
) -> Result<KeySchema, DynamoError> {
    let schema = index.key_schema.as_deref().unwrap_or_default();
    let names: Vec<&str> = schema
        .iter()
        .map(|k| k.attribute_name.as_deref().unwrap_or_default())
        .collect();
    let definition = |n: &str| definitions.iter().find(|d| d.name == n).cloned();
    let types: Vec<Option<&str>> = schema.iter().map(|k| k.key_type.as_deref()).collect();
    if !types.contains(&Some("HASH")) {
        return Err(DynamoError::validation(
            "No Hash Key specified in schema.  All Dynamo DB tables must have exactly one hash key",
        ));
    }
    if types.first() != Some(&Some("HASH")) {
        return Err(DynamoError::validation(
            "Invalid key order. Hash Key must be specified first in key schema, Range Key must be specifed second",
        ));
    }
    if types.get(1).is_some_and(|t| *t != Some("RANGE")) {
        return Err(DynamoError::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    if names.len() == 2 && names[0] == names[1] {
        return Err(DynamoError::validation(
            "Two keys can not have the same name",
        ));
    }
    if let Some(missing) = names.iter().find(|n| definition(n).is_none()) {
        return Err(match kind {
            IndexKind::Local if names.first() != Some(missing) => DynamoError::validation(
                "Local Secondary Index range key not specified in Attribute Definitions.Type unknown.",
            ),
            _ => DynamoError::validation(format!(
                "Attribute {missing} is not defined in AttributeDefinitions"
            )),
        });
    }
    let attribute =
        |n: &str| definition(n).ok_or_else(|| DynamoError::internal("index key checked above"));
    Ok(KeySchema {
        partition: attribute(names[0])?,
        sort: names.get(1).map(|n| attribute(n)).transpose()?,
    })
}

/// The index's projection. NonKeyAttributes may name key attributes, as in
/// DynamoDB. A projection without a type is refused as DynamoDB refuses it
/// (dynalite's recorded answer; DynamoDB Local refuses it too, with its own
/// message).
fn index_projection(index: &IndexInput) -> Result<IndexProjection, DynamoError> {
    let projection = index
        .projection
        .as_ref()
        .ok_or_else(|| DynamoError::internal("projection checked above"))?;
    let names = projection.non_key_attributes.as_deref();
    if let Some(names) = names {
        if names.iter().any(|n| n.is_empty() || n.len() > 255) {
            return Err(DynamoError::validation(
                "Names of key attributes and attributes projected into an index must be between 1 and 255 characters, inclusive",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        if names.iter().any(|n| !seen.insert(n.as_str())) {
            return Err(DynamoError::validation(
                "Cannot have two attributes with the same name",
            ));
        }
    }
    match (projection.projection_type.as_deref(), names) {
        (None, _) => Err(DynamoError::validation(
            "One or more parameter values were invalid: Unknown ProjectionType: null",
        )),
        (Some("INCLUDE"), Some(names)) if !names.is_empty() => {
            Ok(IndexProjection::Include(names.to_vec()))
        }
        (Some("INCLUDE"), _) => Err(DynamoError::validation(
            "If Projection type INCLUDE is specified, some non-key attributes to include in the projection must be specified as well",
        )),
        (Some("KEYS_ONLY" | "ALL"), Some(names)) if !names.is_empty() => {
            Err(DynamoError::validation(
                "No attributes should be specified to be projected unless projection type is INCLUDE",
            ))
        }
        (Some("KEYS_ONLY"), _) => Ok(IndexProjection::KeysOnly),
        (Some("ALL"), _) => Ok(IndexProjection::All),
        (Some(_), _) => Err(DynamoError::validation(
            "Projection type must be INCLUDE, ALL, or KEYS_ONLY",
        )),
    }
}

/// A LocalSecondaryIndex of a table keyed `table_keys`.
pub fn local_index(
    index: &IndexInput,
    table_keys: &KeySchema,
    definitions: &[KeyAttribute],
) -> Result<IndexDefinition, DynamoError> {
    let name = index.index_name.clone().unwrap_or_default();
    if table_keys.sort.is_none() {
        return Err(DynamoError::validation(
            "Local Secondary indices are not allowed on hash tables, only hash and range tables",
        ));
    }
    let key_schema = index_key_schema(index, IndexKind::Local, definitions)?;
    if key_schema.sort.is_none() {
        return Err(DynamoError::validation(
            "Local secondary indices must have a range key",
        ));
    }
    if key_schema.partition.name != table_keys.partition.name {
        return Err(DynamoError::validation(
            "Local Secondary indices must have the same hash key as the main table",
        ));
    }
    let projection = index_projection(index)?;
    Ok(IndexDefinition {
        name,
        kind: IndexKind::Local,
        key_schema,
        projection,
        throughput: Throughput::default(),
        on_demand: OnDemandThroughput::default(),
        warm_throughput: None,
    })
}

/// A GlobalSecondaryIndex of a table billed `billing`.
pub fn global_index(
    index: &IndexInput,
    definitions: &[KeyAttribute],
    billing: BillingMode,
) -> Result<IndexDefinition, DynamoError> {
    let name = index.index_name.clone().unwrap_or_default();
    let key_schema = index_key_schema(index, IndexKind::Global, definitions)?;
    let projection = index_projection(index)?;
    let throughput = match (billing, &index.provisioned_throughput) {
        (BillingMode::Provisioned, None) => {
            return Err(DynamoError::validation(
                "No provisioned throughput specified for the global secondary index",
            ))
        }
        (BillingMode::Provisioned, Some(requested))
            if requested.read_capacity_units.unwrap_or(0) < 1
                || requested.write_capacity_units.unwrap_or(0) < 1 =>
        {
            return Err(DynamoError::validation(
                "Global Secondary Index's read and write throughput must be at least 1, and cannot be null",
            ))
        }
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(DynamoError::invalid_parameter(format!(
                "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
            )))
        }
        (_, Some(requested)) => {
            requested.check_bounds()?;
            Throughput {
                read_capacity_units: requested.read_capacity_units.unwrap_or(0),
                write_capacity_units: requested.write_capacity_units.unwrap_or(0),
                ..Throughput::default()
            }
        }
        (_, None) => Throughput::default(),
    };
    let on_demand = on_demand_ceiling(
        billing,
        index.on_demand_throughput.as_ref(),
        OnDemandThroughput::default(),
    )?;
    let warm_throughput = index
        .warm_throughput
        .map(|wanted| wanted.applied_to(WarmThroughput::floor(billing, &throughput)))
        .transpose()?;
    Ok(IndexDefinition {
        name,
        kind: IndexKind::Global,
        key_schema,
        projection,
        throughput,
        on_demand,
        warm_throughput,
    })
}

/// The on-demand ceiling of a table or global index billed by `billing`,
/// `current` changed by what `requested` sets. Only on-demand tables take
/// one, as only provisioned ones take ProvisionedThroughput; DynamoDB's
/// wording for this case is not known, so it mirrors the recorded one for
/// ProvisionedThroughput on an on-demand table.
pub fn on_demand_ceiling(
    billing: BillingMode,
    requested: Option<&OnDemandThroughputInput>,
    current: OnDemandThroughput,
) -> Result<OnDemandThroughput, DynamoError> {
    match (billing, requested) {
        (_, None) => Ok(current),
        (BillingMode::PayPerRequest, Some(requested)) => requested.applied_to(current),
        (BillingMode::Provisioned, Some(_)) => Err(DynamoError::invalid_parameter(
            "Neither MaxReadRequestUnits nor MaxWriteRequestUnits can be specified when BillingMode is PROVISIONED",
        )),
    }
}

/// Rules over all of a table's indexes: unique names, and the quota on
/// projected non-key attributes (counted over every index, repeats
/// included).
pub fn check_all(indexes: &[IndexDefinition]) -> Result<(), DynamoError> {
    for (i, index) in indexes.iter().enumerate() {
        let Some(other) = indexes[..i].iter().find(|o| o.name == index.name) else {
            continue;
        };
        return Err(DynamoError::validation(match (other.kind, index.kind) {
            (IndexKind::Global, IndexKind::Global) => {
                "Two global secondary indices have the same name"
            }
            (IndexKind::Local, IndexKind::Local) => {
                "Two local secondary indices have the same name"
            }
            _ => "Local Secondary Indices AND Global Secondary Indices must have different names",
        }));
    }
    let projected: usize = indexes
        .iter()
        .map(|i| match &i.projection {
            IndexProjection::Include(names) => names.len(),
            _ => 0,
        })
        .sum();
    if projected > MAX_PROJECTED_ATTRIBUTES {
        // DynamoDB's wording predates today's limit of 100.
        return Err(DynamoError::validation(
            "No more than 20 attributes per table can be projected into Local Secondary Indices",
        ));
    }
    Ok(())
}
