//! Semantic checks of CPL policies: the mistakes that are not syntax errors.
//!
//! INTERFACE CONTRACT (used by cpl-cli; keep these names and signatures):
//!
//! - [`check_policy`] runs every semantic rule on a loaded policy and returns
//!   diagnostics located in the policy file, with codes from the one registry
//!   (`cpl_syntax::REGISTRY`).
//! - [`CheckOptions`] selects the target runtime (`--target clarvynn`).
//! - [`rule_docs`] gives, per code, the long explanation `cpl explain CODE` prints.
//!
//! The rules (codes `L301`–`L356`, spec/lints.md) cover types, field names,
//! thresholds, logic (unsatisfiable, always-true, subsumed and shadowed conditions),
//! missing values and portability to clarvynn. The logic rules stand on [`logic`], the
//! engine that decides satisfiability, implication and equivalence of conditions, which
//! parity checks and `cpl diff` reuse.
//!
//! ```
//! use cpl_check::{check_policy, CheckOptions};
//! use cpl_syntax::load_policy;
//!
//! let source = "sampling:\n  base_rate: 0.01\n  conditions:\n    - name: errors\n      when: \"status_code >= 500 AND status_code < 400\"\n";
//! let policy = load_policy(source).policy.unwrap();
//! let diagnostics = check_policy(&policy, &CheckOptions::default());
//! assert_eq!(diagnostics[0].code.code, "L331");
//! ```
#![warn(missing_docs)]

pub mod diff;
pub mod logic;
pub mod normalize;
pub mod parity;
mod rules;

use std::collections::HashMap;
use std::sync::OnceLock;

use cpl_syntax::{Diagnostic, Policy};

/// The runtime a policy is checked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Target {
    /// CPL's own semantics (cpl-eval).
    #[default]
    Cpl,
    /// clarvynn 0.3.1: also report every construct it rejects or evaluates differently.
    Clarvynn,
}

/// What to check.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CheckOptions {
    /// The runtime the policy is for.
    pub target: Target,
}

impl CheckOptions {
    /// Options for `target`.
    pub fn for_target(target: Target) -> Self {
        Self { target }
    }
}

/// Runs every semantic rule on `policy`; diagnostics come in file order.
pub fn check_policy(policy: &Policy, options: &CheckOptions) -> Vec<Diagnostic> {
    rules::run(policy, options)
}

/// The codes of the semantic rules, in code order.
pub fn rule_codes() -> impl Iterator<Item = &'static cpl_syntax::Code> {
    rules::RULES.iter().map(|rule| rule.code)
}

/// The section of spec/diagnostics.md about the load-time codes.
const DIAGNOSTICS_SPEC: &str = include_str!("../../spec/diagnostics.md");

/// The long explanation of a diagnostic code (`E101` or `unexpected-token`), for
/// `cpl explain`: what the rule finds, why it matters, and an example.
///
/// The semantic rules (`L…`) are explained by their module documentation; the
/// load-time codes by their section of spec/diagnostics.md.
pub fn rule_docs(code: &str) -> Option<&'static str> {
    static DOCS: OnceLock<HashMap<&'static str, String>> = OnceLock::new();
    let code = cpl_syntax::find_code(code)?;
    let docs = DOCS.get_or_init(|| {
        cpl_syntax::REGISTRY
            .iter()
            .filter_map(|code| {
                rules::docs(code)
                    .or_else(|| spec_section(code))
                    .map(|text| (code.code, for_terminal(&text)))
            })
            .collect()
    });
    docs.get(code.code).map(String::as_str)
}

/// A doc text as `cpl explain` prints it: without a leading heading (the CLI prints
/// code and name itself), and with fence info strings cut to the language
/// (`yaml policy-err E211` is a test tag of the spec, not for readers), and the spec's
/// `cpl-parse` test blocks written out as sentences.
fn for_terminal(text: &str) -> String {
    let mut lines = text.trim().lines().peekable();
    if lines.peek().is_some_and(|line| line.starts_with('#')) {
        lines.next();
    }
    let mut out = String::new();
    let mut parse_examples = false;
    for line in lines {
        match line.strip_prefix("```") {
            Some("cpl-parse") => parse_examples = true,
            Some(_) if parse_examples => parse_examples = false,
            Some(info) if !info.is_empty() => {
                out.push_str("```");
                out.push_str(info.split_whitespace().next().unwrap_or(""));
                out.push('\n');
            }
            _ if parse_examples => {
                out.push_str(&parse_example(line));
                out.push('\n');
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out.trim().to_owned()
}

/// One line of a spec `cpl-parse` test block (`INPUT  =>  RESULT`) as a reader's
/// sentence: "- `status_code 500` is an error (E101)", "- `x==1` reads as `x == 1`".
fn parse_example(line: &str) -> String {
    // Keep in sync with tests/tests/spec_examples.rs, which runs these lines.
    let Some((input, result)) = line.split_once("  =>  ") else {
        return line.to_owned();
    };
    let input = input.trim();
    let shown = if input.is_empty() {
        "an expression of only spaces".to_owned()
    } else {
        format!("`{input}`")
    };
    match result.trim().strip_prefix("error ") {
        Some(code) => format!("- {shown} is an error ({code})"),
        None => format!("- {shown} reads as `{}`", result.trim()),
    }
}

/// The text under `### CODE name` in spec/diagnostics.md, without the heading, up to
/// the next heading outside a fenced example (a YAML comment is not a heading).
fn spec_section(code: &cpl_syntax::Code) -> Option<String> {
    let heading = format!("### {} {}", code.code, code.name);
    let start = DIAGNOSTICS_SPEC.find(&heading)? + heading.len();
    let mut body = String::new();
    let mut in_fence = false;
    for line in DIAGNOSTICS_SPEC[start..].lines().skip(1) {
        if line.starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence && line.starts_with('#') {
            break;
        }
        body.push_str(line);
        body.push('\n');
    }
    let text = body.trim();
    (!text.is_empty()).then(|| text.to_owned())
}
