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

/// mimalloc instead of the system allocator: replay allocates a few small strings
/// per span on every core, and glibc's malloc and free took a tenth of a replay's
/// CPU (README, design notes).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Compare two policies by meaning.
    Diff(commands::diff::Args),
    /// Run a policy's unit tests.
    Test(commands::test::Args),
    /// Compile a policy for a sampling engine: the OpenTelemetry Collector's
    /// `tail_sampling` processor, keeping exactly the traces the policy keeps.
    ///
    /// For example `cpl compile policy.yaml --target otel-collector -o tail_sampling.yaml`.
    Compile(commands::compile::Args),
    /// Import a collector's `tail_sampling` processor as the equivalent CPL policy:
    /// drop policies as drop rules, every other policy as a keep rule, `base_rate: 0`.
    ///
    /// For example `cpl import collector.yaml -o policy.yaml`.
    Import(commands::import::Args),
    /// Find every sampler setting in a repository (env, compose, Kubernetes, Helm,
    /// the Operator, declarative config, collector and Jaeger configs, CPL policies,
    /// SDK code), resolve what each service samples in each environment, and report
    /// drift.
    ///
    /// For example `cpl scan . --format json > sampling-audit.json`.
    Scan(commands::scan::Args),
    /// Explain a diagnostic code: what it finds, why it matters, an example.
    Explain(commands::explain::Args),
    /// Print the JSON Schema of policy files or of the `cpl.yaml` project file.
    ///
    /// Save it and point your editor's YAML language server at it, e.g. with
    /// `cpl schema > cpl-policy.schema.json` and a first line
    /// `# yaml-language-server: $schema=cpl-policy.schema.json` in each policy.
    Schema(commands::schema::Args),
    /// Print a shell completion script.
    ///
    /// For example `cpl completions bash > ~/.local/share/bash-completion/completions/cpl`
    /// or `cpl completions zsh > "${fpath[1]}/_cpl"`.
    Completions(commands::completions::Args),
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
        Command::Diff(args) => commands::diff::run(&args),
        Command::Test(args) => commands::test::run(&args),
        Command::Compile(args) => commands::compile::run(&args),
        Command::Import(args) => commands::import::run(&args),
        Command::Scan(args) => commands::scan::run(&args),
        Command::Explain(args) => commands::explain::run(&args),
        Command::Schema(args) => commands::schema::run(&args),
        Command::Completions(args) => commands::completions::run(&args),
    };
    status.into()
}
