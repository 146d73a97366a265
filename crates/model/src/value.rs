//! AttributeValue: DynamoDB's ten data types, and their wire JSON form.
//!
//! Deserializing validates everything that does not depend on where the
//! value is used (exactly one type set, NULL is true, sets non-empty and
//! without duplicates, numbers well-formed and in range, nesting depth), so a
//! value that exists in memory is always a valid DynamoDB value.

use crate::number::{Number, ValueLayer};
use base64::Engine as _;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// An item: attribute names to values.
pub type Item = BTreeMap<String, AttributeValue>;

/// DynamoDB nests documents at most this many levels deep, a top-level
/// attribute being level 1: a value inside 31 lists or maps is accepted, one
/// inside 32 is not (recorded from DynamoDB and DynamoDB Local alike).
pub const MAX_NESTING_DEPTH: usize = 32;

/// DynamoDB's message for a value nested too deep in a request.
pub const NESTED_TOO_DEEP: &str = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

#[derive(Clone, Debug)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(BTreeMap<String, AttributeValue>),
    L(Vec<AttributeValue>),
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
}

/// The type descriptor as DynamoDB spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueType {
    S,
    N,
    B,
    Bool,
    Null,
    M,
    L,
    Ss,
    Ns,
    Bs,
}

impl ValueType {
    pub fn descriptor(self) -> &'static str {
        match self {
            ValueType::S => "S",
            ValueType::N => "N",
            ValueType::B => "B",
            ValueType::Bool => "BOOL",
            ValueType::Null => "NULL",
            ValueType::M => "M",
            ValueType::L => "L",
            ValueType::Ss => "SS",
            ValueType::Ns => "NS",
            ValueType::Bs => "BS",
        }
    }

    pub fn from_descriptor(text: &str) -> Option<ValueType> {
        Some(match text {
            "S" => ValueType::S,
            "N" => ValueType::N,
            "B" => ValueType::B,
            "BOOL" => ValueType::Bool,
            "NULL" => ValueType::Null,
            "M" => ValueType::M,
            "L" => ValueType::L,
            "SS" => ValueType::Ss,
            "NS" => ValueType::Ns,
            "BS" => ValueType::Bs,
            _ => return None,
        })
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.descriptor())
    }
}

impl AttributeValue {
    /// Levels this value takes, itself included: 1 for a scalar or a set,
    /// one more than its deepest member for a list or map.
    pub fn nesting_levels(&self) -> usize {
        let deepest = |members: &mut dyn Iterator<Item = &AttributeValue>| {
            members
                .map(AttributeValue::nesting_levels)
                .max()
                .unwrap_or(0)
        };
        match self {
            AttributeValue::L(list) => 1 + deepest(&mut list.iter()),
            AttributeValue::M(map) => 1 + deepest(&mut map.values()),
            _ => 1,
        }
    }

    pub fn value_type(&self) -> ValueType {
        match self {
            AttributeValue::S(_) => ValueType::S,
            AttributeValue::N(_) => ValueType::N,
            AttributeValue::B(_) => ValueType::B,
            AttributeValue::Bool(_) => ValueType::Bool,
            AttributeValue::Null => ValueType::Null,
            AttributeValue::M(_) => ValueType::M,
            AttributeValue::L(_) => ValueType::L,
            AttributeValue::Ss(_) => ValueType::Ss,
            AttributeValue::Ns(_) => ValueType::Ns,
            AttributeValue::Bs(_) => ValueType::Bs,
        }
    }
}

/// Sets compare as sets: DynamoDB does not keep the order of set members.
impl PartialEq for AttributeValue {
    fn eq(&self, other: &Self) -> bool {
        use AttributeValue::*;
        fn same_members<T: PartialEq>(a: &[T], b: &[T]) -> bool {
            a.len() == b.len() && a.iter().all(|x| b.contains(x))
        }
        match (self, other) {
            (S(a), S(b)) => a == b,
            (N(a), N(b)) => a == b,
            (B(a), B(b)) => a == b,
            (Bool(a), Bool(b)) => a == b,
            (Null, Null) => true,
            (M(a), M(b)) => a == b,
            (L(a), L(b)) => a == b,
            (Ss(a), Ss(b)) => same_members(a, b),
            (Ns(a), Ns(b)) => same_members(a, b),
            (Bs(a), Bs(b)) => same_members(a, b),
            _ => false,
        }
    }
}

