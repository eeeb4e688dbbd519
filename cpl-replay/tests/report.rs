//! The replay report's figures: its own definitions agree with the evaluator, copies of
//! spans count once, tenants are broken down, and the JSON carries no float noise.

use std::sync::Arc;

use cpl_eval::{Evaluator, Reason};
use cpl_otlp::{AnyValue, KeyValue, Resource, Span, SpanId, SpanKind, StatusCode, TraceId};
use cpl_replay::replay::{BaseRateSource, ERROR_SPAN};
use cpl_replay::{Replay, ReplayOptions, Report};
use proptest::prelude::*;

fn compile(yaml: &str) -> Evaluator {
    let loaded = cpl_syntax::load_policy(yaml);
    let policy = loaded
        .policy
        .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
    Evaluator::compile(&policy).expect("compiles")
}

/// A policy whose only rule is `when`: what "a direct evaluation" of it means.
fn condition(when: &str) -> Evaluator {
    compile(&format!(
        "sampling:\n  base_rate: 0\n  conditions:\n    - name: c\n      when: '{when}'\n"
    ))
}

fn holds(condition: &Evaluator, span: &Span) -> bool {
    matches!(condition.decide_span(span).reason, Reason::Rule { .. })
}

fn span(trace: u8, id: u16, start: u64, end: u64) -> Span {
    let mut trace_id = [0x5a; 16];
    trace_id[15] = trace;
    let mut span_id = [1; 8];
    span_id[6..].copy_from_slice(&id.to_be_bytes());
    Span {
        trace_id: TraceId(trace_id),
        span_id: SpanId(span_id),
        parent_span_id: None,
        name: "GET /".into(),
        kind: SpanKind::Server,
        start_time_unix_nano: start,
        end_time_unix_nano: end,
        status: StatusCode::Unset,
        attributes: Vec::new(),
        resource: Arc::new(Resource {
            attributes: vec![KeyValue {
                key: "service.name".into(),
                value: AnyValue::String("shop".into()),
            }],
        }),
        encoded_len: 100,
        detail: None,
    }
}

fn attribute(key: &str, value: AnyValue) -> KeyValue {
    KeyValue {
        key: key.into(),
        value,
    }
}

fn replay(evaluator: &Evaluator, batches: &[&[Span]], options: ReplayOptions) -> Report {
    let mut replay = Replay::new(evaluator, options);
    for batch in batches {
        replay.add(Replay::summarize(evaluator, batch));
    }
    replay.finish()
}

fn json(report: &Report) -> serde_json::Value {
    serde_json::to_value(report).expect("serialises")
}

const ANY: &str = "sampling:\n  base_rate: 0.25\n  conditions:\n    - name: errors\n      when: \"status_code >= 500\"\n";

#[test]
fn the_error_definition_is_the_spec_s() {
    assert_eq!(ERROR_SPAN, "status == ERROR OR status_code >= 500");
    let spec = include_str!("../../spec/replay.md");
    assert!(
        spec.contains(&format!("    {ERROR_SPAN}\n")),
        "spec/replay.md quotes it"
    );
}

/// The code review's case: an unset `http.response.status_code` counts as missing, so
/// `status_code` is `http.status_code`, 503 (spec/fields.md). The rule keeps the trace;
/// the report must call it an error trace too.
#[test]
fn an_unset_first_status_key_falls_through_as_in_the_rules() {
    let evaluator = compile(ANY);
    let mut error = span(1, 1, 1_000, 2_000);
    error.attributes = vec![
        attribute("http.response.status_code", AnyValue::Empty),
        attribute("http.status_code", AnyValue::Int(503)),
    ];
    assert_eq!(
        evaluator.decide_span(&error).to_string(),
        "keep (rule errors)"
    );
    let report = replay(&evaluator, &[&[error]], ReplayOptions::default());
    assert_eq!((report.errors.total, report.errors.kept), (1, 1));
}

#[test]
fn slow_is_the_whole_trace_not_a_span() {
    let evaluator = compile(ANY);
    let second = 1_000_000_000;
    // Two fast spans 2 s apart: a slow trace. One slow span of 1.5 s: slow too. A span
    // without a start: no duration, and not slow.
    let spans = [
        span(1, 1, second, second + 10),
        span(1, 2, 3 * second, 3 * second + 10),
        span(2, 1, second, second + second / 2 * 3),
        span(3, 1, 0, 5 * second),
    ];
    let report = replay(&evaluator, &[&spans], ReplayOptions::default());
    assert_eq!(report.slow.traces, 2);
    let report = replay(
        &evaluator,
        &[&spans],
        ReplayOptions {
            slow_threshold_nanos: 2 * second,
            ..ReplayOptions::default()
        },
    );
    assert_eq!(report.slow.traces, 1);
}

fn status_value() -> impl Strategy<Value = Option<AnyValue>> {
    prop_oneof![
        Just(None),
        Just(Some(AnyValue::Empty)),
        prop_oneof![Just(200i64), Just(404), Just(499), Just(500), Just(503)]
            .prop_map(|c| Some(AnyValue::Int(c))),
        prop_oneof![Just(499.5f64), Just(500.0), Just(503.0)]
            .prop_map(|c| Some(AnyValue::Double(c))),
        Just(Some(AnyValue::String("503".into()))),
        Just(Some(AnyValue::Bool(true))),
    ]
}

