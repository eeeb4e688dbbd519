//! Per-span overhead of the CPL processor: the SDK's simple and batch processors
//! over a no-op exporter alone, and the same with a `CplProcessor` in front deciding
//! the demo policy (spec/runtime.md). Each iteration ends a batch of fresh local
//! traces of 8 spans (7 children, then the root); the figures are per span.

use std::borrow::Cow;
use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchSpanProcessor, SimpleSpanProcessor, SpanData, SpanEvents, SpanExporter, SpanLinks,
    SpanProcessor,
};

const DEMO: &str = r#"
sampling:
  base_rate: 0.01
  conditions:
    - name: server_errors
      when: 'status_code >= 500'
    - name: client_errors
      when: 'status_code >= 400 AND status_code < 500'
    - name: slow_requests
      when: 'duration_ms > 1000'
    - name: critical_payment_apis
      when: "path contains '/api/payment'"
"#;

const TRACES: usize = 64;
const SPANS_PER_TRACE: usize = 8;

#[derive(Debug)]
struct NoopExporter;

impl SpanExporter for NoopExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        black_box(batch);
        Ok(())
    }
}

fn span(trace: u128, index: usize, status: i64, route: &'static str) -> SpanData {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let root = index == SPANS_PER_TRACE - 1;
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(trace),
            SpanId::from(index as u64 + 1),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: if root {
            SpanId::INVALID
        } else {
            SpanId::from(SPANS_PER_TRACE as u64)
        },
        parent_span_is_remote: false,
        span_kind: if root {
            SpanKind::Server
        } else {
            SpanKind::Client
        },
        name: Cow::Borrowed("GET /api/users/:id"),
        start_time: start,
        end_time: start + Duration::from_millis(20),
        attributes: vec![
            KeyValue::new("http.request.method", "GET"),
            KeyValue::new("http.route", route),
            KeyValue::new("url.path", "/api/users/42"),
            KeyValue::new("http.response.status_code", status),
            KeyValue::new("server.address", "users"),
        ],
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("bench").build(),
    }
}

/// Fresh traces for each batch, so no span meets a remembered decision.
fn batch(next: &mut u128, status: i64) -> Vec<SpanData> {
    let mut spans = Vec::with_capacity(TRACES * SPANS_PER_TRACE);
    for _ in 0..TRACES {
        *next += 1;
        // Low randomness: the base rate 0.01 drops these traces.
        let trace = *next << 64;
        for index in 0..SPANS_PER_TRACE {
            spans.push(span(trace, index, status, "/api/users/:id"));
        }
    }
    spans
}

fn run(c: &mut Criterion, name: &str, processor: &dyn SpanProcessor, status: i64) {
    let mut group = c.benchmark_group("per_span");
    group.throughput(Throughput::Elements((TRACES * SPANS_PER_TRACE) as u64));
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(4));
    let mut next = 0;
    group.bench_function(name, |b| {
        b.iter_batched(
            || batch(&mut next, status),
            |spans| {
                for span in spans {
                    processor.on_end(span);
                }
            },
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

fn processors(c: &mut Criterion) {
    let simple = SimpleSpanProcessor::new(NoopExporter);
    run(c, "sdk_simple", &simple, 200);

    let batch = BatchSpanProcessor::builder(NoopExporter).build();
    run(c, "sdk_batch", &batch, 200);
    let _ = batch.shutdown();

    let build = || cpl_otel::Builder::from_yaml(DEMO).expect("the demo policy builds");
    let cpl = build()
        .build(SimpleSpanProcessor::new(NoopExporter))
        .expect("bounds");
    run(c, "cpl_simple_dropped", &cpl, 200);
    run(c, "cpl_simple_kept", &cpl, 503);

    let cpl = build()
        .build(BatchSpanProcessor::builder(NoopExporter).build())
        .expect("bounds");
    run(c, "cpl_batch_dropped", &cpl, 200);
    run(c, "cpl_batch_kept", &cpl, 503);
    let _ = cpl.shutdown();
}

criterion_group!(benches, processors);
criterion_main!(benches);
