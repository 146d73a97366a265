//! Literals: numbers, and the lists, maps and sets written in a
//! statement, checked as DynamoDB checks them while it parses (a set's
//! members, repeated map keys, negative zero, MISSING), with the place of
//! each refused literal in DynamoDB's words.

use super::lexer::{Span, Token};
use super::{empty_path_component, malformed, Expr, LiteralStep, Parser};
use dynalith_model::{AttributeValue, DynamoError, Item, Number, NumberError};
use std::collections::BTreeSet;

impl Parser {
    /// The number after a `-`. A decimal zero (`-0.0`, `-0e0`) is refused,
    /// as DynamoDB does; an integer `-0` is zero.
    pub(super) fn negative_number(&mut self) -> Result<Number, DynamoError> {
        let Token::Number(text) = self.next()? else {
            // `-a`: DynamoDB has only the two-operand minus, and conditions
            // none (DynamoDB Local's words for each).
            return Err(DynamoError::validation(if self.in_condition {
                "Unsupported operator in Condition Expression. Operator: -"
            } else {
                "Incorrect number of operands for operator or function; operator or function: -, number of operands: 1"
            }));
        };
        let value = self.number(&format!("-{text}"))?;
        if value.is_zero() && text.contains(['.', 'e', 'E']) {
            return Err(DynamoError::validation(format!(
                "Negative zero decimal is not supported under key {} at {}",
                self.literal_place(),
                self.span(self.at - 1)
            )));
        }
        Ok(value)
    }

    /// Where the literal being parsed is, as DynamoDB names it.
    pub(super) fn literal_place(&self) -> String {
        std::iter::once("root")
            .map(String::from)
            .chain(self.literal_path.iter().map(|step| match step {
                LiteralStep::Key(key) => key.clone(),
                LiteralStep::Index(i) => i.to_string(),
            }))
            .collect::<Vec<_>>()
            .join(".")
    }

    /// `[value, ...]` after its `[`.
    pub(super) fn list(&mut self) -> Result<Expr, DynamoError> {
        let mut items = Vec::new();
        if !self.eat_symbol("]") {
            loop {
                self.literal_path.push(LiteralStep::Index(items.len()));
                items.push(self.sum()?);
                self.literal_path.pop();
                if self.eat_symbol("]") {
                    break;
                }
                self.symbol(",")?;
            }
        }
        Ok(Expr::Call("list".into(), items))
    }

    /// `<<member, ...>>` after its `<<`: a string set or a number set of
    /// literals (binary sets only come as parameters, whole). The first
    /// member says which; DynamoDB places the errors as written here.
    pub(super) fn set(&mut self) -> Result<Expr, DynamoError> {
        let unsupported = |at: Option<Span>| {
            let place = at.map(|span| format!(" at {span}")).unwrap_or_default();
            DynamoError::validation(format!(
                "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags{place}"
            ))
        };
        if self.eat_symbol(">>") {
            // Without its place among set_add's or set_delete's arguments
            // (recorded from DynamoDB, 2026-10; DynamoDB Local gives it).
            let place = if self.in_set_function {
                String::new()
            } else {
                format!(" at {}", self.span(self.at - 2))
            };
            return Err(DynamoError::validation(format!(
                "Empty bags are not supported{place}"
            )));
        }
        let mut members = Vec::new();
        loop {
            let at = self.span(self.at);
            let member = match self.next()? {
                Token::Text(text) => Some(AttributeValue::S(text)),
                Token::Number(text) => Some(AttributeValue::N(self.number(&text)?)),
                Token::Symbol("-") => Some(AttributeValue::N(self.negative_number()?)),
                Token::Parameter if !members.is_empty() => {
                    return Err(DynamoError::validation(format!(
                        "Unsupported data type: Parameter under key {} at {at}",
                        self.literal_place()
                    )))
                }
                _ => None,
            };
            let member = match (members.first(), member) {
                (None, Some(member)) => member,
                (Some(AttributeValue::S(_)), Some(member @ AttributeValue::S(_)))
                | (Some(AttributeValue::N(_)), Some(member @ AttributeValue::N(_))) => member,
                // DynamoDB points at the member, except after a number.
                (Some(AttributeValue::N(_)), _) => return Err(unsupported(None)),
                _ => return Err(unsupported(Some(at))),
            };
            members.push(member);
            if self.eat_symbol(">>") {
                break;
            }
            self.symbol(",")?;
        }
        let duplicates = || DynamoError::validation("Input collection contains duplicates");
        let set = if matches!(members.first(), Some(AttributeValue::S(_))) {
            // A string set repeating a member is refused as the legacy
            // value layer refuses one, its members listed as written
            // (recorded from DynamoDB, 2026-10: `<<'x', 'x'>>`).
            let written: Vec<String> = members
                .iter()
                .filter_map(|m| match m {
                    AttributeValue::S(s) => Some(s.clone()),
                    _ => None,
                })
                .collect();
            let mut strings = BTreeSet::new();
            for member in &written {
                if !strings.insert(member.clone()) {
                    return Err(DynamoError::validation(format!(
                        "One or more parameter values were invalid: Input collection [{}] contains duplicates.",
                        written.join(", ")
                    )));
                }
            }
            AttributeValue::Ss(strings.into_iter().collect())
        } else {
            let mut numbers = Vec::new();
            for member in members {
                if let AttributeValue::N(n) = member {
                    if numbers.contains(&n) {
                        return Err(duplicates());
                    }
                    numbers.push(n);
                }
            }
            AttributeValue::Ns(numbers)
        };
        Ok(Expr::Value(set))
    }

