//! Loading and checking 1 000 varied policies: the budget is one second for all of them
//! (issue 4), about 1 ms per policy. The policies are generated here, deterministically,
//! from realistic condition shapes: thresholds, ranges, lists, string tests, regexes,
//! drop rules, rates, disabled rules, tenants, and the mistakes the lints look for.

use std::fmt::Write as _;
use std::hint::black_box;

use cpl_check::{check_policy, CheckOptions, Target};
use cpl_syntax::load_policy;
use criterion::{criterion_group, criterion_main, Criterion};

const SHAPES: &[&str] = &[
    "status_code >= {s}",
    "status_code >= 400 AND status_code < {s}",
    "duration_ms > {ms}",
    "duration > {ms}ms AND kind == SERVER",
    "path contains '/api/{w}'",
    "http.route in ['/health', '/ready', '/{w}']",
    "method not in ['GET', 'HEAD'] AND path starts_with '/{w}'",
    "status == ERROR OR error == true",
    "user_id starts_with 'vip-' OR user_id == '{w}'",
    "resource.service.name == '{w}' AND status_code >= {s}",
    "NOT exists(status_code) OR status_code < {s}",
    "path matches '^/v[0-9]+/{w}$'",
    "db.system == 'postgresql' AND duration > {ms}ms",
    "(status_code >= {s} OR duration > 2s) AND NOT path contains '/static'",
    "http.route != '/{w}'",
    "status_code > 499 AND status_code < {s}",
    "messaging.system == 'kafka' AND kind == CONSUMER",
    "rpc.grpc.status_code in [2, 4, 13, 14]",
];

const WORDS: &[&str] = &[
    "pay", "users", "search", "orders", "cart", "login", "export", "admin",
];

/// A small deterministic generator (xorshift), so every run checks the same policies.
struct Rng(u64);

impl Rng {
    #[allow(clippy::cast_possible_truncation)]
    fn next(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}

fn condition(rng: &mut Rng) -> String {
    SHAPES[rng.next(SHAPES.len())]
        .replace("{s}", &(400 + 10 * rng.next(20)).to_string())
        .replace("{ms}", &(100 * (1 + rng.next(30))).to_string())
        .replace("{w}", WORDS[rng.next(WORDS.len())])
}

fn policy(seed: u64) -> String {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "version: 1\nservice: svc{seed}\nsampling:\n  base_rate: 0.0{}\n  conditions:",
        1 + rng.next(9)
    );
    for i in 0..(3 + rng.next(10)) {
        let _ = writeln!(
            text,
            "    - name: rule_{i}\n      when: \"{}\"",
            condition(&mut rng)
        );
        match rng.next(8) {
            0 => text.push_str("      action: drop\n"),
            1 => text.push_str("      rate: 0.25\n"),
            2 => text.push_str("      enabled: false\n"),
            _ => {}
        }
    }
    if rng.next(4) == 0 {
        let _ = writeln!(
            text,
            "tenants:\n  attribute: tenant.id\n  overrides:\n    acme:\n      base_rate: 0.5\n      conditions:\n        - name: rule_0\n          when: \"{}\"",
            condition(&mut rng)
        );
    }
    text
}

fn bench(c: &mut Criterion) {
    let policies: Vec<String> = (0..1000).map(policy).collect();
    for text in &policies {
        assert!(
            load_policy(text).policy.is_some(),
            "generated policy does not load:\n{text}"
        );
    }
    let mut group = c.benchmark_group("check");
    group.sample_size(20);
    group.bench_function("load_and_check_1000_policies", |b| {
        b.iter(|| {
            let mut findings = 0;
            for text in &policies {
                if let Some(policy) = load_policy(black_box(text)).policy {
                    findings += check_policy(&policy, &CheckOptions::default()).len();
                }
            }
            findings
        });
    });
    let loaded: Vec<_> = policies
        .iter()
        .filter_map(|text| load_policy(text).policy)
        .collect();
    group.bench_function("check_1000_loaded_policies", |b| {
        b.iter(|| {
            loaded
                .iter()
                .map(|p| check_policy(black_box(p), &CheckOptions::default()).len())
                .sum::<usize>()
        });
    });
    group.bench_function("check_1000_loaded_policies_for_clarvynn", |b| {
        let options = CheckOptions::for_target(Target::Clarvynn);
        b.iter(|| {
            loaded
                .iter()
                .map(|p| check_policy(black_box(p), &options).len())
                .sum::<usize>()
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
