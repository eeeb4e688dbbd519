//! ## L303 ordering-on-unordered (error)
//!
//! **What it finds.** `<`, `<=`, `>` or `>=` on a field without an order: the span
//! kind (`kind > SERVER`), the span status (`status >= ERROR`), the boolean `error`, or
//! any field compared with `true` or `false` (`x > true`).
//!
//! **Why it matters.** Constants and booleans have no order in CPL: the ordering
//! operators on them are false for every span (spec/types.md, "Comparison"). The
//! intent (`status >= ERROR` for "error or worse") is better written with `==` or `in`.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: failures
//!       when: "status >= ERROR"   # L303: write status == ERROR
//! ```

use cpl_syntax::ast::{CompareOp, Value};
use cpl_syntax::fields::FieldType;
use cpl_syntax::{codes, Condition, Diagnostic};

use super::{compatible, field_type, operator_span, predicates, Context, Test};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        out.extend(diagnostics(entry.condition));
    }
}

/// The findings of this rule in one condition.
pub(super) fn diagnostics(condition: &Condition) -> Vec<Diagnostic> {
    let when = &condition.when;
    let mut out = Vec::new();
    for predicate in predicates(&when.expr) {
        let Test::Compare(op, literal) = predicate.test else {
            continue;
        };
        if matches!(op, CompareOp::Eq | CompareOp::Ne) {
            continue;
        }
        let field = &predicate.field.kind;
        let ty = field_type(field);
        let unordered = match ty {
            FieldType::SpanKind | FieldType::SpanStatus | FieldType::Bool => true,
            FieldType::Any => matches!(literal.value, Value::Bool(_)),
            _ => false,
        };
        // A literal of the wrong type is L301's finding.
        if !unordered || !compatible(ty, &literal.value) {
            continue;
        }
        let help = match (ty, &literal.value) {
            (FieldType::SpanStatus, _) => {
                "write `status == ERROR` (or `status in [OK, ERROR]`)".to_owned()
            }
            (FieldType::SpanKind, _) => {
                "write `kind == SERVER` or `kind in [SERVER, CONSUMER]`".to_owned()
            }
            _ => format!("write `{field} == {}`", literal.value),
        };
        out.push(
            Diagnostic::new(
                &codes::ORDERING_ON_UNORDERED,
                format!(
                    "`{field} {} {}` orders values that have no order: it is false for every span",
                    op.as_str(),
                    literal.value
                ),
                operator_span(when, &predicate),
                "no order here",
            )
            .with_help(help),
        );
    }
    out
}
