//! ## L355 clarvynn-ignored-key (warning, `--target clarvynn`)
//!
//! **What it finds.** Policy keys clarvynn 0.3.1 ignores: a condition's `rate`
//! (clarvynn keeps every match), its `action` (clarvynn keeps every match, so an
//! `action: drop` rule *keeps* in clarvynn), and the `tenants` section (every tenant
//! gets the policy as written).
//!
//! **Why it matters.** clarvynn ignores unknown keys silently (spec/compatibility.md,
//! section 16), so the policy loads in both runtimes and does different things: a
//! health-check drop rule keeps every health check in clarvynn.
//!
//! **Example.**
//!
//! ```yaml
//! version: 1
//! service: {name: checkout}
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: health
//!       when: "path == '/health'"
//!       action: drop   # L355: clarvynn keeps these traces
//! ```

use cpl_syntax::{codes, Action, Diagnostic};

use super::Context;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let condition = entry.condition;
        let name = &condition.name.value;
        if let Some(rate) = &condition.rate {
            out.push(
                Diagnostic::new(
                    &codes::CLARVYNN_IGNORED_KEY,
                    format!("clarvynn ignores `rate`: it keeps every trace `{name}` matches"),
                    rate.span.clone(),
                    "ignored by clarvynn",
                )
                .with_help("in clarvynn a matching condition always keeps the whole trace"),
            );
        }
        if let Some(action) = &condition.action {
            let message = match action.value {
                Action::Drop => format!("clarvynn ignores `action`: it keeps the traces `{name}` matches, which CPL drops"),
                Action::Keep => "clarvynn ignores `action` (`keep` is what it does anyway)".to_owned(),
            };
            out.push(
                Diagnostic::new(
                    &codes::CLARVYNN_IGNORED_KEY,
                    message,
                    action.span.clone(),
                    "ignored by clarvynn",
                )
                .with_help(
                    "clarvynn has no drop rules; a matching condition always keeps the trace",
                ),
            );
        }
    }
    if let Some(tenants) = &context.policy.tenants {
        out.push(
            Diagnostic::new(
                &codes::CLARVYNN_IGNORED_KEY,
                "clarvynn ignores the `tenants` section: every tenant gets the policy as written",
                tenants.attribute.span.clone(),
                "ignored by clarvynn",
            )
            .with_help(
                "clarvynn has no tenant overrides; give each tenant its own policy file there",
            ),
        );
    }
}
