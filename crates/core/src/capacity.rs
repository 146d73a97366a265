//! DynamoDB's capacity-unit arithmetic and the ConsumedCapacity it reports.
//!
//! A read unit covers 4 KB read with strong consistency (half a unit when
//! eventually consistent); a write unit covers 1 KB written. Sizes round up
//! and every request costs at least one unit (half for an eventually
//! consistent read). Transactional requests cost double.
//!
//! What the report holds follows DynamoDB (recorded against it in
//! eu-west-2, 2026-07, by the paritysuite conformance suite): the single-item,
//! Query, Scan and batch operations report `CapacityUnits` alone; only the
//! transactions split it into `ReadCapacityUnits` and `WriteCapacityUnits`,
//! at the top and in the `Table` entry.

use crate::catalog::IndexKind;
use crate::index::IndexUnits;
use dynalith_model::DynamoError;
use serde_json::{json, Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnCapacity {
    None,
    Total,
    Indexes,
}

impl ReturnCapacity {
    /// The value was checked against the enum by validation already.
    pub fn parse(value: Option<&str>) -> ReturnCapacity {
        match value {
            Some("TOTAL") => ReturnCapacity::Total,
            Some("INDEXES") => ReturnCapacity::Indexes,
            _ => ReturnCapacity::None,
        }
    }
}

const READ_UNIT: usize = 4096;
const WRITE_UNIT: usize = 1024;

fn units(size: usize, unit: usize) -> f64 {
    size.div_ceil(unit).max(1) as f64
}

pub fn read_units(size: usize, consistent: bool) -> f64 {
    let strong = units(size, READ_UNIT);
    if consistent {
        strong
    } else {
        strong / 2.0
    }
}

pub fn write_units(size: usize) -> f64 {
    units(size, WRITE_UNIT)
}

/// Capacity consumed by one request on one table and its indexes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Consumed {
    pub table_units: f64,
    /// The read units of `table_units` (the rest were written).
    pub table_read_units: f64,
    /// Totals over the table and its indexes.
    pub read_units: f64,
    pub write_units: f64,
    /// Units charged to each index, in the order they were charged.
    pub indexes: Vec<IndexUnits>,
    /// VectorWriteRequestBytes of each vector index written, in bytes
    /// rather than units and outside CapacityUnits (`vectors::capacity`).
    pub vector_bytes: Vec<(String, usize)>,
}

impl Consumed {
    pub fn read(units: f64) -> Self {
        Consumed {
            table_units: units,
            table_read_units: units,
            read_units: units,
            ..Consumed::default()
        }
    }

    pub fn write(units: f64) -> Self {
        Consumed {
            table_units: units,
            write_units: units,
            ..Consumed::default()
        }
    }

    /// Adds what indexes were charged for reading (`read`) or writing.
    pub fn with_indexes(mut self, indexes: &[IndexUnits], read: bool) -> Self {
        for charge in indexes {
            if read {
                self.read_units += charge.units;
            } else {
                self.write_units += charge.units;
            }
            match self.indexes.iter_mut().find(|c| c.name == charge.name) {
                Some(existing) => existing.units += charge.units,
                None => self.indexes.push(charge.clone()),
            }
        }
        self
    }

    /// Adds what another request (or part of one) on the same table
    /// consumed.
    pub fn add(&mut self, other: &Consumed) {
        self.table_units += other.table_units;
        self.table_read_units += other.table_read_units;
        self.read_units += other.read_units;
        self.write_units += other.write_units;
        for charge in &other.indexes {
            match self.indexes.iter_mut().find(|c| c.name == charge.name) {
                Some(existing) => existing.units += charge.units,
                None => self.indexes.push(charge.clone()),
            }
        }
        for (name, bytes) in &other.vector_bytes {
            match self.vector_bytes.iter_mut().find(|(n, _)| n == name) {
                Some((_, existing)) => *existing += bytes,
                None => self.vector_bytes.push((name.clone(), *bytes)),
            }
        }
    }

    fn total_units(&self) -> f64 {
        self.table_units + self.indexes.iter().map(|i| i.units).sum::<f64>()
    }

    /// The ConsumedCapacity object, or None when the client did not ask.
    pub fn report(&self, table: &str, mode: ReturnCapacity) -> Option<Value> {
        self.report_with(table, mode, false)
    }

