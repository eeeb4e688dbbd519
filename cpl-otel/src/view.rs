//! How the evaluator reads an SDK span: [`SdkSpan`], a [`SpanView`] over the SDK's
//! [`SpanData`] and the tracer provider's [`Resource`].
//!
//! The evaluator asks only for the fields the policy uses, so the view borrows the
//! span and copies nothing: attributes are found by a scan of the span's own list.

use std::time::{SystemTime, UNIX_EPOCH};

use cpl_eval::{keys_equal, AttrValue, KeySet, SpanKind, SpanView, StatusCode};
use opentelemetry::trace::{SpanId, Status};
use opentelemetry::Value;
use opentelemetry_sdk::trace::SpanData;
use opentelemetry_sdk::Resource;

/// An ended SDK span as the evaluator reads it.
///
/// `trace_state` is the span context's W3C `tracestate` header as text, which
/// `trace_state["key"]` reads; the SDK keeps it parsed, so a caller whose policy reads
/// it ([`cpl_eval::Evaluator::reads_span_detail`]) renders it once
/// (`span.span_context.trace_state().header()`), and any other caller passes `""`.
#[derive(Debug, Clone, Copy)]
pub struct SdkSpan<'a> {
    span: &'a SpanData,
    resource: &'a Resource,
    trace_state: &'a str,
}

impl<'a> SdkSpan<'a> {
    /// A view of `span`, produced under `resource`, whose trace state header is
    /// `trace_state`.
    pub fn new(span: &'a SpanData, resource: &'a Resource, trace_state: &'a str) -> Self {
        Self {
            span,
            resource,
            trace_state,
        }
    }
}

/// Nanoseconds since the epoch; 0 before it, saturated after 2554.
pub(crate) fn unix_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn attr_value(value: &Value) -> AttrValue<'_> {
    match value {
        Value::Bool(b) => AttrValue::Bool(*b),
        Value::I64(i) => AttrValue::Int(*i),
        Value::F64(f) => AttrValue::Double(*f),
        Value::String(s) => AttrValue::Str(s.as_str()),
        _ => AttrValue::Other,
    }
}

/// The span attribute `key`: its first occurrence.
pub(crate) fn attribute<'v>(span: &'v SpanData, key: &str) -> Option<AttrValue<'v>> {
    span.attributes
        .iter()
        .find(|kv| keys_equal(kv.key.as_str(), key))
        .map(|kv| attr_value(&kv.value))
}

/// The resource attribute `key` (a resource's keys are unique).
pub(crate) fn resource_attribute<'v>(resource: &'v Resource, key: &str) -> Option<AttrValue<'v>> {
    resource
        .iter()
        .find(|(k, _)| keys_equal(k.as_str(), key))
        .map(|(_, value)| attr_value(value))
}

/// The first present attribute among `keys`, in one pass: the best (lowest) position
/// wins, and a duplicated key's first occurrence counts.
pub(crate) fn first_attribute<'v>(
    span: &'v SpanData,
    keys: &KeySet,
) -> Option<(usize, AttrValue<'v>)> {
    let mut best: Option<(usize, &Value)> = None;
    let mut seen = 0u64;
    for kv in &span.attributes {
        let Some(position) = keys.position(kv.key.as_str()) else {
            continue;
        };
        let bit = 1u64 << position;
        if seen & bit != 0 {
            continue;
        }
        seen |= bit;
        if best.is_none_or(|(p, _)| position < p) {
            best = Some((position, &kv.value));
            if position == 0 {
                break;
            }
        }
    }
    best.map(|(position, value)| (position, attr_value(value)))
}

impl SpanView for SdkSpan<'_> {
    fn trace_id(&self) -> [u8; 16] {
        self.span.span_context.trace_id().to_bytes()
    }

    fn span_id(&self) -> [u8; 8] {
        self.span.span_context.span_id().to_bytes()
    }

    fn parent_span_id(&self) -> Option<[u8; 8]> {
        (self.span.parent_span_id != SpanId::INVALID).then(|| self.span.parent_span_id.to_bytes())
    }

    fn name(&self) -> &str {
        &self.span.name
    }

    fn kind(&self) -> SpanKind {
        match self.span.span_kind {
            opentelemetry::trace::SpanKind::Client => SpanKind::Client,
            opentelemetry::trace::SpanKind::Server => SpanKind::Server,
            opentelemetry::trace::SpanKind::Producer => SpanKind::Producer,
            opentelemetry::trace::SpanKind::Consumer => SpanKind::Consumer,
            opentelemetry::trace::SpanKind::Internal => SpanKind::Internal,
        }
    }

    fn status(&self) -> StatusCode {
        match self.span.status {
            Status::Unset => StatusCode::Unset,
            Status::Ok => StatusCode::Ok,
            Status::Error { .. } => StatusCode::Error,
        }
    }

    fn start_time_unix_nano(&self) -> u64 {
        unix_nanos(self.span.start_time)
    }

    fn end_time_unix_nano(&self) -> u64 {
        unix_nanos(self.span.end_time)
    }

    fn attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        attribute(self.span, key)
    }

    fn resource_attribute(&self, key: &str) -> Option<AttrValue<'_>> {
        resource_attribute(self.resource, key)
    }

    fn first_attribute(&self, keys: &KeySet) -> Option<(usize, AttrValue<'_>)> {
        first_attribute(self.span, keys)
    }

    fn trace_state(&self) -> &str {
        self.trace_state
    }

    fn flags(&self) -> u32 {
        // As the OTLP exporter writes them: the W3C flags, and whether the parent is
        // remote (SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE, SPAN_FLAGS_CONTEXT_IS_REMOTE).
        let remote = if self.span.parent_span_is_remote {
            0x200
        } else {
            0
        };
        u32::from(self.span.span_context.trace_flags().to_u8()) | 0x100 | remote
    }
}
