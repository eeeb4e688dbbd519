//! One scanned text file and the helpers every reader shares: positions, YAML lookups,
//! and turning an environment variable into settings (Java options included).

use std::ops::Range;

use cpl_syntax::yaml::{self, Node, NodeValue, Resolved};
use cpl_syntax::{Diagnostic, LineIndex};

use crate::envfile::Interpolated;
use crate::model::Location;
use crate::setting::{Layer, Setting, Value, Var};

/// A text file being read.
pub struct SourceFile<'a> {
    /// Relative to the scan root, `/`-separated.
    pub path: &'a str,
    /// The text.
    pub text: &'a str,
    /// Line starts.
    pub lines: LineIndex,
    /// The environment its path names (`None`: base).
    pub environment: Option<String>,
    /// The tenant of a tenant override file.
    pub tenant: Option<String>,
    /// Every environment variable the file sets (any name, Dotenv interpolation
    /// variables excepted) and its value, `None` when unresolved: what code defaults
    /// (`os.getenv("X", "0.1")`) are checked against.
    pub assigned: std::cell::RefCell<Vec<(String, Option<String>)>>,
}

/// What reading a file produced.
#[derive(Debug, Default)]
pub struct Read {
    /// The settings, in file order.
    pub settings: Vec<Setting>,
    /// Problems, positioned in the file.
    pub diagnostics: Vec<Diagnostic>,
    /// Service home directories learnt from the file (compose `build`): service, dir.
    pub homes: Vec<(String, String)>,
}

impl<'a> SourceFile<'a> {
    /// A file at `path` with `text`.
    pub fn new(
        path: &'a str,
        text: &'a str,
        environment: Option<String>,
        tenant: Option<String>,
    ) -> Self {
        Self {
            path,
            text,
            lines: LineIndex::new(text),
            environment,
            tenant,
            assigned: std::cell::RefCell::default(),
        }
    }

