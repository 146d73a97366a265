//! Documented reasons a difference between dynalith and the reference
//! (DynamoDB Local) is not a dynalith bug. Each rule names the AWS
//! documentation, or the record of DynamoDB's behaviour, it relies on.

use super::normalize::{Decimal, Outcome};
use super::{Operation, Request};
use aws_sdk_dynamodb::types::ReturnValue;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Different outcome class.
    Class,
    /// Same error class, different message.
    Message,
    /// Different ReturnValues / failed-condition item / GetItem item.
    Attributes,
    /// Different stored item after a write.
    Item,
}

/// Why a difference is not a dynalith bug, or `None`. Only messages are
/// explained so far: every outcome, returned attribute and stored item
/// agrees (or is a bug to fix).
pub fn explain(
    kind: Kind,
    request: &Request,
    ours: &Outcome,
    theirs: &Outcome,
) -> Option<&'static str> {
    if kind == Kind::Attributes {
        return explain_attributes(request, ours, theirs);
    }
    if kind != Kind::Message {
        return None;
    }
    let (o, t) = (ours.message.as_str(), theirs.message.as_str());
    // DynamoDB's current layer (PutItem, UpdateItem, DeleteItem, GetItem,
    // BatchGetItem, Query) words a refused attribute value its own way, as
    // recorded from DynamoDB in four Regions on 2026-10-09 by the
    // paritysuite conformance suite (tests/tier3/error-messages/
    // valueLayers.test.ts): PutItem, UpdateItem and DeleteItem inside
    // "1 validation error detected: ", no "ExpressionAttributeValues
    // contains invalid value: ... for key" around a condition's or
    // filter's value, a repeated set member's collection quoted; and every
    // layer says "The parameter cannot be converted to a numeric value:
    // <text>". DynamoDB Local keeps the older words.
    // The same layer reports PutItem's, UpdateItem's and DeleteItem's own
    // request checks inside the envelope, an expression parameter without
    // an expression without naming the missing expression
    // (`core/src/ops/request_checks.rs`, recorded in the suite's
    // error-messages tests).
    if let Some(bare) = o.strip_prefix(ENVELOPE) {
        if bare == t || (bare.ends_with("when using expressions") && t.starts_with(bare)) {
            return Some("a request check in the words of DynamoDB's current validation layer");
        }
    }
    if same_value_refusal(o, t) {
        return Some("a refused attribute value in the words of DynamoDB's value layers");
    }
    let o = o.strip_prefix(ENVELOPE).unwrap_or(o);
    // An invalid ExpressionAttributeValues entry named the same way by
    // both: what is said about the value follows the rules below.
    let (o, t) = match (invalid_value(o), invalid_value(t)) {
        (Some((o_why, o_key)), Some((t_why, t_key))) if o_key == t_key => (o_why, t_why),
        _ => (o, t),
    };
    // DynamoDB Local's "path two" need not even overlap "path one" (e.g.
    // `ADD x :n DELETE a.b :s REMOVE a SET c = :n` names [a, b] and [c]);
    // we name the two paths that overlap. The Developer Guide documents
    // only that overlapping paths are rejected
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.UpdateExpressions.html).
    if o.contains("Two document paths ") && t.contains("Two document paths ") {
        return Some("overlapping paths: DynamoDB Local names a second path that does not overlap");
    }
    // The unused keys are listed in Java `HashSet` order (dynalith
    // reproduces it, `expr/src/bindings.rs`); keys that share a bucket keep
    // the order they came in, which is the order the SDK wrote the map's
    // keys (a Rust `HashMap`: random) and which dynalith does not keep.
    if o.contains("unused in expressions: keys: {") && same_java_buckets(o, t) {
        return Some("unused keys sharing a Java hash bucket: listed in the wire order");
    }
    // attribute_type's type names are a set, printed in hash order.
    if let (Some(a), Some(b)) = (o.rsplit_once('{'), t.rsplit_once('{')) {
        let set = |s: &str| {
            let mut v: Vec<String> = s
                .trim_end_matches('}')
                .split(',')
                .map(String::from)
                .collect();
            v.sort();
            v
        };
        if a.0 == b.0 && set(a.1) == set(b.1) {
            return Some("attribute_type: the same set of type names, printed in another order");
        }
    }
    // DynamoDB's own messages, as the SDKs' users see them and as test
    // suites run against DynamoDB recorded them (dynalite, moto):
    // "Type mismatch for key sk expected: N actual: S", "Attempting to
    // store more than 38 significant digits in a Number", "Input
    // collection [a, a] contains duplicates.", "Input collection [Yg==,
    // Yg==]of type BS contains duplicates." — the Developer Guide
    // documents the limits behind them (numbers "can have up to 38 digits
    // of precision"; sets hold unique values; key attributes have the
    // table's types:
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html).
    // DynamoDB Local words these four differently.
    let dynamodb_wording = [
        (
            "Type mismatch for key sk expected: N actual: S",
            "One or more parameter values were invalid: Type mismatch for key",
        ),
        (
            "Attempting to store more than 38 significant digits in a Number",
            "DynamoDB only supports precision up to 38 digits",
        ),
    ];
    if dynamodb_wording
        .iter()
        .any(|(a, b)| o.ends_with(a) && t == *b)
        || (o.trim_end_matches('.').ends_with("contains duplicates")
            && t == o.trim_end_matches('.'))
        || (o.contains("]of type BS contains duplicates")
            && t.contains("Input collection of type BS contains duplicates"))
    {
        return Some("DynamoDB's wording of an item validation message");
    }
    // "Leading and trailing zeroes are trimmed" from numbers on input
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number),
    // so dynalith prints a value's number normalized where DynamoDB Local
    // echoes the request text.
    if same_but_numbers(o, t) {
        return Some("numbers in messages: printed normalized, not as sent");
    }
    // The API reference: "PutItem [DeleteItem] does not recognize any
    // values other than NONE or ALL_OLD"; dynalith says so in those words
    // (DynamoDB Local: "Return values set to invalid value"), and may first
    // report another problem of the same request.
    let put_or_delete = matches!(request.operation, Operation::Put | Operation::Delete);
    let bad_return_values = request
        .return_values
        .as_ref()
        .is_some_and(|r| !matches!(r, ReturnValue::None | ReturnValue::AllOld));
    if put_or_delete && bad_return_values && t == "Return values set to invalid value" {
        return Some("PutItem/DeleteItem ReturnValues: the API reference's wording");
    }
    // An item without its sort key: the API reference says "you must
    // provide all of the attributes for the primary key"; DynamoDB's
    // message names the key, DynamoDB Local's is generic.
    if o.ends_with("Missing the key sk in the item")
        && t == "One of the required keys was not given a value"
    {
        return Some("item without a key attribute: DynamoDB's wording");
    }
    // An item with a bad key and a bad expression: DynamoDB checks the
    // expressions first — before even looking the table up (dynalite's
    // suite, run against DynamoDB, gets expression errors for a table that
    // does not exist) — while DynamoDB Local checks the key first.
    let key_problem = t == "One of the required keys was not given a value"
        || t.starts_with("One or more parameter values were invalid: Type mismatch for key")
        || t.contains("The AttributeValue for a key attribute cannot contain an empty string");
    let expression_problem =
        o.starts_with("Invalid ConditionExpression") || o.contains("ExpressionAttribute");
    if key_problem && expression_problem {
        return Some(
            "several problems in one request: expressions are checked before the item's key",
        );
    }
    // An invalid item value and stray ExpressionAttributeNames/Values:
    // dynalith validates attribute values while it reads the request body
    // (crates/model), before looking at which parameters go together.
    let item_value_problem = o.starts_with("One or more parameter values were invalid:")
        || o.starts_with("Number overflow.")
        || o.starts_with("Number underflow.")
        || o.starts_with("The parameter cannot be converted to a numeric value")
        || o == "Input collection contains duplicates"
        || o == "Attempting to store more than 38 significant digits in a Number";
    if item_value_problem
        && t.starts_with("ExpressionAttribute")
        && t.contains("can only be specified when using expressions")
    {
        return Some("several problems in one request: item values are checked while reading it");
    }
    // Several runtime errors in one update: DynamoDB documents no order.
    // DynamoDB Local's follows hashes of the attribute names, not the text:
    // `SET a = s + :n, b.c = :n` (s a string, b a boolean) gets the path
    // error, `SET c = s + :n, b.c = :n` the type error, whichever action
    // comes first. dynalith reports the first error in text order.
    let runtime = [
        "An operand in the update expression has an incorrect data type",
        "The document path provided in the update expression is invalid for update",
        "The provided expression refers to an attribute that does not exist in the item",
        "Number overflow. Attempting to store a number with magnitude larger than supported range",
        "DynamoDB only supports precision up to 38 digits",
    ];
    let actions = request.update.as_deref().map_or(0, action_count);
    if request.operation == Operation::Update
        && runtime.contains(&o)
        && runtime.contains(&t)
        && actions > 1
    {
        return Some("several runtime errors in one update: another one reported first");
    }
    None
}

