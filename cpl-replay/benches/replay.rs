//! Replay end to end on the shipped capture: frame, decode, evaluate every span of the
//! demo policy, merge per trace and decide (one core). Compare with `otlp_decode`, which
//! only decodes the same kind of input.

use std::hint::black_box;

use cpl_eval::Evaluator;
use cpl_otlp::TraceReader;
use cpl_replay::{Replay, ReplayOptions};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let input = std::fs::read(format!("{root}/corpus/traces/shop.jsonl"))
        .expect("corpus/traces/shop.jsonl");
    let policy_text =
        std::fs::read_to_string(format!("{root}/corpus/policies/demo.yaml")).expect("demo policy");
    let policy = cpl_syntax::load_policy(&policy_text)
        .policy
        .expect("demo policy loads");
    let evaluator = Evaluator::compile(&policy).expect("compiles");

    let mut group = c.benchmark_group("replay");
    group.throughput(Throughput::Bytes(input.len() as u64));
    group.sample_size(20);
    group.bench_function("shop.jsonl/demo.yaml", |b| {
        b.iter(|| {
            let mut replay = Replay::new(&evaluator, ReplayOptions::default());
            let mut reader = TraceReader::new(black_box(input.as_slice()), "shop.jsonl");
            for batch in &mut reader {
                let batch = batch.expect("valid corpus");
                replay.add(Replay::summarize(&evaluator, &batch.spans));
            }
            replay.add_input(reader.stats());
            replay.finish()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
