//! `cpl completions SHELL`: a shell completion script, generated from the clap
//! definition of the whole command line, so it never falls behind.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::render::write_stdout;
use crate::ExitStatus;

/// Arguments of the subcommand (its help text is on `Command` in main.rs).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The shell to complete in.
    #[arg(value_enum)]
    shell: Shell,
}

pub(crate) fn run(args: &Args) -> ExitStatus {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut crate::Cli::command(), "cpl", &mut script);
    match write_stdout(&String::from_utf8_lossy(&script)) {
        Ok(()) => ExitStatus::Clean,
        Err(_) => ExitStatus::Failure,
    }
}
