//! One exported item per line, in the two formats DynamoDB exports:
//! DynamoDB JSON (`{"Item":{"pk":{"S":"a"}}}`) and Amazon Ion text
//! (`{Item:{pk:"a"}}`), where numbers are Ion decimals and sets are lists
//! annotated `$dynamodb_SS`, `$dynamodb_NS` or `$dynamodb_BS`.

use base64::Engine as _;
use dynalith_model::{AttributeValue, Item};

/// The export formats (ExportFormat).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    DynamoDbJson,
    Ion,
}

impl Format {
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "DYNAMODB_JSON" => Some(Format::DynamoDbJson),
            "ION" => Some(Format::Ion),
            _ => None,
        }
    }

    /// Data file names end with this.
    pub fn extension(self) -> &'static str {
        match self {
            Format::DynamoDbJson => "json.gz",
            Format::Ion => "ion.gz",
        }
    }

    /// What a data file starts with before its first item.
    pub fn file_header(self) -> &'static [u8] {
        match self {
            Format::DynamoDbJson => b"",
            Format::Ion => b"$ion_1_0 ",
        }
    }

    /// Appends the line of one item, given its wire JSON (`json`) and,
    /// for Ion, the item itself.
    pub fn write_line(self, out: &mut Vec<u8>, json: &[u8], item: Option<&Item>) {
        match (self, item) {
            (Format::Ion, Some(item)) => {
                out.extend_from_slice(b"{Item:");
                ion_struct(out, item.iter());
                out.extend_from_slice(b"}\n");
            }
            _ => {
                out.extend_from_slice(b"{\"Item\":");
                out.extend_from_slice(json);
                out.extend_from_slice(b"}\n");
            }
        }
    }

    /// Appends the line of one item's change in an incremental export:
    /// the time of its last write, its keys and its images.
    pub fn write_change_line(
        self,
        out: &mut Vec<u8>,
        micros: u64,
        keys: &Item,
        old: Option<&Item>,
        new: Option<&Item>,
    ) {
        let images = [("OldImage", old), ("NewImage", new)];
        match self {
            Format::DynamoDbJson => {
                let mut line = serde_json::Map::new();
                line.insert(
                    "Metadata".into(),
                    serde_json::json!({"WriteTimestampMicros": {"N": micros.to_string()}}),
                );
                line.insert("Keys".into(), item_json(keys));
                for (name, image) in images {
                    if let Some(image) = image {
                        line.insert(name.into(), item_json(image));
                    }
                }
                out.extend_from_slice(serde_json::Value::Object(line).to_string().as_bytes());
            }
            Format::Ion => {
                out.extend_from_slice(
                    format!("{{Metadata:{{WriteTimestampMicros:{micros}.}},Keys:").as_bytes(),
                );
                ion_struct(out, keys.iter());
                for (name, image) in images {
                    if let Some(image) = image {
                        out.push(b',');
                        out.extend_from_slice(name.as_bytes());
                        out.push(b':');
                        ion_struct(out, image.iter());
                    }
                }
                out.push(b'}');
            }
        }
        out.push(b'\n');
    }

    /// Whether `write_line` needs the decoded item.
    pub fn needs_item(self) -> bool {
        self == Format::Ion
    }
}

fn item_json(item: &Item) -> serde_json::Value {
    // An item in memory is valid, so it always serializes.
    serde_json::to_value(item).unwrap_or_default()
}

/// An Ion string: JSON's escapes are all valid Ion escapes.
fn ion_string(out: &mut Vec<u8>, s: &str) {
    // Serializing a str to JSON cannot fail.
    out.extend_from_slice(serde_json::to_string(s).unwrap_or_default().as_bytes());
}

/// An Ion decimal: DynamoDB's plain notation, with a point so that Ion
/// does not read an integer.
fn ion_decimal(out: &mut Vec<u8>, number: &dynalith_model::Number) {
    let text = number.to_string();
    out.extend_from_slice(text.as_bytes());
    if !text.contains('.') {
        out.push(b'.');
    }
}

