//! The records of one input object of a bulk put: an item to put and,
//! optionally, the condition the put must meet, written as PutItem writes
//! it. DynamoDB JSON is one record per line (JSON Lines),
//!
//! ```text
//! {"Item":{"pk":{"S":"a"}},"ConditionExpression":"attribute_not_exists(pk)"}
//! {"Item":{"pk":{"S":"b"},"v":{"N":"2"}},"ConditionExpression":"#v < :v",
//!  "ExpressionAttributeNames":{"#v":"v"},"ExpressionAttributeValues":{":v":{"N":"2"}}}
//! ```
//!
//! and Amazon Ion text a sequence of structs with the same fields
//! (`{Item:{pk:"a"},ConditionExpression:"attribute_not_exists(pk)"}`), the
//! attribute values typed as exports write them. A record with only an
//! `Item` is what ImportTable reads and exports write, so an export's data
//! files are bulk put input as they are.

use crate::imports::ion;
use crate::ops::expressions::{Names, Values};
use dynalith_model::Item;
use serde::Deserialize;

/// One record: the put it asks for.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct BulkRecord {
    pub item: Item,
    pub condition_expression: Option<String>,
    pub expression_attribute_names: Option<Names>,
    #[serde(
        default,
        deserialize_with = "dynalith_model::expression_values::deserialize"
    )]
    pub expression_attribute_values: Option<Values>,
}

/// A record, or why the text is not one.
pub type Record = Result<BulkRecord, String>;

/// The input formats (InputFormat).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum BulkInputFormat {
    DynamoDbJson,
    Ion,
}

/// Visits the records of one decompressed object in order, with the
/// number of the record (from 1). An Ion value that cannot be read ends the
/// object, as Ion text has no line structure to resume at; a bad JSON line
/// is one bad record.
pub fn visit_records(format: BulkInputFormat, text: &str, visit: &mut dyn FnMut(usize, Record)) {
    match format {
        BulkInputFormat::DynamoDbJson => {
            let lines = text.lines().filter(|line| !line.trim().is_empty());
            for (n, line) in lines.enumerate() {
                visit(n + 1, json_record(line));
            }
        }
        BulkInputFormat::Ion => {
            let mut n = 0;
            let read = ion::visit_values(text, &mut |value| {
                n += 1;
                visit(n, ion_record(value));
            });
            if let Err(e) = read {
                visit(n + 1, Err(format!("unreadable Ion: {e}")));
            }
        }
    }
}

fn json_record(line: &str) -> Record {
    serde_json::from_str(line).map_err(|e| format!("not a bulk put record: {e}"))
}

/// An Ion record as the JSON record it stands for: attribute values (the
/// item's and ExpressionAttributeValues') typed from Ion, the expression and
/// its names as strings.
fn ion_record(value: ion::Value) -> Record {
    const SHAPE: &str = "not a bulk put record ({Item:{...}, ConditionExpression: ...})";
    let ion::Value::Struct(fields) = value else {
        return Err(SHAPE.into());
    };
    let mut record = serde_json::Map::new();
    for (name, value) in fields {
        let json = match (name.as_str(), value) {
            ("Item" | "ExpressionAttributeValues", ion::Value::Struct(attributes)) => {
                let mut map = serde_json::Map::new();
                for (attribute, value) in attributes {
                    map.insert(attribute, value.into_json()?);
                }
                serde_json::Value::Object(map)
            }
            ("ExpressionAttributeNames", ion::Value::Struct(names)) => {
                let mut map = serde_json::Map::new();
                for (placeholder, value) in names {
                    let ion::Value::String(name) = value else {
                        return Err(format!("{SHAPE}: an attribute name is not a string"));
                    };
                    map.insert(placeholder, name.into());
                }
                serde_json::Value::Object(map)
            }
            ("ConditionExpression", ion::Value::String(text)) => text.into(),
            (other, _) => return Err(format!("{SHAPE}: unexpected field {other}")),
        };
        record.insert(name_of(&record, &name)?, json);
    }
    serde_json::from_value(serde_json::Value::Object(record))
        .map_err(|e| format!("not a bulk put record: {e}"))
}

/// A field's name, once: a struct naming a field twice is not a record.
fn name_of(
    record: &serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Result<String, String> {
    if record.contains_key(name) {
        return Err(format!("the field {name} appears twice"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(format: BulkInputFormat, text: &str) -> Vec<Record> {
        let mut records = Vec::new();
        visit_records(format, text, &mut |_, r| records.push(r));
        records
    }

    #[test]
    fn json_lines_give_items_with_their_conditions() {
        let text = r##"{"Item":{"pk":{"S":"a"}}}

{"Item":{"pk":{"S":"b"}},"ConditionExpression":"#v < :v","ExpressionAttributeNames":{"#v":"v"},"ExpressionAttributeValues":{":v":{"N":"2"}}}
{"Item":{"pk":{"S":"c"}},"Unknown":1}
not json
"##;
        let records = all(BulkInputFormat::DynamoDbJson, text);
        assert_eq!(records.len(), 4);
        let first = records[0].as_ref().unwrap();
        assert!(first.condition_expression.is_none());
        let second = records[1].as_ref().unwrap();
        assert_eq!(second.condition_expression.as_deref(), Some("#v < :v"));
        assert_eq!(
            second.expression_attribute_names.as_ref().unwrap()["#v"],
            "v"
        );
        assert_eq!(
            second.expression_attribute_values.as_ref().unwrap().len(),
            1
        );
        assert!(records[2].is_err() && records[3].is_err());
    }

    #[test]
    fn ion_structs_read_as_the_json_records() {
        let ion = r#"$ion_1_0 {Item:{pk:"a",n:12}} {Item:{pk:"b"},ConditionExpression:"attribute_not_exists(pk) OR #n < :n",ExpressionAttributeNames:{'#n':"n"},ExpressionAttributeValues:{':n':5}}"#;
        let json = r##"{"Item":{"pk":{"S":"a"},"n":{"N":"12"}}}
{"Item":{"pk":{"S":"b"}},"ConditionExpression":"attribute_not_exists(pk) OR #n < :n","ExpressionAttributeNames":{"#n":"n"},"ExpressionAttributeValues":{":n":{"N":"5"}}}"##;
        let from_ion = all(BulkInputFormat::Ion, ion);
        let from_json = all(BulkInputFormat::DynamoDbJson, json);
        assert_eq!(from_ion.len(), 2);
        for (a, b) in from_ion.iter().zip(&from_json) {
            assert_eq!(a.as_ref().unwrap(), b.as_ref().unwrap());
        }
        assert!(all(BulkInputFormat::Ion, "{Item:{pk:\"a\"},Other:1}")[0].is_err());
        assert!(all(BulkInputFormat::Ion, "{Item:{pk:\"a\"},Item:{pk:\"b\"}}")[0].is_err());
    }
}
