//! What `cpl replay` and `cpl diff --traces` say on stderr about their trace
//! inputs (spec/replay.md, "Malformed input"): every problem of a skipped
//! document, positioned; the same message repeated over many documents shown a
//! few times and then counted; and one notice per input read in a dialect.

use std::collections::HashMap;
use std::fmt::Write as _;

use cpl_otlp::{ReadError, ReadStats};

use crate::render::write_stderr;

/// A message repeated over documents of one input is shown this many times.
const SHOWN_PER_MESSAGE: u64 = 5;

/// How problems and notices are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// `error: FILE:LINE:COLUMN: message`, repeats capped.
    Human,
    /// One JSON object per line, every problem.
    Json,
}

/// Problems and notices of the inputs, written as they come.
pub(crate) struct InputReport {
    style: Style,
    /// Documents of the current input that failed with each message, in order.
    repeats: Vec<(String, u64)>,
    index: HashMap<String, usize>,
}

impl InputReport {
    pub(crate) fn new(style: Style) -> Self {
        Self {
            style,
            repeats: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// A document, line or read that failed, with all its problems.
    pub(crate) fn error(&mut self, error: &ReadError) {
        if self.style == Style::Json {
            let mut text = json_problem(error, error.omitted);
            for more in &error.more {
                text.push_str(&json_problem(more, 0));
            }
            write_stderr(&text);
            return;
        }
        let slot = *self.index.entry(error.message.clone()).or_insert_with(|| {
            self.repeats.push((error.message.clone(), 0));
            self.repeats.len() - 1
        });
        self.repeats[slot].1 += 1;
        if self.repeats[slot].1 > SHOWN_PER_MESSAGE {
            return;
        }
        let mut text = format!("error: {error}\n");
        for more in &error.more {
            let _ = writeln!(text, "error: {more}");
        }
        if error.omitted > 0 {
            let _ = writeln!(
                text,
                "error: {}: … and {} more problems in this document",
                error.name,
                crate::render::table::count(error.omitted)
            );
        }
        write_stderr(&text);
    }

    /// An input read to the end: the repeats it held, then how it was read.
    pub(crate) fn input_done(&mut self, name: &str, stats: &ReadStats) {
        let mut text = String::new();
        for (message, n) in self.repeats.drain(..) {
            if n > SHOWN_PER_MESSAGE {
                let _ = writeln!(
                    text,
                    "error: {name}: … and {} more {message:?}",
                    crate::render::table::count(n - SHOWN_PER_MESSAGE)
                );
            }
        }
        self.index.clear();
        if let (Some(format), Some(notice)) = (stats.deviations.format(), stats.deviations.notice())
        {
            match self.style {
                Style::Human => {
                    let _ = writeln!(text, "note: {name}: {notice}");
                }
                Style::Json => {
                    let object = serde_json::json!({
                        "level": "note",
                        "file": name,
                        "format": format,
                        "differences": stats.deviations.differences(),
                    });
                    let _ = writeln!(text, "{object}");
                }
            }
        }
        write_stderr(&text);
    }
}

fn json_problem(error: &ReadError, omitted: u64) -> String {
    let mut object = serde_json::json!({
        "level": "error",
        "file": &*error.name,
        "line": error.line,
        "column": error.column,
        "line_offset": error.line_offset,
        "kind": error.kind.as_str(),
        "message": error.message,
    });
    if omitted > 0 {
        object["omitted"] = omitted.into();
    }
    format!("{object}\n")
}
