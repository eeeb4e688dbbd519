//! The fidelity figures (spec/replay.md, "Fidelity") against a brute-force computation
//! written from the spec alone: decode the capture, drop copies, decide each whole trace,
//! weigh its server spans, and compute every row's figures the slow way.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use cpl_eval::{Evaluator, Reason, RuleSet, TraceTenant};
use cpl_otlp::{AnyValue, KeyValue, Resource, Span, SpanId, SpanKind, StatusCode, TraceId};
use cpl_replay::fidelity::{Estimate, FidelityReport, FidelityRow, MAX_ROUTES, MAX_SERVICES};
use cpl_replay::{Replay, ReplayOptions, Report};
use proptest::prelude::*;

fn compile(yaml: &str) -> Evaluator {
    let loaded = cpl_syntax::load_policy(yaml);
    let policy = loaded
        .policy
        .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
    Evaluator::compile(&policy).expect("compiles")
}

fn read(path: &Path) -> Vec<Span> {
    let reader = cpl_otlp::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut spans = Vec::new();
    for batch in reader {
        spans.extend(batch.expect("the capture reads cleanly").spans);
    }
    spans
}

fn replay(evaluator: &Evaluator, spans: &[Span]) -> Report {
    let mut replay = Replay::new(evaluator, ReplayOptions::default());
    // In several batches, as the CLI reads them.
    for batch in spans.chunks(97) {
        replay.add(Replay::summarize(evaluator, batch));
    }
    replay.finish()
}

fn fidelity(report: &Report) -> &FidelityReport {
    report
        .fidelity
        .as_ref()
        .expect("a policy's replay has fidelity")
}

/// One server span as the brute force sees it.
struct Request {
    service: String,
    route: Option<String>,
    error: bool,
    latency_ms: Option<f64>,
    /// The adjusted count of its trace; 0 when the trace is dropped.
    weight: f64,
}

/// 2^56 / (2^56 − T(p)), T(p) = trunc((1 − p) · 2^56): spec/sampling.md's threshold.
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]
fn weight_of(keep: bool, rate: f64) -> f64 {
    let two_56 = 2f64.powi(56);
    match (keep, rate >= 1.0) {
        (false, _) => 0.0,
        (true, true) => 1.0,
        (true, false) => {
            let t = ((1.0 - rate) * two_56) as u64;
            two_56 / ((1u64 << 56) - t) as f64
        }
    }
}

/// Every distinct server span with its trace's weight.
fn requests(evaluator: &Evaluator, spans: &[Span]) -> Vec<Request> {
    let mut seen = HashSet::new();
    let mut traces: BTreeMap<[u8; 16], Vec<&Span>> = BTreeMap::new();
    for span in spans {
        let key = (
            span.trace_id.0,
            span.span_id.0,
            span.start_time_unix_nano,
            span.end_time_unix_nano,
        );
        if seen.insert(key) {
            traces.entry(span.trace_id.0).or_default().push(span);
        }
    }
    let mut requests = Vec::new();
    for (trace_id, spans) in traces {
        let owned: Vec<Span> = spans.iter().map(|&span| span.clone()).collect();
        let mut matched = RuleSet::new();
        let mut tenant = TraceTenant::new();
        for span in &owned {
            matched.union_with(&evaluator.matches(span));
            if let Some(id) = evaluator.tenant_of(span) {
                tenant.observe(span.parent_span_id.is_none(), id);
            }
        }
        evaluator.add_trace_matches(&owned, &mut matched);
        let decision = evaluator.decide_trace(trace_id, &matched, tenant.get());
        let rate = match decision.reason {
            Reason::Rule { rate, .. }
            | Reason::BaseRate { rate }
            | Reason::TenantBaseRate { rate, .. } => rate,
        };
        let weight = weight_of(decision.keep, rate);
        for span in owned.iter().filter(|span| span.kind == SpanKind::Server) {
            let (start, end) = (span.start_time_unix_nano, span.end_time_unix_nano);
            #[allow(clippy::cast_precision_loss)]
            let latency_ms =
                (start != 0 && end != 0 && end >= start).then(|| (end - start) as f64 / 1e6);
            requests.push(Request {
                service: span.resource.service_name().unwrap_or("unknown").to_owned(),
                route: span
                    .attribute("http.route")
                    .and_then(AnyValue::as_str)
                    .filter(|route| !route.is_empty())
                    .map(str::to_owned),
                error: span.status == StatusCode::Error,
                latency_ms,
                weight,
            });
        }
    }
    requests
}

