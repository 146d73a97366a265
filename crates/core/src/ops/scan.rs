//! Scan: the whole table in hash order, or one parallel-scan segment (an
//! even slice of the 64-bit hash space), one page at a time.

use super::read_common::{self as common, Conditions, Filter, Selection};
use super::read_target::ReadTarget;
use crate::capacity::ReturnCapacity;
use crate::key_range::scan_range;
use crate::read_cache::CachedRead;
use crate::read_page::PageSpec;
use crate::validate::Violations;
use crate::Database;
use dynalith_expr::legacy;
use dynalith_expr::{Bindings, ExpressionKind, RequestExpressions};
use dynalith_model::{json_integer, wire::parse_input, AttributeValue, DynamoError, Item};
use serde::Deserialize;
use std::collections::HashMap;

/// DynamoDB's bound on TotalSegments.
const MAX_TOTAL_SEGMENTS: i64 = 1_000_000;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ScanInput {
    table_name: Option<String>,
    index_name: Option<String>,
    select: Option<String>,
    attributes_to_get: Option<Vec<String>>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    limit: Option<i64>,
    consistent_read: Option<bool>,
    scan_filter: Option<Conditions>,
    conditional_operator: Option<String>,
    exclusive_start_key: Option<Item>,
    return_consumed_capacity: Option<String>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    segment: Option<i64>,
    #[serde(default, deserialize_with = "json_integer::deserialize")]
    total_segments: Option<i64>,
    projection_expression: Option<String>,
    filter_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    #[serde(
        default,
        deserialize_with = "dynalith_model::expression_values::deserialize"
    )]
    expression_attribute_values: Option<HashMap<String, AttributeValue>>,
}

fn check_members(input: &ScanInput) -> Result<(), DynamoError> {
    let mut v = Violations::new();
    v.at_least(input.limit, "limit", 1);
    v.return_consumed_capacity(input.return_consumed_capacity.as_deref());
    v.attributes_to_get(input.attributes_to_get.as_deref());
    v.at_least(input.segment, "segment", 0);
    v.one_of(input.select.as_deref(), "select", common::SELECT_VALUES);
    common::check_condition_members(&mut v, input.scan_filter.as_ref(), "scanFilter");
    v.one_of(
        input.conditional_operator.as_deref(),
        "conditionalOperator",
        crate::validate::CONDITIONAL_OPERATOR,
    );
    v.at_least(input.total_segments, "totalSegments", 1);
    v.at_most(input.total_segments, "totalSegments", MAX_TOTAL_SEGMENTS);
    crate::table_reference::check_member(&mut v, input.table_name.as_deref(), "tableName");
    v.name_with_min(input.index_name.as_deref(), "indexName", 3, false);
    v.finish()
}

/// (Segment, TotalSegments) of a parallel scan, with DynamoDB's messages.
fn segment(input: &ScanInput) -> Result<Option<(u32, u32)>, DynamoError> {
    match (input.segment, input.total_segments) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(DynamoError::validation(
            "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
        )),
        (None, Some(_)) => Err(DynamoError::validation(
            "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
        )),
        (Some(segment), Some(total)) if segment >= total => Err(DynamoError::validation(format!(
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
        ))),
        // Both were bounds-checked by check_members.
        (Some(segment), Some(total)) => Ok(Some((
            u32::try_from(segment).map_err(|_| DynamoError::internal("segment out of range"))?,
            u32::try_from(total).map_err(|_| DynamoError::internal("total out of range"))?,
        ))),
    }
}

pub fn execute(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    let input: ScanInput = parse_input(body)?;
    let table_name = input.table_name.clone();
    common::through_query_cache(
        db,
        context,
        table_name.as_deref(),
        CachedRead::Scan,
        body,
        || read(db, input, false, context),
    )
}

/// A Scan that reads each partition's items, and the partitions, in
/// descending key order: a PartiQL `SELECT ... ORDER BY key DESC` over
/// several partitions. The JSON API has no such Scan, so it bypasses the
/// query cache, whose entries are keyed by the request body alone.
pub(crate) fn execute_descending(
    db: &Database,
    body: &[u8],
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    read(db, parse_input(body)?, true, context)
}

