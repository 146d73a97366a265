//! The pre-expression parameters (Expected + ConditionalOperator,
//! QueryFilter / ScanFilter, KeyConditions, AttributeUpdates,
//! AttributesToGet), validated with DynamoDB's messages and converted into
//! expression trees, so the expression evaluator serves both.
//!
//! Converted trees use literal attribute names (a legacy name such as
//! `a.b` is one top-level attribute) and generated value placeholders
//! (`:l0`, `:l1`, ...) held by the returned [`Legacy`].

use crate::ast::{
    Call, Clause, CompareOp, Condition, Function, NameRef, Operand, Path, PathElement,
};
use crate::ast::{SetAction, SetValue, ValueAction};
use crate::bindings::Bindings;
use crate::error::ExpressionKind;
use crate::eval::update::UpdateOutcome;
use crate::expression::{ConditionExpression, Projection, UpdateExpression};
use crate::key_condition::KeyCondition;
use crate::validate::compare_scalars;
use dynalith_model::attribute_names::{value_has_empty_name, EMPTY_ATTRIBUTE_NAME};
use dynalith_model::{AttributeValue, DynamoError, Item, ValueType};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;

/// One entry of `Expected`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct ExpectedAttributeValue {
    pub value: Option<AttributeValue>,
    pub exists: Option<bool>,
    pub comparison_operator: Option<String>,
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// One entry of `QueryFilter`, `ScanFilter` or `KeyConditions` (DynamoDB's
/// `Condition` shape).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct FilterCondition {
    pub comparison_operator: Option<String>,
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// One entry of `AttributeUpdates`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeValueUpdate {
    pub value: Option<AttributeValue>,
    pub action: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComparisonOperator {
    Eq,
    Ne,
    Le,
    Lt,
    Ge,
    Gt,
    NotNull,
    Null,
    Contains,
    NotContains,
    BeginsWith,
    In,
    Between,
}

const OPERATORS: [(&str, ComparisonOperator); 13] = [
    ("EQ", ComparisonOperator::Eq),
    ("NE", ComparisonOperator::Ne),
    ("LE", ComparisonOperator::Le),
    ("LT", ComparisonOperator::Lt),
    ("GE", ComparisonOperator::Ge),
    ("GT", ComparisonOperator::Gt),
    ("NOT_NULL", ComparisonOperator::NotNull),
    ("NULL", ComparisonOperator::Null),
    ("CONTAINS", ComparisonOperator::Contains),
    ("NOT_CONTAINS", ComparisonOperator::NotContains),
    ("BEGINS_WITH", ComparisonOperator::BeginsWith),
    ("IN", ComparisonOperator::In),
    ("BETWEEN", ComparisonOperator::Between),
];

impl ComparisonOperator {
    pub fn parse(text: &str) -> Option<Self> {
        OPERATORS
            .iter()
            .find(|(n, _)| *n == text)
            .map(|&(_, op)| op)
    }

    pub fn name(self) -> &'static str {
        OPERATORS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("", |(n, _)| n)
    }
}

/// A converted legacy parameter and the values its tree refers to.
#[derive(Clone, Debug)]
pub struct Legacy<T> {
    pub expression: T,
    values: HashMap<String, AttributeValue>,
}

impl<T> Legacy<T> {
    pub fn bindings(&self) -> Bindings<'_> {
        Bindings::new(None, Some(&self.values))
    }
}

impl Legacy<ConditionExpression> {
    pub fn evaluate(&self, item: Option<&Item>) -> Result<bool, DynamoError> {
        self.expression.evaluate(item, &self.bindings())
    }
}

impl Legacy<UpdateExpression> {
    /// Applies the updates, with the legacy parameter's wording for a type
    /// mismatch. Key attributes: [`UpdateExpression::check_key_attributes`].
    pub fn apply(&self, item: &mut Item) -> Result<UpdateOutcome, DynamoError> {
        self.expression.apply(item, &self.bindings()).map_err(|e| {
            if e.message == crate::error::incorrect_data_type().message {
                DynamoError::validation("Type mismatch for attribute to update")
            } else {
                e
            }
        })
    }
}

fn invalid(detail: impl std::fmt::Display) -> DynamoError {
    DynamoError::invalid_parameter(detail)
}

fn attribute(name: &str) -> Path {
    Path {
        elements: vec![PathElement::Name(NameRef::Literal(name.to_string()))],
    }
}

fn call(function: Function, args: Vec<Operand>) -> Condition {
    Condition::Call(Call { function, args })
}

/// Collects values under generated placeholders.
#[derive(Default)]
struct Values(HashMap<String, AttributeValue>);

impl Values {
    fn placeholder(&mut self, value: &AttributeValue) -> String {
        let key = format!(":l{}", self.0.len());
        self.0.insert(key.clone(), value.clone());
        key
    }

