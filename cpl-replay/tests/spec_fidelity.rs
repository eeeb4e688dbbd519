//! The fidelity example of spec/replay.md runs as a test.
//!
//! Each ```` ```yaml fidelity-traces ```` block is a tests file (spec/testing.md) whose
//! cases are the traces of a capture, replayed with the policy of the closest
//! ```` ```yaml policy-ok ```` block above it; every case's expectation must hold. The
//! ```` ```json fidelity-expected ```` block after it holds members of the report's
//! `fidelity` that the replay must give exactly: an object's members not written are
//! not checked, an array's elements are checked in order.

use cpl_eval::Evaluator;
use cpl_replay::policy_tests::{load_tests, run_tests};
use cpl_replay::{Replay, ReplayOptions};
use serde_json::Value;

const CHAPTER: &str = include_str!("../../spec/replay.md");

/// The blocks the test reads, in order, with the line of their opening fence.
fn blocks() -> Vec<(usize, &'static str, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, &str, String)> = None;
    for (number, line) in CHAPTER.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            if let Some(block) = open.take() {
                blocks.push(block);
            } else {
                let kind = match info.trim() {
                    "yaml policy-ok" => "policy",
                    "yaml fidelity-traces" => "traces",
                    "json fidelity-expected" => "expected",
                    _ => "other",
                };
                open = Some((number + 1, kind, String::new()));
            }
        } else if let Some((_, _, text)) = &mut open {
            text.push_str(line);
            text.push('\n');
        }
    }
    blocks
}

/// Where `actual` differs from the members `expected` gives.
fn differences(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, value) in expected {
                let at = format!("{path}.{key}");
                match actual.get(key) {
                    Some(found) => differences(&at, value, found, out),
                    None => out.push(format!("{at}: missing")),
                }
            }
        }
        (Value::Array(expected), Value::Array(actual)) if expected.len() == actual.len() => {
            for (index, (value, found)) in expected.iter().zip(actual).enumerate() {
                differences(&format!("{path}[{index}]"), value, found, out);
            }
        }
        _ if expected == actual => {}
        _ => out.push(format!("{path}: expected {expected}, got {actual}")),
    }
}

#[test]
fn the_fidelity_examples_hold() {
    let mut policy = None;
    let mut report = None;
    let mut checked = 0;
    let mut failures = Vec::new();
    for (line, kind, text) in blocks() {
        match kind {
            "policy" => {
                let loaded = cpl_syntax::load_policy(&text);
                policy = loaded.policy;
            }
            "traces" => {
                let policy = policy
                    .as_ref()
                    .expect("a policy-ok block before the traces");
                let evaluator = Evaluator::compile(policy).expect("the policy compiles");
                let (file, diagnostics) = load_tests(&text, policy);
                let file = file.unwrap_or_else(|| panic!("line {line}: {diagnostics:?}"));
                for result in run_tests(&evaluator, &file) {
                    if !result.passed {
                        failures.push(format!(
                            "line {line}: case `{}`: {}",
                            result.name, result.decision
                        ));
                    }
                }
                let spans: Vec<_> = file
                    .cases
                    .iter()
                    .flat_map(|case| case.spans.clone())
                    .collect();
                let mut replay = Replay::new(&evaluator, ReplayOptions::default());
                replay.add(Replay::summarize(&evaluator, &spans));
                report = Some(replay.finish());
            }
            "expected" => {
                checked += 1;
                let report = report
                    .take()
                    .expect("a fidelity-traces block before the figures");
                let expected: Value =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("line {line}: {e}"));
                let actual = serde_json::to_value(&report.fidelity).expect("serialises");
                let mut found = Vec::new();
                differences("fidelity", &expected, &actual, &mut found);
                failures.extend(found.into_iter().map(|f| format!("line {line}: {f}")));
            }
            _ => {}
        }
    }
    assert!(checked >= 1, "spec/replay.md has no fidelity example");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
