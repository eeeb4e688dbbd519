//! Shared by the integration tests: recreating captured spans as SDK spans.
#![allow(dead_code, unreachable_pub)]

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cpl_otlp::{AnyValue, Fidelity, SpanKind as CplKind, StatusCode as CplStatus};
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use opentelemetry_sdk::Resource;

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every span of a capture, with its trace state and flags.
pub fn read_capture(path: &Path) -> Vec<cpl_otlp::Span> {
    let reader = cpl_otlp::open(path)
        .expect("the capture opens")
        .with_fidelity(Fidelity::Full);
    let mut spans = Vec::new();
    for batch in reader {
        spans.extend(batch.expect("the capture reads").spans);
    }
    spans
}

fn value(value: &AnyValue) -> Option<Value> {
    Some(match value {
        AnyValue::String(s) => Value::from(s.clone()),
        AnyValue::Bool(b) => Value::Bool(*b),
        AnyValue::Int(i) => Value::I64(*i),
        AnyValue::Double(d) => Value::F64(*d),
        // What the SDK cannot hold as a scalar is an array to the evaluator:
        // present, comparable with nothing.
        AnyValue::Bytes(_) | AnyValue::Array(_) | AnyValue::KvList(_) => {
            Value::Array(opentelemetry::Array::I64(Vec::new()))
        }
        AnyValue::Empty => return None,
    })
}

fn key_values(attributes: &[cpl_otlp::KeyValue]) -> Vec<KeyValue> {
    attributes
        .iter()
        .filter_map(|kv| value(&kv.value).map(|v| KeyValue::new(kv.key.clone(), v)))
        .collect()
}

pub fn resource(resource: &cpl_otlp::Resource) -> Resource {
    Resource::builder_empty()
        .with_attributes(key_values(&resource.attributes))
        .build()
}

fn time(nanos: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_nanos(nanos)
}

/// The SDK span a tracer would have ended for `span`, in one process: a parent is
/// local unless `remote_parent` says otherwise.
pub fn span_data(span: &cpl_otlp::Span, remote_parent: bool) -> SpanData {
    let detail = span.detail.as_deref();
    let trace_state = detail
        .map(|d| d.trace_state.as_str())
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse::<TraceState>().ok())
        .unwrap_or_default();
    let flags = detail.map_or(0, |d| d.flags);
    #[allow(clippy::cast_possible_truncation)]
    // An SDK hands recorded spans to its processors sampled (the exporting processors
    // skip the others); no corpus policy reads `sampled`.
    let flags = TraceFlags::new((flags & 0xff) as u8) | TraceFlags::SAMPLED;
    SpanData {
        span_context: SpanContext::new(
            TraceId::from_bytes(span.trace_id.0),
            SpanId::from_bytes(span.span_id.0),
            flags,
            false,
            trace_state,
        ),
        parent_span_id: span
            .parent_span_id
            .map_or(SpanId::INVALID, |p| SpanId::from_bytes(p.0)),
        parent_span_is_remote: remote_parent && span.parent_span_id.is_some(),
        span_kind: match span.kind {
            CplKind::Server => SpanKind::Server,
            CplKind::Client => SpanKind::Client,
            CplKind::Producer => SpanKind::Producer,
            CplKind::Consumer => SpanKind::Consumer,
            _ => SpanKind::Internal,
        },
        name: Cow::Owned(span.name.clone()),
        start_time: time(span.start_time_unix_nano),
        end_time: time(span.end_time_unix_nano),
        attributes: key_values(&span.attributes),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: match span.status {
            CplStatus::Ok => Status::Ok,
            CplStatus::Error => Status::error(""),
            CplStatus::Unset => Status::Unset,
        },
        instrumentation_scope: InstrumentationScope::builder("shop").build(),
    }
}

/// The order in which one process would end the spans: by end time, a span before
/// its parent when they end at the same instant.
pub fn end_order(spans: &[cpl_otlp::Span]) -> Vec<&cpl_otlp::Span> {
    let mut ordered: Vec<&cpl_otlp::Span> = spans.iter().collect();
    ordered.sort_by_key(|s| (s.end_time_unix_nano, s.parent_span_id.is_none()));
    ordered
}

/// [`end_order`], except that each root ends when the last span of its trace ends: a
/// synchronous service, in which no span outlives its local root.
pub fn root_last_order(spans: &[cpl_otlp::Span]) -> Vec<&cpl_otlp::Span> {
    let mut last_end: std::collections::HashMap<[u8; 16], u64> = std::collections::HashMap::new();
    for span in spans {
        let end = last_end.entry(span.trace_id.0).or_default();
        *end = (*end).max(span.end_time_unix_nano);
    }
    let mut ordered: Vec<&cpl_otlp::Span> = spans.iter().collect();
    ordered.sort_by_key(|s| {
        let end = if s.parent_span_id.is_none() {
            last_end[&s.trace_id.0]
        } else {
            s.end_time_unix_nano
        };
        (end, s.parent_span_id.is_none())
    });
    ordered
}

/// A key telling resources apart by content (each capture line has its own copy).
pub fn resource_key(resource: &cpl_otlp::Resource) -> String {
    format!("{:?}", resource.attributes)
}

/// A policy's evaluator, from its YAML.
pub fn evaluator(yaml: &str) -> cpl_eval::Evaluator {
    let loaded = cpl_syntax::load_policy(yaml);
    cpl_eval::Evaluator::compile(&loaded.policy.expect("the policy loads")).expect("compiles")
}

pub fn hex(id: [u8; 16]) -> String {
    format!("{:032x}", u128::from_be_bytes(id))
}
