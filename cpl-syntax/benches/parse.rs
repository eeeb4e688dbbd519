//! How fast the front end reads policies: one expression, and a whole
//! 1 000-condition policy document (YAML + every `when:` + load-time checks).

#![allow(clippy::format_push_string, clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const WHENS: [&str; 5] = [
    "status_code >= 500",
    "status_code >= 400 AND status_code < 500 AND method in ['POST', 'PUT']",
    "duration > 1.5s OR (http.route starts_with '/api/payment' AND NOT error == true)",
    "resource.service.name == 'checkout' AND name matches '^GET /api/(users|orders)/'",
    "kind == SERVER AND exists(tenant.id) AND path not contains '/health'",
];

fn policy(conditions: usize) -> String {
    let mut text =
        String::from("version: 1\nservice: bench\nsampling:\n  base_rate: 0.01\n  conditions:\n");
    for i in 0..conditions {
        text.push_str(&format!(
            "    - name: rule_{i}\n      when: \"{}\"\n",
            WHENS[i % WHENS.len()]
        ));
    }
    text
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse");
    let expression = WHENS[2];
    group.throughput(Throughput::Bytes(expression.len() as u64));
    group.bench_function("expression", |b| {
        b.iter(|| cpl_syntax::parse_expression(black_box(expression)));
    });

    let document = policy(1_000);
    group.throughput(Throughput::Bytes(document.len() as u64));
    group.bench_function("policy_1000_conditions", |b| {
        b.iter(|| {
            let loaded = cpl_syntax::load_policy(black_box(&document));
            assert!(loaded.policy.is_some());
            loaded
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
