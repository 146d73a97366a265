//! DynamoDB's expression language: condition, filter, key-condition,
//! update and projection expressions, with ExpressionAttributeNames and
//! ExpressionAttributeValues, and the legacy parameters (Expected,
//! AttributeUpdates, QueryFilter, ScanFilter, KeyConditions,
//! AttributesToGet) converted into the same trees. Pure: no I/O, no async.
//!
//! # How an operation uses it
//!
//! 1. Parse and validate each expression of the request through one
//!    [`RequestExpressions`], in DynamoDB's order (see its docs). Parsing is
//!    cached globally by kind and text.
//! 2. [`RequestExpressions::finish`] reports names or values no expression
//!    used.
//! 3. Evaluate against items with [`RequestExpressions::bindings`].
//!
//! Without any expression, [`check_without_expressions`] rejects stray
//! names and values. Each step returns DynamoDB's `ValidationException`
//! message for what it rejects.
//!
//! ```
//! use dynalith_expr::{ExpressionKind, RequestExpressions};
//! use dynalith_model::{AttributeValue, Item, Number};
//! use std::collections::HashMap;
//!
//! // UpdateItem: UpdateExpression "SET #c = #c + :one", ConditionExpression
//! // "attribute_exists(pk) AND #c < :max".
//! let names = HashMap::from([("#c".to_string(), "count".to_string())]);
//! let values = HashMap::from([
//!     (":one".to_string(), AttributeValue::N(Number::from_i64(1))),
//!     (":max".to_string(), AttributeValue::N(Number::from_i64(10))),
//! ]);
//! let mut request = RequestExpressions::new(Some(&names), Some(&values))?;
//! let update = request.update("SET #c = #c + :one")?;
//! let condition =
//!     request.condition("attribute_exists(pk) AND #c < :max", ExpressionKind::Condition)?;
//! request.finish()?;
//! let bindings = request.bindings();
//! update.check_key_attributes(&bindings, &["pk"])?;
//!
//! let mut item: Item = Item::new();
//! item.insert("pk".into(), AttributeValue::S("k".into()));
//! item.insert("count".into(), AttributeValue::N(Number::from_i64(3)));
//! assert!(condition.evaluate(Some(&item), &bindings)?);
//! let mut new_item = item.clone();
//! let outcome = update.apply(&mut new_item, &bindings)?;
//! assert_eq!(new_item["count"], AttributeValue::N(Number::from_i64(4)));
//! // ReturnValues UPDATED_NEW:
//! let updated = dynalith_expr::project_document_paths(&new_item, &outcome.paths);
//! assert_eq!(updated.len(), 1);
//! # Ok::<(), dynalith_model::DynamoError>(())
//! ```

pub mod ast;
mod bindings;
mod cache;
mod error;
mod eval;
mod expression;
mod key_condition;
mod key_paths;
pub mod legacy;
mod lexer;
mod parser;
mod path;
mod projection;
mod request;
pub mod reserved;
mod validate;

pub use bindings::{check_without_expressions, java_hash_set_order, Bindings, Usage};
pub use cache::clear_cache;
pub use error::ExpressionKind;
pub use eval::update::UpdateOutcome;
pub use expression::{
    parse_condition, parse_key_condition, parse_projection, parse_update, ConditionExpression,
    Projection, UpdateExpression, MAX_EXPRESSION_BYTES,
};
pub use key_condition::{
    KeyAttribute, KeyCondition, KeySchema, ResolvedKeyCondition, SortKeyCondition,
};
pub use path::{DocumentPath, PathStep};
pub use projection::{project_attributes, project_document_paths};
pub use request::RequestExpressions;
pub use validate::{MAX_IN_OPERANDS, MAX_OPERATORS, MAX_PATH_DEPTH};
