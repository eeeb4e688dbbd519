//! ## L341 implicit-exists (warning)
//!
//! **What it finds.** `!=`, `not in` or a negated string test (`not contains`,
//! `not starts_with`, `not ends_with`, `not matches`) on a field that is often missing
//! (any span or resource attribute, `status_code`, `method`, `path`, `user_id`), when
//! nothing in the same `AND` chain already requires the field (`exists(x)`, or a
//! positive test on it such as `x == …` or `x contains …`).
//!
//! **Why it matters.** In CPL every predicate except `exists` is false when its field is
//! missing, the negated ones included (spec/missing-values.md). So `http.route !=
//! '/health'` does *not* match spans without `http.route`, which is rarely what "keep
//! everything except health checks" meant; in clarvynn the same text matched them.
//! Write what is meant: `exists(http.route) AND http.route != '/health'` to require the
//! field, or `NOT http.route == '/health'` to match spans without it as well.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: not_gets
//!       when: "method != 'GET'"   # L341: false for spans without a method
//! ```

use cpl_syntax::ast::{CompareOp, Expr, ExprKind, FieldKind};
use cpl_syntax::fields::BuiltinField;
use cpl_syntax::{codes, Diagnostic};

use super::{operator_span, predicates, Context, Test};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let when = &entry.condition.when;
        for predicate in predicates(&when.expr) {
            if !predicate.positive || !often_missing(&predicate.field.kind) {
                continue;
            }
            let (negated_text, positive_text) = match predicate.test {
                Test::Compare(CompareOp::Ne, literal) => (
                    format!("!= {}", literal.value),
                    format!("== {}", literal.value),
                ),
                Test::In(true, literals) => {
                    let list: Vec<String> = literals.iter().map(|l| l.value.to_string()).collect();
                    (
                        format!("not in [{}]", list.join(", ")),
                        format!("in [{}]", list.join(", ")),
                    )
                }
                Test::String(op, true, literal) => (
                    format!("not {} {}", op.as_str(), literal.value),
                    format!("{} {}", op.as_str(), literal.value),
                ),
                _ => continue,
            };
            let field = &predicate.field.kind;
            if predicate
                .conjuncts
                .iter()
                .any(|other| requires(other, field))
            {
                continue;
            }
            out.push(
                Diagnostic::new(
                    &codes::IMPLICIT_EXISTS,
                    format!("`{field} {negated_text}` is false for every span without `{field}`"),
                    operator_span(when, &predicate),
                    format!("false when `{field}` is missing"),
                )
                .with_help(format!(
                    "write `exists({field}) AND {field} {negated_text}` to say so, or `NOT {field} {positive_text}` to match spans without `{field}` too"
                )),
            );
        }
    }
}

/// Whether the field is one spans often lack.
fn often_missing(field: &FieldKind) -> bool {
    match field {
        FieldKind::SpanAttribute(_)
        | FieldKind::ResourceAttribute(_)
        | FieldKind::TraceState(_) => true,
        FieldKind::Builtin(builtin) => matches!(
            builtin,
            BuiltinField::StatusCode
                | BuiltinField::Method
                | BuiltinField::Path
                | BuiltinField::UserId
        ),
    }
}

/// Whether `expr` (an operand of the same `AND` chain) is only true when `field` is
/// present: `exists(field)` or a positive test on it.
fn requires(expr: &Expr, field: &FieldKind) -> bool {
    match &expr.kind {
        ExprKind::Exists(f) => f.kind == *field,
        ExprKind::Compare { field: f, op, .. } => f.kind == *field && *op != CompareOp::Ne,
        ExprKind::StringTest {
            field: f, negated, ..
        }
        | ExprKind::In {
            field: f, negated, ..
        } => f.kind == *field && !negated,
        ExprKind::And(items) => items.iter().any(|item| requires(item, field)),
        ExprKind::Or(items) => items.iter().all(|item| requires(item, field)),
        _ => false,
    }
}
