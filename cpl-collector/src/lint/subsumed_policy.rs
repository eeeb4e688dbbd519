//! ## L405 subsumed-policy (warning)
//!
//! **What it finds.** A keep policy whose sampled traces another keep policy samples too, or a `drop`
//! policy whose dropped traces another `drop` policy drops too. When two policies
//! cover each other, the later one is reported.
//!
//! Containment is decided on the imported CPL conditions (`cpl import`) of the
//! policies imported exactly, and only where it is proven: an always-sampling policy
//! (`always_sample`) contains every policy; `any(P)` is contained in `any(Q)` when the
//! logic engine proves that `P` implies `Q`; an `and` in a policy when one of its parts
//! is; `latency` and `span_count` ranges by their bounds; `probabilistic` at p% in one
//! at q% with the same salt when p ≤ q. Processors with more than 200 policies are not
//! searched.
//!
//! **Why it matters.** The collector keeps a trace when no `drop` policy vetoes it and some other policy
//! samples it: an OR of votes, not a first match. A policy covered by another of its
//! kind never changes which traces are kept (only which policy the `recordpolicy`
//! feature gate names), so it is dead weight, or a sign that the other policy is
//! broader than meant.
//!
//! **Example.**
//!
//! ```yaml
//! policies:
//!   - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
//!   - {name: errors-and-unset, type: status_code, status_code: {status_codes: [ERROR, UNSET]}}
//! ```
//!
//! `errors` samples nothing that `errors-and-unset` does not: remove one of them.

use cpl_syntax::{codes, Diagnostic};

use super::trace_logic::TraceLogic;
use super::Context;
use crate::policy::PolicyKind;

/// Above this many policies in a processor, the pairwise searches of L405 and L406
/// are skipped (they are quadratic).
pub(super) const PAIRWISE_LIMIT: usize = 200;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let policies = &context.processor.policies;
    if policies.len() > PAIRWISE_LIMIT {
        return;
    }
    let logic = TraceLogic::new();
    let exprs: Vec<Option<&cpl_syntax::Expr>> = context
        .exact
        .iter()
        .zip(policies)
        .map(|(condition, policy)| {
            condition
                .as_ref()
                .map(|c| &c.when.expr)
                .filter(|expr| super::never_samples::never(policy).is_none() && !logic.never(expr))
        })
        .collect();
    let is_drop: Vec<bool> = policies
        .iter()
        .map(|p| matches!(p.kind, PolicyKind::Drop(_)))
        .collect();
    for (i, policy) in policies.iter().enumerate() {
        let Some(a) = exprs[i] else { continue };
        let cover = (0..policies.len()).find(|&j| {
            j != i
                && is_drop[j] == is_drop[i]
                && exprs[j]
                    .is_some_and(|b| logic.contained(a, b) && !(i < j && logic.contained(b, a)))
        });
        let Some(j) = cover else { continue };
        let other = &policies[j];
        let (verb, kind) = if is_drop[i] {
            ("dropped", "`drop` policy")
        } else {
            ("kept", "policy")
        };
        out.push(
            Diagnostic::new(
                &codes::SUBSUMED_POLICY,
                format!(
                    "{kind} `{}` never changes which traces are {verb}: `{}` covers every trace it matches",
                    policy.name, other.name
                ),
                policy.span.clone(),
                "covered by another policy",
            )
            .with_secondary(other.span.clone(), format!("covers `{}`", policy.name))
            .with_help(format!(
                "remove `{}`, or narrow `{}` if both are meant",
                policy.name, other.name
            )),
        );
    }
}
