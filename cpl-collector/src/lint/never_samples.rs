//! ## L406 never-samples (warning)
//!
//! **What it finds.** A `tail_sampling` policy that never votes `Sampled` (a `drop` policy: never
//! `Dropped`), or a keep policy whose every sampled trace a `drop` policy vetoes:
//!
//! - `string_attribute` without `invert_match` whose `values` are all empty (the
//!   collector drops `""` from the list), `trace_state` whose values are all dropped;
//! - `latency` with an `upper_threshold_ms` other than 0 and at most `threshold_ms`;
//!   `span_count` with a `max_spans` other than 0 below `min_spans` (or below 1);
//! - an `and` or `drop` with such a part, a `not` of a policy that samples every trace
//!   (`always_sample`, `string_attribute` with `invert_match` and no values, an empty
//!   `and`);
//! - a policy imported exactly whose CPL condition the logic engine proves
//!   unsatisfiable (an `and` of `status_code [ERROR]` and the `invert_match` of the
//!   same test on spans, say);
//! - a keep policy whose imported condition is contained in a `drop` policy's (as for
//!   L405): every trace it samples is dropped.
//!
//! `probabilistic` at 0% is not reported: it samples the traces whose hash is 0.
//!
//! **Why it matters.** The collector starts with such a policy and it does nothing, which is rarely what
//! its author meant: a value lost to YAML (`values: [""]`), bounds written the wrong
//! way round, a veto broader than intended.
//!
//! **Example.**
//!
//! ```yaml
//! policies:
//!   - name: nothing
//!     type: and
//!     and:
//!       and_sub_policy:
//!         - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
//!         - {name: empty, type: string_attribute, string_attribute: {key: route, values: [""]}}
//! ```
//!
//! Fix the part that cannot hold, or remove the policy.

use std::ops::Range;

use cpl_syntax::{codes, Diagnostic};

use super::trace_logic::TraceLogic;
use super::Context;
use crate::policy::{Policy, PolicyKind};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let logic = TraceLogic::new();
    let policies = &context.processor.policies;
    for (i, policy) in policies.iter().enumerate() {
        let is_drop = matches!(policy.kind, PolicyKind::Drop(_));
        let what = if is_drop { "drops" } else { "samples" };
        if let Some((reason, span)) = never(policy) {
            out.push(
                Diagnostic::new(
                    &codes::NEVER_SAMPLES,
                    format!("policy `{}` never {what} a trace: {reason}", policy.name),
                    span,
                    "never holds",
                )
                .with_help("fix the part that cannot hold, or remove the policy"),
            );
            continue;
        }
        let Some(condition) = &context.exact[i] else {
            continue;
        };
        let expr = &condition.when.expr;
        if logic.never(expr) {
            out.push(
                Diagnostic::new(
                    &codes::NEVER_SAMPLES,
                    format!(
                        "policy `{}` never {what} a trace: no trace satisfies its condition `{expr}`",
                        policy.name
                    ),
                    policy.span.clone(),
                    "never holds",
                )
                .with_help("fix the part that cannot hold, or remove the policy"),
            );
            continue;
        }
        if is_drop || policies.len() > super::subsumed_policy::PAIRWISE_LIMIT {
            continue;
        }
        let veto = policies.iter().enumerate().find(|(j, other)| {
            matches!(other.kind, PolicyKind::Drop(_))
                && never(other).is_none()
                && context.exact[*j]
                    .as_ref()
                    .is_some_and(|d| logic.contained(expr, &d.when.expr))
        });
        if let Some((_, drop)) = veto {
            out.push(
                Diagnostic::new(
                    &codes::NEVER_SAMPLES,
                    format!(
                        "policy `{}` never keeps a trace: `drop` policy `{}` vetoes every trace it samples",
                        policy.name, drop.name
                    ),
                    policy.span.clone(),
                    "every trace it samples is dropped",
                )
                .with_secondary(drop.span.clone(), "drops them")
                .with_help(format!(
                    "narrow `drop` policy `{}`, or remove policy `{}`",
                    drop.name, policy.name
                )),
            );
        }
    }
}

/// Why `policy` never votes `Sampled` (`Dropped` for a `drop`), and where, decided on
/// the typed config.
pub(super) fn never(policy: &Policy) -> Option<(String, Range<usize>)> {
    let here = |reason: String| Some((reason, policy.span.clone()));
    match &policy.kind {
        PolicyKind::StringAttribute {
            values,
            invert_match: false,
            ..
        } if values.is_empty() => here(
            "its `values` are all empty, and the collector ignores empty values".to_owned(),
        ),
        PolicyKind::TraceState { values, .. } if values.is_empty() => here(
            "its `values` are all empty or too long, and the collector ignores those".to_owned(),
        ),
        PolicyKind::Latency {
            threshold_ms,
            upper_threshold_ms,
        } if *upper_threshold_ms != 0 && upper_threshold_ms <= threshold_ms => here(format!(
            "no duration is above `threshold_ms` {threshold_ms} and at most `upper_threshold_ms` {upper_threshold_ms}"
        )),
        PolicyKind::SpanCount {
            min_spans,
            max_spans,
        } if *max_spans != 0 && (max_spans < min_spans || *max_spans < 1) => here(format!(
            "no trace has at least {min_spans} and at most {max_spans} spans"
        )),
        PolicyKind::And(subs) | PolicyKind::Drop(subs) => subs.iter().find_map(|sub| {
            never(sub).map(|(reason, span)| {
                (format!("its part `{}` never holds: {reason}", sub.name), span)
            })
        }),
        PolicyKind::Not(sub) if always(sub) => here(format!(
            "it negates `{}`, which samples every trace",
            sub.name
        )),
        _ => None,
    }
}

/// Whether `policy` samples every trace, decided on the typed config.
fn always(policy: &Policy) -> bool {
    match &policy.kind {
        PolicyKind::AlwaysSample => true,
        PolicyKind::StringAttribute {
            values,
            invert_match: true,
            ..
        } => values.is_empty(),
        PolicyKind::And(subs) => subs.iter().all(always),
        PolicyKind::Not(sub) => never(sub).is_some(),
        _ => false,
    }
}
