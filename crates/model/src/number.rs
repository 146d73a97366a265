//! DynamoDB's exact decimal Number type.
//!
//! Behaviour observed against DynamoDB Local 3.3.1 (PutItem/GetItem and
//! UpdateItem `SET a = a + :v` / `ADD a :v`), unless noted otherwise:
//!
//! * Syntax is Java's `BigDecimal(String)`: optional single `+` or `-`, digits
//!   with an optional `.` (either side may be empty but not both: `.5`, `5.`
//!   are fine, `.` is not), optional `e`/`E`, optional sign, at least one
//!   exponent digit. No whitespace, `NaN`, `Infinity`, hex, `1d`, `1_0`, `++1`.
//!   Any Unicode decimal digit in the BMP (category Nd) counts as a digit,
//!   in the mantissa and in the exponent: "١" → 1, "１" → 1, "1e٢" → 100;
//!   superscripts ("²"), circled digits and non-BMP digits are rejected.
//! * DynamoDB reads numbers in one of two layers, by operation
//!   ([`ValueLayer`]; recorded from DynamoDB in four Regions, 2026-10-09,
//!   by the paritysuite conformance suite):
//!   - the legacy layer (BatchWriteItem, the transactions, Scan, PartiQL
//!     parameters, and DynamoDB Local everywhere) reads the text as Java's
//!     `BigDecimal` does: the scale (fraction digits minus the exponent)
//!     must fit in a Java int, so "1e2147483648", "0e2147483648",
//!     "0e-2147483648" and "0.0e-2147483647" are Invalid and "0e2147483647"
//!     is 0; its range check subtracts the scale from the precision in
//!     32-bit arithmetic, which wraps, so "1e2147483647" is an Underflow
//!     (DynamoDB Local says Overflow there, and Underflow for
//!     "10e2147483647": its wrap is one further on);
//!   - the current layer (PutItem, UpdateItem, DeleteItem, GetItem,
//!     BatchGetItem, Query) reads the exponent as a 64-bit integer and
//!     range-checks the magnitude without wrapping, zero by the exponent it
//!     is written with: "1e2147483648" is an Overflow, "0e126" too, "0e125"
//!     is 0, and only an exponent past a 64-bit integer is Invalid.
//! * Invalid text → "The parameter cannot be converted to a numeric value:
//!   <text>" (DynamoDB Local: "A value provided cannot be converted into a
//!   number"); an empty text drops the colon in the legacy layer.
//! * More than 38 significant digits → Local says "DynamoDB only supports
//!   precision up to 38 digits"; real DynamoDB says "Attempting to store more
//!   than 38 significant digits in a Number", which is what we return.
//!   The digit check comes before the range check: 39 digits with e200 is a
//!   digits error, not an overflow.
//! * Magnitude ≥ 1E+126 → "Number overflow. Attempting to store a number with
//!   magnitude larger than supported range"; non-zero magnitude < 1E-130 →
//!   "Number underflow. Attempting to store a number with magnitude smaller
//!   than supported range". In the legacy layer zero with any exponent
//!   ("0e999999") is fine.
//! * Output is plain notation, never an exponent: "1e2" → "100", "1.50" →
//!   "1.5", "-.5" → "-0.5", "-0" → "0", "+1" → "1", "0.000e5" → "0",
//!   "1E+125" → "1" and 125 zeros, "1E-130" → "0." and 129 zeros then "1".
//! * Arithmetic is exact (0.1 + 0.2 = 0.3, 1e-130 + 1e-130 = 2e-130,
//!   99999999999999999999999999999999999999 + 1 = 1e38), never rounded. A
//!   result needing more than 38 digits is the digits error (1e38 + 1,
//!   1e125 + 1e-125, 9.99…9E+125 + 9.99…9E+125); then out-of-range results
//!   are Overflow (9e125 + 9e125) or Underflow (1.1e-130 - 1e-130).
//!   (ScyllaDB's tests note that real DynamoDB reports 1e50 + 1 with the
//!   overflow message instead; the error kind here stays TooManyDigits.)

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Most significant digits a number may have.
const MAX_DIGITS: u32 = 38;
/// Largest allowed scientific exponent (9.99…E+125).
const MAX_SCI_EXPONENT: i64 = 125;
/// Smallest allowed scientific exponent (1E-130).
const MIN_SCI_EXPONENT: i64 = -130;
/// Java's BigDecimal keeps its scale in an int; Local rejects scales outside
/// ±`MAX_SCALE` as unparseable (it also rejects `i32::MIN`).
const MAX_SCALE: i128 = i32::MAX as i128;

