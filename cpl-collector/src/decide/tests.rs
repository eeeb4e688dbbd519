//! One test per policy type and per quirk of spec/targets/otel-collector.md §3.

use std::sync::Arc;

use cpl_otlp::{KeyValue, SpanDetail, SpanId, SpanKind, StatusCode, TraceId};
use proptest::prelude::*;

use super::*;

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// A span of trace [`TRACE`] from `start_ms` to `end_ms` (milliseconds after an epoch
/// offset, so that no time is 0).
pub(super) fn span(start_ms: f64, end_ms: f64) -> Span {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let nanos = |ms: f64| 1_700_000_000_000_000_000 + (ms * 1e6) as u64;
    Span {
        trace_id: TraceId::from_hex(TRACE).expect("hex"),
        span_id: SpanId([1; 8]),
        parent_span_id: None,
        name: "op".into(),
        kind: SpanKind::Server,
        start_time_unix_nano: nanos(start_ms),
        end_time_unix_nano: nanos(end_ms),
        status: StatusCode::Unset,
        attributes: Vec::new(),
        resource: Arc::default(),
        encoded_len: 100,
        detail: None,
    }
}

pub(super) fn with_attr(mut span: Span, key: &str, value: AnyValue) -> Span {
    span.attributes.push(KeyValue {
        key: key.into(),
        value,
    });
    span
}

fn with_resource(mut span: Span, key: &str, value: AnyValue) -> Span {
    span.resource = Arc::new(Resource {
        attributes: vec![KeyValue {
            key: key.into(),
            value,
        }],
    });
    span
}

fn with_detail(mut span: Span, f: impl FnOnce(&mut SpanDetail)) -> Span {
    let mut detail = SpanDetail::default();
    f(&mut detail);
    span.detail = Some(Box::new(detail));
    span
}

/// The processor of a bare `tail_sampling` block; panics on any diagnostic.
pub(super) fn processor(yaml: &str) -> Processor {
    let file = crate::config::read(yaml);
    assert!(file.diagnostics.is_empty(), "{:#?}", file.diagnostics);
    file.processors.into_iter().next().expect("a processor")
}

/// The outcome of the only policy of `yaml` on `spans`.
fn outcome(yaml: &str, spans: &[Span]) -> Outcome {
    let processor = processor(yaml);
    let refs: Vec<&Span> = spans.iter().collect();
    evaluate(&processor.policies[0], &refs)
}

fn keep(processor: &Processor, spans: &[Span]) -> Decision {
    let refs: Vec<&Span> = spans.iter().collect();
    decide(processor, &refs)
}

fn s(text: &str) -> AnyValue {
    AnyValue::String(text.into())
}

#[test]
fn probabilistic_thresholds_match_go_big_float() {
    // Vectors of the reference (§3.4), computed with exact rational arithmetic.
    for (percentage, threshold) in [
        (10.0, 0x1999_9999_9999_99ff_u64),
        (1.0, 0x028f_5c28_f5c2_8f5f),
        (25.0, 0x3fff_ffff_ffff_ffff),
        (50.0, 0x7fff_ffff_ffff_ffff),
        (100.0, u64::MAX),
        (0.0, 0),
        (150.0, u64::MAX),
        (-5.0, 0),
    ] {
        assert_eq!(
            probabilistic_threshold(percentage / 100.0),
            threshold,
            "{percentage}%"
        );
    }
    assert_eq!(probabilistic_threshold(f64::INFINITY), u64::MAX);
    assert_eq!(probabilistic_threshold(f64::MIN_POSITIVE), 0);
}

#[test]
fn probabilistic_hash_is_fnv1a_of_salt_then_trace_id() {
    let id = TraceId::from_hex(TRACE).expect("hex").0;
    assert_eq!(hash_trace_id(DEFAULT_HASH_SALT, &id), 0xa545_33ba_2e49_70b5);
    // So the trace is sampled at 99.9% and not at 50% or below.
    let at = |p: f64| {
        outcome(
            &format!("policies: [{{name: p, type: probabilistic, probabilistic: {{sampling_percentage: {p}}}}}]"),
            &[span(0.0, 1.0)],
        )
    };
    assert_eq!(at(99.9), Outcome::Sampled);
    assert_eq!(at(50.0), Outcome::NotSampled);
    // Another salt, another hash.
    let salted = outcome(
        "policies: [{name: p, type: probabilistic, probabilistic: {sampling_percentage: 99.9, hash_salt: x}}]",
        &[span(0.0, 1.0)],
    );
    let expected = hash_trace_id("x", &id) <= probabilistic_threshold(0.999);
    assert_eq!(salted == Outcome::Sampled, expected);
}

