//! Decoding one OTLP protobuf message (`TracesData`, or the identical
//! `ExportTraceServiceRequest`) into [`Span`]s, and the pure rules that tell
//! protobuf from JSON and compressed from plain input by their first bytes.
//!
//! prost decodes the message into the generated types of [`crate::pb`]
//! (with its recursion limit of 100 nested messages, so an `AnyValue` bomb is an
//! error, not a stack overflow); the spans are then moved, not copied, into the
//! crate's span model under the same rules as OTLP/JSON (ids, enums). When prost
//! rejects a message, the message is walked again field by field to name the
//! byte offset of the innermost resource, scope or span that does not decode.

use std::sync::Arc;

use prost::bytes::Buf;
use prost::encoding::{decode_key, decode_varint, skip_field, DecodeContext, WireType};
use prost::Message;

use crate::decode::ErrorKind;
use crate::keys::AttributeKeys;
use crate::model::{
    AnyValue, Event, Fidelity, KeyValue, Link, Resource, Scope, Span, SpanDetail, SpanId, SpanKind,
    StatusCode, TraceId,
};
use crate::pb::common::v1 as pbc;
use crate::pb::trace::v1 as pbt;
use crate::wire;

/// The gzip magic bytes.
pub const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The zstd frame magic bytes.
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// How many bytes [`InputFormat::detect`] needs to decide (it decides on fewer
/// only when the input is shorter).
pub const SNIFF_BYTES: usize = 16;

/// What an input holds, as told by its first bytes (after decompression).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum InputFormat {
    /// No bytes at all.
    Empty,
    /// OTLP/JSON: one document, or JSON Lines (also any text that is not
    /// protobuf, so that its lines are reported one by one).
    Json,
    /// One OTLP protobuf message for the whole input (an OTLP/HTTP body).
    ProtobufMessage,
    /// Messages each preceded by its length as a 4-byte big-endian integer: the
    /// collector file exporter's `format: proto` (and its compressed records).
    LengthPrefixed,
    /// Binary bytes that are none of the above.
    Unknown,
}

impl InputFormat {
    /// Decides from the first [`SNIFF_BYTES`] bytes of a (decompressed) input:
    ///
    /// 1. no bytes: [`Empty`](Self::Empty);
    /// 2. the first byte that is not ASCII whitespace (after a UTF-8 byte order
    ///    mark) is `{` or `[`, or there is none: [`Json`](Self::Json), unless the
    ///    first byte is `0x0a` and every field tag in the bytes read follows the
    ///    OTLP `TracesData` schema (a protobuf message whose first length is 123,
    ///    `{`, or 91, `[`; JSON text fails that walk within a few bytes, because
    ///    its characters are not the field tags OTLP messages have):
    ///    [`ProtobufMessage`](Self::ProtobufMessage);
    /// 3. the first byte is `0x0a` (field 1, `resource_spans`, length-delimited):
    ///    [`ProtobufMessage`](Self::ProtobufMessage);
    /// 4. at least 5 bytes, the first is below `0x0a` (a length under 160 MiB),
    ///    and the fifth starts a message (`0x0a`), a zstd frame (`28 b5 2f fd`) or
    ///    a JSON object (`{`): [`LengthPrefixed`](Self::LengthPrefixed);
    /// 5. no control bytes other than tab, CR and LF: [`Json`](Self::Json) (text,
    ///    read line by line, each bad line reported);
    /// 6. anything else: [`Unknown`](Self::Unknown).
    pub fn detect(head: &[u8]) -> InputFormat {
        if head.is_empty() {
            return InputFormat::Empty;
        }
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        match text.iter().find(|b| !b.is_ascii_whitespace()) {
            // `\n{` is also a protobuf message whose first field has length 123:
            // the schema walk tells the two apart.
            Some(b'{' | b'[') if head[0] == 0x0a && follows_traces_schema(head) => {
                return InputFormat::ProtobufMessage
            }
            Some(b'{' | b'[') | None => return InputFormat::Json,
            Some(_) => {}
        }
        if head[0] == 0x0a {
            return InputFormat::ProtobufMessage;
        }
        if head.len() >= 5
            && head[0] < 0x0a
            && (head[4] == 0x0a || head[4] == b'{' || head[4..].starts_with(&ZSTD_MAGIC))
        {
            return InputFormat::LengthPrefixed;
        }
        let control = |b: &u8| b.is_ascii_control() && !matches!(b, b'\t' | b'\n' | b'\r');
        if head.iter().any(control) {
            InputFormat::Unknown
        } else {
            InputFormat::Json
        }
    }
}

