//! Splits expression text into tokens the way DynamoDB's grammar does, so
//! syntax errors can quote the same tokens DynamoDB quotes.
//!
//! Notable rules (all observed from DynamoDB): identifiers are ASCII
//! `[a-zA-Z][a-zA-Z0-9_]*`; a list index is `0` or `[1-9][0-9]*`, so `01`
//! is two tokens; `#name` and `:value` take `[a-zA-Z0-9_]+`; keywords are
//! matched case-insensitively and only as whole identifiers (`NOTa` is an
//! identifier); any other character is a one-character unknown token that
//! the parser rejects.

/// What a token is. Keywords the grammar uses get their own kinds; other
/// reserved words are plain identifiers, rejected later with their own error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    Comma,
    LParen,
    RParen,
    Dot,
    LBracket,
    RBracket,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    In,
    Between,
    Not,
    And,
    Or,
    Set,
    Add,
    Delete,
    Remove,
    /// Digits of a list index.
    Index,
    /// An attribute or function name.
    Id,
    /// `#name`
    NameSub,
    /// `:value`
    ValueSub,
    /// A character no token starts with.
    Unknown,
    Eof,
}

/// A token and its byte range in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'t>(&self, source: &'t str) -> &'t str {
        match self.kind {
            Tok::Eof => "<EOF>",
            _ => source.get(self.start..self.end).unwrap_or(""),
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn keyword(word: &str) -> Option<Tok> {
    const KEYWORDS: [(&str, Tok); 9] = [
        ("IN", Tok::In),
        ("BETWEEN", Tok::Between),
        ("NOT", Tok::Not),
        ("AND", Tok::And),
        ("OR", Tok::Or),
        ("SET", Tok::Set),
        ("ADD", Tok::Add),
        ("DELETE", Tok::Delete),
        ("REMOVE", Tok::Remove),
    ];
    KEYWORDS
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(word))
        .map(|&(_, t)| t)
}

/// Tokenizes the whole text; the last token is always `Eof`.
pub fn tokenize(text: &str) -> Vec<Token> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::with_capacity(text.len() / 2 + 1);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if is_space(b) {
            i += 1;
            continue;
        }
        let start = i;
        let next = bytes.get(i + 1).copied();
        let (kind, len) = match b {
            b',' => (Tok::Comma, 1),
            b'(' => (Tok::LParen, 1),
            b')' => (Tok::RParen, 1),
            b'.' => (Tok::Dot, 1),
            b'[' => (Tok::LBracket, 1),
            b']' => (Tok::RBracket, 1),
            b'=' => (Tok::Eq, 1),
            b'+' => (Tok::Plus, 1),
            b'-' => (Tok::Minus, 1),
            b'<' => match next {
                Some(b'>') => (Tok::Ne, 2),
                Some(b'=') => (Tok::Le, 2),
                _ => (Tok::Lt, 1),
            },
            b'>' => match next {
                Some(b'=') => (Tok::Ge, 2),
                _ => (Tok::Gt, 1),
            },
            b'0' => (Tok::Index, 1),
            b'1'..=b'9' => (Tok::Index, run(bytes, i, |c| c.is_ascii_digit())),
            b'#' | b':' => {
                let len = run(bytes, i + 1, is_word);
                match (len, b) {
                    (0, _) => (Tok::Unknown, 1),
                    (_, b'#') => (Tok::NameSub, len + 1),
                    _ => (Tok::ValueSub, len + 1),
                }
            }
            c if c.is_ascii_alphabetic() => {
                let len = run(bytes, i, is_word);
                let word = text.get(i..i + len).unwrap_or("");
                (keyword(word).unwrap_or(Tok::Id), len)
            }
            _ => {
                // One whole character, however many bytes it takes.
                let len = text
                    .get(i..)
                    .and_then(|s| s.chars().next())
                    .map_or(1, char::len_utf8);
                (Tok::Unknown, len)
            }
        };
        i += len;
        tokens.push(Token {
            kind,
            start,
            end: i,
        });
    }
    tokens.push(Token {
        kind: Tok::Eof,
        start: text.len(),
        end: text.len(),
    });
    tokens
}

/// Length of the run of bytes matching `pred` starting at `from`.
fn run(bytes: &[u8], from: usize, pred: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(from..)
        .map_or(0, |rest| rest.iter().take_while(|&&c| pred(c)).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<Tok> {
        tokenize(text).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn splits_like_dynamodb() {
        use Tok::*;
        assert_eq!(kinds("a<>:v"), [Id, Ne, ValueSub, Eof]);
        assert_eq!(kinds("a[01]"), [Id, LBracket, Index, Index, RBracket, Eof]);
        assert_eq!(kinds("NOTa and b"), [Id, And, Id, Eof]);
        assert_eq!(
            kinds("_a #1 : é"),
            [Unknown, Id, NameSub, Unknown, Unknown, Eof]
        );
        assert_eq!(kinds(":vANDb"), [ValueSub, Eof]);
        assert_eq!(kinds("<= >= < >"), [Le, Ge, Lt, Gt, Eof]);
    }
}