const LATENCY_1000: &str = "policies: [{name: slow, type: latency, latency: {threshold_ms: 1000}}]";

#[test]
fn latency_lower_bound_is_exclusive_in_whole_milliseconds() {
    assert_eq!(
        outcome(LATENCY_1000, &[span(0.0, 1000.0)]),
        Outcome::NotSampled
    );
    // 1000.9 ms truncates to 1000.
    assert_eq!(
        outcome(LATENCY_1000, &[span(0.0, 1000.9)]),
        Outcome::NotSampled
    );
    assert_eq!(
        outcome(LATENCY_1000, &[span(0.0, 1001.0)]),
        Outcome::Sampled
    );
    // Trace-level: earliest start to latest end, whatever each span's length.
    assert_eq!(
        outcome(LATENCY_1000, &[span(0.0, 600.0), span(500.0, 1200.0)]),
        Outcome::Sampled
    );
}

#[test]
fn latency_upper_bound_has_the_prefix_quirk() {
    let yaml =
        "policies: [{name: mid, type: latency, latency: {threshold_ms: 100, upper_threshold_ms: 200}}]";
    // The whole trace lasts 1000 ms, out of range...
    let long_first = [span(0.0, 1000.0), span(0.0, 150.0)];
    assert_eq!(outcome(yaml, &long_first), Outcome::NotSampled);
    // ... but when a 150 ms span arrives first, the prefix is in range: sampled.
    let short_first = [span(0.0, 150.0), span(0.0, 1000.0)];
    assert_eq!(outcome(yaml, &short_first), Outcome::Sampled);
    assert_eq!(outcome(yaml, &[span(0.0, 200.0)]), Outcome::Sampled);
    assert_eq!(outcome(yaml, &[span(0.0, 100.0)]), Outcome::NotSampled);
}

#[test]
fn numeric_attribute_reads_non_integers_as_zero_and_zero_bounds_as_unset() {
    let yaml =
        "policies: [{name: n, type: numeric_attribute, numeric_attribute: {key: code, max_value: 100}}]";
    // min_value 0 is unset: any integer up to 100, negatives included.
    assert_eq!(
        outcome(
            yaml,
            &[with_attr(span(0.0, 1.0), "code", AnyValue::Int(-5))]
        ),
        Outcome::Sampled
    );
    // A double and a string read as 0, which is within [MinInt64, 100].
    assert_eq!(
        outcome(
            yaml,
            &[with_attr(span(0.0, 1.0), "code", AnyValue::Double(500.0))]
        ),
        Outcome::Sampled
    );
    assert_eq!(
        outcome(yaml, &[with_attr(span(0.0, 1.0), "code", s("500"))]),
        Outcome::Sampled
    );
    assert_eq!(
        outcome(
            yaml,
            &[with_attr(span(0.0, 1.0), "code", AnyValue::Int(500))]
        ),
        Outcome::NotSampled
    );
    // A missing attribute never matches.
    assert_eq!(outcome(yaml, &[span(0.0, 1.0)]), Outcome::NotSampled);
    let ranged = "policies: [{name: n, type: numeric_attribute, numeric_attribute: {key: code, min_value: 500, max_value: 599}}]";
    assert_eq!(
        outcome(
            ranged,
            &[with_attr(span(0.0, 1.0), "code", AnyValue::Double(503.0))]
        ),
        Outcome::NotSampled
    );
    // Resource attributes count too.
    assert_eq!(
        outcome(
            ranged,
            &[with_resource(span(0.0, 1.0), "code", AnyValue::Int(503))]
        ),
        Outcome::Sampled
    );
    let inverted = "policies: [{name: n, type: numeric_attribute, numeric_attribute: {key: code, min_value: 500, max_value: 599, invert_match: true}}]";
    assert_eq!(outcome(inverted, &[span(0.0, 1.0)]), Outcome::Sampled);
    assert_eq!(
        outcome(
            inverted,
            &[with_attr(span(0.0, 1.0), "code", AnyValue::Int(503))]
        ),
        Outcome::NotSampled
    );
}