    fn add(&mut self, value: &AttributeValue) -> Operand {
        Operand::Value(self.placeholder(value))
    }
}

/// Legacy parameters name attributes directly: neither the name nor any
/// map inside the values given for it may have an empty name.
fn check_names<'a>(
    name: &str,
    values: impl IntoIterator<Item = &'a AttributeValue>,
) -> Result<(), DynamoError> {
    if name.is_empty() || values.into_iter().any(value_has_empty_name) {
        return Err(DynamoError::validation(EMPTY_ATTRIBUTE_NAME));
    }
    Ok(())
}

fn sorted<V>(map: &HashMap<String, V>) -> Vec<(&String, &V)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

fn parse_operator(text: &str) -> Result<ComparisonOperator, DynamoError> {
    ComparisonOperator::parse(text)
        .ok_or_else(|| DynamoError::validation("Comparison type does not exist in DynamoDB"))
}

/// The argument checks every legacy comparison shares.
fn check_arguments(op: ComparisonOperator, args: &[AttributeValue]) -> Result<(), DynamoError> {
    use ComparisonOperator as C;
    let count_ok = match op {
        C::Null | C::NotNull => args.is_empty(),
        C::Between => args.len() == 2,
        C::In => !args.is_empty(),
        _ => args.len() == 1,
    };
    if !count_ok {
        return Err(invalid(format_args!(
            "Invalid number of argument(s) for the {} ComparisonOperator",
            op.name()
        )));
    }
    let scalars: &[ValueType] = &[ValueType::S, ValueType::N, ValueType::B];
    let allowed: Option<&[ValueType]> = match op {
        C::Lt | C::Le | C::Gt | C::Ge | C::In | C::Between => Some(scalars),
        // A list may hold any value, so DynamoDB lets CONTAINS look for a
        // BOOL or a NULL too (not for a set, a map or a list).
        C::Contains | C::NotContains => Some(&[
            ValueType::S,
            ValueType::N,
            ValueType::B,
            ValueType::Bool,
            ValueType::Null,
        ]),
        C::BeginsWith => Some(&[ValueType::S, ValueType::B]),
        _ => None,
    };
    // Argument by argument, its type and then its likeness to the first:
    // with a valid and an invalid type after a different first one, the
    // first difference is what DynamoDB names.
    let first = args.first().map(AttributeValue::value_type);
    for arg in args {
        let t = arg.value_type();
        if allowed.is_some_and(|allowed| !allowed.contains(&t)) {
            return Err(invalid(format_args!(
                "ComparisonOperator {} is not valid for {} AttributeValue type",
                op.name(),
                t.descriptor()
            )));
        }
        if Some(t) != first {
            return Err(invalid(
                "AttributeValues inside AttributeValueList must be of same type",
            ));
        }
    }
    if let (C::Between, [low, high]) = (op, args) {
        if compare_scalars(low, high).is_some_and(|o| o.is_gt()) {
            return Err(DynamoError::validation(
                "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
            ));
        }
    }
    Ok(())
}

/// The tree for `name <op> args`.
fn comparison(
    name: &str,
    op: ComparisonOperator,
    args: &[AttributeValue],
    values: &mut Values,
) -> Condition {
    use ComparisonOperator as C;
    let path = || Operand::Path(attribute(name));
    let mut operands: Vec<Operand> = args.iter().map(|a| values.add(a)).collect();
    let first = if operands.is_empty() {
        Operand::Value(String::new())
    } else {
        operands.remove(0)
    };
    let compare = |cmp| Condition::Compare(cmp, path(), first.clone());
    match op {
        C::Eq => compare(CompareOp::Eq),
        C::Ne => compare(CompareOp::Ne),
        C::Lt => compare(CompareOp::Lt),
        C::Le => compare(CompareOp::Le),
        C::Gt => compare(CompareOp::Gt),
        C::Ge => compare(CompareOp::Ge),
        C::NotNull => call(Function::AttributeExists, vec![path()]),
        C::Null => call(Function::AttributeNotExists, vec![path()]),
        C::Contains => call(Function::Contains, vec![path(), first]),
        // Unlike NOT contains(), NOT_CONTAINS is false for a missing attribute.
        C::NotContains => Condition::And(
            Box::new(call(Function::AttributeExists, vec![path()])),
            Box::new(Condition::Not(Box::new(call(
                Function::Contains,
                vec![path(), first],
            )))),
        ),
        C::BeginsWith => call(Function::BeginsWith, vec![path(), first]),
        C::In => {
            operands.insert(0, first);
            Condition::In(path(), operands)
        }
        C::Between => {
            let high = operands
                .pop()
                .unwrap_or_else(|| Operand::Value(String::new()));
            Condition::Between(path(), first, high)
        }
    }
}

