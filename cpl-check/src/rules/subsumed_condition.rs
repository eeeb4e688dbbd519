//! ## L333 subsumed-condition (warning)
//!
//! **What it finds.** An enabled condition that never decides anything because the
//! enabled conditions before it, together, match every span it matches:
//! `status_code >= 500` after `status_code >= 400`; `path == '/api/pay' AND method ==
//! 'POST'` after `path starts_with '/api'`; `status_code == 503` after
//! `status_code >= 500 OR status_code == 429`. Decided by the logic engine, in decision order, for the policy's
//! list and for each tenant's merged list (a finding is reported once). The earlier
//! conditions that cover it are marked.
//!
//! **Why it matters.** The first matching condition decides (spec/sampling.md), so a
//! covered condition's `rate` and `action` never apply. Usually the order is wrong
//! (the specific rule was meant to come first, with its own rate) or the rule is dead
//! weight that reviewers still read as policy.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: errors
//!       when: "status_code >= 400"
//!     - name: payment_errors          # L333: `errors` decides every span first
//!       when: "status_code >= 500 AND path starts_with '/pay'"
//!       rate: 1
//! ```

use std::collections::HashSet;

use cpl_syntax::{codes, Condition, Diagnostic};

use super::{at, families, Context};
use crate::logic::{Formula, Satisfiability, Verdict};

/// At most this many earlier conditions are considered for one condition.
const MAX_EARLIER: usize = 64;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut reported: HashSet<usize> = HashSet::new();
    for (tenant, list) in context.decision_lists() {
        let enabled = context.enabled_formulas(&list);
        if enabled.len() > 2000 {
            continue;
        }
        let fams: Vec<HashSet<String>> = enabled.iter().map(|(_, f)| families(f)).collect();
        for (i, (condition, formula)) in enabled.iter().enumerate() {
            let key = std::ptr::from_ref::<Condition>(condition) as usize;
            if i == 0 || reported.contains(&key) {
                continue;
            }
            let earlier: Vec<usize> = (0..i)
                .rev()
                .filter(|&j| fams[j].is_empty() || !fams[j].is_disjoint(&fams[i]))
                .take(MAX_EARLIER)
                .collect();
            if earlier.is_empty()
                || !matches!(context.engine.satisfiable(formula), Satisfiability::Yes(_))
            {
                continue;
            }
            let union = Formula::or(earlier.iter().map(|&j| enabled[j].1.clone()));
            if context.engine.implies(formula, &union) != Verdict::Yes {
                continue;
            }
            // The covering conditions: one that covers alone, else those that overlap.
            let mut covering: Vec<usize> = earlier
                .iter()
                .copied()
                .filter(|&j| context.engine.implies(formula, enabled[j].1) == Verdict::Yes)
                .take(1)
                .collect();
            if covering.is_empty() {
                covering = earlier
                    .iter()
                    .copied()
                    .filter(|&j| {
                        !matches!(
                            context.engine.satisfiable(&Formula::and([
                                (*formula).clone(),
                                enabled[j].1.clone()
                            ])),
                            Satisfiability::No
                        )
                    })
                    .collect();
            }
            covering.sort_unstable();
            let names: Vec<String> = covering
                .iter()
                .map(|&j| format!("`{}`", enabled[j].0.name.value))
                .collect();
            let whose = tenant.map_or_else(String::new, |t| format!("for tenant `{t}`, "));
            let when = &condition.when;
            let mut diagnostic = Diagnostic::new(
                &codes::SUBSUMED_CONDITION,
                format!(
                    "{whose}condition `{}` never decides: every span it matches is matched earlier by {}",
                    condition.name.value,
                    names.join(", ")
                ),
                at(when, when.expr.span),
                "never decides",
            )
            .with_help(format!(
                "remove `{}`, or move it above {} if its own rate or action should apply",
                condition.name.value,
                names.join(", ")
            ));
            for &j in &covering {
                let earlier_when = &enabled[j].0.when;
                diagnostic = diagnostic
                    .with_secondary(at(earlier_when, earlier_when.expr.span), "matches first");
            }
            reported.insert(key);
            out.push(diagnostic);
        }
    }
}
