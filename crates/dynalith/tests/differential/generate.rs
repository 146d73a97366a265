//! Random expressions for the differential test: conditions (every
//! comparator, BETWEEN, IN, AND/OR/NOT with parentheses, each function),
//! updates (SET with arithmetic, if_not_exists and list_append, REMOVE,
//! ADD, DELETE, key attributes) and projections, with their names and
//! values — mostly valid, sometimes deliberately not.

use super::values::{Bindings, Generator, Item};
use aws_sdk_dynamodb::types::AttributeValue as Av;

const TYPES: &[&str] = &["S", "N", "B", "BOOL", "NULL", "L", "M", "SS", "NS", "BS"];
const COMPARATORS: &[&str] = &["=", "<>", "<", "<=", ">", ">="];

/// Broken condition texts; `:x` and `#x` in them are bound to something.
const BROKEN_CONDITIONS: &[&str] = &[
    "a = ",
    "a == :x",
    "(a = :x",
    "a = :x)",
    "attribute_exists()",
    "foo(a)",
    "a IN ()",
    "a BETWEEN :x",
    "NOT",
    "a = :undefined",
    "#undefined = :x",
    "",
    "  ",
    "a = :x AND",
    "attribute_exists(:x)",
    "size(:x) > a",
    "a < :x OR",
    "a.[0] = :x",
    "a[-1] = :x",
    "a[x] = :x",
    "begins_with(a)",
    "contains(a, :x, :x)",
    "a = a",
    "begins_with(a, a)",
    "a IN (a)",
    "attribute_type(a, b)",
    "size(a, b) = :x",
    "a BETWEEN a AND :x",
    "a = #x.#x",
    "A = :x AND b < :x",
    "a = :x AND NOT b",
    "(((a = :x)))",
    "NOT NOT a = :x",
    "a IN (:x, :x)",
    "x y = :x",
];
const BROKEN_UPDATES: &[&str] = &[
    "SET",
    "SET a",
    "SET a =",
    "SET a = :x,",
    "REMOVE",
    "ADD a",
    "DELETE a",
    "SET a = :x SET b = :x",
    "REMOVE a REMOVE b",
    "SET a = :x + ",
    "SET a = :x REMOVE a",
    "SET a = :x, a = :x",
    "SET a.b = :x, a = :x",
    "SET a[0] = :x, a.b = :x",
    "ADD a :x, a :x",
    "SET a = :undefined",
    "SET #undefined = :x",
    "UPDATE a = :x",
    "SET a = b = :x",
    "SET a = size(b)",
    "SET a = :x.b",
    "SET a = if_not_exists(:x, b)",
    "SET a = list_append(:x)",
    "SET a[0][1] = :x",
    "SET a = (:x)",
    "REMOVE a[0], a[1]",
    "REMOVE a.b, a",
    "SET a = :x remove b",
    "set a = :x",
    "SET a = :x + :x + :x",
    "SET a = -:x",
    "DELETE a :x, b :x",
    "ADD a.b[1] :x",
    "SET a=:x,b=:x",
    "",
    "SET a = b, b = a",
];
const BROKEN_PROJECTIONS: &[&str] = &[
    "",
    " ",
    "a,",
    ",a",
    "a,,b",
    "a[x]",
    "a.",
    "a[0",
    "a, a",
    "a.b, a",
    "a[0], a[0].b",
    "a.b, a[0]",
    "#undefined",
    "size",
    "name",
    "a b",
    "a[0][1].c",
    "a.b.c.d",
    "pk, sk",
    "#x, a",
    ":x",
];

impl Generator {
    // ------------------------------------------------------------ conditions

    pub fn condition(&mut self, item: Option<&Item>, bindings: &mut Bindings) -> String {
        if self.chance(0.06) {
            return self.broken(BROKEN_CONDITIONS, bindings);
        }
        self.condition_at(item, bindings, 0)
    }

    fn broken(&mut self, texts: &[&str], bindings: &mut Bindings) -> String {
        let text = self.pick(texts).to_string();
        if text.contains(":x") {
            let value = if self.chance(0.7) {
                Av::N("1".into())
            } else {
                self.value(1)
            };
            bindings.values.insert(":x".into(), value);
        }
        if text.contains("#x") {
            bindings.names.insert("#x".into(), "a".into());
        }
        text
    }

