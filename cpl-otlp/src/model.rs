//! The crate's own span type: what the evaluator and `cpl replay` work on.
//!
//! It keeps only what a sampling decision and a replay report need (ids, name,
//! kind, times, status, span and resource attributes, and the input bytes the
//! span stands for), in a shape that is cheap to build and to read: ids are
//! fixed-size byte arrays, enums are one byte, and a resource is decoded once and
//! shared by all spans of its `resourceSpans` entry through an [`Arc`].
//! Events, links, scope, flags and trace state are kept only when asked for
//! ([`Fidelity::Full`]), in [`Span::detail`].

use std::fmt;
use std::sync::Arc;

pub use cpl_eval::{SpanKind, StatusCode};

/// A 16-byte W3C trace id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TraceId(pub [u8; 16]);

impl TraceId {
    /// The sampling randomness of OTEP 235 / W3C Trace Context Level 2: the low
    /// 56 bits of the id, i.e. its last 7 bytes read big-endian.
    pub fn randomness(&self) -> u64 {
        self.0[9..]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    }

    /// Parses 32 hex digits (either case).
    pub fn from_hex(s: &str) -> Option<Self> {
        let mut out = [0u8; 16];
        decode_hex_into(s.as_bytes(), &mut out).then_some(TraceId(out))
    }

    /// True for the all-zero id, which OpenTelemetry and W3C treat as invalid.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }
}

/// An 8-byte span id.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SpanId(pub [u8; 8]);

impl SpanId {
    /// Parses 16 hex digits (either case).
    pub fn from_hex(s: &str) -> Option<Self> {
        let mut out = [0u8; 8];
        decode_hex_into(s.as_bytes(), &mut out).then_some(SpanId(out))
    }

    /// True for the all-zero id, which OpenTelemetry and W3C treat as invalid.
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 8]
    }
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    let mut buf = [0u8; 32];
    for (i, b) in bytes.iter().enumerate() {
        buf[2 * i] = HEX_DIGITS[usize::from(b >> 4)];
        buf[2 * i + 1] = HEX_DIGITS[usize::from(b & 0x0f)];
    }
    // Only ASCII hex digits were written.
    let s = std::str::from_utf8(&buf[..2 * bytes.len()]).map_err(|_| fmt::Error)?;
    f.pad(s)
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

/// Value of each ASCII byte as a hex digit, or 0xff.
const HEX_VALUE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i: u8 = 0;
    while i < 10 {
        t[(b'0' + i) as usize] = i;
        i += 1;
    }
    let mut i: u8 = 0;
    while i < 6 {
        t[(b'a' + i) as usize] = 10 + i;
        t[(b'A' + i) as usize] = 10 + i;
        i += 1;
    }
    t
};

/// Decodes exactly `2 * out.len()` hex digits; false on any other length or a
/// non-hex byte.
pub(crate) fn decode_hex_into(hex: &[u8], out: &mut [u8]) -> bool {
    if hex.len() != 2 * out.len() {
        return false;
    }
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
        let hi = HEX_VALUE[usize::from(pair[0])];
        let lo = HEX_VALUE[usize::from(pair[1])];
        bad |= hi | lo;
        *o = (hi << 4) | (lo & 0x0f);
    }
    // Valid digits are < 16, so any 0xff marker sets the high bits.
    bad & 0xf0 == 0
}

/// An OTLP `AnyValue`.
#[derive(Clone, PartialEq, Debug, Default)]
pub enum AnyValue {
    /// `stringValue`.
    String(String),
    /// `boolValue`.
    Bool(bool),
    /// `intValue` (int64, written as a decimal string or a JSON number).
    Int(i64),
    /// `doubleValue` (a JSON number, or the strings `"NaN"`, `"Infinity"`, `"-Infinity"`).
    Double(f64),
    /// `bytesValue` (base64 in JSON).
    Bytes(Vec<u8>),
    /// `arrayValue.values`.
    Array(Vec<AnyValue>),
    /// `kvlistValue.values`.
    KvList(Vec<KeyValue>),
    /// No value set (`{}`), or the `value` field absent.
    #[default]
    Empty,
}

impl AnyValue {
    /// The string, if this is a `String`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AnyValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is an `Int`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            AnyValue::Int(v) => Some(*v),
            _ => None,
        }
    }

    /// The number, if this is a `Double` or an `Int` (converted).
    #[allow(clippy::cast_precision_loss)]
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            AnyValue::Double(v) => Some(*v),
            AnyValue::Int(v) => Some(*v as f64),
            _ => None,
        }
    }

    /// The boolean, if this is a `Bool`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            AnyValue::Bool(v) => Some(*v),
            _ => None,
        }
    }
}

/// An attribute: an OTLP `KeyValue`.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct KeyValue {
    /// The attribute key, e.g. `http.request.method`.
    pub key: String,
    /// The attribute value.
    pub value: AnyValue,
}

/// Finds the first attribute with `key` (OTLP forbids duplicates; the first wins).
pub(crate) fn find_attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| &kv.value)
}

/// An OTLP `Resource`: the attributes of the process that produced the spans.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Resource {
    /// The resource attributes (`service.name`, `host.name`, ...).
    pub attributes: Vec<KeyValue>,
}

