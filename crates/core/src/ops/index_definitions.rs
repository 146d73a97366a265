//! Secondary-index definitions, as CreateTable (LocalSecondaryIndexes,
//! GlobalSecondaryIndexes) and UpdateTable (GlobalSecondaryIndexUpdates)
//! take them: their shapes, Coral's member checks, and DynamoDB's rules on
//! keys and projections. Messages are DynamoDB Local's, recorded in
//! docs/index-behaviour.md.

use super::shapes::{KeySchemaElementInput, ProvisionedThroughputInput};
use crate::catalog::{
    BillingMode, IndexKind, IndexProjection, KeyAttribute, KeySchema, Throughput,
};
use crate::validate::Violations;
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
/// throughput).
#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct IndexInput {
    pub index_name: Option<String>,
    pub key_schema: Option<Vec<KeySchemaElementInput>>,
    pub projection: Option<ProjectionInput>,
    pub provisioned_throughput: Option<ProvisionedThroughputInput>,
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
    if let Some(projection) = &index.projection {
        if let Some(names) = &projection.non_key_attributes {
            v.length_between(
                format_args!("'{names:?}'"),
                names.len(),
                &format!("{member}.projection.nonKeyAttributes"),
                1,
                20,
            );
        }
        v.one_of(
            projection.projection_type.as_deref(),
            &format!("{member}.projection.projectionType"),
            &["INCLUDE", "KEYS_ONLY", "ALL"],
        );
    } else {
        v.push(
            "null",
            &format!("{member}.projection"),
            "Member must not be null",
        );
    }
    if let Some(throughput) = &index.provisioned_throughput {
        throughput.check(v, &format!("{member}.provisionedThroughput"));
    }
    v.name(index.index_name.as_deref(), &format!("{member}.indexName"));
    check_key_schema_members(
        v,
        index.key_schema.as_deref(),
        &format!("{member}.keySchema"),
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
}

fn invalid(message: impl std::fmt::Display) -> DynamoError {
    DynamoError::invalid_parameter(message.to_string())
}