fn read(
    db: &Database,
    input: ScanInput,
    descending: bool,
    context: &crate::RequestContext,
) -> Result<Vec<u8>, DynamoError> {
    check_members(&input)?;
    let table_name =
        crate::table_reference::required(input.table_name.as_deref(), "tableName", context)?;
    common::reject_mixing(
        &[
            ("AttributesToGet", input.attributes_to_get.is_some()),
            ("ScanFilter", input.scan_filter.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
        ],
        &[
            (
                "ProjectionExpression",
                input.projection_expression.is_some(),
            ),
            ("FilterExpression", input.filter_expression.is_some()),
        ],
    )?;
    common::check_unique_names(input.attributes_to_get.as_deref())?;
    let legacy_filter = legacy::convert_filter(
        input.scan_filter.as_ref(),
        input.conditional_operator.as_deref(),
    )?;
    let segment = segment(&input)?;

    // Expressions: filter, then projection (DynamoDB's order).
    let names = input.expression_attribute_names.as_ref();
    let values = input.expression_attribute_values.as_ref();
    let mut bindings = Bindings::new(None, None);
    let (mut filter, mut projection) = (None, None);
    if input.filter_expression.is_some() || input.projection_expression.is_some() {
        if input.filter_expression.is_none() {
            // Only a projection: it cannot use values.
            dynalith_expr::check_without_expressions(None, values, &["FilterExpression"])?;
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
        request.finish()?;
        bindings = request.bindings();
    } else {
        dynalith_expr::check_without_expressions(names, values, &["FilterExpression"])?;
    }
    if filter.is_none() {
        filter = legacy_filter.map(Filter::Legacy);
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
    if let Some(f) = &filter {
        common::reject_nested_key_paths(f, bindings, &target.table)?;
    }
    let mut range = scan_range(target.storage_id(), segment);
    if let Some(start) = &input.exclusive_start_key {
        let invalid = |detail: &str| {
            DynamoError::validation(format!("The provided starting key is invalid: {detail}"))
        };
        if !target.start_key_has_key_names(start) {
            return Err(invalid(
                "The provided key element does not match the schema",
            ));
        }
        let key = target.start_storage_key(start).map_err(|e| {
            match e
                .message
                .starts_with("The provided starting key is invalid")
            {
                true => e,
                false => invalid(&e.message),
            }
        })?;
        if let Some((segment, total)) = segment {
            if !range.contains(&key) {
                return Err(invalid(&format!(
                    "Invalid ExclusiveStartKey. Please use ExclusiveStartKey with correct Segment. TotalSegments: {total} Segment: {segment}"
                )));
            }
        }
        range.resume_after(&key, descending);
    }
    let spec = PageSpec {
        range,
        reverse: descending,
        limit: input.limit.map(|l| l.max(0) as usize),
        filter: filter.as_ref().map(|f| f.item_filter(bindings)),
        output: common::output(&selection, bindings),
        fetch: target.fetch_from_table(
            input.select.as_deref() == Some("ALL_ATTRIBUTES"),
            &selection,
            filter.as_ref(),
            bindings,
        )?,
    };
    let with_items = !matches!(selection, Selection::Count);
    // A Scan spreads over partitions: only the table's capacity limits it.
    db.throughput().admit_read(
        &target.table,
        target.index.as_ref().map(|i| i.name.as_str()),
        None,
        &context.region,
    )?;
    let page = db.read_page(&spec, common::response_buffer(with_items))?;
    let consumed = common::consumed(&page, &target, consistent);
    db.throughput()
        .charge_read(&target.table, &consumed, None, &context.region);
    common::respond(
        page,
        &target,
        input.table_name.as_deref().unwrap_or(&target.table.name),
        with_items,
        &consumed,
        ReturnCapacity::parse(input.return_consumed_capacity.as_deref()),
    )
}