// ---------------------------------------------------------------------------
// Serialization: the canonical wire form.

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            AttributeValue::S(s) => map.serialize_entry("S", s)?,
            AttributeValue::N(n) => map.serialize_entry("N", &n.to_string())?,
            AttributeValue::B(b) => map.serialize_entry("B", &Base64(b))?,
            AttributeValue::Bool(b) => map.serialize_entry("BOOL", b)?,
            AttributeValue::Null => map.serialize_entry("NULL", &true)?,
            AttributeValue::M(m) => map.serialize_entry("M", m)?,
            AttributeValue::L(l) => map.serialize_entry("L", l)?,
            AttributeValue::Ss(ss) => map.serialize_entry("SS", ss)?,
            AttributeValue::Ns(ns) => map.serialize_entry("NS", &NumberList(ns))?,
            AttributeValue::Bs(bs) => map.serialize_entry("BS", &Base64List(bs))?,
        }
        map.end()
    }
}

struct Base64<'a>(&'a [u8]);

impl Serialize for Base64<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(self.0))
    }
}

struct Base64List<'a>(&'a [Vec<u8>]);

impl Serialize for Base64List<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for b in self.0 {
            seq.serialize_element(&Base64(b))?;
        }
        seq.end()
    }
}

struct NumberList<'a>(&'a [Number]);

impl Serialize for NumberList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for n in self.0 {
            seq.serialize_element(&n.to_string())?;
        }
        seq.end()
    }
}

// ---------------------------------------------------------------------------
// Deserialization with DynamoDB's validation.

/// serde can only carry a message, so validation failures (which DynamoDB
/// reports as ValidationException, unlike malformed JSON) are tagged with
/// this prefix and told apart in [`crate::wire::json_error`].
pub(crate) const VALIDATION_TAG: &str = "\u{1}validation\u{1}";

fn validation_error<E: de::Error>(message: impl fmt::Display) -> E {
    E::custom(format_args!("{VALIDATION_TAG}{message}"))
}

thread_local! {
    /// The layer reading the request being deserialized on this thread:
    /// serde's derived code cannot carry it down to the values.
    static LAYER: std::cell::Cell<ValueLayer> = const { std::cell::Cell::new(ValueLayer::Legacy) };
    /// Whether values nested too deep are read as NULL rather than refused.
    static PAST_DEPTH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `read` (a deserialization) with every value nested past
/// [`MAX_NESTING_DEPTH`] read as NULL, skipped without recursion, instead
/// of refused: to read a request that is refused for its depth anyway and
/// find what DynamoDB reports ahead of that. What it reads must never be
/// written.
pub fn read_past_depth<T>(read: impl FnOnce() -> T) -> T {
    with_setting(&PAST_DEPTH, true, read)
}

/// Runs `read` (a deserialization) with values read in `layer`'s rules.
pub(crate) fn read_in<T>(layer: ValueLayer, read: impl FnOnce() -> T) -> T {
    with_setting(&LAYER, layer, read)
}

/// Runs `read` with the thread's `setting` at `value`, restored after,
/// even if `read` panics.
fn with_setting<S: Copy + 'static, T>(
    setting: &'static std::thread::LocalKey<std::cell::Cell<S>>,
    value: S,
    read: impl FnOnce() -> T,
) -> T {
    struct Restore<S: Copy + 'static>(&'static std::thread::LocalKey<std::cell::Cell<S>>, S);
    impl<S: Copy + 'static> Drop for Restore<S> {
        fn drop(&mut self) {
            self.0.with(|cell| cell.set(self.1));
        }
    }
    let _restore = Restore(setting, setting.with(|cell| cell.replace(value)));
    read()
}

