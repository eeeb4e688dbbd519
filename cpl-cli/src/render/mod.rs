//! Rendering diagnostics for people (miette) and for machines (JSON, SARIF, GitHub
//! workflow commands).
//!
//! Every format renders the same input: a list of [`FileReport`]s (a file's name, its
//! text and its diagnostics) and the paths that could not be read. A renderer returns
//! an [`Output`] and does no IO; the command writes it with [`Output::emit`], so a
//! closed pipe is handled in one place for every format.

mod columns;
pub(crate) mod docs;
mod github;
mod paths;
mod sarif;
pub(crate) mod table;

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

use cpl_syntax::{Diagnostic, LineIndex, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource};

use crate::input::InputError;

pub(crate) use github::render as github;
pub(crate) use sarif::render as sarif;

/// `--color`: when to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorChoice {
    /// Whether to colour what goes to stderr.
    pub(crate) fn stderr(self) -> bool {
        match self {
            ColorChoice::Auto => stderr_colour(),
            ColorChoice::Always => true,
            ColorChoice::Never => false,
        }
    }
}

/// Whether to colour output on stderr: only on a terminal, and never under NO_COLOR.
pub(crate) fn stderr_colour() -> bool {
    colour_enabled(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// Colour on a terminal unless `NO_COLOR` is set to a non-empty value (no-color.org).
fn colour_enabled(terminal: bool, no_color: Option<&OsStr>) -> bool {
    terminal && no_color.is_none_or(OsStr::is_empty)
}

/// One checked file: its display name, its text and its findings.
#[derive(Debug, Clone)]
pub(crate) struct FileReport {
    /// The name the user gave (a path as written, or `<stdin>`).
    pub(crate) name: String,
    /// The text the diagnostics' byte spans point into.
    pub(crate) source: String,
    /// The findings, in the order to report them.
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// Findings accepted by a suppression, with its reason (listed by `--format json`).
    pub(crate) suppressed: Vec<(Diagnostic, String)>,
}

/// Errors and warnings over all files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub(crate) errors: usize,
    pub(crate) warnings: usize,
}

impl Counts {
    pub(crate) fn of(files: &[FileReport]) -> Self {
        let mut counts = Self::default();
        for diagnostic in files.iter().flat_map(|file| &file.diagnostics) {
            match diagnostic.severity {
                Severity::Error => counts.errors += 1,
                Severity::Warning => counts.warnings += 1,
            }
        }
        counts
    }
}

/// What the summary line of a lint run says (spec/lint.md, "Summary and exit status").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    /// Policies checked.
    pub(crate) files: usize,
    /// Their findings.
    pub(crate) counts: Counts,
    /// YAML files found in directories that are not policies.
    pub(crate) skipped: usize,
    /// Paths that could not be read.
    pub(crate) unreadable: usize,
    /// Whether `--deny warnings` makes the warnings fail the run.
    pub(crate) deny_warnings: bool,
}

impl Summary {
    /// The summary of checking `files` with nothing skipped, unreadable or denied.
    pub(crate) fn of(files: &[FileReport]) -> Self {
        Self {
            files: files.len(),
            counts: Counts::of(files),
            ..Self::default()
        }
    }
}

/// What a renderer produced for each stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Output {
    /// Results: the JSON, SARIF or annotations.
    pub(crate) stdout: String,
    /// Rendered diagnostics and messages for people.
    pub(crate) stderr: String,
}

impl Output {
    /// Writes stderr, then stdout. A closed stdout (`cpl lint ... | head`) is not an
    /// error; any other write failure is.
    pub(crate) fn emit(&self) -> std::io::Result<()> {
        write_stderr(&self.stderr);
        write_stdout(&self.stdout)
    }
}

/// `--format human`: rendered diagnostics and a summary line, all on stderr.
pub(crate) fn human(
    files: &[FileReport],
    read_errors: &[InputError],
    summary: &Summary,
    colour: bool,
) -> Output {
    let renderer = HumanRenderer::new(colour);
    let mut stderr = String::new();
    for file in files {
        for diagnostic in &file.diagnostics {
            stderr.push_str(&renderer.render(&file.name, &file.source, diagnostic));
        }
    }
    for error in read_errors {
        let _ = writeln!(stderr, "error: {}", read_error_message(error));
    }
    stderr.push_str(&summary_line(summary));
    Output {
        stdout: String::new(),
        stderr,
    }
}

/// `--format concise`: `path:line:col: CODE message`, one finding a line, on stdout (as
/// rustc's `--error-format short` and ruff's `concise`); read errors and the summary on
/// stderr.
pub(crate) fn concise(
    files: &[FileReport],
    read_errors: &[InputError],
    summary: &Summary,
) -> Output {
    let mut stdout = String::new();
    for file in files {
        let lines = LineIndex::new(&file.source);
        for diagnostic in &file.diagnostics {
            let (line, column) = lines.line_column(&file.source, diagnostic.span.start);
            let _ = writeln!(
                stdout,
                "{}:{line}:{column}: {} {}",
                file.name, diagnostic.code.code, diagnostic.message
            );
        }
    }
    let mut stderr = String::new();
    for error in read_errors {
        let _ = writeln!(stderr, "error: {}", read_error_message(error));
    }
    stderr.push_str(&summary_line(summary));
    Output { stdout, stderr }
}

