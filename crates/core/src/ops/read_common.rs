//! What Query and Scan share: Select and projections, filters in both
//! forms, the expression/legacy mixing rules, ExclusiveStartKey checks and
//! the response. Messages are DynamoDB's (as recorded by clients tested
//! against it; DynamoDB Local words several of them differently).

use super::read_target::ReadTarget;
use crate::capacity::{Consumed, ReturnCapacity};
use crate::catalog::{KeySchema, TableMeta};
use crate::index::IndexUnits;
use crate::read_cache::{CachedRead, QueryLookup};
use crate::read_page::{ItemFilter, Output, Page};
use crate::validate::Violations;
use crate::Database;
use dynalith_expr::ast::{Condition, NameRef, Operand, Path, PathElement};
use dynalith_expr::legacy::{FilterCondition, Legacy};
use dynalith_expr::{Bindings, ConditionExpression, Projection};
use dynalith_model::DynamoError;
use std::collections::HashMap;
use std::sync::Arc;

pub const SELECT_VALUES: &[&str] = &[
    "SPECIFIC_ATTRIBUTES",
    "COUNT",
    "ALL_ATTRIBUTES",
    "ALL_PROJECTED_ATTRIBUTES",
];

const COMPARISON_OPERATORS: &[&str] = &[
    "IN",
    "NULL",
    "BETWEEN",
    "LT",
    "NOT_CONTAINS",
    "EQ",
    "GT",
    "NOT_NULL",
    "NE",
    "LE",
    "BEGINS_WITH",
    "GE",
    "CONTAINS",
];

pub type Conditions = HashMap<String, FilterCondition>;

/// Coral's member checks on a map of legacy conditions (QueryFilter,
/// ScanFilter, KeyConditions), at `path`.
pub fn check_condition_members(v: &mut Violations, conditions: Option<&Conditions>, path: &str) {
    let Some(conditions) = conditions else {
        return;
    };
    let mut names: Vec<&String> = conditions.keys().collect();
    names.sort();
    for name in names {
        let member = format!("{path}.{name}.member.comparisonOperator");
        let operator = conditions
            .get(name)
            .and_then(|c| c.comparison_operator.as_deref());
        if operator.is_none() {
            v.push("null", &member, "Member must not be null");
        }
        v.one_of(operator, &member, COMPARISON_OPERATORS);
    }
}

pub use super::expressions::reject_mixing;

/// "Duplicate value in attribute name" for AttributesToGet.
pub fn check_unique_names(names: Option<&[String]>) -> Result<(), DynamoError> {
    let Some(names) = names else {
        return Ok(());
    };
    let mut seen = std::collections::HashSet::new();
    match names.iter().find(|n| !seen.insert(n.as_str())) {
        Some(dup) => Err(DynamoError::invalid_parameter(format!(
            "Duplicate value in attribute name: {dup}"
        ))),
        None => Ok(()),
    }
}

/// What a Query or Scan returns of each item.
pub enum Selection {
    Count,
    All,
    Expression(Arc<Projection>),
    Attributes(Vec<String>),
}

/// Select against the projection parameters, with DynamoDB's messages.
/// Indexes do not exist yet, so ALL_PROJECTED_ATTRIBUTES is only valid
/// together with an IndexName, which the caller then rejects.
pub fn selection(
    select: Option<&str>,
    projection: Option<Arc<Projection>>,
    attributes_to_get: Option<&[String]>,
    has_index_name: bool,
) -> Result<Selection, DynamoError> {
    let given = if projection.is_some() {
        Some("ProjectionExpression")
    } else if attributes_to_get.is_some() {
        Some("AttributesToGet")
    } else {
        None
    };
    let specific = move || match (projection, attributes_to_get) {
        (Some(p), _) => Selection::Expression(p),
        (None, Some(names)) => Selection::Attributes(names.to_vec()),
        (None, None) => Selection::All,
    };
    match (select, given) {
        (Some("COUNT"), Some(parameter)) => Err(DynamoError::validation(format!(
            "Cannot specify the {parameter} when choosing to get only the Count"
        ))),
        (Some("COUNT"), None) => Ok(Selection::Count),
        (Some("ALL_ATTRIBUTES"), Some(parameter)) => Err(DynamoError::validation(format!(
            "Cannot specify the {parameter} when choosing to get ALL_ATTRIBUTES"
        ))),
        (Some("SPECIFIC_ATTRIBUTES"), None) => Err(DynamoError::validation(
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
        )),
        (Some("ALL_PROJECTED_ATTRIBUTES"), _) if !has_index_name => Err(DynamoError::validation(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        )),
        _ => Ok(specific()),
    }
}