    fn condition_at(&mut self, item: Option<&Item>, bindings: &mut Bindings, depth: u32) -> String {
        let choice = if depth >= 2 {
            self.below(60)
        } else {
            self.below(100)
        };
        match choice {
            0..=19 => {
                let left = self.operand(item, bindings);
                let comparator = self.pick(COMPARATORS);
                let right = self.operand(item, bindings);
                format!("{left} {comparator} {right}")
            }
            20..=27 => {
                let operand = self.operand(item, bindings);
                let (low, high) = self.bounds();
                let (low, high) = (bindings.value(low), bindings.value(high));
                format!("{operand} BETWEEN {low} AND {high}")
            }
            28..=33 => {
                let operand = self.operand(item, bindings);
                let list: Vec<String> = (0..1 + self.below(4))
                    .map(|_| self.value_operand(item, bindings))
                    .collect();
                format!("{operand} IN ({})", list.join(", "))
            }
            34..=59 => self.function(item, bindings),
            60..=74 => {
                let left = self.condition_at(item, bindings, depth + 1);
                let right = self.condition_at(item, bindings, depth + 1);
                let op = if self.chance(0.5) { "AND" } else { "OR" };
                format!("{left} {op} {right}")
            }
            75..=84 => format!("NOT {}", self.parenthesized(item, bindings, depth)),
            _ => self.parenthesized(item, bindings, depth),
        }
    }

    fn parenthesized(
        &mut self,
        item: Option<&Item>,
        bindings: &mut Bindings,
        depth: u32,
    ) -> String {
        let left = self.condition_at(item, bindings, depth + 1);
        let right = self.condition_at(item, bindings, depth + 1);
        let op = if self.chance(0.5) { "AND" } else { "OR" };
        format!("({left} {op} {right})")
    }

    /// BETWEEN bounds: ordered and of one type, sometimes reversed or mixed.
    fn bounds(&mut self) -> (Av, Av) {
        let (a, b) = match self.below(10) {
            0..=2 => (self.number(), self.number()),
            3..=5 => (self.string(), self.string()),
            6 => (self.binary(), self.binary()),
            7 => (self.scalar(), self.scalar()),
            8 => (self.value(1), self.value(1)),
            _ => (self.number(), self.number()),
        };
        if self.chance(0.85) && sort_key(&a) > sort_key(&b) {
            (b, a)
        } else {
            (a, b)
        }
    }

    fn function(&mut self, item: Option<&Item>, bindings: &mut Bindings) -> String {
        let path = self.path(item, bindings);
        match self.below(7) {
            0 => format!("attribute_exists({path})"),
            1 => format!("attribute_not_exists({path})"),
            2 => {
                let t = match self.below(20) {
                    0 => Av::S("X".into()),
                    1 => Av::N("1".into()),
                    _ => Av::S(self.pick(TYPES).to_string()),
                };
                format!("attribute_type({path}, {})", bindings.value(t))
            }
            3 => {
                let prefix = match self.below(10) {
                    0..=5 => self.string(),
                    6..=8 => self.binary(),
                    _ => self.value(1),
                };
                format!("begins_with({path}, {})", bindings.value(prefix))
            }
            4 | 5 => {
                let needle = self.value_operand(item, bindings);
                if self.chance(0.1) {
                    let other = self.path(item, bindings);
                    format!("contains({path}, {other})")
                } else {
                    format!("contains({path}, {needle})")
                }
            }
            _ => {
                let comparator = self.pick(COMPARATORS);
                let n = bindings.value(Av::N(self.below(5).to_string()));
                format!("size({path}) {comparator} {n}")
            }
        }
    }

    // --------------------------------------------------------------- updates

    pub fn update(&mut self, item: Option<&Item>, bindings: &mut Bindings) -> String {
        if self.chance(0.05) {
            return self.broken(BROKEN_UPDATES, bindings);
        }
        let mut clauses = Vec::new();
        let mut used = Vec::new();
        if self.chance(0.8) {
            let actions: Vec<String> = (0..1 + self.below(3))
                .map(|_| self.set_action(item, bindings, &mut used))
                .collect();
            clauses.push(format!("SET {}", actions.join(", ")));
        }
        if self.chance(0.3) {
            let paths: Vec<String> = (0..1 + self.below(2))
                .map(|_| self.target(item, bindings, &mut used))
                .collect();
            clauses.push(format!("REMOVE {}", paths.join(", ")));
        }
        if self.chance(0.35) || clauses.is_empty() {
            let actions: Vec<String> = (0..1 + self.below(2))
                .map(|_| {
                    let path = self.target(item, bindings, &mut used);
                    let value = match self.below(20) {
                        0..=9 => self.number(),
                        10..=12 => self.set(0),
                        13..=15 => self.set(1),
                        16..=18 => self.set(2),
                        _ => self.value(1),
                    };
                    format!("{path} {}", bindings.value(value))
                })
                .collect();
            clauses.push(format!("ADD {}", actions.join(", ")));
        }
        if self.chance(0.2) {
            let path = self.target(item, bindings, &mut used);
            let kind = self.below(3);
            let value = if self.chance(0.9) {
                self.set(kind)
            } else {
                self.value(1)
            };
            clauses.push(format!("DELETE {path} {}", bindings.value(value)));
        }
        // Clause order is free.
        if clauses.len() > 1 && self.chance(0.3) {
            clauses.reverse();
        }
        clauses.join(" ")
    }

