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

use crate::dialect::{Deviations, Leniency};
use crate::keys::AttributeKeys;
use crate::model::{
    AnyValue, Event, Fidelity, KeyValue, Link, Resource, Scope, Span, SpanDetail, SpanId, SpanKind,
    StatusCode, TraceId,
};

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
    /// The document's other problems, in document order, at most
    /// [`MAX_PROBLEMS`]` - 1` (see [`decode_document_into`]).
    pub more: Vec<DecodeError>,
    /// Problems found beyond those in `more`, not described.
    pub omitted: u64,
}

/// At most this many problems of one document are described.
pub const MAX_PROBLEMS: usize = 20;

impl DecodeError {
    pub(crate) fn new(kind: ErrorKind, message: String, (line, column): (u64, u64)) -> Self {
        DecodeError {
            kind,
            message,
            line,
            column,
            more: Vec::new(),
            omitted: 0,
        }
    }
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
        /// How the document departs from OTLP/JSON as specified.
        deviations: Deviations,
    },
    /// A document of another signal (`resourceLogs`, ...), to be skipped.
    Other(Signal),
}

/// Decodes one OTLP/JSON trace document into its spans, strictly.
///
/// Documents of other signals decode to no spans; use [`decode_document_into`]
/// to tell them apart. The spans' `encoded_len` add up to `bytes.len()` when
/// there is at least one span.
pub fn decode_document(bytes: &[u8]) -> Result<Vec<Span>, DecodeError> {
    let mut out = Vec::new();
    decode_document_into(bytes, &mut out)?;
    Ok(out)
}

/// Decodes one OTLP/JSON document strictly ([`Leniency::Strict`]), appending
/// its spans to `out`; see [`decode_document_with`].
pub fn decode_document_into(bytes: &[u8], out: &mut Vec<Span>) -> Result<Document, DecodeError> {
    decode_document_with(bytes, out, Leniency::Strict)
}

/// Decodes one trace document, reading the dialects `leniency` allows,
/// appending its spans to `out`.
///
/// On error nothing is appended: a document is decoded whole or not at all.
/// The error describes the first problem and, in [`DecodeError::more`], the
/// document's other problems (up to [`MAX_PROBLEMS`] in all): a rejected
/// document is examined again, field by field, to find them all.
pub fn decode_document_with(
    bytes: &[u8],
    out: &mut Vec<Span>,
    leniency: Leniency,
) -> Result<Document, DecodeError> {
    decode_document_with_fidelity(bytes, out, leniency, Fidelity::Policy)
}

/// Decodes one trace document as [`decode_document_with`] does, keeping what
/// `fidelity` asks for: at [`Fidelity::Full`] each span's [`Span::detail`]
/// (scope, schema URLs, trace state, flags, status message, dropped counts,
/// events and links), whose values are then checked like the rest (a bad one
/// is an error for the whole document); at [`Fidelity::Policy`] those fields
/// are skipped unread, exactly as [`decode_document_with`] does.
pub fn decode_document_with_fidelity(
    bytes: &[u8],
    out: &mut Vec<Span>,
    leniency: Leniency,
    fidelity: Fidelity,
) -> Result<Document, DecodeError> {
    decode_document_keeping(bytes, out, leniency, fidelity, &AttributeKeys::all())
}

/// Decodes one trace document as [`decode_document_with_fidelity`] does, keeping
/// of each span's and resource's attributes at least those `keys` asks for (all
/// of them at [`Fidelity::Full`]). Which documents are accepted, and every error,
/// are the same whatever `keys` says.
pub fn decode_document_keeping(
    bytes: &[u8],
    out: &mut Vec<Span>,
    leniency: Leniency,
    fidelity: Fidelity,
    keys: &AttributeKeys,
) -> Result<Document, DecodeError> {
    let json = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bom = bytes.len() - json.len();
    if fidelity == Fidelity::Policy {
        if let Ok(spans) = crate::fast::decode(json, bom, out, keys) {
            return Ok(Document::Traces {
                spans,
                deviations: Deviations::default(),
            });
        }
    }
    decode_document_serde(bytes, out, leniency, fidelity)
}

/// The serde decoder alone, without the single-pass path of `fast`: every
/// dialect, every problem described.
pub(crate) fn decode_document_serde(
    bytes: &[u8],
    out: &mut Vec<Span>,
    leniency: Leniency,
    fidelity: Fidelity,
) -> Result<Document, DecodeError> {
    let start = out.len();
    let json = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bom = bytes.len() - json.len();
    set_leniency(leniency);
    set_fidelity(fidelity);
    let result = decode_inner(json, bom, out);
    match result {
        Ok(doc) => Ok(doc),
        Err(first) => {
            out.truncate(start);
            Err(crate::problems::all_problems(
                json, leniency, fidelity, first,
            ))
        }
    }
}

fn decode_inner(json: &[u8], bom: usize, out: &mut Vec<Span>) -> Result<Document, DecodeError> {
    LAST_KIND.set(None);
    let doc: DocWire<'_> =
        serde_json::from_slice(json).map_err(|e| end_of_content(from_serde(&e, None), json))?;
    let doc = doc.resolve().map_err(|message| {
        DecodeError::new(ErrorKind::NotTraces, message, first_value_position(json))
    })?;
    let resource_spans = match doc {
        Resolved::Traces(rs) => rs,
        Resolved::Other(signal) => return Ok(Document::Other(signal)),
    };

    let n: usize = resource_spans
        .iter()
        .flat_map(|rs| rs.scope_spans.iter().flatten())
        .map(|ss| ss.spans.as_ref().map_or(0, Vec::len))
        .sum();
    if n == 0 {
        return Ok(Document::Traces {
            spans: 0,
            deviations: seen(),
        });
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

    let full = full();
    for rs in resource_spans {
        let resource = Arc::new(Resource {
            attributes: rs
                .resource
                .and_then(|r| r.attributes)
                .map(|a| a.0)
                .unwrap_or_default(),
        });
        let resource_schema_url = rs.schema_url.unwrap_or_default();
        for ss in rs.scope_spans.into_iter().flatten() {
            let context = full.then(|| ScopeContext {
                scope: Arc::new(ss.scope.unwrap_or_default()),
                resource_schema_url: resource_schema_url.clone(),
                scope_schema_url: ss.schema_url.unwrap_or_default(),
            });
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
                out.push(
                    wire.into_span(&resource, context.as_ref(), encoded_len)
                        .map_err(|msg| {
                            DecodeError::new(
                                ErrorKind::InvalidId,
                                msg.to_owned(),
                                position_of(json, offset_in(json, text)),
                            )
                        })?,
                );
            }
        }
    }
    Ok(Document::Traces {
        spans: n,
        deviations: seen(),
    })
}

