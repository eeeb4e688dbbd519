//! One `tail_sampling` block into the typed model, with the collector's load-time
//! checks (spec/targets/otel-collector.md §1.3).
//!
//! The collector decodes its config with mapstructure, unknown keys refused, no weak
//! typing: a quoted number is not a number, a number is not a string, a float written
//! for an integer setting is truncated. `null` leaves a setting at its default.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use cpl_syntax::yaml::{Node, NodeValue, Resolved, Scalar};
use cpl_syntax::{codes, did_you_mean, Code, Diagnostic, StatusCode};

use super::{file_offset, file_span, key_text, merged_entries, scalar, Embed};
use crate::ottl::{Condition, OttlContext};
use crate::policy::{ErrorMode, Policy, PolicyKind, Processor};

/// The processor's own keys (v0.161.0).
const PROCESSOR_KEYS: &[&str] = &[
    "policies",
    "decision_wait",
    "decision_wait_after_root_received",
    "num_traces",
    "num_shards",
    "expected_new_traces_per_sec",
    "decision_cache",
    "sample_on_first_match",
    "drop_pending_traces_on_shutdown",
    "block_on_overflow",
    "sampling_strategy",
    "maximum_trace_size_bytes",
    "tail_storage",
];

/// The keys every policy may have: `name`, `type`, and one block per leaf type.
const SHARED_KEYS: &[&str] = &[
    "name",
    "type",
    "latency",
    "numeric_attribute",
    "probabilistic",
    "status_code",
    "string_attribute",
    "rate_limiting",
    "bytes_limiting",
    "span_count",
    "trace_state",
    "trace_flags",
    "boolean_attribute",
    "ottl_condition",
];

/// Where a policy is written: which types and keys it may use (v0.161.0 nesting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// In `policies`: every type.
    Top,
    /// In `and_sub_policy` or `drop_sub_policy`: leaves and `not`.
    AndSub,
    /// In `not_sub_policy`: leaves.
    NotSub,
    /// In `composite_sub_policy`: leaves and `and`.
    CompositeSub,
}

impl Level {
    fn types(self) -> Vec<&'static str> {
        let mut types = PolicyKind::LEAF_TYPES.to_vec();
        match self {
            Level::Top => types.extend(["and", "not", "drop", "composite"]),
            Level::AndSub => types.push("not"),
            Level::NotSub => {}
            Level::CompositeSub => types.push("and"),
        }
        types
    }

    fn where_(self) -> &'static str {
        match self {
            Level::Top => "in `policies`",
            Level::AndSub => "in `and_sub_policy` or `drop_sub_policy`",
            Level::NotSub => "in `not_sub_policy`",
            Level::CompositeSub => "in `composite_sub_policy`",
        }
    }
}

pub(super) struct Context<'d, 's> {
    pub(super) diagnostics: &'d mut Vec<Diagnostic>,
    pub(super) embed: Option<Embed<'s>>,
}

/// A mapping's entries, for reading settings by key.
struct Fields<'n> {
    entries: Vec<(&'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| key_text(k) == Some(key))
            .map(|(_, v)| *v)
            .filter(|v| !is_null(v))
    }

    fn key_span(&self, key: &str) -> Option<Range<usize>> {
        self.entries
            .iter()
            .find(|(k, _)| key_text(k) == Some(key))
            .map(|(k, _)| k.span.clone())
    }
}

fn is_null(node: &Node) -> bool {
    scalar(node).is_some_and(|s| s.resolve() == Resolved::Null)
}

/// The byte range of the first unescaped `${` substitution in `text`, and its name.
fn substitution(text: &str) -> Option<(Range<usize>, &str)> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' {
            if bytes[i + 1] == b'$' {
                // `$$` is a literal `$`.
                i += 2;
                continue;
            }
            if bytes[i + 1] == b'{' {
                let end = text[i..].find('}').map_or(text.len(), |at| i + at + 1);
                return Some((i..end, &text[i..end]));
            }
        }
        i += 1;
    }
    None
}

impl Context<'_, '_> {
    fn span(&self, span: &Range<usize>) -> Range<usize> {
        file_span(self.embed, span)
    }

    fn report(
        &mut self,
        code: &'static Code,
        message: impl Into<String>,
        span: &Range<usize>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        let span = self.span(span);
        self.diagnostics
            .push(Diagnostic::new(code, message, span, label).with_help(help));
    }

