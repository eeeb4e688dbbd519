//! `cpl lint PATH...`: load each policy and report every syntax and schema problem.

use std::path::PathBuf;

use cpl_syntax::{load_policy_bytes, LineIndex, Severity};

use crate::input::read_policies;
use crate::render::{json_diagnostic, stderr_colour, write_stderr, write_stdout, HumanRenderer};
use crate::ExitStatus;

/// Output formats of `cpl lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Rendered diagnostics with source excerpts, on stderr.
    Human,
    /// One JSON document on stdout.
    Json,
}

/// Check policy files for syntax and schema errors.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Policy files or directories (searched for *.yaml and *.yml); `-` reads stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub(crate) fn run(args: &Args) -> ExitStatus {
    let (inputs, read_errors) = read_policies(&args.paths);
    let renderer = HumanRenderer::new(stderr_colour());
    let mut json = Vec::new();
    let (mut errors, mut warnings) = (0usize, 0usize);

    for input in &inputs {
        let loaded = load_policy_bytes(&input.bytes);
        // Invalid UTF-8 is reported by the loader; render against a lossy copy.
        let source = String::from_utf8_lossy(&input.bytes);
        let lines = LineIndex::new(&source);
        for diagnostic in &loaded.diagnostics {
            match diagnostic.severity {
                Severity::Error => errors += 1,
                Severity::Warning => warnings += 1,
            }
            match args.format {
                Format::Human => write_stderr(&renderer.render(&input.name, &source, diagnostic)),
                Format::Json => {
                    json.push(json_diagnostic(&input.name, &source, &lines, diagnostic))
                }
            }
        }
    }
    for error in &read_errors {
        let message = format!("cannot read `{}`: {}", error.name, error.message);
        match args.format {
            Format::Human => write_stderr(&format!("error: {message}\n")),
            Format::Json => write_stderr(&format!("{}\n", serde_json::json!({"error": message}))),
        }
    }

    match args.format {
        Format::Human => write_stderr(&summary(inputs.len(), errors, warnings)),
        Format::Json => {
            let document = serde_json::json!({
                "version": 1,
                "files": inputs.len(),
                "errors": errors,
                "warnings": warnings,
                "diagnostics": json,
            });
            let text = format!("{document:#}\n");
            if write_stdout(&text).is_err() {
                return ExitStatus::Failure;
            }
        }
    }

    if !read_errors.is_empty() {
        ExitStatus::Failure
    } else if errors > 0 {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}

fn summary(files: usize, errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if errors == 0 && warnings == 0 {
        format!("checked {}: no problems\n", plural(files, "file"))
    } else {
        format!(
            "checked {}: {}, {}\n",
            plural(files, "file"),
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}