    /// `{'name': value, ...}` after its `{`; with `keys_in_path`, its keys
    /// name the place of a bad literal inside it (not so for an INSERT's
    /// item, whose attributes are each a value of their own).
    pub(super) fn map(&mut self, keys_in_path: bool) -> Result<Expr, DynamoError> {
        let open = self.span(self.at - 1);
        let mut entries = Vec::new();
        let mut keys = std::collections::HashSet::new();
        if !self.eat_symbol("}") {
            loop {
                let key_at = self.span(self.at);
                let key = match self.next()? {
                    Token::Text(key) if key.is_empty() => return Err(empty_path_component()),
                    Token::Text(key) => key,
                    _ => return Err(malformed("a map key is a quoted string")),
                };
                if !keys.insert(key.clone()) {
                    // DynamoDB points at an INSERT item's repeated key,
                    // and at the opening brace of any other map.
                    return Err(DynamoError::validation(format!(
                        "Duplicate keys in tuple. Key: {key} under {} at {}",
                        self.literal_place(),
                        if keys_in_path { open } else { key_at }
                    )));
                }
                self.symbol(":")?;
                if keys_in_path {
                    self.literal_path.push(LiteralStep::Key(key.clone()));
                } else if matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case("MISSING"))
                {
                    return Err(DynamoError::validation(format!(
                        "Unsupported data type: MISSING under key root at {}",
                        self.span(self.at)
                    )));
                }
                entries.push(Expr::Value(AttributeValue::S(key)));
                entries.push(self.sum()?);
                if keys_in_path {
                    self.literal_path.pop();
                }
                if self.eat_symbol("}") {
                    break;
                }
                self.symbol(",")?;
            }
        }
        Ok(Expr::Call("map".into(), entries))
    }
}

impl Parser {
    /// A number literal: text that is no number (an exponent or a scale
    /// past a Java int) is a syntax error with nothing after the colon; a
    /// number out of DynamoDB's range or precision gets the message it gets
    /// anywhere, placed in the value it belongs to ("under root.m[1]";
    /// recorded from DynamoDB, 2026-10).
    pub(super) fn number(&self, text: &str) -> Result<Number, DynamoError> {
        match Number::parse(text) {
            Ok(n) => Ok(n),
            Err(NumberError::Invalid) => Err(malformed("")),
            Err(e) => Err(DynamoError::validation(format!(
                "{} under {}",
                e.message(),
                self.literal_place_indexed()
            ))),
        }
    }

    /// [`Parser::literal_place`] with list positions in brackets, as
    /// DynamoDB places a number literal.
    fn literal_place_indexed(&self) -> String {
        let mut place = String::from("root");
        for step in &self.literal_path {
            match step {
                LiteralStep::Key(key) => {
                    place.push('.');
                    place.push_str(key);
                }
                LiteralStep::Index(i) => place.push_str(&format!("[{i}]")),
            }
        }
        place
    }
}