/// The percentile `p` of (value, weight) pairs the slow way, with the sums a little
/// loose and tight: the value the report gives must lie between the two (float sums in
/// another order may move a boundary that falls exactly on a share).
fn percentile_bounds(values: &[(f64, f64)], p: f64) -> Option<(f64, f64)> {
    let total: f64 = values.iter().map(|v| v.1).sum();
    if total <= 0.0 {
        return None;
    }
    let mut candidates: Vec<f64> = values.iter().filter(|v| v.1 > 0.0).map(|v| v.0).collect();
    candidates.sort_by(f64::total_cmp);
    candidates.dedup();
    let first = |slack: f64| {
        candidates.iter().copied().find(|&x| {
            let below: f64 = values.iter().filter(|v| v.0 <= x).map(|v| v.1).sum();
            100.0 * below >= p * total * (1.0 + slack)
        })
    };
    let low = first(-1e-12)?;
    let high = first(1e-12).unwrap_or(low);
    Some((low, high))
}

/// Checks one metric; `what` names it in failures.
fn check_close(what: &str, actual: Option<f64>, expected: Option<f64>, tolerance: f64) {
    match (actual, expected) {
        (Some(a), Some(e)) => assert!(
            (a - e).abs() <= tolerance * e.abs().max(1.0),
            "{what}: report {a}, brute force {e}"
        ),
        (a, e) => assert_eq!(a, e, "{what}"),
    }
}

/// A way to weigh a request: its name and the weight it gives.
type Weighing = (&'static str, fn(&Request) -> f64);

/// Checks a row against the brute force over its requests.
fn check_row(name: &str, row: &FidelityRow, requests: &[&Request]) {
    let weighings: [Weighing; 3] = [
        ("truth", |_| 1.0),
        ("weighted", |r| r.weight),
        ("naive", |r| if r.weight > 0.0 { 1.0 } else { 0.0 }),
    ];
    for (which, weigh) in weighings {
        let pick = |estimate: &Estimate| match which {
            "truth" => estimate.truth,
            "weighted" => estimate.weighted,
            _ => estimate.naive,
        };
        let count: f64 = requests.iter().map(|r| weigh(r)).sum();
        let errors: f64 = requests.iter().filter(|r| r.error).map(|r| weigh(r)).sum();
        // The weighted count is rounded to cents, from sums in another order.
        let tolerance = if which == "weighted" {
            0.005 + 1e-9 * count
        } else {
            0.0
        };
        let reported = pick(&row.requests).expect("requests are never None");
        assert!(
            (reported - count).abs() <= tolerance,
            "{name} {which} requests: report {reported}, brute force {count}"
        );
        check_close(
            &format!("{name} {which} error rate"),
            pick(&row.error_rate),
            (count > 0.0).then(|| errors / count),
            1e-12,
        );
        let latencies: Vec<(f64, f64)> = requests
            .iter()
            .filter_map(|r| r.latency_ms.map(|ms| (ms, weigh(r))))
            .collect();
        for (p, estimate) in [
            (50.0, &row.latency_p50_ms),
            (95.0, &row.latency_p95_ms),
            (99.0, &row.latency_p99_ms),
        ] {
            let what = format!("{name} {which} p{p}");
            match (pick(estimate), percentile_bounds(&latencies, p)) {
                (Some(value), Some((low, high))) => assert!(
                    low <= value && value <= high,
                    "{what}: report {value}, brute force {low}..={high}"
                ),
                (value, bounds) => assert_eq!(value.is_some(), bounds.is_some(), "{what}"),
            }
        }
    }
    // The relative errors are those of the figures reported.
    for estimate in [
        &row.requests,
        &row.error_rate,
        &row.latency_p50_ms,
        &row.latency_p95_ms,
        &row.latency_p99_ms,
    ] {
        let relative = |value: Option<f64>| match (value, estimate.truth) {
            (Some(v), Some(t)) if t != 0.0 => Some(((v - t) / t * 1e6).round() / 1e6),
            _ => None,
        };
        check_close(
            name,
            estimate.weighted_error,
            relative(estimate.weighted),
            1e-12,
        );
        check_close(name, estimate.naive_error, relative(estimate.naive), 1e-12);
    }
}

/// The whole report against the brute force.
fn check(evaluator: &Evaluator, spans: &[Span]) {
    let report = replay(evaluator, spans);
    let fidelity = fidelity(&report);
    let requests = requests(evaluator, spans);
    assert!(!requests.is_empty(), "the capture has server spans");
    check_row(
        "overall",
        &fidelity.overall,
        &requests.iter().collect::<Vec<_>>(),
    );

    let mut services: BTreeMap<&str, Vec<&Request>> = BTreeMap::new();
    let mut routes: BTreeMap<(&str, &str), Vec<&Request>> = BTreeMap::new();
    for request in &requests {
        services.entry(&request.service).or_default().push(request);
        if let Some(route) = &request.route {
            routes
                .entry((&request.service, route))
                .or_default()
                .push(request);
        }
    }
    assert_eq!(
        fidelity.services.len() as u64 + fidelity.more_services,
        services.len() as u64
    );
    assert_eq!(fidelity.services.len(), services.len().min(MAX_SERVICES));
    assert_eq!(
        fidelity.routes.len() as u64 + fidelity.more_routes,
        routes.len() as u64
    );
    assert_eq!(fidelity.routes.len(), routes.len().min(MAX_ROUTES));
    for row in &fidelity.services {
        check_row(&row.service, row, &services[row.service.as_str()]);
    }
    let mut previous = f64::INFINITY;
    for row in &fidelity.routes {
        let route = row.route.as_deref().expect("route rows name their route");
        let key = (row.service.as_str(), route);
        check_row(&format!("{key:?}"), row, &routes[&key]);
        // Busiest first.
        let requests = row.requests.truth.unwrap_or(0.0);
        assert!(requests <= previous);
        previous = requests;
    }
    // The rows left out have no more requests than the last one shown.
    if fidelity.more_routes > 0 {
        let mut counts: Vec<usize> = routes.values().map(Vec::len).collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        #[allow(clippy::cast_precision_loss)]
        let cut = counts[MAX_ROUTES - 1] as f64;
        #[allow(clippy::float_cmp)] // whole numbers, exactly representable
        {
            assert_eq!(previous, cut);
        }
    }
}

const DEMO: &str = include_str!("../../corpus/policies/demo.yaml");

#[test]
fn the_shipped_capture_matches_the_brute_force() {
    let spans = read(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../corpus/traces/shop.jsonl"
    )));
    check(&compile(DEMO), &spans);
    // Rates other than 0.01, a drop rule, and a rule with a rate.
    check(
        &compile(
            "sampling:\n  base_rate: 0.1\n  conditions:\n    - name: no_health\n      when: \"path == '/health'\"\n      action: drop\n    - name: errors\n      when: \"status == ERROR\"\n    - name: some_payments\n      when: \"path contains '/api/payment'\"\n      rate: 0.3\n",
        ),
        &spans,
    );
}

