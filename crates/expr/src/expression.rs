//! The parsed expressions a request carries, and the entry points that
//! parse them through the cache.

use crate::ast::{write_clauses, write_paths, Clause, Condition, Path};
use crate::bindings::{Bindings, Usage};
use crate::cache::{get_or_parse, Parsed};
use crate::error::{invalid, ExpressionKind};
use crate::eval::update::UpdateOutcome;
use crate::key_condition::KeyCondition;
use crate::parser::{
    parse_condition_text, parse_projection_text, parse_update_text, with_stack_for,
};
use crate::path::DocumentPath;
use crate::validate::{clause_paths, Validator};
use dynalith_model::{DynamoError, Item};
use std::fmt;
use std::sync::Arc;

/// Longest expression text DynamoDB accepts, in bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;

fn check_text(kind: ExpressionKind, text: &str) -> Result<(), DynamoError> {
    if text.is_empty() {
        return Err(invalid(kind, "The expression can not be empty;"));
    }
    if text.len() > MAX_EXPRESSION_BYTES {
        // DynamoDB states the size for the condition grammar only.
        let size = if kind.is_condition() {
            format!(" expression size: {}", text.len())
        } else {
            String::new()
        };
        return Err(invalid(
            kind,
            format_args!("Expression size has exceeded the maximum allowed size;{size}"),
        ));
    }
    Ok(())
}

/// A ConditionExpression, FilterExpression or KeyConditionExpression.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionExpression {
    kind: ExpressionKind,
    root: Condition,
}

impl ConditionExpression {
    /// DynamoDB's error when the condition reads inside a key attribute
    /// (`pk.x`): "Key attributes must be scalars; ...".
    pub fn check_scalar_keys(
        &self,
        bindings: &Bindings<'_>,
        key_attributes: &[&str],
    ) -> Result<(), DynamoError> {
        let mut paths = Vec::new();
        crate::key_paths::condition_paths(&self.root, &mut paths);
        crate::key_paths::check(&paths, bindings, key_attributes)
    }

    /// For trees built in code (legacy parameters, tests).
    pub fn new(kind: ExpressionKind, root: Condition) -> Self {
        ConditionExpression { kind, root }
    }

    pub fn kind(&self) -> ExpressionKind {
        self.kind
    }

    pub fn root(&self) -> &Condition {
        &self.root
    }

    /// The checks that need the request's names and values; records which
    /// placeholders the expression uses.
    pub fn validate(&self, bindings: &Bindings<'_>, usage: &mut Usage) -> Result<(), DynamoError> {
        let mut validator = Validator::new(self.kind, bindings, usage);
        validator.condition(&self.root)?;
        validator.finish_condition()
    }

    /// Whether `item` (`None` when there is no item) satisfies the
    /// condition. Comparisons never fail; only an undefined placeholder
    /// (which [`ConditionExpression::validate`] reports first) is an error.
    pub fn evaluate<'a>(
        &self,
        item: Option<&'a Item>,
        bindings: &Bindings<'a>,
    ) -> Result<bool, DynamoError> {
        crate::eval::condition::evaluate(&self.root, item, bindings)
    }
}

impl fmt::Display for ConditionExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.root)
    }
}

/// An UpdateExpression.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateExpression {
    clauses: Vec<Clause>,
}

impl UpdateExpression {
    pub fn new(clauses: Vec<Clause>) -> Self {
        UpdateExpression { clauses }
    }

    pub fn clauses(&self) -> &[Clause] {
        &self.clauses
    }

    /// Overlapping paths, placeholder use, operand types.
    pub fn validate(&self, bindings: &Bindings<'_>, usage: &mut Usage) -> Result<(), DynamoError> {
        Validator::new(ExpressionKind::Update, bindings, usage).update(&self.clauses)
    }

    /// Every path the update writes, resolved, in text order.
    pub fn target_paths(&self, bindings: &Bindings<'_>) -> Result<Vec<DocumentPath>, DynamoError> {
        self.clauses
            .iter()
            .flat_map(clause_paths)
            .map(|p| DocumentPath::resolve(p, bindings))
            .collect()
    }

    /// DynamoDB's error when the update writes a key attribute:
    /// "One or more parameter values were invalid: Cannot update attribute
    /// pk. This attribute is part of the key". With several, DynamoDB names
    /// the first in key-schema order (`key_attributes`), not in text order.
    pub fn check_key_attributes(
        &self,
        bindings: &Bindings<'_>,
        key_attributes: &[&str],
    ) -> Result<(), DynamoError> {
        let targets = self.target_paths(bindings)?;
        for key in key_attributes {
            if targets.iter().any(|path| path.attribute() == *key) {
                return Err(DynamoError::invalid_parameter(format_args!(
                    "Cannot update attribute {key}. This attribute is part of the key"
                )));
            }
        }
        Ok(())
    }