fn combine(conditions: Vec<Condition>, conditional_operator: Option<&str>) -> Option<Condition> {
    let or = conditional_operator == Some("OR");
    conditions.into_iter().reduce(|l, r| {
        if or {
            Condition::Or(Box::new(l), Box::new(r))
        } else {
            Condition::And(Box::new(l), Box::new(r))
        }
    })
}

fn check_conditional_operator(entries: Option<usize>, op: Option<&str>) -> Result<(), DynamoError> {
    match (entries, op) {
        (None, Some(_)) => Err(DynamoError::validation(
            "ConditionalOperator cannot be used without Filter or Expected",
        )),
        (Some(n), Some(_)) if n < 2 => Err(DynamoError::validation(
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        )),
        _ => Ok(()),
    }
}

/// `Expected` (+ `ConditionalOperator`) as a condition; `None` when there
/// is nothing to check.
pub fn convert_expected(
    expected: Option<&HashMap<String, ExpectedAttributeValue>>,
    conditional_operator: Option<&str>,
) -> Result<Option<Legacy<ConditionExpression>>, DynamoError> {
    check_conditional_operator(expected.map(HashMap::len), conditional_operator)?;
    let Some(expected) = expected else {
        return Ok(None);
    };
    let mut values = Values::default();
    let mut conditions = Vec::new();
    for (name, entry) in sorted(expected) {
        check_names(
            name,
            entry
                .value
                .iter()
                .chain(entry.attribute_value_list.iter().flatten()),
        )?;
        let condition = match entry.comparison_operator.as_deref() {
            Some(op) => {
                let op = parse_operator(op)?;
                if entry.exists.is_some() {
                    return Err(invalid(format_args!(
                        "Exists and ComparisonOperator cannot be used together for Attribute: {name}"
                    )));
                }
                let args = match (&entry.value, &entry.attribute_value_list) {
                    (Some(_), Some(_)) => {
                        return Err(invalid(format_args!(
                            "Value and AttributeValueList cannot be used together for Attribute: {name}"
                        )))
                    }
                    (Some(v), None) => std::slice::from_ref(v),
                    (None, Some(list)) => list.as_slice(),
                    (None, None) => {
                        if !matches!(op, ComparisonOperator::Null | ComparisonOperator::NotNull) {
                            return Err(invalid(format_args!(
                                "Value or AttributeValueList must be used with ComparisonOperator: {} for Attribute: {name}",
                                op.name()
                            )));
                        }
                        &[]
                    }
                };
                check_arguments(op, args)?;
                comparison(name, op, args, &mut values)
            }
            None => {
                if entry.attribute_value_list.is_some() {
                    return Err(invalid(format_args!(
                        "AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}"
                    )));
                }
                match (entry.exists, &entry.value) {
                    (Some(false), Some(_)) => {
                        return Err(invalid(format_args!(
                            "Value cannot be used when Exists is false for Attribute: {name}"
                        )))
                    }
                    (Some(false), None) => call(
                        Function::AttributeNotExists,
                        vec![Operand::Path(attribute(name))],
                    ),
                    (exists, None) => {
                        let state = if exists == Some(true) { "true" } else { "null" };
                        return Err(invalid(format_args!(
                            "Value must be provided when Exists is {state} for Attribute: {name}"
                        )));
                    }
                    (_, Some(value)) => comparison(
                        name,
                        ComparisonOperator::Eq,
                        std::slice::from_ref(value),
                        &mut values,
                    ),
                }
            }
        };
        conditions.push(condition);
    }
    Ok(
        combine(conditions, conditional_operator).map(|root| Legacy {
            expression: ConditionExpression::new(ExpressionKind::Condition, root),
            values: values.0,
        }),
    )
}

fn convert_conditions(
    conditions: &HashMap<String, FilterCondition>,
) -> Result<(Vec<Condition>, Values), DynamoError> {
    let mut values = Values::default();
    let mut out = Vec::new();
    for (name, condition) in sorted(conditions) {
        let op = parse_operator(condition.comparison_operator.as_deref().unwrap_or(""))?;
        let args = condition.attribute_value_list.as_deref().unwrap_or(&[]);
        check_names(name, args)?;
        check_arguments(op, args)?;
        out.push(comparison(name, op, args, &mut values));
    }
    Ok((out, values))
}

/// `QueryFilter` or `ScanFilter` (+ `ConditionalOperator`) as a filter.
pub fn convert_filter(
    filter: Option<&HashMap<String, FilterCondition>>,
    conditional_operator: Option<&str>,
) -> Result<Option<Legacy<ConditionExpression>>, DynamoError> {
    check_conditional_operator(filter.map(HashMap::len), conditional_operator)?;
    let Some(filter) = filter else {
        return Ok(None);
    };
    let (conditions, values) = convert_conditions(filter)?;
    Ok(
        combine(conditions, conditional_operator).map(|root| Legacy {
            expression: ConditionExpression::new(ExpressionKind::Filter, root),
            values: values.0,
        }),
    )
}

