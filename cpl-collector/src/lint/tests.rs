//! Unit tests of the lint machinery (the rules have fixtures in
//! tests/fixtures/collector-lint/).

use super::*;
use crate::config;

fn lint(source: &str) -> Vec<Diagnostic> {
    let file = config::read(source);
    assert!(!file.has_errors(), "{:?}", file.diagnostics);
    lint_file(source, &file, None)
}

#[test]
fn a_policy_text_is_read_in_place() {
    let source = "policies:\n  - name: a\n    type: numeric_attribute\n    numeric_attribute: {key: k, min_value: 0, max_value: 5}\n";
    let found = lint(source);
    let zero = found.iter().find(|d| d.code.code == "L402").expect("L402");
    assert_eq!(&source[zero.span.clone()], "0");
    assert_eq!(zero.span.start, source.find("0,").expect("the 0"));
}

#[test]
fn every_rule_has_docs() {
    for code in rule_codes() {
        let docs = rule_docs(code.code).unwrap_or_else(|| panic!("{code} has no docs"));
        assert!(docs.starts_with("**What it finds.**"), "{docs}");
    }
    assert!(rule_docs("L331").is_none());
}