#[test]
fn the_generated_capture_matches_the_brute_force() {
    let Some(path) = cpl_tests::shared_path("corpus/generated/traces-small.jsonl") else {
        return;
    };
    check(&compile(DEMO), &read(&path));
}

fn server_span(trace: u64, id: u64, service: &str, route: Option<&str>, ms: u64) -> Span {
    let mut trace_id = [0u8; 16];
    trace_id[8..].copy_from_slice(&trace.to_be_bytes());
    let mut attributes = Vec::new();
    if let Some(route) = route {
        attributes.push(KeyValue {
            key: "http.route".into(),
            value: AnyValue::String(route.into()),
        });
    }
    Span {
        trace_id: TraceId(trace_id),
        span_id: SpanId((id + 1).to_be_bytes()),
        parent_span_id: None,
        name: "GET".into(),
        kind: SpanKind::Server,
        start_time_unix_nano: 1_000_000_000,
        end_time_unix_nano: 1_000_000_000 + ms * 1_000_000,
        status: StatusCode::Unset,
        attributes,
        resource: Arc::new(Resource {
            attributes: vec![KeyValue {
                key: "service.name".into(),
                value: AnyValue::String(service.into()),
            }],
        }),
        encoded_len: 10,
        detail: None,
    }
}

const KEEP_ALL: &str = "sampling:\n  base_rate: 1\n";

#[test]
fn a_capture_of_one_trace() {
    let evaluator = compile(KEEP_ALL);
    let report = replay(&evaluator, &[server_span(1, 1, "shop", Some("/"), 20)]);
    let row = &fidelity(&report).overall;
    let one = Estimate {
        truth: Some(1.0),
        weighted: Some(1.0),
        naive: Some(1.0),
        weighted_error: Some(0.0),
        naive_error: Some(0.0),
    };
    assert_eq!(row.requests, one);
    assert_eq!(row.latency_p50_ms.truth, Some(20.0));
    assert_eq!(row.latency_p99_ms.weighted, Some(20.0));
    assert_eq!(row.error_rate.truth, Some(0.0));
    assert_eq!(
        row.error_rate.weighted_error, None,
        "no relative error of a zero"
    );
    assert_eq!(fidelity(&report).routes.len(), 1);
}