    /// A path an update writes: now and then a key attribute; mostly on
    /// a top-level attribute no other action of the update writes (so
    /// overlaps stay occasional).
    fn target(
        &mut self,
        item: Option<&Item>,
        bindings: &mut Bindings,
        used: &mut Vec<String>,
    ) -> String {
        if self.chance(0.03) {
            return self.pick(&["pk", "sk"]).to_string();
        }
        let saved = bindings.clone();
        let mut attempt = self.path_top(item, bindings, true);
        for _ in 0..4 {
            if !used.contains(&attempt.1) || self.chance(0.1) {
                break;
            }
            // A discarded attempt must not leave unused names behind.
            *bindings = saved.clone();
            attempt = self.path_top(item, bindings, true);
        }
        used.push(attempt.1);
        attempt.0
    }

    fn set_action(
        &mut self,
        item: Option<&Item>,
        bindings: &mut Bindings,
        used: &mut Vec<String>,
    ) -> String {
        let target = self.target(item, bindings, used);
        let rhs = match self.below(20) {
            0..=7 => {
                let v = self.value(1);
                bindings.value(v)
            }
            8..=9 => self.path(item, bindings),
            10..=12 => {
                let left = self.arithmetic_operand(item, bindings);
                let right = self.arithmetic_operand(item, bindings);
                let op = if self.chance(0.5) { "+" } else { "-" };
                format!("{left} {op} {right}")
            }
            13..=15 => {
                let path = self.path(item, bindings);
                let fallback = self.value_operand(item, bindings);
                format!("if_not_exists({path}, {fallback})")
            }
            _ => {
                let list = Av::L((0..self.below(3)).map(|_| self.scalar()).collect());
                let list = bindings.value(list);
                let path = self.path(item, bindings);
                match self.below(4) {
                    0 => format!("list_append({list}, {path})"),
                    1 => {
                        let empty = bindings.value(Av::L(vec![]));
                        format!("list_append(if_not_exists({path}, {empty}), {list})")
                    }
                    _ => format!("list_append({path}, {list})"),
                }
            }
        };
        format!("{target} = {rhs}")
    }

    fn arithmetic_operand(&mut self, item: Option<&Item>, bindings: &mut Bindings) -> String {
        match self.below(10) {
            0 | 1 => self.path(item, bindings),
            2 | 3 => {
                // An attribute that usually holds a number.
                let name = if self.chance(0.5) { "n" } else { "size" };
                self.render_name(name, bindings)
            }
            4..=8 => {
                let n = self.number();
                bindings.value(n)
            }
            _ => self.value_operand(item, bindings),
        }
    }

    // ----------------------------------------------------------- projections

    pub fn projection(&mut self, item: Option<&Item>, bindings: &mut Bindings) -> String {
        if self.chance(0.06) {
            return self.broken(BROKEN_PROJECTIONS, bindings);
        }
        let mut used: Vec<String> = Vec::new();
        let mut paths = Vec::new();
        for _ in 0..1 + self.below(4) {
            let saved = bindings.clone();
            let mut attempt = self.path_top(item, bindings, false);
            for _ in 0..4 {
                if !used.contains(&attempt.1) || self.chance(0.1) {
                    break;
                }
                *bindings = saved.clone();
                attempt = self.path_top(item, bindings, false);
            }
            used.push(attempt.1);
            paths.push(attempt.0);
        }
        paths.join(", ")
    }
}

/// An order for BETWEEN bounds of one type (type first, so mixed types
/// stay mixed).
fn sort_key(value: &Av) -> (u8, Vec<u8>, Option<crate::differential::normalize::Decimal>) {
    match value {
        Av::N(n) => (
            1,
            Vec::new(),
            crate::differential::normalize::Decimal::parse(n),
        ),
        Av::S(s) => (0, s.as_bytes().to_vec(), None),
        Av::B(b) => (2, b.as_ref().to_vec(), None),
        _ => (3, Vec::new(), None),
    }
}
