//! ## L353 clarvynn-type-semantics (warning, `--target clarvynn`)
//!
//! **What it finds.** Comparisons clarvynn 0.3.1 evaluates differently from CPL because
//! of how it handles numbers and types (spec/compatibility.md, sections 2 and 3):
//!
//! - `contains` / `not contains` on a number (`status_code contains '50'`): clarvynn
//!   compares the text (`"50" in "500"` is true); in CPL a string test on a number is
//!   false;
//! - `contains` with a number needle (`path contains 5`): clarvynn looks for `"5.0"`;
//! - `!=` between a field and a literal of another type (`method != 5`): true for every
//!   span in clarvynn, false in CPL;
//! - `<`, `<=`, `>`, `>=` between different types (`method > 5`): clarvynn raises a
//!   TypeError that makes the *whole condition* false, under `NOT` too;
//! - integer literals beyond 2^53 (`9007199254740993`): clarvynn rounds them to a float.
//!
//! **Why it matters.** The same policy text keeps different traces in the two runtimes.
//! A team that runs clarvynn needs to know what its runtime really does.
//!
//! **Example.**
//!
//! ```yaml
//! version: 1
//! service: {name: checkout}
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: five_hundreds
//!       when: "status_code contains '50'"   # L353: text match in clarvynn, never in CPL
//! ```

use cpl_syntax::ast::{CompareOp, StringOp, Value};
use cpl_syntax::fields::FieldType;
use cpl_syntax::{codes, Diagnostic};

use super::{at, clarvynn_field, field_type, operator_span, predicates, Context, Test};

const TWO_POW_53: i64 = 1 << 53;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let when = &entry.condition.when;
        for predicate in predicates(&when.expr) {
            let field = &predicate.field.kind;
            if !clarvynn_field(field) {
                continue;
            }
            let numeric_field = matches!(field_type(field), FieldType::Int | FieldType::Duration);
            let node = predicate.node;
            let finding: Option<(String, std::ops::Range<usize>)> = match predicate.test {
                Test::String(StringOp::Contains, _, _) if numeric_field => Some((
                    format!("clarvynn compares `{node}` as text (the number's decimal digits); in CPL a string test on a number is false"),
                    operator_span(when, &predicate),
                )),
                Test::String(StringOp::Contains, _, literal) if matches!(literal.value, Value::Int(_) | Value::Float(_)) => Some((
                    format!("clarvynn looks for the float text of `{}` (`5` as \"5.0\"); in CPL a string test with a number is false", literal.value),
                    at(when, literal.span),
                )),
                Test::Compare(op, literal) => {
                    let numeric_literal = matches!(literal.value, Value::Int(_) | Value::Float(_));
                    let string_literal = matches!(literal.value, Value::String(_));
                    let mismatch = (numeric_field && string_literal) || (!numeric_field && numeric_literal);
                    match (op, &literal.value) {
                        (CompareOp::Ne, _) if mismatch => Some((
                            format!("clarvynn evaluates `{node}` as true for every span (values of different types are never equal); in CPL it is false"),
                            at(when, node.span),
                        )),
                        (CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge, _) if mismatch => Some((
                            format!("clarvynn raises a TypeError on `{node}`, which makes the whole condition false, under `NOT` too"),
                            at(when, node.span),
                        )),
                        (_, Value::Int(v)) if v.unsigned_abs() > TWO_POW_53.unsigned_abs() => Some((
                            format!("clarvynn reads the integer `{v}` as a float and rounds it"),
                            at(when, literal.span),
                        )),
                        _ => None,
                    }
                }
                _ => None,
            };
            if let Some((message, span)) = finding {
                out.push(
                    Diagnostic::new(
                        &codes::CLARVYNN_TYPE_SEMANTICS,
                        message,
                        span,
                        "evaluated differently in clarvynn",
                    )
                    .with_help("compare values of the field's own type, so both runtimes agree"),
                );
            }
        }
    }
}
