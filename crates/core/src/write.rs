//! The single read-modify-write path. Every write of an item — PutItem,
//! DeleteItem, UpdateItem, and later batch writes, transactions, PartiQL and
//! TTL deletes — goes through [`Database::write_items`]: lock each item's
//! key in key order, read the current item, let the operation decide what to
//! write from it, and commit the item together with everything derived from
//! it (table counters, index entries, item-collection sizes, the stream
//! record and the point-in-time recovery history) in one storage
//! transaction.
//!
//! Each attempt holds the database's write gate (shared) and takes the
//! table's index list from the catalog under it. Index creation and
//! deletion publish their catalog change under the exclusive gate, so a
//! write either commits before the change or sees it: no write can miss an
//! index being backfilled.

use crate::catalog::{IndexStatus, TableMeta};
use crate::counters::{CounterDeltas, CounterPlace};
use crate::index::{self, IndexUnits};
use crate::throughput::Partition;
use crate::vectors::capacity::billed_size;
use crate::{keys, storage_error, stored_item, Database};
use dynalith_model::{AttributeValue, DynamoError, ErrorKind, Item};
use dynalith_storage::{StorageError, Transaction};
use std::sync::Arc;

/// What an operation decided to do with an item.
pub enum Mutation {
    Put(Item),
    Delete,
    /// Delete on behalf of Time to Live: its stream record names the TTL
    /// service as the one who deleted it.
    Expire,
    /// Leave the item as it is (a failed condition, or a no-op).
    Keep,
}

/// Decides what to write from the current item (None when absent).
pub type Decide<'a> = Box<dyn FnMut(Option<&Item>) -> Result<Mutation, DynamoError> + 'a>;

/// Runs before a multi-item write commits (see `write_items_then`).
pub type BeforeCommit<'a> =
    dyn FnMut(&mut dyn Transaction, &[WriteOutcome]) -> Result<(), BeforeCommitError> + 'a;

/// Why `before_commit` stopped a write.
#[derive(Debug)]
pub enum BeforeCommitError {
    /// A storage conflict: the whole write is retried.
    Storage(StorageError),
    /// The write is refused with this error.
    Refused(DynamoError),
}

impl From<StorageError> for BeforeCommitError {
    fn from(e: StorageError) -> Self {
        BeforeCommitError::Storage(e)
    }
}

impl From<DynamoError> for BeforeCommitError {
    fn from(e: DynamoError) -> Self {
        BeforeCommitError::Refused(e)
    }
}

impl From<BeforeCommitError> for WriteError {
    fn from(e: BeforeCommitError) -> Self {
        match e {
            BeforeCommitError::Storage(e) => WriteError::Storage(e),
            BeforeCommitError::Refused(e) => WriteError::Rejected(e),
        }
    }
}

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
    /// The larger of the old and new item's sizes as a write bills them
    /// (`vectors::capacity::billed_size`).
    pub billed_size: usize,
    /// Write units charged to each index the write touched.
    pub index_units: Vec<IndexUnits>,
    /// VectorWriteRequestBytes of each vector index whose entry changed.
    pub vector_bytes: Vec<(String, usize)>,
    /// On tables with local indexes: the item's partition-key value and its
    /// item collection's size after the write.
    pub collection: Option<(Item, i64)>,
}

impl WriteOutcome {
    /// The units charged to the table itself: the larger of the old and
    /// new item (a failed condition still costs the item's size).
    pub fn table_units(&self) -> f64 {
        crate::capacity::write_units(self.billed_size)
    }

    /// The capacity the write consumed on the table and its indexes.
    pub fn consumed(&self) -> crate::capacity::Consumed {
        let mut consumed = crate::capacity::Consumed::write(self.table_units())
            .with_indexes(&self.index_units, false);
        consumed.vector_bytes = self.vector_bytes.clone();
        consumed
    }

