//! The hostile inputs issue 2 lists: each gets a diagnostic with a position (or loads),
//! none panics or hangs. Timing is never asserted; a hang would time the test out.

#![allow(
    clippy::format_push_string,
    clippy::format_collect,
    clippy::unwrap_used
)]

use cpl_syntax::{load_policy, load_policy_bytes, Loaded};

fn codes(loaded: &Loaded) -> Vec<&'static str> {
    loaded.diagnostics.iter().map(|d| d.code.code).collect()
}

fn policy_with_when(when: &str) -> String {
    format!("sampling:\n  base_rate: 0.1\n  conditions:\n    - name: big\n      when: \"{when}\"\n")
}

#[test]
fn a_4_mb_when_is_too_long() {
    // Four times the 1 MiB limit: the parser must refuse it before any work per token.
    let when = "status_code == 1 OR ".repeat(4 * 1024 * 1024 / 20) + "status_code == 2";
    let loaded = load_policy(&policy_with_when(&when));
    assert_eq!(codes(&loaded), ["E111"]);
    let span = &loaded.diagnostics[0].span;
    assert!(
        span.start >= 50 && span.end <= 50 + when.len() + 2,
        "{span:?}"
    );
}

#[test]
fn ten_thousand_conditions_load() {
    let mut text = String::from("sampling:\n  base_rate: 0.1\n  conditions:\n");
    for i in 0..10_000 {
        text.push_str(&format!(
            "    - name: rule_{i}\n      when: \"status_code == {i} OR path contains '/{i}'\"\n"
        ));
    }
    let loaded = load_policy(&text);
    assert!(
        loaded.diagnostics.is_empty(),
        "{:?}",
        &loaded.diagnostics[..1]
    );
    assert_eq!(
        loaded.policy.expect("policy").sampling.conditions.len(),
        10_000
    );
}

#[test]
fn nesting_bombs_in_expressions_and_yaml() {
    let deep = format!(
        "{}status_code == 1{}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert_eq!(codes(&load_policy(&policy_with_when(&deep))), ["E110"]);
    let nots = "NOT ".repeat(100_000) + "status_code == 1";
    assert_eq!(codes(&load_policy(&policy_with_when(&nots))), ["E110"]);
    let yaml = format!(
        "sampling: {}1{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert_eq!(codes(&load_policy(&yaml)), ["E208"]);
    let blocks: String = (0..200)
        .map(|depth| format!("{}k{depth}:\n", "  ".repeat(depth)))
        .collect();
    assert_eq!(codes(&load_policy(&blocks)), ["E208"]);
}

#[test]
fn billion_laughs_is_refused() {
    let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..10 {
        let prev = level - 1;
        text.push_str(&format!(
            "a{level}: &a{level} [{}]\n",
            vec![format!("*a{prev}"); 10].join(", ")
        ));
    }
    text.push_str("sampling:\n  base_rate: 0.1\n");
    assert_eq!(codes(&load_policy(&text)), ["E206"]);
}

#[test]
fn bytes_that_are_not_text() {
    assert_eq!(
        codes(&load_policy_bytes(b"sampling:\n  base_rate: \xff\xfe\n")),
        ["E207"]
    );
    let nul = load_policy_bytes(b"sampling:\n  base_rate: 0.1\0\n");
    assert!(!nul.diagnostics.is_empty());
    let nul_in_when = load_policy_bytes(b"sampling:\n  base_rate: 0.1\n  conditions:\n    - name: x\n      when: \"path == '\0'\"\n");
    for diagnostic in &nul_in_when.diagnostics {
        assert!(diagnostic.span.end <= 80);
    }
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    assert!(load_policy_bytes(&binary).has_errors());
}

#[test]
fn every_diagnostic_span_lies_in_the_file() {
    let samples = [
        "",
        "\n\n\n",
        "sampling",
        "sampling:\n  base_rate: [",
        "sampling: {base_rate: 0.1, conditions: [{name: a, when: 'x >'}]}",
        "sampling:\n  base_rate: 0.1\n  conditions:\n    - name: a\n      when: |\n        (((\n",
        "- - - -",
        "? [a, b]\n: c\n",
        "sampling:\n  base_rate: !!str 0.1\n",
        "sampling:\n  base_rate: 0.1\n  conditions:\n    - {name: a, when: \"\\u00e9 == 1\"}\n",
    ];
    for sample in samples {
        let loaded = load_policy(sample);
        assert!(loaded.has_errors() || loaded.policy.is_some(), "{sample:?}");
        for diagnostic in &loaded.diagnostics {
            assert!(
                diagnostic.span.start <= diagnostic.span.end && diagnostic.span.end <= sample.len(),
                "{sample:?}: {diagnostic:?}"
            );
        }
    }
}