/// A DynamoDB number: up to 38 significant decimal digits, magnitude 1E-130 ..= 9.9999999999999999999999999999999999999E+125, or zero.
///
/// Stored canonically as ±coefficient × 10^exponent with no trailing zeros
/// in the coefficient, so derived equality and hashing are numeric.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Number {
    negative: bool,
    /// Significant digits without trailing zeros; 0 only for zero.
    coefficient: u128,
    /// Power of ten of the last significant digit; 0 for zero.
    exponent: i32,
}

/// Why a text or a computation is not a valid DynamoDB number.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NumberError {
    Invalid,
    TooManyDigits,
    Overflow,
    Underflow,
}

impl NumberError {
    /// The ValidationException message DynamoDB gives for this error.
    pub fn message(&self) -> &'static str {
        match self {
            NumberError::Invalid => NOT_NUMERIC,
            NumberError::TooManyDigits => {
                "Attempting to store more than 38 significant digits in a Number"
            }
            NumberError::Overflow => {
                "Number overflow. Attempting to store a number with magnitude larger than supported range"
            }
            NumberError::Underflow => {
                "Number underflow. Attempting to store a number with magnitude smaller than supported range"
            }
        }
    }
}

const NOT_NUMERIC: &str = "The parameter cannot be converted to a numeric value";

/// Which of DynamoDB's two request-checking layers reads a value (module
/// notes): the operation decides, and with it the rules for numbers and
/// the words of some refusals.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum ValueLayer {
    /// BatchWriteItem, the transactions, Scan, PartiQL; DynamoDB Local.
    #[default]
    Legacy,
    /// PutItem, UpdateItem, DeleteItem, GetItem, BatchGetItem and Query.
    Current,
}

impl NumberError {
    /// The refusal of `text`, which failed with this error, in `layer`'s
    /// words: an unconvertible text is echoed.
    pub fn refusal(&self, text: &str, layer: ValueLayer) -> String {
        match self {
            NumberError::Invalid if layer == ValueLayer::Legacy && text.is_empty() => {
                NOT_NUMERIC.to_string()
            }
            NumberError::Invalid => format!("{NOT_NUMERIC}: {text}"),
            other => other.message().to_string(),
        }
    }
}

impl fmt::Display for NumberError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for NumberError {}

/// Code points of the digit zero of every BMP Unicode decimal-digit run
/// (category Nd), each followed by digits one to nine. Java's
/// `Character.isDigit` accepts these, so DynamoDB Local does too.
const UNICODE_DIGIT_ZEROS: [u32; 36] = [
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
];

/// Value of a decimal digit as Java's BigDecimal parser sees it.
fn digit_value(c: char) -> Option<u8> {
    if c.is_ascii_digit() {
        return Some(c as u8 - b'0');
    }
    let code = c as u32;
    UNICODE_DIGIT_ZEROS
        .iter()
        .find(|&&zero| code >= zero && code < zero + 10)
        .map(|&zero| (code - zero) as u8)
}

/// Collects the significant digits of a digit stream into a coefficient.
/// Leading zeros are dropped; zeros after a significant digit are held back
/// until a later non-zero digit shows they are not trailing.
#[derive(Default)]
struct DigitAccumulator {
    coefficient: u128,
    digits: u32,
    pending_zeros: u64,
    too_many: bool,
}

impl DigitAccumulator {
    fn push(&mut self, d: u8) {
        if d == 0 {
            if self.digits > 0 || self.too_many {
                self.pending_zeros += 1;
            }
            return;
        }
        let needed = u64::from(self.digits) + self.pending_zeros + 1;
        if self.too_many || needed > u64::from(MAX_DIGITS) {
            // Keep scanning for syntax errors, which DynamoDB reports first.
            self.too_many = true;
        } else {
            // needed ≤ 38, so the shifted coefficient stays below 10^38.
            let shift = 10u128.pow(self.pending_zeros as u32 + 1);
            self.coefficient = self.coefficient * shift + u128::from(d);
            self.digits = needed as u32;
        }
        self.pending_zeros = 0;
    }
}

/// Outcome of the syntax pass over a number's text.
struct Scanned {
    negative: bool,
    digits: DigitAccumulator,
    fraction_len: u64,
    exponent: i128,
}

