//! A global, bounded cache of parse results keyed by expression kind and
//! text, so a request repeating a known expression skips the parser.
//! Errors are cached too: they depend on nothing but the text.
//!
//! Sharded by hash to keep lock hold times and contention small; each
//! shard is an LRU behind a `parking_lot::Mutex`. Lookups do not allocate:
//! entries are found by hash and compared by text.

use crate::error::ExpressionKind;
use dynalith_model::DynamoError;
use lru::LruCache;
use parking_lot::Mutex;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::{Arc, OnceLock};

const SHARDS: usize = 8;
const ENTRIES_PER_SHARD: usize = 1024;

/// What one parse produced.
#[derive(Clone)]
pub(crate) enum Parsed {
    Condition(Arc<crate::ConditionExpression>),
    Update(Arc<crate::UpdateExpression>),
    Projection(Arc<crate::Projection>),
}

struct Entry {
    kind: ExpressionKind,
    text: Box<str>,
    result: Result<Parsed, DynamoError>,
}

type Shard = Mutex<LruCache<u64, Entry>>;

fn shards() -> &'static [Shard] {
    static SHARDS_CELL: OnceLock<Vec<Shard>> = OnceLock::new();
    SHARDS_CELL.get_or_init(|| {
        let capacity = NonZeroUsize::new(ENTRIES_PER_SHARD).unwrap_or(NonZeroUsize::MIN);
        (0..SHARDS)
            .map(|_| Mutex::new(LruCache::new(capacity)))
            .collect()
    })
}

fn key(kind: ExpressionKind, text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    kind.hash(&mut hasher);
    text.hash(&mut hasher);
    hasher.finish()
}

/// The cached result for `(kind, text)`, or `parse`'s, which is then cached.
pub(crate) fn get_or_parse(
    kind: ExpressionKind,
    text: &str,
    parse: impl FnOnce() -> Result<Parsed, DynamoError>,
) -> Result<Parsed, DynamoError> {
    let hash = key(kind, text);
    let shard = &shards()[hash as usize % SHARDS];
    if let Some(entry) = shard.lock().get(&hash) {
        if entry.kind == kind && &*entry.text == text {
            return entry.result.clone();
        }
    }
    // Parse outside the lock; a racing parse of the same text is harmless.
    let result = parse();
    shard.lock().put(
        hash,
        Entry {
            kind,
            text: text.into(),
            result: result.clone(),
        },
    );
    result
}

/// Empties the cache (for tests and benchmarks).
pub fn clear_cache() {
    for shard in shards() {
        shard.lock().clear();
    }
}
