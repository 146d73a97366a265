//! Random values for the differential test: all ten types (nested maps
//! and lists, sets, numbers written with various exponents, empty strings
//! and binaries), items, and document paths — half the time paths that
//! exist in the item's last known state.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue as Av;
use rand::rngs::StdRng;
use rand::Rng;
use std::collections::HashMap;

pub type Item = HashMap<String, Av>;

/// Top-level attribute names besides the key (`pk` S, `sk` N). `size` and
/// `name` are reserved words and `x y` is not a valid token, so those need
/// `#placeholders`.
const NAMES: &[&str] = &[
    "a", "b", "c", "m", "l", "s", "n", "ss", "ns", "bs", "size", "name", "x y",
];
const MAP_KEYS: &[&str] = &["x", "y", "z", "name"];
const STRINGS: &[&str] = &[
    "", "a", "ab", "abc", "b", "ba", "A", "é", "😀", "a😀", "zz", "x y",
];
/// Equal values in different spellings (100, 1e2, 1E+2, 0.1e3) included.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "10",
    "100",
    "1e2",
    "1E+2",
    "0.1e3",
    "100.00",
    "1.5",
    "-2.5",
    "1.50",
    "-0",
    "0.000",
    "12.345e-2",
    "0.5",
    "1e10",
    "1E-10",
    "1e-130",
    "-1e-130",
    "9.9999999999999999999999999999999999999E+125",
    "-9.9999999999999999999999999999999999999E+125",
    "12345678901234567890123456789012345678",
    "0.00000000000000000000000000000000000001",
];
/// Pairwise numerically distinct, for number sets.
const SET_NUMBERS: &[&str] = &["1", "2", "-1", "1.5", "10", "1e-5", "100000", "0"];
const BINARIES: &[&[u8]] = &[b"", b"\x00", b"\x01", b"\x01\x02", b"\xff", b"ab", b"a"];
/// A request's ExpressionAttributeNames and ExpressionAttributeValues,
/// filled while expressions are generated.
#[derive(Default, Clone, Debug)]
pub struct Bindings {
    pub names: HashMap<String, String>,
    pub values: HashMap<String, Av>,
}

impl Bindings {
    pub(crate) fn name(&mut self, name: &str) -> String {
        if let Some((placeholder, _)) = self.names.iter().find(|(_, n)| n.as_str() == name) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), name.to_string());
        placeholder
    }

    pub(crate) fn value(&mut self, value: Av) -> String {
        // The count only grows, so the placeholder is always new.
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }
}

pub struct Generator {
    pub rng: StdRng,
}

fn needs_placeholder(name: &str) -> bool {
    name == "size" || name == "name" || name.contains(' ')
}