/// UPDATED_OLD and UPDATED_NEW after an update of nested paths: DynamoDB
/// returns just those paths, "nested within the appropriate hierarchy, but
/// not containing the entire top-level attribute" (ScyllaDB's
/// test_returnvalues.py, checked against DynamoDB; the API reference says
/// "Returns only the updated attributes":
/// https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#DDB-UpdateItem-request-ReturnValues).
/// DynamoDB Local returns the whole top-level attribute.
fn explain_attributes(request: &Request, ours: &Outcome, theirs: &Outcome) -> Option<&'static str> {
    let updated = matches!(
        request.return_values,
        Some(ReturnValue::UpdatedOld | ReturnValue::UpdatedNew)
    );
    if request.operation != Operation::Update || !updated || ours.class != "ok" {
        return None;
    }
    let theirs = theirs.attributes.as_ref()?.as_object()?;
    let empty = serde_json::Map::new();
    let ours = ours
        .attributes
        .as_ref()
        .and_then(|a| a.as_object())
        .unwrap_or(&empty);
    let update = request.update.as_deref()?;
    let names = request.names.clone().unwrap_or_default();
    // Top-level attributes the update reaches into (`a.b`, `a[1]`).
    let nested = |name: &str| {
        let written: Vec<String> = std::iter::once(name.to_string())
            .chain(
                names
                    .iter()
                    .filter(|(_, n)| n.as_str() == name)
                    .map(|(p, _)| p.clone()),
            )
            .collect();
        written.iter().any(|w| {
            update
                .match_indices(w.as_str())
                .any(|(i, _)| matches!(update.as_bytes().get(i + w.len()), Some(b'.' | b'[')))
        })
    };
    let explained = theirs.iter().all(|(name, whole)| match ours.get(name) {
        Some(part) => part == whole || (nested(name) && projection_of(part, whole)),
        None => nested(name),
    }) && ours.keys().all(|k| theirs.contains_key(k));
    explained.then_some("UPDATED_OLD/UPDATED_NEW of nested paths: DynamoDB returns just the paths")
}