/// Checks the syntax and gathers the parts; any error here is `Invalid`.
fn scan(text: &str) -> Option<Scanned> {
    let mut chars = text.chars().peekable();
    let negative = match chars.peek() {
        Some('-') => {
            chars.next();
            true
        }
        Some('+') => {
            chars.next();
            false
        }
        _ => false,
    };
    let mut digits = DigitAccumulator::default();
    let mut mantissa_digits = 0u64;
    let mut fraction_len = 0u64;
    let mut seen_point = false;
    let mut exponent = 0i128;
    while let Some(c) = chars.next() {
        if let Some(d) = digit_value(c) {
            digits.push(d);
            mantissa_digits += 1;
            if seen_point {
                fraction_len += 1;
            }
        } else if c == '.' && !seen_point {
            seen_point = true;
        } else if c == 'e' || c == 'E' {
            exponent = scan_exponent(&mut chars)?;
            break;
        } else {
            return None;
        }
    }
    if mantissa_digits == 0 || chars.next().is_some() {
        return None;
    }
    Some(Scanned {
        negative,
        digits,
        fraction_len,
        exponent,
    })
}

/// Parses the exponent after `e`, saturating beyond a 64-bit integer (an
/// exponent the current layer cannot convert).
fn scan_exponent(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<i128> {
    const SATURATE: i128 = 1 << 70;
    let negative = match chars.peek() {
        Some('-') => {
            chars.next();
            true
        }
        Some('+') => {
            chars.next();
            false
        }
        _ => false,
    };
    let mut value = 0i128;
    let mut any = false;
    for c in chars.by_ref() {
        let d = digit_value(c)?;
        value = (value * 10 + i128::from(d)).min(SATURATE);
        any = true;
    }
    if !any {
        return None;
    }
    Some(if negative { -value } else { value })
}

impl Number {
    /// Parses DynamoDB number text as the legacy layer reads it (see the
    /// module notes for the rules).
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        Number::parse_in(text, ValueLayer::Legacy)
    }

    /// Parses DynamoDB number text as `layer` reads it.
    pub fn parse_in(text: &str, layer: ValueLayer) -> Result<Number, NumberError> {
        let scanned = scan(text).ok_or(NumberError::Invalid)?;
        let scale = i128::from(scanned.fraction_len) - scanned.exponent;
        let convertible = match layer {
            ValueLayer::Legacy => (-MAX_SCALE..=MAX_SCALE).contains(&scale),
            ValueLayer::Current => i64::try_from(scanned.exponent).is_ok(),
        };
        if !convertible {
            return Err(NumberError::Invalid);
        }
        let digits = scanned.digits;
        if digits.too_many {
            return Err(NumberError::TooManyDigits);
        }
        // BigDecimal's precision less its scale: the count of digits
        // before the point, which the range check bounds.
        let precision = if digits.digits == 0 {
            1
        } else {
            i128::from(digits.digits) + i128::from(digits.pending_zeros)
        };
        let magnitude = precision - scale;
        match layer {
            // DynamoDB computes it in a Java int: past i32::MAX it wraps to
            // a large negative magnitude. Zero is never range-checked here.
            ValueLayer::Legacy if digits.digits != 0 && magnitude > i128::from(i32::MAX) => {
                return Err(NumberError::Underflow);
            }
            ValueLayer::Current if digits.digits == 0 => {
                if magnitude > MAX_SCI_EXPONENT as i128 + 1 {
                    return Err(NumberError::Overflow);
                }
                if magnitude < MIN_SCI_EXPONENT as i128 + 1 {
                    return Err(NumberError::Underflow);
                }
            }
            _ => {}
        }
        if digits.digits == 0 {
            return Ok(Number::zero());
        }
        // Anything past ±2^62 is far out of range, and the range check's
        // arithmetic stays inside an i64.
        let exponent = (i128::from(digits.pending_zeros) - scale).clamp(-(1 << 62), 1 << 62) as i64;
        Number::from_coefficient(scanned.negative, digits.coefficient, exponent)
    }

    /// The number zero.
    pub fn zero() -> Number {
        Number {
            negative: false,
            coefficient: 0,
            exponent: 0,
        }
    }

    /// Exact conversion of a machine integer (always in range).
    pub fn from_i64(v: i64) -> Number {
        let (coefficient, exponent) = strip_trailing_zeros(u128::from(v.unsigned_abs()), 0);
        Number {
            negative: v < 0,
            coefficient,
            exponent: exponent as i32,
        }
    }

    /// Builds a number from the parts returned by [`Number::digits`], checking
    /// the digits and the range. `digits` must be ASCII digits; leading and
    /// trailing zeros are allowed. An empty or all-zero string gives zero.
    pub fn from_digits(
        negative: bool,
        sci_exponent: i32,
        digits: &str,
    ) -> Result<Number, NumberError> {
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NumberError::Invalid);
        }
        let mut acc = DigitAccumulator::default();
        let mut last_position = i64::from(sci_exponent) + 1;
        for b in digits.bytes() {
            acc.push(b - b'0');
            last_position -= 1;
        }
        if acc.too_many {
            return Err(NumberError::TooManyDigits);
        }
        if acc.digits == 0 {
            return Ok(Number::zero());
        }
        let exponent = last_position + acc.pending_zeros as i64;
        Number::from_coefficient(negative, acc.coefficient, exponent)
    }

    /// Checks the range of ±coefficient × 10^exponent and canonicalizes it.
    fn from_coefficient(
        negative: bool,
        coefficient: u128,
        exponent: i64,
    ) -> Result<Number, NumberError> {
        if coefficient == 0 {
            return Ok(Number::zero());
        }
        let (coefficient, exponent) = strip_trailing_zeros(coefficient, exponent);
        let digits = digit_count(coefficient);
        if digits > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        let sci = exponent + i64::from(digits) - 1;
        if sci > MAX_SCI_EXPONENT {
            return Err(NumberError::Overflow);
        }
        if sci < MIN_SCI_EXPONENT {
            return Err(NumberError::Underflow);
        }
        Ok(Number {
            negative,
            coefficient,
            // In range, so -167 ≤ exponent ≤ 125.
            exponent: exponent as i32,
        })
    }

    pub fn is_zero(&self) -> bool {
        self.coefficient == 0
    }

    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// Exact sum; errors if it needs more than 38 digits or leaves the range.
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        let low = self.exponent.min(other.exponent);
        let a = aligned_digits(self.coefficient, (self.exponent - low) as usize);
        let b = aligned_digits(other.coefficient, (other.exponent - low) as usize);
        if self.negative == other.negative {
            return from_le_digits(self.negative, &add_magnitudes(&a, &b), low);
        }
        match cmp_le_digits(&a, &b) {
            Ordering::Equal => Ok(Number::zero()),
            Ordering::Greater => from_le_digits(self.negative, &sub_magnitudes(&a, &b), low),
            Ordering::Less => from_le_digits(other.negative, &sub_magnitudes(&b, &a), low),
        }
    }

    /// Exact difference; errors like [`Number::checked_add`].
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.checked_add(&-other.clone())
    }

    /// Count of significant digits (leading and trailing zeros trimmed); 0 for zero.
    pub fn significant_digits(&self) -> u32 {
        if self.is_zero() {
            0
        } else {
            digit_count(self.coefficient)
        }
    }

    /// Bytes this value adds to an item's size, as dynalite computes it
    /// (matched against DynamoDB): digits are stored in base-100 pairs aligned
    /// on the decimal point, plus one byte for sign and exponent, plus one
    /// more for negatives; zero takes one byte.
    pub fn storage_size(&self) -> usize {
        if self.is_zero() {
            return 1;
        }
        let sci = i64::from(self.sci_exponent());
        let last = i64::from(self.exponent);
        // Pairs cover exponents {2k+1, 2k}; count the pairs the digits touch.
        let pairs = sci.div_euclid(2) - last.div_euclid(2) + 1;
        1 + pairs as usize + usize::from(self.negative)
    }

    /// Parts for order-preserving encoders: sign, decimal exponent of the most significant digit (scientific exponent), and the significant digits as ASCII '0'..'9' without trailing zeros.
    ///
    /// Zero is `(false, 0, "")`.
    pub fn digits(&self) -> (bool, i32, String) {
        if self.is_zero() {
            return (false, 0, String::new());
        }
        (
            self.negative,
            self.sci_exponent(),
            self.coefficient.to_string(),
        )
    }

    /// Decimal exponent of the most significant digit (0 for zero).
    pub fn sci_exponent(&self) -> i32 {
        if self.is_zero() {
            0
        } else {
            self.exponent + digit_count(self.coefficient) as i32 - 1
        }
    }

    /// Absolute value.
    pub fn abs(&self) -> Number {
        Number {
            negative: false,
            ..self.clone()
        }
    }

    /// Orders magnitudes, ignoring signs.
    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        self.sci_exponent()
            .cmp(&other.sci_exponent())
            .then_with(|| {
                // Same leading position: pad both to the same digit count
                // (≤ 38 digits, so no overflow) and compare as integers.
                let (da, db) = (
                    digit_count(self.coefficient),
                    digit_count(other.coefficient),
                );
                let width = da.max(db);
                let a = self.coefficient * 10u128.pow(width - da);
                let b = other.coefficient * 10u128.pow(width - db);
                a.cmp(&b)
            })
    }
}