/// The layer values are being read in.
pub(crate) fn reading_layer() -> ValueLayer {
    LAYER.with(|l| l.get())
}

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        ValueSeed { depth: 0 }.deserialize(deserializer)
    }
}

struct ValueSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = AttributeValue;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        // `depth` counts from 0 at a top-level attribute.
        if self.depth >= MAX_NESTING_DEPTH {
            if PAST_DEPTH.with(|p| p.get()) {
                deserializer.deserialize_ignored_any(IgnoredAny)?;
                return Ok(AttributeValue::Null);
            }
            return Err(validation_error(NESTED_TOO_DEEP));
        }
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = AttributeValue;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an AttributeValue object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found: Option<AttributeValue> = None;
        let mut more_than_one = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let value = match &*key {
                "S" => map.next_value::<Option<String>>()?.map(AttributeValue::S),
                "N" => match map.next_value::<Option<std::borrow::Cow<'de, str>>>()? {
                    Some(text) => Some(AttributeValue::N(parse_number(&text)?)),
                    None => None,
                },
                "B" => match map.next_value::<Option<std::borrow::Cow<'de, str>>>()? {
                    Some(text) => Some(AttributeValue::B(decode_base64(&text)?)),
                    None => None,
                },
                "BOOL" => map.next_value::<Option<bool>>()?.map(AttributeValue::Bool),
                "NULL" => match map.next_value::<Option<bool>>()? {
                    Some(true) => Some(AttributeValue::Null),
                    Some(false) => {
                        return Err(validation_error(
                            "One or more parameter values were invalid: Null attribute value types must have the value of true",
                        ))
                    }
                    None => None,
                },
                "M" => map
                    .next_value_seed(OptionSeed(MapSeed { depth: self.depth + 1 }))?
                    .map(AttributeValue::M),
                "L" => map
                    .next_value_seed(OptionSeed(ListSeed { depth: self.depth + 1 }))?
                    .map(AttributeValue::L),
                "SS" => match map.next_value::<Option<Vec<String>>>()? {
                    Some(members) => {
                        if members.is_empty() {
                            return Err(validation_error(
                                "One or more parameter values were invalid: An string set  may not be empty",
                            ));
                        }
                        check_unique(&members, || {
                            let shown = match reading_layer() {
                                ValueLayer::Legacy => members.join(", "),
                                ValueLayer::Current => {
                                    as_collected(&members, |m| m.as_bytes(), |m| format!("\"{m}\"")).join(", ")
                                }
                            };
                            format!(
                                "One or more parameter values were invalid: Input collection [{shown}] contains duplicates."
                            )
                        })?;
                        Some(AttributeValue::Ss(members))
                    }
                    None => None,
                },
                "NS" => match map.next_value::<Option<Vec<std::borrow::Cow<'de, str>>>>()? {
                    Some(texts) => {
                        if texts.is_empty() {
                            return Err(validation_error(
                                "One or more parameter values were invalid: An number set  may not be empty",
                            ));
                        }
                        let members =
                            texts.iter().map(|t| parse_number(t)).collect::<Result<Vec<_>, _>>()?;
                        check_unique(&members, || match reading_layer() {
                            ValueLayer::Legacy => "Input collection contains duplicates".to_string(),
                            ValueLayer::Current => {
                                "One or more parameter values were invalid: Input collection contains duplicates."
                                    .to_string()
                            }
                        })?;
                        Some(AttributeValue::Ns(members))
                    }
                    None => None,
                },
                "BS" => match map.next_value::<Option<Vec<std::borrow::Cow<'de, str>>>>()? {
                    Some(texts) => {
                        if texts.is_empty() {
                            return Err(validation_error(
                                "One or more parameter values were invalid: Binary sets should not be empty",
                            ));
                        }
                        let members =
                            texts.iter().map(|t| decode_base64(t)).collect::<Result<Vec<_>, _>>()?;
                        check_unique(&members, || {
                            let encode = |m: &Vec<u8>| base64::engine::general_purpose::STANDARD.encode(m);
                            let shown = match reading_layer() {
                                ValueLayer::Legacy => members.iter().map(encode).collect::<Vec<_>>().join(", "),
                                ValueLayer::Current => {
                                    as_collected(&members, |m| m.as_slice(), |m| format!("\"{}\"", encode(m))).join(",")
                                }
                            };
                            format!(
                                "One or more parameter values were invalid: Input collection [{shown}]of type BS contains duplicates."
                            )
                        })?;
                        Some(AttributeValue::Bs(members))
                    }
                    None => None,
                },
                _ => {
                    // Coral ignores members it does not know.
                    map.next_value::<IgnoredAny>()?;
                    None
                }
            };
            if let Some(value) = value {
                if found.is_some() {
                    more_than_one = true;
                }
                found = Some(value);
            }
        }
        if more_than_one {
            return Err(validation_error(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
            ));
        }
        found.ok_or_else(|| {
            validation_error(
                "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
            )
        })
    }
}