/// The OTLP trace messages whose fields [`follows_traces_schema`] checks.
#[derive(Clone, Copy)]
enum OtlpMessage {
    TracesData,
    ResourceSpans,
    Resource,
    ScopeSpans,
    Scope,
    KeyValue,
    AnyValue,
    Span,
}

/// What a field holds, for the schema walk.
enum Field {
    /// A varint.
    Varint,
    /// 8 bytes.
    Fixed64,
    /// 4 bytes.
    Fixed32,
    /// Length-delimited, read as a message of this type.
    Message(OtlpMessage),
    /// Length-delimited, skipped (strings, bytes, messages not walked).
    Opaque,
}

impl OtlpMessage {
    /// The field with this number, from the opentelemetry-proto definitions.
    fn field(self, number: u64) -> Option<Field> {
        use Field::{Fixed32, Fixed64, Message as M, Opaque, Varint};
        use OtlpMessage as T;
        Some(match (self, number) {
            (T::TracesData, 1) => M(T::ResourceSpans),
            (T::ResourceSpans, 1) => M(T::Resource),
            (T::ResourceSpans, 2) => M(T::ScopeSpans),
            (T::ScopeSpans, 1) => M(T::Scope),
            (T::ScopeSpans, 2) => M(T::Span),
            (T::Resource, 1) | (T::Scope, 3) | (T::Span, 9) => M(T::KeyValue),
            (T::KeyValue, 2) => M(T::AnyValue),
            // Strings, bytes, and messages the walk does not enter.
            (T::ResourceSpans | T::ScopeSpans | T::Resource, 3)
            | (T::Scope, 1 | 2)
            | (T::KeyValue, 1)
            | (T::AnyValue, 1 | 5 | 6 | 7)
            | (T::Span, 1..=5 | 11 | 13 | 15) => Opaque,
            (T::Resource, 2)
            | (T::Scope, 4)
            | (T::Span, 6 | 10 | 12 | 14)
            | (T::AnyValue, 2 | 3) => Varint,
            (T::AnyValue, 4) | (T::Span, 7 | 8) => Fixed64,
            (T::Span, 16) => Fixed32,
            _ => return None,
        })
    }
}

/// Whether every field tag within `head` (the start of an input) is one the
/// OTLP `TracesData` schema has, with its wire type, and every nested length
/// fits inside its parent. Running out of bytes mid-walk is a yes: the head is
/// a prefix.
fn follows_traces_schema(head: &[u8]) -> bool {
    /// A varint at `*at`, or `None` when the head ends first.
    fn varint(head: &[u8], at: &mut usize) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *head.get(*at)?;
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        Some(u64::MAX)
    }
    // (message, absolute end offset) from the outermost in.
    let mut stack = vec![(OtlpMessage::TracesData, u64::MAX)];
    let mut at = 0usize;
    while at < head.len() {
        let Some(&(message, end)) = stack.last() else {
            return true;
        };
        if at as u64 >= end {
            stack.pop();
            continue;
        }
        let Some(tag) = varint(head, &mut at) else {
            return true;
        };
        let Some(field) = message.field(tag >> 3) else {
            return false;
        };
        let wire = tag & 7;
        match field {
            Field::Varint if wire == 0 => {
                if varint(head, &mut at).is_none() {
                    return true;
                }
            }
            Field::Fixed64 if wire == 1 => at += 8,
            Field::Fixed32 if wire == 5 => at += 4,
            Field::Message(_) | Field::Opaque if wire == 2 => {
                let Some(len) = varint(head, &mut at) else {
                    return true;
                };
                let child_end = (at as u64).saturating_add(len);
                if child_end > end {
                    return false;
                }
                match field {
                    Field::Message(child) => stack.push((child, child_end)),
                    _ => at = usize::try_from(child_end).unwrap_or(usize::MAX),
                }
            }
            _ => return false,
        }
    }
    true
}

