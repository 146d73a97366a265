//! Applying UpdateExpressions: SET (values read from the item before the
//! update, list appends past the end, nested paths), REMOVE (original
//! indexes, out of range, invalid parents), ADD and DELETE on numbers and
//! sets, arithmetic overflow and precision, list_append and if_not_exists,
//! key attributes. Expected items recorded from DynamoDB Local
//! (ReturnValues ALL_NEW).

mod common;

use common::{item, values};
use dynalith_expr::RequestExpressions;
use dynalith_model::{AttributeValue, Item};
use Outcome::{Err, Ok};

const BASE: &str = r#"{"pk":{"S":"u"},"s":{"S":"str"},"n":{"N":"10"},
 "l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},
 "ss":{"SS":["a","b"]},"ns":{"NS":["1","2"]}}"#;

enum Outcome {
    Ok(&'static str),
    Err(&'static str),
}

/// (update, ExpressionAttributeValues, item missing before?, outcome)
#[rustfmt::skip]
const ROWS: &[(&str, &str, bool, Outcome)] = &[
    (r#"SET l[5] = :v"#, r#"{":v":{"S":"z"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"z"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET l[1] = :v, l[7] = :w"#, r#"{":v":{"S":"z"},":w":{"S":"w"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"z"},{"S":"c"},{"S":"w"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET l[7] = :w, l[6] = :v"#, r#"{":v":{"S":"z"},":w":{"S":"w"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"z"},{"S":"w"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET q.b = :v"#, r#"{":v":{"S":"z"}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    // DynamoDB reads if_not_exists's fallback even when the attribute exists (differential test).
    (r#"SET a = if_not_exists(s, nope)"#, "", false, Err(r#"The provided expression refers to an attribute that does not exist in the item"#)),
    (r#"SET q.z = nope - :v"#, r#"{":v":{"N":"1"}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"SET s.b = :v"#, r#"{":v":{"S":"z"}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"SET s[0] = :v"#, r#"{":v":{"S":"z"}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"SET m[0] = :v"#, r#"{":v":{"S":"z"}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"SET l.x = :v"#, r#"{":v":{"S":"z"}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"SET l[5].x = :v"#, r#"{":v":{"S":"z"}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"SET m.q.r = :v"#, r#"{":v":{"S":"z"}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"SET m.l[3] = :v"#, r#"{":v":{"S":"z"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"},{"S":"z"}]}}},"n":{"N":"10"}}"#)),
    (r#"REMOVE l[10]"#, r#""#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"REMOVE l[0], l[1]"#, r#""#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"REMOVE l[1], l[0]"#, r#""#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"REMOVE q.b"#, r#""#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"REMOVE s.b"#, r#""#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"REMOVE s[0]"#, r#""#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"REMOVE m.q.r"#, r#""#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"REMOVE m.l[5].z"#, r#""#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"REMOVE m.x, m.l"#, r#""#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{}},"n":{"N":"10"}}"#)),
    (r#"REMOVE m.q"#, r#""#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"REMOVE q"#, r#""#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET a = :v, b = a"#, r#"{":v":{"S":"z"}}"#, false, Err(r#"The provided expression refers to an attribute that does not exist in the item"#)),
    (r#"SET b = n, n = :v"#, r#"{":v":{"N":"5"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"b":{"N":"10"},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"5"}}"#)),
    (r#"SET n = n + :v, b = n"#, r#"{":v":{"N":"5"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"b":{"N":"10"},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"15"}}"#)),
    (r#"SET l[0] = :v REMOVE l[1]"#, r#"{":v":{"S":"z"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"z"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET l[1] = :v REMOVE l[0]"#, r#"{":v":{"S":"z"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"z"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"REMOVE l[0] SET l[1] = :v"#, r#"{":v":{"S":"z"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"z"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET n = :v + :v"#, r#"{":v":{"N":"9.9999999999999999999999999999999999999E+125"}}"#, false, Err(r#"DynamoDB only supports precision up to 38 digits"#)),
    (r#"SET n = :w - :v"#, r#"{":v":{"N":"9.9999999999999999999999999999999999999E+125"},":w":{"N":"-9.9999999999999999999999999999999999999E+125"}}"#, false, Err(r#"DynamoDB only supports precision up to 38 digits"#)),
    (r#"ADD n :v"#, r#"{":v":{"N":"9.9999999999999999999999999999999999999E+125"}}"#, false, Err(r#"DynamoDB only supports precision up to 38 digits"#)),
    (r#"SET n = n - :v"#, r#"{":v":{"N":"10"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"0"}}"#)),
    (r#"SET n = :v + :w"#, r#"{":v":{"N":"0.1"},":w":{"N":"0.2"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"0.3"}}"#)),
    (r#"SET n = :v + :w"#, r#"{":v":{"N":"1E-130"},":w":{"N":"1"}}"#, false, Err(r#"DynamoDB only supports precision up to 38 digits"#)),
    (r#"SET n = :v + :w"#, r#"{":v":{"N":"12345678901234567890123456789012345678"},":w":{"N":"0.1"}}"#, false, Err(r#"DynamoDB only supports precision up to 38 digits"#)),
    (r#"ADD q :v"#, r#"{":v":{"N":"3"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"q":{"N":"3"},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"ADD q :v"#, r#"{":v":{"SS":["x"]}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"q":{"SS":["x"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"ADD ss :v"#, r#"{":v":{"SS":["x","a"]}}"#, false, Ok(r#"{"ss":{"SS":["a","b","x"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"ADD ss :v"#, r#"{":v":{"NS":["1"]}}"#, false, Err(r#"An operand in the update expression has an incorrect data type"#)),
    (r#"ADD n :v"#, r#"{":v":{"SS":["x"]}}"#, false, Err(r#"An operand in the update expression has an incorrect data type"#)),
    (r#"ADD s :v"#, r#"{":v":{"N":"1"}}"#, false, Err(r#"An operand in the update expression has an incorrect data type"#)),
    (r#"ADD l :v"#, r#"{":v":{"N":"1"}}"#, false, Err(r#"An operand in the update expression has an incorrect data type"#)),
    (r#"ADD ns :v"#, r#"{":v":{"N":"1"}}"#, false, Err(r#"An operand in the update expression has an incorrect data type"#)),
    (r#"ADD ns :v"#, r#"{":v":{"NS":["3","1.0"]}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2","3"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"ADD n :v"#, r#"{":v":{"N":"-2.5"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"7.5"}}"#)),
    (r#"DELETE ss :v"#, r#"{":v":{"SS":["a","b"]}}"#, false, Ok(r#"{"s":{"S":"str"},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"ns":{"NS":["1","2"]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"DELETE ss :v"#, r#"{":v":{"SS":["a","zz"]}}"#, false, Ok(r#"{"ss":{"SS":["b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"DELETE ss :v"#, r#"{":v":{"NS":["1"]}}"#, false, Err(r#"An operand in the update expression has an incorrect data type"#)),
    (r#"DELETE q :v"#, r#"{":v":{"NS":["1"]}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"DELETE s :v"#, r#"{":v":{"SS":["a"]}}"#, false, Err(r#"An operand in the update expression has an incorrect data type"#)),
    (r#"DELETE l :v"#, r#"{":v":{"SS":["a"]}}"#, false, Err(r#"An operand in the update expression has an incorrect data type"#)),
    (r#"DELETE ns :v"#, r#"{":v":{"NS":["1.00"]}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET a = list_append(l, :v)"#, r#"{":v":{"L":[{"S":"z"}]}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"a":{"L":[{"S":"a"},{"S":"b"},{"S":"c"},{"S":"z"}]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET a = list_append(:v, l)"#, r#"{":v":{"L":[{"S":"z"}]}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"a":{"L":[{"S":"z"},{"S":"a"},{"S":"b"},{"S":"c"}]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET a = list_append(q, :v)"#, r#"{":v":{"L":[{"S":"z"}]}}"#, false, Err(r#"The provided expression refers to an attribute that does not exist in the item"#)),
    (r#"SET a = list_append(s, :v)"#, r#"{":v":{"L":[{"S":"z"}]}}"#, false, Err(r#"An operand in the update expression has an incorrect data type"#)),
    (r#"SET a = list_append(if_not_exists(q, :e), :v)"#, r#"{":v":{"L":[{"S":"z"}]},":e":{"L":[]}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"a":{"L":[{"S":"z"}]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET a = if_not_exists(n, :v)"#, r#"{":v":{"N":"1"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"a":{"N":"10"},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET a = if_not_exists(q, :v)"#, r#"{":v":{"N":"1"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"a":{"N":"1"},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET a = if_not_exists(m.x, :v)"#, r#"{":v":{"N":"1"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"a":{"S":"y"},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET a = if_not_exists(l[9], :v)"#, r#"{":v":{"N":"1"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"a":{"N":"1"},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET a = q"#, r#""#, false, Err(r#"The provided expression refers to an attribute that does not exist in the item"#)),
    (r#"SET a = m.q"#, r#""#, false, Err(r#"The provided expression refers to an attribute that does not exist in the item"#)),
    (r#"SET a = q + :v"#, r#"{":v":{"N":"1"}}"#, false, Err(r#"The provided expression refers to an attribute that does not exist in the item"#)),
    (r#"SET a = s + :v"#, r#"{":v":{"N":"1"}}"#, false, Err(r#"An operand in the update expression has an incorrect data type"#)),
    (r#"SET a = l[1]"#, r#""#, false, Ok(r#"{"ss":{"SS":["a","b"]},"a":{"S":"b"},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET a = m"#, r#""#, false, Ok(r#"{"ss":{"SS":["a","b"]},"a":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET ss = :v"#, r#"{":v":{"SS":["q"]}}"#, false, Ok(r#"{"ss":{"SS":["q"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET a.b = :v"#, r#"{":v":{"N":"1"}}"#, true, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"ADD a :v"#, r#"{":v":{"N":"1"}}"#, true, Ok(r#"{"a":{"N":"1"},"pk":{"S":"u"}}"#)),
    (r#"DELETE a :v"#, r#"{":v":{"SS":["1"]}}"#, true, Ok(r#"{"pk":{"S":"u"}}"#)),
    (r#"DELETE a[0] :v"#, r#"{":v":{"SS":["1"]}}"#, true, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"REMOVE a"#, r#""#, true, Ok(r#"{"pk":{"S":"u"}}"#)),
    (r#"SET a = :v, l[1] = :v"#, r#"{":v":{"M":{}}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"a":{"M":{}},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"M":{}},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET l[1].b = :v"#, r#"{":v":{"N":"1"}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"SET m.x = :v"#, r#"{":v":{"N":"1"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"N":"1"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"SET m.x.y = :v"#, r#"{":v":{"N":"1"}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"SET pk = :v"#, r#"{":v":{"N":"1"}}"#, false, Err(r#"One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"#)),
    (r#"ADD m.l[0] :v"#, r#"{":v":{"N":"1"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"2"}]}}},"n":{"N":"10"}}"#)),
    (r#"ADD m.l[4] :v"#, r#"{":v":{"N":"1"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"},{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"ADD m.z :v"#, r#"{":v":{"N":"1"}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]},"z":{"N":"1"}}},"n":{"N":"10"}}"#)),
    (r#"ADD q.z :v"#, r#"{":v":{"N":"1"}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"DELETE m.z :v"#, r#"{":v":{"NS":["1"]}}"#, false, Ok(r#"{"ss":{"SS":["a","b"]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
    (r#"DELETE q.z :v"#, r#"{":v":{"NS":["1"]}}"#, false, Err(r#"The document path provided in the update expression is invalid for update"#)),
    (r#"SET a = if_not_exists(q, l)"#, r#""#, false, Ok(r#"{"ss":{"SS":["a","b"]},"a":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"s":{"S":"str"},"ns":{"NS":["1","2"]},"pk":{"S":"u"},"l":{"L":[{"S":"a"},{"S":"b"},{"S":"c"}]},"m":{"M":{"x":{"S":"y"},"l":{"L":[{"N":"1"}]}}},"n":{"N":"10"}}"#)),
];

fn apply(expr: &str, values_json: &str, start: &mut Item) -> Result<(), String> {
    let values = values(values_json);
    let mut request = RequestExpressions::new(None, values.as_ref()).map_err(|e| e.message)?;
    let update = request.update(expr).map_err(|e| e.message)?;
    request.finish().map_err(|e| e.message)?;
    update
        .check_key_attributes(&request.bindings(), &["pk"])
        .map_err(|e| e.message)?;
    update
        .apply(start, &request.bindings())
        .map(|_| ())
        .map_err(|e| e.message)
}

#[test]
fn matches_dynamodb() {
    let mut failures = Vec::new();
    for (expr, values, missing, expected) in ROWS {
        let mut current = if *missing {
            Item::from([("pk".to_string(), AttributeValue::S("u".into()))])
        } else {
            item(BASE)
        };
        let got = apply(expr, values, &mut current);
        let ok = match (expected, &got) {
            (Ok(json), Result::Ok(())) => item(json) == current,
            (Err(message), Result::Err(e)) => message == e,
            _ => false,
        };
        if !ok {
            let expected = match expected {
                Ok(json) => format!("item {json}"),
                Err(m) => format!("error {m}"),
            };
            let got = match got {
                Result::Ok(()) => format!(
                    "item {}",
                    serde_json::to_string(&current).unwrap_or_default()
                ),
                Result::Err(e) => format!("error {e}"),
            };
            failures.push(format!(
                "[{expr}] {values}\n  expected {expected}\n  got      {got}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Differential test against DynamoDB Local: with both key attributes
/// written, the error names the partition key first (key-schema order),
/// whatever order the expression writes them in.
#[test]
fn key_attributes_reported_in_schema_order() {
    let values = values(r#"{":v":{"S":"x"}}"#);
    let mut request = RequestExpressions::new(None, values.as_ref()).unwrap();
    let update = request.update("SET a = :v, sk = :v, pk = :v").unwrap();
    request.finish().unwrap();
    let error = update
        .check_key_attributes(&request.bindings(), &["pk", "sk"])
        .unwrap_err();
    assert_eq!(
        error.message,
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
    );
}

/// ADD and DELETE name list positions as they were before the update, as
/// REMOVE does: a REMOVE of an earlier element in the same expression does
/// not shift them. Expected lists recorded from DynamoDB Local.
#[test]
fn add_and_delete_index_the_list_before_removes() {
    let numbers = r#"{"pk":{"S":"u"},"l":{"L":[{"N":"1"},{"N":"2"},{"N":"3"}]}}"#;
    let with_set = r#"{"pk":{"S":"u"},"l":{"L":[{"N":"1"},{"SS":["a"]},{"N":"3"}]}}"#;
    let one = r#"{":one":{"N":"1"}}"#;
    let a = r#"{":a":{"SS":["a"]}}"#;
    #[rustfmt::skip]
    let rows: &[(&str, &str, &str, Result<&str, &str>)] = &[
        (numbers, "REMOVE l[0] ADD l[1] :one", one, Result::Ok(r#"[{"N":"3"},{"N":"3"}]"#)),
        (numbers, "ADD l[1] :one REMOVE l[0]", one, Result::Ok(r#"[{"N":"3"},{"N":"3"}]"#)),
        (numbers, "REMOVE l[0] ADD l[5] :one", one, Result::Ok(r#"[{"N":"2"},{"N":"3"},{"N":"1"}]"#)),
        (with_set, "REMOVE l[0] DELETE l[1] :a", a, Result::Ok(r#"[{"N":"3"}]"#)),
        (with_set, "DELETE l[1] :a REMOVE l[2]", a, Result::Ok(r#"[{"N":"1"}]"#)),
        (with_set, "REMOVE l[0] ADD l[2] :a", a, Result::Err("An operand in the update expression has an incorrect data type")),
    ];
    for (start, expr, values, expected) in rows {
        let mut current = item(start);
        let got = apply(expr, values, &mut current).map(|()| current["l"].clone());
        let expected = expected
            .map(|list| AttributeValue::L(serde_json::from_str(list).unwrap()))
            .map_err(str::to_string);
        assert_eq!(got, expected, "{expr}");
    }
}

/// With two errors in one SET value, DynamoDB reports a missing
/// `if_not_exists` fallback first, then reads operands left to right and
/// checks each one's type before reading the next. Recorded from DynamoDB
/// Local.
#[test]
fn errors_within_one_value_in_dynamodb_order() {
    let start = r#"{"pk":{"S":"u"},"b":{"B":"eA=="},"n":{"N":"1"},"l":{"L":[]},"s":{"S":"x"}}"#;
    let missing = "The provided expression refers to an attribute that does not exist in the item";
    let wrong_type = "An operand in the update expression has an incorrect data type";
    #[rustfmt::skip]
    let rows: &[(&str, &str)] = &[
        ("SET a = b + nope", wrong_type),
        ("SET a = b - nope", wrong_type),
        ("SET a = nope + b", missing),
        ("SET a = n + nope", missing),
        ("SET a = list_append(s, nope)", wrong_type),
        ("SET a = list_append(nope, s)", missing),
        ("SET a = list_append(l, nope)", missing),
        ("SET a = b + if_not_exists(s, nope)", missing),
        ("SET a = list_append(s, if_not_exists(l, nope))", missing),
        ("SET a = if_not_exists(b, :n) + nope", wrong_type),
        ("SET a = list_append(if_not_exists(s, :n), nope)", wrong_type),
        ("SET a = list_append(s, if_not_exists(nope, :n))", wrong_type),
    ];
    for (expr, expected) in rows {
        let values = if expr.contains(":n") {
            r#"{":n":{"N":"1"}}"#
        } else {
            ""
        };
        let got = apply(expr, values, &mut item(start));
        assert_eq!(got, Result::Err(expected.to_string()), "{expr}");
    }
}
