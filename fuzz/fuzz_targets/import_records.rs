//! Any object ImportTable reads — DynamoDB JSON lines, Amazon Ion text or
//! CSV — becomes items and per-record errors: never a panic or a stack
//! overflow. Every item read is a valid item, and writing it as an export
//! does, in either format, and reading that back gives the same item.
//!
//! Input: the first byte picks the format (DynamoDB JSON, Ion, CSV with a
//! header line, CSV with `|` and a given header list); the rest is the
//! object's text. Records are typed for the fixture's table `comp`
//! (`pk` S, `sk` N, `gk` S, `lk` B).
#![no_main]

#[path = "fixture.rs"]
mod fixture;

use dynalith_core::exports::item_lines::Format;
use dynalith_core::imports::item_sources::{records, InputFormat};
use libfuzzer_sys::fuzz_target;

fn read_back(format: Format, input: InputFormat, item: &dynalith_model::Item, table: &dynalith_core::catalog::TableMeta) {
    let json = serde_json::to_vec(item).expect("an item serializes");
    let mut text = format.file_header().to_vec();
    format.write_line(&mut text, &json, Some(item));
    let back = records(&input, table, std::str::from_utf8(&text).expect("exports write UTF-8"));
    assert_eq!(back.len(), 1, "{format:?} wrote {:?}", String::from_utf8_lossy(&text));
    assert_eq!(back[0].as_ref().expect("an exported item reads back"), item, "{format:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let db = fixture::database(fixture::INDEXED_TABLES);
    let table = db.catalog().get("comp").expect("fixture table");
    let input = match selector % 4 {
        0 => InputFormat::DynamoDbJson,
        1 => InputFormat::Ion,
        2 => InputFormat::Csv { delimiter: b',', header: None },
        _ => InputFormat::Csv {
            delimiter: b'|',
            header: Some(["pk", "sk", "gk", "lk", "v"].map(String::from).to_vec()),
        },
    };
    let text = String::from_utf8_lossy(rest);
    for item in records(&input, &table, &text).into_iter().flatten() {
        read_back(Format::DynamoDbJson, InputFormat::DynamoDbJson, &item, &table);
        read_back(Format::Ion, InputFormat::Ion, &item, &table);
    }
});
