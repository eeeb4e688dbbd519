//! Decoding one OTLP/JSON document (a `TracesData` / `ExportTraceServiceRequest`)
//! into [`Span`]s, per the opentelemetry-proto "JSON Protobuf Encoding".
//!
//! It is separate from the framing in `reader` so that a caller can split the
//! input into documents itself and decode them in parallel ([`decode_document`]
//! is a pure function of its bytes).
//!
//! The decoder goes straight from JSON to the span type through serde visitors:
//! no `serde_json::Value` tree, object keys are matched as borrowed strings, and
//! every string is allocated once, where it is stored. Each span is first
//! delimited as a borrowed `RawValue`, which gives its exact encoded size for
//! byte accounting, and is then decoded from that slice.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::model::{AnyValue, KeyValue, Resource, Span, SpanId, SpanKind, StatusCode, TraceId};

/// What is wrong with a document (or, for the reader, a line or the input).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum ErrorKind {
    /// Not well-formed JSON or protobuf (including invalid UTF-8 inside
    /// strings, and protobuf nested deeper than 100 messages), or binary input
    /// that is neither.
    Syntax,
    /// The input ends inside a JSON value or a length-prefixed record: a
    /// truncated file or line.
    Truncated,
    /// Well-formed JSON that does not follow the OTLP/JSON schema: a value of
    /// the wrong type, a duplicate field, an `AnyValue` with two values, bad
    /// base64, an out-of-range number or enum, a snake_case proto field name.
    Schema,
    /// A `traceId`, `spanId` or `parentSpanId` that is missing, empty, of the
    /// wrong length, not hex (e.g. base64), or all zeros.
    InvalidId,
    /// An enum (`kind`, `status.code`) written as its name; OTLP/JSON requires integers.
    EnumName,
    /// A JSON object without `resourceSpans` (nor logs/metrics/profiles), or a
    /// root that is not an object: not a trace document.
    NotTraces,
    /// A line or document larger than the reader's limit.
    TooLarge,
    /// Reading or decompressing the input failed.
    Io,
    /// The input has no bytes at all.
    Empty,
}

impl ErrorKind {
    /// Every kind, in order.
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Syntax,
        ErrorKind::Truncated,
        ErrorKind::Schema,
        ErrorKind::InvalidId,
        ErrorKind::EnumName,
        ErrorKind::NotTraces,
        ErrorKind::TooLarge,
        ErrorKind::Io,
        ErrorKind::Empty,
    ];

    /// A short snake_case name, for reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Truncated => "truncated",
            ErrorKind::Schema => "schema",
            ErrorKind::InvalidId => "invalid_id",
            ErrorKind::EnumName => "enum_name",
            ErrorKind::NotTraces => "not_traces",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Io => "io",
            ErrorKind::Empty => "empty",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a document could not be decoded, and where.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DecodeError {
    /// The class of problem.
    pub kind: ErrorKind,
    /// A human-readable description, without the position.
    pub message: String,
    /// 1-based line inside the document (0 if unknown).
    pub line: u64,
    /// 1-based byte column inside that line (0 if unknown).
    pub column: u64,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.message, self.line, self.column
        )
    }
}

impl std::error::Error for DecodeError {}

/// A telemetry signal other than traces.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Signal {
    /// `resourceLogs`.
    Logs,
    /// `resourceMetrics`.
    Metrics,
    /// `resourceProfiles`.
    Profiles,
}

/// What a successfully decoded document held.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Document {
    /// A trace document; this many spans were appended.
    Traces {
        /// Spans decoded (possibly 0).
        spans: usize,
    },
    /// A document of another signal (`resourceLogs`, ...), to be skipped.
    Other(Signal),
}

/// Decodes one OTLP/JSON trace document into its spans.
///
/// Documents of other signals decode to no spans; use [`decode_document_into`]
/// to tell them apart. The spans' `encoded_len` add up to `bytes.len()` when
/// there is at least one span.
pub fn decode_document(bytes: &[u8]) -> Result<Vec<Span>, DecodeError> {
    let mut out = Vec::new();
    decode_document_into(bytes, &mut out)?;
    Ok(out)
}

