//! Query: one range read inside a partition, bounded by the sort-key
//! condition, in either direction, one page at a time.
//!
//! Checks run in DynamoDB's order: parameter constraints, the mixing of
//! expression and legacy parameters, the expressions themselves, then (with
//! the table) the starting key's names, the key condition against the key
//! schema, the key values it compares with, and the starting key's types
//! and bounds.

use super::read_common::{self as common, Conditions, Filter, Selection};
use super::read_target::ReadTarget;
use crate::capacity::ReturnCapacity;
use crate::catalog::{IndexKind, KeyAttribute, KeySchema, ScalarType, TableMeta};
use crate::key_range::query_range;
use crate::read_cache::CachedRead;
use crate::read_page::PageSpec;
use crate::throughput::Partition;
use crate::validate::Violations;
use crate::Database;
use dynalith_expr::legacy::{self, ComparisonOperator, Legacy};
use dynalith_expr::{
    Bindings, ExpressionKind, KeyCondition, RequestExpressions, ResolvedKeyCondition,
    SortKeyCondition,
};
use dynalith_model::{
    json_integer, wire::parse_input_in, AttributeValue, DynamoError, Item, ValueLayer, ValueType,
};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct QueryInput {
    table_name: Option<String>,
    index_name: Option<String>,
    select: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    limit: Option<i64>,
    consistent_read: Option<bool>,
    key_conditions: Option<Conditions>,
    query_filter: Option<Conditions>,
    conditional_operator: Option<String>,
    scan_index_forward: Option<bool>,
    exclusive_start_key: Option<Item>,
    return_consumed_capacity: Option<String>,
    projection_expression: Option<String>,
    filter_expression: Option<String>,
    key_condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    #[serde(
        default,
        deserialize_with = "dynalith_model::expression_values::deserialize"
    )]
    expression_attribute_values: Option<HashMap<String, AttributeValue>>,
}

fn check_members(input: &QueryInput) -> Result<(), DynamoError> {
    crate::validate::current_layer_conditional_operator(
        input.conditional_operator.as_deref(),
        input.table_name.is_some(),
    )?;
    let mut v = Violations::new();
    v.at_least(input.limit, "limit", 1);
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.attributes_to_get(input.attributes_to_get.as_deref());
    common::check_condition_members(&mut v, input.query_filter.as_ref(), "queryFilter");
    v.one_of(input.select.as_deref(), "select", common::SELECT_VALUES);
    v.one_of(
        input.conditional_operator.as_deref(),
        "conditionalOperator",
        crate::validate::CONDITIONAL_OPERATOR,
    );
    common::check_condition_members(&mut v, input.key_conditions.as_ref(), "keyConditions");
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    v.name_with_min(input.index_name.as_deref(), "indexName", 3, false);
    v.finish()
}

/// The key condition in either form.
enum KeyConditionForm {
    Expression(KeyCondition),
    Legacy(Legacy<KeyCondition>),
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    execute_with(db, body, context, Origin::Request)
}

/// A PartiQL SELECT run as a Query.
pub(crate) fn execute_for_statement(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    execute_with(db, body, context, Origin::Statement)
}

/// What asked for the Query. DynamoDB Local's PartiQL answers a SELECT
/// comparing the sort key with a value longer than a sort key may be (such
/// a value is still ordered against the keys), where its Query refuses it,
/// and names an empty key value as the table's key even when it reads an
/// index.
#[derive(Clone, Copy, PartialEq)]
enum Origin {
    Request,
    Statement,
}

fn execute_with(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
    origin: Origin,
) -> Result<Vec<u8>, DynamoError> {
    let input: QueryInput = parse_input_in(body, ValueLayer::Current)?;
    let table_name = input.table_name.clone();
    common::through_query_cache(
        db,
        context,
        table_name.as_deref(),
        match origin {
            Origin::Request => CachedRead::Query,
            Origin::Statement => CachedRead::StatementQuery,
        },
        body,
        || read(db, input, context, origin),
    )
}

