//! Applying an update expression, with DynamoDB's semantics:
//! - every SET value is computed from the item as it was before the
//!   update (`SET a = b, b = a` swaps);
//! - reading a missing attribute is an error, except as the path
//!   `if_not_exists` tests (its fallback must exist even when unused), and
//!   arithmetic and `list_append` need numbers and lists;
//! - with several errors, the first in text order is reported. DynamoDB
//!   Local reports the first in an order that follows hashes of the
//!   attribute names (renaming an attribute changes which error wins), so
//!   there is no order to match;
//! - SET past the end of a list appends (several appends go in index
//!   order); a SET whose parent is missing or of the wrong type fails;
//! - REMOVE, ADD and DELETE indexes refer to the list before the update;
//!   out-of-range REMOVEs do nothing; SET, ADD and DELETE apply before
//!   REMOVE;
//! - ADD adds to a number (missing counts as 0) or unions a set; DELETE
//!   subtracts from a set and removes the attribute once it is empty.

use super::lookup;
use crate::ast::{Call, Clause, Function, Operand, SetValue};
use crate::bindings::Bindings;
use crate::error::{incorrect_data_type, invalid_update_path, missing_operand_attribute};
use crate::path::{DocumentPath, PathStep};
use dynalith_model::{AttributeValue, DynamoError, Item, NumberError};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// What an update touched.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UpdateOutcome {
    /// Every path the expression writes, in text order.
    pub paths: Vec<DocumentPath>,
}

impl UpdateOutcome {
    /// The top-level attributes written, each once, in text order.
    pub fn top_level_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for path in &self.paths {
            if !names.contains(&path.attribute()) {
                names.push(path.attribute());
            }
        }
        names
    }
}

pub(crate) fn apply(
    clauses: &[Clause],
    item: &mut Item,
    bindings: &Bindings<'_>,
) -> Result<UpdateOutcome, DynamoError> {
    let mut outcome = UpdateOutcome::default();
    let mut sets = Vec::new();
    let mut removes = Vec::new();
    let mut adds = Vec::new();
    let mut deletes = Vec::new();
    for clause in clauses {
        match clause {
            Clause::Set(actions) => {
                for action in actions {
                    let path = DocumentPath::resolve(&action.path, bindings)?;
                    // The target's parent is checked before the value is
                    // computed, as DynamoDB does within one action.
                    slot(item, &path)?;
                    let value = set_value(&action.value, item, bindings)?;
                    outcome.paths.push(path.clone());
                    sets.push((path, value));
                }
            }
            Clause::Remove(paths) => {
                for path in paths {
                    let path = DocumentPath::resolve(path, bindings)?;
                    outcome.paths.push(path.clone());
                    removes.push(path);
                }
            }
            Clause::Add(actions) | Clause::Delete(actions) => {
                for action in actions {
                    let path = DocumentPath::resolve(&action.path, bindings)?;
                    let value = bindings.value(&action.value).ok_or_else(|| {
                        DynamoError::validation(crate::error::undefined_value(&action.value))
                    })?;
                    outcome.paths.push(path.clone());
                    if matches!(clause, Clause::Add(_)) {
                        adds.push((path, value));
                    } else {
                        deletes.push((path, value));
                    }
                }
            }
        }
    }
    // Sorting only reorders independent paths (overlaps were rejected), so
    // it matters just for appends past the end of one list.
    sets.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, value) in sets {
        slot(item, &path)?.set(value);
    }
    // ADD and DELETE run before any REMOVE: their list indexes, like
    // REMOVE's, name positions in the list as it was before the update
    // (`REMOVE l[0] ADD l[1] :n` adds to the old second element).
    for (path, value) in adds {
        add(item, &path, value)?;
    }
    for (path, value) in deletes {
        if delete(item, &path, value)? {
            removes.push(path);
        }
    }
    removes.sort_by(|a, b| b.cmp(a));
    for path in &removes {
        if let [PathStep::Key(name)] = path.steps.as_slice() {
            item.remove(name);
        } else {
            slot(item, path)?.remove();
        }
    }
    Ok(outcome)
}

