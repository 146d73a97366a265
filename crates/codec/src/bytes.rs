//! Strings and binaries: escape-and-terminate.
//!
//! DynamoDB orders S by UTF-8 bytes and B by unsigned bytes, i.e. plain
//! memcmp with shorter prefixes first. To keep that order after appending
//! more key parts, every 0x00 byte becomes 0x00 0xFF and the value ends with
//! 0x00 0x01: at the first difference a terminator (0x00 0x01) sorts before
//! an escaped zero (0x00 0xFF), which sorts before any other byte.

use crate::DecodeError;

const ESCAPE: u8 = 0x00;
const ESCAPED_ZERO: u8 = 0xFF;
const TERMINATOR: u8 = 0x01;

/// Appends `s` encoded so that memcmp order is UTF-8 byte order.
pub fn encode_string(out: &mut Vec<u8>, s: &str) {
    encode_binary(out, s.as_bytes());
}

/// Appends `b` encoded so that memcmp order is unsigned byte order.
pub fn encode_binary(out: &mut Vec<u8>, b: &[u8]) {
    out.reserve(b.len() + 2);
    for &byte in b {
        out.push(byte);
        if byte == ESCAPE {
            out.push(ESCAPED_ZERO);
        }
    }
    out.extend_from_slice(&[ESCAPE, TERMINATOR]);
}

/// Reads one value written by [`encode_string`] and advances `input` past it.
pub fn decode_string(input: &mut &[u8]) -> Result<String, DecodeError> {
    let bytes = decode_binary(input)?;
    String::from_utf8(bytes).map_err(|_| DecodeError)
}

/// Reads one value written by [`encode_binary`] and advances `input` past it.
pub fn decode_binary(input: &mut &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let mut rest = *input;
    loop {
        let zero_at = rest.iter().position(|&b| b == ESCAPE).ok_or(DecodeError)?;
        out.extend_from_slice(&rest[..zero_at]);
        match rest.get(zero_at + 1) {
            Some(&ESCAPED_ZERO) => out.push(0),
            Some(&TERMINATOR) => {
                *input = &rest[zero_at + 2..];
                return Ok(out);
            }
            _ => return Err(DecodeError),
        }
        rest = &rest[zero_at + 2..];
    }
}
