//! The single read-modify-write path. Every write of an item — PutItem,
//! DeleteItem, UpdateItem, and later batch writes, transactions, PartiQL and
//! TTL deletes — goes through [`Database::write_items`]: lock each item's
//! key in key order, read the current item, let the operation decide what to
//! write from it, and commit the item together with everything derived from
//! it (table counters now; index entries and stream records as they land) in
//! one storage transaction.

use crate::catalog::TableMeta;
use crate::{keys, storage_error, stored_item, Database};
use dynalith_model::{DynamoError, Item};
use dynalith_storage::{StorageError, Transaction};
use std::sync::Arc;

/// What an operation decided to do with an item.
pub enum Mutation {
    Put(Item),
    Delete,
    /// Leave the item as it is (a failed condition, or a no-op).
    Keep,
}

/// Decides what to write from the current item (None when absent).
pub type Decide<'a> = Box<dyn FnMut(Option<&Item>) -> Result<Mutation, DynamoError> + 'a>;

/// One item to write.
pub struct ItemWrite<'a> {
    pub table: Arc<TableMeta>,
    pub key: Vec<u8>,
    /// Called with the current item (None when absent); may be called again
    /// if the transaction is retried after a conflict.
    pub decide: Decide<'a>,
}

/// What happened to one item.
#[derive(Debug, Default)]
pub struct WriteOutcome {
    pub old: Option<Item>,
    pub old_size: usize,
    pub new: Option<Item>,
    pub new_size: usize,
}

/// How often a write is retried after lock timeouts before giving up with
/// a (retryable) InternalServerError.
const MAX_ATTEMPTS: usize = 16;

impl Database {
    /// Writes one item through the read-modify-write path.
    pub fn write_item(&self, write: ItemWrite<'_>) -> Result<WriteOutcome, DynamoError> {
        let mut outcomes = self.write_items(vec![write])?;
        outcomes
            .pop()
            .ok_or_else(|| DynamoError::internal("write produced no outcome"))
    }

    /// Writes several items atomically. Outcomes come back in request
    /// order. Keys are locked in ascending order, so concurrent callers
    /// cannot deadlock.
    pub fn write_items(
        &self,
        mut writes: Vec<ItemWrite<'_>>,
    ) -> Result<Vec<WriteOutcome>, DynamoError> {
        let mut order: Vec<usize> = (0..writes.len()).collect();
        order.sort_by(|&a, &b| writes[a].key.cmp(&writes[b].key));
        for _ in 0..MAX_ATTEMPTS {
            match self.try_write_items(&mut writes, &order) {
                Err(WriteError::Storage(StorageError::Conflict)) => continue,
                Err(WriteError::Storage(e)) => return Err(storage_error(e)),
                Err(WriteError::Rejected(e)) => return Err(e),
                Ok(outcomes) => return Ok(outcomes),
            }
        }
        Err(DynamoError::internal(
            "the item is too contended; retry the request",
        ))
    }

    fn try_write_items(
        &self,
        writes: &mut [ItemWrite<'_>],
        order: &[usize],
    ) -> Result<Vec<WriteOutcome>, WriteError> {
        let mut txn = self.engine().begin();
        let mut outcomes: Vec<WriteOutcome> =
            (0..writes.len()).map(|_| WriteOutcome::default()).collect();
        for &i in order {
            let write = &mut writes[i];
            let current = txn.get_for_update(&write.key)?;
            let (old, old_size) = match &current {
                Some(bytes) => (Some(stored_item::decode(bytes)?), stored_item::size(bytes)?),
                None => (None, 0),
            };
            let mutation = (write.decide)(old.as_ref())?;
            let outcome = &mut outcomes[i];
            match mutation {
                Mutation::Put(item) => {
                    let (bytes, size) = stored_item::encode(&item)?;
                    txn.put(&write.key, &bytes)?;
                    apply_derived(&mut *txn, &write.table, old.is_some(), old_size, true, size)?;
                    outcome.new = Some(item);
                    outcome.new_size = size;
                }
                Mutation::Delete => {
                    if old.is_some() {
                        txn.delete(&write.key)?;
                        apply_derived(&mut *txn, &write.table, true, old_size, false, 0)?;
                    }
                }
                Mutation::Keep => {
                    outcome.new_size = old_size;
                }
            }
            outcome.old = old;
            outcome.old_size = old_size;
        }
        txn.commit()?;
        Ok(outcomes)
    }
}

/// Everything derived from an item change that must commit with it.
fn apply_derived(
    txn: &mut dyn Transaction,
    table: &TableMeta,
    existed: bool,
    old_size: usize,
    exists: bool,
    new_size: usize,
) -> Result<(), StorageError> {
    let count_delta = i64::from(exists) - i64::from(existed);
    let size_delta = new_size as i64 - old_size as i64;
    if count_delta != 0 || size_delta != 0 {
        txn.add_counters(&keys::table_counters(table.id), &[count_delta, size_delta])?;
    }
    Ok(())
}

enum WriteError {
    Storage(StorageError),
    Rejected(DynamoError),
}

impl From<StorageError> for WriteError {
    fn from(e: StorageError) -> Self {
        WriteError::Storage(e)
    }
}

impl From<DynamoError> for WriteError {
    fn from(e: DynamoError) -> Self {
        WriteError::Rejected(e)
    }
}