/// Number of decimal digits of a non-zero integer.
fn digit_count(v: u128) -> u32 {
    v.checked_ilog10().map_or(1, |log| log + 1)
}

fn strip_trailing_zeros(mut coefficient: u128, mut exponent: i64) -> (u128, i64) {
    while coefficient != 0 && coefficient.is_multiple_of(10) {
        coefficient /= 10;
        exponent += 1;
    }
    (coefficient, exponent)
}

/// Little-endian decimal digits of `coefficient × 10^shift`.
fn aligned_digits(coefficient: u128, shift: usize) -> Vec<u8> {
    let mut out = vec![0u8; shift];
    let mut rest = coefficient;
    while rest != 0 {
        out.push((rest % 10) as u8);
        rest /= 10;
    }
    out
}

fn add_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let len = a.len().max(b.len());
    let mut out = Vec::with_capacity(len + 1);
    let mut carry = 0u8;
    for i in 0..len {
        let sum = a.get(i).copied().unwrap_or(0) + b.get(i).copied().unwrap_or(0) + carry;
        out.push(sum % 10);
        carry = sum / 10;
    }
    if carry != 0 {
        out.push(carry);
    }
    out
}

/// `a - b` for little-endian magnitudes with `a ≥ b`.
fn sub_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.len());
    let mut borrow = 0i8;
    for (i, &da) in a.iter().enumerate() {
        let mut diff = da as i8 - b.get(i).copied().unwrap_or(0) as i8 - borrow;
        borrow = 0;
        if diff < 0 {
            diff += 10;
            borrow = 1;
        }
        out.push(diff as u8);
    }
    out
}

