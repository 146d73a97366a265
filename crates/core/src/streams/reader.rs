//! Reading a stream's records in order from a position: shared by
//! GetRecords and the triggers.

use crate::streams::{record, StreamMeta};
use crate::{keys, storage_error, Database};
use dynalith_model::DynamoError;
use dynalith_storage::ControlFlow;

/// Records read from one position.
pub struct Page {
    /// The records' wire JSON, comma-separated (the inside of an array).
    pub json: Vec<u8>,
    pub count: usize,
    /// Where the next read starts.
    pub next: u64,
    /// A closed shard (its stream disabled) was read to its end.
    pub exhausted: bool,
}

/// How a page is rendered and bounded.
pub struct PageLimits<'a> {
    pub records: usize,
    /// Stored bytes; the first record is returned whatever its size.
    pub bytes: usize,
    /// Lambda's events name the stream each record came from.
    pub event_source_arn: Option<&'a str>,
}

impl Database {
    /// The committed records of `stream` from sequence `from` on. Only
    /// records below the sequencer's readable end are read, so no record
    /// can appear later behind this page.
    pub fn read_stream(
        &self,
        stream: &StreamMeta,
        from: u64,
        limits: &PageLimits<'_>,
    ) -> Result<Page, DynamoError> {
        let readable_end = self.streams().sequencer().readable_end();
        let start = keys::stream_record(stream.id, from);
        let end = keys::stream_record(stream.id, readable_end.max(from));
        let mut page = Page {
            json: Vec::with_capacity(1024),
            count: 0,
            next: from,
            exhausted: false,
        };
        let mut bytes = 0usize;
        let mut stopped_early = false;
        let mut failure = None;
        self.engine()
            .snapshot()
            .visit_range(&start, &end, false, &mut |key, value| {
                if page.count == limits.records
                    || (page.count > 0 && bytes + value.len() > limits.bytes)
                {
                    stopped_early = true;
                    return ControlFlow::Break(());
                }
                let Some(sequence) = keys::sequence_of_stream_record(key) else {
                    failure = Some(DynamoError::internal("corrupt stream record key"));
                    return ControlFlow::Break(());
                };
                if page.count > 0 {
                    page.json.push(b',');
                }
                let rendered = record::render(
                    &mut page.json,
                    stream,
                    sequence,
                    value,
                    limits.event_source_arn,
                );
                if let Err(e) = rendered {
                    failure = Some(e);
                    return ControlFlow::Break(());
                }
                page.count += 1;
                bytes += value.len();
                page.next = sequence + 1;
                ControlFlow::Continue(())
            })
            .map_err(storage_error)?;
        if let Some(e) = failure {
            return Err(e);
        }
        // Every record of a disabled stream is below the readable end: the
        // switch waited for the writes in flight (`publish_exclusively`).
        page.exhausted = !stream.is_enabled() && !stopped_early;
        Ok(page)
    }
}