/// DynamoDB's order of checks within one value, when it has several
/// errors (differential test): first every `if_not_exists` fallback must
/// exist, used or not; then operands are read left to right, each one's
/// type checked before the next is read (`b + nope` with a binary `b` is a
/// type error, `nope + b` a missing attribute).
fn set_value(
    value: &SetValue,
    item: &Item,
    bindings: &Bindings<'_>,
) -> Result<AttributeValue, DynamoError> {
    let (left, right, plus) = match value {
        SetValue::Operand(operand) => {
            check_fallbacks(operand, item, bindings)?;
            return Ok(operand_value(operand, item, bindings)?.into_owned());
        }
        SetValue::Plus(l, r) => (l, r, true),
        SetValue::Minus(l, r) => (l, r, false),
    };
    check_fallbacks(left, item, bindings)?;
    check_fallbacks(right, item, bindings)?;
    let l = operand_value(left, item, bindings)?;
    let AttributeValue::N(x) = l.as_ref() else {
        return Err(incorrect_data_type());
    };
    let r = operand_value(right, item, bindings)?;
    let AttributeValue::N(y) = r.as_ref() else {
        return Err(incorrect_data_type());
    };
    let result = if plus {
        x.checked_add(y)
    } else {
        x.checked_sub(y)
    };
    result.map(AttributeValue::N).map_err(arithmetic_error)
}

/// Fails when an `if_not_exists` in `operand` has a fallback that names a
/// missing attribute, even where the fallback is not needed.
fn check_fallbacks(
    operand: &Operand,
    item: &Item,
    bindings: &Bindings<'_>,
) -> Result<(), DynamoError> {
    let Operand::Call(Call { function, args }) = operand else {
        return Ok(());
    };
    for arg in args {
        check_fallbacks(arg, item, bindings)?;
    }
    if let (Function::IfNotExists, [_, fallback]) = (function, args.as_slice()) {
        operand_value(fallback, item, bindings)?;
    }
    Ok(())
}

fn operand_value<'a>(
    operand: &Operand,
    item: &'a Item,
    bindings: &Bindings<'a>,
) -> Result<Cow<'a, AttributeValue>, DynamoError> {
    match operand {
        Operand::Path(path) => lookup(item, path, bindings)?
            .map(Cow::Borrowed)
            .ok_or_else(missing_operand_attribute),
        Operand::Value(placeholder) => bindings
            .value(placeholder)
            .map(Cow::Borrowed)
            .ok_or_else(|| DynamoError::validation(crate::error::undefined_value(placeholder))),
        Operand::Call(Call {
            function: Function::IfNotExists,
            args,
        }) => match args.as_slice() {
            [Operand::Path(path), fallback] => match lookup(item, path, bindings)? {
                Some(existing) => Ok(Cow::Borrowed(existing)),
                None => operand_value(fallback, item, bindings),
            },
            _ => Err(incorrect_data_type()),
        },
        Operand::Call(Call {
            function: Function::ListAppend,
            args,
        }) => match args.as_slice() {
            [first, second] => {
                let list = |operand| match operand_value(operand, item, bindings)? {
                    Cow::Borrowed(AttributeValue::L(list)) => Ok(Cow::Borrowed(list)),
                    Cow::Owned(AttributeValue::L(list)) => Ok(Cow::Owned(list)),
                    _ => Err(incorrect_data_type()),
                };
                let a = list(first)?;
                let b = list(second)?;
                Ok(Cow::Owned(AttributeValue::L(
                    a.iter().chain(b.iter()).cloned().collect(),
                )))
            }
            _ => Err(incorrect_data_type()),
        },
        Operand::Call(_) => Err(incorrect_data_type()),
    }
}

/// Where a path's value lives: a key of a map (the item itself at the top)
/// or a position in a list.
enum Slot<'i, 'p> {
    Map(&'i mut BTreeMap<String, AttributeValue>, &'p str),
    List(&'i mut Vec<AttributeValue>, usize),
}

impl Slot<'_, '_> {
    fn get_mut(&mut self) -> Option<&mut AttributeValue> {
        match self {
            Slot::Map(map, key) => map.get_mut(*key),
            Slot::List(list, i) => list.get_mut(*i),
        }
    }

