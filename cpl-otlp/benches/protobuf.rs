//! OTLP protobuf against OTLP/JSON on the same traces, in input bytes per second
//! (and, as both hold the same spans, the time per input is the per-span cost).
//!
//! Inputs: the first 20 lines of corpus/traces/shop.jsonl, and the same traces
//! as the collector's file exporter wrote them in `format: proto`
//! (tests/fixtures/otlp-proto/fileexporter/shop20-native.pb.zst, decompressed
//! here so that only framing and decoding are measured).
//!
//! The protobuf cases: `protobuf` keeps every attribute (the direct wire walk,
//! `AttributeKeys::all`), `protobuf_replay_keys` keeps only what a replay of
//! corpus/policies/demo.yaml reads (the wire walk as `cpl replay` runs it), and
//! `protobuf_full` reads at `Fidelity::Full`, which prost's generated types
//! decode (the reference path). `CPL_BENCH_PROTOBUF=<file>` adds the same cases
//! on a larger uncompressed capture, e.g. a file exporter's `format: proto`.

use std::hint::black_box;

use cpl_otlp::{AttributeKeys, Fidelity, TraceReader};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn read_all(bytes: &[u8]) -> usize {
    read_with(bytes, AttributeKeys::all(), Fidelity::Policy)
}

fn read_with(bytes: &[u8], keys: AttributeKeys, fidelity: Fidelity) -> usize {
    TraceReader::new(bytes, "bench")
        .with_attribute_keys(keys)
        .with_fidelity(fidelity)
        .map(|batch| batch.expect("valid input").spans.len())
        .sum()
}

/// What a replay of corpus/policies/demo.yaml reads: its conditions' keys (with
/// every source key of `status_code` and `path`), `http.route`, `service.name`
/// (as `Evaluator::attribute_keys` gives them).
fn replay_keys() -> AttributeKeys {
    AttributeKeys::only(
        [
            "http.response.status_code",
            "http.route",
            "http.status_code",
            "http.target",
            "http.url",
            "url.full",
            "url.path",
        ],
        ["service.name"],
    )
}

fn protobuf_cases(c: &mut Criterion, group: &str, proto: &[u8]) {
    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Bytes(proto.len() as u64));
    group.sample_size(20);
    group.bench_function("protobuf_replay_keys", |b| {
        b.iter(|| read_with(black_box(proto), replay_keys(), Fidelity::Policy));
    });
    group.bench_function("protobuf_full", |b| {
        b.iter(|| read_with(black_box(proto), AttributeKeys::all(), Fidelity::Full));
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let shop = std::fs::read_to_string(format!("{ROOT}/corpus/traces/shop.jsonl")).expect("corpus");
    let json: String = shop.lines().take(20).flat_map(|l| [l, "\n"]).collect();
    let compressed = std::fs::read(format!(
        "{ROOT}/tests/fixtures/otlp-proto/fileexporter/shop20-native.pb.zst"
    ))
    .expect("fixture");
    let proto = zstd::decode_all(compressed.as_slice()).expect("zstd");
    assert_eq!(read_all(json.as_bytes()), read_all(&proto), "same spans");

    for (name, bytes) in [("json", json.as_bytes()), ("protobuf", proto.as_slice())] {
        let mut group = c.benchmark_group("otlp_encodings/shop20");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.sample_size(20);
        group.bench_function(name, |b| b.iter(|| read_all(black_box(bytes))));
        group.finish();
    }
    protobuf_cases(c, "otlp_encodings/shop20", &proto);
    if let Ok(path) = std::env::var("CPL_BENCH_PROTOBUF") {
        let proto = std::fs::read(&path).expect("CPL_BENCH_PROTOBUF");
        let mut group = c.benchmark_group("otlp_encodings/custom");
        group.throughput(Throughput::Bytes(proto.len() as u64));
        group.sample_size(10);
        group.bench_function("protobuf", |b| b.iter(|| read_all(black_box(&proto))));
        group.finish();
        protobuf_cases(c, "otlp_encodings/custom", &proto);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