/// The value of an operand built only of literals and parameters (a map
/// or list literal included; the parser has checked its literals).
pub fn value_of(expr: &Expr, parameters: &[AttributeValue]) -> Result<AttributeValue, DynamoError> {
    match expr {
        Expr::Value(v) => Ok(v.clone()),
        Expr::Parameter(i) => parameters.get(*i).cloned().ok_or_else(|| {
            DynamoError::validation("Number of parameters in request and statement don't match.")
        }),
        Expr::Call(kind, entries) if kind == "map" => {
            let mut map = Item::new();
            for pair in entries.chunks(2) {
                let [Expr::Value(AttributeValue::S(key)), value] = pair else {
                    return Err(malformed("invalid map"));
                };
                map.insert(key.clone(), value_of(value, parameters)?);
            }
            Ok(AttributeValue::M(map))
        }
        Expr::Call(kind, items) if kind == "list" => Ok(AttributeValue::L(
            items
                .iter()
                .map(|item| value_of(item, parameters))
                .collect::<Result<_, _>>()?,
        )),
        _ => Err(malformed("expected a value")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    #[test]
    fn checks_literals_where_dynamodb_does() {
        let message = |text: &str| parse(text).unwrap_err().message;
        // Sets hold string or number literals, each once.
        assert_eq!(
            message("UPDATE t SET s = <<'a', 'a'>> WHERE k = 1"),
            "One or more parameter values were invalid: Input collection [a, a] contains duplicates."
        );
        assert_eq!(
            message("UPDATE t SET s = <<1, 1.0>> WHERE k = 1"),
            "Input collection contains duplicates"
        );
        assert_eq!(
            message("UPDATE t SET s = <<>> WHERE k = 1"),
            "Empty bags are not supported at 1:18:2"
        );
        assert_eq!(
            message("UPDATE t SET s = set_add(s, <<>>) WHERE k = 1"),
            "Empty bags are not supported"
        );
        let bag = "Unsupported data type in Bag. DynamoDB only supports either numbers or strings in bags";
        assert_eq!(
            message("UPDATE t SET s = <<?>> WHERE k = 1"),
            format!("{bag} at 1:20:1")
        );
        assert_eq!(
            message("UPDATE t SET s = <<'a', 1>> WHERE k = 1"),
            format!("{bag} at 1:25:1")
        );
        assert_eq!(
            message("UPDATE t SET s = <<true>> WHERE k = 1"),
            format!("{bag} at 1:20:4")
        );
        // After a number DynamoDB gives no position.
        assert_eq!(message("UPDATE t SET s = <<1, 'a'>> WHERE k = 1"), bag);
        assert_eq!(message("UPDATE t SET s = <<1, [1]>> WHERE k = 1"), bag);
        assert_eq!(
            message("UPDATE t SET s = <<'a', ?>> WHERE k = 1"),
            "Unsupported data type: Parameter under key root at 1:25:1"
        );
        assert_eq!(
            parse("UPDATE t SET s = <<-1, 1, 2.5>> WHERE k = 1").unwrap(),
            parse("UPDATE t SET s = <<2.5, -1, 1>> WHERE k = 1").unwrap()
        );
        // A negative decimal zero, placed within the value it is part of;
        // an INSERT's attributes are each a value of their own.
        assert_eq!(
            message("INSERT INTO t VALUE {'k': 1, 'n': -0.0}"),
            "Negative zero decimal is not supported under key root at 1:36:3"
        );
        assert_eq!(
            message("INSERT INTO t VALUE {'k': 1, 'n': {'a': [1, -0e0]}}"),
            "Negative zero decimal is not supported under key root.a.1 at 1:46:3"
        );
        assert_eq!(
            message("UPDATE t SET n = {'a': [-0.0]} WHERE k = 1"),
            "Negative zero decimal is not supported under key root.a.0 at 1:26:3"
        );
        assert_eq!(
            message("SELECT * FROM t WHERE k = 1 AND n IN [1, -0.0]"),
            "Negative zero decimal is not supported under key root at 1:43:3"
        );
        assert!(parse("INSERT INTO t VALUE {'k': 1, 'n': -0}").is_ok());
        // Numbers out of range get the messages they get anywhere, placed
        // (recorded from DynamoDB, 2026-10): list positions in brackets.
        assert_eq!(
            message("INSERT INTO t VALUE {'k': 1e126}"),
            "Number overflow. Attempting to store a number with magnitude larger than supported range under root"
        );
        assert_eq!(
            message("INSERT INTO t VALUE {'k': <<1e-131>>}"),
            "Number underflow. Attempting to store a number with magnitude smaller than supported range under root"
        );
        assert_eq!(
            message("INSERT INTO t VALUE {'k': 123456789012345678901234567890123456789}"),
            "Attempting to store more than 38 significant digits in a Number under root"
        );
        assert_eq!(
            message("INSERT INTO t VALUE {'k': 1, 'm': {'x': [1, {'1': -1e126}]}}"),
            "Number overflow. Attempting to store a number with magnitude larger than supported range under root.x[1].1"
        );
        assert_eq!(
            message("SELECT * FROM t WHERE k = 1e-131"),
            "Number underflow. Attempting to store a number with magnitude smaller than supported range under root"
        );
        // An exponent or scale past a Java int is no number at all.
        for text in ["1e2147483648", "1e99999999999", "1.5e-2147483647"] {
            assert_eq!(
                message(&format!("SELECT * FROM t WHERE k = {text}")),
                "Statement wasn't well formed, can't be processed: "
            );
        }
        // A repeated key: an INSERT item's is pointed at, another map's
        // opening brace.
        assert_eq!(
            message("INSERT INTO t VALUE {'k': 1, 'k': 2}"),
            "Duplicate keys in tuple. Key: k under root at 1:30:3"
        );
        assert_eq!(
            message("INSERT INTO t VALUE {'k': 1, 'm': {'l': [{'y': 1, 'y': 2}]}}"),
            "Duplicate keys in tuple. Key: y under root.l.0 at 1:42:1"
        );
        assert_eq!(
            message("INSERT INTO t VALUE {'k': 1, 'v': MISSING}"),
            "Unsupported data type: MISSING under key root at 1:35:7"
        );
        assert_eq!(
            message("UPDATE t SET m = {'a': {'b': MISSING}} WHERE k = 1"),
            "Unsupported data type: LiteralMissing under key root.a.b at 1:30:7"
        );
        assert_eq!(
            message("INSERT INTO t VALUE {'k': 1, 'l': [MISSING]}"),
            "Unsupported data type: LiteralMissing under key root.0 at 1:36:7"
        );
    }
}
