//! ## L301 type-mismatch (error)
//!
//! **What it finds.** A field compared with a literal of a type its values never have:
//! `status_code == '500'` (a number against a string), `method > 5`, `kind == 'SERVER'`
//! (a constant written as a string), `duration > '1s'`, `error == 1`, an attribute
//! compared with a duration literal (attributes never hold durations), or an attribute
//! the OpenTelemetry semantic conventions type compared with a literal of another type:
//! `http.route > 5`, `http.response.status_code == '500'`, an array attribute
//! (`user.roles == 'admin'`, `http.request.header.x-debug == 'on'`), which only
//! `exists` tests (spec/fields.md, "Semantic conventions").
//!
//! **Why it matters.** Values of different types are never equal or ordered
//! (spec/types.md, "Literals and fields"), so the comparison is false for every span,
//! `!=` included. The condition silently keeps nothing through this predicate. clarvynn
//! accepts many of these, which is why they load; they are still certainly wrong.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: server_errors
//!       when: "status_code >= '500'"   # L301: write status_code >= 500
//! ```

use cpl_syntax::ast::{FieldKind, Literal, Value};
use cpl_syntax::fields::FieldType;
use cpl_syntax::{codes, Condition, Diagnostic};

use super::{at, compatible, field_type, literal_kind, predicates, Context, Test};

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
        let literals: Vec<&Literal> = match predicate.test {
            Test::Compare(..) | Test::In(..) => predicate.literals(),
            _ => continue,
        };
        let ty = field_type(&predicate.field.kind);
        for literal in literals {
            // Bare words on fields without constants are E115 at load time.
            if matches!(literal.value, Value::Name(_))
                && !matches!(ty, FieldType::SpanKind | FieldType::SpanStatus)
            {
                continue;
            }
            if compatible(ty, &literal.value) {
                continue;
            }
            let field = &predicate.field.kind;
            let holds = match ty {
                FieldType::Int | FieldType::Float => "holds numbers",
                FieldType::Duration => {
                    "holds durations (compare with `250ms` or a number of milliseconds)"
                }
                FieldType::String => "holds strings",
                FieldType::Bool => "holds `true` or `false`",
                FieldType::SpanKind => "holds span kind constants",
                FieldType::SpanStatus => "holds span status constants",
                FieldType::Array => "holds arrays",
                _ => "is an attribute, and attributes hold no durations: compared",
            };
            // A registered attribute's type is the semantic conventions'.
            let mut holds = if matches!(field, FieldKind::Builtin(_)) || ty == FieldType::Any {
                holds.to_owned()
            } else {
                format!("{holds} (semantic conventions)")
            };
            if ty == FieldType::Array {
                holds.push_str(", which only `exists` tests");
            }
            let help = match (&literal.value, ty) {
                (Value::String(text), FieldType::Int | FieldType::Float | FieldType::Duration)
                    if text.trim().parse::<f64>().is_ok() =>
                {
                    format!("write the number without quotes: `{}`", text.trim())
                }
                (Value::String(text), FieldType::Duration) => {
                    format!("write the duration without quotes: `{}`", text.trim())
                }
                (Value::String(text), FieldType::SpanKind | FieldType::SpanStatus) => {
                    format!(
                        "write the constant without quotes: `{}`",
                        text.to_ascii_uppercase()
                    )
                }
                (Value::Int(_) | Value::Float(_) | Value::Bool(_), FieldType::String) => {
                    format!("quote the value: `'{}'`", literal.value)
                }
                (_, FieldType::Bool) => "compare with `true` or `false`".to_owned(),
                (_, FieldType::Array) => format!("test the array with `exists({field})`"),
                (Value::Duration(nanos, _), FieldType::Any | FieldType::Int | FieldType::Float) => {
                    #[allow(clippy::cast_precision_loss)]
                    let millis = *nanos as f64 / 1e6;
                    format!(
                        "compare with a number: `{millis}` (if the attribute holds milliseconds)"
                    )
                }
                _ => format!("compare `{field}` with a literal of its type (spec/types.md)"),
            };
            out.push(
                Diagnostic::new(
                    &codes::TYPE_MISMATCH,
                    if ty == FieldType::Any {
                        format!(
                            "`{field}` {holds} with {}, it is false for every span",
                            literal_kind(&literal.value)
                        )
                    } else {
                        format!(
                            "`{field}` {holds}, never {}: this comparison is false for every span",
                            literal_kind(&literal.value)
                        )
                    },
                    at(when, literal.span),
                    format!("{} literal", literal_kind(&literal.value)),
                )
                .with_help(help),
            );
        }
    }
    out
}