/// `--format json`: one document on stdout; read errors as JSON lines on stderr.
pub(crate) fn json(files: &[FileReport], read_errors: &[InputError]) -> Output {
    let mut diagnostics = Vec::new();
    for file in files {
        let lines = LineIndex::new(&file.source);
        for diagnostic in &file.diagnostics {
            diagnostics.push(json_diagnostic(
                &file.name,
                &file.source,
                &lines,
                diagnostic,
            ));
        }
    }
    let mut suppressed = Vec::new();
    for file in files {
        let lines = LineIndex::new(&file.source);
        for (diagnostic, reason) in &file.suppressed {
            let mut record = json_diagnostic(&file.name, &file.source, &lines, diagnostic);
            record["reason"] = serde_json::Value::String(reason.clone());
            suppressed.push(record);
        }
    }
    let counts = Counts::of(files);
    let mut document = serde_json::json!({
        "version": 1,
        "files": files.len(),
        "errors": counts.errors,
        "warnings": counts.warnings,
        "diagnostics": diagnostics,
    });
    // Present only when a suppression accepted something (spec/project.md).
    if !suppressed.is_empty() {
        document["suppressed"] = serde_json::Value::Array(suppressed);
    }
    // Present only when some path could not be read (spec/lint.md).
    if !read_errors.is_empty() {
        document["read_errors"] = read_errors
            .iter()
            .map(|error| serde_json::json!({"path": error.name, "message": error.message}))
            .collect();
    }
    let mut stderr = String::new();
    for error in read_errors {
        let _ = writeln!(stderr, "error: {}", read_error_message(error));
    }
    Output {
        stdout: format!("{document:#}\n"),
        stderr,
    }
}

/// How every format words a path that could not be read.
pub(crate) fn read_error_message(error: &InputError) -> String {
    format!("cannot read `{}`: {}", error.name, error.message)
}

/// `checked 3 files: 1 error, 0 warnings`, and what was skipped, unreadable or denied.
pub(crate) fn summary_line(summary: &Summary) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let Summary {
        files,
        counts,
        skipped,
        unreadable,
        deny_warnings,
    } = *summary;
    let mut line = format!("checked {}", plural(files, "file"));
    if counts.errors == 0 && counts.warnings == 0 {
        if unreadable == 0 {
            line.push_str(": no problems");
        }
    } else {
        let denied = if deny_warnings && counts.warnings > 0 {
            " (denied)"
        } else {
            ""
        };
        let _ = write!(
            line,
            ": {}, {}{denied}",
            plural(counts.errors, "error"),
            plural(counts.warnings, "warning")
        );
    }
    if unreadable > 0 {
        let verb = if unreadable == 1 { "path" } else { "paths" };
        let _ = write!(line, "; {unreadable} {verb} could not be read");
    }
    if skipped > 0 {
        let what = if skipped == 1 {
            "file that is not a policy"
        } else {
            "files that are not policies"
        };
        let _ = write!(line, "; skipped {skipped} YAML {what}");
    }
    line.push('\n');
    line
}

/// Renders diagnostics the way rustc does, with the source excerpt.
pub(crate) struct HumanRenderer {
    handler: GraphicalReportHandler,
}

impl HumanRenderer {
    pub(crate) fn new(colour: bool) -> Self {
        let theme = if colour {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Self {
            handler: GraphicalReportHandler::new_themed(theme)
                .with_width(100)
                .with_links(false),
        }
    }

    /// One diagnostic, rendered against its named source.
    pub(crate) fn render(&self, name: &str, source: &str, diagnostic: &Diagnostic) -> String {
        let report = miette::Report::new(diagnostic.clone())
            .with_source_code(NamedSource::new(name, source.to_owned()));
        let mut out = String::new();
        if self
            .handler
            .render_report(&mut out, report.as_ref())
            .is_err()
        {
            out = format!("{name}: {}: {}\n", diagnostic.code, diagnostic.message);
        }
        out
    }
}

/// The JSON record of one diagnostic (spec/diagnostics.md, "Machine-readable output").
pub(crate) fn json_diagnostic(
    name: &str,
    source: &str,
    lines: &LineIndex,
    d: &Diagnostic,
) -> serde_json::Value {
    let (line, column) = lines.line_column(source, d.span.start);
    let (end_line, end_column) = lines.line_column(source, d.span.end);
    serde_json::json!({
        "code": d.code.code,
        "name": d.code.name,
        "severity": d.severity.as_str(),
        "message": d.message,
        "file": name,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "label": d.label,
        "help": d.help,
    })
}

/// Writes `text` to stdout; a closed pipe (`cpl lint ... | head`) is not an error.
pub(crate) fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Writes `text` to stderr, ignoring a closed pipe.
pub(crate) fn write_stderr(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour_enabled(true, None));
        assert!(colour_enabled(true, Some(OsStr::new(""))));
        assert!(!colour_enabled(true, Some(OsStr::new("1"))));
        assert!(!colour_enabled(true, Some(OsStr::new("0"))));
        assert!(!colour_enabled(false, None));
    }

    #[test]
    fn summaries() {
        let one = Summary {
            files: 1,
            ..Summary::default()
        };
        assert_eq!(summary_line(&one), "checked 1 file: no problems\n");
        let findings = Summary {
            files: 2,
            counts: Counts {
                errors: 1,
                warnings: 2,
            },
            ..Summary::default()
        };
        assert_eq!(
            summary_line(&findings),
            "checked 2 files: 1 error, 2 warnings\n"
        );
        let denied = Summary {
            counts: Counts {
                errors: 0,
                warnings: 1,
            },
            deny_warnings: true,
            ..one
        };
        assert_eq!(
            summary_line(&denied),
            "checked 1 file: 0 errors, 1 warning (denied)\n"
        );
        let unreadable = Summary {
            files: 0,
            unreadable: 1,
            ..Summary::default()
        };
        assert_eq!(
            summary_line(&unreadable),
            "checked 0 files; 1 path could not be read\n"
        );
        let skipped = Summary { skipped: 3, ..one };
        assert_eq!(
            summary_line(&skipped),
            "checked 1 file: no problems; skipped 3 YAML files that are not policies\n"
        );
    }
}
