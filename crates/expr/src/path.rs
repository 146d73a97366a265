//! Document paths with their placeholders resolved: what an update touched,
//! in a form the operation code can keep after the request's bindings are
//! gone (for ReturnValues UPDATED_OLD / UPDATED_NEW).

use crate::ast::{Path, PathElement};
use crate::bindings::Bindings;
use dynalith_model::DynamoError;
use std::cmp::Ordering;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

/// A resolved path such as `a.b[2]`; the first step is always a key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DocumentPath {
    pub steps: Vec<PathStep>,
}

impl DocumentPath {
    /// The top-level attribute the path starts at.
    pub fn attribute(&self) -> &str {
        match self.steps.first() {
            Some(PathStep::Key(k)) => k,
            _ => "",
        }
    }

    /// A top-level attribute.
    pub fn attribute_path(name: &str) -> Self {
        DocumentPath {
            steps: vec![PathStep::Key(name.to_string())],
        }
    }

    pub(crate) fn resolve(path: &Path, bindings: &Bindings<'_>) -> Result<Self, DynamoError> {
        let steps = path
            .elements
            .iter()
            .map(|e| match e {
                PathElement::Name(n) => bindings.resolve(n).map(|s| PathStep::Key(s.to_string())),
                PathElement::Index(i) => Ok(PathStep::Index(*i as usize)),
            })
            .collect::<Result<_, _>>()?;
        Ok(DocumentPath { steps })
    }
}

impl Ord for DocumentPath {
    /// Step by step: keys by name, indexes by number, keys before indexes,
    /// a prefix before its extensions.
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.steps.iter().zip(&other.steps) {
            let o = match (a, b) {
                (PathStep::Key(x), PathStep::Key(y)) => x.cmp(y),
                (PathStep::Index(x), PathStep::Index(y)) => x.cmp(y),
                (PathStep::Key(_), PathStep::Index(_)) => Ordering::Less,
                (PathStep::Index(_), PathStep::Key(_)) => Ordering::Greater,
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.steps.len().cmp(&other.steps.len())
    }
}

impl PartialOrd for DocumentPath {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for DocumentPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Key(k) if i == 0 => f.write_str(k)?,
                PathStep::Key(k) => write!(f, ".{k}")?,
                PathStep::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}
