use super::*;

fn n(s: &str) -> Number {
    Number::parse(s).unwrap()
}

fn show(s: &str) -> String {
    n(s).to_string()
}

#[test]
fn normalizes_like_dynamodb() {
    let cases = [
            ("1", "1"),
            ("+1", "1"),
            ("-1", "-1"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("+0", "0"),
            ("00", "0"),
            ("0.0", "0"),
            ("1e2", "100"),
            ("1E+2", "100"),
            ("1.50", "1.5"),
            ("-.5", "-0.5"),
            (".5", "0.5"),
            ("5.", "5"),
            ("1.e5", "100000"),
            ("-5.e-1", "-0.5"),
            ("+.5e+1", "5"),
            ("1e-2", "0.01"),
            ("0e999999", "0"),
            ("0e-999999", "0"),
            ("0.000e5", "0"),
            ("0e2147483647", "0"),
            ("00000000000000000000000000000000000000000000000000001", "1"),
            ("1.000000000000000000000000000000000000000000000000000", "1"),
            ("1e0000000000002", "100"),
            ("1e00000000000000000000000000002", "100"),
            ("١", "1"),
            ("１", "1"),
            ("1e٢", "100"),
            ("٣.5", "3.5"),
            ("꯹2", "92"),
            ("123.456", "123.456"),
            ("1.2e-128", "0.000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000012"),
        ];
    for (input, want) in cases {
        assert_eq!(show(input), want, "input {input:?}");
    }
    assert_eq!(show("1E+125"), format!("1{}", "0".repeat(125)));
    assert_eq!(show("1E-130"), format!("0.{}1", "0".repeat(129)));
    assert_eq!(
        show("9.9999999999999999999999999999999999999E+125"),
        format!("{}{}", "9".repeat(38), "0".repeat(88))
    );
}

#[test]
fn rejects_malformed_text() {
    let bad = [
        "",
        "abc",
        "1.2.3",
        " 1",
        "1 ",
        "NaN",
        "Infinity",
        "-Infinity",
        "0x10",
        "1e",
        "++1",
        "--1",
        "+-1",
        "1e++2",
        "1e--2",
        "1d",
        "1f",
        "1L",
        "1e2.5",
        "-",
        "+",
        ".",
        "e1",
        "1e+",
        "e",
        "-e",
        "-.e1",
        "1 2",
        "1,",
        "0x",
        "1ee2",
        "1e+-2",
        "𝟏",
        "²",
        "④",
        "1_0",
    ];
    for text in bad {
        assert_eq!(Number::parse(text), Err(NumberError::Invalid), "{text:?}");
    }
}

#[test]
fn rejects_scales_java_cannot_hold() {
    for text in [
        "1e2147483648",
        "0e2147483648",
        "0e-2147483648",
        "1e-2147483648",
        "0.1e-2147483647",
        "0.10e-2147483646",
        "0.0e-2147483647",
        "1e12345678901",
        "0e99999999999",
        "1e999999999999",
    ] {
        assert_eq!(Number::parse(text), Err(NumberError::Invalid), "{text:?}");
    }
    // DynamoDB's range check wraps past i32::MAX.
    assert_eq!(Number::parse("1e2147483647"), Err(NumberError::Underflow));
    assert_eq!(Number::parse("10e2147483647"), Err(NumberError::Underflow));
    assert_eq!(Number::parse("1e2147483646"), Err(NumberError::Overflow));
    assert_eq!(Number::parse("0e2147483647"), Ok(Number::zero()));
    assert_eq!(Number::parse("1e-2147483647"), Err(NumberError::Underflow));
    assert_eq!(
        Number::parse("0.1e-2147483646"),
        Err(NumberError::Underflow)
    );
}

#[test]
fn the_current_layer_reads_exponents_as_64_bit_integers() {
    let current = |text: &str| Number::parse_in(text, ValueLayer::Current);
    // Recorded from DynamoDB (PutItem, eu-west-2, 2026-10).
    for text in [
        "1e99999999999",
        "-1e99999999999",
        "1e2147483648",
        "1e2147483647",
        "0e126",
        "10e125",
    ] {
        assert_eq!(current(text), Err(NumberError::Overflow), "{text:?}");
    }
    for text in [
        "1e-99999999999",
        "1e-2147483648",
        "0e-131",
        "1e-131",
        "0.0e-130",
    ] {
        assert_eq!(current(text), Err(NumberError::Underflow), "{text:?}");
    }
    for text in [
        "1e9223372036854775808",
        "1e-9223372036854775809",
        "abc",
        "",
        " 1",
        "NaN",
    ] {
        assert_eq!(current(text), Err(NumberError::Invalid), "{text:?}");
    }
    assert_eq!(current("1e9223372036854775807"), Err(NumberError::Overflow));
    assert_eq!(current("0e125").map(|n| n.to_string()), Ok("0".to_string()));
    assert_eq!(
        current("0e-130").map(|n| n.to_string()),
        Ok("0".to_string())
    );
    assert_eq!(current("1e-130"), Number::parse("1e-130"));
    assert_eq!(
        current("-12.50e3").map(|n| n.to_string()),
        Ok("-12500".to_string())
    );
    assert_eq!(
        current("123456789012345678901234567890123456789e99999999999"),
        Err(NumberError::TooManyDigits)
    );
}

#[test]
fn enforces_digits_then_range() {
    let d38 = "12345678901234567890123456789012345678";
    assert_eq!(show(d38), d38);
    assert_eq!(show(&format!("{d38}00000")), format!("{d38}00000"));
    assert_eq!(show(&format!("0.000{d38}")), format!("0.000{d38}"));
    assert_eq!(
        show("1.23456789012345678901234567890123456780"),
        "1.2345678901234567890123456789012345678"
    );
    for text in [
        "123456789012345678901234567890123456789",
        "-123456789012345678901234567890123456789",
        "-1.23456789012345678901234567890123456789",
        "123456789012345678901234567890123456789e200",
        "123456789012345678901234567890123456789e-200",
    ] {
        assert_eq!(
            Number::parse(text),
            Err(NumberError::TooManyDigits),
            "{text:?}"
        );
    }
    for text in ["1E+126", "10E+125", "-1E+126", "1e126", "-1e126", "11e125"] {
        assert_eq!(Number::parse(text), Err(NumberError::Overflow), "{text:?}");
    }
    for text in ["0.99E-130", "-1e-131", "1e-131", "0.9e-130"] {
        assert_eq!(Number::parse(text), Err(NumberError::Underflow), "{text:?}");
    }
    // Syntax errors win over digit errors.
    assert_eq!(
        Number::parse("123456789012345678901234567890123456789x"),
        Err(NumberError::Invalid)
    );
}

#[test]
fn counts_significant_digits() {
    for (text, want) in [
        ("0.000001", 1),
        ("100", 1),
        ("1.50", 2),
        ("0", 0),
        ("-10.01", 4),
    ] {
        assert_eq!(n(text).significant_digits(), want, "{text}");
    }
}

#[test]
fn arithmetic_matches_dynamodb_local() {
    let add = |a: &str, b: &str| n(a).checked_add(&n(b)).map(|r| r.to_string());
    let sub = |a: &str, b: &str| n(a).checked_sub(&n(b)).map(|r| r.to_string());
    let max = "9.9999999999999999999999999999999999999E+125";
    assert_eq!(add("1", "2"), Ok("3".into()));
    assert_eq!(sub("1.5", "2"), Ok("-0.5".into()));
    assert_eq!(add("0.1", "0.2"), Ok("0.3".into()));
    assert_eq!(sub("5", "5"), Ok("0".into()));
    assert_eq!(
        add("1e-130", "1e-130"),
        Ok(format!("0.{}2", "0".repeat(129)))
    );
    assert_eq!(
        add("12345678901234567890123456789012345678", "1"),
        Ok("12345678901234567890123456789012345679".into())
    );
    assert_eq!(
        add("99999999999999999999999999999999999999", "1"),
        Ok(format!("1{}", "0".repeat(38)))
    );
    let too_many = Err(NumberError::TooManyDigits);
    assert_eq!(
        add("12345678901234567890123456789012345678", "0.1"),
        too_many
    );
    assert_eq!(add("99999999999999999999999999999999999999", "2"), too_many);
    assert_eq!(add(max, max), too_many);
    assert_eq!(add(max, "1"), too_many);
    assert_eq!(add("1e125", "1e-125"), too_many);
    assert_eq!(add("1e38", "1"), too_many);
    assert_eq!(sub(&format!("-{max}"), max), too_many);
    assert_eq!(add("9e125", "9e125"), Err(NumberError::Overflow));
    assert_eq!(add("5e125", "5e125"), Err(NumberError::Overflow));
    assert_eq!(sub("-5e125", "5e125"), Err(NumberError::Overflow));
    assert_eq!(sub("1.1e-130", "1e-130"), Err(NumberError::Underflow));
    assert_eq!(add("1.1e-130", "-1e-130"), Err(NumberError::Underflow));
    assert_eq!(sub("1e22", "1"), Ok("9".repeat(22)));
    assert_eq!(sub("1", "1e22"), Ok(format!("-{}", "9".repeat(22))));
}

#[test]
fn storage_size_follows_dynalite() {
    for (text, want) in [
        ("0", 1),
        ("1", 2),
        ("-1", 3),
        ("12", 2),
        ("1.2", 3),
        ("0.12", 2),
        ("0.012", 3),
        ("123", 3),
        ("12.3", 3),
        ("100", 2),
        ("12345678901234567890123456789012345678", 20),
        ("1.2345678901234567890123456789012345678", 21),
        ("-1.2345678901234567890123456789012345678", 22),
    ] {
        assert_eq!(n(text).storage_size(), want, "{text}");
    }
}

#[test]
fn exposes_digits_for_encoders() {
    assert_eq!(n("-0.0150").digits(), (true, -2, "15".to_string()));
    assert_eq!(n("1200").digits(), (false, 3, "12".to_string()));
    assert_eq!(n("0").digits(), (false, 0, String::new()));
    for text in ["-0.0150", "1200", "0", "1e-130", "-9.9e125"] {
        let (neg, sci, digits) = n(text).digits();
        assert_eq!(Number::from_digits(neg, sci, &digits), Ok(n(text)));
    }
    assert_eq!(
        Number::from_digits(false, 126, "1"),
        Err(NumberError::Overflow)
    );
    assert_eq!(
        Number::from_digits(false, 0, "1x"),
        Err(NumberError::Invalid)
    );
    assert_eq!(Number::from_digits(false, 0, "0012300"), Ok(n("0.0123")));
}

#[test]
fn from_i64_is_exact() {
    for v in [0, 1, -1, 10, -1200, i64::MAX, i64::MIN] {
        assert_eq!(Number::from_i64(v), n(&v.to_string()), "{v}");
        assert_eq!(Number::from_i64(v).to_string(), v.to_string());
    }
}

#[test]
fn messages() {
    assert_eq!(
        NumberError::Invalid.message(),
        "The parameter cannot be converted to a numeric value"
    );
    // Recorded from DynamoDB (module notes): the text is echoed, and an
    // empty one loses its colon in the legacy layer only.
    let not_numeric = "The parameter cannot be converted to a numeric value";
    for layer in [ValueLayer::Legacy, ValueLayer::Current] {
        assert_eq!(
            NumberError::Invalid.refusal("abc", layer),
            format!("{not_numeric}: abc")
        );
        assert_eq!(
            NumberError::Overflow.refusal("1e126", layer),
            NumberError::Overflow.message()
        );
    }
    assert_eq!(
        NumberError::Invalid.refusal("", ValueLayer::Legacy),
        not_numeric
    );
    assert_eq!(
        NumberError::Invalid.refusal("", ValueLayer::Current),
        format!("{not_numeric}: ")
    );
    assert_eq!(
        NumberError::TooManyDigits.message(),
        "Attempting to store more than 38 significant digits in a Number"
    );
}