/// Decodes one OTLP/JSON document, appending its spans to `out`.
///
/// On error nothing is appended: a document is decoded whole or not at all.
pub fn decode_document_into(bytes: &[u8], out: &mut Vec<Span>) -> Result<Document, DecodeError> {
    let start = out.len();
    let result = decode_inner(bytes, out);
    if result.is_err() {
        out.truncate(start);
    }
    result
}

fn decode_inner(bytes: &[u8], out: &mut Vec<Span>) -> Result<Document, DecodeError> {
    let json = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bom = bytes.len() - json.len();
    LAST_KIND.set(None);
    let doc: DocWire<'_> = serde_json::from_slice(json).map_err(|e| from_serde(&e, None))?;
    let Some(resource_spans) = doc.resource_spans else {
        if let Some(signal) = doc.signal {
            return Ok(Document::Other(signal));
        }
        let (line, column) = first_value_position(json);
        return Err(DecodeError {
            kind: ErrorKind::NotTraces,
            message: not_traces_message(&doc.keys),
            line,
            column,
        });
    };

    let n: usize = resource_spans
        .iter()
        .flat_map(|rs| rs.scope_spans.iter().flatten())
        .map(|ss| ss.spans.as_ref().map_or(0, Vec::len))
        .sum();
    if n == 0 {
        return Ok(Document::Traces { spans: 0 });
    }
    out.reserve(n);
    let raw_total: usize = resource_spans
        .iter()
        .flat_map(|rs| rs.scope_spans.iter().flatten())
        .flat_map(|ss| ss.spans.iter().flatten())
        .map(|raw| raw.get().len())
        .sum();
    // Everything that is not inside a span object (envelope, resource, scope,
    // separators, line terminator) is shared evenly; see the module doc.
    let overhead = (json.len() + bom).saturating_sub(raw_total);
    let base = (overhead / n) as u64;
    let mut extra = overhead % n;

    for rs in resource_spans {
        let resource = Arc::new(Resource {
            attributes: rs
                .resource
                .and_then(|r| r.attributes)
                .map(|a| a.0)
                .unwrap_or_default(),
        });
        for ss in rs.scope_spans.into_iter().flatten() {
            for raw in ss.spans.into_iter().flatten() {
                let text = raw.get();
                LAST_KIND.set(None);
                let wire: SpanWire =
                    serde_json::from_str(text).map_err(|e| from_serde(&e, Some((json, text))))?;
                let mut encoded_len = text.len() as u64 + base;
                if extra > 0 {
                    encoded_len += 1;
                    extra -= 1;
                }
                out.push(wire.into_span(&resource, encoded_len).map_err(|msg| {
                    let (line, column) = position_of(json, offset_in(json, text));
                    DecodeError {
                        kind: ErrorKind::InvalidId,
                        message: msg.to_owned(),
                        line,
                        column,
                    }
                })?);
            }
        }
    }
    Ok(Document::Traces { spans: n })
}

fn not_traces_message(keys: &[String]) -> String {
    let hint = if keys.iter().any(|k| k == "result") {
        "; it has \"result\": a response wrapper (e.g. Jaeger api/v3), not a bare TracesData"
    } else if keys.iter().any(|k| k == "batches") {
        "; it has \"batches\": a Tempo Trace message, not a TracesData"
    } else {
        ""
    };
    let mut shown: Vec<String> = keys.iter().take(5).map(|k| format!("{k:?}")).collect();
    if keys.len() > 5 {
        shown.push("...".to_owned());
    }
    let found = if shown.is_empty() {
        "no keys".to_owned()
    } else {
        format!("keys {}", shown.join(", "))
    };
    format!(
        "not an OTLP/JSON trace document: no \"resourceSpans\" (nor resourceLogs/resourceMetrics), found {found}{hint}"
    )
}

thread_local! {
    /// The kind of the custom error most recently raised by a visitor on this
    /// thread; serde_json errors cannot carry it themselves.
    static LAST_KIND: Cell<Option<ErrorKind>> = const { Cell::new(None) };
}

