//! Helpers shared by the evaluator tests: building `otlp::Span`s and policies tersely.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use cpl_eval::{Evaluator, SpanKind, StatusCode};
use cpl_otlp::{AnyValue, KeyValue, Resource, Span, SpanId, TraceId};

/// Loads and compiles a policy, panicking with the diagnostics if it does not load.
pub fn evaluator(yaml: &str) -> Evaluator {
    let loaded = cpl_syntax::load_policy(yaml);
    let policy = loaded
        .policy
        .unwrap_or_else(|| panic!("policy does not load: {:?}", loaded.diagnostics));
    Evaluator::compile(&policy).expect("policy compiles")
}

/// A policy with one condition `when`, base rate 0: a span is kept iff it matches.
pub fn one_condition(when: &str) -> Evaluator {
    let yaml = format!(
        "sampling:\n  base_rate: 0\n  conditions:\n    - name: c\n      when: |-\n        {when}\n"
    );
    evaluator(&yaml)
}

/// A span with sensible defaults: a fixed trace id, a 20 ms duration, no attributes.
pub fn span() -> Span {
    Span {
        trace_id: TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap_or_default(),
        span_id: SpanId::from_hex("00f067aa0ba902b7").unwrap_or_default(),
        parent_span_id: None,
        name: String::new(),
        kind: SpanKind::Unspecified,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_020_000_000,
        status: StatusCode::Unset,
        attributes: Vec::new(),
        resource: Arc::new(Resource::default()),
        encoded_len: 0,
        detail: None,
    }
}

/// Builder-style setters for tests.
pub trait SpanExt: Sized {
    fn with(self, key: &str, value: AnyValue) -> Self;
    fn with_resource(self, key: &str, value: AnyValue) -> Self;
    fn str(self, key: &str, value: &str) -> Self {
        self.with(key, AnyValue::String(value.into()))
    }
    fn int(self, key: &str, value: i64) -> Self {
        self.with(key, AnyValue::Int(value))
    }
    fn double(self, key: &str, value: f64) -> Self {
        self.with(key, AnyValue::Double(value))
    }
    fn boolean(self, key: &str, value: bool) -> Self {
        self.with(key, AnyValue::Bool(value))
    }
    fn duration_nanos(self, nanos: u64) -> Self;
    fn times(self, start: u64, end: u64) -> Self;
    fn kind(self, kind: SpanKind) -> Self;
    fn status(self, status: StatusCode) -> Self;
    fn name(self, name: &str) -> Self;
    fn trace(self, hex: &str) -> Self;
    fn parent(self, hex: &str) -> Self;
}

impl SpanExt for Span {
    fn with(mut self, key: &str, value: AnyValue) -> Self {
        self.attributes.push(KeyValue {
            key: key.into(),
            value,
        });
        self
    }
    fn with_resource(mut self, key: &str, value: AnyValue) -> Self {
        let mut resource = (*self.resource).clone();
        resource.attributes.push(KeyValue {
            key: key.into(),
            value,
        });
        self.resource = Arc::new(resource);
        self
    }
    fn duration_nanos(mut self, nanos: u64) -> Self {
        self.end_time_unix_nano = self.start_time_unix_nano + nanos;
        self
    }
    fn times(mut self, start: u64, end: u64) -> Self {
        self.start_time_unix_nano = start;
        self.end_time_unix_nano = end;
        self
    }
    fn kind(mut self, kind: SpanKind) -> Self {
        self.kind = kind;
        self
    }
    fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
    fn name(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
    fn trace(mut self, hex: &str) -> Self {
        self.trace_id = TraceId::from_hex(hex).expect("32 hex digits");
        self
    }
    fn parent(mut self, hex: &str) -> Self {
        self.parent_span_id = Some(SpanId::from_hex(hex).expect("16 hex digits"));
        self
    }
}

/// A trace id whose randomness (last 7 bytes) is `r`.
pub fn trace_with_randomness(r: u64) -> String {
    format!("abababababababab{:016x}", r & 0x00ff_ffff_ffff_ffff)
}
