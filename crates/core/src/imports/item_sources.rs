//! Reading the items of one source object of an import, in the three
//! formats ImportTable takes: DynamoDB JSON (one `{"Item":{...}}` per
//! line, as exports write it), Amazon Ion text (`{Item:{...}}` values, as
//! exports write it) and CSV (a header of attribute names, then one item
//! per row: key attributes typed by the table's definitions, every other
//! column a string).

use super::ion;
use crate::catalog::{ScalarType, TableMeta};
use dynalith_model::{AttributeValue, Item};

/// The import formats (InputFormat).
#[derive(Clone, Debug, PartialEq)]
pub enum InputFormat {
    DynamoDbJson,
    Ion,
    Csv {
        delimiter: u8,
        /// Column names when the files have no header line.
        header: Option<Vec<String>>,
    },
}

/// An item read, or why a record is not one (the import's ErrorCount).
pub type Record = Result<Item, String>;

/// The records of one (decompressed) source object, one at a time, so that
/// only one item of a large object is held at once.
pub fn visit_records(
    format: &InputFormat,
    table: &TableMeta,
    text: &str,
    visit: &mut dyn FnMut(Record),
) {
    match format {
        InputFormat::DynamoDbJson => text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .for_each(|line| visit(dynamodb_json_record(line))),
        InputFormat::Ion => {
            // A value that cannot be read ends the object: Ion text has no
            // line structure to resume at.
            if let Err(e) = ion::visit_values(text, &mut |value| visit(ion_record(value))) {
                visit(Err(e));
            }
        }
        InputFormat::Csv { delimiter, header } => {
            csv_records(table, text, *delimiter, header, visit)
        }
    }
}

/// The records of one source object, all at once.
pub fn records(format: &InputFormat, table: &TableMeta, text: &str) -> Vec<Record> {
    let mut all = Vec::new();
    visit_records(format, table, text, &mut |record| all.push(record));
    all
}

fn dynamodb_json_record(line: &str) -> Record {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Line {
        #[serde(rename = "Item")]
        item: Item,
    }
    serde_json::from_str::<Line>(line)
        .map(|l| l.item)
        .map_err(|e| format!("not a DynamoDB JSON item line: {e}"))
}

fn ion_record(value: ion::Value) -> Record {
    let ion::Value::Struct(mut fields) = value else {
        return Err("not an Ion item value ({Item:{...}})".into());
    };
    let attributes = match fields.pop() {
        Some((name, ion::Value::Struct(attributes))) if name == "Item" && fields.is_empty() => {
            attributes
        }
        _ => return Err("not an Ion item value ({Item:{...}})".into()),
    };
    let mut item = serde_json::Map::new();
    for (name, value) in attributes {
        item.insert(name, value.into_json()?);
    }
    serde_json::from_value(serde_json::Value::Object(item))
        .map_err(|e| format!("not a valid item: {e}"))
}

fn csv_records(
    table: &TableMeta,
    text: &str,
    delimiter: u8,
    header: &Option<Vec<String>>,
    visit: &mut dyn FnMut(Record),
) {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(header.is_none())
        .flexible(true)
        .from_reader(text.as_bytes());
    let names: Vec<String> = match header {
        Some(names) => names.clone(),
        None => match reader.headers() {
            Ok(h) => h.iter().map(str::to_string).collect(),
            Err(e) => return visit(Err(format!("unreadable CSV header: {e}"))),
        },
    };
    for row in reader.records() {
        visit(csv_record(table, &names, row));
    }
}

fn csv_record(
    table: &TableMeta,
    names: &[String],
    row: Result<csv::StringRecord, csv::Error>,
) -> Record {
    let row = row.map_err(|e| format!("unreadable CSV row: {e}"))?;
    if row.len() != names.len() {
        return Err(format!(
            "a CSV row has {} columns where the header has {}",
            row.len(),
            names.len()
        ));
    }
    let mut item = Item::new();
    for (name, cell) in names.iter().zip(row.iter()) {
        if let Some(value) = csv_value(table, name, cell)? {
            item.insert(name.clone(), value);
        }
    }
    Ok(item)
}

/// A CSV cell as an attribute: typed as the table defines the attribute
/// (a key of the table or an index), a string otherwise; an empty cell is
/// no attribute.
fn csv_value(table: &TableMeta, name: &str, cell: &str) -> Result<Option<AttributeValue>, String> {
    if cell.is_empty() {
        return Ok(None);
    }
    let defined = table
        .attribute_definitions
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.scalar_type);
    let as_json = match defined {
        Some(ScalarType::N) => serde_json::json!({ "N": cell }),
        Some(ScalarType::B) => serde_json::json!({ "B": cell }),
        Some(ScalarType::S) | None => serde_json::json!({ "S": cell }),
    };
    serde_json::from_value(as_json)
        .map(Some)
        .map_err(|e| format!("CSV column {name}: {e}"))
}
