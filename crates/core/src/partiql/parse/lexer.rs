//! A PartiQL statement's tokens, each with the place DynamoDB's messages
//! give for it.

use super::malformed;
use dynalith_model::DynamoError;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Token {
    /// A bare word: a keyword or a name.
    Word(String),
    /// A double-quoted name.
    Quoted(String),
    Text(String),
    Number(String),
    Symbol(&'static str),
    Parameter,
    /// An Ion literal, between backticks.
    Ion(String),
}

const SYMBOLS: [&str; 23] = [
    "<<", ">>", "<>", "!=", "<=", ">=", "||", "=", "<", ">", "(", ")", "[", "]", "{", "}", ",",
    ".", ":", "*", ";", "/", "%",
];

/// Whether the `.` at `i` begins a number (`.5`) rather than a path's next
/// name, which follows a name or a list index.
fn starts_fraction(chars: &[char], i: usize, previous: Option<&Token>) -> bool {
    chars[i] == '.'
        && chars.get(i + 1).is_some_and(char::is_ascii_digit)
        && !matches!(
            previous,
            Some(Token::Word(_) | Token::Quoted(_) | Token::Symbol("]"))
        )
}

/// Where a token is, as DynamoDB reports it: `line:column:length`, from
/// 1, in characters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Span {
    line: usize,
    column: usize,
    length: usize,
}

impl Span {
    /// Where an empty statement's end is.
    pub(super) const START: Span = Span {
        line: 1,
        column: 1,
        length: 0,
    };
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.line, self.column, self.length)
    }
}

/// The tokens of a statement and where each is.
pub(super) fn tokenize(text: &str) -> Result<(Vec<Token>, Vec<Span>), DynamoError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut spans = Vec::new();
    // Where each line starts, to turn a character index into a column.
    let mut line = 1;
    let mut line_start = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c == '\n' {
            line += 1;
            line_start = i + 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            // A comment to the end of the line.
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            let close = (i + 2..chars.len().saturating_sub(1))
                .find(|&j| chars[j] == '*' && chars[j + 1] == '/')
                // DynamoDB says nothing after the colon.
                .ok_or_else(|| malformed(""))?;
            for &skipped in &chars[i..close] {
                if skipped == '\n' {
                    line += 1;
                }
            }
            if let Some(last_newline) = (i..close).rev().find(|&j| chars[j] == '\n') {
                line_start = last_newline + 1;
            }
            i = close + 2;
        } else if c == '\'' || c == '"' {
            // '' inside '...' (and "" inside "...") is the quote itself.
            let mut value = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(malformed("unterminated quoted text")),
                    Some(&q) if q == c && chars.get(i + 1) == Some(&c) => {
                        value.push(c);
                        i += 2;
                    }
                    Some(&q) if q == c => {
                        i += 1;
                        break;
                    }
                    Some(&other) => {
                        value.push(other);
                        i += 1;
                    }
                }
            }
            tokens.push(if c == '\'' {
                Token::Text(value)
            } else {
                Token::Quoted(value)
            });
        } else if c.is_ascii_digit() || starts_fraction(&chars, i, tokens.last()) {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric()
                    || chars[i] == '.'
                    || ((chars[i] == '-' || chars[i] == '+') && matches!(chars[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            tokens.push(Token::Number(chars[start..i].iter().collect()));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else if c == '?' {
            tokens.push(Token::Parameter);
            i += 1;
        } else if c == '`' {
            let Some(length) = chars[i + 1..].iter().position(|&c| c == '`') else {
                return Err(malformed("unterminated Ion literal"));
            };
            tokens.push(Token::Ion(chars[i + 1..i + 1 + length].iter().collect()));
            i += length + 2;
        } else if c == '+' || c == '-' {
            tokens.push(Token::Symbol(if c == '+' { "+" } else { "-" }));
            i += 1;
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let symbol = SYMBOLS
                .iter()
                .find(|s| rest.starts_with(**s))
                // DynamoDB names nothing after the colon (`#`, for one).
                .ok_or_else(|| malformed(""))?;
            tokens.push(Token::Symbol(symbol));
            i += symbol.len();
        }
        if tokens.len() > spans.len() {
            spans.push(Span {
                line,
                column: start - line_start + 1,
                length: i - start,
            });
        }
    }
    Ok((tokens, spans))
}
