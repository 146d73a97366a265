//! The storage key ranges that Query and Scan read.
//!
//! A Query reads one range inside its partition (`02 | id | hash | enc(pk)`),
//! bounded by the sort-key condition; a Scan reads the whole table or, for a
//! parallel scan, one even slice of the 64-bit hash space. Key encodings are
//! order-preserving and self-delimiting (`dynalith_codec`), so every bound
//! below is an exact byte comparison.

use crate::keys::{self, encode_key_value, key_after, prefix_end};
use dynalith_expr::SortKeyCondition;
use dynalith_model::{AttributeValue, DynamoError};

/// Keys `k` with `start <= k < end`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRange {
    pub start: Vec<u8>,
    pub end: Vec<u8>,
}

impl KeyRange {
    /// Narrows the range to the keys strictly after `key` in the read
    /// direction (ExclusiveStartKey): forward reads start at `key ++ 0x00`,
    /// the smallest key greater than `key`; reverse reads end (exclusively)
    /// at `key`.
    pub fn resume_after(&mut self, key: &[u8], reverse: bool) {
        if reverse {
            if key < self.end.as_slice() {
                self.end = key.to_vec();
            }
        } else {
            let next = key_after(key);
            if next > self.start {
                self.start = next;
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    pub fn contains(&self, key: &[u8]) -> bool {
        self.start.as_slice() <= key && key < self.end.as_slice()
    }
}

/// The keys of one partition (of a key with `partition` values) whose
/// leading sort values equal `sort_prefix` and whose next sort value
/// satisfies `sort`. Sort values are encoded one after the other, so the
/// keys with a given leading tuple are one prefix range, and within it the
/// next value orders the keys as a lone sort key does.
pub fn query_range(
    table_id: u32,
    partition: &[&AttributeValue],
    sort_prefix: &[&AttributeValue],
    sort: Option<&SortKeyCondition<'_>>,
) -> Result<KeyRange, DynamoError> {
    let mut prefix = keys::partition_prefix_of(table_id, partition)?;
    for value in sort_prefix {
        encode_key_value(&mut prefix, value)?;
    }
    // The prefix starts with the item tag 0x02, so it always has an end.
    let prefix_end_key = prefix_end(&prefix)
        .ok_or_else(|| DynamoError::internal("partition prefix without an end"))?;
    let with = |value: &AttributeValue| -> Result<Vec<u8>, DynamoError> {
        let mut key = prefix.clone();
        encode_key_value(&mut key, value)?;
        Ok(key)
    };
    // Index entries continue after the sort key with the table's key (and
    // a multi-attribute sort key with its next values), so the keys "at" a
    // sort-key value are every key with that prefix.
    let after = |value: &AttributeValue| -> Result<Vec<u8>, DynamoError> {
        prefix_end(&with(value)?).ok_or_else(|| DynamoError::internal("sort key without an end"))
    };
    let (start, end) = match sort {
        None => (prefix.clone(), prefix_end_key),
        Some(SortKeyCondition::Eq(v)) => (with(v)?, after(v)?),
        Some(SortKeyCondition::Lt(v)) => (prefix.clone(), with(v)?),
        Some(SortKeyCondition::Le(v)) => (prefix.clone(), after(v)?),
        Some(SortKeyCondition::Gt(v)) => (after(v)?, prefix_end_key),
        Some(SortKeyCondition::Ge(v)) => (with(v)?, prefix_end_key),
        Some(SortKeyCondition::Between(low, high)) => (with(low)?, after(high)?),
        Some(SortKeyCondition::BeginsWith(value)) => {
            let mut start = prefix.clone();
            start.extend_from_slice(&unterminated_encoding(value)?);
            let end = prefix_end(&start).unwrap_or(prefix_end_key);
            (start, end)
        }
    };
    Ok(KeyRange { start, end })
}

/// The escaped bytes of a string or binary without the terminator. The
/// escaping is byte by byte and an escape (0x00 0xFF) never ends in the
/// terminator's first byte alone, so this is a byte-prefix of the encoding
/// of exactly the values that start with `value`.
fn unterminated_encoding(value: &AttributeValue) -> Result<Vec<u8>, DynamoError> {
    let mut encoded = Vec::new();
    match value {
        AttributeValue::S(s) => dynalith_codec::encode_string(&mut encoded, s),
        AttributeValue::B(b) => dynalith_codec::encode_binary(&mut encoded, b),
        other => {
            return Err(DynamoError::internal(format!(
                "begins_with on a {} key reached the key encoder",
                other.value_type()
            )))
        }
    }
    // Drop the 0x00 0x01 terminator.
    encoded.truncate(encoded.len().saturating_sub(2));
    Ok(encoded)
}

/// The first hash of segment `segment` of `total`: segments split the
/// 64-bit hash space into `total` even slices.
fn segment_start_hash(segment: u32, total: u32) -> u128 {
    (u128::from(segment) << 64) / u128::from(total.max(1))
}

/// The keys of a table, or of one parallel-scan segment of it.
pub fn scan_range(table_id: u32, segment: Option<(u32, u32)>) -> KeyRange {
    let (table_start, table_end) = keys::table_items_range(table_id);
    let Some((segment, total)) = segment else {
        return KeyRange {
            start: table_start,
            end: table_end,
        };
    };
    let start = match segment_start_hash(segment, total) {
        0 => table_start,
        hash => keys::hash_range_start(table_id, hash as u64),
    };
    let end = match segment + 1 {
        next if next >= total => table_end,
        next => keys::hash_range_start(table_id, segment_start_hash(next, total) as u64),
    };
    KeyRange { start, end }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynalith_model::Number;

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn key(pk: &str, sk: &AttributeValue) -> Vec<u8> {
        keys::item_key(9, &s(pk), Some(sk)).unwrap()
    }

    #[test]
    fn begins_with_selects_exactly_the_prefixed_strings() {
        let prefix = s("ab\u{0}");
        let range = query_range(
            9,
            &[&s("p")],
            &[],
            Some(&SortKeyCondition::BeginsWith(&prefix)),
        )
        .unwrap();
        for (value, inside) in [
            ("ab\u{0}", true),
            ("ab\u{0}\u{0}", true),
            ("ab\u{0}z", true),
            ("ab", false),
            ("ab\u{1}", false),
            ("aa\u{ff}", false),
            ("ac", false),
        ] {
            assert_eq!(range.contains(&key("p", &s(value))), inside, "{value:?}");
        }
        // Another partition never falls inside.
        assert!(!range.contains(&key("q", &s("ab\u{0}"))));
    }

    #[test]
    fn numeric_bounds_follow_numeric_order() {
        let n = |v: i64| AttributeValue::N(Number::from_i64(v));
        let (low, high) = (n(-5), n(10));
        let between = query_range(
            9,
            &[&s("p")],
            &[],
            Some(&SortKeyCondition::Between(&low, &high)),
        )
        .unwrap();
        let gt = query_range(9, &[&s("p")], &[], Some(&SortKeyCondition::Gt(&low))).unwrap();
        for v in [-100, -6, -5, -1, 0, 9, 10, 11, 1000] {
            let k = key("p", &n(v));
            assert_eq!(between.contains(&k), (-5..=10).contains(&v), "between {v}");
            assert_eq!(gt.contains(&k), v > -5, "gt {v}");
        }
    }

    #[test]
    fn index_entries_at_a_bound_are_inside_it() {
        // An index entry key: index keys, then the table's key.
        let entry = |isk: &AttributeValue, table_pk: &str| {
            keys::index_entry_key(9, &[&s("p")], &[isk], &[&s(table_pk)]).unwrap()
        };
        let n = |v: i64| AttributeValue::N(Number::from_i64(v));
        let (low, high) = (n(1), n(3));
        let eq = query_range(9, &[&s("p")], &[], Some(&SortKeyCondition::Eq(&low))).unwrap();
        let le = query_range(9, &[&s("p")], &[], Some(&SortKeyCondition::Le(&low))).unwrap();
        let gt = query_range(9, &[&s("p")], &[], Some(&SortKeyCondition::Gt(&low))).unwrap();
        let between = query_range(
            9,
            &[&s("p")],
            &[],
            Some(&SortKeyCondition::Between(&low, &high)),
        )
        .unwrap();
        for table_pk in ["", "\u{0}", "a", "\u{ff}zz"] {
            for v in 0..5 {
                let k = entry(&n(v), table_pk);
                assert_eq!(eq.contains(&k), v == 1, "eq {v} {table_pk:?}");
                assert_eq!(le.contains(&k), v <= 1, "le {v} {table_pk:?}");
                assert_eq!(gt.contains(&k), v > 1, "gt {v} {table_pk:?}");
                assert_eq!(between.contains(&k), (1..=3).contains(&v), "between {v}");
            }
        }
    }

    /// A sort value from a small alphabet, so that values often tie or
    /// share prefixes.
    fn small_string() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop::collection::vec(prop::sample::select(vec!['\u{0}', 'a', 'b']), 0..3)
            .prop_map(|cs| cs.into_iter().collect())
    }

    proptest::proptest! {
        /// On a (partition₁, partition₂) / (S, N, S) key, the range of
        /// "sort₁ = a AND sort₂ <op> b" holds exactly the index entries of
        /// that partition whose first sort value is `a` and whose second
        /// satisfies the condition, whatever follows them.
        #[test]
        fn multi_attribute_ranges_hold_exactly_the_matching_entries(
            first in small_string(),
            bound in -3i64..3,
            high in -3i64..3,
            op in 0usize..6,
            entries in proptest::collection::vec(
                (small_string(), -4i64..4, small_string(), small_string(), proptest::bool::ANY),
                1..30,
            ),
        ) {
            let n = |v: i64| AttributeValue::N(Number::from_i64(v));
            let (wanted, bound, high) = (s(&first), n(bound), n(high));
            let condition = match op {
                0 => SortKeyCondition::Eq(&bound),
                1 => SortKeyCondition::Lt(&bound),
                2 => SortKeyCondition::Le(&bound),
                3 => SortKeyCondition::Gt(&bound),
                4 => SortKeyCondition::Ge(&bound),
                _ => SortKeyCondition::Between(&bound, &high),
            };
            let partition = [&s("p"), &n(1)];
            let range = query_range(9, &partition, &[&wanted], Some(&condition)).unwrap();
            for (sort1, sort2, sort3, table_pk, same_partition) in entries {
                let other = n(2);
                let entry_partition = if same_partition { partition } else { [&s("p"), &other] };
                let (v1, v2, v3) = (s(&sort1), n(sort2), s(&sort3));
                let key = keys::index_entry_key(
                    9,
                    &entry_partition,
                    &[&v1, &v2, &v3],
                    &[&s(&table_pk)],
                )
                .unwrap();
                let expected = same_partition && sort1 == first && condition.matches(&v2);
                proptest::prop_assert_eq!(range.contains(&key), expected);
            }
        }
    }

    #[test]
    fn segments_partition_the_table() {
        let total = 7;
        let whole = scan_range(4, None);
        let ranges: Vec<KeyRange> = (0..total)
            .map(|s| scan_range(4, Some((s, total))))
            .collect();
        assert_eq!(ranges[0].start, whole.start);
        assert_eq!(ranges[total as usize - 1].end, whole.end);
        for pair in ranges.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        for i in 0..500 {
            let k = keys::item_key(4, &s(&format!("k{i}")), None).unwrap();
            assert_eq!(ranges.iter().filter(|r| r.contains(&k)).count(), 1);
        }
    }

    #[test]
    fn resuming_skips_exactly_the_start_key() {
        let mut range = scan_range(4, None);
        let k = keys::item_key(4, &s("x"), None).unwrap();
        range.resume_after(&k, false);
        assert!(!range.contains(&k));
        let mut reverse = scan_range(4, None);
        reverse.resume_after(&k, true);
        assert!(!reverse.contains(&k));
        assert!(reverse.end == k);
    }
}
