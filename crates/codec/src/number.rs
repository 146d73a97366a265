//! Numbers: class byte, exponent byte, base-100 digit pairs, terminator.
//!
//! Layout of a positive number: 0x03, then the scientific exponent
//! (-130..=125, exactly 256 values) as `exponent + 130`, then the digits two
//! at a time as `1 + 10 * first + second` (1..=100, an odd last digit padded
//! with 0), then 0x00. A larger exponent means a larger magnitude; with equal
//! exponents the digits compare like the decimal expansion, and the 0x00
//! terminator (below every pair byte) puts a prefix such as 1 before 1.05.
//! No encoding is a prefix of another, so for a negative number the class
//! byte is 0x01 and every following byte is inverted (`!b`), which reverses
//! their order as needed. Zero is the single byte 0x02.

use dynalith_model::Number;

use crate::DecodeError;

const NEGATIVE: u8 = 0x01;
const ZERO: u8 = 0x02;
const POSITIVE: u8 = 0x03;
const END: u8 = 0x00;
/// Subtracted from the scientific exponent so -130 maps to byte 0.
const EXPONENT_BIAS: i32 = -130;

/// Appends `n` encoded so that memcmp order is numeric order.
pub fn encode_number(out: &mut Vec<u8>, n: &Number) {
    if n.is_zero() {
        out.push(ZERO);
        return;
    }
    let (negative, sci, digits) = n.digits();
    let start = out.len();
    out.push(POSITIVE);
    // Number guarantees -130 ..= 125, so the biased exponent fits a byte.
    out.push((sci - EXPONENT_BIAS) as u8);
    for pair in digits.as_bytes().chunks(2) {
        let first = pair[0] - b'0';
        let second = pair.get(1).map_or(0, |d| d - b'0');
        out.push(1 + 10 * first + second);
    }
    out.push(END);
    if negative {
        out[start] = NEGATIVE;
        for byte in &mut out[start + 1..] {
            *byte = !*byte;
        }
    }
}

/// Reads one value written by [`encode_number`] and advances `input` past it.
pub fn decode_number(input: &mut &[u8]) -> Result<Number, DecodeError> {
    let (&class, rest) = input.split_first().ok_or(DecodeError)?;
    let negative = match class {
        ZERO => {
            *input = rest;
            return Ok(Number::zero());
        }
        NEGATIVE => true,
        POSITIVE => false,
        _ => return Err(DecodeError),
    };
    let unflip = |b: u8| if negative { !b } else { b };
    let (&exponent, rest) = rest.split_first().ok_or(DecodeError)?;
    let sci = i32::from(unflip(exponent)) + EXPONENT_BIAS;
    let end = rest
        .iter()
        .position(|&b| unflip(b) == END)
        .ok_or(DecodeError)?;
    let digits = pair_digits(rest[..end].iter().map(|&b| unflip(b)))?;
    let n = Number::from_digits(negative, sci, &digits).map_err(|_| DecodeError)?;
    // Reject non-canonical input so decode(encode(x)) is the only way in.
    if n.is_zero() || n.digits().2 != digits {
        return Err(DecodeError);
    }
    *input = &rest[end + 1..];
    Ok(n)
}

/// Turns pair bytes back into ASCII digits, dropping the padding zero.
fn pair_digits(pairs: impl Iterator<Item = u8>) -> Result<String, DecodeError> {
    let mut digits = String::new();
    for byte in pairs {
        let value = byte
            .checked_sub(1)
            .filter(|v| *v < 100)
            .ok_or(DecodeError)?;
        digits.push(char::from(b'0' + value / 10));
        digits.push(char::from(b'0' + value % 10));
    }
    if digits.ends_with('0') {
        digits.pop();
    }
    Ok(digits)
}
