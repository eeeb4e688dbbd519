//! ## L332 always-true-condition (warning)
//!
//! **What it finds.** An enabled condition that every span satisfies, decided by the
//! logic engine: `status_code >= 500 OR NOT status_code >= 500`,
//! `NOT (method == 'GET' AND method == 'POST')`, `duration >= 0ms OR NOT exists(duration)`.
//!
//! **Why it matters.** Conditions are tried in order and the first match decides, so a
//! condition true for every span decides every trace: it keeps all of them (or its
//! `rate` of them, or drops them all with `action: drop`), and no later condition and
//! no base rate ever decides. That is a 100% sampling bill, or total loss, by accident.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: not_health
//!       when: "NOT path == '/health' OR NOT exists(path) OR path == '/health'"   # L332
//! ```

use cpl_syntax::{codes, Action, Diagnostic};

use super::{at, percent, Context};
use crate::logic::Verdict;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let condition = entry.condition;
        if !condition.is_enabled() {
            continue;
        }
        if context.engine.valid(&entry.formula) != Verdict::Yes {
            continue;
        }
        let effect = match (condition.action(), condition.keep_rate()) {
            (Action::Drop, _) => "drops every trace".to_owned(),
            (Action::Keep, rate) if rate >= 1.0 => "keeps every trace".to_owned(),
            (Action::Keep, rate) => format!("keeps {} of all traces (rate {rate})", percent(rate)),
        };
        let when = &condition.when;
        out.push(
            Diagnostic::new(
                &codes::ALWAYS_TRUE_CONDITION,
                format!(
                    "condition `{}` matches every span: it {effect}",
                    condition.name.value
                ),
                at(when, when.expr.span),
                "true for every span",
            )
            .with_help("no later condition and no base rate ever decides; narrow the condition"),
        );
    }
}
