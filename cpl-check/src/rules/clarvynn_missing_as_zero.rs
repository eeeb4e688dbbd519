//! ## L352 clarvynn-missing-as-zero (warning, `--target clarvynn`)
//!
//! **What it finds.** A predicate that clarvynn 0.3.1 finds *true* on a span without the
//! field, because it reads a missing `status_code` as 0 and a missing `method`, `path`
//! or `user_id` as `""`: `status_code < 500`, `status_code != 200`, `method != 'GET'`,
//! `path not contains '/health'`, `method == ''`, `path contains ''`. In CPL each is
//! false on such a span (and its `NOT` true), so the two runtimes keep different
//! traces.
//!
//! **Why it matters.** `status_code < 500` in clarvynn keeps every span that has no
//! HTTP status at all: background jobs, database calls, messaging. The warning says
//! what clarvynn really does, and the help gives a form both read the same way.
//!
//! **Example.**
//!
//! ```yaml
//! version: 1
//! service: {name: checkout}
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: non_gets
//!       when: "method != 'GET'"   # L352: clarvynn also keeps spans without a method
//! ```

use std::cmp::Ordering;

use cpl_syntax::ast::{CompareOp, ExprKind, FieldKind, StringOp, Value};
use cpl_syntax::fields::BuiltinField;
use cpl_syntax::{codes, Diagnostic};

use super::{at, predicates, Context};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let when = &entry.condition.when;
        for predicate in predicates(&when.expr) {
            let FieldKind::Builtin(builtin) = predicate.field.kind else {
                continue;
            };
            let numeric = match builtin {
                BuiltinField::StatusCode => true,
                BuiltinField::Method | BuiltinField::Path | BuiltinField::UserId => false,
                _ => continue,
            };
            if !true_on_default(numeric, &predicate.node.kind) {
                continue;
            }
            // An operand of the same AND chain that is false on the default makes the
            // chain false in clarvynn too: no difference.
            if predicate.positive
                && predicate.conjuncts.iter().any(|other| match &other.kind {
                    ExprKind::Compare { field, .. } | ExprKind::StringTest { field, .. } => {
                        field.kind == predicate.field.kind && !true_on_default(numeric, &other.kind)
                    }
                    _ => false,
                })
            {
                continue;
            }
            let field = &predicate.field.kind;
            let (reads, help) = if numeric {
                (
                    "a missing `status_code` as 0 (or the span status, 0 to 2)",
                    format!("write `status_code >= 100 AND {}` to leave spans without an HTTP status out in both", predicate.node),
                )
            } else {
                (
                    "a missing string as \"\"",
                    format!(
                        "write `{field} != '' AND {}` to leave spans without `{field}` out in both",
                        predicate.node
                    ),
                )
            };
            out.push(
                Diagnostic::new(
                    &codes::CLARVYNN_MISSING_AS_ZERO,
                    format!("clarvynn reads {reads}, so `{}` is true for spans without `{field}` (false in CPL)", predicate.node),
                    at(when, predicate.node.span),
                    "true on a missing value in clarvynn",
                )
                .with_help(help),
            );
        }
    }
}

/// Whether clarvynn finds the predicate true on its default value (0 or "").
fn true_on_default(numeric: bool, kind: &ExprKind) -> bool {
    match kind {
        ExprKind::Compare { op, value, .. } => compare_default(numeric, *op, &value.value),
        ExprKind::StringTest {
            op: StringOp::Contains,
            negated,
            value,
            ..
        } => {
            let haystack = if numeric { "0" } else { "" };
            haystack.contains(&needle(&value.value)) != *negated
        }
        _ => false,
    }
}

/// clarvynn's `str()` of a literal: numbers are floats (`50.0`).
fn needle(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        #[allow(clippy::cast_precision_loss)]
        Value::Int(v) => format!("{:?}", *v as f64),
        Value::Float(v) => format!("{v:?}"),
        other => other.to_string(),
    }
}

/// clarvynn's comparison of the default (0 or "") with a literal.
fn compare_default(numeric: bool, op: CompareOp, value: &Value) -> bool {
    #[allow(clippy::cast_precision_loss)]
    let ordering = match (numeric, value) {
        (true, Value::Int(v)) => 0.0_f64.partial_cmp(&(*v as f64)),
        (true, Value::Float(v)) => 0.0_f64.partial_cmp(v),
        (false, Value::String(text)) => Some("".cmp(text.as_str())),
        // Different types (L353 reports those).
        _ => return false,
    };
    let Some(ordering) = ordering else {
        return op == CompareOp::Ne;
    };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Ne => ordering != Ordering::Equal,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
    }
}