fn fail<E: de::Error>(kind: ErrorKind, msg: impl fmt::Display) -> E {
    LAST_KIND.set(Some(kind));
    E::custom(msg)
}

/// Converts a serde_json error; `inner` is `(document, span text)` when the
/// error comes from decoding one span's slice, whose positions are relative.
fn from_serde(e: &serde_json::Error, inner: Option<(&[u8], &str)>) -> DecodeError {
    use serde_json::error::Category;
    let kind = LAST_KIND.take().unwrap_or(match e.classify() {
        Category::Io => ErrorKind::Io,
        Category::Syntax => ErrorKind::Syntax,
        Category::Data => ErrorKind::Schema,
        Category::Eof => ErrorKind::Truncated,
    });
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    let (line, column) = match inner {
        None => (e.line() as u64, e.column() as u64),
        Some((doc, text)) => {
            let rel = index_of(text.as_bytes(), e.line(), e.column());
            position_of(doc, offset_in(doc, text) + rel)
        }
    };
    DecodeError {
        kind,
        message,
        line,
        column,
    }
}

/// Byte offset of `text` inside `doc` (it is a sub-slice of it).
fn offset_in(doc: &[u8], text: &str) -> usize {
    (text.as_ptr() as usize).saturating_sub(doc.as_ptr() as usize)
}

/// The 0-based byte index of serde_json's 1-based (line, column) in `text`.
fn index_of(text: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match memchr::memchr(b'\n', &text[start..]) {
            Some(i) => start += i + 1,
            None => break,
        }
    }
    (start + column.saturating_sub(1)).min(text.len())
}

/// 1-based (line, column) of byte `index` in `doc`.
fn position_of(doc: &[u8], index: usize) -> (u64, u64) {
    let before = &doc[..index.min(doc.len())];
    let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, (before.len() - line_start) as u64 + 1)
}

fn first_value_position(doc: &[u8]) -> (u64, u64) {
    let i = doc
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    position_of(doc, i)
}

// ---------------------------------------------------------------------------
// Document envelope

struct DocWire<'a> {
    resource_spans: Option<Vec<ResourceSpansWire<'a>>>,
    signal: Option<Signal>,
    /// Other top-level keys, for the error message of a non-trace document.
    keys: Vec<String>,
}

enum DocField {
    ResourceSpans,
    Signal(Signal),
    Other(String),
}