fn significant_len(digits: &[u8]) -> usize {
    digits.iter().rposition(|&d| d != 0).map_or(0, |i| i + 1)
}

fn cmp_le_digits(a: &[u8], b: &[u8]) -> Ordering {
    let (la, lb) = (significant_len(a), significant_len(b));
    la.cmp(&lb)
        .then_with(|| a[..la].iter().rev().cmp(b[..lb].iter().rev()))
}

/// Builds a number from little-endian digits whose first digit is at 10^low.
fn from_le_digits(negative: bool, digits: &[u8], low: i32) -> Result<Number, NumberError> {
    let len = significant_len(digits);
    let skip = digits[..len].iter().position(|&d| d != 0).unwrap_or(len);
    let significant = &digits[skip..len];
    if significant.len() > MAX_DIGITS as usize {
        return Err(NumberError::TooManyDigits);
    }
    let coefficient = significant
        .iter()
        .rev()
        .fold(0u128, |acc, &d| acc * 10 + u128::from(d));
    Number::from_coefficient(negative, coefficient, i64::from(low) + skip as i64)
}

impl std::ops::Neg for Number {
    type Output = Number;

    fn neg(self) -> Number {
        if self.is_zero() {
            return self;
        }
        Number {
            negative: !self.negative,
            ..self
        }
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        let sign = |n: &Number| match (n.is_zero(), n.negative) {
            (true, _) => 0,
            (false, true) => -1,
            (false, false) => 1,
        };
        sign(self).cmp(&sign(other)).then_with(|| {
            let by_magnitude = self.cmp_magnitude(other);
            if self.negative {
                by_magnitude.reverse()
            } else {
                by_magnitude
            }
        })
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Plain notation as DynamoDB returns numbers: no exponent, no leading or
/// trailing zeros beyond what the position of the point requires.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let digits = self.coefficient.to_string();
        let sci = i64::from(self.sci_exponent());
        let mut out = String::with_capacity(digits.len() + 132);
        if self.negative {
            out.push('-');
        }
        if sci < 0 {
            out.push_str("0.");
            push_zeros(&mut out, (-sci - 1) as usize);
            out.push_str(&digits);
        } else if sci as usize >= digits.len() - 1 {
            out.push_str(&digits);
            push_zeros(&mut out, sci as usize + 1 - digits.len());
        } else {
            let (int, frac) = digits.split_at(sci as usize + 1);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        }
        f.write_str(&out)
    }
}

fn push_zeros(out: &mut String, count: usize) {
    out.extend(std::iter::repeat_n('0', count));
}

impl FromStr for Number {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<Number, NumberError> {
        Number::parse(s)
    }
}

#[cfg(test)]
mod tests;
