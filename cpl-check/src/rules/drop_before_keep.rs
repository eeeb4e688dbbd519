//! ## L334 drop-before-keep (warning)
//!
//! **What it finds.** An enabled `action: drop` condition placed before an enabled
//! `keep` condition (with a non-zero rate) such that one span matches both and no
//! earlier condition: that span is dropped although the later rule would keep it. The
//! help shows such a span, found by the logic engine, e.g. "a span with http.route:
//! "/health", status_code: 503 is dropped although `errors` would keep it". Checked
//! for the policy's list and each tenant's merged list, reported once.
//!
//! **Why it matters.** The first match decides. A health-check drop rule above the
//! error rule drops failing health checks, the ones worth seeing. Usually the keep rule
//! belongs first, or the drop rule should exclude what must be kept
//! (`http.route == '/health' AND status_code < 500`).
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: health_checks          # L334: drops failing health checks too
//!       when: "http.route == '/health'"
//!       action: drop
//!     - name: errors
//!       when: "status_code >= 500"
//! ```

use std::collections::HashSet;

use cpl_syntax::{codes, Action, Condition, Diagnostic};

use super::{at, Context};
use crate::logic::{Formula, Satisfiability};

/// At most this many (drop, keep) pairs are examined per list.
const MAX_PAIRS: usize = 4096;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut reported: HashSet<usize> = HashSet::new();
    for (tenant, list) in context.decision_lists() {
        let enabled = context.enabled_formulas(&list);
        let mut pairs = 0;
        for (i, (drop, drop_formula)) in enabled.iter().enumerate() {
            let key = std::ptr::from_ref::<Condition>(drop) as usize;
            if drop.action() != Action::Drop || reported.contains(&key) {
                continue;
            }
            let before = Formula::or(enabled[..i].iter().map(|(_, f)| (*f).clone()));
            let mut overlapped: Vec<&Condition> = Vec::new();
            let mut example: Option<String> = None;
            for (keep, keep_formula) in &enabled[i + 1..] {
                if keep.action() != Action::Keep || keep.keep_rate() <= 0.0 {
                    continue;
                }
                pairs += 1;
                if pairs > MAX_PAIRS {
                    break;
                }
                let both = Formula::and([
                    (*drop_formula).clone(),
                    (*keep_formula).clone(),
                    before.not(),
                ]);
                if let Satisfiability::Yes(witness) = context.engine.satisfiable(&both) {
                    if example.is_none() {
                        let mut fields = drop_formula.fields();
                        for field in keep_formula.fields() {
                            if !fields.contains(&field) {
                                fields.push(field);
                            }
                        }
                        let described: Vec<String> = fields
                            .iter()
                            .map(|f| format!("{f}: {}", witness.value(f)))
                            .collect();
                        example = Some(format!(
                            "a span with {} is dropped although `{}` would keep it",
                            described.join(", "),
                            keep.name.value
                        ));
                    }
                    overlapped.push(keep);
                }
            }
            if overlapped.is_empty() {
                continue;
            }
            let names: Vec<String> = overlapped
                .iter()
                .map(|c| format!("`{}`", c.name.value))
                .collect();
            let whose = tenant.map_or_else(String::new, |t| format!("for tenant `{t}`, "));
            let when = &drop.when;
            let mut diagnostic = Diagnostic::new(
                &codes::DROP_BEFORE_KEEP,
                format!(
                    "{whose}drop rule `{}` comes first and drops spans that {} would keep",
                    drop.name.value,
                    names.join(", ")
                ),
                at(when, when.expr.span),
                "drops first",
            )
            .with_help(format!(
                "{}; move {} above `{}`, or exclude those spans from `{}`",
                example.unwrap_or_default(),
                names.join(", "),
                drop.name.value,
                drop.name.value
            ));
            for keep in overlapped {
                diagnostic = diagnostic.with_secondary(
                    at(&keep.when, keep.when.expr.span),
                    "would keep some of them",
                );
            }
            reported.insert(key);
            out.push(diagnostic);
        }
    }
}
