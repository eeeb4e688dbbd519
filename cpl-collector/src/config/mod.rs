//! Reading collector configs: finding every `tail_sampling` processor in a file and
//! reading it into the typed [`Processor`] model, with the collector's own load-time
//! checks as positioned diagnostics (spec/targets/otel-collector.md §1).
//!
//! A file is told apart from a CPL policy by its content ([`recognise`]), never by its
//! name. Four shapes are read:
//!
//! - a whole collector config (`processors: {tail_sampling: .., tail_sampling/NAME: ..}`);
//! - a bare processor block, with its key (`tail_sampling: {policies: ..}`) or without
//!   (a mapping with `policies`);
//! - a Kubernetes `ConfigMap` whose `data.<key>` string holds a collector config;
//! - an `OpenTelemetryCollector` resource of the operator, whose `spec.config` is the
//!   collector config as a mapping or as a string.
//!
//! A config embedded in a string is parsed on its own and every position is mapped back
//! through the string scalar's [`SourceMap`](cpl_syntax::yaml::SourceMap), so that
//! diagnostics point at the line and column of the outer file.
//!
//! YAML merge keys (`<<: *base`) are applied as the collector's YAML library applies
//! them (explicit keys win, then the merged mappings in order); aliases are expanded by
//! `cpl_syntax::yaml` within its budget.

use std::ops::Range;

use cpl_syntax::yaml::{self, Node, NodeValue, Scalar, YamlError, YamlErrorKind};
use cpl_syntax::{codes, Diagnostic};

use crate::policy::Processor;

mod re2;
mod read;

#[cfg(test)]
mod tests;

pub use re2::compile_go_regex;

/// The shape a collector config was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A whole collector config: `processors:` at the top.
    Collector,
    /// A processor block: `tail_sampling:` (or `tail_sampling/NAME:`) at the top, or
    /// just its contents (a mapping with `policies`).
    Block,
    /// A Kubernetes `ConfigMap` holding a collector config in `data`.
    ConfigMap,
    /// An `OpenTelemetryCollector` resource holding it in `spec.config`.
    OperatorResource,
}

/// A collector config file, read.
#[derive(Debug)]
pub struct ConfigFile {
    /// How the file was written.
    pub shape: Shape,
    /// Every `tail_sampling` processor found, in file order. A processor with errors is
    /// still listed (with the policies that read cleanly) unless it could not be read
    /// at all.
    pub processors: Vec<Processor>,
    /// Everything wrong, in file order; positions are byte ranges of the file.
    pub diagnostics: Vec<Diagnostic>,
}

impl ConfigFile {
    /// Whether any diagnostic is an error (the collector would refuse to start).
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == cpl_syntax::Severity::Error)
    }

    /// The processor with component id `id` (`tail_sampling/NAME`, or just `NAME`).
    pub fn processor(&self, id: &str) -> Option<&Processor> {
        self.processors.iter().find(|p| {
            p.id == id
                || p.id
                    .strip_prefix("tail_sampling/")
                    .is_some_and(|name| name == id)
        })
    }
}

/// The shape of `source` if it is a collector config (and not, say, a CPL policy):
/// decided by its top-level keys alone. Cheap enough to call on every input file.
pub fn recognise(source: &str) -> Option<Shape> {
    let (root, _) = yaml::parse(source);
    shape_of(&root?)
}

fn shape_of(root: &Node) -> Option<Shape> {
    let entries = merged_entries(root)?;
    let has = |key: &str| entries.iter().any(|(k, _)| key_text(k) == Some(key));
    let value_of = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| key_text(k) == Some(key))
            .and_then(|(_, v)| scalar(v))
            .map(|s| s.text.as_str())
    };
    if has("sampling") {
        return None;
    }
    match value_of("kind") {
        Some("ConfigMap") if has("data") => return Some(Shape::ConfigMap),
        Some("OpenTelemetryCollector") if has("spec") => return Some(Shape::OperatorResource),
        _ => {}
    }
    if has("processors") {
        return Some(Shape::Collector);
    }
    if entries
        .iter()
        .any(|(k, _)| key_text(k).is_some_and(is_processor_id))
        || has("policies")
    {
        return Some(Shape::Block);
    }
    None
}

/// Whether a component id names a `tail_sampling` processor.
fn is_processor_id(id: &str) -> bool {
    id == "tail_sampling" || id.starts_with("tail_sampling/")
}

