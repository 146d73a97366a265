//! Vector indexes (CreateTable's VectorIndexes, UpdateTable's
//! VectorIndexUpdates) and what they ask of writes. A vector index names a
//! vector attribute (a list of numbers, each a 32-bit float, of a fixed
//! length), a distance function, a search schema (at most one HASH
//! attribute that every search names, and INLINE_FILTER attributes a
//! search may name) and a projection. SearchVectors
//! (`ops::search_vectors`) searches it exactly: every item of the table
//! that the index holds is scored, where DynamoDB searches approximately
//! (ANN). Exact search returns what an approximate one aims at, and keeps
//! the index nothing more than its definition: nothing to backfill, to
//! keep in step or to lose in a crash.
//!
//! Messages are DynamoDB's where they were recorded (the troubleshooting
//! guide, and dynoxide's captures from DynamoDB, August 2026).

pub mod capacity;
pub mod score;

use crate::catalog::{BillingMode, IndexProjection, KeyAttribute, TableMeta};
use crate::ops::index_definitions::{self, IndexInput, ProjectionInput};
use crate::validate::Violations;
use dynalith_model::{json_integer, AttributeValue, DynamoError, Item};
pub use score::{vector_of, vector_of_json, DistanceFunction, NotAVector};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// DynamoDB's quotas.
pub const MAX_VECTOR_INDEXES: usize = 5;
pub const MAX_DIMENSIONS: i64 = 4096;

/// A vector index, as persisted with its table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VectorIndexMeta {
    pub name: String,
    pub vector_attribute: String,
    pub dimensions: usize,
    pub distance: DistanceFunction,
    pub search_schema: Vec<SearchElement>,
    pub projection: IndexProjection,
}

/// One element of a search schema: its attribute (of the type
/// AttributeDefinitions gives it) and its role.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchElement {
    pub attribute: KeyAttribute,
    /// HASH (else INLINE_FILTER).
    pub hash: bool,
}

impl VectorIndexMeta {
    pub fn arn(&self, table: &TableMeta) -> String {
        format!("{}/index/{}", table.arn(), self.name)
    }

    pub fn hash_attribute(&self) -> Option<&KeyAttribute> {
        self.search_schema
            .iter()
            .find(|e| e.hash)
            .map(|e| &e.attribute)
    }

    /// Whether the index holds `attribute` of its items: the table's keys,
    /// the vector, the search schema's attributes, and what the projection
    /// adds.
    pub fn projects(&self, table: &TableMeta, attribute: &str) -> bool {
        match &self.projection {
            IndexProjection::All => true,
            projection => {
                table.key_schema.is_key_attribute(attribute)
                    || attribute == self.vector_attribute
                    || self
                        .search_schema
                        .iter()
                        .any(|e| e.attribute.name == attribute)
                    || matches!(projection, IndexProjection::Include(names) if names.iter().any(|n| n == attribute))
            }
        }
    }

    /// One entry of DescribeTable's VectorIndexes: the definition, ACTIVE.
    pub fn description(&self, table: &TableMeta) -> Value {
        let mut description = self.info();
        description["IndexStatus"] = "ACTIVE".into();
        description["IndexArn"] = self.arn(table).into();
        description
    }

    /// As a backup records it (VectorIndexInfo): the definition alone.
    pub fn info(&self) -> Value {
        json!({
            "IndexName": self.name,
            "VectorAttribute": { "AttributeName": self.vector_attribute },
            "Dimensions": self.dimensions,
            "DistanceFunction": self.distance.name(),
            "SearchSchema": self.search_schema_description(),
            "Projection": crate::describe::projection_description(&self.projection),
        })
    }

    fn search_schema_description(&self) -> Value {
        Value::Array(
            self.search_schema
                .iter()
                .map(|e| {
                    json!({
                        "AttributeName": e.attribute.name,
                        "SearchSchemaElementType": if e.hash { "HASH" } else { "INLINE_FILTER" },
                    })
                })
                .collect(),
        )
    }
}

impl TableMeta {
    /// Whether a vector index's search schema uses the attribute (so its
    /// definition stays in AttributeDefinitions).
    pub fn vector_indexes_use(&self, attribute: &str) -> bool {
        (self.vector_indexes.iter()).any(|i| {
            i.search_schema
                .iter()
                .any(|e| e.attribute.name == attribute)
        })
    }
}

