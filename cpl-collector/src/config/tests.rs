//! Reading configs: every shape, the collector's load checks, and the issue's bad input.

use std::fmt::Write as _;

use super::*;
use crate::policy::PolicyKind;

/// Each diagnostic as `CODE text-at-its-span`.
fn findings(source: &str) -> Vec<String> {
    read(source)
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d.code.code,
                source.get(d.span.clone()).unwrap_or("<out of bounds>")
            )
        })
        .collect()
}

fn clean(source: &str) -> ConfigFile {
    let file = read(source);
    assert!(file.diagnostics.is_empty(), "{:#?}", file.diagnostics);
    file
}

#[test]
fn recognised_by_content() {
    assert_eq!(recognise("sampling:\n  base_rate: 0.1\n"), None);
    assert_eq!(
        recognise("processors:\n  batch: {}\n"),
        Some(Shape::Collector)
    );
    assert_eq!(
        recognise("tail_sampling:\n  policies: []\n"),
        Some(Shape::Block)
    );
    assert_eq!(
        recognise("tail_sampling/x:\n  policies: []\n"),
        Some(Shape::Block)
    );
    assert_eq!(recognise("policies: []\n"), Some(Shape::Block));
    assert_eq!(
        recognise("kind: ConfigMap\ndata:\n  c: x\n"),
        Some(Shape::ConfigMap)
    );
    assert_eq!(
        recognise("kind: OpenTelemetryCollector\nspec: {}\n"),
        Some(Shape::OperatorResource)
    );
    assert_eq!(recognise("- a\n"), None);
    assert_eq!(recognise("a: [\n"), None);
}

const WHOLE: &str = r"receivers:
  otlp: {protocols: {http: {}}}
processors:
  batch: {}
  tail_sampling:
    decision_wait: 10s
    policies:
      - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
  tail_sampling/canary:
    sample_on_first_match: true
    policies:
      - {name: everything, type: always_sample}
exporters:
  debug: {}
service:
  pipelines:
    traces: {receivers: [otlp], processors: [tail_sampling], exporters: [debug]}
";

#[test]
fn a_whole_collector_config_with_two_processors() {
    let file = clean(WHOLE);
    assert_eq!(file.shape, Shape::Collector);
    let ids: Vec<&str> = file.processors.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["tail_sampling", "tail_sampling/canary"]);
    let canary = file.processor("canary").expect("by name");
    assert!(canary.sample_on_first_match);
    assert_eq!(
        file.processor("tail_sampling/canary")
            .map(|p| p.id.as_str()),
        Some("tail_sampling/canary")
    );
    assert!(file.processor("nope").is_none());
    assert_eq!(&WHOLE[canary.span.clone()], "tail_sampling/canary");
}

#[test]
fn a_collector_config_without_tail_sampling() {
    assert_eq!(
        findings("processors:\n  batch: {}\n"),
        ["E400 "],
        "positioned at the `processors` key"
    );
}

#[test]
fn the_shared_corpus_configs_read_cleanly() {
    let Some(dir) = cpl_tests::shared_path("corpus/collector") else {
        return;
    };
    let mut read_any = false;
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|ext| ext != "yaml") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("utf-8");
        assert_eq!(recognise(&source), Some(Shape::Block), "{}", path.display());
        let file = read(&source);
        assert!(
            file.diagnostics.is_empty(),
            "{}: {:#?}",
            path.display(),
            file.diagnostics
        );
        assert_eq!(file.processors.len(), 1);
        read_any = true;
    }
    assert!(read_any);
}

#[test]
fn a_configmap_maps_positions_into_the_outer_file() {
    let source = "apiVersion: v1
kind: ConfigMap
metadata: {name: otel}
data:
  README: just text
  relay: |
    processors:
      tail_sampling:
        policies:
          - {name: a, type: always_sampel}
          - {name: b, type: status_code, status_code: {status_codes: [error]}}
";
    let file = read(source);
    assert_eq!(file.shape, Shape::ConfigMap);
    assert_eq!(file.processors.len(), 1);
    assert_eq!(findings(source), ["E406 always_sampel", "E408 error"]);
    let first = &file.diagnostics[0];
    assert_eq!(first.help.as_deref(), Some("did you mean `always_sample`?"));
}

