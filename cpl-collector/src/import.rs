//! A `tail_sampling` processor imported as the equivalent CPL policy
//! (spec/targets/otel-collector.md §5).
//!
//! Each policy becomes one CPL condition whose `when:` is exact at trace level: a
//! policy that asks "does some resource or span match" becomes `any(…)`, an
//! `invert_match` one `NOT any(…)`, and trace-level policies use `trace_duration` and
//! `span_count`. `drop` policies become drop rules (listed first, since a drop vetoes),
//! every other policy a keep rule, and `base_rate` is 0: the collector keeps exactly
//! the traces some policy votes for. A policy that is "some span matches" on its own
//! is a rule whose `when:` is that span expression, without `any`. Wall-clock policies
//! (`rate_limiting`, `bytes_limiting`, `composite`) cannot be imported (E530), nor can
//! OTTL outside the subset that has an exact CPL form (E531, [`ottl`]); the rest
//! still is. Where CPL and the collector differ only on attributes that are present
//! with no value, the import says so (W530); likewise for `error_mode: propagate`
//! (W531) and `IsMatch` on non-string attributes (W532).

mod ottl;

use cpl_syntax::{codes, Action, Condition, Diagnostic, Policy, StatusCode, When};

use crate::policy::{ErrorMode, Policy as TsPolicy, PolicyKind, Processor};

/// A policy's CPL form: a span expression (the policy samples when some span
/// satisfies it, `any(…)` where it is part of a larger expression) or a trace-level
/// expression. A rule matches a trace when some span satisfies its `when:`, so a
/// span expression is a rule's `when:` as it is, without `any`.
#[derive(Debug, Clone)]
enum Form {
    Span(String),
    Trace(String),
}

impl Form {
    /// The expression as a part of a trace-level expression.
    fn trace(&self) -> String {
        match self {
            Form::Span(text) => format!("any({text})"),
            Form::Trace(text) => text.clone(),
        }
    }

    /// The expression as a rule's `when:`.
    fn rule(self) -> String {
        match self {
            Form::Span(text) | Form::Trace(text) => text,
        }
    }
}

/// What importing one processor produced.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The CPL policy (every importable policy), `None` only if building it failed.
    pub policy: Option<Policy>,
    /// Its canonical CPL text.
    pub text: String,
    /// E530/E531 for the policies left out, W530 for approximations.
    pub diagnostics: Vec<Diagnostic>,
}

impl Imported {
    /// Whether every policy was imported exactly (no diagnostic at all).
    pub fn is_exact(&self) -> bool {
        self.diagnostics.is_empty()
    }
}

/// Imports `processor` into CPL.
pub fn import(processor: &Processor) -> Imported {
    let mut diagnostics = Vec::new();
    let mut drops = Vec::new();
    let mut keeps = Vec::new();
    for policy in &processor.policies {
        let mut tr = Translator {
            diagnostics: &mut diagnostics,
        };
        match &policy.kind {
            PolicyKind::Drop(subs) => {
                if let Some(when) = tr.all(subs) {
                    drops.push((policy.name.clone(), when.rule(), policy.span.clone()));
                }
            }
            _ => {
                if let Some(when) = tr.policy(policy) {
                    keeps.push((policy.name.clone(), when.rule(), policy.span.clone()));
                }
            }
        }
    }
    let mut built = Policy::new(0.0).ok();
    let rules = drops
        .into_iter()
        .map(|rule| (rule, Action::Drop))
        .chain(keeps.into_iter().map(|rule| (rule, Action::Keep)));
    for ((name, when, span), action) in rules {
        let condition = When::parse(&when)
            .map_err(|errors| {
                errors
                    .first()
                    .map_or_else(String::new, |error| error.message.clone())
            })
            .and_then(|when| {
                Condition::new(unique_name(built.as_ref(), &name), when)
                    .and_then(|c| match action {
                        Action::Drop => c.with_action(Action::Drop),
                        Action::Keep => c.with_rate(1.0),
                    })
                    .map_err(|error| error.to_string())
            });
        match condition {
            Ok(condition) => {
                built = built.and_then(|policy| policy.with_condition(condition).ok());
            }
            Err(message) => diagnostics.push(Diagnostic::new(
                &codes::NOT_IMPORTABLE,
                format!("policy `{name}` has no CPL form: {message}"),
                span,
                "not imported",
            )),
        }
    }
    let text = built
        .as_ref()
        .map_or_else(String::new, cpl_syntax::print_policy);
    Imported {
        policy: built,
        text,
        diagnostics,
    }
}

