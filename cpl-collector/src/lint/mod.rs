//! The lints of `cpl lint COLLECTOR.yaml` (spec/targets/otel-collector.md §7): a
//! `tail_sampling` config the collector starts with, but that does not do what it
//! appears to.
//!
//! The lints live here, not in `cpl-check`, because they read the collector's typed
//! model ([`crate::policy`]) and its import into CPL ([`crate::import`]); `cpl-check`
//! stays independent of the collector, and this crate borrows its logic engine and
//! attribute-name rules. One module per code, whose `//!` documentation is the text
//! `cpl explain CODE` prints ([`rule_docs`]).

use std::ops::Range;

use cpl_syntax::yaml::{self, Node, NodeValue};
use cpl_syntax::{Code, Diagnostic};

use crate::config::{ConfigFile, Shape};
use crate::import::{import, Imported};
use crate::policy::{Policy, PolicyKind, Processor};

mod imported_checks;
mod latency_upper_bound;
mod never_samples;
mod numeric_zero_bound;
mod probabilistic_with_thresholds;
mod subsumed_policy;
mod trace_logic;
mod unanchored_regex;

#[cfg(test)]
mod tests;

/// One rule: its code, its module's source (for the docs) and what it runs.
struct Rule {
    code: &'static Code,
    source: &'static str,
    run: fn(&Context<'_>, &mut Vec<Diagnostic>),
}

macro_rules! rules {
    ($($code:ident => $module:ident;)*) => {
        /// Every rule, in code order.
        static RULES: &[Rule] = &[$(
            Rule {
                code: &cpl_syntax::codes::$code,
                source: include_str!(concat!(stringify!($module), ".rs")),
                run: $module::check,
            },
        )*];
    };
}

rules! {
    UNANCHORED_REGEX => unanchored_regex;
    NUMERIC_ZERO_BOUND => numeric_zero_bound;
    LATENCY_UPPER_BOUND => latency_upper_bound;
    PROBABILISTIC_WITH_THRESHOLDS => probabilistic_with_thresholds;
    SUBSUMED_POLICY => subsumed_policy;
    NEVER_SAMPLES => never_samples;
}

/// The codes of the collector lints, in code order.
pub fn rule_codes() -> impl Iterator<Item = &'static Code> {
    RULES.iter().map(|rule| rule.code)
}

/// The long explanation of a collector lint (its module's `//!` documentation), for
/// `cpl explain`; `None` for other codes.
pub fn rule_docs(code: &str) -> Option<String> {
    let rule = RULES
        .iter()
        .find(|rule| rule.code.code.eq_ignore_ascii_case(code) || rule.code.name == code)?;
    let mut text = String::new();
    for line in rule.source.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            break;
        };
        text.push_str(doc.strip_prefix(' ').unwrap_or(doc));
        text.push('\n');
    }
    // The heading (`## L401 unanchored-regex (warning)`) is printed by the CLI itself.
    let text = text.trim();
    let text = match text.split_once('\n') {
        Some((first, rest)) if first.starts_with('#') => rest.trim(),
        _ => text,
    };
    (!text.is_empty()).then(|| text.to_owned())
}

/// Lints every `tail_sampling` processor of `file` (or the one whose id or name is
/// `only`), read from `source`. A file with a load-time error is not linted (the
/// collector would not start with it; its errors are the findings). With several
/// processors linted, each message starts with its processor's id. The diagnostics are
/// in file order.
pub fn lint_file(source: &str, file: &ConfigFile, only: Option<&str>) -> Vec<Diagnostic> {
    if file.has_errors() {
        return Vec::new();
    }
    let processors: Vec<&Processor> = match only {
        Some(id) => file.processor(id).into_iter().collect(),
        None => file.processors.iter().collect(),
    };
    let label = processors.len() > 1;
    let mut out = Vec::new();
    for processor in processors {
        let mut found = lint_processor(source, file.shape, processor);
        if label {
            for diagnostic in &mut found {
                diagnostic.message = format!("`{}`: {}", processor.id, diagnostic.message);
            }
        }
        out.append(&mut found);
    }
    out.sort_by_key(|d| (d.span.start, d.span.end));
    out
}

/// Lints one processor of a file of shape `shape` read from `source`.
pub fn lint_processor(source: &str, shape: Shape, processor: &Processor) -> Vec<Diagnostic> {
    let context = Context::new(source, shape, processor);
    let mut out = Vec::new();
    for rule in RULES {
        (rule.run)(&context, &mut out);
    }
    imported_checks::check(&context, &mut out);
    out.sort_by_key(|d| (d.span.start, d.span.end));
    out
}

