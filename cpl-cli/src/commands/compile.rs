//! `cpl compile POLICY --target otel-collector`: the policy as the OpenTelemetry
//! Collector's `tail_sampling` processor config (spec/targets/otel-collector.md, §4).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use cpl_collector::compile::{compile, to_yaml, CompileOptions, Output};
use cpl_syntax::LineIndex;

use crate::render::{stderr_colour, write_stderr, write_stdout, HumanRenderer};
use crate::ExitStatus;

/// Where a compiled policy can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Target {
    /// The `tail_sampling` processor of the OpenTelemetry Collector (contrib v0.161.0).
    OtelCollector,
}

/// Compile a policy for a sampling engine.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The policy file (`-` for stdin).
    policy: PathBuf,
    /// The engine to compile for.
    #[arg(long, value_enum)]
    target: Target,
    /// Write a complete collector config (OTLP receiver, the processor, a placeholder
    /// file exporter, the traces pipeline) instead of the `tail_sampling` block.
    #[arg(long)]
    pipeline: bool,
    /// Compile constructs that map only approximately, as warnings (W5xx) written into
    /// the output as comments, instead of refusing them (E5xx).
    #[arg(long)]
    allow_approximate: bool,
    /// Write to FILE (replaced atomically: all or nothing) instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> ExitStatus {
    let Target::OtelCollector = args.target;
    let name = args.policy.display().to_string();
    let Some((policy, source)) = crate::policy_file::load_with_source(&args.policy) else {
        return ExitStatus::Failure;
    };
    let renderer = HumanRenderer::new(stderr_colour());
    let compiled = match compile(&policy, &CompileOptions::new(args.allow_approximate)) {
        Ok(compiled) => compiled,
        Err(refusals) => {
            for diagnostic in &refusals {
                write_stderr(&renderer.render(&name, &source, diagnostic));
            }
            write_stderr(&format!(
                "error: `{name}` cannot be compiled exactly for the collector; \
                 `--allow-approximate` compiles the approximations marked W as warnings\n"
            ));
            return ExitStatus::Findings;
        }
    };
    let lines = LineIndex::new(&source);
    let mut header = vec![format!(
        "tail_sampling policies compiled by cpl from {name}; recompile instead of editing."
    )];
    if args.pipeline {
        header.push("Replace the placeholder `file` exporter with your backend's.".to_owned());
    }
    for warning in &compiled.warnings {
        write_stderr(&renderer.render(&name, &source, warning));
        let (line, column) = lines.line_column(&source, warning.span.start);
        header.push(format!(
            "{} {name}:{line}:{column}: {}",
            warning.code, warning.message
        ));
    }
    let output = if args.pipeline {
        Output::Pipeline
    } else {
        Output::Processor
    };
    let text = match to_yaml(&compiled, output, &header) {
        Ok(text) => text,
        Err(error) => {
            write_stderr(&format!("error: internal: {error}\n"));
            return ExitStatus::Failure;
        }
    };
    let written = match &args.output {
        Some(path) => write_atomically(path, &text),
        None => write_stdout(&text),
    };
    match written {
        Ok(()) => ExitStatus::Clean,
        Err(error) => {
            let target = args
                .output
                .as_ref()
                .map_or("stdout".to_owned(), |p| format!("`{}`", p.display()));
            write_stderr(&format!("error: cannot write {target}: {error}\n"));
            ExitStatus::Failure
        }
    }
}

/// Writes `text` to `path` through a temporary file in the same directory, renamed
/// over `path` once complete: a reader sees the old file or the new one, never half.
/// The file gets the permissions of any new file (0666 less the umask).
pub(crate) fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // Created as any new file is (0666 less the umask), not private as temp files are.
    let mut file = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)?;
    file.write_all(text.as_bytes())?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(())
}