#[test]
fn string_attribute_exact_and_unanchored_regex() {
    let exact =
        "policies: [{name: s, type: string_attribute, string_attribute: {key: route, values: [abc]}}]";
    assert_eq!(
        outcome(exact, &[with_attr(span(0.0, 1.0), "route", s("abc"))]),
        Outcome::Sampled
    );
    assert_eq!(
        outcome(exact, &[with_attr(span(0.0, 1.0), "route", s("xabcx"))]),
        Outcome::NotSampled
    );
    let regex = "policies: [{name: s, type: string_attribute, string_attribute: {key: route, values: [abc], enabled_regex_matching: true}}]";
    assert_eq!(
        outcome(regex, &[with_attr(span(0.0, 1.0), "route", s("xabcx"))]),
        Outcome::Sampled
    );
    // An int attribute reads as "" (Str()), never a member of `values`.
    let number = "policies: [{name: s, type: string_attribute, string_attribute: {key: code, values: ['500']}}]";
    assert_eq!(
        outcome(
            number,
            &[with_attr(span(0.0, 1.0), "code", AnyValue::Int(500))]
        ),
        Outcome::NotSampled
    );
}

#[test]
fn string_attribute_skips_empty_span_values_but_not_resource_values() {
    let empty = "policies: [{name: s, type: string_attribute, string_attribute: {key: k, values: ['^$'], enabled_regex_matching: true}}]";
    assert_eq!(
        outcome(empty, &[with_attr(span(0.0, 1.0), "k", s(""))]),
        Outcome::NotSampled
    );
    assert_eq!(
        outcome(empty, &[with_resource(span(0.0, 1.0), "k", s(""))]),
        Outcome::Sampled
    );
    // A non-string resource value reads as "" and so matches `^$` too.
    assert_eq!(
        outcome(
            empty,
            &[with_resource(span(0.0, 1.0), "k", AnyValue::Int(3))]
        ),
        Outcome::Sampled
    );
    let inverted = "policies: [{name: s, type: string_attribute, string_attribute: {key: k, values: [a], invert_match: true}}]";
    assert_eq!(outcome(inverted, &[span(0.0, 1.0)]), Outcome::Sampled);
    assert_eq!(
        outcome(inverted, &[with_resource(span(0.0, 1.0), "k", s("a"))]),
        Outcome::NotSampled
    );
}

#[test]
fn boolean_attribute_reads_non_booleans_as_false() {
    let yaml =
        "policies: [{name: b, type: boolean_attribute, boolean_attribute: {key: k, value: false}}]";
    assert_eq!(
        outcome(yaml, &[with_attr(span(0.0, 1.0), "k", s("true"))]),
        Outcome::Sampled
    );
    assert_eq!(
        outcome(
            yaml,
            &[with_attr(span(0.0, 1.0), "k", AnyValue::Bool(true))]
        ),
        Outcome::NotSampled
    );
    assert_eq!(outcome(yaml, &[span(0.0, 1.0)]), Outcome::NotSampled);
}

#[test]
fn status_code_span_count_and_trace_flags() {
    let status = "policies: [{name: e, type: status_code, status_code: {status_codes: [ERROR]}}]";
    let mut error = span(0.0, 1.0);
    error.status = StatusCode::Error;
    assert_eq!(outcome(status, &[span(0.0, 1.0), error]), Outcome::Sampled);
    assert_eq!(outcome(status, &[span(0.0, 1.0)]), Outcome::NotSampled);

    let count = "policies: [{name: c, type: span_count, span_count: {min_spans: 2, max_spans: 3}}]";
    assert_eq!(outcome(count, &[span(0.0, 1.0)]), Outcome::NotSampled);
    // Copies of one span count: the collector does not deduplicate.
    assert_eq!(
        outcome(count, &[span(0.0, 1.0), span(0.0, 1.0)]),
        Outcome::Sampled
    );
    assert_eq!(
        outcome(count, &vec![span(0.0, 1.0); 4]),
        Outcome::NotSampled
    );
    let unbounded = "policies: [{name: c, type: span_count, span_count: {min_spans: 2}}]";
    assert_eq!(
        outcome(unbounded, &vec![span(0.0, 1.0); 40]),
        Outcome::Sampled
    );

    let flags = "policies: [{name: f, type: trace_flags}]";
    assert_eq!(outcome(flags, &[span(0.0, 1.0)]), Outcome::NotSampled);
    let sampled = with_detail(span(0.0, 1.0), |d| d.flags = 0x101);
    assert_eq!(outcome(flags, &[sampled]), Outcome::Sampled);
    let unsampled = with_detail(span(0.0, 1.0), |d| d.flags = 0x100);
    assert_eq!(outcome(flags, &[unsampled]), Outcome::NotSampled);
}

