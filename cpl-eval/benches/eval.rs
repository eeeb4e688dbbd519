//! Per-span evaluation cost of a compiled policy.
//!
//! The headline figure is `decide_span/demo_no_match`: the clarvynn demo policy
//! (corpus/policies/demo.yaml: server_errors, client_errors, slow_requests,
//! critical_payment_apis) on a realistic HTTP server span that matches none of them,
//! so every condition is evaluated and the base rate decides. clarvynn 0.3.1 needs
//! 25.7 µs for the same work (../shared/reference/clarvynn-0.3.1.md, section 6); the
//! target here is at most 50 ns. The other cases show a first-rule match, the
//! per-trace path (`add_matches`), and the richer corpus/policies/modern.yaml (a drop
//! rule with a list, a regex, tenants).

use std::hint::black_box;
use std::sync::Arc;

use cpl_eval::{Evaluator, RuleSet, SpanKind, StatusCode};
use cpl_otlp::{AnyValue, KeyValue, Resource, Span, SpanId, TraceId};
use criterion::{criterion_group, criterion_main, Criterion};

fn evaluator(yaml: &str) -> Evaluator {
    let policy = cpl_syntax::load_policy(yaml).policy.expect("policy loads");
    Evaluator::compile(&policy).expect("policy compiles")
}

fn kv(key: &str, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.into(),
        value,
    }
}

fn s(text: &str) -> AnyValue {
    AnyValue::String(text.into())
}

/// A GET served in 20 ms with status 200, attributes in the order an HTTP
/// instrumentation records them (route and status last), and a typical resource.
fn http_server_span() -> Span {
    let resource = Resource {
        attributes: vec![
            kv("service.name", s("checkout")),
            kv("service.version", s("1.4.2")),
            kv("telemetry.sdk.language", s("nodejs")),
            kv("telemetry.sdk.name", s("opentelemetry")),
            kv("host.name", s("checkout-7d9f8b6c4-x2x9q")),
        ],
    };
    Span {
        trace_id: TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").expect("hex"),
        span_id: SpanId::from_hex("00f067aa0ba902b7").expect("hex"),
        parent_span_id: None,
        name: "GET /api/users/:id".into(),
        kind: SpanKind::Server,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_020_000_000,
        status: StatusCode::Unset,
        attributes: vec![
            kv("http.request.method", s("GET")),
            kv("url.path", s("/api/users/42")),
            kv("server.address", s("checkout.internal")),
            kv("server.port", AnyValue::Int(8080)),
            kv(
                "user_agent.original",
                s("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"),
            ),
            kv("network.protocol.version", s("1.1")),
            kv("http.route", s("/api/users/:id")),
            kv("http.response.status_code", AnyValue::Int(200)),
        ],
        resource: Arc::new(resource),
        encoded_len: 0,
        detail: None,
    }
}

fn bench(c: &mut Criterion) {
    let demo = evaluator(include_str!("../../corpus/policies/demo.yaml"));
    let modern = evaluator(include_str!("../../corpus/policies/modern.yaml"));
    let routine = http_server_span();
    assert_eq!(
        demo.decide_span(&routine).to_string(),
        "drop (base rate 0.01)"
    );
    let mut error = http_server_span();
    error.attributes[7].value = AnyValue::Int(503);
    assert_eq!(
        demo.decide_span(&error).to_string(),
        "keep (rule server_errors)"
    );

    let mut group = c.benchmark_group("decide_span");
    group.bench_function("demo_no_match", |b| {
        b.iter(|| demo.decide_span(black_box(&routine)).keep);
    });
    group.bench_function("demo_server_error", |b| {
        b.iter(|| demo.decide_span(black_box(&error)).keep);
    });
    group.bench_function("modern_no_match", |b| {
        b.iter(|| modern.decide_span(black_box(&routine)).keep);
    });
    group.finish();

    let mut group = c.benchmark_group("add_matches");
    group.bench_function("demo_no_match", |b| {
        let mut matched = RuleSet::new();
        b.iter(|| {
            matched.clear();
            demo.add_matches(black_box(&routine), &mut matched);
            matched.is_empty()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