fn parse_number<E: de::Error>(text: &str) -> Result<Number, E> {
    let layer = reading_layer();
    Number::parse_in(text, layer).map_err(|e| validation_error(e.refusal(text, layer)))
}

/// A blob's base64, refused in Coral's words (as recorded from DynamoDB in
/// dynalite's suite, the typo in "dectected" included).
fn decode_base64<E: de::Error>(text: &str) -> Result<Vec<u8>, E> {
    let refuse = |why: String| {
        E::custom(format_args!(
            "'{text}' can not be converted to a Blob: {why}"
        ))
    };
    if !text.len().is_multiple_of(4) {
        return Err(refuse(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            text.len()
        )));
    }
    let bytes = text.as_bytes();
    let invalid = bytes.iter().enumerate().find(|&(i, &b)| {
        !(b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=')
            || (b == b'=' && bytes.get(i + 1).is_some_and(|&next| next != b'='))
    });
    if let Some((_, &b)) = invalid {
        return Err(refuse(format!("Invalid Base64 character: '{}'", b as char)));
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|_| refuse("Invalid last non-pad Base64 character dectected".to_string()))
}

/// A set's members as the current layer shows a repeated one: it gathers
/// them into a sorted set until the first repeat, so the members before it
/// in byte order, then the repeat, then the rest as sent (recorded from
/// DynamoDB, 2026: SS `b, a, b` is shown as `"a", "b", "b"`).
fn as_collected<T>(
    members: &[T],
    bytes: impl Fn(&T) -> &[u8],
    show: impl Fn(&T) -> String,
) -> Vec<String> {
    let mut seen: BTreeMap<&[u8], &T> = BTreeMap::new();
    for (i, member) in members.iter().enumerate() {
        if seen.contains_key(bytes(member)) {
            let mut shown: Vec<String> = seen.values().map(|m| show(m)).collect();
            shown.extend(members[i..].iter().map(&show));
            return shown;
        }
        seen.insert(bytes(member), member);
    }
    members.iter().map(show).collect()
}

/// Fails with `message()` when a set repeats a member. DynamoDB words it
/// per set type, as recorded from DynamoDB in dynalite's suite: string sets
/// list their members, binary sets list them with "of type BS" glued on,
/// number sets (whose duplicates may be spelled differently, `1` and `1.0`)
/// list nothing.
fn check_unique<T: Ord, E: de::Error>(
    members: &[T],
    message: impl FnOnce() -> String,
) -> Result<(), E> {
    let mut sorted: Vec<&T> = members.iter().collect();
    sorted.sort();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(validation_error(message()));
    }
    Ok(())
}

