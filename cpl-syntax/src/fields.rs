//! The built-in field catalog (spec/fields.md) and name resolution.
//!
//! A bare name resolves, in this order: a keyword is never a name; a name without
//! dots that equals a catalog field or alias case-insensitively is that field
//! (clarvynn wrote `STATUS_CODE`, `Path`); `resource.<key>` is a resource attribute;
//! anything else is a span attribute by its exact, case-sensitive OTel key.

use crate::ast::FieldKind;

/// The type of a field's values, for checking literals against it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FieldType {
    /// A 64-bit integer (`status_code`).
    Int,
    /// A 64-bit float (an attribute the semantic conventions type `double`).
    Float,
    /// A span duration: compared with a duration literal, or a number of milliseconds.
    Duration,
    /// A UTF-8 string.
    String,
    /// `true` or `false`.
    Bool,
    /// Span kind: `UNSPECIFIED`, `INTERNAL`, `SERVER`, `CLIENT`, `PRODUCER`, `CONSUMER`.
    SpanKind,
    /// Span status: `UNSET`, `OK`, `ERROR`.
    SpanStatus,
    /// An array (an attribute the semantic conventions type `string[]`, `int[]`...):
    /// only `exists` is true for it (spec/fields.md, "Attribute values").
    Array,
    /// An attribute: its type is whatever the span carries.
    Any,
}

/// The fields every span has or derives from well-known attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BuiltinField {
    /// HTTP response status code: `http.response.status_code`, else `http.status_code`.
    StatusCode,
    /// HTTP method: `http.request.method`, else `http.method`.
    Method,
    /// Request path: `http.route`, `url.path`, `http.target`, path of `url.full`, path of `http.url`.
    Path,
    /// End minus start time. `duration_ms` is the same field under its clarvynn name.
    Duration,
    /// clarvynn's `duration_ms`: the same value as `duration`.
    DurationMs,
    /// End user id: `user.id`, else `enduser.id`, else `user_id`.
    UserId,
    /// The span name.
    Name,
    /// The span kind.
    Kind,
    /// The span status code.
    Status,
    /// `status == ERROR`.
    Error,
    /// The trace id, 32 lowercase hex digits.
    TraceId,
    /// The span id, 16 lowercase hex digits.
    SpanId,
    /// The parent span id, absent on root spans.
    ParentSpanId,
    /// `resource.service.name`.
    Service,
    /// Bit 0 (sampled) of the span's W3C trace flags.
    Sampled,
    /// The trace's duration: latest end minus earliest start (trace-level).
    TraceDuration,
    /// The number of spans of the trace (trace-level).
    SpanCount,
}

/// Every built-in field with its canonical name, in catalog order.
pub const BUILTIN_FIELDS: [(BuiltinField, &str); 17] = [
    (BuiltinField::StatusCode, "status_code"),
    (BuiltinField::Method, "method"),
    (BuiltinField::Path, "path"),
    (BuiltinField::Duration, "duration"),
    (BuiltinField::DurationMs, "duration_ms"),
    (BuiltinField::UserId, "user_id"),
    (BuiltinField::Name, "name"),
    (BuiltinField::Kind, "kind"),
    (BuiltinField::Status, "status"),
    (BuiltinField::Error, "error"),
    (BuiltinField::TraceId, "trace_id"),
    (BuiltinField::SpanId, "span_id"),
    (BuiltinField::ParentSpanId, "parent_span_id"),
    (BuiltinField::Service, "service"),
    (BuiltinField::Sampled, "sampled"),
    (BuiltinField::TraceDuration, "trace_duration"),
    (BuiltinField::SpanCount, "span_count"),
];

