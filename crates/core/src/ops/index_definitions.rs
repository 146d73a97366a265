//! Secondary-index definitions, as CreateTable (LocalSecondaryIndexes,
//! GlobalSecondaryIndexes) and UpdateTable (GlobalSecondaryIndexUpdates)
//! take them: their shapes, Coral's member checks, and DynamoDB's rules on
//! keys and projections. Messages are DynamoDB's where recorded from it,
//! else DynamoDB Local's (docs/index-behaviour.md).

use super::shapes::{
    KeySchemaElementInput, OnDemandThroughputInput, ProvisionedThroughputInput, Target,
};
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

/// Coral's checks on an index's key schema member list, at `path`. A
/// local index's key has at most two elements; a global index's has no
/// member limit (multi-attribute keys: DynamoDB's own rules count its
/// HASH and RANGE elements, `index_key_schema`).
pub fn check_key_schema_members(
    v: &mut Violations,
    schema: Option<&[KeySchemaElementInput]>,
    path: &str,
    kind: IndexKind,
) {
    let Some(schema) = schema else {
        v.push("null", path, "Member must not be null");
        return;
    };
    let max = match kind {
        IndexKind::Local => 2,
        IndexKind::Global => usize::MAX,
    };
    v.length_between(shown_list(schema.len()), schema.len(), path, 1, max);
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

/// How Coral shows a list value it refuses for its length: `'[]'` when
/// empty (DynamoDB's recorded answer); DynamoDB prints other lists'
/// elements as Java objects, which are shown here as `'[...]'`.
pub fn shown_list(length: usize) -> &'static str {
    if length == 0 {
        "'[]'"
    } else {
        "'[...]'"
    }
}

/// The projection types, in the order of the API model (Coral's enum
/// message lists them so).
pub const PROJECTION_TYPES: &[&str] = &["ALL", "KEYS_ONLY", "INCLUDE"];

/// The most NonKeyAttributes one index's projection may name.
pub const MAX_NON_KEY_ATTRIBUTES: usize = 20;

/// Coral's checks on one index definition at `member` (a local index's
/// path starts with `localSecondaryIndexes`; only a global index has
/// provisioned throughput).
pub fn check_one_index_members(v: &mut Violations, index: &IndexInput, member: &str) {
    match &index.projection {
        None => v.push(
            "null",
            &format!("{member}.projection"),
            "Member must not be null",
        ),
        Some(projection) => check_projection_members(v, projection, member),
    }
    v.name(index.index_name.as_deref(), &format!("{member}.indexName"));
    let kind = if member.starts_with("localSecondaryIndexes") {
        IndexKind::Local
    } else {
        IndexKind::Global
    };
    check_key_schema_members(
        v,
        index.key_schema.as_deref(),
        &format!("{member}.keySchema"),
        kind,
    );
    if kind == IndexKind::Global {
        if let Some(throughput) = &index.provisioned_throughput {
            throughput.check(v, &format!("{member}.provisionedThroughput"));
        }
    }
}