/// The page output for a selection.
pub fn output<'a>(selection: &'a Selection, bindings: Bindings<'a>) -> Output<'a> {
    match selection {
        Selection::Count => Output::Count,
        Selection::All => Output::All,
        Selection::Expression(projection) => {
            Output::Project(Box::new(move |item| projection.apply(item, &bindings)))
        }
        Selection::Attributes(names) => Output::Project(Box::new(move |item| {
            Ok(dynalith_expr::project_attributes(item, names))
        })),
    }
}

/// A FilterExpression, or the legacy QueryFilter / ScanFilter.
pub enum Filter {
    Expression(Arc<ConditionExpression>),
    Legacy(Legacy<ConditionExpression>),
}

impl Filter {
    pub fn item_filter<'a>(&'a self, bindings: Bindings<'a>) -> ItemFilter<'a> {
        match self {
            Filter::Expression(condition) => {
                Box::new(move |item| condition.evaluate(Some(item), &bindings))
            }
            Filter::Legacy(converted) => Box::new(move |item| converted.evaluate(Some(item))),
        }
    }
}

impl Filter {
    /// The top-level attribute names the filter reads.
    pub fn top_level_names<'a>(&'a self, bindings: Bindings<'a>) -> Vec<&'a str> {
        let (condition, bindings) = match self {
            Filter::Expression(condition) => (condition.root(), bindings),
            Filter::Legacy(converted) => (converted.expression.root(), converted.bindings()),
        };
        let mut paths = Vec::new();
        condition_paths(condition, &mut paths);
        paths
            .into_iter()
            .filter_map(|p| top_level_name(p, &bindings))
            .collect()
    }
}

/// The top-level attribute names a projection returns.
pub fn projection_top_level_names<'a>(
    projection: &'a Projection,
    bindings: Bindings<'a>,
) -> Vec<&'a str> {
    projection
        .paths()
        .iter()
        .filter_map(|p| top_level_name(p, &bindings))
        .collect()
}

/// Every document path an expression reads.
fn condition_paths<'c>(condition: &'c Condition, out: &mut Vec<&'c Path>) {
    fn operand<'c>(o: &'c Operand, out: &mut Vec<&'c Path>) {
        match o {
            Operand::Path(p) => out.push(p),
            Operand::Call(call) => call.args.iter().for_each(|a| operand(a, out)),
            Operand::Value(_) => {}
        }
    }
    match condition {
        Condition::Compare(_, l, r) => {
            operand(l, out);
            operand(r, out);
        }
        Condition::Between(a, b, c) => [a, b, c].into_iter().for_each(|o| operand(o, out)),
        Condition::In(first, rest) => std::iter::once(first)
            .chain(rest)
            .for_each(|o| operand(o, out)),
        Condition::Call(call) => call.args.iter().for_each(|a| operand(a, out)),
        Condition::Not(inner) => condition_paths(inner, out),
        Condition::And(l, r) | Condition::Or(l, r) => {
            condition_paths(l, out);
            condition_paths(r, out);
        }
    }
}

fn top_level_name<'a>(path: &'a Path, bindings: &Bindings<'a>) -> Option<&'a str> {
    match path.elements.first()? {
        PathElement::Name(NameRef::Literal(name)) => Some(name),
        PathElement::Name(NameRef::Placeholder(p)) => bindings.name(p),
        PathElement::Index(_) => None,
    }
}

/// Query filters may not read key attributes: DynamoDB applies them after
/// the key condition chose the items.
pub fn reject_key_attributes_in_query_filter(
    filter: &Filter,
    bindings: Bindings<'_>,
    key_schema: &KeySchema,
) -> Result<(), DynamoError> {
    let key_attribute = match filter {
        Filter::Expression(condition) => {
            let mut paths = Vec::new();
            condition_paths(condition.root(), &mut paths);
            paths
                .iter()
                .filter_map(|p| top_level_name(p, &bindings))
                .find(|name| key_schema.is_key_attribute(name))
                .map(str::to_string)
        }
        Filter::Legacy(_) => None,
    };
    match key_attribute {
        Some(name) => Err(DynamoError::validation(format!(
            "Filter Expression can only contain non-primary key attributes: Primary key attribute: {name}"
        ))),
        None => Ok(()),
    }
}

/// The legacy QueryFilter's form of the same rule.
pub fn reject_key_attributes_in_query_filter_map(
    filter: Option<&Conditions>,
    key_schema: &KeySchema,
) -> Result<(), DynamoError> {
    let mut names: Vec<&String> = filter.into_iter().flat_map(|f| f.keys()).collect();
    names.sort();
    match names.into_iter().find(|n| key_schema.is_key_attribute(n)) {
        Some(name) => Err(DynamoError::validation(format!(
            "QueryFilter can only contain non-primary key attributes: Primary key attribute: {name}"
        ))),
        None => Ok(()),
    }
}