impl Generator {
    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.rng.random_range(0..n)
    }

    pub fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[self.below(items.len())]
    }

    // ---------------------------------------------------------------- values

    pub fn string(&mut self) -> Av {
        Av::S(self.pick(STRINGS).to_string())
    }

    pub fn number(&mut self) -> Av {
        Av::N(self.pick(NUMBERS).to_string())
    }

    pub fn binary(&mut self) -> Av {
        Av::B(Blob::new(self.pick(BINARIES).to_vec()))
    }

    pub(crate) fn distinct<T: Clone + PartialEq>(&mut self, pool: &[T]) -> Vec<T> {
        let wanted = 1 + self.below(3);
        let mut out: Vec<T> = Vec::new();
        while out.len() < wanted {
            let candidate = self.pick(pool).clone();
            if !out.contains(&candidate) {
                out.push(candidate);
            }
        }
        out
    }

    pub fn set(&mut self, kind: usize) -> Av {
        match kind {
            0 => Av::Ss(
                self.distinct(&STRINGS[1..])
                    .into_iter()
                    .map(String::from)
                    .collect(),
            ),
            1 => Av::Ns(
                self.distinct(SET_NUMBERS)
                    .into_iter()
                    .map(String::from)
                    .collect(),
            ),
            _ => Av::Bs(
                self.distinct(&BINARIES[1..])
                    .into_iter()
                    .map(|b| Blob::new(b.to_vec()))
                    .collect(),
            ),
        }
    }

    pub fn scalar(&mut self) -> Av {
        match self.below(3) {
            0 => self.string(),
            1 => self.number(),
            _ => self.binary(),
        }
    }

    /// Any of the ten types; containers nest up to three levels.
    pub fn value(&mut self, depth: u32) -> Av {
        let kinds = if depth >= 3 { 8 } else { 10 };
        match self.below(kinds) {
            0 => self.string(),
            1 => self.number(),
            2 => self.binary(),
            3 => Av::Bool(self.chance(0.5)),
            4 => Av::Null(true),
            5 => self.set(0),
            6 => self.set(1),
            7 => self.set(2),
            8 => Av::L((0..self.below(4)).map(|_| self.value(depth + 1)).collect()),
            _ => Av::M(self.map(depth)),
        }
    }

    pub(crate) fn map(&mut self, depth: u32) -> HashMap<String, Av> {
        (0..self.below(4))
            .map(|_| (self.pick(MAP_KEYS).to_string(), self.value(depth + 1)))
            .collect()
    }

    /// A value of the type an attribute name suggests, most of the time.
    pub(crate) fn typed_value(&mut self, name: &str) -> Av {
        if self.chance(0.3) {
            return self.value(0);
        }
        match name {
            "m" => Av::M(self.map(0)),
            "l" => Av::L((0..self.below(5)).map(|_| self.value(1)).collect()),
            "s" | "name" => self.string(),
            "n" | "size" => self.number(),
            "ss" => self.set(0),
            "ns" => self.set(1),
            "bs" => self.set(2),
            _ => self.value(0),
        }
    }

    /// A value that is usually invalid in an item.
    pub(crate) fn invalid_value(&mut self) -> Av {
        match self.below(8) {
            0 => Av::Ss(vec![]),
            1 => Av::Ns(vec!["1".into(), "1.0".into()]),
            2 => Av::Ss(vec!["a".into(), "a".into()]),
            3 => Av::Ss(vec!["".into(), "a".into()]),
            4 => Av::N(
                self.pick(&[
                    "1e126",
                    "1e-131",
                    "123456789012345678901234567890123456789",
                    "abc",
                    "",
                    " 1",
                    "1.",
                    ".5",
                    "+1",
                    "0x10",
                ])
                .to_string(),
            ),
            5 => Av::Bs(vec![Blob::new(b"".to_vec())]),
            6 => Av::M(HashMap::from([("x".to_string(), Av::Ns(vec![]))])),
            _ => Av::L(vec![Av::N("1e999".into())]),
        }
    }

    pub fn key(&mut self, keys: usize) -> Item {
        let i = self.below(keys);
        HashMap::from([
            ("pk".to_string(), Av::S(format!("k{i}"))),
            ("sk".to_string(), Av::N("1".into())),
        ])
    }

    /// An item for `key`: each attribute present with probability 1/2.
    pub fn item(&mut self, key: &Item, allow_invalid: bool) -> Item {
        let mut item = key.clone();
        for name in NAMES {
            if self.chance(0.5) {
                let value = self.typed_value(name);
                item.insert(name.to_string(), value);
            }
        }
        if allow_invalid && self.chance(0.04) {
            let value = self.invalid_value();
            item.insert(self.pick(NAMES).to_string(), value);
        }
        if allow_invalid && self.chance(0.02) {
            match self.below(3) {
                0 => item.remove("sk"),
                1 => item.insert("pk".into(), Av::S(String::new())),
                _ => item.insert("sk".into(), Av::S("1".into())),
            };
        }
        item
    }

    // ----------------------------------------------------------------- paths

    pub(crate) fn render_name(&mut self, name: &str, bindings: &mut Bindings) -> String {
        let placeholder = if needs_placeholder(name) {
            !self.chance(0.01)
        } else {
            self.chance(0.25)
        };
        if placeholder {
            bindings.name(name)
        } else {
            name.to_string()
        }
    }

    /// A document path: half the time one that exists in `item`.
    pub fn path(&mut self, item: Option<&Item>, bindings: &mut Bindings) -> String {
        self.path_top(item, bindings, false).0
    }

    /// A path and its top-level attribute. Paths to write (`for_write`)
    /// avoid the key attributes and reach into existing containers more.
    pub(crate) fn path_top(
        &mut self,
        item: Option<&Item>,
        bindings: &mut Bindings,
        for_write: bool,
    ) -> (String, String) {
        let from_item = if for_write { 0.7 } else { 0.5 };
        if let Some(item) = item.filter(|_| self.chance(from_item)) {
            let names: Vec<&String> = item
                .keys()
                .filter(|k| !for_write || (k.as_str() != "pk" && k.as_str() != "sk"))
                .collect();
            if !names.is_empty() {
                let name = names[self.below(names.len())].clone();
                let mut text = self.render_name(&name, bindings);
                let mut current = &item[&name];
                for _ in 0..3 {
                    if !self.chance(0.6) {
                        break;
                    }
                    match current {
                        Av::M(map) if !map.is_empty() => {
                            let keys: Vec<&String> = map.keys().collect();
                            let key = keys[self.below(keys.len())].clone();
                            text = format!("{text}.{}", self.render_name(&key, bindings));
                            current = &map[&key];
                        }
                        Av::L(list) if !list.is_empty() => {
                            let i = self.below(list.len() + 1);
                            text = format!("{text}[{i}]");
                            match list.get(i) {
                                Some(next) => current = next,
                                None => break,
                            }
                        }
                        _ => break,
                    }
                }
                return (text, name);
            }
        }
        let top = if !for_write && self.chance(0.05) {
            self.pick(&["pk", "sk", "missing"])
        } else {
            self.pick(NAMES)
        };
        let mut text = self.render_name(top, bindings);
        let depth = if !for_write {
            self.below(3)
        } else if self.chance(0.25) {
            1
        } else {
            0
        };
        for _ in 0..depth {
            if self.chance(0.5) {
                let key = self.pick(MAP_KEYS);
                text = format!("{text}.{}", self.render_name(key, bindings));
            } else {
                let i = if self.chance(0.1) { 10 } else { self.below(4) };
                text = format!("{text}[{i}]");
            }
        }
        (text, top.to_string())
    }

    /// A value placeholder: often a value found in `item`, else a scalar,
    /// sometimes any type.
    pub(crate) fn value_operand(&mut self, item: Option<&Item>, bindings: &mut Bindings) -> String {
        let value = match item.filter(|i| !i.is_empty() && self.chance(0.3)) {
            Some(item) => {
                let values: Vec<&Av> = item.values().collect();
                values[self.below(values.len())].clone()
            }
            None if self.chance(0.8) => self.scalar(),
            None => self.value(1),
        };
        bindings.value(value)
    }

    pub(crate) fn operand(&mut self, item: Option<&Item>, bindings: &mut Bindings) -> String {
        match self.below(20) {
            0..=10 => self.path(item, bindings),
            11..=17 => self.value_operand(item, bindings),
            _ => {
                let inner = if self.chance(0.9) {
                    self.path(item, bindings)
                } else {
                    self.value_operand(item, bindings)
                };
                format!("size({inner})")
            }
        }
    }
}