impl Resource {
    /// The value of `key`, if present.
    pub fn attribute(&self, key: &str) -> Option<&AnyValue> {
        find_attribute(&self.attributes, key)
    }

    /// The `service.name` attribute when it is a string.
    pub fn service_name(&self) -> Option<&str> {
        self.attribute("service.name").and_then(AnyValue::as_str)
    }
}

/// One span, as decoded from OTLP/JSON.
#[derive(Clone, PartialEq, Debug)]
pub struct Span {
    /// The trace the span belongs to.
    pub trace_id: TraceId,
    /// The span's own id.
    pub span_id: SpanId,
    /// The parent span, `None` for a root (`parentSpanId` absent, `""` or all zeros).
    pub parent_span_id: Option<SpanId>,
    /// The span name.
    pub name: String,
    /// The span kind.
    pub kind: SpanKind,
    /// Start time, nanoseconds since the Unix epoch.
    pub start_time_unix_nano: u64,
    /// End time, nanoseconds since the Unix epoch.
    pub end_time_unix_nano: u64,
    /// The status code (the status message is in [`Span::detail`], at
    /// [`Fidelity::Full`]).
    pub status: StatusCode,
    /// The span attributes, in input order.
    pub attributes: Vec<KeyValue>,
    /// The resource, shared by every span of one `resourceSpans` entry.
    pub resource: Arc<Resource>,
    /// The input bytes this span stands for; see the byte accounting rule in the
    /// [module documentation](crate#byte-accounting).
    pub encoded_len: u64,
    /// What a policy language other than CPL can read and CPL does not: the
    /// scope, trace state, flags, status message, events and links. `None` unless
    /// the reader was asked to keep it ([`Fidelity::Full`]), so that a CPL replay
    /// pays nothing for it.
    pub detail: Option<Box<SpanDetail>>,
}

/// How much of each span a reader keeps.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Fidelity {
    /// What CPL policies and replay reports read (the default): every field of
    /// [`Span`] except [`Span::detail`], which is `None`.
    #[default]
    Policy,
    /// Everything the OpenTelemetry Collector's `tail_sampling` processor and OTTL
    /// can read, in [`Span::detail`] too.
    Full,
}

/// An OTLP `InstrumentationScope`.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Scope {
    /// `name`, `""` when absent.
    pub name: String,
    /// `version`, `""` when absent.
    pub version: String,
    /// `attributes`, in input order.
    pub attributes: Vec<KeyValue>,
    /// `droppedAttributesCount`.
    pub dropped_attributes_count: u32,
}

/// One span event (`Span.Event`).
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Event {
    /// `timeUnixNano`.
    pub time_unix_nano: u64,
    /// `name`.
    pub name: String,
    /// `attributes`, in input order.
    pub attributes: Vec<KeyValue>,
    /// `droppedAttributesCount`.
    pub dropped_attributes_count: u32,
}

/// One span link (`Span.Link`).
#[derive(Clone, PartialEq, Debug, Default)]
pub struct Link {
    /// The linked trace.
    pub trace_id: TraceId,
    /// The linked span.
    pub span_id: SpanId,
    /// The link's W3C `tracestate`, as written.
    pub trace_state: String,
    /// `attributes`, in input order.
    pub attributes: Vec<KeyValue>,
    /// `droppedAttributesCount`.
    pub dropped_attributes_count: u32,
    /// `flags`.
    pub flags: u32,
}

/// The parts of a span kept only at [`Fidelity::Full`].
#[derive(Clone, PartialEq, Debug, Default)]
pub struct SpanDetail {
    /// The instrumentation scope, shared by every span of one `scopeSpans` entry.
    pub scope: Arc<Scope>,
    /// The resource's `schemaUrl` (of the enclosing `resourceSpans`), `""` when absent.
    pub resource_schema_url: String,
    /// The scope's `schemaUrl` (of the enclosing `scopeSpans`), `""` when absent.
    pub scope_schema_url: String,
    /// The W3C `tracestate` header value, as written (`""` when absent).
    pub trace_state: String,
    /// `flags`: the W3C trace flags in the low 8 bits, and the
    /// `SPAN_FLAGS_CONTEXT_*` bits above them.
    pub flags: u32,
    /// `status.message`, `""` when absent.
    pub status_message: String,
    /// `droppedAttributesCount`.
    pub dropped_attributes_count: u32,
    /// The events, in input order.
    pub events: Vec<Event>,
    /// `droppedEventsCount`.
    pub dropped_events_count: u32,
    /// The links, in input order.
    pub links: Vec<Link>,
    /// `droppedLinksCount`.
    pub dropped_links_count: u32,
}

impl Span {
    /// The value of span attribute `key`, if present (resource attributes are not searched).
    pub fn attribute(&self, key: &str) -> Option<&AnyValue> {
        find_attribute(&self.attributes, key)
    }

    /// `end - start` in nanoseconds, 0 when the end is before the start.
    pub fn duration_nanos(&self) -> u64 {
        self.end_time_unix_nano
            .saturating_sub(self.start_time_unix_nano)
    }

    /// The resource's `service.name`, if it has one.
    pub fn service_name(&self) -> Option<&str> {
        self.resource.service_name()
    }
}
