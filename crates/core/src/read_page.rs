//! Reading one page of a Query or Scan from storage.
//!
//! The page streams the key range in order and stops as DynamoDB does:
//! after `Limit` items have been evaluated (whether or not the filter kept
//! them), or once 1 MB of item data has been read and another item follows.
//! The item that crosses the 1 MB mark is still returned, as DynamoDB does.
//! Items are decoded only when a filter or projection needs them; otherwise
//! the stored wire JSON is copied into the response as is.

use crate::catalog::{IndexMeta, KeyAttribute, ScalarType, TableMeta};
use crate::key_range::KeyRange;
use crate::{keys, storage_error, stored_item, Database};
use dynalith_model::{AttributeValue, DynamoError, Item};
use dynalith_storage::{ControlFlow, ReadView};

/// DynamoDB reads at most this much item data per Query or Scan page.
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// Keeps or drops an item read (FilterExpression, QueryFilter, ScanFilter).
pub type ItemFilter<'a> = Box<dyn Fn(&Item) -> Result<bool, DynamoError> + 'a>;
/// Builds the returned part of an item (ProjectionExpression, AttributesToGet).
pub type ItemProjection<'a> = Box<dyn Fn(&Item) -> Result<Item, DynamoError> + 'a>;

/// What the page returns for each item the filter keeps.
pub enum Output<'a> {
    /// Select COUNT: nothing but the count.
    Count,
    /// Every attribute: the stored JSON, copied.
    All,
    Project(ItemProjection<'a>),
}

/// Reading a local index whose entries lack attributes the request needs:
/// each item is read from the table instead.
pub struct FetchFromTable {
    pub table: std::sync::Arc<TableMeta>,
    pub index: IndexMeta,
}

impl FetchFromTable {
    /// The table's storage key of the item an index entry stands for.
    fn item_key(&self, entry_key: &[u8]) -> Result<Vec<u8>, DynamoError> {
        let (_, table_keys) = decode_key_attributes(self.index.key_schema.attributes(), entry_key)?;
        let mut rest = table_keys;
        let partition = decode_key_value(self.table.key_schema.partition.scalar_type, &mut rest)?;
        let sort = match &self.table.key_schema.sort {
            Some(sort) => Some(decode_key_value(sort.scalar_type, &mut rest)?),
            None => None,
        };
        keys::item_key(self.table.id, &partition, sort.as_ref())
    }
}

/// One page to read.
pub struct PageSpec<'a> {
    pub range: KeyRange,
    pub reverse: bool,
    pub limit: Option<usize>,
    pub filter: Option<ItemFilter<'a>>,
    pub output: Output<'a>,
    pub fetch: Option<FetchFromTable>,
}

/// What one page read.
#[derive(Debug, Default)]
pub struct Page {
    /// The returned items' JSON, comma-separated (the inside of `[...]`),
    /// appended to the buffer the caller handed to `read_page`.
    pub items_json: Vec<u8>,
    /// Items the filter kept.
    pub count: usize,
    /// Items read.
    pub scanned_count: usize,
    /// Sum of the DynamoDB sizes of the items (or index entries) read, for
    /// capacity.
    pub bytes_read: usize,
    /// Items read from the table for a local index, each rounded up to a
    /// whole read unit (DynamoDB charges every fetch separately).
    pub fetched_bytes: usize,
    /// The storage key of the last item read, when the page stopped early.
    pub last_evaluated_key: Option<Vec<u8>>,
}

impl Database {
    /// Reads one page from a fresh snapshot. Never holds more than the page
    /// in memory.
    ///
    /// The items' JSON is appended to `items_json`, which a caller may start
    /// with the beginning of its response so that a page of up to 1 MB is
    /// not copied once more into the response.
    pub fn read_page(&self, spec: &PageSpec<'_>, items_json: Vec<u8>) -> Result<Page, DynamoError> {
        let page = Page {
            items_json,
            ..Page::default()
        };
        if spec.range.is_empty() || spec.limit == Some(0) {
            return Ok(page);
        }
        // Only a page that reads items from the table besides the range
        // needs a snapshot; a range alone is one consistent view as it is.
        let snapshot = spec.fetch.as_ref().map(|_| self.engine().snapshot());
        let mut reader = PageReader {
            spec,
            snapshot: snapshot.as_deref(),
            page,
            last_key: None,
            stopped_early: false,
            failure: None,
        };
        let mut next = |key: &[u8], value: &[u8]| reader.next_entry(key, value);
        let (start, end) = (&spec.range.start, &spec.range.end);
        match &snapshot {
            Some(snapshot) => snapshot.visit_range(start, end, spec.reverse, &mut next),
            None => self
                .engine()
                .visit_latest_range(start, end, spec.reverse, &mut next),
        }
        .map_err(storage_error)?;
        if let Some(failure) = reader.failure {
            return Err(failure);
        }
        let mut page = reader.page;
        if reader.stopped_early {
            page.last_evaluated_key = reader.last_key;
        }
        Ok(page)
    }
}

