//! SearchVectors: the TopK items of a vector index nearest a search
//! vector (`vectors`). The search is exact: every item the index holds is
//! scored (one read of the table), and the best K are kept in a heap of K.
//!
//! SearchConditionExpression names the index's search-schema attributes,
//! each at most once, with `=` only, joined by AND; the HASH attribute must
//! be named. Results hold what the index projects, without the vector
//! unless ProjectionExpression asks for it (as DynamoDB answers).

use super::expressions::{Names, Values};
use crate::catalog::TableMeta;
use crate::validate::Violations;
use crate::vectors::{vector_of, vector_of_json, DistanceFunction, NotAVector, VectorIndexMeta};
use crate::{keys, storage_error, stored_item, Database, RequestContext};
use dynalith_expr::ast::{CompareOp, Condition, NameRef, Operand, PathElement};
use dynalith_expr::{Bindings, ExpressionKind, RequestExpressions};
use dynalith_model::{wire::parse_input, AttributeValue, DynamoError, Item};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::cmp::Ordering;
use std::collections::BinaryHeap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SearchVectorsInput {
    table_name: Option<String>,
    index_name: Option<String>,
    search_vector: Option<Vec<AttributeValue>>,
    top_k: Option<i32>,
    search_condition_expression: Option<String>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<Names>,
    #[serde(
        default,
        deserialize_with = "dynalith_model::expression_values::deserialize"
    )]
    expression_attribute_values: Option<Values>,
    return_consumed_capacity: Option<String>,
}

const MAX_TOP_K: i32 = 100;

fn check(input: &SearchVectorsInput) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    if v.require(&input.index_name, "indexName") {
        v.name(input.index_name.as_deref(), "indexName");
    }
    if v.require(&input.search_vector, "searchVector") {
        let length = input.search_vector.as_ref().map_or(0, Vec::len);
        v.length_between("[]", length, "searchVector", 1, usize::MAX);
    }
    if v.require(&input.top_k, "topK") {
        v.at_least(input.top_k.map(i64::from), "topK", 1);
    }
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.finish()?;
    let top_k = input.top_k.unwrap_or_default();
    if top_k > MAX_TOP_K {
        return Err(DynamoError::validation(format!(
            "Provided TopK value '{top_k}' is out of valid range. The value must be between 1 and {MAX_TOP_K} inclusive"
        )));
    }
    Ok(())
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: SearchVectorsInput = parse_input(body)?;
    check(&input)?;
    let mut request = RequestExpressions::new(
        input.expression_attribute_names.as_ref(),
        input.expression_attribute_values.as_ref(),
    )?;
    let condition = input
        .search_condition_expression
        .as_deref()
        .map(|text| request.condition(text, ExpressionKind::SearchCondition))
        .transpose()?;
    let projection = input
        .projection_expression
        .as_deref()
        .map(|text| request.projection(text))
        .transpose()?;
    request.finish()?;
    let bindings = request.bindings();

    let table_name =
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?;
    let table = db.catalog().require_in(table_name, &context.region)?;
    let index_name = input.index_name.as_deref().unwrap_or_default();
    let index = (table.vector_indexes.iter())
        .find(|i| i.name == index_name)
        .ok_or_else(|| {
            DynamoError::validation(format!(
                "The table does not have the specified index: {index_name}"
            ))
        })?;
    let search = search_vector(input.search_vector.as_deref().unwrap_or_default(), index)?;
    let wanted = match &condition {
        Some(condition) => equalities(condition.root(), &bindings, index)?,
        None => Vec::new(),
    };
    if let Some(hash) = index.hash_attribute() {
        if !wanted.iter().any(|(name, _)| *name == hash.name) {
            return Err(DynamoError::validation(
                "SearchConditionExpression must be provided when SearchSchema has a HASH key",
            ));
        }
    }

    let top_k = input.top_k.unwrap_or(1) as usize;
    let mut best: BinaryHeap<Ranked> = BinaryHeap::with_capacity(top_k + 1);
    let higher_first = index.distance == DistanceFunction::DotProduct;
    let hash = index.hash_attribute().map(|a| a.name.as_str());
    let (start, end) = keys::table_items_range(table.id);
    let snapshot = db.engine().snapshot();
    let mut read_bytes = 0usize;
    for entry in snapshot.scan(&start, &end, false) {
        let (_, stored) = entry.map_err(storage_error)?;
        read_bytes += stored.len();
        // Only the attributes the search looks at are parsed; a whole item
        // only once it is among the results.
        let attributes = stored_item::raw_attributes(&stored)?;
        if hash.is_some_and(|name| !attributes.contains_key(name)) {
            continue;
        }
        let matches = |(name, value): &(&str, &AttributeValue)| {
            (attributes.get(*name))
                .and_then(|raw| serde_json::from_str::<AttributeValue>(raw.get()).ok())
                .is_some_and(|found| found == **value)
        };
        if !wanted.iter().all(matches) {
            continue;
        }
        let vector = (attributes.get(&index.vector_attribute))
            .and_then(|raw| vector_of_json(raw.get(), index.dimensions));
        let Some(vector) = vector else {
            continue;
        };
        let score = index.distance.score(&search, &vector);
        let candidate = Ranked {
            score,
            higher_first,
            stored: Vec::new(),
        };
        if best.len() == top_k && best.peek().is_some_and(|worst| candidate >= *worst) {
            continue;
        }
        best.push(Ranked {
            stored: stored.to_vec(),
            ..candidate
        });
        if best.len() > top_k {
            best.pop();
        }
    }

    let mut results = Vec::with_capacity(best.len());
    for ranked in best.into_sorted_vec() {
        let item = stored_item::decode(&ranked.stored)?;
        let item = match &projection {
            Some(projection) => projection.apply(&indexed(&table, index, item, true), &bindings)?,
            None => indexed(&table, index, item, false),
        };
        results.push(json!({
            "Item": super::attributes_value(&item)?,
            "Score": ranked.score,
        }));
    }
    let mut response = Map::new();
    response.insert("SearchResults".into(), Value::Array(results));
    if matches!(
        input.return_consumed_capacity.as_deref(),
        Some("TOTAL" | "INDEXES")
    ) {
        response.insert(
            "ConsumedCapacity".into(),
            json!({ "VectorSearchRequestBytes": request_bytes(read_bytes) }),
        );
    }
    super::respond(response)
}

