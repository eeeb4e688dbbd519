//! ## L356 clarvynn-required-key (error, `--target clarvynn`)
//!
//! **What it finds.** A policy without `version` or without `service`, reported at the
//! top of the file.
//!
//! **Why it matters.** CPL makes both optional, but clarvynn 0.3.1's runtime
//! (`LocalPolicyCache`, used by its span processor and `clarvynn test`) refuses a policy
//! without them: "missing 'version' field", "missing 'service' section". Even the demo
//! policy of clarvynn's own README fails this way (spec/compatibility.md, section 6).
//! clarvynn reads `service` as a mapping, so the help gives the mapping (a string
//! `service` is L357).
//!
//! **Example.**
//!
//! ```yaml
//! # L356 twice: no version, no service
//! sampling:
//!   base_rate: 0.01
//! ```

use cpl_syntax::{codes, Diagnostic};

use super::Context;

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let policy = context.policy;
    if policy.version.is_none() {
        out.push(
            Diagnostic::new(
                &codes::CLARVYNN_REQUIRED_KEY,
                "clarvynn's runtime refuses a policy without `version`",
                0..0,
                "`version` expected in this file",
            )
            .with_help("add `version: 1` at the top of the file"),
        );
    }
    if policy.service.is_none() {
        out.push(
            Diagnostic::new(
                &codes::CLARVYNN_REQUIRED_KEY,
                "clarvynn's runtime refuses a policy without `service`",
                0..0,
                "`service` expected in this file",
            )
            .with_help(
                "add `service: {name: my-service, namespace: production}` at the top of the file, with your service's name and environment",
            ),
        );
    }
}