    /// DynamoDB's error when a SET value reads inside a key attribute
    /// (`SET a = pk.x`); DynamoDB checks it after the condition.
    pub fn check_scalar_keys(
        &self,
        bindings: &Bindings<'_>,
        key_attributes: &[&str],
    ) -> Result<(), DynamoError> {
        let mut paths = Vec::new();
        crate::key_paths::update_read_paths(&self.clauses, &mut paths);
        crate::key_paths::check(&paths, bindings, key_attributes)
    }

    /// Applies the update to `item` (an empty item when none exists yet).
    /// On error `item` may be partly updated: apply to a copy you can drop.
    pub fn apply(
        &self,
        item: &mut Item,
        bindings: &Bindings<'_>,
    ) -> Result<UpdateOutcome, DynamoError> {
        crate::eval::update::apply(&self.clauses, item, bindings)
    }
}

impl fmt::Display for UpdateExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_clauses(f, &self.clauses)
    }
}

/// A ProjectionExpression.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    paths: Vec<Path>,
}

impl Projection {
    pub fn new(paths: Vec<Path>) -> Self {
        Projection { paths }
    }

    pub fn paths(&self) -> &[Path] {
        &self.paths
    }

    /// Overlapping paths and placeholder use.
    pub fn validate(&self, bindings: &Bindings<'_>, usage: &mut Usage) -> Result<(), DynamoError> {
        Validator::new(ExpressionKind::Projection, bindings, usage)
            .distinct_paths(self.paths.iter())
    }

    /// DynamoDB's error when the projection reads inside a key attribute.
    pub fn check_scalar_keys(
        &self,
        bindings: &Bindings<'_>,
        key_attributes: &[&str],
    ) -> Result<(), DynamoError> {
        let paths: Vec<&Path> = self.paths.iter().collect();
        crate::key_paths::check(&paths, bindings, key_attributes)
    }

    /// The projected part of `item`.
    pub fn apply(&self, item: &Item, bindings: &Bindings<'_>) -> Result<Item, DynamoError> {
        crate::projection::project_paths(item, &self.paths, bindings)
    }

    /// The top-level attributes the projection reads (for index projection
    /// checks).
    pub fn top_level_names<'a>(
        &'a self,
        bindings: &Bindings<'a>,
    ) -> Result<Vec<&'a str>, DynamoError> {
        let mut names = Vec::new();
        for path in &self.paths {
            if let Some(crate::ast::PathElement::Name(n)) = path.elements.first() {
                let name = bindings.resolve(n)?;
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        Ok(names)
    }
}

impl fmt::Display for Projection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_paths(f, &self.paths)
    }
}

/// Parses a condition-grammar expression (cached). `kind` picks the
/// messages: Condition, Filter or KeyCondition.
pub fn parse_condition(
    text: &str,
    kind: ExpressionKind,
) -> Result<Arc<ConditionExpression>, DynamoError> {
    debug_assert!(kind.is_condition());
    check_text(kind, text)?;
    let parsed = get_or_parse(kind, text, || {
        let root = with_stack_for(text, || parse_condition_text(text, kind))?;
        Ok(Parsed::Condition(Arc::new(ConditionExpression {
            kind,
            root,
        })))
    })?;
    match parsed {
        Parsed::Condition(c) => Ok(c),
        _ => Err(DynamoError::internal(
            "expression cache returned the wrong kind",
        )),
    }
}

/// Parses a KeyConditionExpression (cached).
pub fn parse_key_condition(text: &str) -> Result<KeyCondition, DynamoError> {
    let condition = parse_condition(text, ExpressionKind::KeyCondition)?;
    Ok(KeyCondition(condition))
}

/// Parses an UpdateExpression (cached).
pub fn parse_update(text: &str) -> Result<Arc<UpdateExpression>, DynamoError> {
    check_text(ExpressionKind::Update, text)?;
    let parsed = get_or_parse(ExpressionKind::Update, text, || {
        let clauses = with_stack_for(text, || parse_update_text(text))?;
        Ok(Parsed::Update(Arc::new(UpdateExpression { clauses })))
    })?;
    match parsed {
        Parsed::Update(u) => Ok(u),
        _ => Err(DynamoError::internal(
            "expression cache returned the wrong kind",
        )),
    }
}

/// Parses a ProjectionExpression (cached).
pub fn parse_projection(text: &str) -> Result<Arc<Projection>, DynamoError> {
    check_text(ExpressionKind::Projection, text)?;
    let parsed = get_or_parse(ExpressionKind::Projection, text, || {
        Ok(Parsed::Projection(Arc::new(Projection {
            paths: parse_projection_text(text)?,
        })))
    })?;
    match parsed {
        Parsed::Projection(p) => Ok(p),
        _ => Err(DynamoError::internal(
            "expression cache returned the wrong kind",
        )),
    }
}