#[test]
fn a_configmap_in_a_folded_or_quoted_string_still_maps_positions() {
    let source =
        "kind: ConfigMap\ndata:\n  c: \"tail_sampling: {policies: [{name: a, type: nope}]}\"\n";
    assert_eq!(findings(source), ["E406 nope"]);
}

#[test]
fn an_operator_resource_with_config_as_map_or_string() {
    let map = "apiVersion: opentelemetry.io/v1beta1
kind: OpenTelemetryCollector
spec:
  config:
    processors:
      tail_sampling:
        policies: [{name: a, type: always_sample}]
";
    let file = clean(map);
    assert_eq!(file.shape, Shape::OperatorResource);
    assert_eq!(file.processors.len(), 1);
    let string = "kind: OpenTelemetryCollector
spec:
  config: |
    processors:
      tail_sampling:
        policies: [{name: a, type: latency, latency: {threshold_ms: slow}}]
";
    assert_eq!(findings(string), ["E402 slow"]);
    assert_eq!(
        findings("kind: OpenTelemetryCollector\nspec: {mode: deployment}\n"),
        ["E400 "]
    );
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let source = r"tail_sampling:
  policies:
    - &slow
      name: slow
      type: latency
      latency: {threshold_ms: 500}
    - <<: *slow
      name: slower
      latency: {threshold_ms: 900}
    - <<: [*slow, {type: always_sample}]
      name: merged-list
";
    let file = clean(source);
    let policies = &file.processors[0].policies;
    assert_eq!(policies.len(), 3);
    assert_eq!(policies[1].name, "slower");
    assert!(matches!(
        policies[1].kind,
        PolicyKind::Latency {
            threshold_ms: 900,
            ..
        }
    ));
    // The first merged mapping wins over the second.
    assert_eq!(policies[2].type_name(), "latency");
}

#[test]
fn env_substitutions_are_positioned_and_name_the_value() {
    let source = r"processors:
  tail_sampling:
    policies:
      - {name: slow, type: latency, latency: {threshold_ms: '${env:LATENCY_MS}'}}
      - {name: keys, type: string_attribute, string_attribute: {key: '${TENANT_KEY}', values: [a]}}
      - {name: cost, type: string_attribute, string_attribute: {key: k, values: ['$$5']}}
";
    let file = read(source);
    assert_eq!(
        findings(source),
        ["E414 ${env:LATENCY_MS}", "E414 ${TENANT_KEY}"]
    );
    assert!(file.diagnostics[0]
        .message
        .contains("`tail_sampling.policies[0].latency.threshold_ms`"));
    // The policies still read; the substituted values are unknown, not wrong.
    assert_eq!(file.processors[0].policies.len(), 3);
}

#[test]
fn ten_thousand_policies() {
    let mut source = String::from("tail_sampling:\n  policies:\n");
    for i in 0..10_000 {
        let _ = writeln!(
            source,
            "    - {{name: p{i}, type: numeric_attribute, numeric_attribute: {{key: k, min_value: {i}, max_value: 99999}}}}"
        );
    }
    let _ = writeln!(source, "    - {{name: p7, type: always_sample}}");
    let file = read(&source);
    assert_eq!(file.processors[0].policies.len(), 10_001);
    // p0 has min_value 0 but max set: fine. One duplicate name.
    let codes: Vec<&str> = file.diagnostics.iter().map(|d| d.code.code).collect();
    assert_eq!(codes, ["E405"]);
}

#[test]
fn a_100_kb_ottl_condition_does_not_hang() {
    let condition = format!("span.attributes[\"k\"] == \"{}\"", "x".repeat(100 * 1024));
    let source = format!(
        "tail_sampling:\n  policies:\n    - name: big\n      type: ottl_condition\n      ottl_condition:\n        span: ['{condition}']\n"
    );
    let file = read(&source);
    assert_eq!(file.processors.len(), 1);
}