#[test]
fn a_capture_where_nothing_is_kept() {
    let evaluator = compile("sampling:\n  base_rate: 0\n");
    let mut spans: Vec<Span> = (0..10)
        .map(|t| server_span(t, 1, "shop", Some("/cart"), 10 + t))
        .collect();
    spans[3].status = StatusCode::Error;
    let report = replay(&evaluator, &spans);
    assert_eq!(report.traces.kept, 0);
    for row in [&fidelity(&report).overall, &fidelity(&report).routes[0]] {
        assert_eq!(row.requests.truth, Some(10.0));
        assert_eq!(row.requests.weighted, Some(0.0));
        assert_eq!(row.requests.naive, Some(0.0));
        assert_eq!(row.requests.weighted_error, Some(-1.0));
        assert_eq!(row.error_rate.truth, Some(0.1));
        assert_eq!(row.latency_p50_ms.truth, Some(14.0));
        for estimate in [&row.error_rate, &row.latency_p50_ms, &row.latency_p99_ms] {
            assert_eq!(
                (
                    estimate.weighted,
                    estimate.naive,
                    estimate.weighted_error,
                    estimate.naive_error
                ),
                (None, None, None, None)
            );
        }
    }
}

#[test]
fn no_server_span_gives_an_empty_overall_row() {
    let evaluator = compile(KEEP_ALL);
    let mut span = server_span(1, 1, "shop", Some("/"), 20);
    span.kind = SpanKind::Client;
    let report = replay(&evaluator, &[span]);
    let fidelity = fidelity(&report);
    assert_eq!(fidelity.overall.requests.truth, Some(0.0));
    assert_eq!(fidelity.overall.error_rate.truth, None);
    assert_eq!(fidelity.overall.latency_p50_ms.truth, None);
    assert!(fidelity.services.is_empty() && fidelity.routes.is_empty());
}

#[test]
fn many_distinct_routes_are_capped_with_a_count_and_a_bounded_size() {
    let evaluator = compile(KEEP_ALL);
    // Names JSON must escape (6 bytes each), longer than the cut: the worst case.
    let long = "\u{1}".repeat(300);
    let routes = 5_000;
    let mut spans: Vec<Span> = (0..routes)
        .map(|i| {
            let route = format!("{long}/{i}");
            server_span(i, 1, &format!("{long}{}", i % 70), Some(&route), 1 + i % 7)
        })
        .collect();
    // One route with more requests than the rest: it comes first.
    spans.extend((0..3).map(|i| server_span(routes + i, 1, "shop", Some("/busy"), 5)));
    let report = replay(&evaluator, &spans);
    let fidelity = fidelity(&report);
    assert_eq!(fidelity.routes.len(), MAX_ROUTES);
    assert_eq!(fidelity.more_routes, routes + 1 - MAX_ROUTES as u64);
    assert_eq!(fidelity.services.len(), MAX_SERVICES);
    assert_eq!(fidelity.more_services, 71 - MAX_SERVICES as u64);
    assert_eq!(fidelity.routes[0].route.as_deref(), Some("/busy"));
    assert_eq!(fidelity.overall.requests.truth, Some(5_003.0));
    let cut = &fidelity.routes[1];
    assert_eq!(cut.route.as_ref().map(|r| r.chars().count()), Some(257));
    assert!(cut.route.as_ref().is_some_and(|r| r.ends_with('…')));
    assert_eq!(cut.service.chars().count(), 257);
    let json = serde_json::to_string(fidelity).expect("serialises");
    assert!(json.len() < 1_000_000, "{} bytes", json.len());
}

#[test]
fn non_ascii_names_are_kept_and_cut_on_character_boundaries() {
    let evaluator = compile(KEEP_ALL);
    let long = "é".repeat(400);
    let spans = [
        server_span(1, 1, "café-ß", Some("/ユーザー/{id}"), 3),
        server_span(2, 1, &long, Some(&long), 4),
    ];
    let report = replay(&evaluator, &spans);
    let fidelity = fidelity(&report);
    let names: Vec<(&str, Option<&str>)> = fidelity
        .routes
        .iter()
        .map(|row| (row.service.as_str(), row.route.as_deref()))
        .collect();
    assert!(
        names.contains(&("café-ß", Some("/ユーザー/{id}"))),
        "{names:?}"
    );
    let cut = format!("{}…", "é".repeat(256));
    assert!(
        names.contains(&(cut.as_str(), Some(cut.as_str()))),
        "{names:?}"
    );
}

