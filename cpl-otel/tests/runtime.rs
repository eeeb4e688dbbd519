//! The runtime rules of spec/runtime.md besides replay equivalence: bounds, shutdown,
//! concurrency, trace state, building, logs.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use cpl_otel::{BuildError, Builder, CplProcessor};
use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _};
use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::logs::{InMemoryLogExporter, SdkLoggerProvider, SimpleLogProcessor};
use opentelemetry_sdk::trace::{
    InMemorySpanExporter, SimpleSpanProcessor, SpanData, SpanEvents, SpanLinks, SpanProcessor,
};

const POLICY: &str = r"
sampling:
  base_rate: 0
  conditions:
    - name: server_errors
      when: 'status_code >= 500'
";

type Processor = CplProcessor<SimpleSpanProcessor<InMemorySpanExporter>>;

fn processor(builder: Builder) -> (Processor, InMemorySpanExporter) {
    let exporter = InMemorySpanExporter::default();
    let processor = builder
        .build(SimpleSpanProcessor::new(exporter.clone()))
        .expect("bounds");
    (processor, exporter)
}

fn builder(yaml: &str) -> Builder {
    Builder::from_yaml(yaml).expect("the policy builds")
}

/// A span of `trace`: the local root when `span` is 1, else its child.
fn span(trace: u128, span: u64, status: i64) -> SpanData {
    span_with(trace, span, status, TraceState::default(), false)
}

fn span_with(
    trace: u128,
    span: u64,
    status: i64,
    state: TraceState,
    remote_parent: bool,
) -> SpanData {
    let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let root = span == 1;
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(trace),
            SpanId::from(span),
            TraceFlags::SAMPLED,
            false,
            state,
        ),
        parent_span_id: match (root, remote_parent) {
            (true, false) => SpanId::INVALID,
            (true, true) => SpanId::from(0xabcd),
            (false, _) => SpanId::from(1),
        },
        parent_span_is_remote: root && remote_parent,
        span_kind: SpanKind::Internal,
        name: Cow::Borrowed("work"),
        start_time: start,
        end_time: start + Duration::from_millis(5),
        attributes: if status == 0 {
            Vec::new()
        } else {
            vec![KeyValue::new("http.response.status_code", status)]
        },
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("test").build(),
    }
}

fn exported(exporter: &InMemorySpanExporter) -> Vec<SpanData> {
    exporter.get_finished_spans().expect("spans")
}

#[test]
fn a_local_trace_waits_for_its_root_and_is_exported_whole() {
    let (p, exporter) = processor(builder(POLICY));
    p.on_end(span(7, 2, 503));
    p.on_end(span(7, 3, 200));
    assert!(
        exported(&exporter).is_empty(),
        "nothing before the root ends"
    );
    p.on_end(span(7, 1, 200));
    assert_eq!(exported(&exporter).len(), 3);
    // A routine trace: base rate 0 drops it whole.
    p.on_end(span(8, 2, 200));
    p.on_end(span(8, 1, 200));
    assert_eq!(exported(&exporter).len(), 3);
    let stats = p.stats();
    assert_eq!((stats.traces_kept, stats.traces_dropped), (1, 1));
    assert_eq!((stats.spans_kept, stats.spans_dropped), (3, 2));
    assert_eq!(stats.decided_on_root, 2);
    // A span ending after its root follows the decision.
    p.on_end(span(7, 4, 200));
    p.on_end(span(8, 3, 503));
    assert_eq!(exported(&exporter).len(), 4);
    assert_eq!(p.stats().late_spans, 2);
}

#[test]
fn the_span_bound_decides_early_on_what_is_buffered() {
    let (p, exporter) = processor(builder(POLICY).max_spans_per_trace(10));
    for id in 2..=26 {
        p.on_end(span(9, id, if id == 4 { 500 } else { 200 }));
    }
    let stats = p.stats();
    assert_eq!(stats.decided_span_bound, 1);
    assert_eq!(
        stats.late_spans, 15,
        "spans after the early decision follow it"
    );
    assert_eq!(
        exported(&exporter).len(),
        25,
        "the buffered error kept the trace"
    );
    // The error after the early decision is not seen: the trace stays dropped.
    for id in 2..=26 {
        p.on_end(span(10, id, if id == 20 { 500 } else { 200 }));
    }
    assert_eq!(exported(&exporter).len(), 25);
}

#[test]
fn a_trace_of_a_million_spans_holds_at_most_the_span_bound() {
    let (p, exporter) = processor(builder(POLICY));
    let template = span(11, 2, 0);
    for _ in 0..1_000_000 {
        p.on_end(template.clone());
    }
    p.on_end(span(11, 1, 0));
    let stats = p.stats();
    // The first 1 000 were buffered and decided; every later span was released at once.
    assert_eq!(stats.decided_span_bound, 1);
    assert_eq!(stats.late_spans, 999_001);
    assert_eq!(stats.spans_dropped, 1_000_001);
    assert!(exported(&exporter).is_empty());
}

