//! ## L302 string-test-on-non-string (error)
//!
//! **What it finds.** `contains`, `starts_with`, `ends_with` or `matches` (or their
//! `not` forms) on a field whose values are never strings (`status_code`, `duration`,
//! `error`, `kind`, `status`, or an attribute the OpenTelemetry semantic conventions
//! type as a number, a boolean or an array: `http.response.status_code`,
//! `user.roles`), or with a literal that is not a string (`path contains 5`).
//!
//! **Why it matters.** String tests apply only when the value and the literal are both
//! strings; otherwise they are false, the `not` forms too (spec/types.md, "Comparison").
//! `status_code contains '50'` does not find 500-something codes: it never matches.
//! clarvynn stringifies numbers, so a policy ported from it may rely on this.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: five_hundreds
//!       when: "status_code contains '50'"   # L302: use status_code >= 500 AND status_code < 510
//! ```

use cpl_syntax::ast::Value;
use cpl_syntax::fields::FieldType;
use cpl_syntax::{codes, Condition, Diagnostic};

use super::{field_type, literal_kind, operator_span, predicates, Context, Test};

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
        let Test::String(op, negated, literal) = predicate.test else {
            continue;
        };
        let field = &predicate.field.kind;
        let ty = field_type(field);
        let not = if negated { "not " } else { "" };
        let operator = format!("{not}{}", op.as_str());
        let (message, help) = if matches!(ty, FieldType::String | FieldType::Any) {
            if matches!(literal.value, Value::String(_)) {
                continue;
            }
            (
                format!(
                    "`{operator}` needs a string, not {}: this test is false for every span",
                    literal_kind(&literal.value)
                ),
                format!("quote the value: `'{}'`", literal.value),
            )
        } else {
            let kind = match ty {
                FieldType::Int | FieldType::Float => "a number",
                FieldType::Array => "an array",
                FieldType::Duration => "a duration",
                FieldType::Bool => "a boolean",
                _ => "a constant",
            };
            let help = match ty {
                FieldType::Int | FieldType::Float => {
                    "compare numbers instead, e.g. `status_code >= 500 AND status_code < 510`"
                }
                FieldType::Array => "test the array with `exists(...)`: no other test applies",
                FieldType::Duration => "compare durations instead, e.g. `duration > 250ms`",
                _ => "compare with `==`, `!=` or `in [...]` instead",
            };
            (
                format!("`{operator}` applies to strings and `{field}` is {kind}: this test is false for every span"),
                help.to_owned(),
            )
        };
        let label = if negated {
            "false even in its `not` form"
        } else {
            "never true"
        };
        out.push(
            Diagnostic::new(
                &codes::STRING_TEST_ON_NON_STRING,
                message,
                operator_span(when, &predicate),
                label,
            )
            .with_help(help),
        );
    }
    out
}