/// Reads every `tail_sampling` processor of a collector config. A file that is not one
/// ([`recognise`] says `None`) is read as a bare block, and reports what it lacks.
pub fn read(source: &str) -> ConfigFile {
    let mut reader = Reader {
        diagnostics: Vec::new(),
        processors: Vec::new(),
        embed: None,
    };
    let (root, errors) = yaml::parse(source);
    for error in errors {
        reader.diagnostics.push(yaml_diagnostic(&error, None));
    }
    let shape = root.as_ref().and_then(shape_of).unwrap_or(Shape::Block);
    if let Some(root) = &root {
        match shape {
            Shape::Collector => reader.collector(root),
            Shape::Block => reader.block_file(root),
            Shape::ConfigMap => reader.config_map(root),
            Shape::OperatorResource => reader.operator_resource(root),
        }
    } else if reader.diagnostics.is_empty() {
        reader.diagnostics.push(
            Diagnostic::new(
                &codes::NO_TAIL_SAMPLING,
                "the file is empty",
                0..0,
                "no collector config here",
            )
            .with_help("write a `tail_sampling` processor config"),
        );
    }
    reader.diagnostics.sort_by_key(|d| d.span.start);
    ConfigFile {
        shape,
        processors: reader.processors,
        diagnostics: reader.diagnostics,
    }
}

/// Positions of a config embedded in a string scalar: maps offsets in the scalar's
/// decoded text to offsets in the file.
#[derive(Clone, Copy)]
pub(crate) struct Embed<'s> {
    scalar: &'s Scalar,
}

impl Embed<'_> {
    fn at(self, offset: usize) -> usize {
        self.scalar.file_offset(offset)
    }

    fn span(self, span: &Range<usize>) -> Range<usize> {
        let start = self.at(span.start);
        let end = if span.end > span.start {
            self.at(span.end - 1) + 1
        } else {
            start
        };
        start..end.max(start)
    }
}

/// Maps a span of the current document into the file.
pub(crate) fn file_span(embed: Option<Embed<'_>>, span: &Range<usize>) -> Range<usize> {
    embed.map_or_else(|| span.clone(), |embed| embed.span(span))
}

/// Maps offset `offset` of `scalar`'s decoded text into the file.
pub(crate) fn file_offset(embed: Option<Embed<'_>>, scalar: &Scalar, offset: usize) -> usize {
    let inner = scalar.file_offset(offset);
    embed.map_or(inner, |embed| embed.at(inner))
}

struct Reader<'s> {
    diagnostics: Vec<Diagnostic>,
    processors: Vec<Processor>,
    embed: Option<Embed<'s>>,
}

impl Reader<'_> {
    fn span(&self, span: &Range<usize>) -> Range<usize> {
        file_span(self.embed, span)
    }

    /// `processors:` of a whole collector config.
    fn collector(&mut self, root: &Node) {
        let Some(entries) = merged_entries(root) else {
            return;
        };
        let Some((key, processors)) = entries
            .iter()
            .find(|(k, _)| key_text(k) == Some("processors"))
        else {
            self.no_processor(&root.span, "this collector config has no `processors`");
            return;
        };
        match merged_entries(processors) {
            Some(processors) => self.processors_in(&processors, &key.span),
            None => self.no_processor(&key.span, "`processors` is not a mapping"),
        }
    }

    /// A file holding a processor block: `tail_sampling:` keys, or the block's contents.
    fn block_file(&mut self, root: &Node) {
        let Some(entries) = merged_entries(root) else {
            self.no_processor(&root.span, "the file is not a mapping");
            return;
        };
        if entries
            .iter()
            .any(|(k, _)| key_text(k).is_some_and(is_processor_id))
        {
            self.processors_in(&entries, &root.span);
        } else if entries.iter().any(|(k, _)| key_text(k) == Some("policies")) {
            self.processor("tail_sampling", &root.span, root);
        } else {
            self.no_processor(
                &root.span,
                "no `processors`, `tail_sampling` or `policies` key at the top",
            );
        }
    }

    fn processors_in(&mut self, entries: &[(&Node, &Node)], at: &Range<usize>) {
        let mut found = false;
        for (key, value) in entries {
            let Some(id) = key_text(key).filter(|id| is_processor_id(id)) else {
                continue;
            };
            found = true;
            self.processor(id, &key.span, value);
        }
        if !found {
            self.no_processor(
                at,
                "no processor here is `tail_sampling` or `tail_sampling/NAME`",
            );
        }
    }

    fn processor(&mut self, id: &str, key_span: &Range<usize>, block: &Node) {
        let span = self.span(key_span);
        let mut context = read::Context {
            diagnostics: &mut self.diagnostics,
            embed: self.embed,
        };
        if let Some(processor) = context.processor(id, span, block) {
            self.processors.push(processor);
        }
    }

    fn no_processor(&mut self, span: &Range<usize>, why: &str) {
        let span = self.span(span);
        self.diagnostics.push(
            Diagnostic::new(
                &codes::NO_TAIL_SAMPLING,
                format!("no `tail_sampling` processor found: {why}"),
                span.start..span.start,
                "expected here",
            )
            .with_help(
                "add a `tail_sampling` processor under `processors:`, or name a file that has one",
            ),
        );
    }

    /// A Kubernetes `ConfigMap`: every `data` value that holds a collector config.
    fn config_map(&mut self, root: &Node) {
        let entries = merged_entries(root).unwrap_or_default();
        let Some((data_key, data)) = entries.iter().find(|(k, _)| key_text(k) == Some("data"))
        else {
            return;
        };
        let before = self.processors.len();
        let mut any_config = false;
        for (key, value) in merged_entries(data).unwrap_or_default() {
            let Some(text) = scalar(value) else {
                continue;
            };
            any_config |= self.embedded(text, &value.span);
            let _ = key;
        }
        if !any_config && self.processors.len() == before {
            self.no_processor(
                &data_key.span,
                "no `data` value of this ConfigMap holds a collector config",
            );
        }
    }

    /// An `OpenTelemetryCollector` resource: `spec.config`, a mapping or a string.
    fn operator_resource(&mut self, root: &Node) {
        let entries = merged_entries(root).unwrap_or_default();
        let spec = entries.iter().find(|(k, _)| key_text(k) == Some("spec"));
        let config = spec.and_then(|(_, spec)| {
            merged_entries(spec)
                .unwrap_or_default()
                .into_iter()
                .find(|(k, _)| key_text(k) == Some("config"))
        });
        let Some((key, config)) = config else {
            let at = spec.map_or(root.span.clone(), |(k, _)| k.span.clone());
            self.no_processor(&at, "this OpenTelemetryCollector has no `spec.config`");
            return;
        };
        match &config.value {
            NodeValue::Scalar(text) => {
                if !self.embedded(text, &config.span) {
                    self.no_processor(&key.span, "`spec.config` holds no collector config");
                }
            }
            _ => self.collector(config),
        }
    }

    /// A collector config inside the string `text`; whether it looked like one (and so
    /// was read, errors and all).
    fn embedded(&mut self, text: &Scalar, span: &Range<usize>) -> bool {
        let (root, errors) = yaml::parse(&text.text);
        let embed = Embed { scalar: text };
        let shape = root.as_ref().and_then(shape_of);
        // A value that is not YAML at all is some other file of the ConfigMap, unless it
        // talks about `tail_sampling`.
        if shape.is_none() && !(root.is_none() && text.text.contains("tail_sampling")) {
            return false;
        }
        let _ = span;
        for error in errors {
            self.diagnostics.push(yaml_diagnostic(&error, Some(embed)));
        }
        let Some(root) = root else {
            return true;
        };
        let mut inner = Reader {
            diagnostics: Vec::new(),
            processors: Vec::new(),
            embed: Some(embed),
        };
        match shape {
            Some(Shape::Collector) => inner.collector(&root),
            Some(Shape::Block) => inner.block_file(&root),
            // A ConfigMap inside a ConfigMap is not a collector config.
            _ => return false,
        }
        self.diagnostics.append(&mut inner.diagnostics);
        self.processors.append(&mut inner.processors);
        true
    }
}

