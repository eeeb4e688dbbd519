//! ## L351 clarvynn-unsupported (error, `--target clarvynn`)
//!
//! **What it finds.** Every construct clarvynn 0.3.1 cannot parse or does not know:
//! dotted names (`http.route`), resource attributes (`resource.service.name`), quoted
//! keys (`attributes["x"]`), fields other than its six (`status_code`, `duration_ms`,
//! `duration`, `method`, `path`, `user_id`; so not `kind`, `status`, `error`, `name`,
//! `service`, …), the operators `in`, `not in`, `starts_with`, `ends_with`, `matches`
//! and `exists`, duration literals (`1.5s`), raw strings (`r'x'`), booleans and
//! constants, and the mirrored form `500 <= status_code`; and the constructs CPL has for
//! the OpenTelemetry Collector: `any(…)` and `fnv_sample(…)` (reported once, at the
//! keyword, and nothing inside them again), type tests (`x is int`), `trace_state["k"]`,
//! `sampled`, `trace_duration` and `span_count`. Lower-case keywords and
//! case-insensitive field names are fine in clarvynn and not reported.
//!
//! **Why it matters.** clarvynn never parses `when` at validation time: such a policy
//! passes `clarvynn validate`, and at run time the condition raises an error that makes
//! it silently false (spec/compatibility.md, sections 3–5). A team still on clarvynn
//! would lose exactly the traces the rule was written for.
//!
//! **Example.**
//!
//! ```yaml
//! version: 1
//! service: {name: checkout}
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: payments
//!       when: "http.route starts_with '/pay'"   # L351 twice: dotted name, starts_with
//! ```

use cpl_syntax::ast::{ExprKind, StringOp, Value};
use cpl_syntax::{codes, Diagnostic, Span, When};

use super::{at, clarvynn_field, operator_span, predicates, written, yaml_text, Context, Test};
use cpl_syntax::ast::FieldKind;

const KNOWN: &str =
    "clarvynn knows only `status_code`, `duration_ms`, `duration`, `method`, `path` and `user_id`";

