//! ## L335 disabled-condition (warning)
//!
//! **What it finds.** A condition with `enabled: false`.
//!
//! **Why it matters.** A disabled condition never decides anything, but it still reads
//! like part of the policy: a reviewer sees an `errors` rule and assumes errors are
//! kept. Disabling is meant to be temporary; the warning keeps it from being forgotten.
//! Its expression is still checked.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: errors
//!       when: "status == ERROR"
//!       enabled: false   # L335
//! ```

use cpl_syntax::{codes, Diagnostic};

use super::Context;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let condition = entry.condition;
        let Some(enabled) = &condition.enabled else {
            continue;
        };
        if enabled.value {
            continue;
        }
        out.push(
            Diagnostic::new(
                &codes::DISABLED_CONDITION,
                format!(
                    "condition `{}` is disabled and never decides",
                    condition.name.value
                ),
                enabled.span.clone(),
                "disabled here",
            )
            .with_help("remove the condition if it is no longer needed, or enable it again"),
        );
    }
}