/// The index's key schema, with DynamoDB's checks against the attribute
/// definitions.
fn index_key_schema(
    index: &IndexInput,
    name: &str,
    definitions: &[KeyAttribute],
) -> Result<KeySchema, DynamoError> {
    let schema = index.key_schema.as_deref().unwrap_or_default();
    let names: Vec<&str> = schema
        .iter()
        .map(|k| k.attribute_name.as_deref().unwrap_or_default())
        .collect();
    let definition = |n: &str| definitions.iter().find(|d| d.name == n).cloned();
    if names.iter().any(|n| definition(n).is_none()) {
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            names.join(", "),
            definitions.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    if names.len() == 2 && names[0] == names[1] {
        return Err(DynamoError::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    if schema.first().and_then(|k| k.key_type.as_deref()) != Some("HASH") {
        return Err(invalid(format!(
            "Index KeySchema does not have a hash key for index: {name}"
        )));
    }
    if schema
        .get(1)
        .is_some_and(|k| k.key_type.as_deref() != Some("RANGE"))
    {
        return Err(DynamoError::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    let attribute =
        |n: &str| definition(n).ok_or_else(|| DynamoError::internal("index key checked above"));
    Ok(KeySchema {
        partition: attribute(names[0])?,
        sort: names.get(1).map(|n| attribute(n)).transpose()?,
    })
}

fn index_projection(
    index: &IndexInput,
    key_attributes: &[&str],
) -> Result<IndexProjection, DynamoError> {
    let projection = index
        .projection
        .as_ref()
        .ok_or_else(|| DynamoError::internal("projection checked above"))?;
    let kind = projection.projection_type.as_deref();
    match (kind, &projection.non_key_attributes) {
        (Some("INCLUDE"), Some(names)) => {
            let mut seen = std::collections::HashSet::new();
            if let Some(dup) = names.iter().find(|n| !seen.insert(n.as_str())) {
                return Err(invalid(format!(
                    "Duplicate attribute names in NonKeyAttributes: {dup}"
                )));
            }
            if let Some(key) = names.iter().find(|n| key_attributes.contains(&n.as_str())) {
                return Err(invalid(format!(
                    "NonKeyAttributes cannot contain key attributes: {key}"
                )));
            }
            Ok(IndexProjection::Include(names.clone()))
        }
        (Some("INCLUDE"), None) => Err(invalid(
            "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        )),
        (Some(other), Some(_)) => Err(invalid(format!(
            "ProjectionType is {other}, but NonKeyAttributes is specified"
        ))),
        (Some("KEYS_ONLY"), None) => Ok(IndexProjection::KeysOnly),
        (Some("ALL"), None) => Ok(IndexProjection::All),
        _ => Err(invalid("Unknown ProjectionType")),
    }
}

/// A LocalSecondaryIndex of a table keyed `table_keys`.
pub fn local_index(
    index: &IndexInput,
    table_keys: &KeySchema,
    definitions: &[KeyAttribute],
) -> Result<IndexDefinition, DynamoError> {
    let name = index.index_name.clone().unwrap_or_default();
    let key_schema = index_key_schema(index, &name, definitions)?;
    if table_keys.sort.is_none() {
        return Err(invalid(
            "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
        ));
    }
    let Some(sort) = &key_schema.sort else {
        return Err(invalid(format!(
            "Index KeySchema does not have a range key for index: {name}"
        )));
    };
    if key_schema.partition.name != table_keys.partition.name {
        return Err(invalid(format!(
            "Index KeySchema does not have the same leading hash key as table KeySchema for index: {name}. index hash key: {}, table hash key: {}",
            key_schema.partition.name, table_keys.partition.name
        )));
    }
    if index.provisioned_throughput.is_some() {
        return Err(invalid(format!(
            "ProvisionedThroughput is not supported for local secondary index: {name}"
        )));
    }
    let keys = key_names(table_keys, &key_schema);
    let projection = index_projection(index, &keys)?;
    let _ = sort;
    Ok(IndexDefinition {
        name,
        kind: IndexKind::Local,
        key_schema,
        projection,
        throughput: Throughput::default(),
    })
}

/// A GlobalSecondaryIndex of a table keyed `table_keys` and billed `billing`.
pub fn global_index(
    index: &IndexInput,
    table_keys: &KeySchema,
    definitions: &[KeyAttribute],
    billing: BillingMode,
) -> Result<IndexDefinition, DynamoError> {
    let name = index.index_name.clone().unwrap_or_default();
    let key_schema = index_key_schema(index, &name, definitions)?;
    let keys = key_names(table_keys, &key_schema);
    let projection = index_projection(index, &keys)?;
    let throughput = match (billing, &index.provisioned_throughput) {
        (BillingMode::Provisioned, None) => {
            return Err(invalid(format!(
                "ProvisionedThroughput must be specified for index: {name}"
            )))
        }
        (BillingMode::PayPerRequest, Some(_)) => {
            return Err(invalid(format!(
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
    Ok(IndexDefinition {
        name,
        kind: IndexKind::Global,
        key_schema,
        projection,
        throughput,
    })
}

fn key_names<'a>(table_keys: &'a KeySchema, index_keys: &'a KeySchema) -> Vec<&'a str> {
    table_keys
        .attributes()
        .chain(index_keys.attributes())
        .map(|a| a.name.as_str())
        .collect()
}

/// Rules over all of a table's indexes: unique names, and the quota on
/// projected non-key attributes.
pub fn check_all(indexes: &[IndexDefinition]) -> Result<(), DynamoError> {
    let mut names = std::collections::HashSet::new();
    if let Some(dup) = indexes.iter().find(|i| !names.insert(i.name.as_str())) {
        return Err(invalid(format!("Duplicate index name: {}", dup.name)));
    }
    let projected: std::collections::HashSet<&str> = indexes
        .iter()
        .flat_map(|i| match &i.projection {
            IndexProjection::Include(names) => names.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        })
        .collect();
    if projected.len() > MAX_PROJECTED_ATTRIBUTES {
        return Err(invalid(format!(
            "The number of attributes in key schema and projection of all indexes exceeds the limit of {MAX_PROJECTED_ATTRIBUTES}"
        )));
    }
    Ok(())
}
