//! What an item computed by an update expression must satisfy before it is
//! written, checked the same way by UpdateItem and a transaction's Update:
//! index key attributes of the right types, DynamoDB's nesting limit (an
//! update can nest a value deeper than any value the request held, as
//! `SET a[0] = :doc` does) and the 400 KB item size.

use crate::catalog::TableMeta;
use crate::index::{self, Origin};
use dynalith_model::size::{item_size, MAX_ITEM_SIZE};
use dynalith_model::value::MAX_NESTING_DEPTH;
use dynalith_model::{DynamoError, Item};

pub fn check(table: &TableMeta, item: &Item) -> Result<(), DynamoError> {
    index::check_item(table, item, Origin::Updated)?;
    if item
        .values()
        .any(|value| value.nesting_levels() > MAX_NESTING_DEPTH)
    {
        // Worded without the request-parsing message's suffix, as DynamoDB
        // (Local) words it for an update's result.
        return Err(DynamoError::validation(
            "Nesting Levels have exceeded supported limits",
        ));
    }
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(DynamoError::validation(
            "Item size to update has exceeded the maximum allowed size",
        ));
    }
    Ok(())
}