/// The scalar of a node, if it is one.
pub(crate) fn scalar(node: &Node) -> Option<&Scalar> {
    match &node.value {
        NodeValue::Scalar(scalar) => Some(scalar),
        _ => None,
    }
}

/// The text of a scalar key.
pub(crate) fn key_text(node: &Node) -> Option<&str> {
    scalar(node).map(|s| s.text.as_str())
}

/// A mapping's entries with merge keys applied (`yaml.v3`'s order: explicit keys win,
/// then the merged mappings in order): the shared positioned-YAML helper.
pub(crate) use cpl_syntax::yaml::merged_entries;

/// A YAML problem as a diagnostic, positioned in the file.
fn yaml_diagnostic(error: &YamlError, embed: Option<Embed<'_>>) -> Diagnostic {
    let span = file_span(embed, &error.span);
    let (code, label, help): (&'static cpl_syntax::Code, &str, &str) = match &error.kind {
        YamlErrorKind::Syntax | YamlErrorKind::UnknownEscape { .. } => (
            &codes::YAML_SYNTAX,
            "here",
            "check the indentation and quoting around this point",
        ),
        YamlErrorKind::DuplicateKey { .. } => (
            &codes::DUPLICATE_KEY,
            "written again here",
            "remove one of the two: the collector refuses a mapping with a key written twice",
        ),
        YamlErrorKind::AliasLimit => (
            &codes::YAML_ALIAS_LIMIT,
            "expansion crosses the limit here",
            "write the values out instead of nesting aliases",
        ),
        YamlErrorKind::TooDeep => (
            &codes::YAML_TOO_DEEP,
            "too deep",
            "a collector config needs only a few levels of nesting",
        ),
        YamlErrorKind::MultipleDocuments => (
            &codes::MULTIPLE_DOCUMENTS,
            "a second document starts here",
            "put each config in its own file",
        ),
    };
    let message = match &error.kind {
        YamlErrorKind::Syntax | YamlErrorKind::UnknownEscape { .. } => {
            format!("invalid YAML: {}", error.message)
        }
        _ => error.message.clone(),
    };
    let mut diagnostic = Diagnostic::new(code, message, span, label).with_help(help);
    if let YamlErrorKind::DuplicateKey { first } = &error.kind {
        diagnostic = diagnostic.with_secondary(file_span(embed, first), "first written here");
    }
    diagnostic
}