/// Scan filters may read key attributes, but only as scalars; DynamoDB
/// names the first offending key in key-schema order.
pub fn reject_nested_key_paths(
    filter: &Filter,
    bindings: Bindings<'_>,
    table: &TableMeta,
) -> Result<(), DynamoError> {
    let Filter::Expression(condition) = filter else {
        return Ok(());
    };
    let mut paths = Vec::new();
    condition_paths(condition.root(), &mut paths);
    for key in table.key_schema.attributes() {
        let nested = paths
            .iter()
            .filter(|p| p.elements.len() > 1)
            .any(|p| top_level_name(p, &bindings) == Some(key.name.as_str()));
        if nested {
            return Err(DynamoError::validation(format!(
                "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {}",
                key.name
            )));
        }
    }
    Ok(())
}

/// Where a Query or Scan page writes its items: the start of the response,
/// so that `respond` finishes it without copying the items again.
pub fn response_buffer(with_items: bool) -> Vec<u8> {
    if with_items {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(ITEMS_START);
        out
    } else {
        Vec::new()
    }
}

const ITEMS_START: &[u8] = b"{\"Items\":[";

/// Answers from the query cache when it holds this request's response;
/// otherwise runs `read` and offers its response to the cache. A hit only
/// ever answers a request that succeeded before, so validation comes first
/// for every request that could fail.
pub fn through_query_cache(
    db: &Database,
    context: &crate::RequestContext,
    table_name: Option<&str>,
    kind: CachedRead,
    body: &[u8],
    read: impl FnOnce() -> Result<Vec<u8>, DynamoError>,
) -> Result<Vec<u8>, DynamoError> {
    let cache = db.read_cache();
    // A cached page would be served without paying for its read.
    if !cache.queries_enabled() || db.throughput().enforced() {
        return read();
    }
    // A table not in the request's Region is not found by `read`.
    let Some(table) = table_name.and_then(|name| db.catalog().get_in(name, &context.region)) else {
        return read();
    };
    match cache.lookup_query(&table, kind, body) {
        QueryLookup::Hit(response) => Ok(response),
        QueryLookup::Uncached => read(),
        QueryLookup::Miss(ticket) => {
            let response = read()?;
            cache.store_query(ticket, &response);
            Ok(response)
        }
    }
}

/// What reading a Query or Scan page consumed: charged on the data read,
/// rounded up once for the page; items a local index fetches from the
/// table are charged to the table.
pub fn consumed(page: &Page, target: &ReadTarget, consistent: bool) -> Consumed {
    let units = crate::capacity::read_units(page.bytes_read, consistent);
    match &target.index {
        None => Consumed::read(units),
        Some(index) => {
            let fetched = match page.fetched_bytes {
                0 => 0.0,
                bytes => crate::capacity::read_units(bytes, consistent),
            };
            let charge = IndexUnits {
                name: index.name.clone(),
                kind: index.kind,
                units,
                written_bytes: 0,
            };
            Consumed::read(fetched).with_indexes(&[charge], true)
        }
    }
}

/// The Query or Scan response: Items (unless COUNT), Count, ScannedCount,
/// LastEvaluatedKey and ConsumedCapacity. The page was read into
/// `response_buffer(with_items)`.
pub fn respond(
    page: Page,
    target: &ReadTarget,
    table_name: &str,
    with_items: bool,
    consumed: &Consumed,
    mode: ReturnCapacity,
) -> Result<Vec<u8>, DynamoError> {
    let encode =
        |e: serde_json::Error| DynamoError::internal(format!("response encoding failed: {e}"));
    let mut out = page.items_json;
    if with_items {
        debug_assert!(out.starts_with(ITEMS_START));
        out.extend_from_slice(b"],");
    } else {
        out.clear();
        out.push(b'{');
    }
    out.extend_from_slice(
        format!(
            "\"Count\":{},\"ScannedCount\":{}",
            page.count, page.scanned_count
        )
        .as_bytes(),
    );
    if let Some(key) = &page.last_evaluated_key {
        out.extend_from_slice(b",\"LastEvaluatedKey\":");
        let key = target.last_evaluated_key(key)?;
        serde_json::to_writer(&mut out, &key).map_err(encode)?;
    }
    if let Some(report) = consumed.report(table_name, mode) {
        out.extend_from_slice(b",\"ConsumedCapacity\":");
        serde_json::to_writer(&mut out, &report).map_err(encode)?;
    }
    out.push(b'}');
    Ok(out)
}