fn random_span() -> impl Strategy<Value = (u8, Span)> {
    (
        0u8..6,
        prop_oneof![
            Just(StatusCode::Unset),
            Just(StatusCode::Ok),
            Just(StatusCode::Error)
        ],
        status_value(),
        status_value(),
        prop_oneof![Just(0u64), 1u64..3_000_000_000],
        prop_oneof![Just(0u64), 1u64..3_000_000_000],
    )
        .prop_map(|(trace, status, new_key, old_key, start, length)| {
            let mut s = span(
                trace,
                0,
                start,
                if length == 0 { 0 } else { start + length },
            );
            s.status = status;
            if let Some(value) = new_key {
                s.attributes
                    .push(attribute("http.response.status_code", value));
            }
            if let Some(value) = old_key {
                s.attributes.push(attribute("http.status_code", value));
            }
            (trace, s)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Error and slow trace counts equal a direct evaluation of the spec's conditions,
    /// compiled here on their own, over the spans grouped by trace.
    #[test]
    fn error_and_slow_counts_are_the_compiled_conditions(
        spans in prop::collection::vec(random_span(), 0..40),
        threshold in prop_oneof![Just(1_000_000_000u64), 1u64..3_000_000_000],
    ) {
        let spans: Vec<Span> = spans
            .into_iter()
            .enumerate()
            .map(|(i, (_, mut s))| {
                s.span_id.0[6..].copy_from_slice(&u16::try_from(i).expect("few").to_be_bytes());
                s
            })
            .collect();
        let evaluator = compile(ANY);
        let options = ReplayOptions { slow_threshold_nanos: threshold, ..ReplayOptions::default() };
        let report = replay(&evaluator, &[&spans], options);

        let error = condition("status == ERROR OR status_code >= 500");
        let slow = condition(&format!("duration > {threshold}ns"));
        let (mut errors, mut slows, mut traces) = (0, 0, 0);
        for trace in 0u8..6 {
            let members: Vec<&Span> = spans.iter().filter(|s| s.trace_id.0[15] == trace).collect();
            if members.is_empty() {
                continue;
            }
            traces += 1;
            errors += u64::from(members.iter().any(|s| holds(&error, s)));
            // The trace as one span: earliest set start, latest end.
            let start = members.iter().map(|s| s.start_time_unix_nano).filter(|&t| t != 0).min().unwrap_or(0);
            let end = members.iter().map(|s| s.end_time_unix_nano).max().unwrap_or(0);
            slows += u64::from(holds(&slow, &span(trace, 0, start, end)));
        }
        prop_assert_eq!(report.traces.total, traces);
        prop_assert_eq!(report.errors.total, errors);
        prop_assert_eq!(report.slow.traces, slows);
    }
}

#[test]
fn the_same_capture_twice_is_the_same_report_with_the_copies_counted() {
    let evaluator = compile(ANY);
    let spans: Vec<Span> = (0..40u16)
        .map(|i| {
            let mut s = span(
                u8::try_from(i % 7).expect("small"),
                i,
                1_000 + u64::from(i),
                5_000,
            );
            if i % 5 == 0 {
                s.attributes = vec![attribute("http.response.status_code", AnyValue::Int(503))];
            }
            s
        })
        .collect();
    let once = replay(&evaluator, &[&spans], ReplayOptions::default());
    let (front, back) = spans.split_at(25);
    // Twice, and a third overlapping part, in another order: rotated files overlap.
    let thrice = replay(
        &evaluator,
        &[&spans, back, front, &spans[10..30]],
        ReplayOptions::default(),
    );
    assert_eq!(once.input.duplicate_spans, 0);
    assert_eq!(thrice.input.duplicate_spans, 40 + 20);
    let mut a = json(&once);
    let mut b = json(&thrice);
    a["input"] = serde_json::Value::Null;
    b["input"] = serde_json::Value::Null;
    assert_eq!(a, b);

    // Same span id, other times: another span, counted.
    let mut retry = spans[0].clone();
    retry.end_time_unix_nano += 1;
    let more = replay(&evaluator, &[&spans, &[retry]], ReplayOptions::default());
    assert_eq!((more.spans.total, more.input.duplicate_spans), (41, 0));
}

#[test]
fn no_negative_zero_and_no_float_noise() {
    // Every trace decided by a rule: the base rate's expected count is a sum of nothing.
    let spans: Vec<Span> = (0..1243u16)
        .map(|i| span(u8::try_from(i % 200).expect("small"), i, 1, 2))
        .collect();
    let all = compile("sampling:\n  base_rate: 0.05\n  conditions:\n    - name: all\n      when: \"name == 'GET /'\"\n      rate: 0.05\n");
    let text =
        serde_json::to_string(&replay(&all, &[&spans], ReplayOptions::default())).expect("json");
    assert!(!text.contains("-0.0"), "{text}");

    // 1,243 traces at 0.05: 62.150000000000006 in f64 arithmetic.
    let mut many = Vec::new();
    for i in 0..1243u32 {
        let mut s = span(0, 1, 1, 2);
        s.trace_id.0[..4].copy_from_slice(&i.to_be_bytes());
        many.push(s);
    }
    let none = compile("sampling:\n  base_rate: 0.05\n  conditions:\n    - name: never\n      when: \"name == 'never'\"\n");
    let report = replay(&none, &[&many], ReplayOptions::default());
    assert_eq!(report.base_rate.traces, 1243);
    let text = serde_json::to_string(&report).expect("json");
    assert!(text.contains(r#""expected":62.15,"#), "{text}");
    assert!(!text.contains("0000000"), "{text}");
}

#[test]
#[allow(clippy::float_cmp)] // rounded figures compare exactly
fn tenants_are_broken_down_and_every_trace_is_decided_once() {
    let policy = compile(
        "sampling:\n  base_rate: 0.05\n  conditions:\n    - name: errors\n      when: \"status_code >= 500\"\n\
         tenants:\n  attribute: tenant.id\n  overrides:\n    acme:\n      base_rate: 0.5\n    globex:\n      conditions:\n        - name: slow\n          when: \"duration > 1s\"\n",
    );
    let mut spans = Vec::new();
    for i in 0..3000u32 {
        let mut s = span(0, 1, 1_000, 2_000);
        // Spread over the randomness bits, which the rates read.
        s.trace_id.0 = u128::from(i)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835)
            .to_be_bytes();
        let tenant = ["acme", "globex", "initech"][i as usize % 3];
        s.attributes
            .push(attribute("tenant.id", AnyValue::String(tenant.into())));
        if i % 10 == 0 {
            s.attributes
                .push(attribute("http.status_code", AnyValue::Int(500)));
        }
        spans.push(s);
    }
    let report = replay(&policy, &[&spans], ReplayOptions::default());
    let tenants: Vec<(&str, u64, f64, BaseRateSource)> = report
        .tenants
        .iter()
        .map(|t| {
            (
                t.tenant.as_str(),
                t.traces,
                t.base_rate.rate,
                t.base_rate.source,
            )
        })
        .collect();
    assert_eq!(
        tenants,
        [
            ("acme", 1000, 0.5, BaseRateSource::Tenant),
            ("globex", 1000, 0.05, BaseRateSource::Policy)
        ]
    );
    let acme = &report.tenants[0];
    // A tenth are errors, kept by the rule; the rest get acme's base rate.
    assert_eq!(acme.base_rate.traces, 900);
    assert_eq!(acme.base_rate.expected, 450.0);
    assert!(
        acme.base_rate.kept > 350 && acme.base_rate.kept < 550,
        "{acme:?}"
    );
    // acme's base-rate traces are not in the policy's base-rate row; globex's and
    // initech's are.
    assert_eq!(report.base_rate.traces, 900 + 900);
    let decided: u64 = report.rules.iter().map(|r| r.traces).sum::<u64>()
        + report.base_rate.traces
        + report
            .tenants
            .iter()
            .filter(|t| t.base_rate.source == BaseRateSource::Tenant)
            .map(|t| t.base_rate.traces)
            .sum::<u64>();
    assert_eq!(decided, report.traces.total);
}

/// A policy with trace-level parts is decided on whole traces, whichever batches the
/// spans of a trace arrive in; copies still count once (`span_count` included).
#[test]
fn trace_level_rules_see_the_whole_trace() {
    let evaluator = compile(
        "sampling:\n  base_rate: 0\n  conditions:\n    - name: error_without_route\n      when: \"any(status == ERROR) AND NOT any(exists(http.route))\"\n    - name: three_spans\n      when: \"span_count >= 3\"\n    - name: long\n      when: \"trace_duration >= 2s\"\n",
    );
    assert!(evaluator.reads_trace());
    let second = 1_000_000_000;
    // Trace 1: the error and the route are on different spans, in different batches.
    let mut error = span(1, 1, second, 2 * second);
    error.status = StatusCode::Error;
    let mut routed = span(1, 2, second, 2 * second);
    routed.attributes = vec![attribute("http.route", AnyValue::String("/a".into()))];
    // Trace 2: an error, no route; decided by the first rule.
    let mut lone_error = span(2, 1, second, 2 * second);
    lone_error.status = StatusCode::Error;
    // Trace 3: two spans, one of them given twice, that together last 2 s.
    let early = span(3, 1, second, 2 * second);
    let late = span(3, 2, 2 * second, 3 * second);
    let report = replay(
        &evaluator,
        &[&[error, early.clone(), late], &[routed, lone_error, early]],
        ReplayOptions::default(),
    );
    let decided: Vec<(String, u64)> = report
        .rules
        .iter()
        .map(|rule| (rule.name.clone(), rule.traces))
        .collect();
    assert_eq!(
        decided,
        [
            ("error_without_route".to_owned(), 1),
            ("three_spans".to_owned(), 0),
            ("long".to_owned(), 1),
        ]
    );
    assert_eq!(report.input.duplicate_spans, 1);
}