/// One page being read, fed the range's entries in order.
struct PageReader<'r, 'p> {
    spec: &'r PageSpec<'p>,
    /// Where the items of a local index's entries are read (`fetch`).
    snapshot: Option<&'r dyn ReadView>,
    page: Page,
    /// The storage key of the last entry read (its buffer reused).
    last_key: Option<Vec<u8>>,
    /// The page ended before the range did: Limit or the 1 MB cap.
    stopped_early: bool,
    failure: Option<DynamoError>,
}

impl PageReader<'_, '_> {
    /// Reads the range's next entry, or ends the page before or after it.
    fn next_entry(&mut self, key: &[u8], value: &[u8]) -> ControlFlow<()> {
        // Only now, knowing that another item follows, does the 1 MB cap
        // end the page with a LastEvaluatedKey.
        if self.page.bytes_read >= MAX_PAGE_BYTES {
            self.stopped_early = true;
            return ControlFlow::Break(());
        }
        if let Err(failure) = self.read_entry(key, value) {
            self.failure = Some(failure);
            return ControlFlow::Break(());
        }
        // Limit counts items evaluated, and a page that reaches it has a
        // LastEvaluatedKey even if nothing follows, as in DynamoDB.
        if self
            .spec
            .limit
            .is_some_and(|limit| self.page.scanned_count >= limit)
        {
            self.stopped_early = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn read_entry(&mut self, key: &[u8], value: &[u8]) -> Result<(), DynamoError> {
        let page = &mut self.page;
        page.bytes_read += stored_item::size(value)?;
        page.scanned_count += 1;
        match &self.spec.fetch {
            None => emit(self.spec, value, page)?,
            Some(fetch) => {
                let snapshot = self
                    .snapshot
                    .ok_or_else(|| DynamoError::internal("a fetching page without a snapshot"))?;
                let item = snapshot
                    .get(&fetch.item_key(key)?)
                    .map_err(storage_error)?
                    .ok_or_else(|| DynamoError::internal("index entry without its item"))?;
                let size = stored_item::size(&item)?;
                page.fetched_bytes += size.div_ceil(READ_UNIT).max(1) * READ_UNIT;
                emit(self.spec, &item, page)?;
            }
        }
        let last_key = self.last_key.get_or_insert_with(Vec::new);
        last_key.clear();
        last_key.extend_from_slice(key);
        Ok(())
    }
}

/// Filters one stored item and appends what the page returns of it.
fn emit(spec: &PageSpec<'_>, stored: &[u8], page: &mut Page) -> Result<(), DynamoError> {
    let needs_item = spec.filter.is_some() || matches!(spec.output, Output::Project(_));
    let item = if needs_item {
        Some(stored_item::decode(stored)?)
    } else {
        None
    };
    if let (Some(filter), Some(item)) = (&spec.filter, &item) {
        if !filter(item)? {
            return Ok(());
        }
    }
    page.count += 1;
    let separator = |page: &mut Page| {
        if page.count > 1 {
            page.items_json.push(b',');
        }
    };
    match (&spec.output, item) {
        (Output::Count, _) => {}
        (Output::All, _) => {
            separator(page);
            page.items_json
                .extend_from_slice(stored_item::json(stored)?);
        }
        (Output::Project(project), Some(item)) => {
            separator(page);
            let projected = project(&item)?;
            serde_json::to_writer(&mut page.items_json, &projected)
                .map_err(|e| DynamoError::internal(format!("item encoding failed: {e}")))?;
        }
        (Output::Project(_), None) => {
            return Err(DynamoError::internal("projection without a decoded item"))
        }
    }
    Ok(())
}

const READ_UNIT: usize = 4096;

fn decode_key_value(scalar: ScalarType, rest: &mut &[u8]) -> Result<AttributeValue, DynamoError> {
    let corrupt = |_| DynamoError::internal("corrupt item key");
    Ok(match scalar {
        ScalarType::S => AttributeValue::S(dynalith_codec::decode_string(rest).map_err(corrupt)?),
        ScalarType::N => AttributeValue::N(dynalith_codec::decode_number(rest).map_err(corrupt)?),
        ScalarType::B => AttributeValue::B(dynalith_codec::decode_binary(rest).map_err(corrupt)?),
    })
}

/// Key attributes decoded, in order, from an item or index-entry storage
/// key (for LastEvaluatedKey: no need to parse the item), and the bytes
/// after them.
pub fn decode_key_attributes<'a, 'k>(
    attributes: impl Iterator<Item = &'a KeyAttribute>,
    key: &'k [u8],
) -> Result<(Item, &'k [u8]), DynamoError> {
    let mut rest =
        keys::encoded_key_values(key).ok_or_else(|| DynamoError::internal("corrupt item key"))?;
    let mut out = Item::new();
    for attribute in attributes {
        let value = decode_key_value(attribute.scalar_type, &mut rest)?;
        out.insert(attribute.name.clone(), value);
    }
    Ok((out, rest))
}
