//! PartiQL, the SQL-like language of ExecuteStatement: a parser for the
//! statements DynamoDB accepts, and their translation into the equivalent
//! DynamoDB expressions.

mod keywords;
pub mod order_by;
pub mod parse;
pub mod plan;
pub mod translate;
