//! ## L404 probabilistic-with-thresholds (warning)
//!
//! **What it finds.** A `probabilistic` policy, at any depth, in a config that shows that traces carry
//! OTEP 235 sampling thresholds (`th`, with the randomness `rv`, in the `ot` entry of
//! the W3C trace state):
//!
//! - another policy of the same processor reads them: a `trace_state` policy with key
//!   `ot` and a value containing `th:` or `rv:`, or an `ottl_condition` that mentions
//!   `trace_state["ot"]`; or
//! - the collector config (the file itself, with `processors:` at the top) has a
//!   `probabilistic_sampler` processor with `mode: proportional` or
//!   `mode: equalizing`, the modes that write `th`.
//!
//! **Why it matters.** v0.161.0's `probabilistic` hashes the salt and trace id with FNV-1a and ignores the
//! thresholds (the `usetracestate` feature gate, alpha and off by default, makes it
//! read them instead). Behind an upstream sampler that already kept 10% and wrote
//! `th`, a 20% `probabilistic` keeps 2% of the traffic, with a hash unrelated to the
//! upstream one, and the `th` the traces carry no longer says how many traces each
//! stands for. Turning the feature gate on changes which traces are kept.
//!
//! **Example.**
//!
//! ```yaml
//! processors:
//!   probabilistic_sampler: {mode: proportional, sampling_percentage: 10}
//!   tail_sampling:
//!     policies:
//!       - {name: some, type: probabilistic, probabilistic: {sampling_percentage: 20}}
//! ```
//!
//! Decide where traces are sampled by probability: upstream, with thresholds, or here,
//! not both.

use cpl_syntax::yaml::{self, NodeValue};
use cpl_syntax::{codes, Diagnostic};

use super::Context;
use crate::config::Shape;
use crate::policy::{Policy, PolicyKind};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let policies = context.all_policies();
    let probabilistic: Vec<&&Policy> = policies
        .iter()
        .filter(|p| matches!(p.kind, PolicyKind::Probabilistic { .. }))
        .collect();
    if probabilistic.is_empty() {
        return;
    }
    let Some(evidence) = policies
        .iter()
        .find_map(|p| reads_thresholds(p))
        .or_else(|| upstream_sampler(context))
    else {
        return;
    };
    for policy in probabilistic {
        let span = context.setting_span(policy, &["probabilistic", "sampling_percentage"]);
        out.push(
            Diagnostic::new(
                &codes::PROBABILISTIC_WITH_THRESHOLDS,
                format!(
                    "policy `{}` ignores the OTEP 235 thresholds the traces carry ({evidence})",
                    policy.name
                ),
                span,
                "FNV hash of the trace id, not `th`",
            )
            .with_help(
                "sample by probability in one place: upstream with thresholds, or in this policy",
            ),
        );
    }
}

/// Why `policy` shows that traces carry thresholds, if it does.
fn reads_thresholds(policy: &Policy) -> Option<String> {
    match &policy.kind {
        PolicyKind::TraceState { key, values }
            if key == "ot"
                && values
                    .iter()
                    .any(|v| v.contains("th:") || v.contains("rv:")) =>
        {
            Some(format!("policy `{}` reads `ot` thresholds", policy.name))
        }
        PolicyKind::OttlCondition {
            span, spanevent, ..
        } if span
            .iter()
            .chain(spanevent)
            .any(|c| c.text().replace(' ', "").contains("trace_state[\"ot\"]")) =>
        {
            Some(format!(
                "policy `{}` reads `trace_state[\"ot\"]`",
                policy.name
            ))
        }
        _ => None,
    }
}

/// A `probabilistic_sampler` processor of the file that writes thresholds.
fn upstream_sampler(context: &Context<'_>) -> Option<String> {
    if context.shape != Shape::Collector {
        return None;
    }
    let (root, _) = yaml::parse(context.source);
    let root = root?;
    let entries = crate::config::merged_entries(&root)?;
    let (_, processors) = entries
        .iter()
        .find(|(k, _)| crate::config::key_text(k) == Some("processors"))?;
    for (key, value) in crate::config::merged_entries(processors)? {
        let Some(id) = crate::config::key_text(key) else {
            continue;
        };
        if id != "probabilistic_sampler" && !id.starts_with("probabilistic_sampler/") {
            continue;
        }
        let mode = crate::config::merged_entries(value)
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| crate::config::key_text(k) == Some("mode"))
            .and_then(|(_, v)| match &v.value {
                NodeValue::Scalar(s) => Some(s.text.clone()),
                _ => None,
            });
        if let Some(mode) = mode.filter(|m| m == "proportional" || m == "equalizing") {
            return Some(format!("processor `{id}` writes them in `{mode}` mode"));
        }
    }
    None
}