/// Why an object is not a trace document: the keys it has, and what it looks
/// like when cpl recognises the shape.
fn not_traces_message(doc: &DocWire<'_>) -> String {
    let keys = &doc.keys;
    let strict = !lenient();
    let hint = if let Some(message) = &doc.error_response {
        format!("; it is an error response: {message:?}")
    } else if strict && keys.iter().any(|k| k == "result") {
        "; it has \"result\": a Jaeger api/v3 response, which only lenient reading accepts (or unwrap it: `jq .result`)".to_owned()
    } else if strict && keys.iter().any(|k| k == "batches") {
        "; it has \"batches\": a Grafana Tempo trace, which only lenient reading accepts".to_owned()
    } else if strict && keys.iter().any(|k| k == "resource_spans") {
        "; it has \"resource_spans\": snake_case proto field names, which only lenient reading accepts".to_owned()
    } else if !keys.is_empty() && doc.test_cases == keys.len() {
        "; it looks like a table of test cases ({name: {\"input\": ...}}), not trace data: extract the inputs to replay, e.g. `jq '.[].input'`".to_owned()
    } else {
        String::new()
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
    if strict {
        format!(
            "not an OTLP/JSON trace document: no \"resourceSpans\" (nor resourceLogs/resourceMetrics), found {found}{hint}"
        )
    } else {
        format!(
            "not trace data in a format cpl reads: no \"resourceSpans\" (OTLP/JSON), \"batches\" (Grafana Tempo) or \"result\" (Jaeger api/v3), found {found}{hint}"
        )
    }
}

thread_local! {
    /// The kind of the custom error most recently raised by a visitor on this
    /// thread; serde_json errors cannot carry it themselves.
    static LAST_KIND: Cell<Option<ErrorKind>> = const { Cell::new(None) };
    /// Whether the document being decoded on this thread is read leniently.
    static LENIENT: Cell<bool> = const { Cell::new(false) };
    /// The deviations seen so far in that document.
    static SEEN: Cell<u8> = const { Cell::new(0) };
    /// Whether the document being decoded on this thread is read at
    /// [`Fidelity::Full`].
    static FULL: Cell<bool> = const { Cell::new(false) };
}

/// Starts a document: sets how much of each span is kept.
pub(crate) fn set_fidelity(fidelity: Fidelity) {
    FULL.set(fidelity == Fidelity::Full);
}

/// Whether the current document is read at [`Fidelity::Full`].
pub(crate) fn full() -> bool {
    FULL.get()
}

/// Starts a document: sets how it is read, forgets what was seen.
pub(crate) fn set_leniency(leniency: Leniency) {
    LENIENT.set(leniency == Leniency::Lenient);
    SEEN.set(0);
}

fn lenient() -> bool {
    LENIENT.get()
}

/// The deviations seen in the current document.
pub(crate) fn seen() -> Deviations {
    Deviations::from_bits(SEEN.get())
}

/// Records `d`, which only lenient reading accepts: an error from `strict` otherwise.
fn deviate<E>(d: Deviations, strict: impl FnOnce() -> E) -> Result<(), E> {
    if lenient() {
        SEEN.set(SEEN.get() | d.bits());
        Ok(())
    } else {
        Err(strict())
    }
}

/// Records `d`, which every reading accepts.
fn note(d: Deviations) {
    SEEN.set(SEEN.get() | d.bits());
}

pub(crate) fn clear_last_kind() {
    LAST_KIND.set(None);
}

fn fail<E: de::Error>(kind: ErrorKind, msg: impl fmt::Display) -> E {
    LAST_KIND.set(Some(kind));
    E::custom(msg)
}

/// Converts a serde_json error; `inner` is `(document, span text)` when the
/// error comes from decoding one span's slice, whose positions are relative.
pub(crate) fn from_serde(e: &serde_json::Error, inner: Option<(&[u8], &str)>) -> DecodeError {
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
    DecodeError::new(kind, message, (line, column))
}

/// Byte offset of `text` inside `doc` (it is a sub-slice of it).
pub(crate) fn offset_in(doc: &[u8], text: &str) -> usize {
    (text.as_ptr() as usize).saturating_sub(doc.as_ptr() as usize)
}

/// A truncated document's error placed where its content ends: serde_json places
/// it at the end of the input, which for a line of JSON Lines is after its line
/// break, column 0 of the next line (a line that is not the broken one).
fn end_of_content(mut error: DecodeError, json: &[u8]) -> DecodeError {
    if error.kind == ErrorKind::Truncated {
        let content = json
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |last| last + 1);
        let end = position_of(json, content);
        if (error.line, error.column) > end {
            (error.line, error.column) = end;
        }
    }
    error
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
pub(crate) fn position_of(doc: &[u8], index: usize) -> (u64, u64) {
    let before = &doc[..index.min(doc.len())];
    let line = memchr::memchr_iter(b'\n', before).count() as u64 + 1;
    let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
    (line, (before.len() - line_start) as u64 + 1)
}

pub(crate) fn first_value_position(doc: &[u8]) -> (u64, u64) {
    let i = doc
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    position_of(doc, i)
}

// ---------------------------------------------------------------------------
// Document envelope

pub(crate) fn snake_message(snake: &str, camel: &str) -> String {
    format!("snake_case key {snake:?}: OTLP/JSON keys must be lowerCamelCase ({camel:?})")
}

/// A snake_case key met in strict reading.
fn snake_error<E: de::Error>(snake: &str, camel: &str) -> E {
    fail(ErrorKind::Schema, snake_message(snake, camel))
}

/// The same field written twice in one object, in one or two spellings.
pub(crate) fn duplicate_message(camel: &str, first: &str, second: &str) -> String {
    if first == second {
        format!("duplicate field `{camel}`")
    } else {
        format!("both `{first}` and `{second}` are given: write the field once")
    }
}

fn duplicate_error<E: de::Error>(camel: &str, first: &str, second: &str) -> E {
    fail(ErrorKind::Schema, duplicate_message(camel, first, second))
}

pub(crate) struct DocWire<'a> {
    /// The spans, and the key they were under.
    resource_spans: Option<(Vec<ResourceSpansWire<'a>>, &'static str)>,
    /// Jaeger api/v3's `{"result": {...}}`.
    result: Option<Box<DocWire<'a>>>,
    signal: Option<Signal>,
    /// Other top-level keys, for the error message of a non-trace document.
    keys: Vec<String>,
    /// `error.message` of an `{"error": {...}}` response.
    error_response: Option<String>,
    /// How many of `keys` hold an object with an `input` key (a test table).
    test_cases: usize,
}