#[test]
fn deep_nesting_is_refused_with_a_position() {
    let mut policy = String::from("{name: leaf, type: always_sample}");
    for depth in 0..100 {
        policy = format!("{{name: n{depth}, type: and, and: {{and_sub_policy: [{policy}]}}}}");
    }
    let source = format!("tail_sampling:\n  policies: [{policy}]\n");
    let file = read(&source);
    assert!(file.has_errors());
    assert!(file.diagnostics.iter().all(|d| d.span.end <= source.len()));
    // Within the YAML depth limit, an `and` inside an `and` is refused by type.
    let nested = "policies: [{name: a, type: and, and: {and_sub_policy: [{name: b, type: and, and: {and_sub_policy: []}}]}}]";
    assert_eq!(findings(nested), ["E407 and", "E401 and"]);
}

#[test]
fn unknown_types_keys_and_nesting() {
    assert_eq!(findings("policies: [{name: a, type: ottl}]"), ["E406 ottl"]);
    assert_eq!(
        findings("policies: [{name: a, type: always_sample, threshold_ms: 5}]"),
        ["E401 threshold_ms"]
    );
    assert_eq!(
        findings("policies: [{name: a, type: latency, latency: {treshold_ms: 5}}]"),
        ["E401 treshold_ms"]
    );
    assert_eq!(findings("policie: []"), ["E400 "]);
    assert_eq!(
        findings("tail_sampling: {decision_wait: 10, policy: []}"),
        ["E403 ", "E401 policy"]
    );
    assert_eq!(
        findings("policies: [{name: a, type: not, not: {not_sub_policy: {name: b, type: not, not: {}}}}]"),
        ["E407 not", "E401 not"]
    );
    assert_eq!(
        findings("policies: [{name: a, type: drop, drop: {drop_sub_policy: [{name: b, type: composite}]}}]"),
        ["E407 composite"]
    );
}

#[test]
fn invalid_regexes_are_positioned_at_the_value() {
    let source = "policies: [{name: a, type: string_attribute, string_attribute: {key: k, values: [ok, '(unclosed', 'a(?=b)'], enabled_regex_matching: true}}]";
    assert_eq!(findings(source), ["E411 '(unclosed'", "E411 'a(?=b)'"]);
    // Without regex matching they are plain strings.
    clean("policies: [{name: a, type: string_attribute, string_attribute: {key: k, values: ['(unclosed']}}]");
}

#[test]
fn unbalanced_ottl_quotes_are_positioned_inside_the_condition() {
    let source = "policies:\n  - name: o\n    type: ottl_condition\n    ottl_condition:\n      span:\n        - 'span.name == \"GET'\n";
    let file = read(source);
    assert!(file.has_errors());
    let condition = source.find("span.name").expect("present");
    let end = source.rfind('\'').expect("present");
    for diagnostic in &file.diagnostics {
        assert!(
            diagnostic.span.start >= condition && diagnostic.span.end <= end,
            "{diagnostic:?}"
        );
    }
}