impl BuiltinField {
    /// The canonical (lowercase) name.
    pub fn name(self) -> &'static str {
        BUILTIN_FIELDS
            .iter()
            .find(|(field, _)| *field == self)
            .map_or("", |(_, name)| name)
    }

    /// The field with this name, compared case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        BUILTIN_FIELDS
            .iter()
            .find(|(_, canonical)| canonical.eq_ignore_ascii_case(name))
            .map(|(field, _)| *field)
    }

    /// The type of the field's values.
    pub fn field_type(self) -> FieldType {
        match self {
            Self::StatusCode | Self::SpanCount => FieldType::Int,
            Self::Duration | Self::DurationMs | Self::TraceDuration => FieldType::Duration,
            Self::Method
            | Self::Path
            | Self::UserId
            | Self::Name
            | Self::TraceId
            | Self::SpanId
            | Self::ParentSpanId
            | Self::Service => FieldType::String,
            Self::Kind => FieldType::SpanKind,
            Self::Status => FieldType::SpanStatus,
            Self::Error | Self::Sampled => FieldType::Bool,
        }
    }

    /// The attribute keys the field reads, in order of preference (empty for fields
    /// that come from the span itself).
    pub fn attribute_sources(self) -> &'static [&'static str] {
        match self {
            Self::StatusCode => &["http.response.status_code", "http.status_code"],
            Self::Method => &["http.request.method", "http.method"],
            Self::Path => &[
                "http.route",
                "url.path",
                "http.target",
                "url.full",
                "http.url",
            ],
            Self::UserId => &["user.id", "enduser.id", "user_id"],
            _ => &[],
        }
    }
}

/// The type of a field's values: the catalog's for a built-in field, the semantic
/// conventions' for a registered attribute (`http.route` is a string), else
/// [`FieldType::Any`] (spec/fields.md, "Semantic conventions").
pub fn field_type(field: &FieldKind) -> FieldType {
    match field {
        FieldKind::Builtin(builtin) => builtin.field_type(),
        FieldKind::SpanAttribute(key) | FieldKind::ResourceAttribute(key) => {
            crate::semconv::attribute(key)
                .and_then(crate::semconv::Attribute::field_type)
                .unwrap_or(FieldType::Any)
        }
        FieldKind::TraceState(_) => FieldType::String,
    }
}

/// Resolves a bare (possibly dotted) name written in an expression.
pub fn resolve_name(name: &str) -> FieldKind {
    if let Some(field) = BuiltinField::from_name(name) {
        return FieldKind::Builtin(field);
    }
    match name.strip_prefix("resource.") {
        Some(key) => FieldKind::ResourceAttribute(key.to_owned()),
        None => FieldKind::SpanAttribute(name.to_owned()),
    }
}

/// Whether `key` is a valid bare dotted name: `[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*`.
pub fn is_plain_dotted_name(key: &str) -> bool {
    let mut segments = key.split('.');
    let Some(first) = segments.next() else {
        return false;
    };
    let first_ok = first
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && first
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    first_ok
        && segments
            .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// Whether the span attribute `key` prints as a bare name that resolves back to itself
/// and loads: a bare key without a dot that is close to a built-in field's name is the
/// loader's E113 (a misspelt field), so that key prints as `attributes["key"]`.
pub(crate) fn reads_as_span_attribute(key: &str) -> bool {
    is_plain_dotted_name(key)
        && crate::lexer::keyword(key).is_none()
        && resolve_name(key) == FieldKind::SpanAttribute(key.to_owned())
        && (key.contains('.')
            || crate::did_you_mean(key, BUILTIN_FIELDS.iter().map(|(_, name)| *name)).is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_names_are_case_insensitive_and_attributes_are_not() {
        assert_eq!(
            resolve_name("STATUS_CODE"),
            FieldKind::Builtin(BuiltinField::StatusCode)
        );
        assert_eq!(resolve_name("Path"), FieldKind::Builtin(BuiltinField::Path));
        assert_eq!(
            resolve_name("http.route"),
            FieldKind::SpanAttribute("http.route".into())
        );
        assert_eq!(
            resolve_name("resource.service.name"),
            FieldKind::ResourceAttribute("service.name".into())
        );
    }

    #[test]
    fn canonical_names_round_trip() {
        for (field, name) in BUILTIN_FIELDS {
            assert_eq!(field.name(), name);
            assert_eq!(BuiltinField::from_name(name), Some(field));
        }
    }
}
