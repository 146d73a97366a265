//! Condition semantics, as DynamoDB evaluates them:
//! - comparing values of different types is false, not an error (so `<>`
//!   is true), and a missing operand makes `=` false and `<>` true;
//! - `<`, `<=`, `>`, `>=` and BETWEEN order S by UTF-8 bytes, B by
//!   unsigned bytes and N numerically, and are false for other types;
//! - `size()` of an attribute it does not apply to behaves as missing;
//!   strings measure in UTF-16 code units, as DynamoDB's `size` does.

use super::lookup;
use crate::ast::{Call, CompareOp, Condition, Function, Operand};
use crate::bindings::Bindings;
use crate::validate::compare_scalars;
use dynalith_model::{AttributeValue, DynamoError, Item, Number, ValueType};
use std::cmp::Ordering;

/// An operand's value: borrowed from the item or the bindings, or computed.
pub(crate) enum Val<'a> {
    Ref(&'a AttributeValue),
    Num(Number),
}

impl Val<'_> {
    fn number(&self) -> Option<&Number> {
        match self {
            Val::Ref(AttributeValue::N(n)) | Val::Num(n) => Some(n),
            _ => None,
        }
    }

    fn value(&self) -> Option<&AttributeValue> {
        match self {
            Val::Ref(v) => Some(v),
            Val::Num(_) => None,
        }
    }
}

fn equal(a: &Val<'_>, b: &Val<'_>) -> bool {
    match (a, b) {
        (Val::Ref(x), Val::Ref(y)) => x == y,
        _ => matches!((a.number(), b.number()), (Some(x), Some(y)) if x == y),
    }
}

fn order(a: &Val<'_>, b: &Val<'_>) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.number(), b.number()) {
        return Some(x.cmp(y));
    }
    compare_scalars(a.value()?, b.value()?)
}

pub(crate) fn evaluate<'a>(
    condition: &Condition,
    item: Option<&'a Item>,
    bindings: &Bindings<'a>,
) -> Result<bool, DynamoError> {
    let operand = |o: &Operand| eval_operand(o, item, bindings);
    Ok(match condition {
        Condition::Compare(op, left, right) => {
            let (l, r) = (operand(left)?, operand(right)?);
            match (l, r) {
                (Some(l), Some(r)) => match op {
                    CompareOp::Eq => equal(&l, &r),
                    CompareOp::Ne => !equal(&l, &r),
                    _ => order(&l, &r).is_some_and(|o| match op {
                        CompareOp::Lt => o.is_lt(),
                        CompareOp::Le => o.is_le(),
                        CompareOp::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    }),
                },
                _ => *op == CompareOp::Ne,
            }
        }
        Condition::Between(value, low, high) => {
            match (operand(value)?, operand(low)?, operand(high)?) {
                (Some(v), Some(lo), Some(hi)) => {
                    order(&lo, &v).is_some_and(Ordering::is_le)
                        && order(&v, &hi).is_some_and(Ordering::is_le)
                }
                _ => false,
            }
        }
        Condition::In(value, list) => match operand(value)? {
            Some(v) => {
                let mut found = false;
                for candidate in list {
                    if operand(candidate)?.is_some_and(|c| equal(&v, &c)) {
                        found = true;
                        break;
                    }
                }
                found
            }
            None => false,
        },
        Condition::Call(call) => eval_function(call, item, bindings)?,
        Condition::Not(inner) => !evaluate(inner, item, bindings)?,
        Condition::And(left, right) => {
            evaluate(left, item, bindings)? && evaluate(right, item, bindings)?
        }
        Condition::Or(left, right) => {
            evaluate(left, item, bindings)? || evaluate(right, item, bindings)?
        }
    })
}

pub(crate) fn eval_operand<'a>(
    operand: &Operand,
    item: Option<&'a Item>,
    bindings: &Bindings<'a>,
) -> Result<Option<Val<'a>>, DynamoError> {
    Ok(match operand {
        Operand::Path(path) => match item {
            Some(item) => lookup(item, path, bindings)?.map(Val::Ref),
            None => None,
        },
        Operand::Value(placeholder) => {
            Some(Val::Ref(bindings.value(placeholder).ok_or_else(|| {
                DynamoError::validation(crate::error::undefined_value(placeholder))
            })?))
        }
        Operand::Call(Call {
            function: Function::Size,
            args,
        }) => match args.as_slice() {
            [arg] => eval_operand(arg, item, bindings)?
                .and_then(|v| size(&v))
                .map(Val::Num),
            _ => None,
        },
        // Other functions are not operands of conditions; validation
        // rejects them.
        Operand::Call(_) => None,
    })
}

fn size(value: &Val<'_>) -> Option<Number> {
    let n = match value.value()? {
        AttributeValue::S(s) => s.encode_utf16().count(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(s) => s.len(),
        AttributeValue::Ns(s) => s.len(),
        AttributeValue::Bs(s) => s.len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::M(m) => m.len(),
        _ => return None,
    };
    Some(Number::from_i64(i64::try_from(n).unwrap_or(i64::MAX)))
}

fn eval_function<'a>(
    call: &Call,
    item: Option<&'a Item>,
    bindings: &Bindings<'a>,
) -> Result<bool, DynamoError> {
    let arg = |i: usize| -> Result<Option<Val<'a>>, DynamoError> {
        match call.args.get(i) {
            Some(o) => eval_operand(o, item, bindings),
            None => Ok(None),
        }
    };
    Ok(match call.function {
        Function::AttributeExists => arg(0)?.is_some(),
        Function::AttributeNotExists => arg(0)?.is_none(),
        Function::AttributeType => match (arg(0)?, arg(1)?) {
            (Some(v), Some(Val::Ref(AttributeValue::S(t)))) => {
                let actual = v.value().map_or(ValueType::N, AttributeValue::value_type);
                ValueType::from_descriptor(t) == Some(actual)
            }
            _ => false,
        },
        Function::BeginsWith => match (arg(0)?, arg(1)?) {
            (Some(Val::Ref(a)), Some(Val::Ref(b))) => match (a, b) {
                (AttributeValue::S(a), AttributeValue::S(b)) => a.starts_with(b.as_str()),
                (AttributeValue::B(a), AttributeValue::B(b)) => a.starts_with(b),
                _ => false,
            },
            _ => false,
        },
        Function::Contains => match (arg(0)?, arg(1)?) {
            (Some(haystack), Some(needle)) => contains(&haystack, &needle),
            _ => false,
        },
        Function::Size | Function::IfNotExists | Function::ListAppend => false,
    })
}

fn contains(haystack: &Val<'_>, needle: &Val<'_>) -> bool {
    let Some(haystack) = haystack.value() else {
        return false;
    };
    match (haystack, needle.value()) {
        (AttributeValue::S(s), Some(AttributeValue::S(sub))) => s.contains(sub.as_str()),
        (AttributeValue::B(b), Some(AttributeValue::B(sub))) => {
            sub.is_empty() || b.windows(sub.len()).any(|w| w == sub.as_slice())
        }
        (AttributeValue::Ss(set), Some(AttributeValue::S(member))) => set.contains(member),
        (AttributeValue::Bs(set), Some(AttributeValue::B(member))) => set.contains(member),
        (AttributeValue::Ns(set), _) => needle
            .number()
            .is_some_and(|member| set.iter().any(|n| n == member)),
        (AttributeValue::L(list), _) => list.iter().any(|e| equal(&Val::Ref(e), needle)),
        _ => false,
    }
}
