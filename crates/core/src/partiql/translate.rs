//! PartiQL trees rendered as DynamoDB's own expressions (condition, update,
//! key condition and projection expressions with their name and value
//! placeholders), so that a statement runs through the same operation code,
//! validation and semantics as the equivalent Query, Scan, PutItem,
//! UpdateItem or DeleteItem request.

use super::parse::{malformed, value_of, Expr, Path, Step, CONDITION_FUNCTIONS};
use crate::catalog::KeyAttribute;
use dynalith_expr::ast::CompareOp;
use dynalith_model::{AttributeValue, DynamoError};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// The names and values the rendered expressions refer to.
pub struct Placeholders<'p> {
    parameters: &'p [AttributeValue],
    names: Map<String, Value>,
    name_of: HashMap<String, String>,
    values: Map<String, Value>,
}

impl<'p> Placeholders<'p> {
    pub fn new(parameters: &'p [AttributeValue]) -> Self {
        Placeholders {
            parameters,
            names: Map::new(),
            name_of: HashMap::new(),
            values: Map::new(),
        }
    }

    /// Adds ExpressionAttributeNames and ExpressionAttributeValues, when
    /// any were used, to a request body.
    pub fn add_to(self, body: &mut Map<String, Value>) {
        if !self.names.is_empty() {
            body.insert("ExpressionAttributeNames".into(), Value::Object(self.names));
        }
        if !self.values.is_empty() {
            body.insert(
                "ExpressionAttributeValues".into(),
                Value::Object(self.values),
            );
        }
    }

