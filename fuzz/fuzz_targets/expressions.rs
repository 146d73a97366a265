//! Any text given as an expression of any kind is parsed into a tree or
//! refused with a ValidationException; it never panics, overflows the stack
//! or hangs. (`crates/expr/tests/proptest_parsers.rs` tries token soups; this
//! lets coverage guide the search.)
#![no_main]

use dynalith_expr::{
    parse_condition, parse_key_condition, parse_projection, parse_update, ExpressionKind,
};
use dynalith_model::ErrorKind;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, text)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let refusal = match selector % 5 {
        0 => parse_condition(text, ExpressionKind::Condition).err(),
        1 => parse_condition(text, ExpressionKind::Filter).err(),
        2 => parse_key_condition(text).err(),
        3 => parse_update(text).err(),
        _ => parse_projection(text).err(),
    };
    if let Some(error) = refusal {
        assert_eq!(error.kind, ErrorKind::Validation, "{text:?}: {error:?}");
    }
});