impl<'de> Deserialize<'de> for DocField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DocField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DocField, E> {
                Ok(match v {
                    "resourceSpans" => DocField::ResourceSpans,
                    "resourceLogs" => DocField::Signal(Signal::Logs),
                    "resourceMetrics" => DocField::Signal(Signal::Metrics),
                    "resourceProfiles" => DocField::Signal(Signal::Profiles),
                    other => DocField::Other(other.to_owned()),
                })
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for DocWire<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = DocWire<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an OTLP/JSON document (a JSON object with \"resourceSpans\")")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DocWire<'a>, A::Error> {
                let mut doc = DocWire {
                    resource_spans: None,
                    signal: None,
                    keys: Vec::new(),
                };
                while let Some(field) = map.next_key::<DocField>()? {
                    match field {
                        DocField::ResourceSpans => {
                            if doc.resource_spans.is_some() {
                                return Err(fail(
                                    ErrorKind::Schema,
                                    "duplicate field `resourceSpans`",
                                ));
                            }
                            let v: Option<Vec<ResourceSpansWire<'a>>> = map.next_value()?;
                            doc.resource_spans = Some(v.unwrap_or_default());
                        }
                        DocField::Signal(s) => {
                            map.next_value::<IgnoredAny>()?;
                            doc.signal.get_or_insert(s);
                        }
                        DocField::Other(k) => {
                            if k == "resource_spans" {
                                return Err(fail(
                                    ErrorKind::Schema,
                                    "snake_case key \"resource_spans\": OTLP/JSON keys must be lowerCamelCase (\"resourceSpans\")",
                                ));
                            }
                            map.next_value::<IgnoredAny>()?;
                            doc.keys.push(k);
                        }
                    }
                }
                Ok(doc)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<DocWire<'a>, A::Error> {
                Err(not_object("an array"))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<DocWire<'a>, E> {
                Err(not_object("a string"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<DocWire<'a>, E> {
                Err(not_object("a boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<DocWire<'a>, E> {
                Err(not_object("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<DocWire<'a>, E> {
                Err(not_object("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<DocWire<'a>, E> {
                Err(not_object("a number"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<DocWire<'a>, E> {
                Err(not_object("null"))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

fn not_object<E: de::Error>(what: &str) -> E {
    fail(
        ErrorKind::NotTraces,
        format_args!("not an OTLP/JSON trace document: the root is {what}, not an object"),
    )
}

/// A field that must not appear: a snake_case proto field name.
struct SnakeKey;

impl<'de> Deserialize<'de> for SnakeKey {
    fn deserialize<D: Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(fail(
            ErrorKind::Schema,
            "snake_case proto field name: OTLP/JSON keys must be lowerCamelCase (e.g. \"scopeSpans\", \"traceId\", \"stringValue\")",
        ))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpansWire<'a> {
    resource: Option<ResourceWire>,
    /// `instrumentationLibrarySpans` is the pre-1.0 OTLP name of `scopeSpans`.
    #[serde(borrow, alias = "instrumentationLibrarySpans")]
    scope_spans: Option<Vec<ScopeSpansWire<'a>>>,
    #[serde(rename = "scope_spans")]
    _snake: Option<SnakeKey>,
}

#[derive(Deserialize)]
struct ResourceWire {
    attributes: Option<Attributes>,
}

#[derive(Deserialize)]
struct ScopeSpansWire<'a> {
    #[serde(borrow)]
    spans: Option<Vec<&'a RawValue>>,
}

// ---------------------------------------------------------------------------
// Span

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpanWire {
    trace_id: Option<TraceIdField>,
    span_id: Option<SpanIdField>,
    parent_span_id: Option<ParentIdField>,
    name: Option<String>,
    kind: Option<Kind>,
    start_time_unix_nano: Option<U64>,
    end_time_unix_nano: Option<U64>,
    attributes: Option<Attributes>,
    status: Option<StatusWire>,
    #[serde(rename = "trace_id")]
    _snake1: Option<SnakeKey>,
    #[serde(rename = "span_id")]
    _snake2: Option<SnakeKey>,
    #[serde(rename = "start_time_unix_nano")]
    _snake3: Option<SnakeKey>,
}

#[derive(Deserialize)]
struct StatusWire {
    code: Option<Code>,
}

impl SpanWire {
    fn into_span(self, resource: &Arc<Resource>, encoded_len: u64) -> Result<Span, &'static str> {
        let trace_id = self.trace_id.ok_or("span has no traceId")?.0;
        let span_id = self.span_id.ok_or("span has no spanId")?.0;
        Ok(Span {
            trace_id,
            span_id,
            parent_span_id: self.parent_span_id.and_then(|p| p.0),
            name: self.name.unwrap_or_default(),
            kind: self.kind.map_or(SpanKind::Unspecified, |k| k.0),
            start_time_unix_nano: self.start_time_unix_nano.map_or(0, |t| t.0),
            end_time_unix_nano: self.end_time_unix_nano.map_or(0, |t| t.0),
            status: self
                .status
                .and_then(|s| s.code)
                .map_or(StatusCode::Unset, |c| c.0),
            attributes: self.attributes.map(|a| a.0).unwrap_or_default(),
            resource: Arc::clone(resource),
            encoded_len,
        })
    }
}

/// At most 40 bytes of `s`, for error messages.
fn shorten(s: &str) -> String {
    if s.len() <= 40 {
        return s.to_owned();
    }
    let mut end = 40;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// Parses a hex id of `N` bytes for `field`; `None` for the empty string.
fn parse_id<E: de::Error, const N: usize>(v: &str, field: &str) -> Result<Option<[u8; N]>, E> {
    if v.is_empty() {
        return Ok(None);
    }
    let mut out = [0u8; N];
    if crate::model::decode_hex_into(v.as_bytes(), &mut out) {
        return Ok(Some(out));
    }
    let looks_base64 = v.len() == (4 * N).div_ceil(3).next_multiple_of(4)
        || v.bytes().any(|b| matches!(b, b'+' | b'/' | b'='));
    let hint = if looks_base64 {
        " (it looks like base64; OTLP/JSON ids are hex)"
    } else {
        ""
    };
    let what = if v.len() == 2 * N {
        "is not hex"
    } else {
        "has the wrong length"
    };
    Err(fail(
        ErrorKind::InvalidId,
        format_args!(
            "{field} {:?} {what}: expected {} hex digits, got {} characters{hint}",
            shorten(v),
            2 * N,
            v.chars().count()
        ),
    ))
}

/// Declares an id field type whose visitor applies `$check` to the parsed id.
macro_rules! id_field {
    ($ty:ident, $n:literal, $field:literal, $out:ty, $check:expr) => {
        struct $ty($out);

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "{} as {} hex digits", $field, 2 * $n)
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<$ty, E> {
                        let id: Option<[u8; $n]> = parse_id(v, $field)?;
                        let check: fn(Option<[u8; $n]>) -> Result<$out, &'static str> = $check;
                        check(id)
                            .map($ty)
                            .map_err(|m| fail(ErrorKind::InvalidId, m))
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}

id_field!(TraceIdField, 16, "traceId", TraceId, |id| match id {
    None => Err("traceId is empty"),
    Some(b) if b == [0; 16] => Err("traceId is all zeros (an invalid id)"),
    Some(b) => Ok(TraceId(b)),
});
id_field!(SpanIdField, 8, "spanId", SpanId, |id| match id {
    None => Err("spanId is empty"),
    Some(b) if b == [0; 8] => Err("spanId is all zeros (an invalid id)"),
    Some(b) => Ok(SpanId(b)),
});
// "" and all zeros both mean "no parent".
id_field!(ParentIdField, 8, "parentSpanId", Option<SpanId>, |id| Ok(
    id.filter(|b| *b != [0; 8]).map(SpanId)
));

// ---------------------------------------------------------------------------
// Scalars: int64/uint64 as string or number, enums as integers only.

/// Accepts an integral f64 (e.g. `1e9`) as an integer within `[lo, hi)`.
#[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
fn integral(v: f64, lo: f64, hi: f64) -> Option<i128> {
    (v.fract() == 0.0 && v >= lo && v < hi).then_some(v as i128)
}

struct U64(u64);

impl<'de> Deserialize<'de> for U64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = U64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a uint64 as a decimal string or a number")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<U64, E> {
                Ok(U64(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<U64, E> {
                u64::try_from(v)
                    .map(U64)
                    .map_err(|_| fail(ErrorKind::Schema, format_args!("negative uint64 {v}")))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<U64, E> {
                integral(v, 0.0, u64::MAX as f64)
                    .and_then(|i| u64::try_from(i).ok())
                    .map(U64)
                    .ok_or_else(|| fail(ErrorKind::Schema, format_args!("{v} is not a uint64")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<U64, E> {
                match v.parse::<u64>() {
                    Ok(n) => Ok(U64(n)),
                    Err(_) => match v.parse::<f64>() {
                        Ok(f) if f.is_finite() => self.visit_f64(f),
                        _ => Err(fail(
                            ErrorKind::Schema,
                            format_args!("{:?} is not a uint64", shorten(v)),
                        )),
                    },
                }
            }
        }
        d.deserialize_any(V)
    }
}

struct I64(i64);

impl<'de> Deserialize<'de> for I64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = I64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an int64 as a decimal string or a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<I64, E> {
                Ok(I64(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<I64, E> {
                i64::try_from(v)
                    .map(I64)
                    .map_err(|_| fail(ErrorKind::Schema, format_args!("{v} overflows int64")))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<I64, E> {
                integral(v, i64::MIN as f64, i64::MAX as f64)
                    .and_then(|i| i64::try_from(i).ok())
                    .map(I64)
                    .ok_or_else(|| fail(ErrorKind::Schema, format_args!("{v} is not an int64")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<I64, E> {
                match v.parse::<i64>() {
                    Ok(n) => Ok(I64(n)),
                    Err(_) => match v.parse::<f64>() {
                        Ok(f) if f.is_finite() => self.visit_f64(f),
                        _ => Err(fail(
                            ErrorKind::Schema,
                            format_args!("{:?} is not an int64", shorten(v)),
                        )),
                    },
                }
            }
        }
        d.deserialize_any(V)
    }
}

struct F64(f64);

impl<'de> Deserialize<'de> for F64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = F64;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a double as a number or \"NaN\"/\"Infinity\"/\"-Infinity\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<F64, E> {
                Ok(F64(v))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<F64, E> {
                Ok(F64(v as f64))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<F64, E> {
                Ok(F64(v as f64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<F64, E> {
                match v {
                    "NaN" => Ok(F64(f64::NAN)),
                    "Infinity" => Ok(F64(f64::INFINITY)),
                    "-Infinity" => Ok(F64(f64::NEG_INFINITY)),
                    _ => v.parse::<f64>().map(F64).map_err(|_| {
                        fail(
                            ErrorKind::Schema,
                            format_args!("{:?} is not a double", shorten(v)),
                        )
                    }),
                }
            }
        }
        d.deserialize_any(V)
    }
}

const SPAN_KIND_NAMES: [&str; 6] = [
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER",
];
const STATUS_CODE_NAMES: [&str; 3] = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

fn enum_name_error<E: de::Error>(field: &str, names: &[&str], v: &str) -> E {
    let hint = match names.iter().position(|n| *n == v) {
        Some(i) => format!(" (write {i})"),
        None => String::new(),
    };
    fail(
        ErrorKind::EnumName,
        format_args!(
            "{field} is the enum name {:?}: OTLP/JSON requires the integer value{hint}",
            shorten(v)
        ),
    )
}

/// An enum field: integers only.
fn enum_int<'de, D: Deserializer<'de>>(
    d: D,
    field: &'static str,
    names: &'static [&'static str],
) -> Result<i64, D::Error> {
    struct V {
        field: &'static str,
        names: &'static [&'static str],
    }
    impl Visitor<'_> for V {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "an integer {}", self.field)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            Ok(i64::try_from(v).unwrap_or(i64::MAX))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            Err(enum_name_error(self.field, self.names, v))
        }
    }
    d.deserialize_any(V { field, names })
}

struct Kind(SpanKind);

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = enum_int(d, "kind", &SPAN_KIND_NAMES)?;
        SpanKind::from_i64(v).map(Kind).ok_or_else(|| {
            fail(
                ErrorKind::Schema,
                format_args!("kind {v} is not a SpanKind (0..=5)"),
            )
        })
    }
}

struct Code(StatusCode);

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = enum_int(d, "status.code", &STATUS_CODE_NAMES)?;
        StatusCode::from_i64(v).map(Code).ok_or_else(|| {
            fail(
                ErrorKind::Schema,
                format_args!("status.code {v} is not a StatusCode (0..=2)"),
            )
        })
    }
}

// ---------------------------------------------------------------------------
// Attributes and AnyValue

/// A list of `KeyValue`s, deserialized straight into the model type.
struct Attributes(Vec<KeyValue>);

impl<'de> Deserialize<'de> for Attributes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Attributes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of key-value objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Attributes, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(8).min(64));
                while let Some(kv) = seq.next_element_seed(KeyValueSeed)? {
                    out.push(kv);
                }
                Ok(Attributes(out))
            }
        }
        d.deserialize_seq(V)
    }
}

struct KeyValueSeed;

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum KvField {
    Key,
    Value,
    #[serde(other)]
    Other,
}

impl<'de> de::DeserializeSeed<'de> for KeyValueSeed {
    type Value = KeyValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<KeyValue, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key-value object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<KeyValue, A::Error> {
                let mut key: Option<String> = None;
                let mut value: Option<AnyValue> = None;
                while let Some(f) = map.next_key::<KvField>()? {
                    match f {
                        KvField::Key => {
                            if key.is_some() {
                                return Err(fail(ErrorKind::Schema, "duplicate field `key`"));
                            }
                            key = Some(map.next_value::<Option<String>>()?.unwrap_or_default());
                        }
                        KvField::Value => {
                            if value.is_some() {
                                return Err(fail(ErrorKind::Schema, "duplicate field `value`"));
                            }
                            value = Some(
                                map.next_value::<Option<AnyWire>>()?
                                    .map_or(AnyValue::Empty, |v| v.0),
                            );
                        }
                        KvField::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(KeyValue {
                    key: key.unwrap_or_default(),
                    value: value.unwrap_or_default(),
                })
            }
        }
        d.deserialize_map(V)
    }
}

struct AnyWire(AnyValue);

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum AnyField {
    StringValue,
    BoolValue,
    IntValue,
    DoubleValue,
    BytesValue,
    ArrayValue,
    KvlistValue,
    #[serde(
        rename = "string_value",
        alias = "bool_value",
        alias = "int_value",
        alias = "double_value",
        alias = "bytes_value",
        alias = "array_value",
        alias = "kvlist_value"
    )]
    Snake,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for AnyWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AnyWire;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an AnyValue object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyWire, A::Error> {
                let mut out: Option<AnyValue> = None;
                while let Some(f) = map.next_key::<AnyField>()? {
                    let v = match f {
                        AnyField::StringValue => {
                            map.next_value::<Option<String>>()?.map(AnyValue::String)
                        }
                        AnyField::BoolValue => {
                            map.next_value::<Option<bool>>()?.map(AnyValue::Bool)
                        }
                        AnyField::IntValue => {
                            map.next_value::<Option<I64>>()?.map(|v| AnyValue::Int(v.0))
                        }
                        AnyField::DoubleValue => map
                            .next_value::<Option<F64>>()?
                            .map(|v| AnyValue::Double(v.0)),
                        AnyField::BytesValue => map
                            .next_value::<Option<Bytes>>()?
                            .map(|v| AnyValue::Bytes(v.0)),
                        AnyField::ArrayValue => map
                            .next_value::<Option<ArrayWire>>()?
                            .map(|v| AnyValue::Array(v.values.map(|l| l.0).unwrap_or_default())),
                        AnyField::KvlistValue => map
                            .next_value::<Option<KvListWire>>()?
                            .map(|v| AnyValue::KvList(v.values.map(|l| l.0).unwrap_or_default())),
                        AnyField::Snake => {
                            map.next_value::<SnakeKey>()?;
                            None
                        }
                        AnyField::Other => {
                            map.next_value::<IgnoredAny>()?;
                            None
                        }
                    };
                    if let Some(v) = v {
                        if out.is_some() {
                            return Err(fail(
                                ErrorKind::Schema,
                                "AnyValue has more than one value field",
                            ));
                        }
                        out = Some(v);
                    }
                }
                Ok(AnyWire(out.unwrap_or(AnyValue::Empty)))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
struct ArrayWire {
    values: Option<AnyList>,
}

#[derive(Deserialize)]
struct KvListWire {
    values: Option<Attributes>,
}

struct AnyList(Vec<AnyValue>);

impl<'de> Deserialize<'de> for AnyList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AnyList;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of AnyValue objects")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<AnyList, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
                while let Some(v) = seq.next_element::<AnyWire>()? {
                    out.push(v.0);
                }
                Ok(AnyList(out))
            }
        }
        d.deserialize_seq(V)
    }
}

struct Bytes(Vec<u8>);

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("base64 bytes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Bytes, E> {
                decode_base64(v).map(Bytes).ok_or_else(|| {
                    fail(
                        ErrorKind::Schema,
                        format_args!("bytesValue {:?} is not base64", shorten(v)),
                    )
                })
            }
        }
        d.deserialize_str(V)
    }
}

/// Decodes base64 as proto3 JSON allows it: the standard or the URL-safe
/// alphabet, with or without `=` padding.
pub(crate) fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let b = b
        .strip_suffix(b"==")
        .or_else(|| b.strip_suffix(b"="))
        .unwrap_or(b);
    if b.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &c in b {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits).to_be_bytes()[3]);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
