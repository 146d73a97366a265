//! A reader of the Amazon Ion text that DynamoDB's Ion exports and imports
//! use: nulls, booleans, integers and decimals, strings (short and long),
//! blobs, structs, lists, comments and annotations (`$dynamodb_SS::[...]`).
//! Timestamps, clobs, s-expressions and symbol values are not DynamoDB
//! types and are refused. Values become DynamoDB JSON, which the model's
//! parser then validates like any request's.

use base64::Engine as _;
use serde_json::{json, Value as Json};

/// One Ion value, as far as DynamoDB items need.
#[derive(Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// An integer or decimal, as DynamoDB number text.
    Number(String),
    String(String),
    Blob(Vec<u8>),
    Struct(Vec<(String, Value)>),
    List(Vec<Value>),
    Annotated(String, Box<Value>),
}

/// Deepest nesting read; DynamoDB's own limit (32) is checked later.
const MAX_DEPTH: usize = 64;

impl Value {
    /// The attribute value in DynamoDB JSON.
    pub fn into_json(self) -> Result<Json, String> {
        Ok(match self {
            Value::Null => json!({ "NULL": true }),
            Value::Bool(b) => json!({ "BOOL": b }),
            Value::Number(n) => json!({ "N": n }),
            Value::String(s) => json!({ "S": s }),
            Value::Blob(b) => json!({ "B": base64::engine::general_purpose::STANDARD.encode(b) }),
            Value::Struct(fields) => {
                let mut map = serde_json::Map::new();
                for (name, value) in fields {
                    map.insert(name, value.into_json()?);
                }
                json!({ "M": map })
            }
            Value::List(values) => json!({
                "L": values.into_iter().map(Value::into_json).collect::<Result<Vec<_>, _>>()?
            }),
            Value::Annotated(annotation, value) => {
                let Value::List(members) = *value else {
                    return Err(format!("{annotation} annotates a value that is not a list"));
                };
                let (tag, members): (&str, Result<Vec<Json>, String>) =
                    match annotation.as_str() {
                        "$dynamodb_SS" => (
                            "SS",
                            members
                                .into_iter()
                                .map(|m| match m {
                                    Value::String(s) => Ok(Json::String(s)),
                                    _ => Err("a string set holds a value that is not a string"
                                        .to_string()),
                                })
                                .collect(),
                        ),
                        "$dynamodb_NS" => (
                            "NS",
                            members
                                .into_iter()
                                .map(|m| match m {
                                    Value::Number(n) => Ok(Json::String(n)),
                                    _ => Err("a number set holds a value that is not a number"
                                        .to_string()),
                                })
                                .collect(),
                        ),
                        "$dynamodb_BS" => {
                            (
                                "BS",
                                members
                                    .into_iter()
                                    .map(|m| match m {
                                        Value::Blob(b) => Ok(Json::String(
                                            base64::engine::general_purpose::STANDARD.encode(b),
                                        )),
                                        _ => Err("a binary set holds a value that is not a blob"
                                            .to_string()),
                                    })
                                    .collect(),
                            )
                        }
                        other => return Err(format!("unknown annotation {other}")),
                    };
                json!({ tag: members? })
            }
        })
    }
}

/// Every top-level value of `text`, less the version marker `$ion_1_0`,
/// one at a time; stops at the first that cannot be read.
pub fn visit_values(text: &str, visit: &mut dyn FnMut(Value)) -> Result<(), String> {
    let mut reader = Reader {
        bytes: text.as_bytes(),
        at: 0,
    };
    loop {
        reader.skip_blank()?;
        if reader.at == reader.bytes.len() {
            return Ok(());
        }
        if reader.rest().starts_with(b"$ion_1_0") && !reader.continues_symbol(8) {
            reader.at += 8;
            continue;
        }
        visit(reader.value(0)?);
    }
}

/// Every top-level value of `text`, all at once.
pub fn parse_values(text: &str) -> Result<Vec<Value>, String> {
    let mut values = Vec::new();
    visit_values(text, &mut |value| values.push(value))?;
    Ok(values)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

fn is_symbol_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b'$'
}