/// `KeyConditions` as a key condition; resolve it with
/// [`KeyCondition::resolve`] and [`Legacy::bindings`].
pub fn convert_key_conditions(
    conditions: &HashMap<String, FilterCondition>,
) -> Result<Legacy<KeyCondition>, DynamoError> {
    let (list, values) = convert_conditions(conditions)?;
    let root = combine(list, None)
        .ok_or_else(|| DynamoError::validation("Query condition missed key schema element"))?;
    Ok(Legacy {
        expression: KeyCondition(Arc::new(ConditionExpression::new(
            ExpressionKind::KeyCondition,
            root,
        ))),
        values: values.0,
    })
}

fn long_type_name(t: ValueType) -> &'static str {
    match t {
        ValueType::S => "STRING",
        ValueType::N => "NUMBER",
        ValueType::B => "BINARY",
        ValueType::Bool => "BOOLEAN",
        ValueType::Null => "NULL",
        ValueType::M => "MAP",
        ValueType::L => "LIST",
        ValueType::Ss => "STRING_SET",
        ValueType::Ns => "NUMBER_SET",
        ValueType::Bs => "BINARY_SET",
    }
}

/// `AttributeUpdates` as an update. PUT sets, DELETE without a value
/// removes, ADD adds numbers, unions sets and (unlike the expression ADD)
/// appends lists, DELETE with a value subtracts a set.
pub fn convert_attribute_updates(
    updates: &HashMap<String, AttributeValueUpdate>,
) -> Result<Legacy<UpdateExpression>, DynamoError> {
    let mut values = Values::default();
    let (mut set, mut remove, mut add, mut delete) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (name, update) in sorted(updates) {
        let action = update.action.as_deref().unwrap_or("PUT");
        if !matches!(action, "PUT" | "ADD" | "DELETE") {
            return Err(DynamoError::validation(format!(
                "1 validation error detected: Value '{action}' at 'attributeUpdates.{name}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, DELETE, PUT]"
            )));
        }
        check_names(name, &update.value)?;
        let Some(value) = &update.value else {
            if action != "DELETE" {
                return Err(invalid(
                    "Only DELETE action is allowed when no attribute value is specified",
                ));
            }
            remove.push(attribute(name));
            continue;
        };
        let t = value.value_type();
        let is_set = matches!(t, ValueType::Ss | ValueType::Ns | ValueType::Bs);
        match action {
            "PUT" => set.push(SetAction {
                path: attribute(name),
                value: SetValue::Operand(values.add(value)),
            }),
            "ADD" if is_set || t == ValueType::N => {
                add.push(value_action(name, value, &mut values));
            }
            "ADD" if t == ValueType::L => {
                let empty = values.add(&AttributeValue::L(Vec::new()));
                let existing = Operand::Call(Call {
                    function: Function::IfNotExists,
                    args: vec![Operand::Path(attribute(name)), empty],
                });
                let appended = Operand::Call(Call {
                    function: Function::ListAppend,
                    args: vec![existing, values.add(value)],
                });
                set.push(SetAction {
                    path: attribute(name),
                    value: SetValue::Operand(appended),
                });
            }
            "ADD" => {
                return Err(invalid(format_args!(
                    "ADD action is not supported for the type {}",
                    long_type_name(t)
                )))
            }
            _ if is_set => delete.push(value_action(name, value, &mut values)),
            _ => {
                return Err(invalid(format_args!(
                    "DELETE action with value is not supported for the type {}",
                    long_type_name(t)
                )))
            }
        }
    }
    let clauses = [
        (!set.is_empty()).then_some(Clause::Set(set)),
        (!remove.is_empty()).then_some(Clause::Remove(remove)),
        (!add.is_empty()).then_some(Clause::Add(add)),
        (!delete.is_empty()).then_some(Clause::Delete(delete)),
    ];
    Ok(Legacy {
        expression: UpdateExpression::new(clauses.into_iter().flatten().collect()),
        values: values.0,
    })
}

fn value_action(name: &str, value: &AttributeValue, values: &mut Values) -> ValueAction {
    ValueAction {
        path: attribute(name),
        value: values.placeholder(value),
    }
}

/// `AttributesToGet` as a projection of top-level attributes.
pub fn convert_attributes_to_get(names: &[String]) -> Result<Projection, DynamoError> {
    let mut seen = std::collections::HashSet::new();
    for name in names {
        if !seen.insert(name.as_str()) {
            return Err(DynamoError::validation(
                "Cannot have two attributes with the same name",
            ));
        }
    }
    Ok(Projection::new(
        names.iter().map(|n| attribute(n)).collect(),
    ))
}
