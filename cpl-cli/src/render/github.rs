//! `--format github`: GitHub Actions workflow commands, one line per finding, which the
//! runner turns into annotations on the pull request:
//!
//! ```text
//! ::error file=policies/a.yaml,line=5,col=27,endLine=5,endColumn=29,title=E101 unexpected-token::unexpected token `>=`%0Ahelp: ...
//! ```
//!
//! Columns are UTF-16 units, like SARIF's. GitHub only takes columns for a region on
//! one line, so a finding over several lines gives its lines and start column only.

use std::fmt::Write as _;

use cpl_syntax::{Diagnostic, LineIndex, Severity};

use super::columns::utf16_line_column;
use super::paths::repo_path;
use super::{read_error_message, summary_line, FileReport, Output, Summary};
use crate::input::InputError;

/// Annotations on stdout; the summary line on stderr, for people reading the log.
pub(crate) fn render(files: &[FileReport], read_errors: &[InputError]) -> Output {
    let cwd = std::env::current_dir().ok();
    let mut stdout = String::new();
    for file in files {
        let lines = LineIndex::new(&file.source);
        let path = repo_path(&file.name, cwd.as_deref());
        for diagnostic in &file.diagnostics {
            stdout.push_str(&annotation(&path, &file.source, &lines, diagnostic));
        }
    }
    for error in read_errors {
        let path = repo_path(&error.name, cwd.as_deref());
        let _ = writeln!(
            stdout,
            "::error file={},title=cpl::{}",
            escape_property(&path),
            escape_data(&read_error_message(error))
        );
    }
    Output {
        stdout,
        stderr: summary_line(&Summary::of(files)),
    }
}

fn annotation(path: &str, source: &str, lines: &LineIndex, diagnostic: &Diagnostic) -> String {
    let command = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let span = &diagnostic.span;
    let (line, column) = utf16_line_column(lines, source, span.start);
    let (end_line, end_column) = utf16_line_column(lines, source, span.end.max(span.start));
    let mut properties = format!("file={},line={line}", escape_property(path));
    if end_line == line {
        let _ = write!(
            properties,
            ",col={column},endLine={end_line},endColumn={end_column}"
        );
    } else {
        let _ = write!(properties, ",col={column},endLine={end_line}");
    }
    let title = format!("{} {}", diagnostic.code.code, diagnostic.code.name);
    let _ = write!(properties, ",title={}", escape_property(&title));
    let message = match &diagnostic.help {
        Some(help) => format!("{}\nhelp: {help}", diagnostic.message),
        None => diagnostic.message.clone(),
    };
    format!("::{command} {properties}::{}\n", escape_data(&message))
}

/// Escapes a command's message: `%`, CR and LF (the runner decodes them back).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value: as data, plus the `:` and `,` that delimit properties.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpl_syntax::codes;

    #[test]
    fn data_and_properties_are_escaped() {
        assert_eq!(escape_data("50% of\r\nspans"), "50%25 of%0D%0Aspans");
        assert_eq!(escape_data("a: b, c"), "a: b, c");
        assert_eq!(
            escape_property("dir,x/a:b%.yaml\n"),
            "dir%2Cx/a%3Ab%25.yaml%0A"
        );
        // `%` first, so an escape is never escaped twice.
        assert_eq!(escape_property("%3A"), "%253A");
    }

    #[test]
    fn one_line_per_finding() {
        let source = "sampling:\n  base_rate: 1.5 # é😀\n  x: |\n    a\n";
        let lines = LineIndex::new(source);
        let at = source.find("1.5").expect("rate");
        let error = Diagnostic::new(
            &codes::RATE_OUT_OF_RANGE,
            "rate 150% is out of range",
            at..at + 3,
            "here",
        )
        .with_help("write a probability, e.g. `0.15`");
        assert_eq!(
            annotation("p, q.yaml", source, &lines, &error),
            "::error file=p%2C q.yaml,line=2,col=14,endLine=2,endColumn=17,title=E205 rate-out-of-range::rate 150%25 is out of range%0Ahelp: write a probability, e.g. `0.15`\n"
        );
        let block = source.find('|').expect("block");
        let warning = Diagnostic::new(
            &codes::UNDOTTED_ATTRIBUTE,
            "w",
            block..source.len() - 1,
            "here",
        );
        assert_eq!(
            annotation("p.yaml", source, &lines, &warning),
            "::warning file=p.yaml,line=3,col=6,endLine=4,title=W114 undotted-attribute::w\n"
        );
    }
}
