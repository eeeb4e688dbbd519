//! ## L313 misspelt-attribute (warning)
//!
//! **What it finds.** An attribute key that the OpenTelemetry semantic conventions do
//! not define but that is one edit (two for a key of 16 characters or more) from a key
//! they define: `http.rout` (→ `http.route`), `url.pth` (→ `url.path`),
//! `http.reponse.status_code`, `db.sytem`, `resource.service.nmae` (→
//! `resource.service.name`), also inside `attributes["…"]` and in `tenants.attribute`.
//! An edit is a character inserted, deleted or replaced, or two adjacent characters
//! swapped; letters compare case-insensitively. The table of registered keys is
//! generated from the semantic-conventions model (spec/fields.md, "Semantic
//! conventions"; `cpl-syntax/data/semconv-attributes.tsv`).
//!
//! **Why it matters.** CPL reads an attribute by its exact key. A misspelt key is
//! missing on every span, so the predicate is false everywhere (spec/missing-values.md)
//! and the rule silently keeps nothing: the mistake clarvynn never reports. Keys that
//! are not close to a registered key (`tenant.id`, `app.tenant`, `x-debug`) are taken
//! as your own and never reported. If a near key is really yours, suppress the finding
//! on that condition (`suppress: {L313: our SDK sets http.rout}`).
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: health
//!       when: "http.rout == '/health'"   # L313: did you mean `http.route`?
//!       action: drop
//! ```

use cpl_syntax::semconv::{self, Deprecation};
use cpl_syntax::{codes, Diagnostic};

use super::{key_uses, misspelt_namespace, nonstandard_attribute, Context};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for key_use in key_uses(context) {
        if nonstandard_attribute::reports(key_use.field, key_use.written)
            || misspelt_namespace::reports(key_use.field)
        {
            continue;
        }
        let Some(meant) = semconv::near_miss(key_use.key) else {
            continue;
        };
        let suggestion = key_use.with_key(meant.key);
        let help = match meant.deprecation {
            Some(Deprecation::RenamedTo(current)) => format!(
                "did you mean `{suggestion}` (renamed `{}` in the current conventions)?",
                key_use.with_key(current)
            ),
            Some(_) => format!("did you mean `{suggestion}` (deprecated in the conventions)?"),
            None => format!("did you mean `{suggestion}`?"),
        };
        out.push(
            Diagnostic::new(
                &codes::MISSPELT_ATTRIBUTE,
                format!(
                    "`{}` is not a semantic-conventions key but `{}` is: a misspelt key is missing on every span",
                    key_use.key, meant.key
                ),
                key_use.span.clone(),
                "not a semantic-conventions key",
            )
            .with_help(help),
        );
    }
}
