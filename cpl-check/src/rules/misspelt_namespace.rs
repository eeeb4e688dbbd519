//! ## L311 misspelt-namespace (warning)
//!
//! **What it finds.** A dotted name whose first segment looks like a misspelt namespace:
//! `resouce.service.name`, `Resource.service.name` or `resources.service.name` (meant:
//! the resource attribute `service.name`), or `attributes.http.route`,
//! `span.attributes.http.route`, `attrs.http.route` (meant: the span attribute
//! `http.route`). CPL reads each of these as a span attribute with that exact key.
//!
//! **Why it matters.** Only `resource.` (lower case) selects a resource attribute, and
//! span attributes are written by their key alone (spec/fields.md, "Name resolution").
//! No instrumentation sets a span attribute named `resouce.service.name`, so the
//! predicate is false for every span and the condition never keeps what it should.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: checkout
//!       when: "resouce.service.name == 'checkout'"   # L311: did you mean resource.service.name?
//! ```

use cpl_syntax::ast::FieldKind;
use cpl_syntax::{codes, did_you_mean, Diagnostic};

use super::{at, predicates, Context};

const ATTRIBUTE_WORDS: &[&str] = &["attributes", "attribute", "attrs", "attr", "tags", "labels"];

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let when = &entry.condition.when;
        for predicate in predicates(&when.expr) {
            let Some((meant, what)) = suggestion(&predicate.field.kind) else {
                continue;
            };
            let field = &predicate.field.kind;
            out.push(
                Diagnostic::new(
                    &codes::MISSPELT_NAMESPACE,
                    format!("`{field}` reads the span attribute with that exact key; {what}"),
                    at(when, predicate.field.span),
                    "no instrumentation sets this key",
                )
                .with_help(format!("did you mean `{meant}`?")),
            );
        }
    }
}

/// Whether this rule reports `field`: L313 then does not.
pub(super) fn reports(field: &FieldKind) -> bool {
    suggestion(field).is_some()
}

/// What was probably meant, and why.
fn suggestion(field: &FieldKind) -> Option<(String, String)> {
    match field {
        FieldKind::SpanAttribute(key) => {
            let (first, rest) = key.split_once('.')?;
            if rest.is_empty() {
                return None;
            }
            if first != "resource"
                && (first.eq_ignore_ascii_case("resource")
                    || first.eq_ignore_ascii_case("resources")
                    || did_you_mean(first, ["resource"]).is_some())
            {
                return Some((
                    format!("resource.{rest}"),
                    format!("`{first}` looks like a misspelt `resource` (resource attributes are `resource.` + key, in lower case)"),
                ));
            }
            let lower = first.to_ascii_lowercase();
            let (namespace, key) = if lower == "span" {
                let (second, rest) = rest.split_once('.')?;
                (second.to_ascii_lowercase(), rest)
            } else {
                (lower, rest)
            };
            if ATTRIBUTE_WORDS.contains(&namespace.as_str())
                || did_you_mean(&namespace, ["attributes"]).is_some()
            {
                let meant = FieldKind::SpanAttribute(key.to_owned());
                return Some((
                    meant.to_string(),
                    format!("span attributes are written by their key alone, without a `{first}.` namespace"),
                ));
            }
            None
        }
        FieldKind::ResourceAttribute(key) => {
            let (first, rest) = key.split_once('.')?;
            if ATTRIBUTE_WORDS.contains(&first.to_ascii_lowercase().as_str()) && !rest.is_empty() {
                return Some((
                    format!("resource.{rest}"),
                    format!(
                        "resource attributes are written `resource.` + key, without `{first}.`"
                    ),
                ));
            }
            None
        }
        FieldKind::Builtin(_) | FieldKind::TraceState(_) => None,
    }
}
