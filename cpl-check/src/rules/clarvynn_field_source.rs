//! ## L354 clarvynn-field-source (warning, `--target clarvynn`)
//!
//! **What it finds.** The first use in a policy of a field that clarvynn 0.3.1 reads
//! from other attributes than CPL: `status_code` (clarvynn: `http.status_code` only,
//! else the *span status* as 0, 1 or 2; CPL: `http.response.status_code`, then
//! `http.status_code`), `method` (clarvynn: `http.method` only), `path` (clarvynn:
//! `http.route`, `http.target`, `http.url`, not `url.path` or `url.full`) and `user_id`
//! (clarvynn: an attribute named `user_id` only).
//!
//! **Why it matters.** Current OpenTelemetry instrumentations use the stable HTTP
//! conventions (`http.response.status_code`, `http.request.method`, `url.path`), which
//! clarvynn does not map: on clarvynn, `status_code >= 500` never fires for them
//! (spec/compatibility.md, section 11). Reported once per field.
//!
//! **Example.**
//!
//! ```yaml
//! version: 1
//! service: {name: checkout}
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: server_errors
//!       when: "status_code >= 500"   # L354: clarvynn ignores http.response.status_code
//! ```

use std::collections::HashSet;

use cpl_syntax::ast::FieldKind;
use cpl_syntax::fields::BuiltinField;
use cpl_syntax::{codes, Diagnostic};

use super::{at, predicates, Context};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    for entry in &context.entries {
        let when = &entry.condition.when;
        for predicate in predicates(&when.expr) {
            let FieldKind::Builtin(builtin) = predicate.field.kind else {
                continue;
            };
            let reads = match builtin {
                BuiltinField::StatusCode => "`status_code` from `http.status_code` only, else from the span status (0, 1 or 2); it ignores `http.response.status_code`",
                BuiltinField::Method => "`method` from `http.method` only; it ignores `http.request.method`",
                BuiltinField::Path => "`path` from `http.route`, `http.target` or `http.url`; it ignores `url.path` and `url.full`",
                BuiltinField::UserId => "`user_id` from an attribute named `user_id` only; it ignores `user.id` and `enduser.id`",
                _ => continue,
            };
            if !seen.insert(builtin) {
                continue;
            }
            out.push(
                Diagnostic::new(&codes::CLARVYNN_FIELD_SOURCE, format!("clarvynn reads {reads}"), at(when, predicate.field.span), "read from other attributes in clarvynn")
                    .with_help("check that your instrumentation sets the attribute clarvynn reads, or run the policy on CPL"),
            );
        }
    }
}
