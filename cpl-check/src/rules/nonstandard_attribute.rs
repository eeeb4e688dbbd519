//! ## L312 nonstandard-attribute (warning)
//!
//! **What it finds.** An attribute key that no OpenTelemetry instrumentation sets under
//! that name, with the name that carries the value: `http.status` and
//! `http.response_code` (→ `status_code`, read from `http.response.status_code`),
//! `http.path` (→ `path`, `http.route` or `url.path`), `db.type` (→ `db.system.name`),
//! `span.kind` (→ the field `kind`), a `duration` attribute (→ the field `duration`),
//! `service.name` as a *span* attribute (→ `resource.service.name` or `service`), other
//! resource attributes written as span attributes (`k8s.pod.name`,
//! `deployment.environment.name`), span attributes written as resource attributes
//! (`resource.http.route`), and keys with upper-case letters where the convention is
//! lower case (`Http.Route`). The old HTTP conventions (`http.status_code`,
//! `http.method`, `http.url`, `http.target`) are real and not reported here (L314
//! reports them as deprecated). The table names no key of the semantic-conventions
//! registry but `otel.status_code`, which exporters to formats without a span status
//! set and OTLP spans do not carry.
//!
//! **Why it matters.** An attribute nobody sets is missing on every span, so the
//! predicate is false everywhere (spec/missing-values.md) and the rule keeps nothing,
//! silently. Attribute keys are case-sensitive.
//!
//! **Example.**
//!
//! ```yaml
//! sampling:
//!   base_rate: 0.01
//!   conditions:
//!     - name: server_errors
//!       when: "http.status >= 500"   # L312: use status_code (http.response.status_code)
//! ```

use cpl_syntax::ast::FieldKind;
use cpl_syntax::semconv::Deprecation;
use cpl_syntax::{codes, Diagnostic};

use super::{at, predicates, Context};

/// Span attribute keys nobody sets, and what to write instead.
const SPAN_KEYS: &[(&str, &str)] = &[
    (
        "http.status",
        "`status_code` (read from `http.response.status_code`, or the old `http.status_code`)",
    ),
    (
        "http.response_code",
        "`status_code` (read from `http.response.status_code`, or the old `http.status_code`)",
    ),
    (
        "http.response.status",
        "`status_code` (read from `http.response.status_code`)",
    ),
    (
        "http.response.code",
        "`status_code` (read from `http.response.status_code`)",
    ),
    (
        "http.status_text",
        "`status_code` (the numeric `http.response.status_code`)",
    ),
    (
        "http.code",
        "`status_code` (read from `http.response.status_code`)",
    ),
    (
        "http.statuscode",
        "`status_code` (read from `http.response.status_code`)",
    ),
    (
        "response.status_code",
        "`status_code` (read from `http.response.status_code`)",
    ),
    (
        "status.code",
        "the field `status` (`status == ERROR`) or `status_code` for HTTP",
    ),
    ("span.status", "the field `status` (`status == ERROR`)"),
    ("span.status_code", "the field `status` (`status == ERROR`)"),
    ("otel.status_code", "the field `status` (`status == ERROR`)"),
    (
        "http.path",
        "`path` (read from `http.route`, `url.path`, …), or `http.route` / `url.path`",
    ),
    ("http.request.path", "`url.path`, or the field `path`"),
    ("http.endpoint", "`http.route`, or the field `path`"),
    ("url.route", "`http.route`, or the field `path`"),
    ("http.uri", "`url.full`, or the field `path`"),
    ("url", "`url.full`, or the field `path`"),
    ("http.verb", "`method` (read from `http.request.method`)"),
    (
        "http.request_method",
        "`method` (read from `http.request.method`)",
    ),
    (
        "http.request.verb",
        "`method` (read from `http.request.method`)",
    ),
    ("db.type", "`db.system.name` (or the old `db.system`)"),
    ("db.query", "`db.query.text` (or the old `db.statement`)"),
    ("db.sql", "`db.query.text` (or the old `db.statement`)"),
    (
        "grpc.status_code",
        "`rpc.status_code` (or the old `rpc.grpc.status_code`)",
    ),
    ("grpc.method", "`rpc.method`"),
    ("messaging.queue", "`messaging.destination.name`"),
    ("span.kind", "the field `kind` (`kind == SERVER`)"),
    ("span.name", "the field `name`"),
    ("span.duration", "the field `duration` (`duration > 1s`)"),
    ("duration", "the field `duration` (`duration > 1s`)"),
    ("duration_ms", "the field `duration` (`duration > 1s`)"),
    ("http.duration", "the field `duration` (`duration > 1s`)"),
    ("latency", "the field `duration` (`duration > 1s`)"),
    ("trace.id", "the field `trace_id`"),
    ("trace_id", "the field `trace_id`"),
    ("traceid", "the field `trace_id`"),
    ("span.id", "the field `span_id`"),
    ("span_id", "the field `span_id`"),
    ("parent.id", "the field `parent_span_id`"),
    ("parent_id", "the field `parent_span_id`"),
    ("user.identifier", "`user.id`, or the field `user_id`"),
];

