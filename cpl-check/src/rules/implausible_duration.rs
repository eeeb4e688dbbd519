//! ## L322 implausible-duration (warning)
//!
//! **What it finds.** `duration` or `duration_ms` compared with a negative value or a
//! value above one day: `duration > -1ms`, `duration_ms > 100000000` (27 hours),
//! `duration > 2h`… with `>` it keeps almost nothing, with `<` almost everything.
//!
//! **Why it matters.** Spans never have negative durations, and a threshold of more
//! than a day is almost always a unit mistake: a bare number means milliseconds
//! (spec/types.md, "Durations"), so `duration_ms > 5000000` is 83 minutes, not 5 s.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: slow
//!       when: "duration_ms > 500000000"   # L322: 5.8 days; did you mean 500ms?
//! ```

use cpl_syntax::ast::Value;
use cpl_syntax::{codes, Diagnostic};

use super::{at, is_duration, predicates, Context};

const DAY_NANOS: f64 = 86_400e9;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let when = &entry.condition.when;
        for predicate in predicates(&when.expr) {
            if !is_duration(&predicate.field.kind) {
                continue;
            }
            for literal in predicate.literals() {
                #[allow(clippy::cast_precision_loss)]
                let nanos = match literal.value {
                    Value::Int(ms) => ms as f64 * 1e6,
                    Value::Float(ms) => ms * 1e6,
                    Value::Duration(nanos, _) => nanos as f64,
                    _ => continue,
                };
                let (message, help) = if nanos < 0.0 {
                    (
                        format!(
                            "`{}` is a negative duration; no span lasts less than nothing",
                            literal.value
                        ),
                        "use a positive threshold, or remove the comparison".to_owned(),
                    )
                } else if nanos > DAY_NANOS {
                    let bare = matches!(literal.value, Value::Int(_) | Value::Float(_));
                    (
                        format!(
                            "`{}` is longer than a day ({:.1} hours)",
                            literal.value,
                            nanos / 3.6e12
                        ),
                        if bare {
                            "a bare number means milliseconds; write the unit, e.g. `5s`".to_owned()
                        } else {
                            "check the unit of the threshold".to_owned()
                        },
                    )
                } else {
                    continue;
                };
                out.push(
                    Diagnostic::new(
                        &codes::IMPLAUSIBLE_DURATION,
                        message,
                        at(when, literal.span),
                        "implausible threshold",
                    )
                    .with_help(help),
                );
            }
        }
    }
}