/// `name`, or `name-2`, `name-3`, … when the policy already has a condition so named
/// (the collector allows repeated names only across nesting levels, CPL not at all).
fn unique_name(policy: Option<&Policy>, name: &str) -> String {
    let base = if name.trim().is_empty() {
        "policy"
    } else {
        name
    };
    let taken = |candidate: &str| {
        policy.is_some_and(|p| {
            p.sampling
                .conditions
                .iter()
                .any(|c| c.name.value == candidate)
        })
    };
    if !taken(base) {
        return base.to_owned();
    }
    // A policy has finitely many conditions, so some suffix up to their count is free.
    let count = policy.map_or(0, |p| p.sampling.conditions.len());
    (2..=count + 2)
        .map(|n| format!("{base}-{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_default()
}

/// A CPL string literal with the value `value`.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A condition no trace meets: a trace has at least zero spans.
const NEVER: &str = "span_count < 0";

/// A condition every trace meets: at 100% every hash is at most the threshold.
const ALWAYS: &str = "fnv_sample(100, \"\")";

fn list(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| quote(v)).collect();
    format!("[{}]", items.join(", "))
}

struct Translator<'d> {
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Translator<'_> {
    fn approximate(&mut self, policy: &TsPolicy, why: &str) {
        self.approximate_with(policy, &codes::APPROXIMATE_IMPORT, why);
    }

    fn approximate_with(&mut self, policy: &TsPolicy, code: &'static cpl_syntax::Code, why: &str) {
        self.diagnostics.push(Diagnostic::new(
            code,
            format!("policy `{}` is imported approximately: {why}", policy.name),
            policy.span.clone(),
            "approximate",
        ));
    }

    fn refuse(&mut self, policy: &TsPolicy, code: &'static cpl_syntax::Code, why: &str) {
        self.diagnostics.push(
            Diagnostic::new(
                code,
                format!("policy `{}` cannot be imported: {why}", policy.name),
                policy.span.clone(),
                "not imported",
            )
            .with_help("keep this policy in the collector, or write its CPL condition by hand"),
        );
    }

    /// The AND of `subs`, each parenthesised; one sub-policy is itself.
    fn all(&mut self, subs: &[TsPolicy]) -> Option<Form> {
        let mut parts = Vec::new();
        for sub in subs {
            parts.push(self.policy(sub)?);
        }
        match parts.len() {
            // An empty `and` samples every trace.
            0 => Some(Form::Trace(ALWAYS.to_owned())),
            1 => parts.pop(),
            _ => Some(Form::Trace(
                parts
                    .iter()
                    .map(|part| format!("({})", part.trace()))
                    .collect::<Vec<_>>()
                    .join(" AND "),
            )),
        }
    }

    /// One policy as a trace-level CPL expression, `None` (with a diagnostic) when it
    /// has none.
    fn policy(&mut self, policy: &TsPolicy) -> Option<Form> {
        Some(match &policy.kind {
            PolicyKind::AlwaysSample => Form::Trace(ALWAYS.to_owned()),
            PolicyKind::Latency {
                threshold_ms,
                upper_threshold_ms,
            } => {
                let lower = format!("trace_duration >= {}ms", i128::from(*threshold_ms) + 1);
                if *upper_threshold_ms == 0 {
                    Form::Trace(lower)
                } else {
                    self.approximate(
                        policy,
                        "with `upper_threshold_ms` the collector also samples a trace some prefix of \
                         whose spans (in arrival order) is in range; CPL reads the whole trace",
                    );
                    Form::Trace(format!(
                        "{lower} AND trace_duration < {}ms",
                        i128::from(*upper_threshold_ms) + 1
                    ))
                }
            }
            PolicyKind::NumericAttribute {
                key,
                min,
                max,
                invert_match,
            } => {
                let zero = *min <= 0 && 0 <= *max;
                if zero {
                    self.approximate(
                        policy,
                        "an attribute present with no value reads as 0 in the collector, and as \
                         missing in CPL",
                    );
                }
                let one = |field: String| {
                    let mut tests = vec![format!("{field} is int")];
                    if *min != i64::MIN {
                        tests.push(format!("{field} >= {min}"));
                    }
                    if *max != i64::MAX {
                        tests.push(format!("{field} <= {max}"));
                    }
                    let mut text = tests.join(" AND ");
                    if zero {
                        text = format!("{text} OR {field} is not int");
                    }
                    text
                };
                exists_form(
                    &one(format!("attributes[{}]", quote(key))),
                    &one(format!("resource[{}]", quote(key))),
                    *invert_match,
                )
            }
            PolicyKind::Probabilistic {
                sampling_percentage,
                hash_salt,
                ..
            } => Form::Trace(format!(
                "fnv_sample({sampling_percentage}, {})",
                quote(hash_salt)
            )),
            PolicyKind::StatusCode { codes } => {
                if codes.is_empty() {
                    return Some(Form::Trace(NEVER.to_owned()));
                }
                let tests: Vec<String> = codes
                    .iter()
                    .map(|code| format!("status == {}", StatusCode::CONSTANTS[*code as usize]))
                    .collect();
                Form::Span(tests.join(" OR "))
            }
            PolicyKind::StringAttribute {
                key,
                values,
                regexes,
                invert_match,
            } => self.string_attribute(policy, key, values, regexes.as_deref(), *invert_match),
            PolicyKind::SpanCount {
                min_spans,
                max_spans,
            } => Form::Trace(if *max_spans == 0 {
                format!("span_count >= {min_spans}")
            } else {
                format!("span_count >= {min_spans} AND span_count <= {max_spans}")
            }),
            PolicyKind::TraceState { key, values } => {
                if values.is_empty() {
                    return Some(Form::Trace(NEVER.to_owned()));
                }
                Form::Span(format!("trace_state[{}] in {}", quote(key), list(values)))
            }
            PolicyKind::TraceFlags => Form::Span("sampled == true".to_owned()),
            PolicyKind::BooleanAttribute {
                key,
                value,
                invert_match,
            } => {
                let one = |field: String| {
                    if *value {
                        format!("{field} == true")
                    } else {
                        format!("{field} == false OR {field} is not bool")
                    }
                };
                if !*value {
                    self.approximate(
                        policy,
                        "an attribute present with no value reads as false in the collector, and \
                         as missing in CPL",
                    );
                }
                exists_form(
                    &one(format!("attributes[{}]", quote(key))),
                    &one(format!("resource[{}]", quote(key))),
                    *invert_match,
                )
            }
            PolicyKind::OttlCondition {
                error_mode,
                span,
                spanevent,
            } => return self.ottl(policy, *error_mode, span, spanevent),
            PolicyKind::And(subs) => self.all(subs)?,
            PolicyKind::Not(sub) => Form::Trace(format!("NOT ({})", self.policy(sub)?.trace())),
            PolicyKind::Drop(subs) => {
                // A nested `drop` votes `Dropped`, which an enclosing `and`/`not` does not
                // treat as sampled.
                let _ = subs;
                self.refuse(
                    policy,
                    &codes::NOT_IMPORTABLE,
                    "a `drop` inside another policy has no CPL form",
                );
                return None;
            }
            PolicyKind::RateLimiting { .. }
            | PolicyKind::BytesLimiting { .. }
            | PolicyKind::Composite(_) => {
                self.refuse(
                    policy,
                    &codes::NOT_IMPORTABLE,
                    &format!(
                        "`{}` decides by wall-clock time and arrival order, which a policy over \
                         trace content cannot express",
                        policy.type_name()
                    ),
                );
                return None;
            }
        })
    }

    /// An `ottl_condition` policy: "some span satisfies some `span` condition"
    /// (spec §5.1). `spanevent` conditions read span events, which CPL does not have.
    fn ottl(
        &mut self,
        policy: &TsPolicy,
        error_mode: ErrorMode,
        span: &[crate::ottl::Condition],
        spanevent: &[crate::ottl::Condition],
    ) -> Option<Form> {
        if !spanevent.is_empty() {
            self.refuse(
                policy,
                &codes::OTTL_NOT_IMPORTED,
                "`spanevent` conditions read span events, which CPL has no field for",
            );
            return None;
        }
        let mut translation = ottl::Translation::default();
        let mut parts = Vec::new();
        for (index, condition) in span.iter().enumerate() {
            match translation.condition(condition.expr()) {
                Ok(part) => parts.push(part),
                Err(ottl::Refusal(what)) => {
                    self.refuse(
                        policy,
                        &codes::OTTL_NOT_IMPORTED,
                        &format!(
                            "`span[{index}]` (`{}`) uses {what}, which has no exact CPL form",
                            condition.text()
                        ),
                    );
                    return None;
                }
            }
        }
        for (code, why) in &translation.approximations {
            self.approximate_with(policy, code, why);
        }
        if translation.may_fail && error_mode == ErrorMode::Propagate {
            self.approximate_with(
                policy,
                &codes::APPROXIMATE_ERROR_MODE,
                "a condition can fail at run time, and with `error_mode: propagate` the first \
                 failure (in span order) ends the policy even if a later span matches; CPL \
                 reads a failure as false, as `ignore` does",
            );
        }
        Some(Form::Span(ottl::Cpl::or(parts).text()))
    }

    fn string_attribute(
        &mut self,
        policy: &TsPolicy,
        key: &str,
        values: &[String],
        regexes: Option<&[regex::Regex]>,
        invert_match: bool,
    ) -> Form {
        let span = format!("attributes[{}]", quote(key));
        let resource = format!("resource[{}]", quote(key));
        let Some(regexes) = regexes else {
            if values.is_empty() {
                return Form::Trace(if invert_match { ALWAYS } else { NEVER }.to_owned());
            }
            let one = |field: &str| format!("{field} is string AND {field} in {}", list(values));
            return exists_form(&one(&span), &one(&resource), invert_match);
        };
        if regexes.is_empty() {
            return Form::Trace(if invert_match { ALWAYS } else { NEVER }.to_owned());
        }
        let matches_empty = regexes.iter().any(|r| r.is_match(""));
        let any_of = |field: &str| {
            let tests: Vec<String> = regexes
                .iter()
                .map(|r| format!("{field} matches {}", quote(r.as_str())))
                .collect();
            format!("({})", tests.join(" OR "))
        };
        let mut on_span = format!("{span} is string AND {}", any_of(&span));
        let mut on_resource = format!("{resource} is string AND {}", any_of(&resource));
        if matches_empty {
            on_span = format!("{span} is string AND {span} != \"\" AND {}", any_of(&span));
            on_resource = format!("{on_resource} OR {resource} is not string");
            self.approximate(
                policy,
                "a pattern matches the empty string, and a resource attribute present with no \
                 value reads as \"\" in the collector, and as missing in CPL",
            );
        }
        exists_form(&on_span, &on_resource, invert_match)
    }
}

/// "Some span or some resource matches", or its negation.
fn exists_form(on_span: &str, on_resource: &str, invert: bool) -> Form {
    let some = Form::Span(format!("({on_span}) OR ({on_resource})"));
    if invert {
        Form::Trace(format!("NOT {}", some.trace()))
    } else {
        some
    }
}