/// Why a protobuf message could not be decoded, and where.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct ProtoError {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    /// Byte offset inside the message.
    pub(crate) offset: u64,
}

/// Decodes one `TracesData` message, appending its spans to `out` (nothing on
/// error), with their [`SpanDetail`] at [`Fidelity::Full`]. `size` is the
/// input bytes the message stands for (with its length prefix, if any); the
/// spans' `encoded_len` add up to it. At [`Fidelity::Policy`] only the
/// attributes `keys` keeps are kept (at [`Fidelity::Full`], all).
///
/// At [`Fidelity::Policy`] the direct wire walk of [`crate::wire`] runs first;
/// when it gives up, [`decode_reference_into`] does the work, so the result is
/// always the reference's.
pub(crate) fn decode_message_into(
    bytes: &[u8],
    size: u64,
    out: &mut Vec<Span>,
    fidelity: Fidelity,
    keys: &AttributeKeys,
) -> Result<usize, ProtoError> {
    if fidelity == Fidelity::Policy {
        if let Ok(n) = wire::decode_message_into(bytes, size, out, keys) {
            return Ok(n);
        }
    }
    decode_reference_into(bytes, size, out, fidelity, keys)
}

/// The reference decoder behind [`decode_message_into`]: prost decodes the
/// whole message into its generated types, which are then converted.
pub(crate) fn decode_reference_into(
    bytes: &[u8],
    size: u64,
    out: &mut Vec<Span>,
    fidelity: Fidelity,
    keys: &AttributeKeys,
) -> Result<usize, ProtoError> {
    // At `Fidelity::Full` every attribute is kept.
    let filter = (fidelity == Fidelity::Policy && !keys.keeps_all()).then_some(keys);
    let data = pbt::TracesData::decode(bytes).map_err(|e| ProtoError {
        kind: ErrorKind::Syntax,
        message: format!(
            "not a valid OTLP protobuf message: {}",
            e.to_string()
                .trim_start_matches("failed to decode Protobuf message: ")
        ),
        offset: locate_failure(bytes) as u64,
    })?;
    let n: usize = data
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum();
    if n == 0 {
        return Ok(0);
    }
    let start = out.len();
    out.reserve(n);
    // Each span gets the encoded length of its own message; the rest (envelope,
    // resource, scope, field keys, the length prefix) is shared evenly.
    let lens: Vec<u64> = data
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .flat_map(|ss| &ss.spans)
        .map(|s| s.encoded_len() as u64)
        .collect();
    let own: u64 = lens.iter().sum();
    let mut lens = lens.into_iter();
    let fair = own <= size;
    let overhead = if fair { size - own } else { size };
    let base = overhead / n as u64;
    let mut extra = overhead % n as u64;
    for (index, rs) in data.resource_spans.into_iter().enumerate() {
        let mut resource = Resource {
            attributes: rs
                .resource
                .map(|r| convert_attributes(r.attributes))
                .unwrap_or_default(),
        };
        if let Some(keys) = filter {
            resource
                .attributes
                .retain(|kv| keys.keeps_resource(&kv.key));
        }
        let resource = Arc::new(resource);
        for ss in rs.scope_spans {
            let context = (fidelity == Fidelity::Full).then(|| ScopeContext {
                scope: Arc::new(ss.scope.map(convert_scope).unwrap_or_default()),
                resource_schema_url: &rs.schema_url,
                scope_schema_url: ss.schema_url,
            });
            for span in ss.spans {
                let mut encoded_len = base + u64::from(extra > 0);
                extra = extra.saturating_sub(1);
                let len = lens.next().unwrap_or(0);
                if fair {
                    encoded_len += len;
                }
                match convert_span(span, &resource, context.as_ref(), encoded_len) {
                    Ok(mut span) => {
                        if let Some(keys) = filter {
                            span.attributes.retain(|kv| keys.keeps_span(&kv.key));
                        }
                        out.push(span);
                    }
                    Err((kind, message)) => {
                        let failed = out.len() - start;
                        out.truncate(start);
                        return Err(ProtoError {
                            kind,
                            message,
                            offset: locate_span(bytes, index, failed) as u64,
                        });
                    }
                }
            }
        }
    }
    Ok(n)
}