    /// The ConsumedCapacity object of a transaction: the units split into
    /// reads and writes too.
    pub fn report_transactional(&self, table: &str, mode: ReturnCapacity) -> Option<Value> {
        self.report_with(table, mode, true)
    }

    fn report_with(&self, table: &str, mode: ReturnCapacity, split: bool) -> Option<Value> {
        let mut out = Map::new();
        match mode {
            ReturnCapacity::None => return None,
            ReturnCapacity::Total => {}
            ReturnCapacity::Indexes => {
                let mut on_table = Map::new();
                on_table.insert("CapacityUnits".into(), self.table_units.into());
                if split {
                    let table_write_units = self.table_units - self.table_read_units;
                    insert_split(&mut on_table, self.table_read_units, table_write_units);
                }
                out.insert("Table".into(), Value::Object(on_table));
                for (kind, member) in [
                    (IndexKind::Global, "GlobalSecondaryIndexes"),
                    (IndexKind::Local, "LocalSecondaryIndexes"),
                ] {
                    let charged: Map<String, Value> = self
                        .indexes
                        .iter()
                        .filter(|i| i.kind == kind)
                        .map(|i| (i.name.clone(), json!({ "CapacityUnits": i.units })))
                        .collect();
                    if !charged.is_empty() {
                        out.insert(member.into(), Value::Object(charged));
                    }
                }
                if !self.vector_bytes.is_empty() {
                    let written: Map<String, Value> = (self.vector_bytes.iter())
                        .map(|(name, bytes)| {
                            (name.clone(), json!({ "VectorWriteRequestBytes": bytes }))
                        })
                        .collect();
                    out.insert("VectorIndexes".into(), Value::Object(written));
                }
            }
        }
        out.insert("TableName".into(), table.into());
        out.insert("CapacityUnits".into(), self.total_units().into());
        if split {
            insert_split(&mut out, self.read_units, self.write_units);
        }
        Some(Value::Object(out))
    }
}

/// The read and write parts of a transaction's units, each when not zero.
fn insert_split(out: &mut Map<String, Value>, read_units: f64, write_units: f64) {
    if read_units > 0.0 {
        out.insert("ReadCapacityUnits".into(), read_units.into());
    }
    if write_units > 0.0 {
        out.insert("WriteCapacityUnits".into(), write_units.into());
    }
}

/// Inserts `ConsumedCapacity` into a response object when asked for.
pub fn attach(
    response: &mut Map<String, Value>,
    consumed: &Consumed,
    table: &str,
    mode: ReturnCapacity,
) -> Result<(), DynamoError> {
    if let Some(report) = consumed.report(table, mode) {
        response.insert("ConsumedCapacity".into(), report);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_up_with_a_minimum() {
        assert_eq!(read_units(0, true), 1.0);
        assert_eq!(read_units(0, false), 0.5);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(4097, false), 1.0);
        assert_eq!(write_units(1024), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(write_units(400 * 1024), 400.0);
    }

    #[test]
    fn reports_follow_the_requested_detail() {
        let c = Consumed::write(2.0);
        assert_eq!(c.report("t", ReturnCapacity::None), None);
        assert_eq!(
            c.report("t", ReturnCapacity::Total).unwrap(),
            json!({"TableName": "t", "CapacityUnits": 2.0})
        );
        assert_eq!(
            c.report("t", ReturnCapacity::Indexes).unwrap()["Table"],
            json!({"CapacityUnits": 2.0})
        );
    }

    #[test]
    fn transactions_split_reads_from_writes() {
        let mut c = Consumed::write(4.0);
        c.add(&Consumed::read(2.0));
        assert_eq!(
            c.report_transactional("t", ReturnCapacity::Total).unwrap(),
            json!({"TableName": "t", "CapacityUnits": 6.0,
                   "ReadCapacityUnits": 2.0, "WriteCapacityUnits": 4.0})
        );
        assert_eq!(
            c.report_transactional("t", ReturnCapacity::Indexes)
                .unwrap()["Table"],
            json!({"CapacityUnits": 6.0, "ReadCapacityUnits": 2.0, "WriteCapacityUnits": 4.0})
        );
        let read = Consumed::read(2.0);
        assert_eq!(
            read.report_transactional("t", ReturnCapacity::Indexes)
                .unwrap()["Table"],
            json!({"CapacityUnits": 2.0, "ReadCapacityUnits": 2.0})
        );
    }
}
