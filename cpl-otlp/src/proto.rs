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
use crate::model::{AnyValue, KeyValue, Resource, Span, SpanId, SpanKind, StatusCode, TraceId};
use crate::pb::common::v1 as pbc;
use crate::pb::trace::v1 as pbt;

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
    ///    mark) is `{` or `[`, or there is none: [`Json`](Self::Json);
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

/// Why a protobuf message could not be decoded, and where.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct ProtoError {
    pub(crate) kind: ErrorKind,
    pub(crate) message: String,
    /// Byte offset inside the message.
    pub(crate) offset: u64,
}

/// Decodes one `TracesData` message, appending its spans to `out` (nothing on
/// error). `size` is the input bytes the message stands for (with its length
/// prefix, if any); the spans' `encoded_len` add up to it.
pub(crate) fn decode_message_into(
    bytes: &[u8],
    size: u64,
    out: &mut Vec<Span>,
) -> Result<usize, ProtoError> {
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
        let resource = Arc::new(Resource {
            attributes: rs
                .resource
                .map(|r| convert_attributes(r.attributes))
                .unwrap_or_default(),
        });
        for ss in rs.scope_spans {
            for span in ss.spans {
                let mut encoded_len = base + u64::from(extra > 0);
                extra = extra.saturating_sub(1);
                let len = lens.next().unwrap_or(0);
                if fair {
                    encoded_len += len;
                }
                match convert_span(span, &resource, encoded_len) {
                    Ok(span) => out.push(span),
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

fn convert_span(
    span: pbt::Span,
    resource: &Arc<Resource>,
    encoded_len: u64,
) -> Result<Span, (ErrorKind, String)> {
    let trace_id = <[u8; 16]>::try_from(span.trace_id.as_slice())
        .ok()
        .map(TraceId)
        .filter(|id| !id.is_zero())
        .ok_or_else(|| id_error("trace_id", &span.trace_id, 16))?;
    let span_id = <[u8; 8]>::try_from(span.span_id.as_slice())
        .ok()
        .map(SpanId)
        .filter(|id| !id.is_zero())
        .ok_or_else(|| id_error("span_id", &span.span_id, 8))?;
    let parent_span_id = match span.parent_span_id.len() {
        0 => None,
        8 => Some(SpanId(
            <[u8; 8]>::try_from(span.parent_span_id.as_slice()).unwrap_or_default(),
        ))
        .filter(|id| !id.is_zero()),
        _ => return Err(id_error("parent_span_id", &span.parent_span_id, 8)),
    };
    let kind = SpanKind::from_i64(i64::from(span.kind)).ok_or_else(|| {
        (
            ErrorKind::Schema,
            format!("kind {} is not a SpanKind (0..=5)", span.kind),
        )
    })?;
    let code = span.status.map_or(0, |s| s.code);
    let status = StatusCode::from_i64(i64::from(code)).ok_or_else(|| {
        (
            ErrorKind::Schema,
            format!("status.code {code} is not a StatusCode (0..=2)"),
        )
    })?;
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
        detail: None,
    })
}

fn id_error(field: &str, id: &[u8], len: usize) -> (ErrorKind, String) {
    let message = if id.is_empty() {
        format!("span has no {field}")
    } else if id.len() == len {
        format!("{field} is all zeros")
    } else {
        format!("{field} is {} bytes, not {len}", id.len())
    };
    (ErrorKind::InvalidId, message)
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
/// `ExportTraceServiceRequest` too), with what the span model keeps: events,
/// links, scopes and status messages are gone. Consecutive spans that share a
/// resource share a `ResourceSpans`. For tests, benchmarks and conversions.
pub fn encode_traces_data(spans: &[Span]) -> Vec<u8> {
    let mut data = pbt::TracesData::default();
    let mut last: Option<&Arc<Resource>> = None;
    for span in spans {
        if !last.is_some_and(|r| Arc::ptr_eq(r, &span.resource)) {
            data.resource_spans.push(pbt::ResourceSpans {
                resource: Some(crate::pb::resource::v1::Resource {
                    attributes: encode_attributes(&span.resource.attributes),
                    ..Default::default()
                }),
                scope_spans: vec![pbt::ScopeSpans::default()],
                ..Default::default()
            });
            last = Some(&span.resource);
        }
        let scope = data
            .resource_spans
            .last_mut()
            .and_then(|rs| rs.scope_spans.last_mut());
        if let Some(scope) = scope {
            scope.spans.push(pbt::Span {
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
            });
        }
    }
    data.encode_to_vec()
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
