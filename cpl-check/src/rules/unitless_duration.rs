//! ## L324 unitless-duration (warning)
//!
//! **What it finds.** `duration` or `duration_ms` compared with a bare number between
//! 0 and 60 (exclusive): `duration > 2`, `duration_ms > 1.5`.
//!
//! **Why it matters.** A bare number compared with a duration means milliseconds
//! (clarvynn's unit; spec/types.md, "Durations"). A threshold written as `2` usually
//! meant two seconds, and as two milliseconds it keeps nearly every trace. CPL has
//! duration literals: `2s` or `2ms` say what is meant.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: slow
//!       when: "duration > 2"   # L324: 2 milliseconds; did you mean 2s?
//! ```

use cpl_syntax::ast::Value;
use cpl_syntax::{codes, Diagnostic};

use super::{at, is_duration, predicates, Context};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let when = &entry.condition.when;
        for predicate in predicates(&when.expr) {
            if !is_duration(&predicate.field.kind) {
                continue;
            }
            for literal in predicate.literals() {
                #[allow(clippy::cast_precision_loss)]
                let value = match literal.value {
                    Value::Int(v) => v as f64,
                    Value::Float(v) => v,
                    _ => continue,
                };
                if !(value > 0.0 && value < 60.0) {
                    continue;
                }
                let number = &literal.value;
                out.push(
                    Diagnostic::new(
                        &codes::UNITLESS_DURATION,
                        format!("`{}` compared with a duration means {number} milliseconds", super::written(when, literal.span)),
                        at(when, literal.span),
                        "milliseconds",
                    )
                    .with_help(format!("did you mean `{number}s`? a bare number means milliseconds; write `{number}ms` to say so")),
                );
            }
        }
    }
}