#[test]
fn copies_count_once_and_spans_without_times_have_no_latency() {
    let evaluator = compile(KEEP_ALL);
    let span = server_span(1, 1, "shop", Some("/"), 20);
    let mut untimed = server_span(2, 1, "shop", Some("/"), 0);
    untimed.start_time_unix_nano = 0;
    let report = replay(&evaluator, &[span.clone(), span, untimed]);
    let row = &fidelity(&report).overall;
    assert_eq!(row.requests.truth, Some(2.0));
    assert_eq!(row.latency_p50_ms.truth, Some(20.0));
}

/// A trace of up to four spans: (kind is server, error, service, route, ms).
fn arbitrary_spans() -> impl Strategy<Value = Vec<Span>> {
    prop::collection::vec(
        (
            0u64..40,
            prop::collection::vec(
                (any::<bool>(), any::<bool>(), 0usize..3, 0usize..4, 0u64..50),
                1..4,
            ),
        ),
        1..30,
    )
    .prop_map(|traces| {
        let services = ["a", "b", "ünïcode"];
        let routes = [None, Some("/x"), Some("/y"), Some("")];
        let mut spans = Vec::new();
        for (trace, members) in traces {
            for (server, error, service, route, ms) in members {
                // Distinct span ids: a copy (same ids and times) counts as first read.
                let id = spans.len() as u64;
                let mut span = server_span(trace, id, services[service], routes[route], ms);
                if !server {
                    span.kind = SpanKind::Internal;
                }
                if error {
                    span.status = StatusCode::Error;
                }
                spans.push(span);
            }
        }
        spans
    })
}

proptest! {
    /// A policy that keeps everything: both estimates are the truth, with no error.
    #[test]
    fn keeping_everything_estimates_the_truth(spans in arbitrary_spans()) {
        let evaluator = compile("sampling:\n  base_rate: 1\n  conditions:\n    - name: errors\n      when: \"status == ERROR\"\n");
        let report = replay(&evaluator, &spans);
        let fidelity = fidelity(&report);
        let rows = std::iter::once(&fidelity.overall)
            .chain(&fidelity.services)
            .chain(&fidelity.routes);
        for row in rows {
            for estimate in [&row.requests, &row.error_rate, &row.latency_p50_ms, &row.latency_p95_ms, &row.latency_p99_ms] {
                prop_assert_eq!(estimate.weighted, estimate.truth);
                prop_assert_eq!(estimate.naive, estimate.truth);
                let no_error = estimate.truth.filter(|t| *t != 0.0).map(|_| 0.0);
                prop_assert_eq!(estimate.weighted_error, no_error);
                prop_assert_eq!(estimate.naive_error, no_error);
            }
        }
    }

    /// The figures do not depend on the order of the spans.
    #[test]
    fn the_order_of_spans_does_not_matter(spans in arbitrary_spans()) {
        let evaluator = compile("sampling:\n  base_rate: 0.3\n  conditions:\n    - name: errors\n      when: \"status == ERROR\"\n      rate: 0.7\n");
        let forward = serde_json::to_value(replay(&evaluator, &spans).fidelity).ok();
        let mut reversed = spans.clone();
        reversed.reverse();
        let backward = serde_json::to_value(replay(&evaluator, &reversed).fidelity).ok();
        prop_assert_eq!(forward, backward);
    }
}

#[test]
fn spans_are_grouped_by_service_then_route() {
    let evaluator = compile(KEEP_ALL);
    let spans = [
        server_span(1, 1, "a", Some("/x"), 1),
        server_span(2, 1, "b", Some("/x"), 2),
        server_span(3, 1, "b", None, 3),
    ];
    let report = replay(&evaluator, &spans);
    let fidelity = fidelity(&report);
    let services: HashMap<&str, f64> = fidelity
        .services
        .iter()
        .map(|row| (row.service.as_str(), row.requests.truth.unwrap_or(0.0)))
        .collect();
    assert_eq!(services, HashMap::from([("a", 1.0), ("b", 2.0)]));
    assert_eq!(
        fidelity.routes.len(),
        2,
        "the same route of two services is two rows"
    );
}
