//! Property tests: memcmp order of encodings equals DynamoDB's order, values
//! round-trip, and concatenated key parts order as pairs.

use std::cmp::Ordering;

use dynalith_codec::{
    decode_binary, decode_number, decode_string, encode_binary, encode_number, encode_string,
    partition_hash, DecodeError,
};
use dynalith_model::Number;
use proptest::prelude::*;

/// Strings that often share prefixes and contain NUL and non-ASCII chars.
fn string() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => prop::sample::select(vec!['\0', '\u{1}', 'a', 'b', '\u{7f}', '\u{ff}', '\u{fffd}', '\u{10000}']),
        1 => any::<char>(),
    ];
    prop::collection::vec(c, 0..6).prop_map(|cs| cs.into_iter().collect())
}

/// Binaries that often share prefixes and contain the escape bytes.
fn binary() -> impl Strategy<Value = Vec<u8>> {
    let b = prop_oneof![
        3 => prop::sample::select(vec![0x00u8, 0x01, 0x02, b'a', 0xFE, 0xFF]),
        1 => any::<u8>(),
    ];
    prop::collection::vec(b, 0..6)
}

/// Numbers over the whole range, plus clusters with shared digit prefixes
/// and nearby exponents (1 vs 10 vs 100 vs 1.5 vs 1.05) and range edges.
fn number() -> impl Strategy<Value = Number> {
    let wide = (
        any::<bool>(),
        -130i32..=125,
        "[1-9]([0-9]{0,36}[1-9])?".prop_map(String::from),
    );
    let near = (
        any::<bool>(),
        -2i32..=2,
        prop::sample::select(vec![
            "1", "15", "105", "11", "101", "2", "9", "99", "999", "1001",
        ])
        .prop_map(String::from),
    );
    let edges = (
        any::<bool>(),
        prop::sample::select(vec![-130, -129, -1, 0, 124, 125]),
        prop::sample::select(vec![
            "1",
            "9",
            "99999999999999999999999999999999999999",
            "10000000000000000000000000000000000001",
        ])
        .prop_map(String::from),
    );
    prop_oneof![
        4 => wide,
        4 => near,
        1 => edges,
        1 => Just((false, 0, String::new())),
    ]
    .prop_map(|(negative, sci, digits)| {
        Number::from_digits(negative, sci, &digits).expect("generated numbers are valid")
    })
}

fn enc_s(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    encode_string(&mut out, s);
    out
}

fn enc_b(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_binary(&mut out, b);
    out
}

fn enc_n(n: &Number) -> Vec<u8> {
    let mut out = Vec::new();
    encode_number(&mut out, n);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn string_order(a in string(), b in string()) {
        prop_assert_eq!(enc_s(&a).cmp(&enc_s(&b)), a.as_bytes().cmp(b.as_bytes()));
    }

    #[test]
    fn binary_order(a in binary(), b in binary()) {
        prop_assert_eq!(enc_b(&a).cmp(&enc_b(&b)), a.cmp(&b));
    }

    #[test]
    fn number_order(a in number(), b in number()) {
        prop_assert_eq!(enc_n(&a).cmp(&enc_n(&b)), a.cmp(&b));
    }

    #[test]
    fn round_trips_consume_exactly_one_value(s in string(), b in binary(), n in number(), tail in binary()) {
        let mut buf = enc_s(&s);
        buf.extend(enc_b(&b));
        buf.extend(enc_n(&n));
        buf.extend_from_slice(&tail);
        let mut input = buf.as_slice();
        prop_assert_eq!(decode_string(&mut input).unwrap(), s);
        prop_assert_eq!(decode_binary(&mut input).unwrap(), b);
        prop_assert_eq!(decode_number(&mut input).unwrap(), n);
        prop_assert_eq!(input, tail.as_slice());
    }

    #[test]
    fn string_then_number_pairs(a1 in string(), b1 in number(), a2 in string(), b2 in number()) {
        let k1 = [enc_s(&a1), enc_n(&b1)].concat();
        let k2 = [enc_s(&a2), enc_n(&b2)].concat();
        let want = a1.as_bytes().cmp(a2.as_bytes()).then_with(|| b1.cmp(&b2));
        prop_assert_eq!(k1.cmp(&k2), want);
    }

    #[test]
    fn number_then_string_pairs(a1 in number(), b1 in string(), a2 in number(), b2 in string()) {
        let k1 = [enc_n(&a1), enc_s(&b1)].concat();
        let k2 = [enc_n(&a2), enc_s(&b2)].concat();
        let want = a1.cmp(&a2).then_with(|| b1.as_bytes().cmp(b2.as_bytes()));
        prop_assert_eq!(k1.cmp(&k2), want);
    }

    #[test]
    fn number_then_number_pairs(a1 in number(), b1 in number(), a2 in number(), b2 in number()) {
        let k1 = [enc_n(&a1), enc_n(&b1)].concat();
        let k2 = [enc_n(&a2), enc_n(&b2)].concat();
        prop_assert_eq!(k1.cmp(&k2), a1.cmp(&a2).then_with(|| b1.cmp(&b2)));
    }

    #[test]
    fn binary_then_binary_pairs(a1 in binary(), b1 in binary(), a2 in binary(), b2 in binary()) {
        let k1 = [enc_b(&a1), enc_b(&b1)].concat();
        let k2 = [enc_b(&a2), enc_b(&b2)].concat();
        prop_assert_eq!(k1.cmp(&k2), a1.cmp(&a2).then_with(|| b1.cmp(&b2)));
    }

    #[test]
    fn decoders_reject_garbage_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..24)) {
        // Whatever decodes must re-encode to exactly the bytes consumed.
        let mut input = bytes.as_slice();
        if let Ok(n) = decode_number(&mut input) {
            prop_assert_eq!(enc_n(&n), &bytes[..bytes.len() - input.len()]);
        }
        let mut input = bytes.as_slice();
        if let Ok(b) = decode_binary(&mut input) {
            prop_assert_eq!(enc_b(&b), &bytes[..bytes.len() - input.len()]);
        }
        let mut input = bytes.as_slice();
        if let Ok(s) = decode_string(&mut input) {
            prop_assert_eq!(enc_s(&s), &bytes[..bytes.len() - input.len()]);
        }
    }
}

