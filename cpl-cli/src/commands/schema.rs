//! `cpl schema [policy|project]`: the JSON Schema of policy files or of the `cpl.yaml`
//! project file, generated from the Rust types that describe them
//! (`cpl_syntax::schema`), for editors with a YAML language server.

use crate::render::write_stdout;
use crate::ExitStatus;

/// Which document's schema to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Document {
    /// A sampling policy file.
    Policy,
    /// A `cpl.yaml` project file.
    Project,
    /// The JSON report of `cpl scan --format json`.
    ScanReport,
}

/// Arguments of the subcommand (its help text is on `Command` in main.rs).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The document whose schema to print.
    #[arg(value_enum, default_value_t = Document::Policy)]
    document: Document,
}

pub(crate) fn run(args: &Args) -> ExitStatus {
    let schema = match args.document {
        Document::Policy => cpl_syntax::schema::policy_schema(),
        Document::Project => cpl_syntax::schema::project_schema(),
        Document::ScanReport => cpl_scan::report_schema(),
    };
    match write_stdout(&schema) {
        Ok(()) => ExitStatus::Clean,
        Err(_) => ExitStatus::Failure,
    }
}