fn ion_blob(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(b"{{");
    out.extend_from_slice(
        base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .as_bytes(),
    );
    out.extend_from_slice(b"}}");
}

fn ion_struct<'a>(
    out: &mut Vec<u8>,
    fields: impl Iterator<Item = (&'a String, &'a AttributeValue)>,
) {
    out.push(b'{');
    for (i, (name, value)) in fields.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        ion_string(out, name);
        out.push(b':');
        ion_value(out, value);
    }
    out.push(b'}');
}

fn ion_list<T>(out: &mut Vec<u8>, values: &[T], mut each: impl FnMut(&mut Vec<u8>, &T)) {
    out.push(b'[');
    for (i, value) in values.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, value);
    }
    out.push(b']');
}

fn ion_value(out: &mut Vec<u8>, value: &AttributeValue) {
    match value {
        AttributeValue::S(s) => ion_string(out, s),
        AttributeValue::N(n) => ion_decimal(out, n),
        AttributeValue::B(b) => ion_blob(out, b),
        AttributeValue::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        AttributeValue::Null => out.extend_from_slice(b"null"),
        AttributeValue::M(m) => ion_struct(out, m.iter()),
        AttributeValue::L(l) => ion_list(out, l, ion_value),
        AttributeValue::Ss(ss) => {
            out.extend_from_slice(b"$dynamodb_SS::");
            ion_list(out, ss, |out, s| ion_string(out, s));
        }
        AttributeValue::Ns(ns) => {
            out.extend_from_slice(b"$dynamodb_NS::");
            ion_list(out, ns, ion_decimal);
        }
        AttributeValue::Bs(bs) => {
            out.extend_from_slice(b"$dynamodb_BS::");
            ion_list(out, bs, |out, b| ion_blob(out, b));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> Item {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn dynamodb_json_wraps_the_wire_form() {
        let mut out = Vec::new();
        Format::DynamoDbJson.write_line(&mut out, br#"{"pk":{"S":"a"}}"#, None);
        assert_eq!(out, b"{\"Item\":{\"pk\":{\"S\":\"a\"}}}\n");
    }

    #[test]
    fn change_lines_carry_the_time_keys_and_images() {
        let keys = item(r#"{"pk":{"S":"a"}}"#);
        let new = item(r#"{"pk":{"S":"a"},"v":{"N":"2"}}"#);
        let mut out = Vec::new();
        Format::DynamoDbJson.write_change_line(&mut out, 7_000, &keys, None, Some(&new));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            concat!(
                r#"{"Keys":{"pk":{"S":"a"}},"Metadata":{"WriteTimestampMicros":{"N":"7000"}},"#,
                r#""NewImage":{"pk":{"S":"a"},"v":{"N":"2"}}}"#,
                "\n"
            )
        );
        let mut out = Vec::new();
        Format::Ion.write_change_line(&mut out, 7_000, &keys, Some(&new), None);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{Metadata:{WriteTimestampMicros:7000.},Keys:{\"pk\":\"a\"},OldImage:{\"pk\":\"a\",\"v\":2.}}\n"
        );
    }

    #[test]
    fn ion_writes_every_type() {
        let item = item(
            r#"{"s":{"S":"a\"b\n"},"n":{"N":"100"},"f":{"N":"-1.50"},"b":{"B":"AAE="},
                "t":{"BOOL":true},"z":{"NULL":true},"m":{"M":{"x":{"L":[{"N":"1"},{"S":"y"}]}}},
                "ss":{"SS":["p","q"]},"ns":{"NS":["2","0.5"]},"bs":{"BS":["AQ=="]}}"#,
        );
        let mut out = Vec::new();
        Format::Ion.write_line(&mut out, b"", Some(&item));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            concat!(
                r#"{Item:{"b":{{AAE=}},"bs":$dynamodb_BS::[{{AQ==}}],"f":-1.5,"m":{"x":[1.,"y"]},"#,
                r#""n":100.,"ns":$dynamodb_NS::[2.,0.5],"s":"a\"b\n","ss":$dynamodb_SS::["p","q"],"#,
                r#""t":true,"z":null}}"#,
                "\n"
            )
        );
    }
}