    /// Reports every `${...}` in the block; returns the nodes that hold one, which are
    /// then read as if absent (their value is unknown).
    fn substitutions(&mut self, node: &Node, path: &str, found: &mut HashSet<usize>) {
        match &node.value {
            NodeValue::Scalar(text) => {
                if let Some((range, written)) = substitution(&text.text) {
                    let start = file_offset(self.embed, text, range.start);
                    let end = file_offset(self.embed, text, range.end.saturating_sub(1)) + 1;
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::UNRESOLVED_SUBSTITUTION,
                            format!("`{written}` in `{path}` cannot be resolved offline"),
                            start..end.max(start),
                            "the collector substitutes this when it starts",
                        )
                        .with_help(format!(
                            "write the value `{path}` has in production in place of `{written}`"
                        )),
                    );
                    found.insert(node.span.start);
                }
            }
            NodeValue::Sequence(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.substitutions(item, &format!("{path}[{index}]"), found);
                }
            }
            NodeValue::Mapping(entries) => {
                for (key, value) in entries {
                    let name = key_text(key).unwrap_or("?");
                    self.substitutions(key, path, found);
                    self.substitutions(value, &format!("{path}.{name}"), found);
                }
            }
        }
    }

    pub(super) fn processor(
        &mut self,
        id: &str,
        span: Range<usize>,
        block: &Node,
    ) -> Option<Processor> {
        let mut substituted = HashSet::new();
        self.substitutions(block, id, &mut substituted);
        let mut reader = Block {
            context: self,
            substituted,
        };
        reader.processor(id, span, block)
    }
}

/// Reading one processor block.
struct Block<'c, 'd, 's> {
    context: &'c mut Context<'d, 's>,
    /// Span starts of the nodes holding a substitution.
    substituted: HashSet<usize>,
}

