//! ## L403 latency-upper-bound (warning)
//!
//! **What it finds.** A `latency` policy, at any depth, with an `upper_threshold_ms` other than 0.
//!
//! **Why it matters.** With an upper bound the collector checks the bounds while it walks the spans in
//! arrival order, on the duration from the earliest start to the latest end *so far*,
//! and samples the trace as soon as some prefix is in range (issue #43948, probe (b) of
//! the conformance suite). A trace whose first span lasts 200 ms and whose second lasts
//! 2 s is kept by `threshold_ms: 100, upper_threshold_ms: 500` when the short span
//! arrives first, and not when it arrives second: the decision depends on the order of
//! the spans, which replays and reruns cannot promise.
//!
//! **Example.**
//!
//! ```yaml
//! policies:
//!   - {name: medium, type: latency, latency: {threshold_ms: 100, upper_threshold_ms: 500}}
//! ```
//!
//! The same range without the quirk: an `and` of `latency {threshold_ms: 100}` and a
//! `not` of `latency {threshold_ms: 500}` (a bound without upper threshold reads the
//! whole trace):
//!
//! ```yaml
//! policies:
//!   - name: medium
//!     type: and
//!     and:
//!       and_sub_policy:
//!         - {name: over-100ms, type: latency, latency: {threshold_ms: 100}}
//!         - name: not-over-500ms
//!           type: not
//!           not:
//!             not_sub_policy: {name: over-500ms, type: latency, latency: {threshold_ms: 500}}
//! ```

use cpl_syntax::{codes, Diagnostic};

use super::Context;
use crate::policy::PolicyKind;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for policy in context.all_policies() {
        let PolicyKind::Latency {
            threshold_ms,
            upper_threshold_ms,
        } = &policy.kind
        else {
            continue;
        };
        if *upper_threshold_ms == 0 {
            continue;
        }
        let span = context.setting_span(policy, &["latency", "upper_threshold_ms"]);
        out.push(
            Diagnostic::new(
                &codes::LATENCY_UPPER_BOUND,
                format!(
                    "policy `{}` with `upper_threshold_ms` samples a trace when some prefix of its spans, in arrival order, lasts {threshold_ms}–{upper_threshold_ms} ms",
                    policy.name
                ),
                span,
                "decision depends on span order",
            )
            .with_help(format!(
                "write an `and` of `latency {{threshold_ms: {threshold_ms}}}` and a `not` of `latency {{threshold_ms: {upper_threshold_ms}}}`, which read the whole trace"
            )),
        );
    }
}