    fn set(self, value: AttributeValue) {
        match self {
            Slot::Map(map, key) => {
                map.insert(key.to_string(), value);
            }
            Slot::List(list, i) => match list.get_mut(i) {
                Some(existing) => *existing = value,
                None => list.push(value),
            },
        }
    }

    fn remove(self) {
        match self {
            Slot::Map(map, key) => {
                map.remove(key);
            }
            Slot::List(list, i) => {
                if i < list.len() {
                    list.remove(i);
                }
            }
        }
    }
}

/// The slot `path` names; its parent must exist and be the container the
/// last step needs.
fn slot<'i, 'p>(item: &'i mut Item, path: &'p DocumentPath) -> Result<Slot<'i, 'p>, DynamoError> {
    let Some((PathStep::Key(first), rest)) = path.steps.split_first() else {
        return Err(invalid_update_path());
    };
    let Some((last, middle)) = rest.split_last() else {
        return Ok(Slot::Map(item, first));
    };
    let mut current = item
        .get_mut(first.as_str())
        .ok_or_else(invalid_update_path)?;
    for step in middle {
        current = match (step, current) {
            (PathStep::Key(k), AttributeValue::M(map)) => map.get_mut(k.as_str()),
            (PathStep::Index(i), AttributeValue::L(list)) => list.get_mut(*i),
            _ => None,
        }
        .ok_or_else(invalid_update_path)?;
    }
    match (last, current) {
        (PathStep::Key(k), AttributeValue::M(map)) => Ok(Slot::Map(map, k)),
        (PathStep::Index(i), AttributeValue::L(list)) => Ok(Slot::List(list, *i)),
        _ => Err(invalid_update_path()),
    }
}

fn add(item: &mut Item, path: &DocumentPath, value: &AttributeValue) -> Result<(), DynamoError> {
    let mut slot = slot(item, path)?;
    let Some(existing) = slot.get_mut() else {
        slot.set(value.clone());
        return Ok(());
    };
    match (existing, value) {
        (AttributeValue::N(n), AttributeValue::N(m)) => {
            *n = n.checked_add(m).map_err(arithmetic_error)?;
        }
        (AttributeValue::Ss(set), AttributeValue::Ss(more)) => union(set, more),
        (AttributeValue::Ns(set), AttributeValue::Ns(more)) => union(set, more),
        (AttributeValue::Bs(set), AttributeValue::Bs(more)) => union(set, more),
        _ => return Err(incorrect_data_type()),
    }
    Ok(())
}

/// DynamoDB words a result needing more than 38 digits differently from
/// such a number in the request.
fn arithmetic_error(e: NumberError) -> DynamoError {
    match e {
        NumberError::TooManyDigits => {
            DynamoError::validation("DynamoDB only supports precision up to 38 digits")
        }
        other => DynamoError::validation(other.message()),
    }
}

fn union<T: PartialEq + Clone>(set: &mut Vec<T>, more: &[T]) {
    for member in more {
        if !set.contains(member) {
            set.push(member.clone());
        }
    }
}

/// Subtracts `value` from the set at `path`; true when the set is left
/// empty, and so must be removed (with the REMOVEs, so that a list keeps
/// its positions until then).
fn delete(
    item: &mut Item,
    path: &DocumentPath,
    value: &AttributeValue,
) -> Result<bool, DynamoError> {
    let mut slot = slot(item, path)?;
    let Some(existing) = slot.get_mut() else {
        return Ok(false);
    };
    match (existing, value) {
        (AttributeValue::Ss(set), AttributeValue::Ss(gone)) => Ok(subtract(set, gone)),
        (AttributeValue::Ns(set), AttributeValue::Ns(gone)) => Ok(subtract(set, gone)),
        (AttributeValue::Bs(set), AttributeValue::Bs(gone)) => Ok(subtract(set, gone)),
        _ => Err(incorrect_data_type()),
    }
}

fn subtract<T: PartialEq>(set: &mut Vec<T>, gone: &[T]) -> bool {
    set.retain(|member| !gone.contains(member));
    set.is_empty()
}
