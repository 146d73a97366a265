//! Property tests for `Number`, checked against references that do not share
//! its code: fixed-width digit strings for order, i128 for sums.

use std::cmp::Ordering;

use dynalith_model::{Number, NumberError};
use proptest::prelude::*;

/// A valid number as (negative, scientific exponent, digits without
/// trailing zeros); an empty digit string is zero.
#[derive(Clone, Debug)]
struct Parts {
    negative: bool,
    sci: i32,
    digits: String,
}

fn trim_trailing_zeros(s: &str) -> String {
    s.trim_end_matches('0').to_string()
}

/// Numbers across the whole range plus clusters that share prefixes and
/// exponents (1 vs 10 vs 100 vs 1.5), so orderings get close calls.
fn parts() -> impl Strategy<Value = Parts> {
    let wide = (
        any::<bool>(),
        -130i32..=125,
        "[1-9]([0-9]{0,36}[1-9])?".prop_map(String::from),
    );
    let near = (
        any::<bool>(),
        -3i32..=3,
        prop::sample::select(vec!["1", "15", "1", "2", "11", "101", "9", "99", "105"])
            .prop_map(String::from),
    );
    let edges = (
        any::<bool>(),
        prop::sample::select(vec![-130, -129, 124, 125]),
        prop::sample::select(vec!["1", "9", "99999999999999999999999999999999999999"])
            .prop_map(String::from),
    );
    prop_oneof![
        4 => wide,
        3 => near,
        1 => edges,
        1 => Just((false, 0, String::new())),
    ]
    .prop_map(|(negative, sci, digits)| Parts {
        negative: negative && !digits.is_empty(),
        sci: if digits.is_empty() { 0 } else { sci },
        digits: trim_trailing_zeros(&digits),
    })
}

/// Scientific text for the parts, e.g. "-1.5e-3", with an arbitrary amount
/// of exponent shifting and padding to exercise the parser.
fn text_of(p: &Parts, shift: i32, pad: usize, plus: bool) -> String {
    if p.digits.is_empty() {
        return format!(
            "{}0{}e{}",
            if plus { "+" } else { "" },
            ".0".repeat(pad.min(1)),
            shift
        );
    }
    let sign = if p.negative {
        "-"
    } else if plus {
        "+"
    } else {
        ""
    };
    // value = 0.DIGITS × 10^(sci + 1) = DIGITS × 10^(sci + 1 - len)
    let exponent = p.sci + 1 - p.digits.len() as i32;
    let zeros = "0".repeat(pad);
    let shifted = shift.clamp(0, 40) as usize;
    // Move `shifted` digits behind a decimal point: DIGITS[..k].DIGITS[k..]
    let all = format!("{zeros}{}{zeros}", p.digits);
    let split = all.len().saturating_sub(shifted + pad);
    let (int, frac) = all.split_at(split);
    let frac_len = frac.len() as i64;
    let e = i64::from(exponent) + frac_len - pad as i64;
    format!("{sign}{int}.{frac}e{e}")
}

/// Magnitude as a fixed-width string of digits covering 10^125 .. 10^-167.
fn fixed_width(p: &Parts) -> String {
    const TOP: i32 = 125;
    const WIDTH: usize = 125 + 167 + 1;
    let mut out = vec![b'0'; WIDTH];
    for (i, d) in p.digits.bytes().enumerate() {
        out[(TOP - (p.sci - i as i32)) as usize] = d;
    }
    String::from_utf8(out).unwrap()
}

fn reference_cmp(a: &Parts, b: &Parts) -> Ordering {
    let sign = |p: &Parts| match (p.digits.is_empty(), p.negative) {
        (true, _) => 0,
        (false, true) => -1,
        (false, false) => 1,
    };
    sign(a).cmp(&sign(b)).then_with(|| {
        let by_magnitude = fixed_width(a).cmp(&fixed_width(b));
        if a.negative {
            by_magnitude.reverse()
        } else {
            by_magnitude
        }
    })
}

fn number(p: &Parts) -> Number {
    Number::parse(&text_of(p, 0, 0, false)).expect("generated numbers are valid")
}

/// Small numbers that fit i128 once scaled to a common exponent.
fn small() -> impl Strategy<Value = (i64, i32)> {
    (
        -999_999_999_999_999_999i64..=999_999_999_999_999_999,
        -9i32..=9,
    )
}