/// What every span of one `ScopeSpans` shares at [`Fidelity::Full`].
struct ScopeContext<'a> {
    scope: Arc<Scope>,
    resource_schema_url: &'a str,
    scope_schema_url: String,
}

fn convert_scope(scope: pbc::InstrumentationScope) -> Scope {
    Scope {
        name: scope.name,
        version: scope.version,
        attributes: convert_attributes(scope.attributes),
        dropped_attributes_count: scope.dropped_attributes_count,
    }
}

fn convert_link(link: pbt::span::Link) -> Result<Link, (ErrorKind, String)> {
    let trace_id = TraceId(required_id(IdOwner::Link, "trace_id", &link.trace_id)?);
    let span_id = SpanId(required_id(IdOwner::Link, "span_id", &link.span_id)?);
    Ok(Link {
        trace_id,
        span_id,
        trace_state: link.trace_state,
        attributes: convert_attributes(link.attributes),
        dropped_attributes_count: link.dropped_attributes_count,
        flags: link.flags,
    })
}

/// Whose id [`required_id`] reads: it names the field in an error.
#[derive(Clone, Copy)]
enum IdOwner {
    Span,
    Link,
}

/// The bytes of a required trace or span id: exactly `N` of them, not all zero (the
/// reference's rule, which the fast walk in `wire` applies too).
pub(crate) fn valid_id<const N: usize>(id: &[u8]) -> Option<[u8; N]> {
    <[u8; N]>::try_from(id)
        .ok()
        .filter(|bytes| *bytes != [0; N])
}

/// [`valid_id`], or the error that names what is wrong with `id`.
fn required_id<const N: usize>(
    owner: IdOwner,
    field: &str,
    id: &[u8],
) -> Result<[u8; N], (ErrorKind, String)> {
    valid_id(id).ok_or_else(|| id_error(owner, field, id, N))
}

fn id_error(owner: IdOwner, field: &str, id: &[u8], len: usize) -> (ErrorKind, String) {
    let (owner, named) = match owner {
        IdOwner::Span => ("span", field.to_owned()),
        IdOwner::Link => ("link", format!("link {field}")),
    };
    let message = if id.is_empty() {
        format!("{owner} has no {field}")
    } else if id.len() == len {
        format!("{named} is all zeros")
    } else {
        format!("{named} is {} bytes, not {len}", id.len())
    };
    (ErrorKind::InvalidId, message)
}

/// The detail of `span` (whose other fields are taken already).
fn convert_detail(
    span: &mut pbt::Span,
    status_message: String,
    context: &ScopeContext<'_>,
) -> Result<SpanDetail, (ErrorKind, String)> {
    let links = std::mem::take(&mut span.links)
        .into_iter()
        .map(convert_link)
        .collect::<Result<Vec<_>, _>>()?;
    let events = std::mem::take(&mut span.events)
        .into_iter()
        .map(|e| Event {
            time_unix_nano: e.time_unix_nano,
            name: e.name,
            attributes: convert_attributes(e.attributes),
            dropped_attributes_count: e.dropped_attributes_count,
        })
        .collect();
    Ok(SpanDetail {
        scope: Arc::clone(&context.scope),
        resource_schema_url: context.resource_schema_url.to_owned(),
        scope_schema_url: context.scope_schema_url.clone(),
        trace_state: std::mem::take(&mut span.trace_state),
        flags: span.flags,
        status_message,
        dropped_attributes_count: span.dropped_attributes_count,
        events,
        dropped_events_count: span.dropped_events_count,
        links,
        dropped_links_count: span.dropped_links_count,
    })
}

