//! dynalith's data model: DynamoDB's attribute values, numbers, items, their
//! wire JSON form, size rules and error types. No I/O, no async.

pub mod attribute_names;
pub mod error;
pub mod expression_values;
pub mod json_integer;
pub mod number;
pub mod size;
pub mod value;
pub mod wire;

pub use error::{DynamoError, ErrorKind, Result};
pub use number::{Number, NumberError, ValueLayer};
pub use value::{AttributeValue, Item, ValueType};
