//! Evaluating parsed expressions against items. Reads borrow from the item
//! and the bindings; only results that are new values (`size()`, SET
//! results) are built.

pub(crate) mod condition;
pub(crate) mod update;

use crate::ast::{Path, PathElement};
use crate::bindings::Bindings;
use dynalith_model::{AttributeValue, DynamoError, Item};

/// Follows `path` through `item`. `Ok(None)` when any step is missing or
/// is not the container the step needs.
pub(crate) fn lookup<'a>(
    item: &'a Item,
    path: &Path,
    bindings: &Bindings<'_>,
) -> Result<Option<&'a AttributeValue>, DynamoError> {
    let mut elements = path.elements.iter();
    let mut current = match elements.next() {
        Some(PathElement::Name(name)) => match item.get(bindings.resolve(name)?) {
            Some(value) => value,
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    for element in elements {
        let next = match (element, current) {
            (PathElement::Name(name), AttributeValue::M(map)) => map.get(bindings.resolve(name)?),
            (PathElement::Index(i), AttributeValue::L(list)) => list.get(*i as usize),
            (PathElement::Name(name), _) => {
                // Still resolve, so an undefined placeholder is reported.
                bindings.resolve(name)?;
                None
            }
            _ => None,
        };
        match next {
            Some(value) => current = value,
            None => return Ok(None),
        }
    }
    Ok(Some(current))
}
