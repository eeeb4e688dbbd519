//! ## L402 numeric-zero-bound (warning)
//!
//! **What it finds.** `min_value: 0` or `max_value: 0` written in a `numeric_attribute` policy whose other
//! bound is set (with neither set, the collector refuses the config: E409).
//!
//! **Why it matters.** The collector reads a bound of 0 as "no bound" (it passes the bound on only when it
//! is not 0), so `min_value: 0, max_value: 5` keeps a trace with `retries = -3`, and
//! `min_value: 100, max_value: 0` keeps every value from 100 up. A bound of exactly 0
//! cannot be written in this policy type.
//!
//! **Example.**
//!
//! ```yaml
//! policies:
//!   - name: few-retries
//!     type: numeric_attribute
//!     numeric_attribute: {key: retries, min_value: 0, max_value: 5}
//! ```
//!
//! Leave the bound out to say "no bound" plainly, or, for a bound of 0, use an
//! `ottl_condition`: `span.attributes["retries"] >= 0 and span.attributes["retries"] <= 5`.

use cpl_syntax::yaml::NodeValue;
use cpl_syntax::{codes, Diagnostic};

use super::Context;
use crate::policy::PolicyKind;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for policy in context.all_policies() {
        let PolicyKind::NumericAttribute { key, .. } = &policy.kind else {
            continue;
        };
        let Some(text) = context.text_of(policy) else {
            continue;
        };
        for (bound, meaning) in [("min_value", "lower"), ("max_value", "upper")] {
            let Some((node, span)) = text.setting(&["numeric_attribute", bound]) else {
                continue;
            };
            let zero = matches!(&node.value, NodeValue::Scalar(s)
                if s.text.parse::<f64>().is_ok_and(|v| v.trunc() == 0.0));
            if !zero {
                continue;
            }
            out.push(
                Diagnostic::new(
                    &codes::NUMERIC_ZERO_BOUND,
                    format!(
                        "`{bound}: 0` of policy `{}` is no {meaning} bound: the collector reads a bound of 0 as unset",
                        policy.name
                    ),
                    span,
                    "read as unset",
                )
                .with_help(format!(
                    "leave `{bound}` out, or for a bound of 0 use an `ottl_condition` on `span.attributes[\"{key}\"]`"
                )),
            );
        }
    }
}