/// Resource attribute keys nobody sets (after `resource.`), and what to write instead.
const RESOURCE_KEYS: &[(&str, &str)] = &[
    ("service", "`resource.service.name`, or the field `service`"),
    (
        "service_name",
        "`resource.service.name`, or the field `service`",
    ),
    ("name", "`resource.service.name`, or the field `service`"),
    ("env", "`resource.deployment.environment.name`"),
    ("environment", "`resource.deployment.environment.name`"),
    ("k8s.pod", "`resource.k8s.pod.name`"),
    ("k8s.namespace", "`resource.k8s.namespace.name`"),
    ("host", "`resource.host.name`"),
];

/// Namespaces of resource attributes: as span attributes they are never set.
const RESOURCE_NAMESPACES: &[&str] = &[
    "service.",
    "deployment.",
    "k8s.",
    "cloud.",
    "container.",
    "telemetry.sdk.",
    "host.",
    "os.",
    "process.runtime.",
];

/// Namespaces of span attributes: as resource attributes they are never set.
const SPAN_NAMESPACES: &[&str] = &[
    "http.",
    "url.",
    "db.",
    "rpc.",
    "messaging.",
    "net.",
    "server.",
    "client.",
    "network.",
    "exception.",
    "user.",
    "enduser.",
];

pub(super) fn check(context: &Context<'_>, out: &mut Vec<Diagnostic>) {
    for entry in &context.entries {
        let when = &entry.condition.when;
        for predicate in predicates(&when.expr) {
            let field = &predicate.field.kind;
            let Some((why, instead)) = finding(field, super::written(when, predicate.field.span))
            else {
                continue;
            };
            out.push(
                Diagnostic::new(
                    &codes::NONSTANDARD_ATTRIBUTE,
                    format!("{why}: `{field}` is missing on every span"),
                    at(when, predicate.field.span),
                    "not an OpenTelemetry attribute key",
                )
                .with_help(format!("use {instead}")),
            );
        }
    }
}

/// The key the semantic conventions renamed `key` to, else `key`.
fn current_key(key: &str) -> &str {
    match cpl_syntax::semconv::attribute(key).and_then(|a| a.deprecation) {
        Some(Deprecation::RenamedTo(current)) => current,
        _ => key,
    }
}

/// Whether this rule reports `field` (written as `written`): L313 and L314 then do not.
pub(super) fn reports(field: &FieldKind, written: &str) -> bool {
    finding(field, written).is_some()
}

fn finding(field: &FieldKind, written: &str) -> Option<(String, String)> {
    match field {
        FieldKind::SpanAttribute(key) => {
            // `attributes["duration"]` spells out that the attribute is meant, except
            // for the names the catalog reads anyway.
            let quoted = written.to_ascii_lowercase().starts_with("attributes");
            if let Some((_, instead)) = SPAN_KEYS.iter().find(|(k, _)| k == key) {
                if !quoted || matches!(key.as_str(), "duration" | "duration_ms") {
                    return Some((
                        format!("no instrumentation sets the span attribute `{key}`"),
                        (*instead).to_owned(),
                    ));
                }
            }
            if RESOURCE_NAMESPACES.iter().any(|ns| key.starts_with(ns)) {
                return Some((
                    format!("`{key}` is a resource attribute, not a span attribute"),
                    format!(
                        "`resource.{}`{}",
                        current_key(key),
                        if key == "service.name" {
                            ", or the field `service`"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            let lower = key.to_ascii_lowercase();
            if lower != *key
                && !quoted
                && (SPAN_NAMESPACES.iter().any(|ns| lower.starts_with(ns))
                    || SPAN_KEYS.iter().any(|(k, _)| *k == lower))
            {
                return Some((
                    format!("attribute keys are case-sensitive and `{key}` is not lower case"),
                    format!("`{lower}`"),
                ));
            }
            None
        }
        FieldKind::ResourceAttribute(key) => {
            if let Some((_, instead)) = RESOURCE_KEYS.iter().find(|(k, _)| k == key) {
                return Some((
                    format!("no SDK sets the resource attribute `{key}`"),
                    (*instead).to_owned(),
                ));
            }
            if SPAN_NAMESPACES.iter().any(|ns| key.starts_with(ns)) {
                return Some((
                    format!("`{key}` is a span attribute, not a resource attribute"),
                    format!(
                        "`{}`",
                        FieldKind::SpanAttribute(current_key(key).to_owned())
                    ),
                ));
            }
            None
        }
        FieldKind::Builtin(_) | FieldKind::TraceState(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A registered key is the business of L313/L314, never of this table.
    #[test]
    fn the_table_names_no_registered_key() {
        for (key, _) in SPAN_KEYS {
            let registered = cpl_syntax::semconv::attribute(key).is_some();
            assert!(
                !registered || *key == "otel.status_code",
                "{key} is registered"
            );
        }
        for (key, _) in RESOURCE_KEYS {
            assert!(
                cpl_syntax::semconv::attribute(key).is_none(),
                "{key} is registered"
            );
        }
    }
}
