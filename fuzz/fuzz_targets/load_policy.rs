//! The document loader on arbitrary bytes: never a panic, and every diagnostic span
//! lies inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let loaded = cpl_syntax::load_policy_bytes(data);
    for diagnostic in &loaded.diagnostics {
        assert!(diagnostic.span.start <= diagnostic.span.end);
        assert!(diagnostic.span.end <= data.len(), "{diagnostic:?}");
    }
    assert_eq!(loaded.policy.is_some(), !loaded.has_errors());
});