fn read(
    db: &Database,
    input: QueryInput,
    context: &crate::RequestContext,
    origin: Origin,
) -> Result<Vec<u8>, DynamoError> {
    check_members(&input)?;
    let table_name =
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?;
    // KeyConditions may accompany the other expressions as long as there
    // is no KeyConditionExpression.
    let legacy_key_conditions =
        input.key_conditions.is_some() && input.key_condition_expression.is_some();
    common::reject_mixing(
        &[
            ("AttributesToGet", input.attributes_to_get.is_some()),
            ("QueryFilter", input.query_filter.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
            ("KeyConditions", legacy_key_conditions),
        ],
        &[
            (
                "ProjectionExpression",
                input.projection_expression.is_some(),
            ),
            ("FilterExpression", input.filter_expression.is_some()),
            (
                "KeyConditionExpression",
                input.key_condition_expression.is_some(),
            ),
        ],
    )?;
    let legacy_filter = legacy::convert_filter(
        input.query_filter.as_ref(),
        input.conditional_operator.as_deref(),
    )?;
    common::check_unique_names(input.attributes_to_get.as_deref())?;
    if input.key_conditions.is_none() && input.key_condition_expression.is_none() {
        return Err(DynamoError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    }

    // Expressions: filter, projection, then key condition (DynamoDB's order).
    let names = input.expression_attribute_names.as_ref();
    let values = input.expression_attribute_values.as_ref();
    let has_expression = input.projection_expression.is_some()
        || input.filter_expression.is_some()
        || input.key_condition_expression.is_some();
    let mut bindings = Bindings::new(None, None);
    let (mut filter, mut projection, mut key_condition) = (None, None, None);
    let value_expressions = ["FilterExpression", "KeyConditionExpression"];
    if has_expression {
        if input.filter_expression.is_none() && input.key_condition_expression.is_none() {
            // Only a projection: it cannot use values.
            dynalith_expr::check_without_expressions(None, values, &value_expressions)?;
        }
        let mut request = RequestExpressions::new(names, values)?;
        if let Some(text) = &input.filter_expression {
            filter = Some(Filter::Expression(
                request.condition(text, ExpressionKind::Filter)?,
            ));
        }
        if let Some(text) = &input.projection_expression {
            projection = Some(request.projection(text)?);
        }
        if let Some(text) = &input.key_condition_expression {
            key_condition = Some(KeyConditionForm::Expression(request.key_condition(text)?));
        }
        request.finish()?;
        bindings = request.bindings();
    } else {
        dynalith_expr::check_without_expressions(names, values, &value_expressions)?;
    }
    if filter.is_none() {
        filter = legacy_filter.map(Filter::Legacy);
    }
    if key_condition.is_none() {
        let conditions = input.key_conditions.as_ref().ok_or_else(|| {
            DynamoError::internal("query without key condition passed validation")
        })?;
        // More than two is refused once the key schema is known (an index
        // with a multi-attribute key takes more), as DynamoDB does.
        if conditions.is_empty() {
            return Err(DynamoError::validation(
                "Conditions can be of length 1 or 2 only",
            ));
        }
        key_condition = Some(KeyConditionForm::Legacy(legacy::convert_key_conditions(
            conditions,
        )?));
    }
    let selection = common::selection(
        input.select.as_deref(),
        projection,
        input.attributes_to_get.as_deref(),
        input.index_name.is_some(),
    )?;

    let table = db.catalog().require_in(table_name, &context.region)?;
    let consistent = input.consistent_read.unwrap_or(false);
    let target = ReadTarget::resolve(table, input.index_name.as_deref(), consistent)?;
    let key_schema = target.key_schema();
    if let Some(start) = &input.exclusive_start_key {
        if !target.start_key_has_key_names(start) {
            return Err(DynamoError::validation(
                "The provided starting key is invalid",
            ));
        }
    }
    let resolved = match &key_condition {
        Some(KeyConditionForm::Expression(condition)) => resolve(condition, bindings, key_schema)?,
        Some(KeyConditionForm::Legacy(converted)) => {
            reject_unindexable(input.key_conditions.as_ref())?;
            // KeyConditions keep their own count message (an expression's
            // names the counts).
            let count = input.key_conditions.as_ref().map_or(0, |c| c.len());
            if count > 2 && !key_schema.is_multi_attribute() {
                return Err(DynamoError::validation(
                    "Conditions can be of length 1 or 2 only",
                ));
            }
            resolve(&converted.expression, converted.bindings(), key_schema)?
        }
        None => return Err(DynamoError::internal("query without key condition")),
    };
    check_key_values(&target, &resolved, origin)?;
    match &filter {
        Some(f @ Filter::Expression(_)) => {
            common::reject_key_attributes_in_query_filter(f, bindings, key_schema)?
        }
        Some(Filter::Legacy(_)) => common::reject_key_attributes_in_query_filter_map(
            input.query_filter.as_ref(),
            key_schema,
        )?,
        None => {}
    }

    let reverse = input.scan_index_forward == Some(false);
    let storage_id = target.storage_id();
    let mut range = query_range(
        storage_id,
        &resolved.partition_values,
        &resolved.sort_prefix,
        resolved.sort.as_ref(),
    )?;
    if let Some(start) = &input.exclusive_start_key {
        let key = target.start_storage_key(start)?;
        check_start_key_bounds(key_schema, storage_id, start, &resolved)?;
        range.resume_after(&key, reverse);
    }
    let select_all = input.select.as_deref() == Some("ALL_ATTRIBUTES");
    let spec = PageSpec {
        range,
        reverse,
        limit: input.limit.map(|l| l.max(0) as usize),
        filter: filter.as_ref().map(|f| f.item_filter(bindings)),
        output: common::output(&selection, bindings),
        fetch: target.fetch_from_table(select_all, &selection, filter.as_ref(), bindings)?,
    };
    let with_items = !matches!(selection, Selection::Count);
    // A local index's partition is its table's: the same partition key.
    let partition = Partition::of_key(&spec.range.start).map(|p| match &target.index {
        Some(index) if index.kind == IndexKind::Local => Partition {
            id: target.table.id,
            ..p
        },
        _ => p,
    });
    db.throughput().admit_read(
        &target.table,
        target.index.as_ref().map(|i| i.name.as_str()),
        partition,
        &context.region,
    )?;
    let mut page = db.read_page(&spec, common::response_buffer(with_items))?;
    if let Some(last) = &page.last_evaluated_key {
        if target.index.is_none()
            && ends_at_inclusive_bound(&target.table, &resolved, reverse, last)?
        {
            page.last_evaluated_key = None;
        }
    }
    let consumed = common::consumed(&page, &target, consistent);
    db.throughput()
        .charge_read(&target.table, &consumed, partition, &context.region);
    common::respond(
        page,
        &target,
        input.table_name.as_deref().unwrap_or(&target.table.name),
        with_items,
        &consumed,
        ReturnCapacity::parse(input.return_consumed_capacity.as_deref()),
    )
}

fn value_type(scalar: ScalarType) -> ValueType {
    match scalar {
        ScalarType::S => ValueType::S,
        ScalarType::N => ValueType::N,
        ScalarType::B => ValueType::B,
    }
}

/// Matches the key condition to the key schema of the table or index.
fn resolve<'a>(
    condition: &KeyCondition,
    bindings: Bindings<'a>,
    key_schema: &KeySchema,
) -> Result<ResolvedKeyCondition<'a>, DynamoError> {
    fn attribute(a: &KeyAttribute) -> dynalith_expr::KeyAttribute<'_> {
        dynalith_expr::KeyAttribute {
            name: &a.name,
            value_type: value_type(a.scalar_type),
        }
    }
    let schema = dynalith_expr::KeySchema {
        partition: key_schema.partition_attributes().map(attribute).collect(),
        sort: key_schema.sort_attributes().map(attribute).collect(),
    };
    condition.resolve(&bindings, &schema).map_err(|e| {
        // On a table without a sort key a second condition is simply not
        // supported, whichever attribute it names.
        let two_conditions = matches!(condition.0.root(), dynalith_expr::ast::Condition::And(..));
        if key_schema.sort.is_none()
            && two_conditions
            && e.message
                .starts_with("Query condition missed key schema element")
        {
            DynamoError::validation("Query key condition not supported")
        } else {
            e
        }
    })
}

