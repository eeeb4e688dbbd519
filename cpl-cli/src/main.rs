//! `cpl`: the command-line front end of the CPL toolchain.
//!
//! This crate is the only one that does IO, reads the environment, picks colours or
//! exits the process. Each subcommand lives in `commands/<name>.rs` with an `Args`
//! struct and a `run` function returning an [`ExitStatus`].

mod commands;
mod input;
mod policy_file;
mod render;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The typed exit status every subcommand returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Nothing to report (warnings allowed).
    Clean,
    /// Findings: errors in a policy, failed tests, differences.
    Findings,
    /// Usage, IO or internal failure.
    Failure,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(match status {
            ExitStatus::Clean => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Failure => 2,
        })
    }
}

/// The compiler, linter, simulator and evaluator of CPL sampling policies.
#[derive(Debug, Parser)]
#[command(name = "cpl", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check policy files for syntax and schema errors.
    Lint(commands::lint::Args),
    /// Predict what a policy keeps of recorded OTLP/JSON traces.
    Replay(commands::replay::Args),
    /// Run a policy's unit tests.
    Test(commands::test::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout (exit 0) and usage errors to stderr.
            let _ = error.print();
            return if error.use_stderr() {
                ExitStatus::Failure.into()
            } else {
                ExitStatus::Clean.into()
            };
        }
    };
    let status = match cli.command {
        Command::Lint(args) => commands::lint::run(&args),
        Command::Replay(args) => commands::replay::run(&args),
        Command::Test(args) => commands::test::run(&args),
    };
    status.into()
}
