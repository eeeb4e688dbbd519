//! ## L331 unsatisfiable-condition (error)
//!
//! **What it finds.** A condition that no span can satisfy, decided by the logic engine
//! (spec/lints.md, "The logic engine"): `status_code > 500 AND status_code < 400`,
//! `method == 'GET' AND method == 'POST'`, `kind == SERVER AND kind == CLIENT`,
//! `path starts_with '/a' AND path starts_with '/b'`, `status_code > 499 AND
//! status_code < 500` (status codes are integers), `NOT exists(path) AND path ==
//! '/x'`. The diagnostic marks the operands that conflict. It also finds a part of a
//! condition that can never be true: an alternative of an `OR` that no span satisfies
//! (`status_code >= 500 OR (duration > 2s AND duration < 1s)`).
//!
//! **Why it matters.** A condition that never matches keeps nothing: the traces it was
//! written for fall through to the base rate and are mostly dropped. A dead alternative
//! is a condition that does less than it says. Conditions already reported for a type
//! mismatch (L301–L303) are not reported again.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: client_errors
//!       when: "status_code >= 400 AND status_code < 300"   # L331: meant < 500
//! ```

use cpl_syntax::ast::{Expr, ExprKind};
use cpl_syntax::{codes, Condition, Diagnostic};

use super::{at, shown, Context};
use crate::logic::{Engine, Formula, Satisfiability};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let condition = entry.condition;
        let when = &condition.when;
        let typed: Vec<std::ops::Range<usize>> = type_findings(condition);
        match context.engine.satisfiable(&entry.formula) {
            Satisfiability::No => {
                if !typed.is_empty() {
                    continue;
                }
                let mut diagnostic = Diagnostic::new(
                    &codes::UNSATISFIABLE_CONDITION,
                    format!(
                        "condition `{}` can never match: no span satisfies `{}`",
                        condition.name.value,
                        shown(&when.expr, 80)
                    ),
                    at(when, when.expr.span),
                    "never true",
                )
                .with_help(
                    "check the bounds and operators; as written the condition keeps nothing",
                );
                for part in conflict(&context.engine, &when.expr) {
                    diagnostic = diagnostic.with_secondary(
                        at(when, part.span),
                        "conflicts with the other marked operands",
                    );
                }
                out.push(diagnostic);
            }
            Satisfiability::Yes(_) => dead_alternatives(context, condition, &typed, out),
            Satisfiability::Unknown => {}
        }
    }
}

/// The file ranges of type findings (L301–L303) in a condition.
fn type_findings(condition: &Condition) -> Vec<std::ops::Range<usize>> {
    super::type_mismatch::diagnostics(condition)
        .into_iter()
        .chain(super::string_test_on_non_string::diagnostics(condition))
        .chain(super::ordering_on_unordered::diagnostics(condition))
        .map(|d| d.span)
        .collect()
}

/// A minimal set of top-level `AND` operands that is unsatisfiable on its own.
fn conflict<'e>(engine: &Engine, expr: &'e Expr) -> Vec<&'e Expr> {
    let ExprKind::And(items) = &expr.kind else {
        return Vec::new();
    };
    if items.len() > 16 {
        return Vec::new();
    }
    let formulas: Vec<Formula> = items.iter().map(Formula::from_expr).collect();
    let mut keep: Vec<bool> = vec![true; items.len()];
    for i in 0..items.len() {
        keep[i] = false;
        let rest = Formula::and(
            formulas
                .iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(f, _)| f.clone()),
        );
        if !matches!(engine.satisfiable(&rest), Satisfiability::No) {
            keep[i] = true;
        }
    }
    let core: Vec<&Expr> = items
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(e, _)| e)
        .collect();
    if core.len() == items.len() && core.len() <= 2 {
        // Marking both operands of a two-operand condition adds nothing.
        return Vec::new();
    }
    core
}

fn dead_alternatives(
    context: &Context<'_>,
    condition: &Condition,
    typed: &[std::ops::Range<usize>],
    out: &mut Vec<Diagnostic>,
) {
    let when = &condition.when;
    let mut count = 0;
    when.expr.walk(&mut |node| {
        let ExprKind::Or(items) = &node.kind else {
            return;
        };
        for item in items {
            count += 1;
            if count > 64 {
                return;
            }
            let range = at(when, item.span);
            if typed
                .iter()
                .any(|t| t.start >= range.start && t.end <= range.end)
            {
                continue;
            }
            if matches!(
                context.engine.satisfiable(&Formula::from_expr(item)),
                Satisfiability::No
            ) {
                out.push(
                    Diagnostic::new(
                        &codes::UNSATISFIABLE_CONDITION,
                        format!(
                            "part of condition `{}` can never be true: `{}`",
                            condition.name.value,
                            shown(item, 60)
                        ),
                        range,
                        "no span satisfies this alternative",
                    )
                    .with_help("remove this alternative or fix its bounds"),
                );
            }
        }
    });
}