#[test]
fn the_collectors_load_checks() {
    let cases: &[(&str, &[&str])] = &[
        ("policies: [{type: always_sample}]", &["E404 "]),
        ("policies: [{name: '', type: always_sample}]", &["E404 ''"]),
        (
            "policies: [{name: a, type: always_sample}, {name: a, type: always_sample}]",
            &["E405 "],
        ),
        ("policies: [{name: a}]", &["E403 "]),
        (
            "policies: [{name: a, type: status_code, status_code: {status_codes: []}}]",
            &["E408 {status_codes: []}"],
        ),
        (
            "policies: [{name: a, type: numeric_attribute, numeric_attribute: {key: k, min_value: 0, max_value: 0}}]",
            &["E409 {key: k, min_value: 0, max_value: 0}"],
        ),
        (
            "policies: [{name: a, type: numeric_attribute, numeric_attribute: {key: k, min_value: 9, max_value: 5}}]",
            &["E410 9"],
        ),
        (
            "policies: [{name: a, type: ottl_condition, ottl_condition: {span: []}}]",
            &["E412 {span: []}"],
        ),
        (
            "policies: [{name: a, type: ottl_condition, ottl_condition: {error_mode: loud, span: ['span.attributes[\"k\"] == \"v\"']}}]",
            &["E413 loud"],
        ),
        (
            "policies: [{name: a, type: span_count, span_count: {min_spans: 3000000000}}]",
            &["E415 3000000000"],
        ),
        (
            "policies: [{name: a, type: probabilistic, probabilistic: {sampling_percentage: .nan}}]",
            &["E415 .nan"],
        ),
        (
            "policies: [{name: a, type: latency, latency: {threshold_ms: '500'}}]",
            &["E402 '500'"],
        ),
        (
            "policies: [{name: a, type: string_attribute, string_attribute: {key: 500, values: [a]}}]",
            &["E402 500"],
        ),
        ("num_shards: 300\npolicies: []", &["E415 300"]),
        ("decision_wait: soon\npolicies: []", &["E402 soon"]),
        ("policies: {name: a}", &["E402 {name: a}"]),
        (
            "policies: [{name: a, type: always_sample}]\npolicies: []",
            &["E201 policies"],
        ),
    ];
    let mut failures = String::new();
    for (source, expected) in cases {
        let found = findings(source);
        if found != *expected {
            let _ = writeln!(
                failures,
                "{source}\n  expected {expected:?}\n  found    {found:?}"
            );
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn settings_read_as_the_collector_holds_them() {
    let file = clean(
        r"policies:
  - {name: n, type: numeric_attribute, numeric_attribute: {key: k, min_value: 5}}
  - {name: l, type: latency, latency: {threshold_ms: 1500.9}}
  - {name: s, type: string_attribute, string_attribute: {key: k, values: ['', a]}}
  - {name: t, type: trace_state, trace_state: {key: ot, values: ['', x]}}
  - {name: p, type: probabilistic, probabilistic: {sampling_percentage: 10}}
",
    );
    let policies = &file.processors[0].policies;
    assert!(matches!(
        policies[0].kind,
        PolicyKind::NumericAttribute {
            min: 5,
            max: i64::MAX,
            ..
        }
    ));
    // mapstructure truncates a float written for an integer.
    assert!(matches!(
        policies[1].kind,
        PolicyKind::Latency {
            threshold_ms: 1500,
            upper_threshold_ms: 0
        }
    ));
    assert!(
        matches!(&policies[2].kind, PolicyKind::StringAttribute { values, .. } if values == &["a"])
    );
    assert!(matches!(&policies[3].kind, PolicyKind::TraceState { values, .. } if values == &["x"]));
    assert!(matches!(
        &policies[4].kind,
        PolicyKind::Probabilistic { hash_salt, threshold: 0x1999_9999_9999_99ff, .. } if hash_salt == "default-hash-seed"
    ));
}

#[test]
fn yaml_errors_and_empty_files() {
    assert_eq!(findings(""), ["E400 "]);
    assert_eq!(
        findings("policies: [\n").first().map(|f| &f[..4]),
        Some("E200")
    );
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
    assert_eq!(findings(bomb).first().map(|f| &f[..4]), Some("E206"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Reading never panics, and every diagnostic lies within the file, whatever the
    /// input: arbitrary text, and configs spliced from the pieces of real ones.
    #[test]
    fn reading_never_panics(text in ".{0,200}", pieces in proptest::collection::vec(
        proptest::sample::select(vec![
            "policies:\n", "  - ", "{name: a, type: latency, latency: {threshold_ms: 5}}",
            "type: and\n", "and: {and_sub_policy: [", "]}", "<<: *x\n", "&x ", "${env:A}",
            "kind: ConfigMap\ndata:\n  c: |\n    ", "tail_sampling:\n", "'", "\"", "\n", "  ",
            "ottl_condition: {span: ['", "status_codes: [ERROR, x]", "min_value: 0",
        ]),
        0..24,
    )) {
        for source in [text, pieces.concat()] {
            let file = read(&source);
            for diagnostic in &file.diagnostics {
                proptest::prop_assert!(diagnostic.span.start <= diagnostic.span.end);
                proptest::prop_assert!(diagnostic.span.end <= source.len(), "{:?} in {:?}", diagnostic, source);
            }
            let _ = recognise(&source);
        }
    }
}
