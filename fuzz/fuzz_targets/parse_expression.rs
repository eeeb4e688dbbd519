//! The expression parser on arbitrary bytes: it must never panic, and whatever it
//! parses cleanly must print to text that parses back to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = cpl_syntax::parse_expression(text);
    for error in &parsed.errors {
        assert!(error.span().end as usize <= text.len());
    }
    if let Some(expr) = parsed.ok() {
        let printed = expr.to_string();
        let reparsed = cpl_syntax::parse_expression(&printed);
        let again = reparsed.ok().expect("canonical text parses");
        assert_eq!(again.without_spans(), expr.without_spans(), "{printed}");
    }
});
