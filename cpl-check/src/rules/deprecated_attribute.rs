//! ## L314 deprecated-attribute (warning)
//!
//! **What it finds.** An attribute key that the OpenTelemetry semantic conventions
//! deprecate, with its replacement: `http.status_code` (renamed
//! `http.response.status_code`), `http.method` (renamed `http.request.method`),
//! `db.system` (renamed `db.system.name`), `resource.deployment.environment` (renamed
//! `deployment.environment.name`), `http.target` (obsoleted: split into `url.path` and
//! `url.query`). Also inside `attributes["…"]` and in `tenants.attribute`. The
//! deprecations come from the registry generated from the semantic-conventions model
//! (spec/fields.md, "Semantic conventions").
//!
//! **Why it matters.** Instrumentations move to the current keys as they follow the
//! conventions; after an SDK upgrade a condition on the old key stops matching, silently.
//! Where a built-in field reads both the current and the old key (`status_code`,
//! `method`, `path`, `user_id`), the field works before and after. While your
//! instrumentation still sets only the old key, the finding is expected: suppress it on
//! the condition with the reason (`suppress: {L314: our Java agent 1.x sets db.system}`).
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: server_errors
//!       when: "http.status_code >= 500"   # L314: use the field `status_code`
//! ```

use cpl_syntax::ast::FieldKind;
use cpl_syntax::fields::BUILTIN_FIELDS;
use cpl_syntax::semconv::{self, Deprecation};
use cpl_syntax::{codes, Diagnostic};

use super::{key_uses, nonstandard_attribute, Context};

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for key_use in key_uses(context) {
        let Some(deprecation) = semconv::attribute(key_use.key).and_then(|a| a.deprecation) else {
            continue;
        };
        if nonstandard_attribute::reports(key_use.field, key_use.written) {
            continue;
        }
        let field = key_use.field;
        let why = match deprecation {
            Deprecation::RenamedTo(current) => format!(": renamed `{current}`"),
            Deprecation::Obsoleted => ": obsoleted, with no single replacement".to_owned(),
            _ => String::new(),
        };
        // A built-in field that reads this key, as is, and the current one (`path`
        // reads only the path of `http.url`).
        let builtin = match field {
            FieldKind::SpanAttribute(key) if !matches!(key.as_str(), "http.url" | "url.full") => {
                BUILTIN_FIELDS
                    .iter()
                    .find(|(b, _)| b.attribute_sources().contains(&key.as_str()))
            }
            _ => None,
        };
        let help = match (builtin, deprecation) {
            (Some((builtin, name)), _) => {
                let sources: Vec<String> = builtin
                    .attribute_sources()
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect();
                format!(
                    "use the field `{name}`, which reads {}",
                    sources.join(", then ")
                )
            }
            (None, Deprecation::RenamedTo(current)) => format!(
                "read `{}`, and keep `{field}` only while your instrumentation still sets it",
                key_use.with_key(current)
            ),
            _ => "read the key the semantic conventions name in its place".to_owned(),
        };
        out.push(
            Diagnostic::new(
                &codes::DEPRECATED_ATTRIBUTE,
                format!("`{field}` is deprecated in the semantic conventions{why}"),
                key_use.span.clone(),
                "deprecated key",
            )
            .with_help(help),
        );
    }
}
