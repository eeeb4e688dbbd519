//! ## L321 status-code-out-of-range (warning)
//!
//! **What it finds.** `status_code` compared with a number outside 100–599, the range
//! of HTTP status codes: `status_code >= 600`, `status_code == 5000`,
//! `status_code > 0`.
//!
//! **Why it matters.** Such a threshold is usually a typo (`5000` for `500`) or a
//! workaround: `status_code > 0` was clarvynn's way to ask "has a status code", which
//! CPL writes `exists(status_code)`. A bound above 599 matches nothing real; a bound
//! below 100 matches every status code.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: server_errors
//!       when: "status_code >= 5000"   # L321: did you mean 500?
//! ```

use cpl_syntax::ast::{CompareOp, Value};
use cpl_syntax::fields::BuiltinField;
use cpl_syntax::{codes, Diagnostic};

use super::{at, is_builtin, predicates, Context, Test};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let when = &entry.condition.when;
        for predicate in predicates(&when.expr) {
            if !is_builtin(&predicate.field.kind, BuiltinField::StatusCode) {
                continue;
            }
            let op = match predicate.test {
                Test::Compare(op, _) => op,
                Test::In(..) => CompareOp::Eq,
                _ => continue,
            };
            for literal in predicate.literals() {
                #[allow(clippy::cast_precision_loss)]
                let value = match literal.value {
                    Value::Int(v) => v as f64,
                    Value::Float(v) => v,
                    _ => continue,
                };
                if (100.0..=599.0).contains(&value) {
                    continue;
                }
                let help = if value < 100.0
                    && matches!(op, CompareOp::Gt | CompareOp::Ge | CompareOp::Ne)
                {
                    "to match every span that has a status code, write `exists(status_code)`"
                        .to_owned()
                } else if value >= 1000.0
                    && value.fract() == 0.0
                    && (100.0..=599.0).contains(&(value / 10.0).trunc())
                    && value % 10.0 == 0.0
                {
                    format!("did you mean `{}`?", value / 10.0)
                } else {
                    "HTTP status codes are 100–599; check the number".to_owned()
                };
                out.push(
                    Diagnostic::new(
                        &codes::STATUS_CODE_OUT_OF_RANGE,
                        format!("`{}` is not an HTTP status code (100–599)", literal.value),
                        at(when, literal.span),
                        "outside 100–599",
                    )
                    .with_help(help),
                );
            }
        }
    }
}