#[test]
fn trace_state_parses_as_go_does() {
    let yaml = "policies: [{name: t, type: trace_state, trace_state: {key: ot, values: ['th:8']}}]";
    let with = |raw: &str| with_detail(span(0.0, 1.0), |d| d.trace_state = raw.into());
    assert_eq!(outcome(yaml, &[with("ot=th:8")]), Outcome::Sampled);
    assert_eq!(
        outcome(yaml, &[with("vendor=x, ot=th:8\t")]),
        Outcome::Sampled
    );
    assert_eq!(
        outcome(yaml, &[with("ot=th:8,,vendor=1")]),
        Outcome::Sampled
    );
    // A member without `=`, a key twice, an upper-case key: the whole state is invalid.
    assert_eq!(outcome(yaml, &[with("ot=th:8,bad")]), Outcome::NotSampled);
    assert_eq!(
        outcome(yaml, &[with("ot=th:8,ot=th:8")]),
        Outcome::NotSampled
    );
    assert_eq!(
        outcome(yaml, &[with("ot=th:8,Vendor=1")]),
        Outcome::NotSampled
    );
    assert_eq!(outcome(yaml, &[with("ot=th:9")]), Outcome::NotSampled);
    assert_eq!(outcome(yaml, &[span(0.0, 1.0)]), Outcome::NotSampled);

    assert_eq!(parse_trace_state(""), Some(vec![]));
    assert_eq!(
        parse_trace_state("tenant@sys=v"),
        Some(vec![("tenant@sys", "v")])
    );
    assert_eq!(parse_trace_state("1abc=v"), None);
    assert_eq!(parse_trace_state("a=v "), Some(vec![("a", "v")]));
    assert_eq!(parse_trace_state("a= v"), Some(vec![("a", " v")]));
    assert_eq!(parse_trace_state("a="), None);
    let many: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
    assert_eq!(parse_trace_state(&many.join(",")), None);
    assert_eq!(
        parse_trace_state(&many[..32].join(",")).map(|m| m.len()),
        Some(32)
    );
}

#[test]
fn drop_vetoes_then_any_sampled_keeps() {
    let yaml = r"
policies:
  - {name: all, type: always_sample}
  - name: health
    type: drop
    drop: {drop_sub_policy: [{name: h, type: string_attribute, string_attribute: {key: route, values: [/health]}}]}
  - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
";
    let processor = processor(yaml);
    // Drop policies are evaluated first.
    assert_eq!(processor.evaluation_order(), vec![1, 0, 2]);
    let health = with_attr(span(0.0, 1.0), "route", s("/health"));
    let decision = keep(&processor, &[health]);
    assert_eq!(decision.keep, Keep::No);
    assert_eq!(
        decision.outcomes,
        vec![None, Some(Outcome::Dropped), None],
        "nothing is evaluated after a veto"
    );
    let other = keep(&processor, &[span(0.0, 1.0)]);
    assert_eq!(other.keep, Keep::Yes);
    assert_eq!(other.recorded, Some(0));
    assert_eq!(
        other.outcomes,
        vec![
            Some(Outcome::Sampled),
            Some(Outcome::NotSampled),
            Some(Outcome::NotSampled)
        ]
    );
}