#[test]
fn the_age_bound_decides_traces_whose_root_never_ends() {
    let (p, exporter) = processor(builder(POLICY).max_age(Duration::from_millis(30)));
    p.on_end(span(0x100, 2, 502));
    std::thread::sleep(Duration::from_millis(60));
    // Any span of the same shard sweeps it (the shard is chosen by the last byte).
    p.on_end(span(0x200, 2, 200));
    assert_eq!(p.stats().decided_age_bound, 1);
    assert_eq!(exported(&exporter).len(), 1);
}

#[test]
fn the_trace_bound_decides_the_oldest_trace_of_the_shard() {
    // 16 shards of one trace each.
    let (p, exporter) = processor(builder(POLICY).max_traces(16));
    p.on_end(span(0x100, 2, 500));
    p.on_end(span(0x200, 2, 200));
    assert_eq!(p.stats().decided_trace_bound, 1);
    assert_eq!(exported(&exporter).len(), 1);
    // Another shard has room.
    p.on_end(span(0x201, 2, 200));
    assert_eq!(p.stats().decided_trace_bound, 1);
}

#[test]
fn shutdown_decides_pending_traces_on_what_they_have() {
    let (p, exporter) = processor(builder(POLICY));
    p.on_end(span(12, 2, 500));
    p.on_end(span(13, 2, 200));
    p.force_flush().expect("flush");
    assert_eq!(p.stats().decided_on_flush, 2);
    assert_eq!(exported(&exporter).len(), 1);
    p.on_end(span(14, 2, 504));
    p.shutdown().expect("shutdown");
    let stats = p.stats();
    assert_eq!(stats.decided_on_flush, 3);
    // The in-memory exporter forgets its spans when it shuts down: count them.
    assert_eq!(stats.spans_kept, 2);
    assert!(exporter.is_shutdown_called());
    p.on_end(span(15, 1, 500));
    assert_eq!(p.stats().after_shutdown, 1);
    assert_eq!(p.stats().spans_kept, 2);
}

#[test]
fn concurrent_on_end_from_many_threads_loses_nothing() {
    const THREADS: u64 = 8;
    const TRACES: u64 = 400;
    let (p, exporter) = processor(builder(POLICY).max_traces(1_000_000));
    let p = Arc::new(p);
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let p = Arc::clone(&p);
            scope.spawn(move || {
                for t in 0..TRACES {
                    // Two threads share every trace: one ends the children, the other
                    // the root, in either order.
                    let trace = u128::from(((thread / 2) << 32) | t) + 1;
                    let error = t % 5 == 0;
                    if thread % 2 == 0 {
                        for id in 2..=4 {
                            p.on_end(span(trace, id, if error && id == 3 { 500 } else { 200 }));
                        }
                    } else {
                        p.on_end(span(trace, 1, 200));
                    }
                }
            });
        }
    });
    p.force_flush().expect("flush");
    let stats = p.stats();
    let total = THREADS / 2 * TRACES * 4;
    assert_eq!(stats.spans_kept + stats.spans_dropped, total);
    // Every kept span belongs to an error trace, and no error trace whose error was
    // buffered before its decision is lost.
    let spans = exported(&exporter);
    assert_eq!(spans.len() as u64, stats.spans_kept);
    assert!(spans.iter().all(
        |s| ((u128::from_be_bytes(s.span_context.trace_id().to_bytes()) - 1) & 0xffff_ffff) % 5
            == 0
    ));
    // A trace whose root ended before its error span is dropped whole, its late spans
    // too: every trace is exported whole or not at all.
    let mut per_trace = std::collections::HashMap::new();
    for s in &spans {
        *per_trace.entry(s.span_context.trace_id()).or_insert(0) += 1;
    }
    assert!(per_trace.values().all(|&n| n == 4), "{per_trace:?}");
}

fn state(ot: &str) -> TraceState {
    TraceState::from_key_value([("ot", ot), ("vendor", "x")]).expect("a valid W3C trace state")
}