/// Whether `part` is `whole` with some map entries and list elements left
/// out.
fn projection_of(part: &serde_json::Value, whole: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (part, whole) {
        (Value::Object(p), Value::Object(w)) => p
            .iter()
            .all(|(k, v)| w.get(k).is_some_and(|wv| projection_of(v, wv))),
        (Value::Array(p), Value::Array(w)) => {
            let mut rest = w.iter();
            p.iter().all(|pv| rest.any(|wv| projection_of(pv, wv)))
        }
        _ => part == whole,
    }
}

/// Actions in an update expression: clauses plus commas outside
/// function calls.
fn action_count(update: &str) -> usize {
    let clauses = update
        .split_whitespace()
        .filter(|w| ["SET", "REMOVE", "ADD", "DELETE"].contains(w))
        .count();
    let mut depth = 0i32;
    let mut commas = 0;
    for c in update.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => commas += 1,
            _ => {}
        }
    }
    clauses + commas
}

/// Equal once every `{N:...}` number is normalized.
fn same_but_numbers(a: &str, b: &str) -> bool {
    fn normalize(text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("{N:") {
            out.push_str(&rest[..start + 3]);
            rest = &rest[start + 3..];
            let end = rest.find('}').unwrap_or(rest.len());
            out.push_str(
                &Decimal::parse(&rest[..end])
                    .map_or_else(|| rest[..end].to_string(), |d| format!("{d:?}")),
            );
            rest = &rest[end..];
        }
        out.push_str(rest);
        out
    }
    a != b && a.contains("{N:") && normalize(a) == normalize(b)
}