/// Treats JSON `null` as absent, as Coral does.
struct OptionSeed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for OptionSeed<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        struct OptionVisitor<S>(S);
        impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for OptionVisitor<S> {
            type Value = Option<S::Value>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value or null")
            }
            fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(None)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                self.0.deserialize(d).map(Some)
            }
        }
        deserializer.deserialize_option(OptionVisitor(self.0))
    }
}

struct MapSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for MapSeed {
    type Value = BTreeMap<String, AttributeValue>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for MapSeed {
    type Value = BTreeMap<String, AttributeValue>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of AttributeValues")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(ValueSeed { depth: self.depth })?;
            out.insert(key, value);
        }
        Ok(out)
    }
}

struct ListSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for ListSeed {
    type Value = Vec<AttributeValue>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListSeed {
    type Value = Vec<AttributeValue>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of AttributeValues")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(value) = seq.next_element_seed(ValueSeed { depth: self.depth })? {
            out.push(value);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<AttributeValue, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn round_trips_every_type() {
        for json in [
            r#"{"S":"hello"}"#,
            r#"{"N":"-12.5"}"#,
            r#"{"B":"AAEC"}"#,
            r#"{"BOOL":false}"#,
            r#"{"NULL":true}"#,
            r#"{"M":{"a":{"S":"x"},"b":{"L":[{"N":"1"},{"NULL":true}]}}}"#,
            r#"{"SS":["a","b"]}"#,
            r#"{"NS":["1","2"]}"#,
            r#"{"BS":["AA==","AQ=="]}"#,
        ] {
            let v = parse(json).unwrap();
            assert_eq!(serde_json::to_string(&v).unwrap(), json);
        }
    }

    #[test]
    fn rejects_invalid_values() {
        let err = |json| parse(json).unwrap_err();
        assert!(err("{}").contains("Supplied AttributeValue is empty"));
        assert!(err(r#"{"S":"a","N":"1"}"#).contains("more than one datatypes"));
        assert!(err(r#"{"NULL":false}"#).contains("Null attribute value types"));
        assert!(err(r#"{"SS":[]}"#).contains("An string set  may not be empty"));
        assert!(err(r#"{"SS":["a","a"]}"#).contains("Input collection [a, a] contains duplicates"));
        assert!(err(r#"{"NS":["1","1.0"]}"#).contains("Input collection contains duplicates"));
        assert!(err(r#"{"BS":["Yg==","Yg=="]}"#)
            .contains("Input collection [Yg==, Yg==]of type BS contains duplicates."));
        assert!(err(r#"{"S":1}"#).contains("invalid type"));
        assert!(!err(r#"{"S":1}"#).contains(VALIDATION_TAG));
        assert!(err(r#"{"S":null}"#).contains("is empty"));
    }

    #[test]
    fn limits_nesting_depth() {
        let nest = |levels: usize| {
            let mut json = String::from(r#"{"S":"x"}"#);
            for _ in 0..levels {
                json = format!(r#"{{"L":[{json}]}}"#);
            }
            json
        };
        // A top-level attribute is level 1: 31 wraps put the leaf at level 32.
        let deepest = parse(&nest(MAX_NESTING_DEPTH - 1)).unwrap();
        assert_eq!(deepest.nesting_levels(), MAX_NESTING_DEPTH);
        assert!(parse(&nest(MAX_NESTING_DEPTH))
            .unwrap_err()
            .contains(NESTED_TOO_DEEP));
        // Read past the limit, the too deep value is NULL, however deep
        // (serde_json would refuse 128 levels of recursion), and reading
        // refuses it again afterwards.
        let past = read_past_depth(|| parse(&nest(500))).unwrap();
        assert_eq!(past.nesting_levels(), MAX_NESTING_DEPTH + 1);
        assert!(parse(&nest(MAX_NESTING_DEPTH)).is_err());
    }

    #[test]
    fn sets_compare_as_sets() {
        let a = parse(r#"{"SS":["a","b"]}"#).unwrap();
        let b = parse(r#"{"SS":["b","a"]}"#).unwrap();
        assert_eq!(a, b);
    }
}
