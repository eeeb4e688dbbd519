//! Throughput of the OTLP/JSON reader, in input bytes per second.
//!
//! Decodes `../shared/corpus/generated/traces-small.jsonl` (a real-SDK capture,
//! 30 lines, ~8 MB) when it exists, else a generated JSONL input of similar
//! shape. Three measurements over the same bytes:
//! - `serde_json_ignored_any`: a syntax-only parse of each line, the floor;
//! - `decode_document`: each line decoded into `Span`s (the parallel hook), every
//!   attribute kept (the single-pass path);
//! - `decode_document_policy_keys`: the same keeping only the attributes a replay of
//!   the demo policy reads, as `cpl replay` does;
//! - `decode_document_full`: the same at `Fidelity::Full` (with `Span::detail`;
//!   the serde decoder);
//! - `trace_reader`: the streaming reader end to end (line framing + decode).

use std::fmt::Write as _;
use std::hint::black_box;

use cpl_otlp::{
    decode_document_into, decode_document_keeping, decode_document_with_fidelity, AttributeKeys,
    Fidelity, Leniency, TraceReader,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const CAPTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/corpus/generated/traces-small.jsonl"
);

/// A deterministic JSONL input: 20 lines of 300 spans with typical attributes.
fn generated() -> Vec<u8> {
    let mut out = String::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..20 {
        out.push_str(r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"gateway"}},{"key":"host.name","value":{"stringValue":"vm"}},{"key":"process.pid","value":{"intValue":1234}}]},"scopeSpans":[{"scope":{"name":"@opentelemetry/instrumentation-http","version":"0.55.0"},"spans":["#);
        for i in 0..300 {
            if i > 0 {
                out.push(',');
            }
            let (t1, t2, s, p) = (next(), next(), next(), next());
            let start = 1_700_000_000_000_000_000u64 + (next() % 1_000_000_000_000);
            let _ = write!(
                out,
                r#"{{"traceId":"{t1:016x}{t2:016x}","spanId":"{s:016x}","parentSpanId":"{p:016x}","name":"GET /api/users/:id","kind":2,"startTimeUnixNano":"{start}","endTimeUnixNano":"{}","attributes":[{{"key":"http.request.method","value":{{"stringValue":"GET"}}}},{{"key":"url.path","value":{{"stringValue":"/api/users/{}"}}}},{{"key":"http.route","value":{{"stringValue":"/api/users/:id"}}}},{{"key":"http.response.status_code","value":{{"intValue":200}}}},{{"key":"server.address","value":{{"stringValue":"localhost"}}}},{{"key":"server.port","value":{{"intValue":8080}}}},{{"key":"network.peer.address","value":{{"stringValue":"127.0.0.1"}}}},{{"key":"user_agent.original","value":{{"stringValue":"load-driver/1.0"}}}},{{"key":"tenant.id","value":{{"stringValue":"acme"}}}}],"droppedAttributesCount":0,"events":[],"droppedEventsCount":0,"status":{{"code":0}},"links":[],"droppedLinksCount":0,"flags":257}}"#,
                start + next() % 10_000_000,
                next() % 10_000
            );
        }
        out.push_str("]}]}]}\n");
    }
    out.into_bytes()
}

fn input() -> (Vec<u8>, &'static str) {
    if let Ok(bytes) = std::fs::read(CAPTURE) {
        (bytes, "traces-small.jsonl")
    } else {
        eprintln!("note: {CAPTURE} not found; benchmarking a generated input");
        (generated(), "generated.jsonl")
    }
}

fn bench(c: &mut Criterion) {
    let (bytes, name) = input();
    let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
    let mut group = c.benchmark_group(format!("otlp_decode/{name}"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(20);

    group.bench_function("serde_json_ignored_any", |b| {
        b.iter(|| {
            for line in &lines {
                let v: serde::de::IgnoredAny =
                    serde_json::from_slice(black_box(line)).expect("valid JSON");
                black_box(v);
            }
        });
    });

    group.bench_function("decode_document", |b| {
        let mut spans = Vec::new();
        b.iter(|| {
            let mut n = 0;
            for line in &lines {
                spans.clear();
                decode_document_into(black_box(line), &mut spans).expect("valid OTLP");
                n += spans.len();
            }
            black_box(n)
        });
    });

    // What `cpl replay corpus/policies/demo.yaml` keeps (`Replay::attribute_keys`).
    let keys = AttributeKeys::only(
        [
            "http.route",
            "http.response.status_code",
            "http.status_code",
            "url.path",
            "http.target",
            "url.full",
            "http.url",
        ],
        ["service.name"],
    );
    group.bench_function("decode_document_policy_keys", |b| {
        let mut spans = Vec::new();
        b.iter(|| {
            let mut n = 0;
            for line in &lines {
                spans.clear();
                decode_document_keeping(
                    black_box(line),
                    &mut spans,
                    Leniency::Strict,
                    Fidelity::Policy,
                    &keys,
                )
                .expect("valid OTLP");
                n += spans.len();
            }
            black_box(n)
        });
    });

    // The same at `Fidelity::Full`: what reading the span detail costs.
    group.bench_function("decode_document_full", |b| {
        let mut spans = Vec::new();
        b.iter(|| {
            let mut n = 0;
            for line in &lines {
                spans.clear();
                decode_document_with_fidelity(
                    black_box(line),
                    &mut spans,
                    Leniency::Strict,
                    Fidelity::Full,
                )
                .expect("valid OTLP");
                n += spans.len();
            }
            black_box(n)
        });
    });

    group.bench_function("trace_reader", |b| {
        b.iter(|| {
            let reader = TraceReader::new(black_box(bytes.as_slice()), name);
            let n: usize = reader.map(|r| r.expect("valid OTLP").spans.len()).sum();
            black_box(n)
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