fn is_symbol_char(b: u8) -> bool {
    is_symbol_start(b) || b.is_ascii_digit()
}

impl Reader<'_> {
    fn rest(&self) -> &[u8] {
        &self.bytes[self.at..]
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn error(&self, what: &str) -> String {
        format!("invalid Ion at byte {}: {what}", self.at)
    }

    fn continues_symbol(&self, offset: usize) -> bool {
        self.bytes
            .get(self.at + offset)
            .is_some_and(|&b| is_symbol_char(b))
    }

    /// Skips whitespace and comments.
    fn skip_blank(&mut self) -> Result<(), String> {
        loop {
            match self.peek() {
                Some(b) if b.is_ascii_whitespace() => self.at += 1,
                Some(b'/') if self.rest().starts_with(b"//") => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.at += 1;
                    }
                }
                Some(b'/') if self.rest().starts_with(b"/*") => {
                    let end = self.rest()[2..]
                        .windows(2)
                        .position(|w| w == b"*/")
                        .ok_or_else(|| self.error("unterminated comment"))?;
                    self.at += end + 4;
                }
                _ => return Ok(()),
            }
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_blank()?;
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", byte as char)))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        self.skip_blank()?;
        let Some(first) = self.peek() else {
            return Err(self.error("a value is missing"));
        };
        match first {
            b'{' if self.rest().starts_with(b"{{") => self.blob(),
            b'{' => self.structure(depth),
            b'[' => self.list(depth),
            b'"' => self.short_string().map(Value::String),
            b'\'' if self.rest().starts_with(b"'''") => self.long_string().map(Value::String),
            b'\'' => {
                let symbol = self.quoted_symbol()?;
                self.annotated(symbol, depth)
            }
            b'-' | b'0'..=b'9' => self.number(),
            b if is_symbol_start(b) => {
                let symbol = self.symbol();
                match symbol.as_str() {
                    "true" => Ok(Value::Bool(true)),
                    "false" => Ok(Value::Bool(false)),
                    "null" => {
                        // A typed null (null.string, ...) is still a null.
                        if self.peek() == Some(b'.') {
                            self.at += 1;
                            self.symbol();
                        }
                        Ok(Value::Null)
                    }
                    _ => self.annotated(symbol, depth),
                }
            }
            _ => Err(self.error("unexpected character")),
        }
    }

    /// A symbol read where a value was expected: only an annotation.
    fn annotated(&mut self, symbol: String, depth: usize) -> Result<Value, String> {
        self.skip_blank()?;
        if self.rest().starts_with(b"::") {
            self.at += 2;
            let value = self.value(depth + 1)?;
            Ok(Value::Annotated(symbol, Box::new(value)))
        } else {
            Err(self.error(&format!("the symbol {symbol} is not a DynamoDB value")))
        }
    }

    fn symbol(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(is_symbol_char) {
            self.at += 1;
        }
        String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned()
    }

    fn quoted_symbol(&mut self) -> Result<String, String> {
        self.quoted(b'\'')
    }

    fn short_string(&mut self) -> Result<String, String> {
        self.quoted(b'"')
    }

    /// Adjacent '''...''' parts make one string.
    fn long_string(&mut self) -> Result<String, String> {
        let mut out = String::new();
        loop {
            self.at += 3;
            loop {
                if self.rest().starts_with(b"'''") {
                    self.at += 3;
                    break;
                }
                out.push(self.string_char()?);
            }
            let saved = self.at;
            self.skip_blank()?;
            if !self.rest().starts_with(b"'''") {
                self.at = saved;
                return Ok(out);
            }
        }
    }

    fn quoted(&mut self, quote: u8) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            if self.peek() == Some(quote) {
                self.at += 1;
                return Ok(out);
            }
            out.push(self.string_char()?);
        }
    }

    /// One character of a string, escapes resolved.
    fn string_char(&mut self) -> Result<char, String> {
        let rest = std::str::from_utf8(self.rest())
            .or_else(|e| std::str::from_utf8(&self.rest()[..e.valid_up_to()]))
            .map_err(|_| self.error("invalid UTF-8"))?;
        let Some(c) = rest.chars().next() else {
            return Err(self.error("unterminated string"));
        };
        self.at += c.len_utf8();
        if c != '\\' {
            return Ok(c);
        }
        let escape = self
            .peek()
            .ok_or_else(|| self.error("unterminated escape"))?;
        self.at += 1;
        let hex = |reader: &mut Self, digits: usize| -> Result<char, String> {
            let text = reader
                .bytes
                .get(reader.at..reader.at + digits)
                .and_then(|h| std::str::from_utf8(h).ok())
                .ok_or_else(|| reader.error("short escape"))?;
            reader.at += digits;
            u32::from_str_radix(text, 16)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| reader.error("invalid escape"))
        };
        Ok(match escape {
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'v' => '\u{b}',
            b'a' => '\u{7}',
            b'0' => '\0',
            b'"' | b'\'' | b'\\' | b'/' | b'?' => escape as char,
            b'x' => hex(self, 2)?,
            b'u' => {
                let high = hex_u16(self)?;
                if (0xD800..0xDC00).contains(&high) && self.rest().starts_with(b"\\u") {
                    self.at += 2;
                    let low = hex_u16(self)?;
                    char::decode_utf16([high, low])
                        .next()
                        .and_then(Result::ok)
                        .ok_or_else(|| self.error("invalid surrogate pair"))?
                } else {
                    char::from_u32(u32::from(high)).ok_or_else(|| self.error("invalid escape"))?
                }
            }
            b'U' => hex(self, 8)?,
            _ => return Err(self.error("unknown escape")),
        })
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'_'))
        {
            self.at += 1;
        }
        let text: String = String::from_utf8_lossy(&self.bytes[start..self.at])
            .chars()
            .filter(|&c| c != '_')
            .collect();
        // Ion decimals write their exponent with d; DynamoDB takes E.
        let number = text.replace(['d', 'D'], "E");
        let well_formed = {
            let unsigned = number.strip_prefix('-').unwrap_or(&number);
            let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
                Some((m, e)) => (m, Some(e)),
                None => (unsigned, None),
            };
            let digits = mantissa.replacen('.', "", 1);
            !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && exponent.is_none_or(|e| {
                    let e = e.strip_prefix(['+', '-']).unwrap_or(e);
                    !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
                })
        };
        if !well_formed {
            return Err(self.error(&format!("{text} is not a number DynamoDB can hold")));
        }
        Ok(Value::Number(number.trim_end_matches('.').to_string()))
    }

    fn blob(&mut self) -> Result<Value, String> {
        self.at += 2;
        let end = self
            .rest()
            .windows(2)
            .position(|w| w == b"}}")
            .ok_or_else(|| self.error("unterminated blob"))?;
        let text: Vec<u8> = self.rest()[..end]
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        self.at += end + 2;
        if text.first() == Some(&b'"') || text.starts_with(b"'''") {
            return Err(self.error("clobs are not a DynamoDB type"));
        }
        base64::engine::general_purpose::STANDARD
            .decode(&text)
            .map(Value::Blob)
            .map_err(|e| self.error(&format!("invalid base64 in a blob: {e}")))
    }

    fn structure(&mut self, depth: usize) -> Result<Value, String> {
        self.at += 1;
        let mut fields = Vec::new();
        loop {
            self.skip_blank()?;
            match self.peek() {
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Struct(fields));
                }
                Some(b'"') => {
                    let name = self.short_string()?;
                    fields.push(self.field_value(name, depth)?);
                }
                Some(b'\'') if !self.rest().starts_with(b"'''") => {
                    let name = self.quoted_symbol()?;
                    fields.push(self.field_value(name, depth)?);
                }
                Some(b) if is_symbol_start(b) => {
                    let name = self.symbol();
                    fields.push(self.field_value(name, depth)?);
                }
                _ => return Err(self.error("expected a field name")),
            }
            self.skip_blank()?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {}
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn field_value(&mut self, name: String, depth: usize) -> Result<(String, Value), String> {
        self.expect(b':')?;
        Ok((name, self.value(depth + 1)?))
    }

    fn list(&mut self, depth: usize) -> Result<Value, String> {
        self.at += 1;
        let mut values = Vec::new();
        loop {
            self.skip_blank()?;
            if self.peek() == Some(b']') {
                self.at += 1;
                return Ok(Value::List(values));
            }
            values.push(self.value(depth + 1)?);
            self.skip_blank()?;
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {}
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }
}