/// Reports `any(…)`, `fnv_sample(…)` and type tests; returns the spans of the first
/// two, whose insides are not reported again.
fn collector_constructs(when: &When, out: &mut Vec<Diagnostic>) -> Vec<Span> {
    let mut wholes: Vec<Span> = Vec::new();
    when.expr.walk(&mut |node| {
        if wholes
            .iter()
            .any(|outer| outer.start <= node.span.start && node.span.end <= outer.end)
        {
            return;
        }
        let keyword =
            |len: usize| Span::new(node.span.start as usize, node.span.start as usize + len);
        let (span, message, help) = match &node.kind {
            ExprKind::Any(_) => {
                wholes.push(node.span);
                (
                    keyword(3),
                    "clarvynn 0.3.1 has no trace-level `any(…)`; it decides each span on its own",
                    "clarvynn cannot express it; keep this policy off `--target clarvynn`",
                )
            }
            ExprKind::FnvSample { .. } => {
                wholes.push(node.span);
                (
                    keyword(10),
                    "clarvynn 0.3.1 has no `fnv_sample`",
                    "use `rate:` for a share of the matches, consistent by trace id",
                )
            }
            ExprKind::TypeTest { .. } => (
                node.span,
                "clarvynn 0.3.1 has no `is` type tests",
                "compare the value with a literal instead",
            ),
            _ => return,
        };
        out.push(
            Diagnostic::new(
                &codes::CLARVYNN_UNSUPPORTED,
                message,
                at(when, span),
                "not in clarvynn",
            )
            .with_help(help),
        );
    });
    wholes
}

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let when = &entry.condition.when;
        let wholes = collector_constructs(when, out);
        for predicate in predicates(&when.expr) {
            let inside = |outer: &Span| {
                outer.start <= predicate.node.span.start && predicate.node.span.end <= outer.end
            };
            if wholes.iter().any(inside) {
                continue;
            }
            let field = &predicate.field.kind;
            let text = written(when, predicate.field.span);
            if !clarvynn_field(field) {
                let reason = match field {
                    FieldKind::TraceState(_) => "clarvynn cannot read the trace state".to_owned(),
                    _ if text.contains('[') => "clarvynn has no quoted keys".to_owned(),
                    FieldKind::ResourceAttribute(_) => "clarvynn cannot read resource attributes".to_owned(),
                    FieldKind::SpanAttribute(key) if key.contains('.') => "clarvynn cannot parse dotted names".to_owned(),
                    FieldKind::SpanAttribute(_) => "its engine fails the condition with \"Unknown attribute\" at run time".to_owned(),
                    FieldKind::Builtin(_) => format!("`{field}` is a CPL field; clarvynn fails the condition with \"Unknown attribute\""),
                };
                out.push(
                    Diagnostic::new(
                        &codes::CLARVYNN_UNSUPPORTED,
                        format!("clarvynn 0.3.1 cannot read `{text}`: {reason}"),
                        at(when, predicate.field.span),
                        "not in clarvynn",
                    )
                    .with_help(KNOWN),
                );
                continue;
            }
            let operator = match predicate.test {
                Test::In(negated, _) => Some((
                    if negated { "not in" } else { "in" },
                    "write the alternatives out: `f == a OR f == b`",
                )),
                Test::String(StringOp::StartsWith, ..) => {
                    Some(("starts_with", "`contains` is the closest test clarvynn has"))
                }
                Test::String(StringOp::EndsWith, ..) => {
                    Some(("ends_with", "`contains` is the closest test clarvynn has"))
                }
                Test::String(StringOp::Matches, ..) => Some((
                    "matches",
                    "clarvynn has no regular expressions; use `contains`",
                )),
                Test::Exists => Some((
                    "exists",
                    "clarvynn cannot test for presence; it reads a missing value as 0 or \"\"",
                )),
                _ => None,
            };
            if let Some((name, help)) = operator {
                out.push(
                    Diagnostic::new(
                        &codes::CLARVYNN_UNSUPPORTED,
                        format!("clarvynn 0.3.1 has no `{name}` operator"),
                        operator_span(when, &predicate),
                        "not in clarvynn",
                    )
                    .with_help(help),
                );
                continue;
            }
            if let Some(literal) = predicate.literals().first() {
                if literal.span.start < predicate.field.span.start {
                    out.push(
                        Diagnostic::new(
                            &codes::CLARVYNN_UNSUPPORTED,
                            "clarvynn 0.3.1 needs the field on the left of a comparison",
                            at(when, predicate.node.span),
                            "literal first",
                        )
                        .with_help(format!("write `{}`", predicate.node)),
                    );
                    continue;
                }
                let problem = match &literal.value {
                    Value::Duration(nanos, _) => {
                        #[allow(clippy::cast_precision_loss)]
                        let millis = *nanos as f64 / 1e6;
                        Some((
                            "clarvynn 0.3.1 has no duration literals",
                            format!("write the number of milliseconds: `{millis}`"),
                        ))
                    }
                    Value::Bool(_) | Value::Name(_) => Some((
                        "clarvynn 0.3.1 has no boolean or constant literals",
                        "compare with a number or a quoted string".to_owned(),
                    )),
                    Value::String(text) if written(when, literal.span).starts_with('r') => Some((
                        "clarvynn 0.3.1 has no raw strings",
                        format!(
                            "write an ordinary string: `{}`",
                            yaml_text(when.style, &escaped(text))
                        ),
                    )),
                    _ => None,
                };
                if let Some((message, help)) = problem {
                    out.push(
                        Diagnostic::new(
                            &codes::CLARVYNN_UNSUPPORTED,
                            message,
                            at(when, literal.span),
                            "not in clarvynn",
                        )
                        .with_help(help),
                    );
                }
            }
        }
    }
}

/// `text` as an ordinary string (never raw), in single quotes unless it holds one.
fn escaped(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        if c == '\\' || c == quote {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(quote);
    out
}
