//! One request's expressions: the order of checks DynamoDB applies to a
//! request with several expressions sharing one set of names and values.

use crate::bindings::{Bindings, Usage};
use crate::error::ExpressionKind;
use crate::expression::{
    parse_condition, parse_key_condition, parse_projection, parse_update, ConditionExpression,
    Projection, UpdateExpression,
};
use crate::key_condition::KeyCondition;
use dynalith_model::{AttributeValue, DynamoError};
use std::collections::HashMap;
use std::sync::Arc;

/// Parses and validates each expression of a request against the shared
/// ExpressionAttributeNames/Values, then checks that every name and value
/// was used.
///
/// Add the expressions in the order DynamoDB checks them, which decides the
/// error a request with several problems gets:
/// - UpdateItem: update, then condition;
/// - Query: filter, projection, then key condition;
/// - Scan: filter, then projection;
/// - PutItem / DeleteItem: condition; GetItem / BatchGetItem: projection.
///
/// Then call [`RequestExpressions::finish`] before resolving a key
/// condition against the key schema.
pub struct RequestExpressions<'a> {
    bindings: Bindings<'a>,
    usage: Usage,
}

impl<'a> RequestExpressions<'a> {
    /// Checks the maps themselves (empty maps, malformed keys, empty or
    /// oversized names). Use only when the request has an expression;
    /// otherwise see [`crate::check_without_expressions`].
    pub fn new(
        names: Option<&'a HashMap<String, String>>,
        values: Option<&'a HashMap<String, AttributeValue>>,
    ) -> Result<Self, DynamoError> {
        let bindings = Bindings::new(names, values);
        bindings.validate()?;
        Ok(RequestExpressions {
            bindings,
            usage: Usage::new(),
        })
    }

    pub fn bindings(&self) -> Bindings<'a> {
        self.bindings
    }

    /// A ConditionExpression (`kind` Condition) or FilterExpression
    /// (`kind` Filter).
    pub fn condition(
        &mut self,
        text: &str,
        kind: ExpressionKind,
    ) -> Result<Arc<ConditionExpression>, DynamoError> {
        let condition = parse_condition(text, kind)?;
        condition.validate(&self.bindings, &mut self.usage)?;
        Ok(condition)
    }

    pub fn update(&mut self, text: &str) -> Result<Arc<UpdateExpression>, DynamoError> {
        let update = parse_update(text)?;
        update.validate(&self.bindings, &mut self.usage)?;
        Ok(update)
    }

    pub fn projection(&mut self, text: &str) -> Result<Arc<Projection>, DynamoError> {
        let projection = parse_projection(text)?;
        projection.validate(&self.bindings, &mut self.usage)?;
        Ok(projection)
    }

    pub fn key_condition(&mut self, text: &str) -> Result<KeyCondition, DynamoError> {
        let key_condition = parse_key_condition(text)?;
        key_condition.validate(&self.bindings, &mut self.usage)?;
        Ok(key_condition)
    }

    /// "Value provided in ExpressionAttributeNames unused in expressions".
    pub fn finish(&self) -> Result<(), DynamoError> {
        self.usage.check_unused(&self.bindings)
    }
}