fn convert_span(
    mut span: pbt::Span,
    resource: &Arc<Resource>,
    context: Option<&ScopeContext<'_>>,
    encoded_len: u64,
) -> Result<Span, (ErrorKind, String)> {
    let trace_id = TraceId(required_id(IdOwner::Span, "trace_id", &span.trace_id)?);
    let span_id = SpanId(required_id(IdOwner::Span, "span_id", &span.span_id)?);
    let parent_span_id = match span.parent_span_id.len() {
        0 => None,
        8 => Some(SpanId(
            <[u8; 8]>::try_from(span.parent_span_id.as_slice()).unwrap_or_default(),
        ))
        .filter(|id| !id.is_zero()),
        _ => {
            return Err(id_error(
                IdOwner::Span,
                "parent_span_id",
                &span.parent_span_id,
                8,
            ))
        }
    };
    let kind = SpanKind::from_i64(i64::from(span.kind)).ok_or_else(|| {
        (
            ErrorKind::Schema,
            format!("kind {} is not a SpanKind (0..=5)", span.kind),
        )
    })?;
    let (code, status_message) = span
        .status
        .take()
        .map_or((0, String::new()), |s| (s.code, s.message));
    let status = StatusCode::from_i64(i64::from(code)).ok_or_else(|| {
        (
            ErrorKind::Schema,
            format!("status.code {code} is not a StatusCode (0..=2)"),
        )
    })?;
    let detail = match context {
        Some(context) => Some(Box::new(convert_detail(
            &mut span,
            status_message,
            context,
        )?)),
        None => None,
    };
    Ok(Span {
        trace_id,
        span_id,
        parent_span_id,
        name: span.name,
        kind,
        start_time_unix_nano: span.start_time_unix_nano,
        end_time_unix_nano: span.end_time_unix_nano,
        status,
        attributes: convert_attributes(span.attributes),
        resource: Arc::clone(resource),
        encoded_len,
        detail,
    })
}

fn convert_attributes(attributes: Vec<pbc::KeyValue>) -> Vec<KeyValue> {
    attributes
        .into_iter()
        .map(|kv| KeyValue {
            key: kv.key,
            value: kv.value.map_or(AnyValue::Empty, convert_value),
        })
        .collect()
}

// Recursive, but prost's recursion limit bounds the depth of what it decoded.
fn convert_value(value: pbc::AnyValue) -> AnyValue {
    use pbc::any_value::Value;
    match value.value {
        // `string_value_strindex` indexes the string table of a profiles
        // dictionary; traces have none, so it is no value.
        None | Some(Value::StringValueStrindex(_)) => AnyValue::Empty,
        Some(Value::StringValue(s)) => AnyValue::String(s),
        Some(Value::BoolValue(b)) => AnyValue::Bool(b),
        Some(Value::IntValue(i)) => AnyValue::Int(i),
        Some(Value::DoubleValue(d)) => AnyValue::Double(d),
        Some(Value::BytesValue(b)) => AnyValue::Bytes(b),
        Some(Value::ArrayValue(a)) => {
            AnyValue::Array(a.values.into_iter().map(convert_value).collect())
        }
        Some(Value::KvlistValue(kv)) => AnyValue::KvList(convert_attributes(kv.values)),
    }
}

/// A length-delimited field: (field number, offset of the value, value).
type LenField<'a> = (u32, usize, &'a [u8]);

/// The length-delimited fields of a message; `Err(offset)` where the wire
/// format breaks.
fn len_fields(message: &[u8]) -> Result<Vec<LenField<'_>>, usize> {
    let mut fields = Vec::new();
    let mut buf = message;
    while buf.has_remaining() {
        let at = message.len() - buf.len();
        let (number, wire_type) = decode_key(&mut buf).map_err(|_| at)?;
        if wire_type == WireType::LengthDelimited {
            let len = decode_varint(&mut buf).map_err(|_| at)?;
            let start = message.len() - buf.len();
            let len = usize::try_from(len).map_err(|_| at)?;
            if len > buf.len() {
                return Err(at);
            }
            fields.push((number, start, &buf[..len]));
            buf.advance(len);
        } else {
            skip_field(wire_type, number, &mut buf, DecodeContext::default()).map_err(|_| at)?;
        }
    }
    Ok(fields)
}

