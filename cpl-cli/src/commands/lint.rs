//! `cpl lint PATH...`: load each policy and report every syntax and schema problem.

use std::path::PathBuf;

use cpl_syntax::load_policy_bytes;

use crate::input::read_policies;
use crate::render::{self, stderr_colour, Counts, FileReport};
use crate::ExitStatus;

/// Output formats of `cpl lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// Rendered diagnostics with source excerpts, on stderr.
    Human,
    /// One JSON document on stdout.
    Json,
    /// A SARIF 2.1.0 log on stdout, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands on stdout: annotations on the pull request.
    Github,
}

/// What `--deny` turns into failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Deny {
    /// Warnings fail the run (exit status 1) like errors.
    Warnings,
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
    /// Make findings of this kind fail the run: `--deny warnings`.
    #[arg(long, value_enum, value_name = "KIND")]
    deny: Vec<Deny>,
}

pub(crate) fn run(args: &Args) -> ExitStatus {
    let (inputs, read_errors) = read_policies(&args.paths);
    let files: Vec<FileReport> = inputs
        .iter()
        .map(|input| {
            let loaded = load_policy_bytes(&input.bytes);
            FileReport {
                name: input.name.clone(),
                // Invalid UTF-8 is reported by the loader; render against a lossy copy.
                source: String::from_utf8_lossy(&input.bytes).into_owned(),
                diagnostics: loaded.diagnostics,
            }
        })
        .collect();

    let output = match args.format {
        Format::Human => render::human(&files, &read_errors, stderr_colour()),
        Format::Json => render::json(&files, &read_errors),
        Format::Sarif => render::sarif(&files, &read_errors),
        Format::Github => render::github(&files, &read_errors),
    };
    if output.emit().is_err() {
        return ExitStatus::Failure;
    }

    let counts = Counts::of(&files);
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    if !read_errors.is_empty() {
        ExitStatus::Failure
    } else if counts.errors > 0 || (deny_warnings && counts.warnings > 0) {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}
