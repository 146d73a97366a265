//! Reading one page of a Query or Scan from a storage snapshot.
//!
//! The page streams the key range in order and stops as DynamoDB does:
//! after `Limit` items have been evaluated (whether or not the filter kept
//! them), or once 1 MB of item data has been read and another item follows.
//! The item that crosses the 1 MB mark is still returned, as DynamoDB does.
//! Items are decoded only when a filter or projection needs them; otherwise
//! the stored wire JSON is copied into the response as is.

use crate::catalog::TableMeta;
use crate::key_range::KeyRange;
use crate::{keys, storage_error, stored_item, Database};
use dynalith_model::{AttributeValue, DynamoError, Item};

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

/// One page to read.
pub struct PageSpec<'a> {
    pub range: KeyRange,
    pub reverse: bool,
    pub limit: Option<usize>,
    pub filter: Option<ItemFilter<'a>>,
    pub output: Output<'a>,
}

/// What one page read.
#[derive(Debug, Default)]
pub struct Page {
    /// The returned items' JSON, comma-separated (the inside of `[...]`).
    pub items_json: Vec<u8>,
    /// Items the filter kept.
    pub count: usize,
    /// Items read.
    pub scanned_count: usize,
    /// Sum of the DynamoDB sizes of the items read, for capacity.
    pub bytes_read: usize,
    /// The storage key of the last item read, when the page stopped early.
    pub last_evaluated_key: Option<Vec<u8>>,
}

impl Database {
    /// Reads one page from a fresh snapshot. Never holds more than the page
    /// in memory.
    pub fn read_page(&self, spec: &PageSpec<'_>) -> Result<Page, DynamoError> {
        let mut page = Page::default();
        if spec.range.is_empty() || spec.limit == Some(0) {
            return Ok(page);
        }
        let snapshot = self.engine().snapshot();
        let mut entries = snapshot.scan(&spec.range.start, &spec.range.end, spec.reverse);
        let mut last_key: Option<Box<[u8]>> = None;
        let mut stopped_early = false;
        loop {
            if spec.limit.is_some_and(|limit| page.scanned_count >= limit) {
                stopped_early = true;
                break;
            }
            let Some(entry) = entries.next() else {
                break;
            };
            // Only now, knowing that another item follows, does the 1 MB
            // cap end the page with a LastEvaluatedKey.
            if page.bytes_read >= MAX_PAGE_BYTES {
                stopped_early = true;
                break;
            }
            let (key, value) = entry.map_err(storage_error)?;
            page.bytes_read += stored_item::size(&value)?;
            page.scanned_count += 1;
            emit(spec, &value, &mut page)?;
            last_key = Some(key);
        }
        if stopped_early {
            page.last_evaluated_key = last_key.map(Vec::from);
        }
        Ok(page)
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

/// The key attributes of an item, decoded from its storage key (for
/// LastEvaluatedKey: no need to parse the item).
pub fn key_attributes_of_storage_key(table: &TableMeta, key: &[u8]) -> Result<Item, DynamoError> {
    let corrupt = || DynamoError::internal("corrupt item key");
    let mut rest = keys::encoded_key_values(key).ok_or_else(corrupt)?;
    let mut out = Item::new();
    for attribute in table.key_schema.attributes() {
        let value = match attribute.scalar_type {
            crate::catalog::ScalarType::S => {
                AttributeValue::S(dynalith_codec::decode_string(&mut rest).map_err(|_| corrupt())?)
            }
            crate::catalog::ScalarType::N => {
                AttributeValue::N(dynalith_codec::decode_number(&mut rest).map_err(|_| corrupt())?)
            }
            crate::catalog::ScalarType::B => {
                AttributeValue::B(dynalith_codec::decode_binary(&mut rest).map_err(|_| corrupt())?)
            }
        };
        out.insert(attribute.name.clone(), value);
    }
    Ok(out)
}
