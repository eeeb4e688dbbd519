//! `cpl explain CODE`: what a diagnostic code means, why it matters, and an example
//! (ruff's `ruff rule F701`). `cpl explain --list` lists every code.

use std::fmt::Write as _;

use cpl_syntax::{did_you_mean, find_code, Code, REGISTRY};

use crate::render::docs::long_text;
use crate::render::{write_stderr, write_stdout};
use crate::ExitStatus;

/// Explain a diagnostic code.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// A code (`E101`) or its name (`unexpected-token`).
    #[arg(required_unless_present = "list", value_name = "CODE")]
    code: Option<String>,
    /// List every code with its name, severity and summary.
    #[arg(long, conflicts_with = "code")]
    list: bool,
}

pub(crate) fn run(args: &Args) -> ExitStatus {
    let text = match (&args.code, args.list) {
        (_, true) => list(),
        (Some(written), false) => {
            let Some(code) = find_code(written.trim()) else {
                write_stderr(&unknown(written.trim()));
                return ExitStatus::Failure;
            };
            explain(code)
        }
        (None, false) => unreachable!("clap requires CODE without --list"),
    };
    match write_stdout(&text) {
        Ok(()) => ExitStatus::Clean,
        Err(_) => ExitStatus::Failure,
    }
}

/// The heading line, the summary, and the long text when there is one.
fn explain(code: &Code) -> String {
    let mut text = format!(
        "{} {} ({})\n{}\n",
        code.code,
        code.name,
        code.severity.as_str(),
        code.summary
    );
    if let Some(long) = long_text(code) {
        text.push('\n');
        text.push_str(&long);
        text.push('\n');
    }
    text
}

fn list() -> String {
    let name_width = REGISTRY
        .iter()
        .map(|code| code.name.len())
        .max()
        .unwrap_or(0);
    let mut list = String::new();
    for code in REGISTRY {
        let _ = writeln!(
            list,
            "{:<5} {:<name_width$}  {:<7}  {}",
            code.code,
            code.name,
            code.severity.as_str(),
            code.summary
        );
    }
    list
}

fn unknown(written: &str) -> String {
    let candidates = REGISTRY.iter().flat_map(|code| [code.code, code.name]);
    // Codes are compared case-insensitively by `find_code`; suggest in their spelling.
    let help = match did_you_mean(written, candidates) {
        Some(candidate) => format!("did you mean `{candidate}`?"),
        None => "`cpl explain --list` lists every code".to_owned(),
    };
    format!("error: unknown diagnostic code `{written}`\n  help: {help}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_get_a_suggestion() {
        assert_eq!(
            unknown("E2O1"),
            "error: unknown diagnostic code `E2O1`\n  help: did you mean `E201`?\n"
        );
        assert!(unknown("unexpected-tokn").contains("`unexpected-token`"));
        assert!(unknown("zzz").contains("cpl explain --list"));
    }

    #[test]
    fn the_list_has_one_aligned_line_per_code() {
        let list = list();
        assert_eq!(list.lines().count(), REGISTRY.len());
        let column = |line: &str| line.find(" error ").or_else(|| line.find(" warning "));
        let first = list.lines().next().map(column);
        assert!(
            list.lines().all(|line| Some(column(line)) == first),
            "{list}"
        );
    }
}