/// The offset of the innermost part of `message` that prost rejects: the
/// message's first broken field, or the resource, scope or span that fails.
fn locate_failure(message: &[u8]) -> usize {
    // (field number of the children to descend into, decoder of one child)
    type Check = fn(&[u8]) -> bool;
    let levels: [(u32, Check); 3] = [
        (1, |b| pbt::ResourceSpans::decode(b).is_ok()),
        (2, |b| pbt::ScopeSpans::decode(b).is_ok()),
        (2, |b| pbt::Span::decode(b).is_ok()),
    ];
    let mut base = 0;
    let mut current = message;
    for (number, decodes) in levels {
        let fields = match len_fields(current) {
            Ok(fields) => fields,
            Err(at) => return base + at,
        };
        let bad = fields
            .into_iter()
            .find(|&(n, _, value)| n == number && !decodes(value));
        match bad {
            Some((_, at, value)) => {
                base += at;
                current = value;
            }
            // The failure is in another field of this level (e.g. the resource).
            None => return base,
        }
    }
    base
}

/// The offset inside `message` of its span number `span` (counting from 0 over
/// the message), which belongs to resource number `resource`; as close as the
/// walk gets if it fails.
fn locate_span(message: &[u8], resource: usize, span: usize) -> usize {
    let Ok(resources) = len_fields(message) else {
        return 0;
    };
    let Some(&(_, rs_at, rs)) = resources.iter().filter(|f| f.0 == 1).nth(resource) else {
        return 0;
    };
    // `span` counts spans decoded before this one in the whole message; find
    // the spans of earlier resources to count from this resource's first.
    let earlier: usize = resources
        .iter()
        .filter(|f| f.0 == 1)
        .take(resource)
        .map(|&(_, _, r)| count_spans(r))
        .sum();
    let mut index = span.saturating_sub(earlier);
    let Ok(scopes) = len_fields(rs) else {
        return rs_at;
    };
    for &(_, ss_at, ss) in scopes.iter().filter(|f| f.0 == 2) {
        let Ok(spans) = len_fields(ss) else {
            return rs_at + ss_at;
        };
        let spans: Vec<_> = spans.into_iter().filter(|f| f.0 == 2).collect();
        if index < spans.len() {
            return rs_at + ss_at + spans[index].1;
        }
        index -= spans.len();
    }
    rs_at
}

fn count_spans(resource_spans: &[u8]) -> usize {
    len_fields(resource_spans)
        .unwrap_or_default()
        .into_iter()
        .filter(|f| f.0 == 2)
        .map(|(_, _, ss)| {
            len_fields(ss)
                .unwrap_or_default()
                .iter()
                .filter(|f| f.0 == 2)
                .count()
        })
        .sum()
}

/// Encodes spans as one OTLP protobuf `TracesData` message (the bytes of an
/// `ExportTraceServiceRequest` too), with what the span model keeps: a span's
/// [`SpanDetail`] when it has one (scope, schema URLs, trace state, flags,
/// status message, dropped counts, events, links); without it those fields are
/// left at their defaults. Consecutive spans that share a resource (the same
/// [`Arc`]) and resource schema URL share a `ResourceSpans`; within it,
/// consecutive spans that share a scope (the same [`Arc`], or both no detail)
/// and scope schema URL share a `ScopeSpans`. For tests, benchmarks and
/// conversions.
pub fn encode_traces_data(spans: &[Span]) -> Vec<u8> {
    let mut data = pbt::TracesData::default();
    // The resource and scope of the last span written, with their schema URLs.
    let mut last_resource: Option<(&Arc<Resource>, &str)> = None;
    let mut last_scope: Option<(Option<&Arc<Scope>>, &str)> = None;
    for span in spans {
        let detail = span.detail.as_deref();
        let resource_key = (
            &span.resource,
            detail.map_or("", |d| d.resource_schema_url.as_str()),
        );
        let scope_key = (
            detail.map(|d| &d.scope),
            detail.map_or("", |d| d.scope_schema_url.as_str()),
        );
        let same_resource = last_resource
            .is_some_and(|(r, url)| Arc::ptr_eq(r, resource_key.0) && url == resource_key.1);
        if !same_resource {
            data.resource_spans.push(pbt::ResourceSpans {
                resource: Some(crate::pb::resource::v1::Resource {
                    attributes: encode_attributes(&span.resource.attributes),
                    ..Default::default()
                }),
                schema_url: resource_key.1.to_owned(),
                ..Default::default()
            });
            last_resource = Some(resource_key);
            last_scope = None;
        }
        let same_scope = last_scope.is_some_and(|(scope, url)| {
            url == scope_key.1
                && match (scope, scope_key.0) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    (None, None) => true,
                    _ => false,
                }
        });
        let Some(resource_spans) = data.resource_spans.last_mut() else {
            continue;
        };
        if !same_scope {
            resource_spans.scope_spans.push(pbt::ScopeSpans {
                scope: scope_key.0.map(|scope| pbc::InstrumentationScope {
                    name: scope.name.clone(),
                    version: scope.version.clone(),
                    attributes: encode_attributes(&scope.attributes),
                    dropped_attributes_count: scope.dropped_attributes_count,
                }),
                schema_url: scope_key.1.to_owned(),
                ..Default::default()
            });
            last_scope = Some(scope_key);
        }
        if let Some(scope_spans) = resource_spans.scope_spans.last_mut() {
            scope_spans.spans.push(encode_span(span));
        }
    }
    data.encode_to_vec()
}

