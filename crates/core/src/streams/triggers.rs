//! Lambda-style triggers: the core's half. A trigger follows one table's
//! streams (the current one, and any earlier one it has not finished) and
//! hands out batches of records as Lambda's DynamoDB event
//! (`{"Records":[...]}`, each record naming its `eventSourceARN`); the
//! caller delivers a batch and then confirms it, which moves the
//! trigger's cursor past it. A batch that is not confirmed is handed out
//! again, so delivery is at least once and in order, as Lambda's event
//! source mappings deliver; cursors are stored, so a restart resumes where
//! the last confirmed batch ended.

use crate::streams::reader::PageLimits;
use crate::{keys, storage_error, Database};
use dynalith_model::DynamoError;

/// One batch of records for a trigger.
pub struct TriggerBatch {
    /// The Lambda event, as JSON.
    pub event: Vec<u8>,
    pub records: usize,
    stream_id: u32,
    next: u64,
}

/// The most stored record bytes in one batch (Lambda's payload limit is
/// 6 MB).
const MAX_BATCH_BYTES: usize = 5 * 1024 * 1024;

impl Database {
    /// The next records of `table`'s streams that `target` has not
    /// confirmed, at most `max_records`; None when there are none now.
    pub fn next_trigger_batch(
        &self,
        table: &str,
        target: &str,
        max_records: usize,
    ) -> Result<Option<TriggerBatch>, DynamoError> {
        for stream in self.streams().all() {
            if stream.table_name != table {
                continue;
            }
            let cursor = self.trigger_cursor(stream.id, target)?;
            let from = cursor
                .unwrap_or(stream.first_sequence)
                .max(stream.oldest_readable());
            if cursor.is_some_and(|c| c < stream.trimmed_before) {
                tracing::warn!(
                    table,
                    target,
                    "stream records expired before the trigger delivered them"
                );
            }
            let arn = stream.arn();
            let page = self.read_stream(
                &stream,
                from,
                &PageLimits {
                    records: max_records,
                    bytes: MAX_BATCH_BYTES,
                    event_source_arn: Some(&arn),
                },
            )?;
            if page.count > 0 {
                let mut event = Vec::with_capacity(page.json.len() + 16);
                event.extend_from_slice(br#"{"Records":["#);
                event.extend_from_slice(&page.json);
                event.extend_from_slice(b"]}");
                return Ok(Some(TriggerBatch {
                    event,
                    records: page.count,
                    stream_id: stream.id,
                    next: page.next,
                }));
            }
            if !page.exhausted {
                // The open stream has nothing new; later streams of the
                // table cannot exist while it is open.
                return Ok(None);
            }
        }
        Ok(None)
    }

    /// Moves `target`'s cursor past a delivered batch.
    pub fn confirm_trigger_batch(
        &self,
        target: &str,
        batch: &TriggerBatch,
    ) -> Result<(), DynamoError> {
        let mut txn = self.engine().begin();
        txn.put(
            &keys::trigger_cursor(batch.stream_id, target),
            &batch.next.to_be_bytes(),
        )
        .map_err(storage_error)?;
        txn.commit().map_err(storage_error)
    }

    /// Where `target` stopped reading stream (or Kinesis log) `stream_id`.
    pub(crate) fn trigger_cursor(
        &self,
        stream_id: u32,
        target: &str,
    ) -> Result<Option<u64>, DynamoError> {
        let raw = self
            .engine()
            .get(&keys::trigger_cursor(stream_id, target))
            .map_err(storage_error)?;
        raw.map(|raw| {
            raw.as_slice()
                .try_into()
                .map(u64::from_be_bytes)
                .map_err(|_| DynamoError::internal("corrupt trigger cursor"))
        })
        .transpose()
    }
}