    /// ItemCollectionMetrics, on tables with local indexes.
    pub fn item_collection_metrics(&self) -> Option<serde_json::Value> {
        let (key, size) = self.collection.as_ref()?;
        // DynamoDB gives a range around the estimate, in whole gigabytes.
        let low = (*size as f64 / (1u64 << 30) as f64).floor();
        Some(serde_json::json!({
            "ItemCollectionKey": key,
            "SizeEstimateRangeGB": [low, low + 1.0],
        }))
    }
}

/// The error of a write that kept losing lock races (see `is_contention`).
const CONTENDED: &str = "the item is too contended; retry the request";

/// Whether a write failed only because its items stayed locked by others.
pub fn is_contention(error: &DynamoError) -> bool {
    error.kind == ErrorKind::InternalServerError && error.message == CONTENDED
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

    /// A client's single-item write (PutItem, UpdateItem, DeleteItem):
    /// admitted against its table's throughput, then charged what it
    /// consumed, or a unit when its condition refused it (`throughput`).
    /// Writes of the server's own (TTL deletions, imports) cost nothing.
    pub fn write_client_item(&self, write: ItemWrite<'_>) -> Result<WriteOutcome, DynamoError> {
        let table = Arc::clone(&write.table);
        let partition = Partition::of_key(&write.key);
        self.throughput().admit_write(&table, partition)?;
        match self.write_item(write) {
            Ok(outcome) => {
                self.throughput()
                    .charge_write(&table, &outcome.consumed(), partition);
                Ok(outcome)
            }
            Err(error) => {
                self.throughput()
                    .charge_failed_write(&table, &error, partition);
                Err(error)
            }
        }
    }

    /// Writes several items atomically. Outcomes come back in request
    /// order. Keys are locked in ascending order, so concurrent callers
    /// cannot deadlock.
    pub fn write_items(
        &self,
        writes: Vec<ItemWrite<'_>>,
    ) -> Result<Vec<WriteOutcome>, DynamoError> {
        self.write_items_then(writes, &mut |_, _| Ok(()))
    }

    /// Like `write_items`, with `before_commit` run after every item was
    /// decided and before the commit, with the locks held: it may add
    /// writes of its own, or refuse the whole write (a transaction whose
    /// conditions failed), which then rolls back.
    pub fn write_items_then(
        &self,
        mut writes: Vec<ItemWrite<'_>>,
        before_commit: &mut BeforeCommit<'_>,
    ) -> Result<Vec<WriteOutcome>, DynamoError> {
        let mut order: Vec<usize> = (0..writes.len()).collect();
        order.sort_by(|&a, &b| writes[a].key.cmp(&writes[b].key));
        for _ in 0..MAX_ATTEMPTS {
            match self.try_write_items(&mut writes, &order, before_commit) {
                Err(WriteError::Storage(StorageError::Conflict)) => continue,
                Err(WriteError::Storage(e)) => return Err(storage_error(e)),
                Err(WriteError::Rejected(e)) => return Err(e),
                Ok(outcomes) => return Ok(outcomes),
            }
        }
        Err(DynamoError::internal(CONTENDED))
    }

    fn try_write_items(
        &self,
        writes: &mut [ItemWrite<'_>],
        order: &[usize],
        before_commit: &mut BeforeCommit<'_>,
    ) -> Result<Vec<WriteOutcome>, WriteError> {
        let _gate = self.write_gate.read();
        let mut txn = self.engine().begin();
        let mut outcomes: Vec<WriteOutcome> =
            (0..writes.len()).map(|_| WriteOutcome::default()).collect();
        let mut pending = PendingCounters::default();
        // Keys (less their sequence numbers) and values of stream records
        // and history records.
        let mut sequenced: Vec<(SequencedKey, Vec<u8>)> = Vec::new();
        // Which writes change their item, for the read cache when it is on.
        let track_changes = self.read_cache().enabled();
        let mut changed: Vec<usize> = Vec::new();
        // One counter shard for the whole transaction: the counters only
        // ever need their sum, and a batch of 25 items merging into one
        // shard per table is one storage write (and one lock) where a shard
        // per item was up to 25. Concurrent transactions still spread over
        // the shards, by their first item.
        let counter_shard = order
            .first()
            .map_or(0, |&i| keys::counter_shard_of_item_key(&writes[i].key));
        for &i in order {
            let write = &mut writes[i];
            let table = self.current_table(&write.table)?;
            let current = txn.get_for_update(&write.key)?;
            let (old, old_size) = match &current {
                Some(bytes) => (Some(stored_item::decode(bytes)?), stored_item::size(bytes)?),
                None => (None, 0),
            };
            let mutation = (write.decide)(old.as_ref())?;
            let expired = matches!(mutation, Mutation::Expire);
            let outcome = &mut outcomes[i];
            let (new, new_stored, new_size) = match mutation {
                Mutation::Put(item) => {
                    index::check_item(&table, &item, index::Origin::Given)?;
                    let (bytes, size) = stored_item::encode(&item)?;
                    txn.put(&write.key, &bytes)?;
                    (Some(item), bytes, size)
                }
                Mutation::Delete | Mutation::Expire if old.is_some() => {
                    txn.delete(&write.key)?;
                    (None, Vec::new(), 0)
                }
                // Deleting an item that is not there changes nothing: no
                // index entry, counter or item collection (DynamoDB reports
                // no ItemCollectionMetrics for it either).
                Mutation::Delete | Mutation::Expire | Mutation::Keep => {
                    outcome.billed_size = billed_size(&table, old.as_ref(), old_size);
                    outcome.new_size = old_size;
                    outcome.old = old;
                    outcome.old_size = old_size;
                    continue;
                }
            };
            if track_changes {
                changed.push(i);
            }
            let change = ItemChange {
                old: old.as_ref().zip(current.as_deref()),
                old_size,
                new: new.as_ref().map(|item| (item, new_stored.as_slice())),
                new_size,
                counter_shard,
            };
            let derived = self.apply_derived(&mut *txn, &table, &change, &mut pending, i)?;
            push_stream_records(&table, &change, expired, &mut sequenced)?;
            if table.point_in_time_recovery.is_some() {
                let record = crate::point_in_time::history_record(&write.key, change.new);
                sequenced.push((SequencedKey::History(table.id), record));
            }
            outcome.index_units = derived.index_units;
            outcome.billed_size = billed_size(&table, old.as_ref(), old_size).max(billed_size(
                &table,
                new.as_ref(),
                new_size,
            ));
            outcome.vector_bytes =
                crate::vectors::capacity::write_bytes(&table, old.as_ref(), new.as_ref());
            outcome.new = new;
            outcome.new_size = new_size;
            outcome.old = old;
            outcome.old_size = old_size;
        }
        self.apply_counters(&mut *txn, pending, &mut outcomes)?;
        before_commit(&mut *txn, &outcomes)?;
        // Sequence numbers are taken last, with every row lock held, and
        // readers stay below them until the commit is done (`sequencer`).
        let reservation = (!sequenced.is_empty())
            .then(|| self.streams().sequencer().reserve(sequenced.len() as u64));
        if let Some(reservation) = &reservation {
            for ((key, record), sequence) in sequenced.iter().zip(reservation.first()..) {
                let key = match *key {
                    SequencedKey::Stream(stream) => keys::stream_record(stream, sequence),
                    SequencedKey::History(table) => keys::history_record(table, sequence),
                };
                txn.put(&key, record)?;
            }
        }
        // The read cache learns of the changed items and tables before they
        // change and again after (`read_cache`).
        let in_flight = track_changes.then(|| {
            let mut table_ids: Vec<u32> = changed.iter().map(|&i| writes[i].table.id).collect();
            table_ids.sort_unstable();
            table_ids.dedup();
            let item_keys = changed.iter().map(|&i| writes[i].key.as_slice()).collect();
            self.read_cache().begin_write(item_keys, table_ids)
        });
        txn.commit()?;
        drop(in_flight);
        drop(reservation);
        Ok(outcomes)
    }

    /// The table as the catalog has it now (its index list may have
    /// changed since the operation looked it up).
    fn current_table(&self, table: &Arc<TableMeta>) -> Result<Arc<TableMeta>, DynamoError> {
        match self.catalog().get(&table.name) {
            Some(current) if current.id == table.id => Ok(current),
            _ => Err(DynamoError::resource_not_found()),
        }
    }

    /// Everything derived from an item change that commits with it: index
    /// entries now, and (in `pending`) the changes to the table's and the
    /// indexes' counters and to the item's collection size.
    fn apply_derived(
        &self,
        txn: &mut dyn Transaction,
        table: &TableMeta,
        change: &ItemChange<'_>,
        pending: &mut PendingCounters,
        outcome: usize,
    ) -> Result<Derived, WriteError> {
        let count_delta = i64::from(change.new.is_some()) - i64::from(change.old.is_some());
        let size_delta = change.new_size as i64 - change.old_size as i64;
        // TableSizeBytes counts items at the size a write bills them.
        let billed = |item: Option<(&Item, &[u8])>, size| {
            billed_size(table, item.map(|(item, _)| item), size) as i64
        };
        pending.counters.add(
            CounterPlace::of_table(table, change.counter_shard),
            count_delta,
            billed(change.new, change.new_size) - billed(change.old, change.old_size),
        );
        let mut derived = Derived::default();
        let mut collection_delta = size_delta;
        for index in &table.indexes {
            let mut before = match change.old {
                Some((item, stored)) => index::entry(table, index, item, stored)?,
                None => None,
            };
            // While an index backfills, an old item may not have its entry
            // yet (the backfill makes it later, under this same row lock).
            if index.status == IndexStatus::Creating {
                if let Some(b) = &before {
                    if txn.get(&b.key)?.is_none() {
                        before = None;
                    }
                }
            }
            let after = match change.new {
                Some((item, stored)) => index::entry(table, index, item, stored)?,
                None => None,
            };
            let units = index::write_units(index.kind, before.as_ref(), after.as_ref());
            if units > 0.0 {
                let written_bytes = after.as_ref().map_or(0, |a| match index.kind {
                    crate::catalog::IndexKind::Local => a.storage_size(),
                    crate::catalog::IndexKind::Global => a.size,
                });
                derived.index_units.push(IndexUnits {
                    name: index.name.clone(),
                    kind: index.kind,
                    units,
                    written_bytes,
                });
            }
            match (&before, &after) {
                (Some(b), Some(a)) if b.key == a.key && b.bytes == a.bytes => continue,
                (Some(b), Some(a)) if b.key == a.key => txn.put(&a.key, &a.bytes)?,
                _ => {
                    if let Some(b) = &before {
                        txn.delete(&b.key)?;
                    }
                    if let Some(a) = &after {
                        txn.put(&a.key, &a.bytes)?;
                    }
                }
            }
            let size = |e: &Option<index::Entry>| e.as_ref().map_or(0, |e| e.size as i64);
            let stored =
                |e: &Option<index::Entry>| e.as_ref().map_or(0, |e| e.storage_size() as i64);
            pending.counters.add(
                CounterPlace::of_index(table, index, change.counter_shard),
                i64::from(after.is_some()) - i64::from(before.is_some()),
                size(&after) - size(&before),
            );
            if index.kind == crate::catalog::IndexKind::Local {
                collection_delta += stored(&after) - stored(&before);
            }
        }
        if table.has_local_indexes() {
            let (item, _) = change
                .new
                .or(change.old)
                .ok_or_else(|| DynamoError::internal("item change without an item"))?;
            let name = &table.key_schema.partition.name;
            let partition: &AttributeValue = item
                .get(name)
                .ok_or_else(|| DynamoError::internal("item without its partition key"))?;
            let mut collection_key = Item::new();
            collection_key.insert(name.clone(), partition.clone());
            let entry = pending
                .collections
                .entry(keys::item_collection(table.id, partition)?)
                .or_insert_with(|| (0, collection_key, Vec::new()));
            entry.0 += collection_delta;
            entry.2.push(outcome);
        }
        Ok(derived)
    }

    /// Applies the counter changes of a write, in key order and after
    /// every item is locked (see `CounterDeltas::apply`). Item collections
    /// may not grow past their limit.
    fn apply_counters(
        &self,
        txn: &mut dyn Transaction,
        pending: PendingCounters,
        outcomes: &mut [WriteOutcome],
    ) -> Result<(), WriteError> {
        pending.counters.apply(txn)?;
        for (key, (delta, collection_key, writes)) in pending.collections {
            if delta != 0 {
                txn.add_counters(&key, &[delta])?;
            }
            let size = txn
                .get(&key)?
                .map(|raw| dynalith_storage::decode_counters(&raw))
                .and_then(|values| values.first().copied())
                .unwrap_or(0);
            if delta > 0 && size > self.limits().item_collection_bytes {
                return Err(DynamoError::new(
                    ErrorKind::ItemCollectionSizeLimitExceeded,
                    "Item collection size limit exceeded",
                )
                .into());
            }
            for i in writes {
                outcomes[i].collection = Some((collection_key.clone(), size));
            }
        }
        Ok(())
    }
}

/// Where a record numbered by the sequencer goes.
enum SequencedKey {
    Stream(u32),
    History(u32),
}

/// The records of an item change, if it changed anything: one for the
/// table's stream, in its view type, and one with both images for each
/// Kinesis destination recording (`kinesis`).
fn push_stream_records(
    table: &TableMeta,
    change: &ItemChange<'_>,
    expired: bool,
    sequenced: &mut Vec<(SequencedKey, Vec<u8>)>,
) -> Result<(), DynamoError> {
    let stream = crate::streams::enabled_stream_id(table).zip(table.stream.as_ref());
    let mut logs = crate::kinesis::recording_logs(table).peekable();
    if stream.is_none() && logs.peek().is_none() {
        return Ok(());
    }
    let (item, _) = change
        .new
        .or(change.old)
        .ok_or_else(|| DynamoError::internal("item change without an item"))?;
    let keys = crate::primary_key::key_attributes(table, item);
    fn image<'a>(
        side: Option<(&Item, &'a [u8])>,
        size: usize,
    ) -> Result<Option<(&'a [u8], usize)>, DynamoError> {
        side.map(|(_, stored)| Ok((stored_item::json(stored)?, size)))
            .transpose()
    }
    // Equal stored forms are equal items; otherwise compare the items,
    // whose sets are equal whatever the order of their members.
    let unchanged = match (change.old, change.new) {
        (Some((old, old_stored)), Some((new, new_stored))) => {
            old_stored == new_stored || old == new
        }
        _ => false,
    };
    let change = crate::streams::record::Change {
        keys: &keys,
        old: image(change.old, change.old_size)?,
        new: image(change.new, change.new_size)?,
        expired,
        unchanged,
    };
    let created = crate::now_epoch_micros();
    if let Some((id, settings)) = stream {
        if let Some(record) = crate::streams::record::encode(&change, &settings.view_type, created)?
        {
            sequenced.push((SequencedKey::Stream(id), record));
        }
    }
    for log in logs {
        if let Some(record) =
            crate::streams::record::encode(&change, "NEW_AND_OLD_IMAGES", created)?
        {
            sequenced.push((SequencedKey::Stream(log), record));
        }
    }
    Ok(())
}

/// Counter changes of one write, applied once every item is locked.
#[derive(Default)]
struct PendingCounters {
    /// The table's and its indexes' item counts and sizes.
    counters: CounterDeltas,
    /// Item collections: size delta, the collection's key attributes, and
    /// the writes (outcome positions) in it.
    collections: std::collections::BTreeMap<Vec<u8>, (i64, Item, Vec<usize>)>,
}

/// One item's change, as the write path applies it: each side's item
/// with its stored form (`stored_item::encode`).
struct ItemChange<'a> {
    old: Option<(&'a Item, &'a [u8])>,
    old_size: usize,
    new: Option<(&'a Item, &'a [u8])>,
    new_size: usize,
    /// Which shard of the counters the change updates.
    counter_shard: u8,
}

#[derive(Default)]
struct Derived {
    index_units: Vec<IndexUnits>,
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