fn hex_u16(reader: &mut Reader<'_>) -> Result<u16, String> {
    let text = reader
        .bytes
        .get(reader.at..reader.at + 4)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| reader.error("short escape"))?;
    reader.at += 4;
    u16::from_str_radix(text, 16).map_err(|_| reader.error("invalid escape"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exports::item_lines::Format;
    use dynalith_model::Item;

    #[test]
    fn reads_back_what_exports_write() {
        let item: Item = serde_json::from_str(
            r#"{"s":{"S":"a\"b\n\u0001é"},"n":{"N":"100"},"f":{"N":"-1.5"},"e":{"N":"0.000001"},
                "b":{"B":"AAE="},"t":{"BOOL":true},"z":{"NULL":true},
                "m":{"M":{"x":{"L":[{"N":"1"},{"S":"y"},{"M":{}}]}}},
                "ss":{"SS":["p","q"]},"ns":{"NS":["2","0.5"]},"bs":{"BS":["AQ=="]}}"#,
        )
        .unwrap();
        let mut text = Format::Ion.file_header().to_vec();
        Format::Ion.write_line(&mut text, b"", Some(&item));
        let values = parse_values(std::str::from_utf8(&text).unwrap()).unwrap();
        let Some(Value::Struct(mut fields)) = values.into_iter().next() else {
            panic!("not one struct");
        };
        let Some((_, Value::Struct(attributes))) = fields.pop() else {
            panic!("no Item struct");
        };
        let mut map = serde_json::Map::new();
        for (name, value) in attributes {
            map.insert(name, value.into_json().unwrap());
        }
        let back: Item = serde_json::from_value(serde_json::Value::Object(map)).unwrap();
        assert_eq!(back, item);
    }

    #[test]
    fn reads_ion_that_other_writers_produce() {
        let values = parse_values(
            "// a comment\n{Item:{'quoted':'''long ''' '''string''', n: 1_000, d: 1.5d2, \
             e: 2e3, t: null.string /* c */, l: [ ] }}",
        )
        .unwrap();
        let Value::Struct(mut fields) = values.into_iter().next().unwrap() else {
            panic!()
        };
        let Some((_, Value::Struct(attributes))) = fields.pop() else {
            panic!()
        };
        assert_eq!(
            attributes,
            vec![
                ("quoted".to_string(), Value::String("long string".into())),
                ("n".to_string(), Value::Number("1000".into())),
                ("d".to_string(), Value::Number("1.5E2".into())),
                ("e".to_string(), Value::Number("2e3".into())),
                ("t".to_string(), Value::Null),
                ("l".to_string(), Value::List(vec![])),
            ]
        );
    }

    #[test]
    fn refuses_what_is_not_a_dynamodb_value() {
        for text in [
            "{Item:{a:sym}}",
            "{Item:{a:2020-01-01T}}",
            "{Item:{a:{{\"clob\"}}}}",
            "{Item:{a:\"open}}",
            "{Item:{a:[1,}}",
            "{Item:{a:1..2}}",
            "{Item:{a:-}}",
        ] {
            assert!(parse_values(text).is_err(), "{text}");
        }
        assert!(
            Value::Annotated("$other".into(), Box::new(Value::List(vec![])))
                .into_json()
                .is_err()
        );
    }
}