fn small_number((m, e): (i64, i32)) -> Number {
    Number::parse(&format!("{m}e{e}")).expect("small numbers are valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_display_round_trip(p in parts(), shift in 0i32..45, pad in 0usize..3, plus: bool) {
        let n = Number::parse(&text_of(&p, shift, pad, plus)).unwrap();
        prop_assert_eq!(&n, &number(&p));
        let shown = n.to_string();
        prop_assert!(!shown.contains(['e', 'E', '+']));
        prop_assert_eq!(Number::parse(&shown).unwrap(), n.clone());
        prop_assert_eq!(shown.parse::<Number>().unwrap().to_string(), shown);
        let (negative, sci, digits) = n.digits();
        prop_assert_eq!(negative, p.negative);
        prop_assert_eq!(&digits, &p.digits);
        prop_assert_eq!(sci, p.sci);
        prop_assert_eq!(n.significant_digits() as usize, p.digits.len());
        prop_assert_eq!(Number::from_digits(negative, sci, &digits).unwrap(), n);
    }

    #[test]
    fn order_is_exact(a in parts(), b in parts()) {
        let (na, nb) = (number(&a), number(&b));
        prop_assert_eq!(na.cmp(&nb), reference_cmp(&a, &b));
        prop_assert_eq!(na == nb, reference_cmp(&a, &b) == Ordering::Equal);
    }

    #[test]
    fn storage_size_matches_dynalite(p in parts()) {
        let n = number(&p);
        let len = p.digits.len();
        // dynalite: 1 + ceil(len/2) + (len even and sci even ? 1 : 0) + (neg ? 1 : 0)
        let want = if len == 0 {
            1
        } else {
            1 + len.div_ceil(2)
                + usize::from(len % 2 == 0 && p.sci % 2 == 0)
                + usize::from(p.negative)
        };
        prop_assert_eq!(n.storage_size(), want);
    }

    #[test]
    fn add_sub_laws(a in parts(), b in parts()) {
        let (na, nb) = (number(&a), number(&b));
        let zero = Number::zero();
        prop_assert_eq!(na.checked_add(&zero).unwrap(), na.clone());
        prop_assert_eq!(zero.checked_add(&na).unwrap(), na.clone());
        prop_assert_eq!(na.checked_sub(&zero).unwrap(), na.clone());
        prop_assert_eq!(na.checked_sub(&na).unwrap(), zero.clone());
        let sum = na.checked_add(&nb);
        prop_assert_eq!(&sum, &nb.checked_add(&na));
        let diff = na.checked_sub(&nb);
        prop_assert_eq!(diff.clone().map(|d| -d), nb.checked_sub(&na));
        if let Ok(s) = &sum {
            prop_assert_eq!(s.checked_sub(&nb).unwrap(), na.clone());
            prop_assert_eq!(s.cmp(&na), nb.cmp(&zero));
        }
        if let Err(e) = sum {
            prop_assert!(e != NumberError::Invalid);
        }
    }

    #[test]
    fn add_sub_match_i128(a in small(), b in small()) {
        let low = a.1.min(b.1);
        let scaled = |(m, e): (i64, i32)| i128::from(m) * 10i128.pow((e - low) as u32);
        let (sa, sb) = (scaled(a), scaled(b));
        let want_sum = Number::parse(&format!("{}e{low}", sa + sb)).unwrap();
        let want_diff = Number::parse(&format!("{}e{low}", sa - sb)).unwrap();
        let (na, nb) = (small_number(a), small_number(b));
        prop_assert_eq!(na.checked_add(&nb).unwrap(), want_sum);
        prop_assert_eq!(na.checked_sub(&nb).unwrap(), want_diff);
        prop_assert_eq!(na.cmp(&nb), sa.cmp(&sb));
    }

    #[test]
    fn from_i64_matches_text(v: i64) {
        prop_assert_eq!(Number::from_i64(v).to_string(), v.to_string());
    }

    #[test]
    fn arbitrary_text_never_panics(s in "[-+0-9.eE]{0,50}") {
        if let Ok(n) = Number::parse(&s) {
            prop_assert_eq!(Number::parse(&n.to_string()).unwrap(), n);
        }
    }
}

#[test]
fn huge_sums_are_digit_errors() {
    let big = Number::parse("1e125").unwrap();
    let tiny = Number::parse("1e-130").unwrap();
    assert_eq!(big.checked_add(&tiny), Err(NumberError::TooManyDigits));
    assert_eq!(big.checked_sub(&tiny), Err(NumberError::TooManyDigits));
}
