//! Stream records: the stored form written with each item change, and the
//! wire form GetRecords returns.
//!
//! The stored form is compact JSON that embeds the old and new item's
//! stored wire JSON as it is, so the write path copies the images rather
//! than serializing them again, and only the images the stream's view type
//! asks for are kept. Its sequence number is in its key.

use crate::streams::StreamMeta;
use dynalith_model::{size::item_size, DynamoError, Item};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// One item change, as the write path hands it over.
pub struct Change<'a> {
    /// The item's key attributes.
    pub keys: &'a Item,
    /// Wire JSON and DynamoDB size of the item before and after.
    pub old: Option<(&'a [u8], usize)>,
    pub new: Option<(&'a [u8], usize)>,
    /// Deleted by Time to Live rather than by a request.
    pub expired: bool,
    /// The new item equals the old one (sets compared as sets).
    pub unchanged: bool,
}

/// The stored record of `change` for a stream of `view_type`, made at
/// `created_micros` (since the epoch), or None when nothing changed:
/// DynamoDB writes no record for a write that leaves the item as it was.
pub fn encode(
    change: &Change<'_>,
    view_type: &str,
    created_micros: i64,
) -> Result<Option<Vec<u8>>, DynamoError> {
    // Whole seconds for the Streams API and retention; microseconds for
    // Kinesis destinations, whose records carry them.
    let created = created_micros.div_euclid(1_000_000);
    let event = match (&change.old, &change.new) {
        (None, Some(_)) => "INSERT",
        (Some(_), Some(_)) if change.unchanged => return Ok(None),
        (Some(_), Some(_)) => "MODIFY",
        (Some(_), None) => "REMOVE",
        (None, None) => return Ok(None),
    };
    let old = change
        .old
        .filter(|_| matches!(view_type, "OLD_IMAGE" | "NEW_AND_OLD_IMAGES"));
    let new = change
        .new
        .filter(|_| matches!(view_type, "NEW_IMAGE" | "NEW_AND_OLD_IMAGES"));
    let keys = serde_json::to_vec(change.keys)
        .map_err(|e| DynamoError::internal(format!("stream record encoding failed: {e}")))?;
    let size = item_size(change.keys) + old.map_or(0, |o| o.1) + new.map_or(0, |n| n.1);
    let mut out = Vec::with_capacity(
        64 + keys.len() + old.map_or(0, |o| o.0.len()) + new.map_or(0, |n| n.0.len()),
    );
    out.extend_from_slice(
        format!(
            r#"{{"e":"{event}","t":{created},"c":{created_micros},"s":{size},"v":"{view_type}""#
        )
        .as_bytes(),
    );
    if change.expired {
        out.extend_from_slice(br#","u":true"#);
    }
    out.extend_from_slice(br#","k":"#);
    out.extend_from_slice(&keys);
    for (name, image) in [(b"o", old), (b"n", new)] {
        if let Some((json, _)) = image {
            out.extend_from_slice(b",\"");
            out.extend_from_slice(name);
            out.extend_from_slice(b"\":");
            out.extend_from_slice(json);
        }
    }
    out.push(b'}');
    Ok(Some(out))
}

#[derive(Deserialize)]
pub(crate) struct Stored<'a> {
    pub e: &'a str,
    pub t: i64,
    /// Microseconds; records written before they were kept have none.
    #[serde(default)]
    pub c: Option<i64>,
    pub s: u64,
    v: &'a str,
    #[serde(default)]
    pub u: bool,
    #[serde(borrow)]
    pub k: &'a RawValue,
    #[serde(borrow, default)]
    pub o: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub n: Option<&'a RawValue>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireRecord<'a> {
    #[serde(rename = "eventID")]
    event_id: String,
    event_name: &'a str,
    event_version: &'static str,
    event_source: &'static str,
    aws_region: &'a str,
    dynamodb: WireChange<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_identity: Option<serde_json::Value>,
    #[serde(rename = "eventSourceARN", skip_serializing_if = "Option::is_none")]
    event_source_arn: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct WireChange<'a> {
    approximate_creation_date_time: f64,
    keys: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_image: Option<&'a RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_image: Option<&'a RawValue>,
    sequence_number: String,
    size_bytes: u64,
    stream_view_type: &'a str,
}

/// Who made a change that no request made: the Time to Live service. The
/// Streams API's Identity shape names its members `PrincipalId` and
/// `Type`; Lambda's events and Kinesis records name them `principalId` and
/// `type`, and handlers test `userIdentity.type === "Service"` to tell
/// expiries from deletes.
pub(crate) fn time_to_live_identity(in_event: bool) -> serde_json::Value {
    if in_event {
        serde_json::json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
    } else {
        serde_json::json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"})
    }
}

/// A sequence number as the Streams API spells it: at least 21 digits.
pub fn sequence_text(sequence: u64) -> String {
    format!("{sequence:021}")
}

/// Parses a SequenceNumber parameter (21 to 40 digits).
pub fn parse_sequence(text: &str) -> Option<u64> {
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = text.trim_start_matches('0');
    if digits.is_empty() {
        return Some(0);
    }
    digits.parse().ok()
}

/// Appends the wire JSON of a stored record to `out`; with
/// `event_source_arn` as a Lambda event's record.
pub fn render(
    out: &mut Vec<u8>,
    stream: &StreamMeta,
    sequence: u64,
    stored: &[u8],
    event_source_arn: Option<&str>,
) -> Result<(), DynamoError> {
    let corrupt =
        |e: serde_json::Error| DynamoError::internal(format!("corrupt stream record: {e}"));
    let record: Stored<'_> = serde_json::from_slice(stored).map_err(corrupt)?;
    let id = xxhash_rust::xxh3::xxh3_128(
        format!("{}/{}/{sequence}", stream.label, stream.id).as_bytes(),
    );
    let wire = WireRecord {
        event_id: format!("{id:032x}"),
        event_name: record.e,
        event_version: "1.1",
        event_source: "aws:dynamodb",
        aws_region: &stream.region,
        dynamodb: WireChange {
            approximate_creation_date_time: record.t as f64,
            keys: record.k,
            new_image: record.n,
            old_image: record.o,
            sequence_number: sequence_text(sequence),
            size_bytes: record.s,
            stream_view_type: record.v,
        },
        user_identity: record
            .u
            .then(|| time_to_live_identity(event_source_arn.is_some())),
        event_source_arn,
    };
    serde_json::to_writer(out, &wire).map_err(corrupt)
}

/// The creation time stored in a record (whole seconds since the epoch).
pub fn created_at(stored: &[u8]) -> Result<i64, DynamoError> {
    let record: Stored<'_> = serde_json::from_slice(stored)
        .map_err(|e| DynamoError::internal(format!("corrupt stream record: {e}")))?;
    Ok(record.t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynalith_model::AttributeValue;

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), AttributeValue::S(v.to_string())))
            .collect()
    }

    #[test]
    fn records_carry_only_the_images_their_view_type_asks_for() {
        let keys = item(&[("pk", "a")]);
        let old = serde_json::to_vec(&item(&[("pk", "a"), ("v", "x")])).unwrap();
        let new = serde_json::to_vec(&item(&[("pk", "a"), ("v", "y")])).unwrap();
        let change = Change {
            keys: &keys,
            old: Some((&old, 4)),
            new: Some((&new, 4)),
            expired: false,
            unchanged: false,
        };
        let stream = crate::streams::test_stream(7, "NEW_IMAGE");
        for (view, has_old, has_new, size) in [
            ("KEYS_ONLY", false, false, 3),
            ("NEW_IMAGE", false, true, 7),
            ("OLD_IMAGE", true, false, 7),
            ("NEW_AND_OLD_IMAGES", true, true, 11),
        ] {
            let stored = encode(&change, view, 1_700_000_000_123_456)
                .unwrap()
                .unwrap();
            let mut out = Vec::new();
            render(&mut out, &stream, 5, &stored, None).unwrap();
            let wire: serde_json::Value = serde_json::from_slice(&out).unwrap();
            let body = &wire["dynamodb"];
            assert_eq!(wire["eventName"], "MODIFY");
            assert_eq!(body["SequenceNumber"], "000000000000000000005");
            assert_eq!(body["Keys"]["pk"]["S"], "a");
            assert_eq!(body.get("OldImage").is_some(), has_old, "{view}");
            assert_eq!(body.get("NewImage").is_some(), has_new, "{view}");
            assert_eq!(body["SizeBytes"], size, "{view}");
            assert_eq!(body["StreamViewType"], view);
            assert_eq!(body["ApproximateCreationDateTime"], 1_700_000_000.0);
            assert!(wire.get("userIdentity").is_none());
        }
    }

    #[test]
    fn time_to_live_deletes_name_the_service_as_each_form_spells_it() {
        let keys = item(&[("pk", "a")]);
        let old = serde_json::to_vec(&keys).unwrap();
        let change = Change {
            keys: &keys,
            old: Some((&old, 3)),
            new: None,
            expired: true,
            unchanged: false,
        };
        let stored = encode(&change, "KEYS_ONLY", 0).unwrap().unwrap();
        let stream = crate::streams::test_stream(7, "KEYS_ONLY");
        let rendered = |arn: Option<&str>| {
            let mut out = Vec::new();
            render(&mut out, &stream, 5, &stored, arn).unwrap();
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()["userIdentity"].clone()
        };
        assert_eq!(
            rendered(None),
            serde_json::json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"})
        );
        assert_eq!(
            rendered(Some(
                "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/x"
            )),
            serde_json::json!({"type": "Service", "principalId": "dynamodb.amazonaws.com"})
        );
    }

    #[test]
    fn an_unchanged_item_writes_no_record() {
        let keys = item(&[("pk", "a")]);
        let same = serde_json::to_vec(&item(&[("pk", "a")])).unwrap();
        let change = Change {
            keys: &keys,
            old: Some((&same, 3)),
            new: Some((&same, 3)),
            expired: false,
            unchanged: true,
        };
        assert!(encode(&change, "KEYS_ONLY", 0).unwrap().is_none());
    }

    #[test]
    fn sequence_numbers_round_trip_through_their_text() {
        for n in [0, 1, 42, u64::MAX] {
            assert_eq!(parse_sequence(&sequence_text(n)), Some(n));
        }
        assert_eq!(parse_sequence("00000000000000000000x"), None);
        assert_eq!(parse_sequence("99999999999999999999999999"), None);
    }
}