#[test]
fn upstream_thresholds_keep_what_upstream_sampled() {
    let (p, exporter) = processor(builder(POLICY));
    // R of this trace id is 0xce929d0e0e4736: kept at th:8 (T = 2^55), not at th:f.
    let id = 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128;
    p.on_end(span_with(id, 1, 200, state("th:8"), true));
    assert_eq!(p.stats().kept_upstream, 1);
    let spans = exported(&exporter);
    assert_eq!(spans.len(), 1);
    assert_eq!(
        spans[0].span_context.trace_state().get("ot"),
        Some("th:8"),
        "unchanged"
    );

    // Inconsistent (T > R), malformed, or not sampled: the policy alone decides.
    // (An invalid `rv` alone is ignored, and a valid `th:0` beside it still keeps.)
    // (An invalid `rv` alone is ignored, and a valid `th` beside it still counts.)
    for (n, ot) in ["th:f", "th:100000000000000", "th:C", "th:8;th:8", "th:0;"]
        .into_iter()
        .enumerate()
    {
        p.on_end(span_with(id + 1 + n as u128, 1, 200, state(ot), true));
    }
    assert_eq!(exported(&exporter).len(), 1);
    assert_eq!(p.stats().malformed_trace_state, 4);
    // An explicit `rv` is the randomness upstream decided with.
    p.on_end(span_with(
        id + 10,
        1,
        200,
        state("th:8;rv:ffffffffffffff"),
        true,
    ));
    assert_eq!(exported(&exporter).len(), 2);

    let (off, exporter) = processor(builder(POLICY).honor_upstream_threshold(false));
    off.on_end(span_with(id, 1, 200, state("th:8"), true));
    assert!(exported(&exporter).is_empty());
}

#[test]
fn kept_spans_carry_their_decisions_threshold() {
    let policy = r"
sampling:
  base_rate: 0.01
  conditions:
    - name: server_errors
      when: 'status_code >= 500'
    - name: half
      when: 'status_code == 402'
      rate: 0.5
";
    let (p, exporter) = processor(builder(policy));
    // R = T(0.01) exactly: kept by the base rate.
    let base = 0x00fd_70a3_d70a_3d70_u128;
    p.on_end(span_with(
        base,
        1,
        200,
        state("rv:00000000000001;x:1"),
        false,
    ));
    p.on_end(span_with(base + 1, 1, 200, TraceState::default(), false));
    p.on_end(span_with(
        0x00ff_ffff_ffff_ffff,
        1,
        402,
        state("th:c"),
        false,
    ));
    p.on_end(span_with(5, 1, 500, TraceState::default(), false));
    let spans = exported(&exporter);
    let ot: Vec<_> = spans
        .iter()
        .map(|s| s.span_context.trace_state().header())
        .collect();
    assert_eq!(
        ot,
        [
            // rv below T: th would be inconsistent, so none is written.
            "ot=rv:00000000000001;x:1,vendor=x",
            "ot=fd70a3d70a3d71"
                .replace("fd70a3d70a3d71", "th:fd70a3d70a3d7")
                .as_str(),
            "ot=th:8,vendor=x",
            "ot=th:0",
        ]
    );
}

#[test]
fn a_policy_with_errors_is_refused_when_building() {
    let error = Builder::from_yaml("sampling:\n  base_rate: 0.1\n  conditions:\n    - name: x\n      when: 'status_code >>= 500'\n")
        .expect_err("refused");
    let BuildError::Policy { errors } = &error else {
        panic!("{error:?}");
    };
    assert!(errors.iter().any(|d| d.code.code == "E101"), "{errors:?}");
    assert!(matches!(
        builder(POLICY)
            .max_traces(0)
            .build(SimpleSpanProcessor::new(InMemorySpanExporter::default())),
        Err(BuildError::ZeroBound("max_traces"))
    ));
}

#[test]
fn logs_follow_their_traces_decision() {
    let (p, spans) = processor(builder(POLICY));
    let logs = InMemoryLogExporter::default();
    let provider = SdkLoggerProvider::builder()
        .with_log_processor(p.log_processor(SimpleLogProcessor::new(logs.clone())))
        .build();
    let logger = provider.logger("test");
    let emit = |trace: Option<u128>, body: &'static str| {
        let mut record = logger.create_log_record();
        record.set_body(AnyValue::from(body));
        if let Some(trace) = trace {
            record.set_trace_context(
                TraceId::from(trace),
                SpanId::from(2),
                Some(TraceFlags::SAMPLED),
            );
        }
        logger.emit(record);
    };
    let bodies = || -> Vec<String> {
        logs.get_emitted_logs()
            .expect("logs")
            .iter()
            .filter_map(|l| l.record.body().map(|b| format!("{b:?}")))
            .collect()
    };
    emit(Some(21), "kept trace");
    emit(Some(22), "dropped trace");
    emit(None, "no trace");
    assert_eq!(
        bodies().len(),
        1,
        "only the record without a trace passes at once"
    );
    p.on_end(span(21, 2, 500));
    p.on_end(span(21, 1, 200));
    p.on_end(span(22, 1, 200));
    emit(Some(21), "after keep");
    emit(Some(22), "after drop");
    let got = bodies();
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        got.iter().any(|b| b.contains("kept trace"))
            && got.iter().any(|b| b.contains("after keep"))
    );
    assert!(!got.iter().any(|b| b.contains("drop")));
    let stats = p.stats();
    assert_eq!((stats.logs_kept, stats.logs_dropped), (3, 2));
    emit(Some(23), "never decided");
    provider.shutdown().expect("shutdown");
    assert_eq!(p.stats().logs_expired, 1);
    assert_eq!(
        exported(&spans).len(),
        2,
        "the tracer provider is not shut down"
    );
}
