//! DynamoDB's capacity-unit arithmetic and the ConsumedCapacity it reports.
//!
//! A read unit covers 4 KB read with strong consistency (half a unit when
//! eventually consistent); a write unit covers 1 KB written. Sizes round up
//! and every request costs at least one unit (half for an eventually
//! consistent read). Transactional requests cost double.

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

/// Capacity consumed by one request on one table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Consumed {
    pub table_units: f64,
    pub read_units: f64,
    pub write_units: f64,
}

impl Consumed {
    pub fn read(units: f64) -> Self {
        Consumed {
            table_units: units,
            read_units: units,
            write_units: 0.0,
        }
    }

    pub fn write(units: f64) -> Self {
        Consumed {
            table_units: units,
            read_units: 0.0,
            write_units: units,
        }
    }

    /// The ConsumedCapacity object, or None when the client did not ask.
    pub fn report(&self, table: &str, mode: ReturnCapacity) -> Option<Value> {
        let mut out = Map::new();
        match mode {
            ReturnCapacity::None => return None,
            ReturnCapacity::Total => {}
            ReturnCapacity::Indexes => {
                out.insert("Table".into(), json!({ "CapacityUnits": self.table_units }));
            }
        }
        out.insert("TableName".into(), table.into());
        out.insert("CapacityUnits".into(), self.table_units.into());
        if self.read_units > 0.0 {
            out.insert("ReadCapacityUnits".into(), self.read_units.into());
        }
        if self.write_units > 0.0 {
            out.insert("WriteCapacityUnits".into(), self.write_units.into());
        }
        Some(Value::Object(out))
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
            json!({"TableName": "t", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0})
        );
        assert_eq!(
            c.report("t", ReturnCapacity::Indexes).unwrap()["Table"],
            json!({"CapacityUnits": 2.0})
        );
    }
}
