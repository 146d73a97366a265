//! The type names after `IS [NOT]`. PartiQL's parser knows many; DynamoDB
//! tests an attribute against the ones that are DynamoDB types (BOOLEAN,
//! STRING, NUMERIC, BLOB, STRUCT or TUPLE, LIST; recorded from DynamoDB,
//! 2026-10, for BOOL and STRING, from DynamoDB Local for the rest, which
//! also filters on them), and refuses the others as "Unsupported data type
//! for IS operator", naming the type PartiQL's way and placed at the `IS`
//! (DynamoDB Local's words). A word that names no type is a syntax error.
//! A type may carry parameters, `NUMERIC(3)`, which change nothing here.

use super::lexer::{Span, Token};
use super::{malformed, Parser};
use dynalith_model::DynamoError;

/// What a type name stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IsType {
    /// A DynamoDB type, by its descriptor (`attribute_type`'s operand).
    Dynamo(&'static str),
    /// A PartiQL type DynamoDB does not test, by PartiQL's name for it.
    Unsupported(&'static str),
}

use IsType::{Dynamo, Unsupported};

/// Each type's words, longer spellings ahead of their prefixes. INT4 and
/// INT8 are known to DynamoDB's parser (recorded: a bare `x IS INT4`
/// parses), not to DynamoDB Local's; their names follow PartiQL's pattern.
const TYPES: [(&[&str], IsType); 29] = [
    (&["BOOL"], Dynamo("BOOL")),
    (&["BOOLEAN"], Dynamo("BOOL")),
    (&["STRING"], Dynamo("S")),
    (&["NUMERIC"], Dynamo("N")),
    (&["BLOB"], Dynamo("B")),
    (&["STRUCT"], Dynamo("M")),
    (&["TUPLE"], Dynamo("M")),
    (&["LIST"], Dynamo("L")),
    (&["INT"], Unsupported("INTEGER")),
    (&["INTEGER"], Unsupported("INTEGER")),
    (&["INT4"], Unsupported("INTEGER4")),
    (&["INT8"], Unsupported("INTEGER8")),
    (&["SMALLINT"], Unsupported("SMALLINT")),
    (&["REAL"], Unsupported("REAL")),
    (&["FLOAT"], Unsupported("FLOAT")),
    (&["DOUBLE", "PRECISION"], Unsupported("DOUBLE_PRECISION")),
    (&["DECIMAL"], Unsupported("DECIMAL")),
    (&["CHARACTER", "VARYING"], Unsupported("CHARACTER_VARYING")),
    (&["CHARACTER"], Unsupported("CHARACTER")),
    (&["CHAR"], Unsupported("CHARACTER")),
    (&["VARCHAR"], Unsupported("CHARACTER_VARYING")),
    (&["DATE"], Unsupported("DATE")),
    (
        &["TIME", "WITH", "TIME", "ZONE"],
        Unsupported("TIME_WITH_TIME_ZONE"),
    ),
    (&["TIME"], Unsupported("TIME")),
    (&["TIMESTAMP"], Unsupported("TIMESTAMP")),
    (&["SYMBOL"], Unsupported("SYMBOL")),
    (&["CLOB"], Unsupported("CLOB")),
    (&["SEXP"], Unsupported("SEXP")),
    (&["BAG"], Unsupported("BAG")),
];

/// DynamoDB's refusal of `unsupported`, the type after the `IS` at `is_at`.
pub(super) fn unsupported_type(name: &str, is_at: Span) -> DynamoError {
    DynamoError::validation(format!(
        "Unsupported data type for IS operator: {name}. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST] at {is_at}"
    ))
}

impl Parser {
    /// The type name at the parser's place (after `IS [NOT]`), with its
    /// parameters; "Expected type name" when none starts there. MISSING
    /// and NULL, the tests of absence, are the caller's.
    pub(super) fn is_type(&mut self) -> Result<IsType, DynamoError> {
        let found = TYPES.iter().find(|(words, _)| {
            words
                .iter()
                .enumerate()
                .all(|(i, word)| self.at_keyword_ahead(i, word))
        });
        let Some((words, is_type)) = found else {
            return Err(malformed("Expected type name"));
        };
        self.at += words.len();
        if self.eat_symbol("(") {
            loop {
                match self.next()? {
                    Token::Number(_) => {}
                    _ => return Err(malformed("Expected type parameter")),
                }
                if self.eat_symbol(")") {
                    break;
                }
                self.symbol(",")?;
            }
        }
        Ok(*is_type)
    }

    /// Whether the statement is a bare type test, `name IS [NOT] type`
    /// and nothing more. A type name that is none is the IS's syntax
    /// error, as DynamoDB parses such a statement before it refuses it.
    pub(super) fn is_bare_type_test(&mut self) -> Result<bool, DynamoError> {
        let starts_with_name = matches!(
            self.peek(),
            Some(Token::Word(w)) if !super::keywords::is_reserved(w)
        ) || matches!(self.peek(), Some(Token::Quoted(_)));
        if !starts_with_name || !self.at_keyword_ahead(1, "IS") {
            return Ok(false);
        }
        let start = self.at;
        self.at += 2;
        self.eat_keyword("NOT");
        if !self.eat_keyword("MISSING") && !self.eat_keyword("NULL") {
            self.is_type()?;
        }
        self.eat_symbol(";");
        let whole = self.at == self.tokens.len();
        self.at = start;
        Ok(whole)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;

    fn message(text: &str) -> String {
        parse(text).unwrap_err().message
    }

    #[test]
    fn dynamodb_types_parse_as_type_tests() {
        for text in [
            "SELECT * FROM t WHERE v IS NUMERIC",
            "SELECT * FROM t WHERE v IS NOT blob",
            "SELECT * FROM t WHERE v IS STRUCT",
            "SELECT * FROM t WHERE v IS TUPLE",
            "SELECT * FROM t WHERE v IS LIST",
            "SELECT * FROM t WHERE v IS NUMERIC(3, 1)",
        ] {
            assert!(parse(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn other_types_are_refused_at_the_is() {
        let refused = |name: &str, at: &str| {
            format!("Unsupported data type for IS operator: {name}. Supported data types are [MISSING, NULL, BOOLEAN, BLOB, STRING, NUMERIC, STRUCT, TUPLE, LIST] at {at}")
        };
        assert_eq!(
            message("SELECT * FROM t WHERE v IS INT"),
            refused("INTEGER", "1:25:2")
        );
        assert_eq!(
            message("SELECT * FROM t WHERE v IS NOT double precision"),
            refused("DOUBLE_PRECISION", "1:25:2")
        );
        assert_eq!(
            message("SELECT * FROM t WHERE v IS VARCHAR(3)"),
            refused("CHARACTER_VARYING", "1:25:2")
        );
        assert_eq!(
            message("SELECT * FROM t WHERE v IS TIME WITH TIME ZONE"),
            refused("TIME_WITH_TIME_ZONE", "1:25:2")
        );
        // Ahead of what follows, parameters included.
        assert_eq!(
            message("SELECT * FROM t WHERE v IS DECIMAL AND w.* = ?"),
            refused("DECIMAL", "1:25:2")
        );
        assert_eq!(
            message("SELECT * FROM t WHERE v IS FOO"),
            "Statement wasn't well formed, can't be processed: Expected type name"
        );
    }

    #[test]
    fn a_bare_type_test_is_an_unsupported_operation() {
        for text in [
            "x IS INT4",
            "x IS INT8",
            "x IS DOUBLE PRECISION",
            "x IS CHARACTER VARYING",
            "x IS NOT NULL",
        ] {
            assert_eq!(message(text), "Unsupported operation: IsType", "{text}");
        }
        assert_eq!(
            message("x IS FOO"),
            "Statement wasn't well formed, can't be processed: Expected type name"
        );
    }
}