/// No key holds an empty string or binary, and none a sort-key value over
/// 1024 bytes, so DynamoDB refuses a key condition comparing a key with
/// one, attribute by attribute in key-schema order, a sort attribute's
/// sizes before its empty values, and naming the index when one is read.
/// (The empty partition value's answer was recorded from DynamoDB, moto
/// issue 7062; the rest are DynamoDB Local's answers, PartiQL's as
/// [`Origin`] says. A partition value's size is not checked: DynamoDB
/// Local reads such a partition, empty.)
fn check_key_values(
    target: &ReadTarget,
    resolved: &ResolvedKeyCondition<'_>,
    origin: Origin,
) -> Result<(), DynamoError> {
    let key_schema = target.key_schema();
    let refuse_empty = |attribute: &KeyAttribute, values: &[&AttributeValue]| {
        let Some(kind) = values
            .iter()
            .find_map(|v| crate::primary_key::empty_kind(v))
        else {
            return Ok(());
        };
        Err(
            match target.index.as_ref().filter(|_| origin == Origin::Request) {
                Some(index) => {
                    crate::primary_key::empty_index_key_error(kind, &index.name, &attribute.name)
                }
                None => crate::primary_key::empty_key_error(kind, &attribute.name),
            },
        )
    };
    for (attribute, value) in key_schema
        .partition_attributes()
        .zip(&resolved.partition_values)
    {
        refuse_empty(attribute, &[*value])?;
    }
    let sort_values = (resolved.sort_prefix.iter().map(|v| vec![*v]))
        .chain(resolved.sort.as_ref().map(SortKeyCondition::values));
    for (attribute, values) in key_schema.sort_attributes().zip(sort_values) {
        let too_long = |v: &&AttributeValue| {
            crate::primary_key::key_value_length(v) > crate::primary_key::MAX_SORT_KEY_BYTES
        };
        if origin == Origin::Request && values.iter().any(too_long) {
            return Err(DynamoError::invalid_parameter(format!(
                "Aggregated size of all range keys has exceeded the size limit of {} bytes",
                crate::primary_key::MAX_SORT_KEY_BYTES
            )));
        }
        refuse_empty(attribute, &values)?;
    }
    Ok(())
}