/// A VectorIndex (or UpdateTable's CreateVectorIndexAction) as sent.
#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct VectorIndexInput {
    pub index_name: Option<String>,
    pub vector_attribute: Option<VectorAttributeInput>,
    pub search_schema: Option<Vec<SearchSchemaElementInput>>,
    pub projection: Option<ProjectionInput>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    pub dimensions: Option<i64>,
    pub distance_function: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct VectorAttributeInput {
    pub attribute_name: Option<String>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct SearchSchemaElementInput {
    pub attribute_name: Option<String>,
    pub search_schema_element_type: Option<String>,
}

/// Coral's member checks on one index at `member` (e.g.
/// `vectorIndexes.1.member`).
pub fn check_members(v: &mut Violations, index: &VectorIndexInput, member: &str) {
    if v.require(&index.index_name, &format!("{member}.indexName")) {
        v.name(index.index_name.as_deref(), &format!("{member}.indexName"));
    }
    if v.require(
        &index.vector_attribute,
        &format!("{member}.vectorAttribute"),
    ) {
        let name = index
            .vector_attribute
            .as_ref()
            .and_then(|a| a.attribute_name.as_ref());
        let path = format!("{member}.vectorAttribute.attributeName");
        if v.require(&name, &path) {
            let name = name.map(String::as_str).unwrap_or_default();
            v.length_between(format_args!("'{name}'"), name.len(), &path, 1, 255);
        }
    }
    for (i, element) in index.search_schema.iter().flatten().enumerate() {
        let path = format!("{member}.searchSchema.{}.member", i + 1);
        v.require(&element.attribute_name, &format!("{path}.attributeName"));
        let kind = format!("{path}.searchSchemaElementType");
        if v.require(&element.search_schema_element_type, &kind) {
            v.one_of(
                element.search_schema_element_type.as_deref(),
                &kind,
                &["HASH", "INLINE_FILTER"],
            );
        }
    }
    if v.require(&index.projection, &format!("{member}.projection")) {
        if let Some(projection) = &index.projection {
            index_definitions::check_projection_members(v, projection, member);
        }
    }
    if v.require(&index.dimensions, &format!("{member}.dimensions")) {
        v.at_least(index.dimensions, &format!("{member}.dimensions"), 1);
    }
    let function = format!("{member}.distanceFunction");
    if v.require(&index.distance_function, &function) {
        v.one_of(
            index.distance_function.as_deref(),
            &function,
            &["COSINE", "EUCLIDEAN", "DOT_PRODUCT"],
        );
    }
}

/// DynamoDB's rules on a table's vector indexes, `existing` ones and
/// `added` ones together (CreateTable passes none existing). `definitions`
/// are the request's AttributeDefinitions; `other_index_names` the table's
/// other indexes'.
pub fn definitions(
    added: &[VectorIndexInput],
    existing: &[VectorIndexMeta],
    definitions: &[KeyAttribute],
    other_index_names: &[&str],
    billing: BillingMode,
) -> Result<Vec<VectorIndexMeta>, DynamoError> {
    let invalid = |message: String| Err(DynamoError::invalid_parameter(message));
    if billing != BillingMode::PayPerRequest {
        return invalid("Vector indexes are only supported for PAY_PER_REQUEST tables".into());
    }
    if existing.len() + added.len() > MAX_VECTOR_INDEXES {
        return invalid(format!(
            "VectorIndex count exceeds the per-table limit of {MAX_VECTOR_INDEXES}"
        ));
    }
    let mut made: Vec<VectorIndexMeta> = Vec::new();
    for index in added {
        let name = index.index_name.clone().unwrap_or_default();
        let taken = other_index_names.contains(&name.as_str())
            || existing.iter().chain(&made).any(|i| i.name == name);
        if taken {
            return invalid(format!("Duplicate index name: {name}"));
        }
        let dimensions = index.dimensions.unwrap_or_default();
        if !(1..=MAX_DIMENSIONS).contains(&dimensions) {
            return invalid(format!(
                "Number of dimensions must be between 1 and {MAX_DIMENSIONS} inclusive."
            ));
        }
        let vector_attribute = (index.vector_attribute.as_ref())
            .and_then(|a| a.attribute_name.clone())
            .unwrap_or_default();
        if definitions.iter().any(|d| d.name == vector_attribute) {
            return invalid(format!("Conflicting attribute definition for '{vector_attribute}'. An attribute cannot be defined in AttributeDefinitions when used as a VectorAttribute."));
        }
        let same_attribute = existing
            .iter()
            .chain(&made)
            .find(|i| i.vector_attribute == vector_attribute);
        if same_attribute.is_some_and(|i| i.dimensions as i64 != dimensions) {
            return invalid(format!("Conflicting attribute definition for '{vector_attribute}'. All VectorIndexes on the same vector attribute must use the same dimensions."));
        }
        let mut search_schema: Vec<SearchElement> = Vec::new();
        for element in index.search_schema.iter().flatten() {
            let attribute_name = element.attribute_name.clone().unwrap_or_default();
            let Some(attribute) = definitions.iter().find(|d| d.name == attribute_name) else {
                return invalid(
                    "One element in SearchSchema is not defined in attribute definitions".into(),
                );
            };
            if search_schema
                .iter()
                .any(|e| e.attribute.name == attribute_name)
            {
                return invalid("SearchSchema contains a duplicate AttributeName".into());
            }
            search_schema.push(SearchElement {
                attribute: attribute.clone(),
                hash: element.search_schema_element_type.as_deref() == Some("HASH"),
            });
        }
        let hashes = search_schema.iter().filter(|e| e.hash).count();
        if hashes > 1 {
            return invalid(format!("Value '{hashes}' at 'SearchSchema' failed to satisfy constraint: Member must have HASH count less than or equal to 1"));
        }
        let projection = index_definitions::index_projection(&IndexInput {
            index_name: index.index_name.clone(),
            key_schema: None,
            projection: index.projection.clone(),
            provisioned_throughput: None,
            on_demand_throughput: None,
            warm_throughput: None,
        })?;
        made.push(VectorIndexMeta {
            name,
            vector_attribute,
            dimensions: dimensions as usize,
            distance: index
                .distance_function
                .as_deref()
                .and_then(DistanceFunction::parse)
                .unwrap_or(DistanceFunction::Cosine),
            search_schema,
            projection,
        });
    }
    Ok(made)
}

/// The attribute names the request's vector indexes name (their search
/// schemas' and vectors'), so that CreateTable does not count their
/// definitions unused: a defined vector attribute is refused as such
/// (`definitions`).
pub fn defined_attributes_used(indexes: &[VectorIndexInput]) -> impl Iterator<Item = &str> {
    indexes.iter().flat_map(|i| {
        let vector = i
            .vector_attribute
            .as_ref()
            .and_then(|a| a.attribute_name.as_deref());
        let schema = i
            .search_schema
            .iter()
            .flatten()
            .filter_map(|e| e.attribute_name.as_deref());
        vector.into_iter().chain(schema)
    })
}

/// What DynamoDB refuses of an item written to a table with vector
/// indexes: a vector attribute that is not a list of the index's length of
/// 32-bit floats, and search-schema attributes of another type than
/// defined. Absent attributes are fine: the item is just not in the index.
pub fn check_item(table: &TableMeta, item: &Item) -> Result<(), DynamoError> {
    for index in &table.vector_indexes {
        let name = &index.name;
        if let Some(value) = item.get(&index.vector_attribute) {
            check_vector(&index.vector_attribute, value, index.dimensions, name)?;
        }
        for element in &index.search_schema {
            let attribute = &element.attribute;
            let Some(value) = item.get(&attribute.name) else {
                continue;
            };
            if !attribute.scalar_type.matches(value) {
                return Err(DynamoError::validation(format!(
                    "One or more parameter values were invalid. Attribute '{}' type mismatch. Expected: {}, Actual: {}. IndexName: {name}",
                    attribute.name,
                    attribute.scalar_type.as_str(),
                    value.value_type().descriptor()
                )));
            }
            if let Some(kind) = crate::primary_key::empty_kind(value).filter(|_| element.hash) {
                return Err(crate::primary_key::empty_index_key_error(
                    kind,
                    name,
                    &attribute.name,
                ));
            }
        }
    }
    Ok(())
}

fn check_vector(
    attribute: &str,
    value: &AttributeValue,
    dimensions: usize,
    index: &str,
) -> Result<(), DynamoError> {
    let invalid = |detail: String| {
        Err(DynamoError::validation(format!(
            "One or more parameter values were invalid. {detail}"
        )))
    };
    let AttributeValue::L(elements) = value else {
        return invalid(format!("Invalid type for parameter {attribute}, Expected: 32-bit floating point number list IndexName: {index}"));
    };
    if elements.len() != dimensions {
        return invalid(format!(
            "Invalid size for parameter {attribute}, Expected: {dimensions}, Actual: {} IndexName: {index}",
            elements.len()
        ));
    }
    for (position, element) in elements.iter().enumerate() {
        let AttributeValue::N(number) = element else {
            return invalid(format!(
                "Invalid type for parameter {attribute}[{position}], Expected: 32-bit floating point number, Actual: {}. IndexName: {index}",
                element.value_type().descriptor()
            ));
        };
        if vector_of(&AttributeValue::L(vec![element.clone()]), 1).is_err() {
            return invalid(format!(
                "Invalid value for parameter {attribute}[{position}], Value: {number} is outside valid range [-3.4028235E38, 3.4028235E38]. IndexName: {index}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