pub(crate) enum Resolved<'a> {
    Traces(Vec<ResourceSpansWire<'a>>),
    Other(Signal),
}

impl<'a> DocWire<'a> {
    /// The document's spans, or what it is instead; the error says why it is
    /// not a trace document.
    pub(crate) fn resolve(self) -> Result<Resolved<'a>, String> {
        if let Some((rs, _)) = self.resource_spans {
            return Ok(Resolved::Traces(rs));
        }
        if let Some(inner) = self.result {
            return inner
                .resolve()
                .map_err(|message| format!("inside \"result\": {message}"));
        }
        if let Some(signal) = self.signal {
            return Ok(Resolved::Other(signal));
        }
        Err(not_traces_message(&self))
    }
}

enum DocField {
    /// `resourceSpans`, or the key lenient reading accepts in its place.
    ResourceSpans(&'static str),
    Result,
    Signal(Signal),
    Error,
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
                    "resourceSpans" => DocField::ResourceSpans("resourceSpans"),
                    "resourceLogs" => DocField::Signal(Signal::Logs),
                    "resourceMetrics" => DocField::Signal(Signal::Metrics),
                    "resourceProfiles" => DocField::Signal(Signal::Profiles),
                    "resource_spans" => {
                        deviate(Deviations::SNAKE_CASE_KEYS, || {
                            snake_error(v, "resourceSpans")
                        })?;
                        DocField::ResourceSpans("resource_spans")
                    }
                    // Strict reading keeps these as unknown keys, so that the
                    // document is refused as not traces, saying what it is.
                    "batches" if lenient() => {
                        note(Deviations::TEMPO_BATCHES);
                        DocField::ResourceSpans("batches")
                    }
                    "result" if lenient() => {
                        note(Deviations::JAEGER_RESULT);
                        DocField::Result
                    }
                    "error" => DocField::Error,
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
                    result: None,
                    signal: None,
                    keys: Vec::new(),
                    error_response: None,
                    test_cases: 0,
                };
                // Which of resourceSpans / resource_spans / batches / result came first.
                let mut container: Option<&'static str> = None;
                let mut check_container = |key: &'static str| {
                    if let Some(first) = container {
                        return Err(duplicate_error::<A::Error>("resourceSpans", first, key));
                    }
                    container = Some(key);
                    Ok(())
                };
                while let Some(field) = map.next_key::<DocField>()? {
                    match field {
                        DocField::ResourceSpans(key) => {
                            check_container(key)?;
                            let v: Option<Vec<ResourceSpansWire<'a>>> = map.next_value()?;
                            doc.resource_spans = Some((v.unwrap_or_default(), key));
                        }
                        DocField::Result => {
                            check_container("result")?;
                            let inner: DocWire<'a> = map.next_value()?;
                            doc.result = Some(Box::new(inner));
                        }
                        DocField::Signal(s) => {
                            map.next_value::<IgnoredAny>()?;
                            doc.signal.get_or_insert(s);
                        }
                        DocField::Error => {
                            doc.error_response = map.next_value::<ErrorBody>()?.0;
                            doc.keys.push("error".to_owned());
                        }
                        DocField::Other(k) => {
                            if map.next_value::<Probe>()?.0 {
                                doc.test_cases += 1;
                            }
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

/// Any JSON value; true when it is an object with an `input` key.
struct Probe(bool);

impl<'de> Deserialize<'de> for Probe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Probe;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Probe, A::Error> {
                let mut input = false;
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    input |= k == "input";
                    map.next_value::<IgnoredAny>()?;
                }
                Ok(Probe(input))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Probe, A::Error> {
                IgnoredAny.visit_seq(seq).map(|_| Probe(false))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Probe, E> {
                Ok(Probe(false))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Probe, E> {
                Ok(Probe(false))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Probe, E> {
                Ok(Probe(false))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Probe, E> {
                Ok(Probe(false))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Probe, E> {
                Ok(Probe(false))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Probe, E> {
                Ok(Probe(false))
            }
        }
        d.deserialize_any(V)
    }
}

/// The `message` of an `{"error": {...}}` response (Jaeger api/v3, grpc-gateway).
struct ErrorBody(Option<String>);

impl<'de> Deserialize<'de> for ErrorBody {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ErrorBody;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ErrorBody, A::Error> {
                let mut message = None;
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if k == "message" {
                        message = map.next_value::<ErrorBody>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(ErrorBody(message))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ErrorBody, A::Error> {
                IgnoredAny.visit_seq(seq).map(|_| ErrorBody(None))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ErrorBody, E> {
                Ok(ErrorBody(Some(shorten(v))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<ErrorBody, E> {
                Ok(ErrorBody(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<ErrorBody, E> {
                Ok(ErrorBody(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<ErrorBody, E> {
                Ok(ErrorBody(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<ErrorBody, E> {
                Ok(ErrorBody(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ErrorBody, E> {
                Ok(ErrorBody(None))
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------
// ResourceSpans and ScopeSpans

pub(crate) struct ResourceSpansWire<'a> {
    resource: Option<ResourceWire>,
    scope_spans: Option<Vec<ScopeSpansWire<'a>>>,
    /// `schemaUrl`, read at [`Fidelity::Full`] only.
    schema_url: Option<String>,
}

pub(crate) enum RsField {
    Resource,
    /// `scopeSpans` or another spelling of it.
    ScopeSpans(&'static str),
    /// `schemaUrl` or `schema_url` (read at [`Fidelity::Full`] only).
    SchemaUrl(&'static str),
    Other,
}

/// The field a `ResourceSpans` key names, and for a snake_case key its
/// lowerCamelCase spelling.
pub(crate) fn resource_spans_field(k: &str) -> (RsField, Option<&'static str>) {
    match k {
        "resource" => (RsField::Resource, None),
        "scopeSpans" => (RsField::ScopeSpans("scopeSpans"), None),
        "instrumentationLibrarySpans" => (RsField::ScopeSpans("instrumentationLibrarySpans"), None),
        "scope_spans" => (RsField::ScopeSpans("scope_spans"), Some("scopeSpans")),
        "instrumentation_library_spans" => (
            RsField::ScopeSpans("instrumentation_library_spans"),
            Some("instrumentationLibrarySpans"),
        ),
        "schemaUrl" => (RsField::SchemaUrl("schemaUrl"), None),
        "schema_url" => (RsField::SchemaUrl("schema_url"), Some("schemaUrl")),
        _ => (RsField::Other, None),
    }
}

impl<'de> Deserialize<'de> for RsField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RsField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RsField, E> {
                let (field, camel) = resource_spans_field(v);
                if matches!(field, RsField::SchemaUrl(_)) && !full() {
                    return Ok(RsField::Other);
                }
                if let Some(camel) = camel {
                    deviate(Deviations::SNAKE_CASE_KEYS, || snake_error(v, camel))?;
                }
                if v.starts_with("instrumentation") {
                    note(Deviations::INSTRUMENTATION_LIBRARY);
                }
                Ok(field)
            }
        }
        d.deserialize_identifier(V)
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ResourceSpansWire<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ResourceSpansWire<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a ResourceSpans object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ResourceSpansWire<'a>, A::Error> {
                let mut resource: Option<Option<ResourceWire>> = None;
                let mut scope_spans: Option<(Option<Vec<ScopeSpansWire<'a>>>, &str)> = None;
                let mut schema_url: Option<(Option<String>, &str)> = None;
                while let Some(field) = map.next_key::<RsField>()? {
                    match field {
                        RsField::Resource => {
                            if resource.is_some() {
                                return Err(duplicate_error("resource", "resource", "resource"));
                            }
                            resource = Some(map.next_value()?);
                        }
                        RsField::ScopeSpans(key) => {
                            if let Some((_, first)) = scope_spans {
                                return Err(duplicate_error("scopeSpans", first, key));
                            }
                            scope_spans = Some((map.next_value()?, key));
                        }
                        RsField::SchemaUrl(key) => {
                            if let Some((_, first)) = schema_url {
                                return Err(duplicate_error("schemaUrl", first, key));
                            }
                            schema_url = Some((map.next_value()?, key));
                        }
                        RsField::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(ResourceSpansWire {
                    resource: resource.flatten(),
                    scope_spans: scope_spans.and_then(|s| s.0),
                    schema_url: schema_url.and_then(|s| s.0),
                })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
pub(crate) struct ResourceWire {
    attributes: Option<Attributes>,
}

pub(crate) struct ScopeSpansWire<'a> {
    spans: Option<Vec<&'a RawValue>>,
    /// `scope` and `schemaUrl`, read at [`Fidelity::Full`] only.
    scope: Option<Scope>,
    schema_url: Option<String>,
}

/// `ScopeSpans` as [`Fidelity::Policy`] reads it: the spans alone, everything
/// else skipped unread.
#[derive(Deserialize)]
struct ScopeSpansPolicy<'a> {
    #[serde(borrow)]
    spans: Option<Vec<&'a RawValue>>,
}

/// The fields of `ScopeSpans` that [`Fidelity::Full`] reads: (lowerCamelCase,
/// snake_case) spellings.
/// `instrumentationLibrary` is the pre-1.0 name of `scope` (beside
/// `instrumentationLibrarySpans`): either may be given, not both.
pub(crate) const SCOPE_SPANS_FIELDS: &[(&str, &str)] = &[
    ("spans", "spans"),
    ("scope", "scope"),
    ("schemaUrl", "schema_url"),
    ("instrumentationLibrary", "instrumentation_library"),
];

impl<'de: 'a, 'a> Deserialize<'de> for ScopeSpansWire<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ScopeSpansWire<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a ScopeSpans object")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ScopeSpansWire<'a>, A::Error> {
                let mut out = ScopeSpansWire {
                    spans: None,
                    scope: None,
                    schema_url: None,
                };
                let mut keys = DetailKeys::new(SCOPE_SPANS_FIELDS);
                // How the scope was spelled, once met.
                let mut scope_key: Option<&'static str> = None;
                while let Some(key) = map.next_key_seed(KeySeed(SCOPE_SPANS_FIELDS))? {
                    let spelled = key.map(|(i, snake)| {
                        let (camel, snake_name) = SCOPE_SPANS_FIELDS[i];
                        if snake {
                            snake_name
                        } else {
                            camel
                        }
                    });
                    match keys.meet(key)? {
                        Some(0) => out.spans = map.next_value()?,
                        Some(i @ (1 | 3)) => {
                            let spelled = spelled.unwrap_or("scope");
                            if let Some(first) = scope_key {
                                return Err(duplicate_error("scope", first, spelled));
                            }
                            scope_key = Some(spelled);
                            if i == 3 {
                                note(Deviations::INSTRUMENTATION_LIBRARY);
                            }
                            out.scope = map.next_value::<Option<ScopeWire>>()?.map(|s| s.0);
                        }
                        Some(2) => out.schema_url = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        if full() {
            d.deserialize_map(V(std::marker::PhantomData))
        } else {
            ScopeSpansPolicy::deserialize(d).map(|p| ScopeSpansWire {
                spans: p.spans,
                scope: None,
                schema_url: None,
            })
        }
    }
}

/// What every span of one `scopeSpans` entry shares at [`Fidelity::Full`].
struct ScopeContext {
    scope: Arc<Scope>,
    resource_schema_url: String,
    scope_schema_url: String,
}

// ---------------------------------------------------------------------------
// Span

/// A span field that the decoder reads; the discriminant is its bit in the
/// duplicate check.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum SpanField {
    TraceId,
    SpanId,
    ParentSpanId,
    Name,
    Kind,
    StartTimeUnixNano,
    EndTimeUnixNano,
    Attributes,
    Status,
    // The fields below are read at `Fidelity::Full` only.
    TraceState,
    Flags,
    DroppedAttributesCount,
    Events,
    DroppedEventsCount,
    Links,
    DroppedLinksCount,
    Other,
}

impl SpanField {
    pub(crate) fn camel(self) -> &'static str {
        match self {
            SpanField::TraceId => "traceId",
            SpanField::SpanId => "spanId",
            SpanField::ParentSpanId => "parentSpanId",
            SpanField::Name => "name",
            SpanField::Kind => "kind",
            SpanField::StartTimeUnixNano => "startTimeUnixNano",
            SpanField::EndTimeUnixNano => "endTimeUnixNano",
            SpanField::Attributes => "attributes",
            SpanField::Status => "status",
            SpanField::TraceState => "traceState",
            SpanField::Flags => "flags",
            SpanField::DroppedAttributesCount => "droppedAttributesCount",
            SpanField::Events => "events",
            SpanField::DroppedEventsCount => "droppedEventsCount",
            SpanField::Links => "links",
            SpanField::DroppedLinksCount => "droppedLinksCount",
            SpanField::Other => "",
        }
    }

    /// Whether the field is one of [`SpanDetail`]'s, read at [`Fidelity::Full`]
    /// only (skipped unread, as an unknown field, at [`Fidelity::Policy`]).
    pub(crate) fn is_detail(self) -> bool {
        (self as u8) >= (SpanField::TraceState as u8) && self != SpanField::Other
    }
}

/// The span field a key names, and whether the key is its snake_case spelling.
pub(crate) fn span_field(k: &str) -> (SpanField, bool) {
    match k {
        "traceId" => (SpanField::TraceId, false),
        "spanId" => (SpanField::SpanId, false),
        "parentSpanId" => (SpanField::ParentSpanId, false),
        "name" => (SpanField::Name, false),
        "kind" => (SpanField::Kind, false),
        "startTimeUnixNano" => (SpanField::StartTimeUnixNano, false),
        "endTimeUnixNano" => (SpanField::EndTimeUnixNano, false),
        "attributes" => (SpanField::Attributes, false),
        "status" => (SpanField::Status, false),
        "trace_id" => (SpanField::TraceId, true),
        "span_id" => (SpanField::SpanId, true),
        "parent_span_id" => (SpanField::ParentSpanId, true),
        "start_time_unix_nano" => (SpanField::StartTimeUnixNano, true),
        "end_time_unix_nano" => (SpanField::EndTimeUnixNano, true),
        "traceState" => (SpanField::TraceState, false),
        "flags" => (SpanField::Flags, false),
        "droppedAttributesCount" => (SpanField::DroppedAttributesCount, false),
        "events" => (SpanField::Events, false),
        "droppedEventsCount" => (SpanField::DroppedEventsCount, false),
        "links" => (SpanField::Links, false),
        "droppedLinksCount" => (SpanField::DroppedLinksCount, false),
        "trace_state" => (SpanField::TraceState, true),
        "dropped_attributes_count" => (SpanField::DroppedAttributesCount, true),
        "dropped_events_count" => (SpanField::DroppedEventsCount, true),
        "dropped_links_count" => (SpanField::DroppedLinksCount, true),
        _ => (SpanField::Other, false),
    }
}

/// A span key as met: the field, and whether it was written in snake_case.
struct SpanKey(SpanField, bool);

impl<'de> Deserialize<'de> for SpanKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SpanKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SpanKey, E> {
                let (field, snake) = span_field(v);
                if field.is_detail() && !full() {
                    return Ok(SpanKey(SpanField::Other, false));
                }
                if snake {
                    deviate(Deviations::SNAKE_CASE_KEYS, || {
                        snake_error(v, field.camel())
                    })?;
                }
                Ok(SpanKey(field, snake))
            }
        }
        d.deserialize_identifier(V)
    }
}

/// The spelling of `field` (snake_case when `snake`), for messages.
pub(crate) fn spelling(field: SpanField, snake: bool) -> String {
    if !snake {
        return field.camel().to_owned();
    }
    let mut out = String::new();
    for c in field.camel().chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[derive(Default)]
pub(crate) struct SpanWire {
    trace_id: Option<TraceIdField>,
    span_id: Option<SpanIdField>,
    parent_span_id: Option<ParentIdField>,
    name: Option<String>,
    kind: Option<Kind>,
    start_time_unix_nano: Option<U64>,
    end_time_unix_nano: Option<U64>,
    attributes: Option<Attributes>,
    status: Option<StatusWire>,
    /// The [`SpanDetail`] fields met (at [`Fidelity::Full`] only).
    detail: Option<Box<DetailWire>>,
}

/// The span fields read at [`Fidelity::Full`] only.
#[derive(Default)]
struct DetailWire {
    trace_state: Option<String>,
    flags: Option<U32>,
    dropped_attributes_count: Option<U32>,
    events: Option<Vec<EventWire>>,
    dropped_events_count: Option<U32>,
    links: Option<Vec<LinkWire>>,
    dropped_links_count: Option<U32>,
}

impl<'de> Deserialize<'de> for SpanWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = SpanWire;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a span object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<SpanWire, A::Error> {
                let mut w = SpanWire::default();
                // Bit i: field i was met; in `snakes`, written in snake_case.
                let mut met = 0u32;
                let mut snakes = 0u32;
                while let Some(SpanKey(field, snake)) = map.next_key()? {
                    if field == SpanField::Other {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    let bit = 1u32 << (field as u32);
                    if met & bit != 0 {
                        let first = spelling(field, snakes & bit != 0);
                        return Err(duplicate_error(
                            field.camel(),
                            &first,
                            &spelling(field, snake),
                        ));
                    }
                    met |= bit;
                    if snake {
                        snakes |= bit;
                    }
                    match field {
                        SpanField::TraceId => w.trace_id = map.next_value()?,
                        SpanField::SpanId => w.span_id = map.next_value()?,
                        SpanField::ParentSpanId => w.parent_span_id = map.next_value()?,
                        SpanField::Name => w.name = map.next_value()?,
                        SpanField::Kind => w.kind = map.next_value()?,
                        SpanField::StartTimeUnixNano => {
                            w.start_time_unix_nano = map.next_value()?;
                        }
                        SpanField::EndTimeUnixNano => w.end_time_unix_nano = map.next_value()?,
                        SpanField::Attributes => w.attributes = map.next_value()?,
                        SpanField::Status => w.status = map.next_value()?,
                        SpanField::Other => {}
                        _ => {
                            let d = w.detail.get_or_insert_with(Box::default);
                            match field {
                                SpanField::TraceState => d.trace_state = map.next_value()?,
                                SpanField::Flags => d.flags = map.next_value()?,
                                SpanField::DroppedAttributesCount => {
                                    d.dropped_attributes_count = map.next_value()?;
                                }
                                SpanField::Events => d.events = map.next_value()?,
                                SpanField::DroppedEventsCount => {
                                    d.dropped_events_count = map.next_value()?;
                                }
                                SpanField::Links => d.links = map.next_value()?,
                                _ => d.dropped_links_count = map.next_value()?,
                            }
                        }
                    }
                }
                Ok(w)
            }
        }
        d.deserialize_map(V)
    }
}

pub(crate) struct StatusWire {
    code: Option<Code>,
    /// `message`, read at [`Fidelity::Full`] only.
    message: Option<String>,
}

/// `Status` as [`Fidelity::Policy`] reads it: the code alone.
#[derive(Deserialize)]
struct StatusPolicy {
    code: Option<Code>,
}

pub(crate) const STATUS_FIELDS: &[(&str, &str)] = &[("code", "code"), ("message", "message")];

impl<'de> Deserialize<'de> for StatusWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StatusWire;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Status object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StatusWire, A::Error> {
                let mut out = StatusWire {
                    code: None,
                    message: None,
                };
                let mut keys = DetailKeys::new(STATUS_FIELDS);
                while let Some(key) = map.next_key_seed(KeySeed(STATUS_FIELDS))? {
                    match keys.meet(key)? {
                        Some(0) => out.code = map.next_value()?,
                        Some(1) => out.message = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        if full() {
            d.deserialize_map(V)
        } else {
            StatusPolicy::deserialize(d).map(|s| StatusWire {
                code: s.code,
                message: None,
            })
        }
    }
}

impl SpanWire {
    fn into_span(
        self,
        resource: &Arc<Resource>,
        context: Option<&ScopeContext>,
        encoded_len: u64,
    ) -> Result<Span, &'static str> {
        let trace_id = self.trace_id.ok_or("span has no traceId")?.0;
        let span_id = self.span_id.ok_or("span has no spanId")?.0;
        let (code, status_message) = match self.status {
            Some(status) => (status.code, status.message),
            None => (None, None),
        };
        let detail = context.map(|context| {
            let d = self.detail.map(|d| *d).unwrap_or_default();
            let count = |c: Option<U32>| c.map_or(0, |c| c.0);
            Box::new(SpanDetail {
                scope: Arc::clone(&context.scope),
                resource_schema_url: context.resource_schema_url.clone(),
                scope_schema_url: context.scope_schema_url.clone(),
                trace_state: d.trace_state.unwrap_or_default(),
                flags: count(d.flags),
                status_message: status_message.unwrap_or_default(),
                dropped_attributes_count: count(d.dropped_attributes_count),
                events: d
                    .events
                    .map(|e| e.into_iter().map(|e| e.0).collect())
                    .unwrap_or_default(),
                dropped_events_count: count(d.dropped_events_count),
                links: d
                    .links
                    .map(|l| l.into_iter().map(|l| l.0).collect())
                    .unwrap_or_default(),
                dropped_links_count: count(d.dropped_links_count),
            })
        });
        Ok(Span {
            trace_id,
            span_id,
            parent_span_id: self.parent_span_id.and_then(|p| p.0),
            name: self.name.unwrap_or_default(),
            kind: self.kind.map_or(SpanKind::Unspecified, |k| k.0),
            start_time_unix_nano: self.start_time_unix_nano.map_or(0, |t| t.0),
            end_time_unix_nano: self.end_time_unix_nano.map_or(0, |t| t.0),
            status: code.map_or(StatusCode::Unset, |c| c.0),
            attributes: self.attributes.map(|a| a.0).unwrap_or_default(),
            resource: Arc::clone(resource),
            encoded_len,
            detail,
        })
    }
}

// ---------------------------------------------------------------------------
// Span detail: the objects read at `Fidelity::Full` only.

/// Finds a key in a table of (lowerCamelCase, snake_case) field spellings:
/// the field's index and whether it was written in snake_case.
pub(crate) fn detail_field(fields: &[(&str, &str)], k: &str) -> Option<(usize, bool)> {
    fields
        .iter()
        .position(|(camel, _)| *camel == k)
        .map(|i| (i, false))
        .or_else(|| {
            fields
                .iter()
                .position(|(_, snake)| *snake == k)
                .map(|i| (i, true))
        })
}

/// Reads an object key as its index in a table of field spellings.
pub(crate) struct KeySeed(pub(crate) &'static [(&'static str, &'static str)]);

impl<'de> de::DeserializeSeed<'de> for KeySeed {
    type Value = Option<(usize, bool)>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        struct V(&'static [(&'static str, &'static str)]);
        impl Visitor<'_> for V {
            type Value = Option<(usize, bool)>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(detail_field(self.0, v))
            }
        }
        d.deserialize_identifier(V(self.0))
    }
}

/// The keys met in one object read at [`Fidelity::Full`]: each field is
/// written once, and in snake_case only when reading leniently.
pub(crate) struct DetailKeys {
    fields: &'static [(&'static str, &'static str)],
    met: u32,
    snakes: u32,
}

impl DetailKeys {
    pub(crate) fn new(fields: &'static [(&'static str, &'static str)]) -> Self {
        DetailKeys {
            fields,
            met: 0,
            snakes: 0,
        }
    }

    /// The index of the field `key` names (`None` for an unknown key), after
    /// checking its spelling and that it was not met before.
    pub(crate) fn meet<E: de::Error>(
        &mut self,
        key: Option<(usize, bool)>,
    ) -> Result<Option<usize>, E> {
        let Some((i, snake)) = key else {
            return Ok(None);
        };
        let (camel, snake_name) = self.fields[i];
        if snake {
            deviate(Deviations::SNAKE_CASE_KEYS, || {
                snake_error(snake_name, camel)
            })?;
        }
        let bit = 1u32 << i;
        if self.met & bit != 0 {
            let spelled = |s: bool| if s { snake_name } else { camel };
            return Err(duplicate_error(
                camel,
                spelled(self.snakes & bit != 0),
                spelled(snake),
            ));
        }
        self.met |= bit;
        if snake {
            self.snakes |= bit;
        }
        Ok(Some(i))
    }
}

pub(crate) const SCOPE_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("version", "version"),
    ("attributes", "attributes"),
    ("droppedAttributesCount", "dropped_attributes_count"),
];

/// An `InstrumentationScope`.
pub(crate) struct ScopeWire(Scope);

impl<'de> Deserialize<'de> for ScopeWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ScopeWire;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an InstrumentationScope object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ScopeWire, A::Error> {
                let mut out = Scope::default();
                let mut keys = DetailKeys::new(SCOPE_FIELDS);
                while let Some(key) = map.next_key_seed(KeySeed(SCOPE_FIELDS))? {
                    match keys.meet(key)? {
                        Some(0) => {
                            out.name = map.next_value::<Option<String>>()?.unwrap_or_default();
                        }
                        Some(1) => {
                            out.version = map.next_value::<Option<String>>()?.unwrap_or_default();
                        }
                        Some(2) => out.attributes = attributes_value(&mut map)?,
                        Some(3) => out.dropped_attributes_count = count_value(&mut map)?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(ScopeWire(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn attributes_value<'de, A: MapAccess<'de>>(map: &mut A) -> Result<Vec<KeyValue>, A::Error> {
    Ok(map
        .next_value::<Option<Attributes>>()?
        .map(|a| a.0)
        .unwrap_or_default())
}

fn count_value<'de, A: MapAccess<'de>>(map: &mut A) -> Result<u32, A::Error> {
    Ok(map.next_value::<Option<U32>>()?.map_or(0, |c| c.0))
}

pub(crate) const EVENT_FIELDS: &[(&str, &str)] = &[
    ("timeUnixNano", "time_unix_nano"),
    ("name", "name"),
    ("attributes", "attributes"),
    ("droppedAttributesCount", "dropped_attributes_count"),
];

/// A `Span.Event`.
pub(crate) struct EventWire(Event);

impl<'de> Deserialize<'de> for EventWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EventWire;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a span event object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EventWire, A::Error> {
                let mut out = Event::default();
                let mut keys = DetailKeys::new(EVENT_FIELDS);
                while let Some(key) = map.next_key_seed(KeySeed(EVENT_FIELDS))? {
                    match keys.meet(key)? {
                        Some(0) => {
                            out.time_unix_nano =
                                map.next_value::<Option<U64>>()?.map_or(0, |t| t.0);
                        }
                        Some(1) => {
                            out.name = map.next_value::<Option<String>>()?.unwrap_or_default();
                        }
                        Some(2) => out.attributes = attributes_value(&mut map)?,
                        Some(3) => out.dropped_attributes_count = count_value(&mut map)?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(EventWire(out))
            }
        }
        d.deserialize_map(V)
    }
}

pub(crate) const LINK_FIELDS: &[(&str, &str)] = &[
    ("traceId", "trace_id"),
    ("spanId", "span_id"),
    ("traceState", "trace_state"),
    ("attributes", "attributes"),
    ("droppedAttributesCount", "dropped_attributes_count"),
    ("flags", "flags"),
];

/// A `Span.Link`: its ids must be present and valid, as a span's.
pub(crate) struct LinkWire(Link);

impl<'de> Deserialize<'de> for LinkWire {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LinkWire;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a span link object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LinkWire, A::Error> {
                let mut out = Link::default();
                let (mut trace_id, mut span_id) = (false, false);
                let mut keys = DetailKeys::new(LINK_FIELDS);
                while let Some(key) = map.next_key_seed(KeySeed(LINK_FIELDS))? {
                    match keys.meet(key)? {
                        Some(0) => {
                            if let Some(id) = map.next_value::<Option<LinkTraceIdField>>()? {
                                out.trace_id = id.0;
                                trace_id = true;
                            }
                        }
                        Some(1) => {
                            if let Some(id) = map.next_value::<Option<LinkSpanIdField>>()? {
                                out.span_id = id.0;
                                span_id = true;
                            }
                        }
                        Some(2) => {
                            out.trace_state =
                                map.next_value::<Option<String>>()?.unwrap_or_default();
                        }
                        Some(3) => out.attributes = attributes_value(&mut map)?,
                        Some(4) => out.dropped_attributes_count = count_value(&mut map)?,
                        Some(5) => out.flags = count_value(&mut map)?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                if !trace_id {
                    return Err(fail(ErrorKind::InvalidId, "link has no traceId"));
                }
                if !span_id {
                    return Err(fail(ErrorKind::InvalidId, "link has no spanId"));
                }
                Ok(LinkWire(out))
            }
        }
        d.deserialize_map(V)
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

/// Parses an id of `N` bytes for `field`: hex, or (lenient reading) the
/// canonical base64 text of exactly `N` bytes; `None` for the empty string.
fn parse_id<E: de::Error, const N: usize>(v: &str, field: &str) -> Result<Option<[u8; N]>, E> {
    if v.is_empty() {
        return Ok(None);
    }
    let mut out = [0u8; N];
    if crate::model::decode_hex_into(v.as_bytes(), &mut out) {
        return Ok(Some(out));
    }
    if lenient() {
        if let Some(id) = decode_base64_id::<N>(v) {
            note(Deviations::BASE64_IDS);
            return Ok(Some(id));
        }
    }
    // Leniently, an id of hex digits gets the hex message below.
    if lenient() && !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(fail(
            ErrorKind::InvalidId,
            format_args!(
                "{field} {:?} is neither {} hex digits nor the base64 of {N} bytes",
                shorten(v),
                2 * N,
            ),
        ));
    }
    let looks_base64 = !lenient()
        && (v.len() == (4 * N).div_ceil(3).next_multiple_of(4)
            || v.bytes().any(|b| matches!(b, b'+' | b'/' | b'=')));
    let hint = if looks_base64 {
        " (it looks like base64: OTLP/JSON ids are hex; lenient reading accepts base64)"
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

/// The `N` bytes whose canonical base64 text (standard or URL-safe alphabet,
/// with or without padding) is `v`; `None` for any other text, including one
/// with non-zero bits after the last byte.
pub(crate) fn decode_base64_id<const N: usize>(v: &str) -> Option<[u8; N]> {
    let unpadded = (4 * N).div_ceil(3);
    let padded = unpadded.next_multiple_of(4);
    let b = v.as_bytes();
    let text = if b.len() == padded && b[unpadded..].iter().all(|c| *c == b'=') {
        &b[..unpadded]
    } else if b.len() == unpadded {
        b
    } else {
        return None;
    };
    let bytes = decode_base64(std::str::from_utf8(text).ok()?)?;
    // The last character's bits beyond the N bytes must be zero.
    let spare = unpadded * 6 - N * 8;
    let last = *text.last()?;
    let last_value = BASE64_VALUE[usize::from(last)];
    if last_value & ((1 << spare) - 1) != 0 {
        return None;
    }
    bytes.try_into().ok()
}

/// The 6-bit value of a base64 character (either alphabet); 0xff for others.
#[allow(clippy::cast_possible_truncation)] // indexes below 26
const BASE64_VALUE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 26 {
        t[b'A' as usize + i] = i as u8;
        t[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        t[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    t[b'+' as usize] = 62;
    t[b'-' as usize] = 62;
    t[b'/' as usize] = 63;
    t[b'_' as usize] = 63;
    t
};

/// Declares an id field type whose visitor applies `$check` to the parsed id.
macro_rules! id_field {
    ($ty:ident, $n:literal, $field:literal, $out:ty, $check:expr) => {
        pub(crate) struct $ty($out);

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
    None => Err("traceId is empty: every span needs a trace id (32 hex digits)"),
    Some(b) if b == [0; 16] => Err("traceId is all zeros (an invalid id)"),
    Some(b) => Ok(TraceId(b)),
});
id_field!(SpanIdField, 8, "spanId", SpanId, |id| match id {
    None => Err("spanId is empty: every span needs a span id (16 hex digits)"),
    Some(b) if b == [0; 8] => Err("spanId is all zeros (an invalid id)"),
    Some(b) => Ok(SpanId(b)),
});
id_field!(
    LinkTraceIdField,
    16,
    "link traceId",
    TraceId,
    |id| match id {
        None => Err("link traceId is empty: a link needs a trace id (32 hex digits)"),
        Some(b) if b == [0; 16] => Err("link traceId is all zeros (an invalid id)"),
        Some(b) => Ok(TraceId(b)),
    }
);
id_field!(LinkSpanIdField, 8, "link spanId", SpanId, |id| match id {
    None => Err("link spanId is empty: a link needs a span id (16 hex digits)"),
    Some(b) if b == [0; 8] => Err("link spanId is all zeros (an invalid id)"),
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

pub(crate) struct U64(u64);

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

/// A `uint32` or `fixed32` (counts, flags): a number or a decimal string.
pub(crate) struct U32(u32);

impl<'de> Deserialize<'de> for U32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = U32;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a uint32 as a number or a decimal string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<U32, E> {
                u32::try_from(v)
                    .map(U32)
                    .map_err(|_| fail(ErrorKind::Schema, format_args!("{v} is not a uint32")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<U32, E> {
                u32::try_from(v)
                    .map(U32)
                    .map_err(|_| fail(ErrorKind::Schema, format_args!("{v} is not a uint32")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<U32, E> {
                integral(v, 0.0, f64::from(u32::MAX) + 1.0)
                    .and_then(|i| u32::try_from(i).ok())
                    .map(U32)
                    .ok_or_else(|| fail(ErrorKind::Schema, format_args!("{v} is not a uint32")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<U32, E> {
                match v.parse::<u32>() {
                    Ok(n) => Ok(U32(n)),
                    Err(_) => match v.parse::<f64>() {
                        Ok(f) if f.is_finite() => self.visit_f64(f),
                        _ => Err(fail(
                            ErrorKind::Schema,
                            format_args!("{:?} is not a uint32", shorten(v)),
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
            if lenient() {
                if let Some(i) = self.names.iter().position(|n| *n == v) {
                    note(Deviations::ENUM_NAMES);
                    return Ok(i64::try_from(i).unwrap_or(i64::MAX));
                }
                return Err(fail(
                    ErrorKind::EnumName,
                    format_args!(
                        "{} {:?} is not one of the enum's names ({})",
                        self.field,
                        shorten(v),
                        self.names.join(", ")
                    ),
                ));
            }
            Err(enum_name_error(self.field, self.names, v))
        }
    }
    d.deserialize_any(V { field, names })
}

pub(crate) struct Kind(SpanKind);

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

pub(crate) struct Code(StatusCode);

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

pub(crate) struct KeyValueSeed;

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

enum AnyField {
    StringValue,
    BoolValue,
    IntValue,
    DoubleValue,
    BytesValue,
    ArrayValue,
    KvlistValue,
    Other,
}

/// The `AnyValue` field a key names, and for a snake_case key its lowerCamelCase spelling.
fn any_field(k: &str) -> (AnyField, Option<&'static str>) {
    match k {
        "stringValue" => (AnyField::StringValue, None),
        "boolValue" => (AnyField::BoolValue, None),
        "intValue" => (AnyField::IntValue, None),
        "doubleValue" => (AnyField::DoubleValue, None),
        "bytesValue" => (AnyField::BytesValue, None),
        "arrayValue" => (AnyField::ArrayValue, None),
        "kvlistValue" => (AnyField::KvlistValue, None),
        "string_value" => (AnyField::StringValue, Some("stringValue")),
        "bool_value" => (AnyField::BoolValue, Some("boolValue")),
        "int_value" => (AnyField::IntValue, Some("intValue")),
        "double_value" => (AnyField::DoubleValue, Some("doubleValue")),
        "bytes_value" => (AnyField::BytesValue, Some("bytesValue")),
        "array_value" => (AnyField::ArrayValue, Some("arrayValue")),
        "kvlist_value" => (AnyField::KvlistValue, Some("kvlistValue")),
        _ => (AnyField::Other, None),
    }
}

impl<'de> Deserialize<'de> for AnyField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AnyField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AnyField, E> {
                let (field, camel) = any_field(v);
                if let Some(camel) = camel {
                    deviate(Deviations::SNAKE_CASE_KEYS, || snake_error(v, camel))?;
                }
                Ok(field)
            }
        }
        d.deserialize_identifier(V)
    }
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
