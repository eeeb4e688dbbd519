//! How the evaluator reads a span: the [`SpanView`] trait.
//!
//! An embedder already has spans in its own type (an SDK's span, a collector's pdata,
//! a replay's decoded record). Converting each one into a crate type before deciding
//! would cost more than the decision, so the evaluator reads spans through this trait
//! instead, and asks only for what the policy uses. The crate implements it for its own
//! [`otlp::Span`](crate::otlp::Span).

use crate::otlp::{self, AnyValue, KeyValue, SpanKind, StatusCode};

/// An attribute value, borrowed from the span.
///
/// These are the only distinctions the language makes (spec/fields.md, "Attribute
/// values"): arrays, key-value lists and byte strings are [`AttrValue::Other`], for
/// which only `exists` is true.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttrValue<'a> {
    /// A string value.
    Str(&'a str),
    /// A 64-bit integer value.
    Int(i64),
    /// A double value (NaN and infinities included).
    Double(f64),
    /// A boolean value.
    Bool(bool),
    /// An array, key-value list or byte string: present, but no comparison matches it.
    Other,
}

/// Read access to one span: what the evaluator needs and nothing more.
///
/// Implement it for your own span type to evaluate it without conversion. The
/// evaluator calls each method at most a few times per evaluation and looks every
/// attribute key up at most once, so a linear scan over a span's attributes is fine.
///
/// The attribute methods must follow the spec's rules for keys: exact, case-sensitive
/// key comparison; the **first** occurrence of a duplicated key counts; and an
/// attribute whose value is not set at all (an OTLP `AnyValue` with no variant) is
/// returned as `None`, as if absent.
pub trait SpanView {
    /// The 16-byte trace id.
    fn trace_id(&self) -> [u8; 16];
    /// The 8-byte span id.
    fn span_id(&self) -> [u8; 8];
    /// The parent span id; `None` for a root span.
    fn parent_span_id(&self) -> Option<[u8; 8]>;
    /// The span name.
    fn name(&self) -> &str;
    /// The span kind ([`SpanKind::Unspecified`] when unset).
    fn kind(&self) -> SpanKind;
    /// The span status code ([`StatusCode::Unset`] when unset).
    fn status(&self) -> StatusCode;
    /// Start time, nanoseconds since the Unix epoch; 0 when unset.
    fn start_time_unix_nano(&self) -> u64;
    /// End time, nanoseconds since the Unix epoch; 0 when unset.
    fn end_time_unix_nano(&self) -> u64;
    /// The span attribute `key`, if present.
    fn attribute(&self, key: &str) -> Option<AttrValue<'_>>;
    /// The resource attribute `key`, if present.
    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>>;
}

impl<T: SpanView + ?Sized> SpanView for &T {
    fn trace_id(&self) -> [u8; 16] {
        (**self).trace_id()
    }
    fn span_id(&self) -> [u8; 8] {
        (**self).span_id()
    }
    fn parent_span_id(&self) -> Option<[u8; 8]> {
        (**self).parent_span_id()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn kind(&self) -> SpanKind {
        (**self).kind()
    }
    fn status(&self) -> StatusCode {
        (**self).status()
    }
    fn start_time_unix_nano(&self) -> u64 {
        (**self).start_time_unix_nano()
    }
    fn end_time_unix_nano(&self) -> u64 {
        (**self).end_time_unix_nano()
    }
    fn attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        (**self).attribute(key)
    }
    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        (**self).resource_attribute(key)
    }
}

impl<'a> AttrValue<'a> {
    /// The view of an OTLP `AnyValue`; `None` for a value with nothing set.
    pub fn from_any(value: &'a AnyValue) -> Option<Self> {
        Some(match value {
            AnyValue::String(text) => AttrValue::Str(text),
            AnyValue::Int(number) => AttrValue::Int(*number),
            AnyValue::Double(number) => AttrValue::Double(*number),
            AnyValue::Bool(flag) => AttrValue::Bool(*flag),
            AnyValue::Bytes(_) | AnyValue::Array(_) | AnyValue::KvList(_) => AttrValue::Other,
            AnyValue::Empty => return None,
        })
    }
}

/// The first attribute with `key`; `None` if there is none or its value is empty.
fn lookup<'a>(attributes: &'a [KeyValue], key: &str) -> Option<AttrValue<'a>> {
    // Comparing lengths first (what `==` on `str` does) rejects most keys without
    // touching their bytes.
    let kv = attributes.iter().find(|kv| kv.key.as_str() == key)?;
    AttrValue::from_any(&kv.value)
}

impl SpanView for otlp::Span {
    fn trace_id(&self) -> [u8; 16] {
        self.trace_id.0
    }
    fn span_id(&self) -> [u8; 8] {
        self.span_id.0
    }
    fn parent_span_id(&self) -> Option<[u8; 8]> {
        self.parent_span_id.map(|id| id.0)
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> SpanKind {
        self.kind
    }
    fn status(&self) -> StatusCode {
        self.status
    }
    fn start_time_unix_nano(&self) -> u64 {
        self.start_time_unix_nano
    }
    fn end_time_unix_nano(&self) -> u64 {
        self.end_time_unix_nano
    }
    fn attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        lookup(&self.attributes, key)
    }
    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        lookup(&self.resource.attributes, key)
    }
}