    /// The location of byte `offset`.
    pub fn location(&self, offset: usize) -> Location {
        let (line, column) = self.lines.line_column(self.text, offset);
        Location {
            path: self.path.to_owned(),
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    /// A setting at `span` of this file.
    pub fn setting(
        &self,
        span: Range<usize>,
        layer: Layer,
        key: &str,
        var: Option<Var>,
        value: Value,
        service: Option<&str>,
    ) -> Setting {
        Setting {
            location: self.location(span.start),
            span,
            layer,
            key: key.to_owned(),
            var,
            value,
            service: service.map(str::to_owned),
            environment: self.environment.clone(),
            tenant: self.tenant.clone(),
            language: None,
            priority: 0,
        }
    }

    /// The settings an environment variable `name` with `value` makes: the variable
    /// itself when it matters for sampling, and the Java system properties inside
    /// `JAVA_TOOL_OPTIONS`, `JAVA_OPTS` and `KAFKA_OPTS`.
    pub fn env_settings(
        &self,
        name: &str,
        value: &Interpolated,
        written: &str,
        span: Range<usize>,
        layer: Layer,
        service: Option<&str>,
    ) -> Vec<Setting> {
        let mut out = Vec::new();
        if layer != Layer::Dotenv {
            self.assigned.borrow_mut().push((
                name.to_owned(),
                value.unresolved.is_empty().then(|| value.text.clone()),
            ));
        }
        if let Some(var) = Var::from_env(name) {
            out.push(self.setting(
                span.clone(),
                layer,
                name,
                Some(var),
                env_value(value, written),
                service,
            ));
        }
        if matches!(name, "JAVA_TOOL_OPTIONS" | "JAVA_OPTS" | "KAFKA_OPTS") {
            for (option, property, offset) in java_options(written) {
                let var = if option == "-javaagent" {
                    Some(Var::JavaAgent)
                } else {
                    Var::from_property(option.trim_start_matches("-D"))
                };
                let Some(var) = var else { continue };
                // Resolve the property's own text with the variables the value used.
                let text = java_options(&value.text)
                    .into_iter()
                    .find(|(o, _, _)| *o == option)
                    .map_or_else(|| property.to_owned(), |(_, p, _)| p.to_owned());
                let start = self.written_offset(&span, written, offset);
                let unresolved = Interpolated {
                    text,
                    unresolved: if property.contains('$') {
                        value.unresolved.clone()
                    } else {
                        Vec::new()
                    },
                };
                out.push(self.setting(
                    start..start + option.len() + 1 + property.len(),
                    Layer::Sysprop,
                    option,
                    Some(var),
                    env_value(&unresolved, property),
                    service,
                ));
            }
        }
        out
    }

    /// The file offset of byte `offset` of a value written at `span` (exact when the
    /// value is written as-is; the value's start otherwise).
    fn written_offset(&self, span: &Range<usize>, written: &str, offset: usize) -> usize {
        match self.text.get(span.clone()) {
            Some(raw) => raw
                .find(written)
                .map_or(span.start, |at| span.start + at + offset),
            None => span.start,
        }
    }
}

/// `Text` when every variable resolved, `Unresolved` otherwise.
pub fn env_value(value: &Interpolated, written: &str) -> Value {
    if value.unresolved.is_empty() {
        Value::Text {
            text: value.text.clone(),
        }
    } else {
        Value::Unresolved {
            variables: value.unresolved.clone(),
            written: written.to_owned(),
        }
    }
}

/// The `-Dname=value` and `-javaagent:path` options of a JVM options string: option,
/// value and the option's byte offset.
pub fn java_options(text: &str) -> Vec<(&str, &str, usize)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for word in text.split(' ') {
        let at = offset;
        offset += word.len() + 1;
        if let Some(rest) = word.strip_prefix("-javaagent:") {
            out.push(("-javaagent", rest, at));
        } else if word.starts_with("-D") {
            if let Some((name, value)) = word.split_once('=') {
                if name.starts_with("-Dotel.") {
                    out.push((name, value, at));
                }
            }
        }
    }
    out
}

/// A scalar's text.
pub fn text(node: &Node) -> Option<&str> {
    match &node.value {
        NodeValue::Scalar(s) => Some(s.text.as_str()),
        _ => None,
    }
}

/// A mapping's value for `key` (merge keys applied).
pub fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    yaml::merged_entries(node)?
        .into_iter()
        .find(|(k, _)| text(k) == Some(key))
        .map(|(_, v)| v)
}

/// A mapping's entries (merge keys applied); empty for anything else.
pub fn entries(node: &Node) -> Vec<(&Node, &Node)> {
    yaml::merged_entries(node).unwrap_or_default()
}

/// A sequence's items; empty for anything else.
pub fn items(node: &Node) -> &[Node] {
    match &node.value {
        NodeValue::Sequence(items) => items,
        _ => &[],
    }
}

/// The byte range of a scalar's content (quotes excluded).
pub fn content_span(node: &Node) -> Range<usize> {
    match &node.value {
        NodeValue::Scalar(s) => s.file_offset(0)..s.file_offset(s.text.len()),
        _ => node.span.clone(),
    }
}

/// A number, from a YAML number or a numeric string.
pub fn number(node: &Node) -> Option<f64> {
    match &node.value {
        NodeValue::Scalar(s) => match s.resolve() {
            // Ratios and percentages: far below 2^52.
            #[allow(clippy::cast_precision_loss)]
            Resolved::Int(i) => Some(i as f64),
            Resolved::Float(f) => Some(f),
            Resolved::String(text) => text.trim().parse().ok(),
            _ => None,
        },
        _ => None,
    }
}

/// Whether a scalar is a string (quoted, or a plain scalar that is no number, bool or null).
pub fn is_string(node: &Node) -> bool {
    matches!(&node.value, NodeValue::Scalar(s) if matches!(s.resolve(), Resolved::String(_)))
}