    pub fn name(&mut self, name: &str) -> String {
        if let Some(placeholder) = self.name_of.get(name) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.name_of.len());
        self.names.insert(placeholder.clone(), name.into());
        self.name_of.insert(name.into(), placeholder.clone());
        placeholder
    }

    pub fn value(&mut self, value: &AttributeValue) -> Result<String, DynamoError> {
        let placeholder = format!(":v{}", self.values.len());
        let json = serde_json::to_value(value).map_err(|e| DynamoError::internal(e.to_string()))?;
        self.values.insert(placeholder.clone(), json);
        Ok(placeholder)
    }

    pub fn path(&mut self, path: &Path) -> String {
        let mut out = String::new();
        for step in path {
            match step {
                Step::Name(name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(&self.name(name));
                }
                Step::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    /// An operand: a path, a value, `size(path)`, or (in SET) arithmetic,
    /// `list_append` and `if_not_exists`.
    pub fn operand(&mut self, expr: &Expr) -> Result<String, DynamoError> {
        match expr {
            Expr::Path(path) => Ok(self.path(path)),
            Expr::Arithmetic(_, op, _) if !matches!(*op, "+" | "-") => {
                Err(DynamoError::validation(format!(
                    "Unsupported operator in Update Expression. Operator: {op}"
                )))
            }
            Expr::Arithmetic(left, op, right) => Ok(format!(
                "{} {op} {}",
                self.operand(left)?,
                self.operand(right)?
            )),
            Expr::Call(function, arguments)
                if matches!(function.as_str(), "size" | "list_append" | "if_not_exists") =>
            {
                let rendered = arguments
                    .iter()
                    .map(|a| self.operand(a))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(format!("{function}({})", rendered.join(", ")))
            }
            other => {
                let value = value_of(other, self.parameters)?;
                self.value(&value)
            }
        }
    }

    /// An operand of a condition, where arithmetic has no place.
    fn condition_operand(&mut self, expr: &Expr) -> Result<String, DynamoError> {
        if let Expr::Arithmetic(_, op, _) = expr {
            return Err(DynamoError::validation(format!(
                "Unsupported operator in Condition Expression. Operator: {op}"
            )));
        }
        self.operand(expr)
    }

    pub fn condition(&mut self, expr: &Expr) -> Result<String, DynamoError> {
        Ok(match expr {
            Expr::Compare(left, comparison, right) => format!(
                "{} {} {}",
                self.condition_operand(left)?,
                comparison.symbol(),
                self.condition_operand(right)?
            ),
            Expr::And(left, right) => {
                format!(
                    "({}) AND ({})",
                    self.condition(left)?,
                    self.condition(right)?
                )
            }
            Expr::Or(left, right) => {
                format!(
                    "({}) OR ({})",
                    self.condition(left)?,
                    self.condition(right)?
                )
            }
            Expr::Not(inner) => format!("NOT ({})", self.condition(inner)?),
            Expr::Between(subject, low, high) => format!(
                "{} BETWEEN {} AND {}",
                self.condition_operand(subject)?,
                self.condition_operand(low)?,
                self.condition_operand(high)?
            ),
            Expr::In(subject, options) => {
                let subject = self.condition_operand(subject)?;
                let options = options
                    .iter()
                    .map(|o| self.condition_operand(o))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("{subject} IN ({})", options.join(", "))
            }
            Expr::Missing(path, missing) => format!(
                "{}({})",
                if *missing {
                    "attribute_not_exists"
                } else {
                    "attribute_exists"
                },
                self.path(path)
            ),
            Expr::Null(path, is_null) => {
                let null_type = self.value(&AttributeValue::S("NULL".into()))?;
                let test = format!("attribute_type({}, {null_type})", self.path(path));
                if *is_null {
                    test
                } else {
                    format!("NOT {test}")
                }
            }
            Expr::Call(function, arguments) if CONDITION_FUNCTIONS.contains(&function.as_str()) => {
                let rendered = arguments
                    .iter()
                    .map(|a| self.condition_operand(a))
                    .collect::<Result<Vec<_>, _>>()?;
                format!("{function}({})", rendered.join(", "))
            }
            _ => return Err(malformed("expected a condition")),
        })
    }
}

/// The conditions of a WHERE clause joined by AND, each on its own.
pub fn conjuncts(expr: &Expr) -> Vec<Expr> {
    match expr {
        Expr::And(left, right) => {
            let mut all = conjuncts(left);
            all.extend(conjuncts(right));
            all
        }
        other => vec![other.clone()],
    }
}

/// Conjuncts joined back into one condition (None for none).
pub fn joined(conditions: Vec<Expr>) -> Option<Expr> {
    conditions
        .into_iter()
        .reduce(|left, right| Expr::And(Box::new(left), Box::new(right)))
}

/// Takes `attribute = value` (either way round) out of `conditions` and
/// returns the value.
pub fn take_equality(
    conditions: &mut Vec<Expr>,
    attribute: &str,
    parameters: &[AttributeValue],
) -> Result<Option<AttributeValue>, DynamoError> {
    let position = conditions.iter().position(|c| {
        let Expr::Compare(left, CompareOp::Eq, right) = c else {
            return false;
        };
        is_attribute(left, attribute) && is_value(right)
            || is_attribute(right, attribute) && is_value(left)
    });
    let Some(position) = position else {
        return Ok(None);
    };
    let Expr::Compare(left, _, right) = conditions.remove(position) else {
        return Err(DynamoError::internal("equality found above"));
    };
    let value = if is_value(&right) { right } else { left };
    value_of(&value, parameters).map(Some)
}

/// Takes the condition that names several partitions of the key
/// `attribute` (`IN` with values, or an `OR` of equalities with values),
/// and gives its values; none (and `conditions` as they were) when there is
/// no such condition or one of its values is not of the key's type, which
/// leaves the condition to a Scan's filter as before.
pub fn take_partitions(
    conditions: &mut Vec<Expr>,
    attribute: &KeyAttribute,
    parameters: &[AttributeValue],
) -> Result<Vec<AttributeValue>, DynamoError> {
    fn operands<'e>(expr: &'e Expr, attribute: &str, out: &mut Vec<&'e Expr>) -> bool {
        match expr {
            Expr::Compare(left, CompareOp::Eq, right) if is_attribute(left, attribute) => {
                out.push(right);
                is_value(right)
            }
            Expr::Compare(left, CompareOp::Eq, right) if is_attribute(right, attribute) => {
                out.push(left);
                is_value(left)
            }
            Expr::In(subject, options) if is_attribute(subject, attribute) => {
                out.extend(options);
                options.iter().all(is_value)
            }
            Expr::Or(left, right) => {
                operands(left, attribute, out) && operands(right, attribute, out)
            }
            _ => false,
        }
    }
    for (position, condition) in conditions.iter().enumerate() {
        let mut found = Vec::new();
        if !operands(condition, &attribute.name, &mut found) {
            continue;
        }
        let values = (found.into_iter())
            .map(|operand| value_of(operand, parameters))
            .collect::<Result<Vec<_>, _>>()?;
        if !values.iter().all(|v| attribute.scalar_type.matches(v)) {
            return Ok(Vec::new());
        }
        conditions.remove(position);
        return Ok(values);
    }
    Ok(Vec::new())
}

/// Whether `expr` is the top-level attribute `attribute`.
pub fn is_attribute(expr: &Expr, attribute: &str) -> bool {
    matches!(expr, Expr::Path(path) if matches!(path.as_slice(), [Step::Name(n)] if n == attribute))
}

/// Whether `expr` is a value (literal or parameter) rather than a path.
pub fn is_value(expr: &Expr) -> bool {
    match expr {
        Expr::Value(_) | Expr::Parameter(_) => true,
        Expr::Call(kind, items) if matches!(kind.as_str(), "map" | "list") => {
            items.iter().all(is_value)
        }
        _ => false,
    }
}