/// Coral's checks on a projection: its type is one of the enum's, and
/// NonKeyAttributes, when given, names 1 to 20 attributes.
pub(crate) fn check_projection_members(
    v: &mut Violations,
    projection: &ProjectionInput,
    member: &str,
) {
    if let Some(names) = &projection.non_key_attributes {
        let shown = format!("'[{}]'", names.join(", "));
        v.length_between(
            shown,
            names.len(),
            &format!("{member}.projection.nonKeyAttributes"),
            1,
            MAX_NON_KEY_ATTRIBUTES,
        );
    }
    v.one_of(
        projection.projection_type.as_deref(),
        &format!("{member}.projection.projectionType"),
        PROJECTION_TYPES,
    );
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

/// The most partition and the most sort attributes of a global index's
/// key (multi-attribute keys).
pub const MAX_INDEX_KEY_ATTRIBUTES_PER_KIND: usize = 4;

/// The index's key schema, with DynamoDB's checks on its element order
/// and against the attribute definitions. A local index's key is one HASH
/// then one RANGE element; a global index's is one to four HASH elements
/// then up to four RANGE elements (DynamoDB's answers recorded by the
/// ack-api-quirks lab, DDB-TABLE-123/124).
fn index_key_schema(
    index: &IndexInput,
    definitions: &[KeyAttribute],
    kind: IndexKind,
) -> Result<KeySchema, DynamoError> {
    let schema = index.key_schema.as_deref().unwrap_or_default();
    let names: Vec<&str> = schema
        .iter()
        .map(|k| k.attribute_name.as_deref().unwrap_or_default())
        .collect();
    let definition = |n: &str| definitions.iter().find(|d| d.name == n).cloned();
    let is_hash: Vec<bool> = schema
        .iter()
        .map(|k| k.key_type.as_deref() == Some("HASH"))
        .collect();
    // DynamoDB's answer for a RANGE-only key and for RANGE before HASH
    // alike.
    if is_hash.first() != Some(&true) {
        return Err(DynamoError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    let hash_count = is_hash.iter().take_while(|h| **h).count();
    match kind {
        IndexKind::Local => {
            if is_hash.get(1) == Some(&true) {
                return Err(DynamoError::validation(
                    "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
                ));
            }
        }
        IndexKind::Global => {
            if is_hash[hash_count..].iter().any(|h| *h) {
                return Err(DynamoError::validation(
                    "All HASH key attributes must precede RANGE key attributes in the KeySchema",
                ));
            }
            for (count, key_type) in [(hash_count, "HASH"), (names.len() - hash_count, "RANGE")] {
                if count > MAX_INDEX_KEY_ATTRIBUTES_PER_KIND {
                    return Err(DynamoError::validation(format!(
                        "The KeySchema exceeds the maximum allowed number of {key_type} key attributes"
                    )));
                }
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    if names.iter().any(|n| !seen.insert(*n)) {
        return Err(DynamoError::validation(
            "The KeySchema contains multiple key attributes with the same name",
        ));
    }
    if names.iter().any(|n| definition(n).is_none()) {
        let defined: Vec<&str> = definitions.iter().map(|d| d.name.as_str()).collect();
        return Err(DynamoError::invalid_parameter(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            names.join(", "),
            defined.join(", ")
        )));
    }
    let attributes = names
        .iter()
        .map(|n| definition(n).ok_or_else(|| DynamoError::internal("index key checked above")))
        .collect::<Result<Vec<_>, _>>()?;
    let (partition, sort) = attributes.split_at(hash_count);
    Ok(KeySchema {
        partition: partition[0].clone(),
        more_partition: partition[1..].to_vec(),
        sort: sort.first().cloned(),
        more_sort: sort.get(1..).unwrap_or_default().to_vec(),
    })
}

/// The index's projection. NonKeyAttributes may name key attributes, as in
/// DynamoDB. A projection without a type is refused as DynamoDB refuses it
/// (dynalite's recorded answer; DynamoDB Local refuses it too, with its own
/// message).
pub(crate) fn index_projection(index: &IndexInput) -> Result<IndexProjection, DynamoError> {
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
        if let Some(repeated) = names.iter().find(|n| !seen.insert(n.as_str())) {
            return Err(DynamoError::invalid_parameter(format!(
                "Duplicate element in NonKeyAttributes: {repeated}"
            )));
        }
    }
    match (projection.projection_type.as_deref(), names) {
        (None, _) => Err(DynamoError::validation(
            "One or more parameter values were invalid: Unknown ProjectionType: null",
        )),
        (Some("INCLUDE"), Some(names)) if !names.is_empty() => {
            Ok(IndexProjection::Include(names.to_vec()))
        }
        (Some("INCLUDE"), _) => Err(DynamoError::invalid_parameter(
            "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        )),
        (Some(kind @ ("KEYS_ONLY" | "ALL")), Some(names)) if !names.is_empty() => {
            Err(DynamoError::invalid_parameter(format!(
                "ProjectionType is {kind}, but NonKeyAttributes is specified"
            )))
        }
        (Some("KEYS_ONLY"), _) => Ok(IndexProjection::KeysOnly),
        (Some("ALL"), _) => Ok(IndexProjection::All),
        // Refused by Coral's enum check before this.
        (Some(_), _) => Err(DynamoError::internal("projection type checked above")),
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
        return Err(DynamoError::invalid_parameter(
            "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
        ));
    }
    let key_schema = index_key_schema(index, definitions, IndexKind::Local)?;
    if key_schema.sort.is_none() {
        return Err(DynamoError::invalid_parameter(format!(
            "Index KeySchema does not have a range key for index: {name}"
        )));
    }
    if key_schema.partition.name != table_keys.partition.name {
        return Err(DynamoError::invalid_parameter(format!(
            "Index KeySchema does not have the same leading hash key as table KeySchema for index: {name}. index hash key: {}, table hash key: {}",
            key_schema.partition.name, table_keys.partition.name
        )));
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
    let key_schema = index_key_schema(index, definitions, IndexKind::Global)?;
    let projection = index_projection(index)?;
    let throughput = match (billing, &index.provisioned_throughput) {
        (BillingMode::Provisioned, None) => {
            return Err(DynamoError::invalid_parameter(format!(
                "ProvisionedThroughput is not specified for index: {name}"
            )))
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
    let on_demand = on_demand_at_creation(
        billing,
        index.on_demand_throughput.as_ref(),
        Target::Index(&name),
    )?;
    let warm_throughput = index
        .warm_throughput
        .map(|wanted| wanted.at_creation(billing, &throughput, Target::Index(&name)))
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

/// The on-demand ceiling a new `target` (a table, or a global index of
/// CreateTable or of UpdateTable's Create action) billed by `billing` asks
/// for. As DynamoDB was recorded answering CreateTable: a provisioned
/// table takes none ("... cannot be specified when table BillingMode is
/// PROVISIONED.", its own wording), and -1, which UpdateTable takes to
/// remove a ceiling, is out of range like 0.
pub fn on_demand_at_creation(
    billing: BillingMode,
    requested: Option<&OnDemandThroughputInput>,
    target: Target,
) -> Result<OnDemandThroughput, DynamoError> {
    let Some(requested) = requested else {
        return Ok(OnDemandThroughput::default());
    };
    let given = [
        (requested.max_read_request_units, "MaxReadRequestUnits"),
        (requested.max_write_request_units, "MaxWriteRequestUnits"),
    ];
    if billing == BillingMode::Provisioned {
        return match given.iter().find(|(value, _)| value.is_some()) {
            Some((_, name)) => Err(DynamoError::invalid_parameter(match target {
                Target::Table => format!(
                    "{name} for OnDemandThroughput cannot be specified when table BillingMode is PROVISIONED."
                ),
                Target::Index(index) => format!(
                    "{name} for OnDemandThroughput for index: {index} cannot be specified when table BillingMode is PROVISIONED."
                ),
            })),
            None => Ok(OnDemandThroughput::default()),
        };
    }
    if let Some((_, name)) = given.iter().find(|(value, _)| value.is_some_and(|u| u < 1)) {
        let target = match target {
            Target::Table => "table".to_string(),
            Target::Index(index) => format!("index : {index}"),
        };
        return Err(DynamoError::invalid_parameter(format!(
            "Requested {name} for OnDemandThroughput for {target} is outside of valid range"
        )));
    }
    requested.applied_to(OnDemandThroughput::default(), target)
}

/// The on-demand ceiling of a table billed by `billing`, `current` changed
/// by what `requested` sets (`on_demand_ceiling_for` with the table as the
/// target).
pub fn on_demand_ceiling(
    billing: BillingMode,
    requested: Option<&OnDemandThroughputInput>,
    current: OnDemandThroughput,
) -> Result<OnDemandThroughput, DynamoError> {
    on_demand_ceiling_for(billing, requested, current, Target::Table)
}

/// The on-demand ceiling of `target` (the table or one of its global
/// indexes) when the table is billed by `billing`, `current` changed by
/// what `requested` sets. Only on-demand tables take one, as only
/// provisioned ones take ProvisionedThroughput; an OnDemandThroughput that
/// sets neither member sets nothing. Messages are DynamoDB's.
pub fn on_demand_ceiling_for(
    billing: BillingMode,
    requested: Option<&OnDemandThroughputInput>,
    current: OnDemandThroughput,
    target: Target,
) -> Result<OnDemandThroughput, DynamoError> {
    let Some(requested) = requested else {
        return Ok(current);
    };
    if billing == BillingMode::PayPerRequest {
        return requested.applied_to(current, target);
    }
    let given = [
        (requested.max_read_request_units, "MaxReadRequestUnits"),
        (requested.max_write_request_units, "MaxWriteRequestUnits"),
    ];
    match given.iter().find(|(value, _)| value.is_some()) {
        Some((_, name)) => Err(DynamoError::invalid_parameter(match target {
            Target::Table => format!(
                "{name} for OnDemandThroughput cannot be specified when the table BillingMode is PROVISIONED"
            ),
            Target::Index(index) => format!(
                "{name} for OnDemandThroughput for index : {index} cannot be specified when the table BillingMode is PROVISIONED"
            ),
        })),
        None => Ok(current),
    }
}

/// Rules over all of a table's indexes: unique names, and the quota on
/// projected non-key attributes (counted over every index, repeats
/// included).
pub fn check_all(indexes: &[IndexDefinition]) -> Result<(), DynamoError> {
    for (i, index) in indexes.iter().enumerate() {
        if indexes[..i].iter().any(|o| o.name == index.name) {
            return Err(DynamoError::invalid_parameter(format!(
                "Duplicate index name: {}",
                index.name
            )));
        }
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
