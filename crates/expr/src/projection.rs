//! Building the part of an item that a set of paths selects, in the shape
//! DynamoDB returns it: nested maps keep only the selected keys, and lists
//! keep only the selected elements, in index order (projecting `a.b[1]`
//! from `{a: {b: [x, y, z], c: ..}}` gives `{a: {b: [y]}}`).
//!
//! Used for ProjectionExpression, AttributesToGet, and UPDATED_OLD /
//! UPDATED_NEW return values.

use crate::ast::{Path, PathElement};
use crate::bindings::Bindings;
use crate::path::{DocumentPath, PathStep};
use dynalith_model::{AttributeValue, DynamoError, Item};
use std::collections::BTreeMap;

/// The selected parts of one value, borrowed until converted.
enum Node<'a> {
    Whole(&'a AttributeValue),
    Map(BTreeMap<&'a str, Node<'a>>),
    List(BTreeMap<usize, Node<'a>>),
}

impl Node<'_> {
    fn into_value(self) -> AttributeValue {
        match self {
            Node::Whole(v) => v.clone(),
            Node::Map(m) => AttributeValue::M(
                m.into_iter()
                    .map(|(k, n)| (k.to_string(), n.into_value()))
                    .collect(),
            ),
            Node::List(l) => AttributeValue::L(l.into_values().map(Node::into_value).collect()),
        }
    }
}

/// One step of a path, borrowed either from a parsed path or a resolved one.
#[derive(Clone, Copy)]
enum Step<'s> {
    Key(&'s str),
    Index(usize),
}

/// Collects selections into a tree, then builds the result.
struct Builder<'a> {
    top: BTreeMap<&'a str, Node<'a>>,
}

impl<'a> Builder<'a> {
    fn new() -> Self {
        Builder {
            top: BTreeMap::new(),
        }
    }

    fn select(&mut self, item: &'a Item, steps: &[Step<'_>]) {
        let Some((Step::Key(first), rest)) = steps.split_first() else {
            return;
        };
        let Some((name, mut value)) = item.get_key_value(*first) else {
            return;
        };
        // Find the value first, so nothing is inserted for a missing path.
        let mut chain: Vec<Step<'a>> = Vec::with_capacity(rest.len());
        for step in rest {
            let next = match (step, value) {
                (Step::Key(k), AttributeValue::M(map)) => map
                    .get_key_value(*k)
                    .map(|(k, v)| (Step::Key(k.as_str()), v)),
                (Step::Index(i), AttributeValue::L(list)) => {
                    list.get(*i).map(|v| (Step::Index(*i), v))
                }
                _ => None,
            };
            let Some((owned_step, next)) = next else {
                return;
            };
            chain.push(owned_step);
            value = next;
        }
        let mut node = self
            .top
            .entry(name.as_str())
            .or_insert_with(|| empty_for(chain.first()));
        for (i, step) in chain.iter().enumerate() {
            let following = chain.get(i + 1);
            node = match (node, step) {
                (Node::Map(m), Step::Key(k)) => m.entry(*k).or_insert_with(|| empty_for(following)),
                (Node::List(l), Step::Index(n)) => {
                    l.entry(*n).or_insert_with(|| empty_for(following))
                }
                // Already selected whole (overlapping paths): keep that.
                _ => return,
            };
        }
        if matches!(node, Node::Map(_) | Node::List(_)) {
            *node = Node::Whole(value);
        }
    }

    fn build(self) -> Item {
        self.top
            .into_iter()
            .map(|(k, n)| (k.to_string(), n.into_value()))
            .collect()
    }
}

/// The container a path continues into, or a placeholder for its end.
fn empty_for(next: Option<&Step<'_>>) -> Node<'static> {
    match next {
        Some(Step::Index(_)) => Node::List(BTreeMap::new()),
        _ => Node::Map(BTreeMap::new()),
    }
}

/// Selects parsed `paths` (placeholders resolved through `bindings`).
pub(crate) fn project_paths(
    item: &Item,
    paths: &[Path],
    bindings: &Bindings<'_>,
) -> Result<Item, DynamoError> {
    let mut builder = Builder::new();
    let mut steps = Vec::new();
    for path in paths {
        steps.clear();
        for element in &path.elements {
            steps.push(match element {
                PathElement::Name(n) => Step::Key(bindings.resolve(n)?),
                PathElement::Index(i) => Step::Index(*i as usize),
            });
        }
        builder.select(item, &steps);
    }
    Ok(builder.build())
}

/// Selects resolved paths, e.g. an [`crate::UpdateOutcome`]'s, to build
/// UPDATED_OLD (from the item before) or UPDATED_NEW (after).
pub fn project_document_paths(item: &Item, paths: &[DocumentPath]) -> Item {
    let mut builder = Builder::new();
    let mut steps = Vec::new();
    for path in paths {
        steps.clear();
        steps.extend(path.steps.iter().map(|s| match s {
            PathStep::Key(k) => Step::Key(k.as_str()),
            PathStep::Index(i) => Step::Index(*i),
        }));
        builder.select(item, &steps);
    }
    builder.build()
}

/// Selects top-level attributes by name (AttributesToGet).
pub fn project_attributes(item: &Item, names: &[String]) -> Item {
    names
        .iter()
        .filter_map(|n| item.get_key_value(n.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
