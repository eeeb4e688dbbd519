//! The SDK code scanner over every source file of the opentelemetry-demo tree
//! (`../shared/corpus/scan`; skipped without it): the files are read once, the
//! benchmark parses and evaluates them all.

use cpl_scan::code::{language_for, scan_source};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::path::Path;

fn sources(root: &Path) -> Vec<(String, cpl_scan::model::Language, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(language) = language_for(&path) {
                if let Ok(bytes) = std::fs::read(&path) {
                    out.push((path.to_string_lossy().into_owned(), language, bytes));
                }
            }
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let Some(root) = cpl_tests::shared_path("corpus/scan/open-telemetry__opentelemetry-demo")
    else {
        return;
    };
    let files = sources(&root);
    let bytes: usize = files.iter().map(|f| f.2.len()).sum();
    let mut group = c.benchmark_group("scan_code");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(format!("opentelemetry-demo ({} files)", files.len()), |b| {
        b.iter(|| {
            let findings: usize = files
                .iter()
                .map(|(path, language, bytes)| scan_source(path, *language, bytes).len())
                .sum();
            black_box(findings)
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