/// The bytes a search is charged: what it read, at least 1 KB. DynamoDB
/// publishes no formula for VectorSearchRequestBytes.
fn request_bytes(read: usize) -> f64 {
    read.max(1024) as f64
}

/// The search vector: every element a number that a 32-bit float holds,
/// as many as the index's dimensions.
fn search_vector(
    elements: &[AttributeValue],
    index: &VectorIndexMeta,
) -> Result<Vec<f32>, DynamoError> {
    match vector_of(&AttributeValue::L(elements.to_vec()), index.dimensions) {
        Ok(vector) => Ok(vector),
        Err(NotAVector::Dimensions(n)) => Err(DynamoError::validation(format!(
            "Input search vector dimension {n} does not match vector index dimension {}",
            index.dimensions
        ))),
        Err(NotAVector::Shape | NotAVector::OutOfRange) => Err(DynamoError::validation(
            "Search vector contains invalid values. All values in the search vector must be a 32-bit floating-point number attribute",
        )),
    }
}

/// The `attribute = :value` terms of a search condition, checked against
/// the index's search schema.
fn equalities<'c>(
    condition: &'c Condition,
    bindings: &Bindings<'c>,
    index: &VectorIndexMeta,
) -> Result<Vec<(&'c str, &'c AttributeValue)>, DynamoError> {
    let invalid = |detail: &str| {
        DynamoError::validation(format!("Invalid SearchConditionExpression: {detail}"))
    };
    let mut terms = Vec::new();
    let mut pending = vec![condition];
    while let Some(condition) = pending.pop() {
        let (path, placeholder) = match condition {
            Condition::And(left, right) => {
                pending.push(right);
                pending.push(left);
                continue;
            }
            Condition::Compare(CompareOp::Eq, Operand::Path(path), Operand::Value(value))
            | Condition::Compare(CompareOp::Eq, Operand::Value(value), Operand::Path(path)) => {
                (path, value)
            }
            _ => {
                return Err(invalid(
                    "Invalid comparator used in SearchConditionExpression",
                ))
            }
        };
        let [PathElement::Name(name)] = path.elements.as_slice() else {
            return Err(invalid(
                "SearchConditionExpression cannot have conditions on nested attributes",
            ));
        };
        let name = match name {
            NameRef::Literal(name) => name.as_str(),
            NameRef::Placeholder(placeholder) => bindings.name(placeholder).ok_or_else(|| {
                DynamoError::internal("expression names checked when the expression was prepared")
            })?,
        };
        let Some(element) = index
            .search_schema
            .iter()
            .find(|e| e.attribute.name == name)
        else {
            return Err(DynamoError::validation(format!(
                "SearchConditionExpression must not contain any attributes that is not in SearchSchema. Invalid attribute: {name}"
            )));
        };
        if terms.iter().any(|(seen, _)| *seen == name) {
            return Err(invalid(
                "SearchConditionExpression must only contain one condition per attribute",
            ));
        }
        let value = bindings.value(placeholder).ok_or_else(|| {
            DynamoError::internal("expression values checked when the expression was prepared")
        })?;
        if !element.attribute.scalar_type.matches(value) {
            return Err(DynamoError::validation(format!(
                "Type of '{name}' attribute in SearchConditionExpression ({}) does not match type in search schema ({})",
                value.value_type().descriptor(),
                element.attribute.scalar_type.as_str()
            )));
        }
        terms.push((name, value));
    }
    Ok(terms)
}

/// What the index holds of `item`; the vector only when `with_vector`
/// (a ProjectionExpression may name it).
fn indexed(table: &TableMeta, index: &VectorIndexMeta, item: Item, with_vector: bool) -> Item {
    item.into_iter()
        .filter(|(name, _)| index.projects(table, name))
        .filter(|(name, _)| with_vector || *name != index.vector_attribute)
        .collect()
}

/// A scored item (stored form) in the heap of the best K: the heap's top
/// is the worst kept, so that a better one replaces it.
struct Ranked {
    score: f64,
    higher_first: bool,
    stored: Vec<u8>,
}

impl Ranked {
    /// Best first.
    fn rank(&self, other: &Self) -> Ordering {
        let by_score = self.score.total_cmp(&other.score);
        if self.higher_first {
            by_score.reverse()
        } else {
            by_score
        }
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.rank(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank(other)
    }
}
