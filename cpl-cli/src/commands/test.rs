//! `cpl test POLICY TESTS.yaml`: policy unit tests (spec/testing.md).

use std::fmt::Write as _;
use std::path::PathBuf;

use cpl_replay::policy_tests::{load_tests, run_tests};

use crate::render::{stderr_colour, write_stderr, write_stdout, HumanRenderer};
use crate::ExitStatus;

/// Output formats of `cpl test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// One line per case, failures explained.
    Human,
    /// The JSON of spec/testing.md.
    Json,
}

/// Run a policy's unit tests.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The policy file.
    policy: PathBuf,
    /// The tests file (`cases:`).
    tests: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub(crate) fn run(args: &Args) -> ExitStatus {
    let Some((policy, evaluator)) = crate::policy_file::load_compiled(&args.policy) else {
        return ExitStatus::Failure;
    };
    let name = args.tests.display().to_string();
    let source = match std::fs::read(&args.tests) {
        Ok(bytes) => {
            if let Ok(text) = String::from_utf8(bytes) {
                text
            } else {
                write_stderr(&format!("error: `{name}` is not valid UTF-8\n"));
                return ExitStatus::Failure;
            }
        }
        Err(error) => {
            write_stderr(&format!("error: cannot read `{name}`: {error}\n"));
            return ExitStatus::Failure;
        }
    };
    let (file, diagnostics) = load_tests(&source, &policy);
    let renderer = HumanRenderer::new(stderr_colour());
    for diagnostic in &diagnostics {
        write_stderr(&renderer.render(&name, &source, diagnostic));
    }
    let Some(file) = file else {
        write_stderr(&format!("error: `{name}` has errors; no test was run\n"));
        return ExitStatus::Failure;
    };
    let results = run_tests(&evaluator, &file);
    let failed = results.iter().filter(|result| !result.passed).count();
    let passed = results.len() - failed;
    let text = match args.format {
        Format::Json => {
            let document = serde_json::json!({
                "version": 1,
                "passed": passed,
                "failed": failed,
                "cases": results,
            });
            format!("{document:#}\n")
        }
        Format::Human => {
            let mut out = String::new();
            for result in &results {
                if result.passed {
                    let _ = writeln!(out, "ok     {}", result.name);
                } else {
                    let _ = writeln!(out, "FAILED {}", result.name);
                    let expected = match &result.expected_rule {
                        Some(rule) => format!("{} by {rule}", result.expected),
                        None => result.expected.to_owned(),
                    };
                    let _ = writeln!(
                        out,
                        "         expected: {expected}\n         actual:   {}",
                        result.decision
                    );
                    if let Some(note) = &result.note {
                        let _ = writeln!(out, "         note:     {note}");
                    }
                }
            }
            let _ = writeln!(out, "\n{passed} passed, {failed} failed");
            out
        }
    };
    if write_stdout(&text).is_err() {
        return ExitStatus::Failure;
    }
    if failed == 0 {
        ExitStatus::Clean
    } else {
        ExitStatus::Findings
    }
}