#[test]
fn sample_on_first_match_stops_but_keeps_the_same_traces() {
    let yaml = r"
sample_on_first_match: true
policies:
  - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
  - {name: all, type: always_sample}
  - {name: all-again, type: always_sample}
";
    let decision = keep(&processor(yaml), &[span(0.0, 1.0)]);
    assert_eq!(decision.keep, Keep::Yes);
    assert_eq!(decision.recorded, Some(1));
    assert_eq!(decision.outcomes[2], None);
}

#[test]
fn and_not_and_nesting() {
    let yaml = r"
policies:
  - name: slow-not-health
    type: and
    and:
      and_sub_policy:
        - {name: slow, type: latency, latency: {threshold_ms: 100}}
        - name: not-health
          type: not
          not: {not_sub_policy: {name: h, type: string_attribute, string_attribute: {key: route, values: [/health]}}}
";
    let slow_health = with_attr(span(0.0, 500.0), "route", s("/health"));
    let slow_api = with_attr(span(0.0, 500.0), "route", s("/api"));
    assert_eq!(outcome(yaml, &[slow_health]), Outcome::NotSampled);
    assert_eq!(outcome(yaml, &[slow_api]), Outcome::Sampled);
    assert_eq!(outcome(yaml, &[span(0.0, 5.0)]), Outcome::NotSampled);
}

