//! `cpl import COLLECTOR.yaml`: a `tail_sampling` processor as the equivalent CPL policy
//! (spec/targets/otel-collector.md, §5).

use std::path::PathBuf;

use cpl_collector::config;
use cpl_collector::import::import;
use cpl_syntax::Severity;

use crate::commands::compile::write_atomically;
use crate::render::{stderr_colour, write_stderr, write_stdout, HumanRenderer};
use crate::ExitStatus;

/// Import a collector's `tail_sampling` config as a CPL policy.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The collector config: a whole collector YAML, a bare `tail_sampling` block, or a
    /// Kubernetes ConfigMap wrapping one.
    config: PathBuf,
    /// The processor to import, `tail_sampling/NAME` or `NAME`, when the file has several.
    #[arg(long, value_name = "NAME")]
    processor: Option<String>,
    /// Write to FILE (replaced atomically: all or nothing) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> ExitStatus {
    let name = args.config.display().to_string();
    let source = match std::fs::read_to_string(&args.config) {
        Ok(source) => source,
        Err(error) => {
            write_stderr(&format!("error: cannot read `{name}`: {error}\n"));
            return ExitStatus::Failure;
        }
    };
    let renderer = HumanRenderer::new(stderr_colour());
    let file = config::read(&source);
    for diagnostic in &file.diagnostics {
        write_stderr(&renderer.render(&name, &source, diagnostic));
    }
    if file.has_errors() {
        return ExitStatus::Findings;
    }
    let processor = match (&args.processor, file.processors.as_slice()) {
        (Some(id), _) => {
            let Some(processor) = file.processor(id) else {
                write_stderr(&format!("error: `{name}` has no processor `{id}`\n"));
                return ExitStatus::Failure;
            };
            processor
        }
        (None, [processor]) => processor,
        (None, []) => {
            write_stderr(&format!("error: `{name}` has no tail_sampling processor\n"));
            return ExitStatus::Failure;
        }
        (None, several) => {
            let ids: Vec<&str> = several.iter().map(|p| p.id.as_str()).collect();
            write_stderr(&format!(
                "error: `{name}` has several tail_sampling processors ({}); choose one with `--processor`\n",
                ids.join(", ")
            ));
            return ExitStatus::Failure;
        }
    };
    let imported = import(processor);
    for diagnostic in &imported.diagnostics {
        write_stderr(&renderer.render(&name, &source, diagnostic));
    }
    let written = match &args.output {
        Some(path) => write_atomically(path, &imported.text),
        None => write_stdout(&imported.text),
    };
    if let Err(error) = written {
        write_stderr(&format!("error: cannot write the policy: {error}\n"));
        return ExitStatus::Failure;
    }
    if imported
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
    {
        ExitStatus::Findings
    } else {
        ExitStatus::Clean
    }
}