fn encode_span(span: &Span) -> pbt::Span {
    let mut out = pbt::Span {
        trace_id: span.trace_id.0.to_vec(),
        span_id: span.span_id.0.to_vec(),
        parent_span_id: span
            .parent_span_id
            .map(|p| p.0.to_vec())
            .unwrap_or_default(),
        name: span.name.clone(),
        kind: span.kind as i32,
        start_time_unix_nano: span.start_time_unix_nano,
        end_time_unix_nano: span.end_time_unix_nano,
        attributes: encode_attributes(&span.attributes),
        status: (span.status != StatusCode::Unset).then(|| pbt::Status {
            code: span.status as i32,
            ..Default::default()
        }),
        ..Default::default()
    };
    if let Some(d) = span.detail.as_deref() {
        out.trace_state.clone_from(&d.trace_state);
        out.flags = d.flags;
        out.dropped_attributes_count = d.dropped_attributes_count;
        out.dropped_events_count = d.dropped_events_count;
        out.dropped_links_count = d.dropped_links_count;
        if !d.status_message.is_empty() {
            out.status
                .get_or_insert_with(pbt::Status::default)
                .message
                .clone_from(&d.status_message);
        }
        out.events = d
            .events
            .iter()
            .map(|e| pbt::span::Event {
                time_unix_nano: e.time_unix_nano,
                name: e.name.clone(),
                attributes: encode_attributes(&e.attributes),
                dropped_attributes_count: e.dropped_attributes_count,
            })
            .collect();
        out.links = d
            .links
            .iter()
            .map(|l| pbt::span::Link {
                trace_id: l.trace_id.0.to_vec(),
                span_id: l.span_id.0.to_vec(),
                trace_state: l.trace_state.clone(),
                attributes: encode_attributes(&l.attributes),
                dropped_attributes_count: l.dropped_attributes_count,
                flags: l.flags,
            })
            .collect();
    }
    out
}

fn encode_attributes(attributes: &[KeyValue]) -> Vec<pbc::KeyValue> {
    attributes
        .iter()
        .map(|kv| pbc::KeyValue {
            key: kv.key.clone(),
            value: Some(encode_value(&kv.value)),
            ..Default::default()
        })
        .collect()
}

fn encode_value(value: &AnyValue) -> pbc::AnyValue {
    use pbc::any_value::Value;
    let value = match value {
        AnyValue::String(s) => Some(Value::StringValue(s.clone())),
        AnyValue::Bool(b) => Some(Value::BoolValue(*b)),
        AnyValue::Int(i) => Some(Value::IntValue(*i)),
        AnyValue::Double(d) => Some(Value::DoubleValue(*d)),
        AnyValue::Bytes(b) => Some(Value::BytesValue(b.clone())),
        AnyValue::Array(values) => Some(Value::ArrayValue(pbc::ArrayValue {
            values: values.iter().map(encode_value).collect(),
        })),
        AnyValue::KvList(values) => Some(Value::KvlistValue(pbc::KeyValueList {
            values: encode_attributes(values),
        })),
        AnyValue::Empty => None,
    };
    pbc::AnyValue { value }
}