/// Legacy key conditions DynamoDB cannot turn into a key range.
fn reject_unindexable(conditions: Option<&Conditions>) -> Result<(), DynamoError> {
    let unindexable = conditions.into_iter().flat_map(|c| c.values()).any(|c| {
        matches!(
            c.comparison_operator
                .as_deref()
                .and_then(ComparisonOperator::parse),
            Some(
                ComparisonOperator::Null
                    | ComparisonOperator::NotNull
                    | ComparisonOperator::Ne
                    | ComparisonOperator::Contains
                    | ComparisonOperator::NotContains
                    | ComparisonOperator::In
            )
        )
    });
    if unindexable {
        return Err(DynamoError::validation(
            "Attempted conditional constraint is not an indexable operation",
        ));
    }
    Ok(())
}

/// Whether the last item read is the last key the condition can select:
/// the only item of a partition without sort key, or the inclusive bound
/// (`<=`, `>=`, BETWEEN) at the end of the read direction. DynamoDB Local
/// then omits LastEvaluatedKey even when Limit was reached (it keeps it for
/// `=` and exclusive bounds, where it does not look ahead); dynalith matches
/// it, as found by the differential test.
fn ends_at_inclusive_bound(
    table: &TableMeta,
    resolved: &ResolvedKeyCondition<'_>,
    reverse: bool,
    last: &[u8],
) -> Result<bool, DynamoError> {
    if table.key_schema.sort.is_none() {
        return Ok(true);
    }
    let bound = match (resolved.sort, reverse) {
        (Some(SortKeyCondition::Le(v)), false) | (Some(SortKeyCondition::Ge(v)), true) => v,
        (Some(SortKeyCondition::Between(_, high)), false) => high,
        (Some(SortKeyCondition::Between(low, _)), true) => low,
        _ => return Ok(false),
    };
    let [partition] = resolved.partition_values.as_slice() else {
        return Ok(false);
    };
    Ok(crate::keys::item_key(table.id, partition, Some(bound))? == last)
}

/// The starting key must lie inside what the key condition selects:
/// DynamoDB checks the sort-key predicate first, then the partition.
fn check_start_key_bounds(
    key_schema: &KeySchema,
    storage_id: u32,
    start: &Item,
    resolved: &ResolvedKeyCondition<'_>,
) -> Result<(), DynamoError> {
    // The sort attributes the condition names: equalities on the leading
    // ones, then the condition on the next.
    let mut sort_attributes = key_schema.sort_attributes();
    let prefix_matches = resolved.sort_prefix.iter().all(|wanted| {
        sort_attributes.next().is_some_and(|attribute| {
            start
                .get(&attribute.name)
                .is_some_and(|value| SortKeyCondition::Eq(wanted).matches(value))
        })
    });
    let condition_matches = match (&resolved.sort, sort_attributes.next()) {
        (Some(sort), Some(attribute)) => start
            .get(&attribute.name)
            .is_some_and(|value| sort.matches(value)),
        _ => true,
    };
    if !(prefix_matches && condition_matches) {
        return Err(DynamoError::validation(
            "The provided starting key does not match the range key predicate",
        ));
    }
    let start_partition: Option<Vec<&AttributeValue>> = key_schema
        .partition_attributes()
        .map(|attribute| start.get(&attribute.name))
        .collect();
    let same_partition = match start_partition {
        Some(values) => {
            crate::keys::partition_prefix_of(storage_id, &values)?
                == crate::keys::partition_prefix_of(storage_id, &resolved.partition_values)?
        }
        None => false,
    };
    if !same_partition {
        return Err(DynamoError::validation(
            "The provided starting key is outside query boundaries based on provided conditions",
        ));
    }
    Ok(())
}