/// The same keys in "keys: {...}", in the same Java `HashSet` buckets
/// (a table of 16; the requests have few keys), only reordered within one.
fn same_java_buckets(a: &str, b: &str) -> bool {
    fn buckets(message: &str) -> Option<Vec<(u32, &str)>> {
        let list = message.rsplit_once("keys: {")?.1.strip_suffix('}')?;
        let mut keys: Vec<(u32, &str)> = list
            .split(", ")
            .map(|key| {
                let h = key
                    .encode_utf16()
                    .fold(0u32, |h, unit| h.wrapping_mul(31).wrapping_add(unit as u32));
                ((h ^ (h >> 16)) & 15, key)
            })
            .collect();
        keys.sort();
        Some(keys)
    }
    let (Some(x), Some(y)) = (buckets(a), buckets(b)) else {
        return false;
    };
    let order = |message: &str| {
        let list = message.rsplit_once("keys: {").map_or("", |(_, l)| l);
        list.trim_end_matches('}')
            .split(", ")
            .map(|key| x.iter().find(|(_, k)| *k == key).map(|(bucket, _)| *bucket))
            .collect::<Vec<_>>()
    };
    a != b && x == y && order(a) == order(b)
}

/// Coral's envelope around a request's validation errors.
const ENVELOPE: &str = "1 validation error detected: ";

/// Whether two refusals of one attribute value differ only in the words of
/// DynamoDB's value layers (see `explain`).
fn same_value_refusal(ours: &str, theirs: &str) -> bool {
    fn words(message: &str) -> String {
        let message = message.strip_prefix(ENVELOPE).unwrap_or(message);
        let message = invalid_value(message).map_or(message, |(why, _)| why);
        if message.starts_with("The parameter cannot be converted to a numeric value")
            || message == "A value provided cannot be converted into a number"
        {
            return "not a number".into();
        }
        let message = message
            .strip_prefix("One or more parameter values were invalid: ")
            .unwrap_or(message)
            .trim_end_matches('.');
        // A collection's members, unquoted and in order.
        match (message.find('['), message.rfind(']')) {
            (Some(open), Some(close)) if open < close => {
                let mut members: Vec<String> = message[open + 1..close]
                    .split(',')
                    .map(|m| m.trim().trim_matches('"').to_string())
                    .collect();
                members.sort();
                format!(
                    "{}[{}]{}",
                    &message[..open],
                    members.join(","),
                    &message[close + 1..]
                )
            }
            _ => message.to_string(),
        }
    }
    ours != theirs && words(ours) == words(theirs)
}

/// "ExpressionAttributeValues contains invalid value: <why> for key <key>"
/// as (why, key).
fn invalid_value(message: &str) -> Option<(&str, &str)> {
    message
        .strip_prefix("ExpressionAttributeValues contains invalid value: ")?
        .rsplit_once(" for key ")
}
