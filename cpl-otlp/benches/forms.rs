//! Every input form the reader takes, end to end through `from_reader` (format and
//! compression told from the bytes, framing, decoding), in input bytes per second.
//!
//! - `json`, `json.gz`, `json.zst`: the first 20 lines of corpus/traces/shop.jsonl as
//!   written, then gzip- and zstd-compressed here;
//! - `proto_records`, `proto_records.zst`: the same traces as the collector's file
//!   exporter wrote them in `format: proto`
//!   (tests/fixtures/otlp-proto/fileexporter/shop20-native.pb.zst, decompressed here
//!   for the first);
//! - `tempo`, `jaeger_v3`: what trace stores export, from real repositories in
//!   ../shared/corpus/public (Grafana Tempo's service-graph test trace, Jaeger UI's
//!   api/v3 `getTrace` response): proto3 JSON with base64 ids and enum names inside
//!   `{"batches": …}` and `{"result": …}`. Left out, with a note, when the corpus is
//!   absent.
//!
//! The gzip and zstd cases include decompression; compare their times with the
//! uncompressed case of the same traces for its cost.

use std::hint::black_box;
use std::io::{Cursor, Write as _};
use std::sync::Arc;

use cpl_otlp::{from_reader, AttributeKeys, Leniency};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Reads `bytes` as `cpl replay` reads a file without `--strict` (every attribute
/// kept) and counts the spans.
fn read(bytes: &Arc<[u8]>) -> usize {
    from_reader(Cursor::new(Arc::clone(bytes)), "bench")
        .expect("readable")
        .with_leniency(Leniency::Lenient)
        .with_attribute_keys(AttributeKeys::all())
        .map(|batch| batch.expect("valid input").spans.len())
        .sum()
}

fn shop20() -> Vec<u8> {
    let shop = std::fs::read_to_string(format!("{ROOT}/corpus/traces/shop.jsonl")).expect("corpus");
    shop.lines()
        .take(20)
        .flat_map(|l| [l, "\n"])
        .collect::<String>()
        .into_bytes()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("in memory");
    encoder.finish().expect("in memory")
}

/// A public corpus file, or `None` with a note that its case is left out.
fn public(path: &str) -> Option<Vec<u8>> {
    let full = format!("{ROOT}/../shared/corpus/public/{path}");
    match std::fs::read(&full) {
        Ok(bytes) => Some(bytes),
        Err(error) => {
            eprintln!("note: {full}: {error}; its case is left out");
            None
        }
    }
}

fn bench(c: &mut Criterion) {
    let json = shop20();
    let proto_zst = std::fs::read(format!(
        "{ROOT}/tests/fixtures/otlp-proto/fileexporter/shop20-native.pb.zst"
    ))
    .expect("fixture");
    let proto = zstd::decode_all(proto_zst.as_slice()).expect("zstd");
    let json_zst = zstd::encode_all(json.as_slice(), 3).expect("in memory");
    let mut cases: Vec<(&str, Arc<[u8]>)> = vec![
        ("json", json.as_slice().into()),
        ("json.gz", gzip(&json).into()),
        ("json.zst", json_zst.into()),
        ("proto_records", proto.into()),
        ("proto_records.zst", proto_zst.into()),
    ];
    let spans = read(&cases[0].1);
    for (name, bytes) in &cases[1..] {
        assert_eq!(read(bytes), spans, "{name}: the same spans as the JSON");
    }
    let stores = [
        (
            "tempo",
            "grafana__tempo/modules__generator__processor__servicegraphs__testdata__trace-with-queue-database.json",
        ),
        (
            "jaeger_v3",
            "jaegertracing__jaeger-ui/packages__jaeger-ui__src__api__v3____fixtures____getTrace-response.json",
        ),
    ];
    for (name, path) in stores {
        if let Some(bytes) = public(path) {
            let bytes: Arc<[u8]> = bytes.into();
            assert!(read(&bytes) > 0, "{name}: spans");
            cases.push((name, bytes));
        }
    }
    let mut group = c.benchmark_group("otlp_forms");
    group.sample_size(20);
    for (name, bytes) in &cases {
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(*name, |b| b.iter(|| read(black_box(bytes))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