impl Block<'_, '_, '_> {
    fn report(
        &mut self,
        code: &'static Code,
        message: impl Into<String>,
        span: &Range<usize>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.context.report(code, message, span, label, help);
    }

    fn fields<'n>(&mut self, node: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let Some(entries) = merged_entries(node) else {
            if !is_null(node) && !self.substituted.contains(&node.span.start) {
                self.report(
                    &codes::COLLECTOR_WRONG_TYPE,
                    format!("`{what}` must be a mapping"),
                    &node.span,
                    "not a mapping",
                    format!("write `{what}` as `key: value` lines"),
                );
            }
            return None;
        };
        for (key, _) in &entries {
            let Some(name) = key_text(key) else {
                self.report(
                    &codes::COLLECTOR_WRONG_TYPE,
                    format!("a key of `{what}` is not a string"),
                    &key.span,
                    "not a string key",
                    "use plain words as keys",
                );
                continue;
            };
            if !allowed.contains(&name) {
                let help = match did_you_mean(name, allowed.iter().copied()) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("the keys `{what}` takes are {}", list(allowed)),
                };
                self.report(
                    &codes::COLLECTOR_UNKNOWN_KEY,
                    format!("`{what}` has no key `{name}`"),
                    &key.span,
                    "the collector refuses to start on this key",
                    help,
                );
            }
        }
        Some(Fields { entries })
    }

    /// The scalar at `key`, or `None` (absent, null, substituted, or reported).
    fn scalar<'n>(&mut self, fields: &Fields<'n>, key: &str, what: &str) -> Option<&'n Scalar> {
        let node = fields.get(key)?;
        if self.substituted.contains(&node.span.start) {
            return None;
        }
        if let NodeValue::Scalar(text) = &node.value {
            return Some(text);
        }
        self.report(
            &codes::COLLECTOR_WRONG_TYPE,
            format!("`{key}` must be {what}"),
            &node.span,
            "not a single value",
            format!("write `{key}` as {what}"),
        );
        None
    }

    fn int(&mut self, fields: &Fields<'_>, key: &str, bits: u32) -> Option<i64> {
        let text = self.scalar(fields, key, "an integer")?;
        let (min, max) = if bits == 32 {
            (i64::from(i32::MIN), i64::from(i32::MAX))
        } else {
            (i64::MIN, i64::MAX)
        };
        let span = fields.get(key).map(|n| n.span.clone()).unwrap_or_default();
        let value = match text.resolve() {
            Resolved::Int(value) => Some(value),
            // mapstructure truncates a float decoded into an integer setting.
            #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
            Resolved::Float(value) if value.is_finite() && value.trunc().abs() < 9.2e18 => {
                Some(value.trunc() as i64)
            }
            Resolved::Float(_) => None,
            _ => {
                self.report(
                    &codes::COLLECTOR_WRONG_TYPE,
                    format!("`{key}` must be an integer, not `{}`", text.text),
                    &span,
                    "not an integer",
                    format!("write `{key}` as a number without quotes"),
                );
                return None;
            }
        };
        if let Some(value) = value.filter(|v| (min..=max).contains(v)) {
            return Some(value);
        }
        self.report(
            &codes::VALUE_OUT_OF_RANGE,
            format!(
                "`{key}` is `{}`, outside the range of a {bits}-bit integer",
                text.text
            ),
            &span,
            "out of range",
            format!("write a value between {min} and {max}"),
        );
        None
    }

    fn float(&mut self, fields: &Fields<'_>, key: &str) -> Option<f64> {
        let text = self.scalar(fields, key, "a number")?;
        let span = fields.get(key).map(|n| n.span.clone()).unwrap_or_default();
        match text.resolve() {
            #[allow(clippy::cast_precision_loss)]
            Resolved::Int(value) => Some(value as f64),
            Resolved::Float(value) => Some(value),
            _ => {
                self.report(
                    &codes::COLLECTOR_WRONG_TYPE,
                    format!("`{key}` must be a number, not `{}`", text.text),
                    &span,
                    "not a number",
                    format!("write `{key}` as a number without quotes"),
                );
                None
            }
        }
    }

    fn boolean(&mut self, fields: &Fields<'_>, key: &str) -> Option<bool> {
        let text = self.scalar(fields, key, "`true` or `false`")?;
        let span = fields.get(key).map(|n| n.span.clone()).unwrap_or_default();
        if let Resolved::Bool(value) = text.resolve() {
            return Some(value);
        }
        self.report(
            &codes::COLLECTOR_WRONG_TYPE,
            format!("`{key}` must be `true` or `false`, not `{}`", text.text),
            &span,
            "not a boolean",
            format!("write `{key}: true` or `{key}: false`"),
        );
        None
    }

    fn string(&mut self, fields: &Fields<'_>, key: &str) -> Option<String> {
        let text = self.scalar(fields, key, "a string")?;
        let span = fields.get(key).map(|n| n.span.clone()).unwrap_or_default();
        if let Resolved::String(value) = text.resolve() {
            return Some(value.to_owned());
        }
        self.report(
            &codes::COLLECTOR_WRONG_TYPE,
            format!(
                "`{key}` must be a string; `{}` reads as a YAML number or boolean",
                text.text
            ),
            &span,
            "not a string",
            format!("quote it: `{key}: \"{}\"`", text.text),
        );
        None
    }

    /// A list of strings, each with its node; `[]` when absent.
    fn strings<'n>(&mut self, fields: &Fields<'n>, key: &str) -> Vec<(String, &'n Node)> {
        let Some(node) = fields.get(key) else {
            return Vec::new();
        };
        if self.substituted.contains(&node.span.start) {
            return Vec::new();
        }
        let NodeValue::Sequence(items) = &node.value else {
            self.report(
                &codes::COLLECTOR_WRONG_TYPE,
                format!("`{key}` must be a list of strings"),
                &node.span,
                "not a list",
                format!("write `{key}: [\"a\", \"b\"]`"),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            if self.substituted.contains(&item.span.start) || is_null(item) {
                continue;
            }
            match scalar(item).map(|s| (s, s.resolve())) {
                Some((s, Resolved::String(_))) => out.push((s.text.clone(), item)),
                _ => self.report(
                    &codes::COLLECTOR_WRONG_TYPE,
                    format!("an entry of `{key}` is not a string"),
                    &item.span,
                    "not a string",
                    "quote each entry",
                ),
            }
        }
        out
    }

    fn processor(&mut self, id: &str, span: Range<usize>, block: &Node) -> Option<Processor> {
        let fields = self.fields(block, id, PROCESSOR_KEYS)?;
        for key in [
            "num_traces",
            "expected_new_traces_per_sec",
            "maximum_trace_size_bytes",
        ] {
            if let Some(value) = self.int(&fields, key, 64) {
                self.non_negative(&fields, key, value);
            }
        }
        if let Some(shards) = self.int(&fields, "num_shards", 64) {
            if !(0..=256).contains(&shards) {
                let at = fields
                    .get("num_shards")
                    .map(|n| n.span.clone())
                    .unwrap_or_default();
                self.report(
                    &codes::VALUE_OUT_OF_RANGE,
                    format!("`num_shards` is {shards}; the collector accepts 1 to 256"),
                    &at,
                    "out of range",
                    "write a value between 1 and 256",
                );
            }
        }
        for key in ["decision_wait", "decision_wait_after_root_received"] {
            self.duration(&fields, key);
        }
        for key in ["drop_pending_traces_on_shutdown", "block_on_overflow"] {
            self.boolean(&fields, key);
        }
        let sample_on_first_match = self
            .boolean(&fields, "sample_on_first_match")
            .unwrap_or(false);
        if let Some(strategy) = self.string(&fields, "sampling_strategy") {
            if !["trace-complete", "span-ingest"].contains(&strategy.as_str()) {
                let at = fields
                    .get("sampling_strategy")
                    .map(|n| n.span.clone())
                    .unwrap_or_default();
                self.report(
                    &codes::COLLECTOR_WRONG_TYPE,
                    format!("`sampling_strategy` is `{strategy}`"),
                    &at,
                    "unknown strategy",
                    "write `trace-complete` or `span-ingest`",
                );
            }
        }
        self.string(&fields, "tail_storage");
        if let Some(cache) = fields.get("decision_cache") {
            if let Some(cache) = self.fields(
                cache,
                "decision_cache",
                &["sampled_cache_size", "non_sampled_cache_size"],
            ) {
                self.int(&cache, "sampled_cache_size", 64);
                self.int(&cache, "non_sampled_cache_size", 64);
            }
        }
        let Some(list) = fields.get("policies") else {
            if !fields
                .get("policies")
                .is_some_and(|n| self.substituted.contains(&n.span.start))
            {
                let at = fields
                    .key_span("policies")
                    .unwrap_or_else(|| block.span.clone());
                self.report(
                    &codes::COLLECTOR_MISSING_KEY,
                    format!("`{id}` has no `policies`"),
                    &(at.start..at.start),
                    "`policies` expected here",
                    "add `policies:` with at least one policy, e.g. `- {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}`",
                );
            }
            return Some(Processor {
                id: id.to_owned(),
                span,
                policies: Vec::new(),
                sample_on_first_match,
            });
        };
        let policies = self.policy_list(list, "policies", Level::Top);
        self.unique_names(&policies);
        Some(Processor {
            id: id.to_owned(),
            span,
            policies,
            sample_on_first_match,
        })
    }

    fn non_negative(&mut self, fields: &Fields<'_>, key: &str, value: i64) {
        if value < 0 {
            let at = fields.get(key).map(|n| n.span.clone()).unwrap_or_default();
            self.report(
                &codes::VALUE_OUT_OF_RANGE,
                format!("`{key}` is {value}; it is an unsigned setting"),
                &at,
                "negative",
                "write 0 or a positive number",
            );
        }
    }

    /// A Go `time.Duration`: a string such as `10s`, or an integer of nanoseconds.
    fn duration(&mut self, fields: &Fields<'_>, key: &str) {
        let Some(text) = self.scalar(fields, key, "a duration") else {
            return;
        };
        let at = fields.get(key).map(|n| n.span.clone()).unwrap_or_default();
        let ok = match text.resolve() {
            Resolved::Int(_) => true,
            Resolved::String(value) => is_go_duration(value),
            _ => false,
        };
        if !ok {
            self.report(
                &codes::COLLECTOR_WRONG_TYPE,
                format!("`{key}` is `{}`, not a duration", text.text),
                &at,
                "not a duration",
                "write a Go duration such as `30s`, `1m30s` or `500ms`",
            );
        }
    }

    fn policy_list(&mut self, list: &Node, what: &str, level: Level) -> Vec<Policy> {
        if self.substituted.contains(&list.span.start) {
            return Vec::new();
        }
        let NodeValue::Sequence(items) = &list.value else {
            self.report(
                &codes::COLLECTOR_WRONG_TYPE,
                format!("`{what}` must be a list of policies"),
                &list.span,
                "not a list",
                format!("write each entry of `{what}` as `- name: ...`"),
            );
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.policy(item, level))
            .collect()
    }

    /// Top-level names: non-empty (checked in `policy`) and unique.
    fn unique_names(&mut self, policies: &[Policy]) {
        let mut seen: HashMap<&str, &Range<usize>> = HashMap::new();
        let mut duplicates = Vec::new();
        for policy in policies {
            if policy.name.is_empty() {
                continue;
            }
            if let Some(first) = seen.get(policy.name.as_str()) {
                duplicates.push((policy.name.clone(), policy.span.clone(), (*first).clone()));
            } else {
                seen.insert(&policy.name, &policy.span);
            }
        }
        for (name, span, first) in duplicates {
            // Spans of policies are file spans already.
            self.context.diagnostics.push(
                Diagnostic::new(
                    &codes::DUPLICATE_POLICY_NAME,
                    format!("two policies are named `{name}`"),
                    span.start..span.start,
                    "this policy",
                )
                .with_secondary(first.start..first.start, "has the name of this one")
                .with_help("give each policy its own name: the collector refuses duplicates"),
            );
        }
    }

    fn policy(&mut self, node: &Node, level: Level) -> Option<Policy> {
        let mut allowed: Vec<&str> = SHARED_KEYS.to_vec();
        match level {
            Level::Top => allowed.extend(["and", "not", "drop", "composite"]),
            Level::AndSub => allowed.push("not"),
            Level::NotSub => {}
            Level::CompositeSub => allowed.push("and"),
        }
        let fields = self.fields(node, "policy", &allowed)?;
        let span = self.context.span(&node.span);
        let name = self.string(&fields, "name").unwrap_or_default();
        let name_substituted = fields
            .get("name")
            .is_some_and(|n| self.substituted.contains(&n.span.start));
        if level == Level::Top && name.is_empty() && !name_substituted {
            let at = fields
                .get("name")
                .map_or(node.span.start..node.span.start, |n| n.span.clone());
            self.report(
                &codes::EMPTY_POLICY_NAME,
                "a policy has no name",
                &at,
                "no `name`",
                "add `name:` with a name no other policy has",
            );
        }
        let type_node = fields.get("type");
        if type_node.is_some_and(|n| self.substituted.contains(&n.span.start)) {
            return None;
        }
        let Some(type_name) = self.string(&fields, "type") else {
            if type_node.is_none() {
                self.report(
                    &codes::COLLECTOR_MISSING_KEY,
                    format!("policy `{name}` has no `type`"),
                    &(node.span.start..node.span.start),
                    "no `type`",
                    format!("add `type:`, one of {}", list(&level.types())),
                );
            }
            return None;
        };
        let type_span = type_node.map(|n| n.span.clone()).unwrap_or_default();
        if !level.types().contains(&type_name.as_str()) {
            if PolicyKind::TYPES.contains(&type_name.as_str()) {
                self.report(
                    &codes::SUB_POLICY_NOT_ALLOWED,
                    format!(
                        "a `{type_name}` policy cannot be written {}",
                        level.where_()
                    ),
                    &type_span,
                    "not allowed here",
                    format!("use one of {}", list(&level.types())),
                );
            } else {
                let help = match did_you_mean(&type_name, PolicyKind::TYPES) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => format!("use one of {}", list(&level.types())),
                };
                self.report(
                    &codes::UNKNOWN_POLICY_TYPE,
                    format!("`{type_name}` is not a policy type of `tail_sampling` v0.161.0"),
                    &type_span,
                    "unknown type",
                    help,
                );
            }
            return None;
        }
        let settings = fields.get(&type_name);
        let kind = self.kind(&type_name, &name, settings, node)?;
        Some(Policy { name, span, kind })
    }

    /// The settings block of a policy of type `type_name`, as fields (empty when absent).
    fn settings<'n>(
        &mut self,
        settings: Option<&'n Node>,
        what: &str,
        keys: &[&str],
    ) -> Fields<'n> {
        settings
            .and_then(|node| self.fields(node, what, keys))
            .unwrap_or(Fields {
                entries: Vec::new(),
            })
    }

    fn kind(
        &mut self,
        type_name: &str,
        name: &str,
        settings: Option<&Node>,
        policy: &Node,
    ) -> Option<PolicyKind> {
        let at = settings.map_or(policy.span.clone(), |n| n.span.clone());
        Some(match type_name {
            "always_sample" => PolicyKind::AlwaysSample,
            "trace_flags" => {
                self.settings(settings, "trace_flags", &[]);
                PolicyKind::TraceFlags
            }
            "latency" => {
                let f = self.settings(settings, "latency", &["threshold_ms", "upper_threshold_ms"]);
                PolicyKind::Latency {
                    threshold_ms: self.int(&f, "threshold_ms", 64).unwrap_or(0),
                    upper_threshold_ms: self.int(&f, "upper_threshold_ms", 64).unwrap_or(0),
                }
            }
            "numeric_attribute" => {
                let f = self.settings(
                    settings,
                    "numeric_attribute",
                    &["key", "min_value", "max_value", "invert_match"],
                );
                let key = self.string(&f, "key").unwrap_or_default();
                let min = self.int(&f, "min_value", 64).unwrap_or(0);
                let max = self.int(&f, "max_value", 64).unwrap_or(0);
                let invert_match = self.boolean(&f, "invert_match").unwrap_or(false);
                let substituted = ["min_value", "max_value"].iter().any(|k| {
                    f.get(k)
                        .is_some_and(|n| self.substituted.contains(&n.span.start))
                });
                if min == 0 && max == 0 && !substituted {
                    self.report(
                        &codes::NUMERIC_BOUNDS_UNSET,
                        format!("`numeric_attribute` policy `{name}` sets neither `min_value` nor `max_value`"),
                        &at,
                        "a bound of 0 counts as unset",
                        "set `min_value` or `max_value` to a number other than 0",
                    );
                } else if min != 0 && max != 0 && min > max {
                    let span = f.get("min_value").map_or(at.clone(), |n| n.span.clone());
                    self.report(
                        &codes::MIN_ABOVE_MAX,
                        format!("`min_value` {min} is above `max_value` {max}"),
                        &span,
                        "above `max_value`",
                        "swap the two bounds",
                    );
                }
                PolicyKind::NumericAttribute {
                    key,
                    min: if min == 0 { i64::MIN } else { min },
                    max: if max == 0 { i64::MAX } else { max },
                    invert_match,
                }
            }
            "probabilistic" => {
                let f = self.settings(
                    settings,
                    "probabilistic",
                    &["sampling_percentage", "hash_salt"],
                );
                let percentage = self.float(&f, "sampling_percentage").unwrap_or(0.0);
                if percentage.is_nan() {
                    let span = f
                        .get("sampling_percentage")
                        .map_or(at.clone(), |n| n.span.clone());
                    self.report(
                        &codes::VALUE_OUT_OF_RANGE,
                        "`sampling_percentage` is not a number (`.nan`)",
                        &span,
                        "NaN",
                        "write a percentage between 0 and 100",
                    );
                    return None;
                }
                let salt = self.string(&f, "hash_salt").unwrap_or_default();
                PolicyKind::Probabilistic {
                    sampling_percentage: percentage,
                    hash_salt: if salt.is_empty() {
                        crate::decide::DEFAULT_HASH_SALT.to_owned()
                    } else {
                        salt
                    },
                    threshold: crate::decide::probabilistic_threshold(percentage / 100.0),
                }
            }
            "status_code" => {
                let f = self.settings(settings, "status_code", &["status_codes"]);
                let written = self.strings(&f, "status_codes");
                let mut codes_ = Vec::new();
                for (text, node) in &written {
                    match text.as_str() {
                        "OK" => codes_.push(StatusCode::Ok),
                        "ERROR" => codes_.push(StatusCode::Error),
                        "UNSET" => codes_.push(StatusCode::Unset),
                        _ => self.report(
                            &codes::INVALID_STATUS_CODE,
                            format!("`{text}` is not a status code"),
                            &node.span,
                            "unknown status code",
                            "write `OK`, `ERROR` or `UNSET`, in capitals",
                        ),
                    }
                }
                let substituted = f
                    .get("status_codes")
                    .is_some_and(|n| self.substituted.contains(&n.span.start));
                if written.is_empty() && !substituted {
                    self.report(
                        &codes::INVALID_STATUS_CODE,
                        format!("`status_code` policy `{name}` lists no status code"),
                        &at,
                        "no `status_codes`",
                        "add `status_codes: [ERROR]`",
                    );
                }
                PolicyKind::StatusCode { codes: codes_ }
            }
            "string_attribute" => {
                let f = self.settings(
                    settings,
                    "string_attribute",
                    &[
                        "key",
                        "values",
                        "enabled_regex_matching",
                        "cache_max_size",
                        "invert_match",
                    ],
                );
                let key = self.string(&f, "key").unwrap_or_default();
                let written = self.strings(&f, "values");
                let regex = self.boolean(&f, "enabled_regex_matching").unwrap_or(false);
                if let Some(size) = self.int(&f, "cache_max_size", 64) {
                    self.non_negative(&f, "cache_max_size", size);
                }
                let invert_match = self.boolean(&f, "invert_match").unwrap_or(false);
                let regexes = regex.then(|| {
                    written
                        .iter()
                        .filter(|(text, _)| !text.is_empty())
                        .filter_map(|(text, node)| self.regex(text, node))
                        .collect()
                });
                PolicyKind::StringAttribute {
                    key,
                    values: written
                        .into_iter()
                        .map(|(text, _)| text)
                        .filter(|text| !text.is_empty())
                        .collect(),
                    regexes,
                    invert_match,
                }
            }
            "rate_limiting" => {
                let f = self.settings(
                    settings,
                    "rate_limiting",
                    &["spans_per_second", "burst_capacity"],
                );
                self.int(&f, "burst_capacity", 64);
                PolicyKind::RateLimiting {
                    spans_per_second: self.int(&f, "spans_per_second", 64).unwrap_or(0),
                }
            }
            "bytes_limiting" => {
                let f = self.settings(
                    settings,
                    "bytes_limiting",
                    &["bytes_per_second", "burst_capacity"],
                );
                self.int(&f, "burst_capacity", 64);
                PolicyKind::BytesLimiting {
                    bytes_per_second: self.int(&f, "bytes_per_second", 64).unwrap_or(0),
                }
            }
            "span_count" => {
                let f = self.settings(settings, "span_count", &["min_spans", "max_spans"]);
                let min_spans =
                    i32::try_from(self.int(&f, "min_spans", 32).unwrap_or(0)).unwrap_or(0);
                let max_spans =
                    i32::try_from(self.int(&f, "max_spans", 32).unwrap_or(0)).unwrap_or(0);
                PolicyKind::SpanCount {
                    min_spans,
                    max_spans,
                }
            }
            "trace_state" => {
                let f = self.settings(settings, "trace_state", &["key", "values"]);
                let key = self.string(&f, "key").unwrap_or_default();
                let values = self
                    .strings(&f, "values")
                    .into_iter()
                    .map(|(text, _)| text)
                    .filter(|value| !value.is_empty() && key.len() + value.len() < 256)
                    .collect();
                PolicyKind::TraceState { key, values }
            }
            "boolean_attribute" => {
                let f = self.settings(
                    settings,
                    "boolean_attribute",
                    &["key", "value", "invert_match"],
                );
                PolicyKind::BooleanAttribute {
                    key: self.string(&f, "key").unwrap_or_default(),
                    value: self.boolean(&f, "value").unwrap_or(false),
                    invert_match: self.boolean(&f, "invert_match").unwrap_or(false),
                }
            }
            "ottl_condition" => {
                let f = self.settings(
                    settings,
                    "ottl_condition",
                    &["error_mode", "span", "spanevent"],
                );
                let error_mode = match self.string(&f, "error_mode") {
                    None => ErrorMode::Unset,
                    Some(mode) => match mode.to_ascii_lowercase().as_str() {
                        "propagate" => ErrorMode::Propagate,
                        "ignore" => ErrorMode::Ignore,
                        "silent" => ErrorMode::Silent,
                        "" => ErrorMode::Unset,
                        _ => {
                            let span = f.get("error_mode").map_or(at.clone(), |n| n.span.clone());
                            self.report(
                                &codes::INVALID_ERROR_MODE,
                                format!("`{mode}` is not an error mode"),
                                &span,
                                "unknown error mode",
                                "write `ignore`, `silent` or `propagate`",
                            );
                            ErrorMode::Unset
                        }
                    },
                };
                let span_conditions = self.conditions(&f, "span", OttlContext::Span);
                let event_conditions = self.conditions(&f, "spanevent", OttlContext::SpanEvent);
                let substituted = ["span", "spanevent"].iter().any(|k| {
                    f.get(k)
                        .is_some_and(|n| self.substituted.contains(&n.span.start))
                });
                let written = ["span", "spanevent"].iter().any(|k| {
                    f.get(k).is_some_and(
                        |n| matches!(&n.value, NodeValue::Sequence(items) if !items.is_empty()),
                    )
                });
                if !written && !substituted {
                    self.report(
                        &codes::EMPTY_OTTL_CONDITION,
                        format!("`ottl_condition` policy `{name}` has no condition"),
                        &at,
                        "no `span` or `spanevent` condition",
                        "add `span: ['span.status.code == STATUS_CODE_ERROR']` or a `spanevent` condition",
                    );
                }
                PolicyKind::OttlCondition {
                    error_mode,
                    span: span_conditions?,
                    spanevent: event_conditions?,
                }
            }
            "and" => {
                let f = self.settings(settings, "and", &["and_sub_policy"]);
                PolicyKind::And(self.sub_policies(&f, "and_sub_policy", Level::AndSub))
            }
            "drop" => {
                let f = self.settings(settings, "drop", &["drop_sub_policy"]);
                PolicyKind::Drop(self.sub_policies(&f, "drop_sub_policy", Level::AndSub))
            }
            "not" => {
                let f = self.settings(settings, "not", &["not_sub_policy"]);
                let Some(sub) = f.get("not_sub_policy") else {
                    self.report(
                        &codes::COLLECTOR_MISSING_KEY,
                        format!("`not` policy `{name}` has no `not_sub_policy`"),
                        &(at.start..at.start),
                        "no `not_sub_policy`",
                        "add `not: {not_sub_policy: {name: ..., type: ...}}`",
                    );
                    return None;
                };
                PolicyKind::Not(Box::new(self.policy(sub, Level::NotSub)?))
            }
            "composite" => {
                let f = self.settings(
                    settings,
                    "composite",
                    &[
                        "max_total_spans_per_second",
                        "policy_order",
                        "composite_sub_policy",
                        "rate_allocation",
                    ],
                );
                self.int(&f, "max_total_spans_per_second", 64);
                self.strings(&f, "policy_order");
                if let Some(allocation) = f.get("rate_allocation") {
                    if let NodeValue::Sequence(items) = &allocation.value {
                        for item in items {
                            if let Some(entry) =
                                self.fields(item, "rate_allocation", &["policy", "percent"])
                            {
                                self.string(&entry, "policy");
                                self.int(&entry, "percent", 64);
                            }
                        }
                    }
                }
                PolicyKind::Composite(self.sub_policies(
                    &f,
                    "composite_sub_policy",
                    Level::CompositeSub,
                ))
            }
            _ => return None,
        })
    }

    fn sub_policies(&mut self, fields: &Fields<'_>, key: &str, level: Level) -> Vec<Policy> {
        match fields.get(key) {
            Some(list) => self.policy_list(list, key, level),
            None => Vec::new(),
        }
    }

    /// The OTTL conditions at `key`, parsed; `None` when one does not parse (reported
    /// with positions in the file).
    fn conditions(
        &mut self,
        fields: &Fields<'_>,
        key: &str,
        context: OttlContext,
    ) -> Option<Vec<Condition>> {
        let mut out = Vec::new();
        let mut ok = true;
        for (text, node) in self.strings(fields, key) {
            match Condition::parse(&text, context) {
                Ok(condition) => out.push(condition),
                Err(errors) => {
                    ok = false;
                    let Some(scalar) = scalar(node) else {
                        continue;
                    };
                    for error in errors {
                        let start = file_offset(self.context.embed, scalar, error.span.start);
                        let end = if error.span.end > error.span.start {
                            file_offset(self.context.embed, scalar, error.span.end - 1) + 1
                        } else {
                            start
                        };
                        self.context.diagnostics.push(
                            Diagnostic::new(
                                error.code,
                                error.message,
                                start..end.max(start),
                                "here",
                            )
                            .with_optional_help(error.help),
                        );
                    }
                }
            }
        }
        ok.then_some(out)
    }

    fn regex(&mut self, pattern: &str, node: &Node) -> Option<regex::Regex> {
        match super::compile_go_regex(pattern) {
            Ok(regex) => Some(regex),
            Err(why) => {
                self.report(
                    &codes::COLLECTOR_INVALID_REGEX,
                    format!("`{pattern}` is not a valid regular expression: {why}"),
                    &node.span,
                    "invalid regex",
                    "fix the pattern (Go RE2 syntax: no look-around, no backreferences)",
                );
                None
            }
        }
    }
}