/// What the rules see: the processor, its source, and its import into CPL.
pub(crate) struct Context<'a> {
    pub(crate) source: &'a str,
    pub(crate) shape: Shape,
    pub(crate) processor: &'a Processor,
    pub(crate) imported: Imported,
    /// Per top-level policy (file order): its imported condition, when the import of
    /// that policy is exact (no E530, E531 or W530 inside it).
    pub(crate) exact: Vec<Option<cpl_syntax::Condition>>,
}

impl<'a> Context<'a> {
    fn new(source: &'a str, shape: Shape, processor: &'a Processor) -> Self {
        let imported = import(processor);
        let conditions = imported
            .policy
            .as_ref()
            .map(|p| p.sampling.conditions.as_slice())
            .unwrap_or_default();
        let exact = processor
            .policies
            .iter()
            .map(|policy| {
                let inexact = imported
                    .diagnostics
                    .iter()
                    .any(|d| within(&d.span, &policy.span));
                if inexact {
                    return None;
                }
                // Top-level names are unique (E405), so the condition named after the
                // policy is its import.
                conditions
                    .iter()
                    .find(|c| c.name.value == policy.name)
                    .cloned()
            })
            .collect();
        Self {
            source,
            shape,
            processor,
            imported,
            exact,
        }
    }

    /// Every policy of the processor, nested ones included, in file order (a policy
    /// before its sub-policies).
    pub(crate) fn all_policies(&self) -> Vec<&'a Policy> {
        fn walk<'p>(policy: &'p Policy, out: &mut Vec<&'p Policy>) {
            out.push(policy);
            match &policy.kind {
                PolicyKind::And(subs) | PolicyKind::Drop(subs) | PolicyKind::Composite(subs) => {
                    for sub in subs {
                        walk(sub, out);
                    }
                }
                PolicyKind::Not(sub) => walk(sub, out),
                _ => {}
            }
        }
        let mut out = Vec::new();
        for policy in &self.processor.policies {
            walk(policy, &mut out);
        }
        out
    }

    /// The text of `policy` read on its own, when its lines form a YAML mapping.
    pub(crate) fn text_of(&self, policy: &Policy) -> Option<PolicyText> {
        PolicyText::read(self.source, &policy.span)
    }

    /// The span of the setting at `path` in `policy` (`["numeric_attribute",
    /// "min_value"]`), or the policy's span when it cannot be read.
    pub(crate) fn setting_span(&self, policy: &Policy, path: &[&str]) -> Range<usize> {
        self.text_of(policy)
            .and_then(|text| text.setting(path).map(|(_, span)| span))
            .unwrap_or_else(|| policy.span.clone())
    }
}

fn within(inner: &Range<usize>, outer: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

/// A policy's text parsed on its own: the lines from the one where the policy starts,
/// with what precedes it on that line (`- `, indentation) blanked, so that offsets in
/// the parsed text are offsets in the file minus `offset`.
pub(crate) struct PolicyText {
    root: Node,
    offset: usize,
}

impl PolicyText {
    fn read(source: &str, span: &Range<usize>) -> Option<Self> {
        let body = source.get(span.clone())?;
        let line_start = source[..span.start].rfind('\n').map_or(0, |i| i + 1);
        let lead = &source[line_start..span.start];
        if !lead.is_ascii() {
            return None;
        }
        let text = format!("{}{body}", " ".repeat(lead.len()));
        let (root, errors) = yaml::parse(&text);
        let root = root.filter(|_| errors.is_empty())?;
        matches!(root.value, NodeValue::Mapping(_)).then_some(Self {
            root,
            offset: line_start,
        })
    }

    /// The node at `path` and its span in the file.
    pub(crate) fn setting(&self, path: &[&str]) -> Option<(&Node, Range<usize>)> {
        let mut node = &self.root;
        for key in path {
            let NodeValue::Mapping(entries) = &node.value else {
                return None;
            };
            node = entries
                .iter()
                .find(|(k, _)| matches!(&k.value, NodeValue::Scalar(s) if s.text == *key))
                .map(|(_, v)| v)?;
        }
        Some((node, self.file_span(&node.span)))
    }

    pub(crate) fn file_span(&self, span: &Range<usize>) -> Range<usize> {
        span.start + self.offset..span.end + self.offset
    }
}