#[test]
fn prefixes_order_first() {
    let order = ["", "a", "a\0", "a\0\0", "a\u{1}", "ab", "b"];
    for pair in order.windows(2) {
        assert_eq!(
            enc_s(pair[0]).cmp(&enc_s(pair[1])),
            Ordering::Less,
            "{pair:?}"
        );
    }
}

#[test]
fn numbers_order_across_signs_and_exponents() {
    let order = [
        "-9.9999999999999999999999999999999999999e125",
        "-100",
        "-10",
        "-1.5",
        "-1.05",
        "-1",
        "-1e-130",
        "0",
        "1e-130",
        "1",
        "1.05",
        "1.5",
        "10",
        "100",
        "9.9999999999999999999999999999999999999e125",
    ];
    let encoded: Vec<Vec<u8>> = order.iter().map(|t| enc_n(&t.parse().unwrap())).collect();
    for (i, pair) in encoded.windows(2).enumerate() {
        assert!(pair[0] < pair[1], "{} < {}", order[i], order[i + 1]);
    }
    assert_eq!(enc_n(&Number::zero()), vec![0x02]);
    assert_eq!(enc_n(&"1".parse().unwrap()), vec![0x03, 130, 11, 0x00]);
}

#[test]
fn malformed_input_is_an_error() {
    let bad_strings: [&[u8]; 6] = [
        b"",
        b"abc",          // no terminator
        b"a\x00",        // cut inside the terminator
        b"a\x00\x02",    // 0x00 followed by neither 0xFF nor 0x01
        b"\xff\x00\x01", // not UTF-8
        b"\x00\xff",     // escaped zero, then nothing
    ];
    for case in bad_strings {
        assert_eq!(decode_string(&mut &case[..]), Err(DecodeError), "{case:?}");
    }
    assert_eq!(decode_binary(&mut &b"\xff\x00\x01"[..]), Ok(vec![0xff]));

    let bad_numbers: [&[u8]; 7] = [
        b"",
        b"\x04",             // unknown class
        b"\x03",             // no exponent
        b"\x03\x82",         // no digits or terminator
        b"\x03\x82\x0b",     // no terminator
        b"\x03\x82\x00",     // no digits: zero has its own class
        b"\x03\x82\x01\x00", // a pair of two zeros: not canonical
    ];
    for case in bad_numbers {
        assert_eq!(decode_number(&mut &case[..]), Err(DecodeError), "{case:?}");
    }
    // Pair bytes above 100 are out of range.
    assert_eq!(
        decode_number(&mut &b"\x03\x82\x66\x00"[..]),
        Err(DecodeError)
    );
    // 1e125 is fine; the exponent byte cannot exceed the range.
    assert_eq!(
        decode_number(&mut &b"\x03\xff\x0b\x00"[..]),
        Ok("1e125".parse().unwrap())
    );
}

#[test]
fn partition_hash_is_stable() {
    // XXH3-64, seed 0: fixed values so a dependency change cannot move keys.
    assert_eq!(partition_hash(b""), 0x2d06800538d394c2);
    assert_eq!(partition_hash(&enc_s("a")), partition_hash(b"a\x00\x01"));
}