/// `a`, `b` and `c`, each in backticks.
fn list(items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|item| format!("`{item}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// Whether `text` is a Go `time.ParseDuration` duration: an optional sign, then one or
/// more decimal numbers each with a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), or `0`.
fn is_go_duration(text: &str) -> bool {
    let rest = text.strip_prefix(['-', '+']).unwrap_or(text);
    if rest == "0" {
        return true;
    }
    if rest.is_empty() {
        return false;
    }
    let mut rest = rest;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..digits];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return false;
        }
        rest = &rest[digits..];
        let unit = ["ns", "us", "µs", "μs", "ms", "s", "m", "h"]
            .iter()
            .find(|unit| rest.starts_with(**unit));
        match unit {
            Some(unit) => rest = &rest[unit.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        for ok in ["30s", "1m30s", "500ms", "0", "1.5h", "-2s", "10µs"] {
            assert!(is_go_duration(ok), "{ok}");
        }
        for bad in ["", "30", "s", "1x", "1..2s", "abc"] {
            assert!(!is_go_duration(bad), "{bad}");
        }
    }

    #[test]
    fn substitutions_are_found_and_dollar_dollar_is_literal() {
        assert_eq!(substitution("${env:X}").map(|s| s.1), Some("${env:X}"));
        assert_eq!(substitution("a${X}b").map(|s| s.0), Some(1..5));
        assert_eq!(substitution("$${env:X}"), None);
        assert_eq!(substitution("cost $5"), None);
        assert_eq!(substitution("${unclosed").map(|s| s.1), Some("${unclosed"));
    }
}
