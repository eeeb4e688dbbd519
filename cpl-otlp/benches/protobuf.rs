//! OTLP protobuf against OTLP/JSON on the same traces, in input bytes per second
//! (and, as both hold the same spans, the time per input is the per-span cost).
//!
//! Inputs: the first 20 lines of corpus/traces/shop.jsonl, and the same traces
//! as the collector's file exporter wrote them in `format: proto`
//! (tests/fixtures/otlp-proto/fileexporter/shop20-native.pb.zst, decompressed
//! here so that only framing and decoding are measured).

use std::hint::black_box;

use cpl_otlp::TraceReader;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

fn read_all(bytes: &[u8]) -> usize {
    TraceReader::new(bytes, "bench")
        .map(|batch| batch.expect("valid input").spans.len())
        .sum()
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
}

criterion_group!(benches, bench);
criterion_main!(benches);
