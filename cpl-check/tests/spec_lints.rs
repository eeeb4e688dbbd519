//! The examples of spec/lints.md run as tests: `yaml lint CODE` blocks produce `CODE`,
//! `yaml lint-clean CODE` blocks do not, `yaml lint-clarvynn CODE` blocks produce it with
//! `--target clarvynn`.

use cpl_check::{check_policy, CheckOptions, Target};
use cpl_syntax::load_policy;

const SPEC: &str = include_str!("../../spec/lints.md");

#[test]
fn lint_examples() {
    let mut failures = Vec::new();
    let mut count = 0;
    let mut lines = SPEC.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let words: Vec<&str> = line
            .trim()
            .trim_start_matches("```")
            .split_whitespace()
            .collect();
        let (kind, code) = match (line.trim_start().starts_with("```"), words.as_slice()) {
            (true, ["yaml", kind @ ("lint" | "lint-clean" | "lint-clarvynn"), code]) => {
                (*kind, *code)
            }
            _ => continue,
        };
        let mut text = String::new();
        for (_, body) in lines.by_ref() {
            if body.trim_start().starts_with("```") {
                break;
            }
            text.push_str(body);
            text.push('\n');
        }
        count += 1;
        let Some(policy) = load_policy(&text).policy else {
            failures.push(format!(
                "spec/lints.md:{}: the example does not load",
                number + 1
            ));
            continue;
        };
        let target = if kind == "lint-clarvynn" {
            Target::Clarvynn
        } else {
            Target::Cpl
        };
        let found = check_policy(&policy, &CheckOptions::for_target(target))
            .iter()
            .any(|d| d.code.code == code);
        if found == (kind == "lint-clean") {
            failures.push(format!(
                "spec/lints.md:{}: `{kind} {code}` does not hold",
                number + 1
            ));
        }
    }
    assert!(count >= 25, "only {count} examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
