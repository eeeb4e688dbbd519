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
pub(crate) fn human(files: &[FileReport], read_errors: &[InputError], colour: bool) -> Output {
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
    stderr.push_str(&summary(files.len(), Counts::of(files)));
    Output {
        stdout: String::new(),
        stderr,
    }
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
    let mut stderr = String::new();
    for error in read_errors {
        let record = serde_json::json!({"error": read_error_message(error)});
        let _ = writeln!(stderr, "{record}");
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

/// `checked 3 files: 1 error, 0 warnings`.
pub(crate) fn summary(files: usize, counts: Counts) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    if counts.errors == 0 && counts.warnings == 0 {
        format!("checked {}: no problems\n", plural(files, "file"))
    } else {
        format!(
            "checked {}: {}, {}\n",
            plural(files, "file"),
            plural(counts.errors, "error"),
            plural(counts.warnings, "warning")
        )
    }
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
        assert_eq!(
            summary(1, Counts::default()),
            "checked 1 file: no problems\n"
        );
        assert_eq!(
            summary(
                2,
                Counts {
                    errors: 1,
                    warnings: 2
                }
            ),
            "checked 2 files: 1 error, 2 warnings\n"
        );
    }
}