#[test]
fn time_based_policies_are_not_reproducible_and_never_guessed() {
    let yaml = r"
policies:
  - {name: limit, type: rate_limiting, rate_limiting: {spans_per_second: 100}}
  - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
";
    let limited = processor(yaml);
    let decision = keep(&limited, &[span(0.0, 1.0)]);
    assert_eq!(decision.keep, Keep::Unknown);
    assert_eq!(decision.outcomes[0], Some(Outcome::NotReproducible));
    // A definite vote settles it, but the recorded policy could be the rate limiter.
    let mut error = span(0.0, 1.0);
    error.status = StatusCode::Error;
    let decided = keep(&limited, &[error]);
    assert_eq!(decided.keep, Keep::Yes);
    assert_eq!(decided.recorded, None);

    // An `and` with a time-based sub-policy: a definite NotSampled settles it.
    let and = r"
policies:
  - name: a
    type: and
    and: {and_sub_policy: [{name: l, type: bytes_limiting, bytes_limiting: {bytes_per_second: 10}}, {name: e, type: status_code, status_code: {status_codes: [ERROR]}}]}
";
    assert_eq!(outcome(and, &[span(0.0, 1.0)]), Outcome::NotSampled);
    let mut error = span(0.0, 1.0);
    error.status = StatusCode::Error;
    assert_eq!(outcome(and, &[error]), Outcome::NotReproducible);

    let composite = r"
policies:
  - name: c
    type: composite
    composite:
      max_total_spans_per_second: 1000
      policy_order: [all]
      composite_sub_policy: [{name: all, type: always_sample}]
      rate_allocation: [{policy: all, percent: 100}]
";
    assert_eq!(
        outcome(composite, &[span(0.0, 1.0)]),
        Outcome::NotReproducible
    );

    // A drop policy that might veto makes even a sampled trace unknown.
    let drop = r"
policies:
  - {name: all, type: always_sample}
  - name: d
    type: drop
    drop: {drop_sub_policy: [{name: l, type: rate_limiting, rate_limiting: {spans_per_second: 1}}]}
";
    assert_eq!(
        keep(&processor(drop), &[span(0.0, 1.0)]).keep,
        Keep::Unknown
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Deciding never panics, whatever the spans, and is deterministic.
    #[test]
    fn decide_never_panics(
        spans in proptest::collection::vec(
            (any::<u64>(), any::<u64>(), 0u8..3, proptest::option::of(any::<i64>()),
             proptest::option::of("[a-z/]{0,6}"), any::<u32>(), ".{0,40}"),
            0..12,
        ),
    ) {
        let config = processor(ALL_TYPES);
        let spans: Vec<Span> = spans
            .into_iter()
            .map(|(start, end, status, number, text, flags, state)| {
                let mut span = span(0.0, 0.0);
                span.start_time_unix_nano = start;
                span.end_time_unix_nano = end;
                span.status = StatusCode::ALL[usize::from(status)];
                if let Some(number) = number {
                    span = with_attr(span, "n", AnyValue::Int(number));
                }
                if let Some(text) = text {
                    span = with_attr(span, "route", s(&text));
                }
                with_detail(span, |d| {
                    d.flags = flags;
                    d.trace_state = state;
                })
            })
            .collect();
        let first = keep(&config, &spans);
        let second = keep(&config, &spans);
        prop_assert_eq!(first, second);
    }
}

/// Every policy type, for the property test.
const ALL_TYPES: &str = r"
policies:
  - {name: a, type: always_sample}
  - {name: b, type: latency, latency: {threshold_ms: 10, upper_threshold_ms: 20}}
  - {name: c, type: numeric_attribute, numeric_attribute: {key: n, min_value: -5, max_value: 5}}
  - {name: d, type: probabilistic, probabilistic: {sampling_percentage: 12.5}}
  - {name: e, type: status_code, status_code: {status_codes: [ERROR, OK]}}
  - {name: f, type: string_attribute, string_attribute: {key: route, values: ['^/a', 'b$'], enabled_regex_matching: true, invert_match: true}}
  - {name: g, type: span_count, span_count: {min_spans: 3}}
  - {name: h, type: trace_state, trace_state: {key: ot, values: ['th:8']}}
  - {name: i, type: trace_flags}
  - {name: j, type: boolean_attribute, boolean_attribute: {key: route, value: true}}
  - name: k
    type: and
    and: {and_sub_policy: [{name: k1, type: latency, latency: {threshold_ms: 1}}, {name: k2, type: not, not: {not_sub_policy: {name: k3, type: trace_flags}}}]}
  - name: l
    type: drop
    drop: {drop_sub_policy: [{name: l1, type: string_attribute, string_attribute: {key: route, values: [/health]}}]}
  - {name: m, type: rate_limiting, rate_limiting: {spans_per_second: 5}}
";

/// `ottl_condition` policies: these tests use the OTTL module's `Condition` (the
/// interface of issue 9) and only the condition shapes every OTTL implementation reads:
/// an attribute equality and `Substring` of a missing attribute, which is an
/// evaluation error.
mod ottl_condition {
    use super::*;

    const SUBSTRING: &str = r#"Substring(span.attributes["missing"], 0, 1) == "a""#;

    fn yaml(mode: &str) -> String {
        format!(
            "policies: [{{name: o, type: ottl_condition, ottl_condition: {{{mode} span: ['{SUBSTRING}', 'span.attributes[\"k\"] == \"v\"']}}}}]"
        )
    }

    #[test]
    fn some_span_satisfies_any_condition() {
        let matching = with_attr(span(0.0, 1.0), "k", s("v"));
        for mode in ["error_mode: ignore,", "error_mode: silent,", ""] {
            // The first condition errs on every span; it counts as false.
            assert_eq!(
                outcome(&yaml(mode), &[span(0.0, 1.0), matching.clone()]),
                Outcome::Sampled,
                "{mode}"
            );
            assert_eq!(outcome(&yaml(mode), &[span(0.0, 1.0)]), Outcome::NotSampled);
        }
    }

    #[test]
    fn propagate_ends_the_policy_at_the_first_error() {
        let matching = with_attr(span(0.0, 1.0), "k", s("v"));
        let propagate = yaml("error_mode: propagate,");
        assert!(matches!(
            outcome(&propagate, &[span(0.0, 1.0), matching]),
            Outcome::Error(_)
        ));
        // An erring policy abstains: the trace is not kept by it.
        let decision = keep(&processor(&propagate), &[span(0.0, 1.0)]);
        assert_eq!(decision.keep, Keep::No);
    }

    #[test]
    fn span_events_are_read_after_their_span() {
        let yaml = r#"policies: [{name: o, type: ottl_condition, ottl_condition: {error_mode: ignore, spanevent: ['spanevent.name == "exception"']}}]"#;
        let with_event = with_detail(span(0.0, 1.0), |d| {
            d.events.push(cpl_otlp::Event {
                name: "exception".into(),
                ..cpl_otlp::Event::default()
            });
        });
        assert_eq!(
            outcome(yaml, &[span(0.0, 1.0), with_event]),
            Outcome::Sampled
        );
        assert_eq!(outcome(yaml, &[span(0.0, 1.0)]), Outcome::NotSampled);
    }
}
