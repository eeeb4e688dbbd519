//! Rendering diagnostics for people (miette) and for machines (JSON).

use std::io::{IsTerminal, Write};

use cpl_syntax::{Diagnostic, LineIndex};
use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource};

/// Whether to colour output on stderr: only on a terminal, and never under NO_COLOR.
pub(crate) fn stderr_colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
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
