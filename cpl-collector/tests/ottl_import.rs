//! Importing `ottl_condition` (spec/targets/otel-collector.md §5.1): each path and
//! converter of the OTTL subset is either translated, and then decides every sample
//! span exactly as the collector does, or refused with E531 naming the construct.
//!
//! The differential: each condition is one `ottl_condition` policy; every sample span
//! is a one-span trace, decided by the collector's semantics (`cpl_collector::decide`)
//! and by CPL's evaluator on the imported, printed and reloaded policy.

#![allow(clippy::needless_raw_string_hashes)]

use std::fmt::Write as _;

use cpl_collector::decide::{decide, Keep};
use cpl_collector::import::import;
use cpl_eval::{Evaluator, RuleSet};
use cpl_otlp::{decode_document_with_fidelity, Fidelity, Leniency, Span};

/// Sample spans, one trace each: every attribute type, kinds, statuses, root and child
/// spans, trace states.
const SPANS: &str = r#"{"resourceSpans":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"gw"}},{"key":"k","value":{"intValue":"7"}}]},
 "scopeSpans":[{"spans":[
  {"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"0000000000000001","name":"GET /a","kind":2,
   "status":{"code":2},"traceState":"ot=th:8,vendor=x",
   "startTimeUnixNano":"1000","endTimeUnixNano":"2000",
   "attributes":[{"key":"k","value":{"stringValue":"abc"}},{"key":"n","value":{"intValue":"10"}},
                 {"key":"d","value":{"doubleValue":5.5}},{"key":"b","value":{"boolValue":true}}]},
  {"traceId":"0af7651916cd43dd8448eb211c80319d","spanId":"0000000000000002","parentSpanId":"0000000000000001",
   "name":"child","kind":3,"status":{"code":1},"traceState":"ot=th:8,Vendor=1",
   "startTimeUnixNano":"1000","endTimeUnixNano":"2000",
   "attributes":[{"key":"k","value":{"stringValue":""}},{"key":"n","value":{"doubleValue":10.0}},
                 {"key":"d","value":{"stringValue":"5.5"}},{"key":"b","value":{"boolValue":false}},
                 {"key":"big","value":{"intValue":"9007199254740993"}}]},
  {"traceId":"0af7651916cd43dd8448eb211c80319e","spanId":"0000000000000003",
   "name":"x","kind":1,
   "startTimeUnixNano":"1000","endTimeUnixNano":"2000",
   "attributes":[{"key":"k","value":{"arrayValue":{"values":[{"stringValue":"abc"}]}}},
                 {"key":"n","value":{"stringValue":"10"}},{"key":"b","value":{"stringValue":"true"}},
                 {"key":"big","value":{"doubleValue":9007199254740992.0}},
                 {"key":"e","value":{"bytesValue":""}}]},
  {"traceId":"0af7651916cd43dd8448eb211c80319f","spanId":"0000000000000004","parentSpanId":"0000000000000009",
   "name":"abcdef","kind":0,"status":{"code":0},
   "startTimeUnixNano":"1000","endTimeUnixNano":"2000",
   "attributes":[{"key":"k","value":{"stringValue":"xabcx"}},{"key":"n","value":{"intValue":"-3"}},
                 {"key":"r","value":{"stringValue":"a"}}]}
 ]}]}]}"#;

fn spans() -> Vec<Span> {
    let mut spans = Vec::new();
    decode_document_with_fidelity(
        SPANS.as_bytes(),
        &mut spans,
        Leniency::Strict,
        Fidelity::Full,
    )
    .expect("the sample spans decode");
    spans
}

/// Conditions the import translates exactly.
const EXACT: &[&str] = &[
    r#"attributes["k"] == "abc""#,
    r#"span.attributes["k"] != "abc""#,
    r#"attributes["k"] < "b""#,
    r#"attributes["k"] >= "abc""#,
    r#"attributes["n"] == 10"#,
    r#"attributes["n"] != 10"#,
    r#"attributes["n"] > 5"#,
    r#"attributes["n"] <= 10.0"#,
    r#"attributes["d"] > 5"#,
    r#"attributes["d"] < 5.6"#,
    r#"attributes["big"] == 9007199254740993"#,
    r#"attributes["big"] != 9007199254740993"#,
    r#"attributes["big"] >= 9007199254740993"#,
    r#"attributes["b"] == true"#,
    r#"attributes["b"] != false"#,
    r#"attributes["b"] < true"#,
    r#"attributes["b"] <= true"#,
    r#"attributes["b"] > false"#,
    r#"attributes["b"] >= true"#,
    r#"attributes["b"] < false"#,
    r#"attributes["k"] == 1 or attributes["n"] == "10""#,
    r#"10 == attributes["n"]"#,
    r#"5 < attributes["n"]"#,
    r#"resource.attributes["service.name"] == "gw""#,
    r#"resource.attributes["k"] >= 7"#,
    r#"name == "GET /a""#,
    r#"span.name != "x""#,
    r#"name == 5"#,
    r#"name != 5"#,
    r#"name > "a""#,
    r#"span.trace_id.string == "0af7651916cd43dd8448eb211c80319c""#,
    r#"span.span_id.string >= "0000000000000002""#,
    r#"span.parent_span_id.string == "0000000000000000""#,
    r#"span.parent_span_id.string != "0000000000000001""#,
    r#"span.parent_span_id.string < "0000000000000002""#,
    r#"span.kind == SPAN_KIND_SERVER"#,
    r#"span.kind != 2"#,
    r#"span.kind >= SPAN_KIND_CLIENT"#,
    r#"span.kind == 2.0"#,
    r#"span.kind == "Server""#,
    r#"span.kind.string == "Server""#,
    r#"span.kind.string < "Internal""#,
    r#"span.kind.deprecated_string == "SPAN_KIND_CLIENT""#,
    r#"span.status.code == STATUS_CODE_ERROR"#,
    r#"span.status.code != STATUS_CODE_UNSET"#,
    r#"span.status.code > 0"#,
    r#"span.trace_state["vendor"] == "x""#,
    r#"span.trace_state["vendor"] != "x""#,
    r#"IsRootSpan()"#,
    r#"not IsRootSpan() and name == "child""#,
    r#"IsMatch(name, "^GET")"#,
    r#"IsMatch(name, "\\d")"#,
    r#"IsMatch(span.kind.string, "er")"#,
    r#"IsMatch(span.parent_span_id.string, "^0+$")"#,
    r#"IsMatch(span.trace_state["ot"], "th")"#,
    r#"IsString(attributes["k"])"#,
    r#"IsInt(attributes["n"])"#,
    r#"IsDouble(attributes["n"])"#,
    r#"IsBool(attributes["b"])"#,
    r#"IsString(name) and not IsInt(name)"#,
    r#"HasPrefix(attributes["k"], "ab")"#,
    r#"HasSuffix(name, "/a")"#,
    r#"not HasPrefix(attributes["k"], "ab")"#,
    r#"ContainsValue(["abc", "xabcx"], attributes["k"])"#,
    r#"ContainsValue([10, true], attributes["n"])"#,
    r#"Substring(attributes["k"], 0, 1) == "a""#,
    r#"Substring(attributes["k"], 0, 2) == "ab""#,
    r#"Substring(attributes["k"], 0, 1) != "a""#,
    r#"Substring(name, 0, 3) == "GET""#,
    r#"Substring(attributes["k"], 0, 2) == "a""#,
    r#"not (Substring(attributes["k"], 0, 1) == "x")"#,
    r#"Substring(attributes["r"], 0, 1) == "a" or attributes["n"] == -3"#,
    r#"Substring(attributes["k"], 0, 1) == "x" and name == "abcdef""#,
    r#"name == "abcdef" and Substring(attributes["k"], 0, 1) == "x""#,
    r#"true"#,
    r#"false or name == "x""#,
    r#"1 == 1"#,
    r#""a" != "a""#,
    r#"(attributes["n"] > 0 or attributes["k"] == "abc") and not (span.kind == SPAN_KIND_CLIENT)"#,
];

/// Conditions the import refuses, with a word of the E531 message.
const REFUSED: &[(&str, &str)] = &[
    (r#"Int(attributes["n"]) >= 5"#, "`Int`"),
    (r#"Double(attributes["n"]) >= 5"#, "`Double`"),
    (r#"String(attributes["n"]) == "10""#, "`String`"),
    (r#"Bool(attributes["b"]) == true"#, "`Bool`"),
    (r#"Len(attributes["k"]) > 1"#, "`Len`"),
    (r#"Concat([name, "x"], "-") == "a-x""#, "`Concat`"),
    (r#"ToLowerCase(name) == "get /a""#, "`ToLowerCase`"),
    (r#"ToUpperCase(name) == "X""#, "`ToUpperCase`"),
    (
        r#"ExtractPatterns(name, "(?P<m>[A-Z]+)")["m"] == "GET""#,
        "`ExtractPatterns`",
    ),
    (r#"IsMap(attributes["k"])"#, "`IsMap`"),
    (r#"IsList(attributes["k"])"#, "`IsList`"),
    (
        r#"Substring(span.trace_id.string, 18, 14) >= "e6666666666666""#,
        "`Substring` not from 0",
    ),
    (
        r#"Substring(attributes["k"], 0, 2) != "ab""#,
        "longer than one byte",
    ),
    (r#"Substring(attributes["k"], 0, 1) > "a""#, "other than"),
    (
        r#"span.end_time_unix_nano - span.start_time_unix_nano > 1000"#,
        "arithmetic",
    ),
    (
        r#"span.start_time_unix_nano > 0"#,
        "span.start_time_unix_nano",
    ),
    (r#"span.status.message == "x""#, "span.status.message"),
    (r#"scope.name == "x""#, "scope.name"),
    (
        r#"span.dropped_attributes_count > 0"#,
        "span.dropped_attributes_count",
    ),
    (r#"span.trace_state == "ot=th:8""#, "span.trace_state"),
    (
        r#"span.trace_id == TraceID(0x0af7651916cd43dd8448eb211c80319c)"#,
        "span.trace_id",
    ),
    (r#"attributes["k"]["j"] == "x""#, "nested attribute key"),
    (r#"attributes == nil"#, "whole attribute map"),
    (r#"attributes["k"] == attributes["n"]"#, "two paths"),
    (r#"attributes["k"] == 0x01"#, "byte slice"),
    (r#"attributes["k"] == ["abc"]"#, "list literal"),
    (r#"attributes["n"] > 1.0e20"#, "2^53"),
    (r#"span.trace_state["ot"] == """#, "trace-state entry"),
    (r#"span.trace_state["ot"] < "z""#, "trace-state entry"),
    (r#"IsMatch(span.trace_state["ot"], "x*")"#, "matches \"\""),
];

fn config(conditions: &[&str], error_mode: &str) -> String {
    let mut yaml = String::from("tail_sampling:\n  policies:\n");
    for (i, condition) in conditions.iter().enumerate() {
        let _ = write!(
            yaml,
            "    - name: p{i}\n      type: ottl_condition\n      ottl_condition:\n        \
             error_mode: {error_mode}\n        span:\n          - {}\n",
            serde_json::to_string(condition).expect("quotes")
        );
    }
    yaml
}

fn processor(conditions: &[&str], error_mode: &str) -> cpl_collector::policy::Processor {
    let file = cpl_collector::config::read(&config(conditions, error_mode));
    assert!(!file.has_errors(), "{:?}", file.diagnostics);
    file.processors.into_iter().next().expect("one processor")
}

#[test]
fn every_translated_condition_decides_each_span_as_the_collector_does() {
    let spans = spans();
    for error_mode in ["ignore", "silent", "propagate"] {
        for condition in EXACT {
            let processor = processor(&[condition], error_mode);
            let imported = import(&processor);
            let fails_at_run_time = imported.diagnostics.iter().any(|d| d.code.code == "W531");
            assert!(
                imported.diagnostics.iter().all(|d| d.code.code == "W531"),
                "{condition}: {:?}",
                imported.diagnostics
            );
            assert!(
                !fails_at_run_time || error_mode == "propagate",
                "{condition}: W531 under {error_mode}"
            );
            let loaded = cpl_syntax::load_policy(&imported.text);
            assert!(
                loaded.diagnostics.is_empty(),
                "{condition}: {:?}\n{}",
                loaded.diagnostics,
                imported.text
            );
            let evaluator = Evaluator::compile(&loaded.policy.expect("loads")).expect("evaluates");
            for span in &spans {
                let by_collector = decide(&processor, &[span]).keep == Keep::Yes;
                let mut matched = RuleSet::new();
                evaluator.add_trace_matches(std::slice::from_ref(span), &mut matched);
                let by_cpl = evaluator.decide_trace(span.trace_id.0, &matched, None).keep;
                // On one span, propagate differs from ignore only where it fails.
                let fails = !fails_at_run_time || processor.policies[0].kind_conditions_fail(span);
                if error_mode != "propagate" || !fails {
                    assert_eq!(
                        by_collector, by_cpl,
                        "{condition} ({error_mode}) on span `{}`:\n{}",
                        span.name, imported.text
                    );
                }
            }
        }
    }
}

/// Whether a policy's only condition fails on `span`.
trait Fails {
    fn kind_conditions_fail(&self, span: &Span) -> bool;
}

impl Fails for cpl_collector::policy::Policy {
    fn kind_conditions_fail(&self, span: &Span) -> bool {
        match &self.kind {
            cpl_collector::policy::PolicyKind::OttlCondition { span: list, .. } => {
                list.iter().any(|c| c.eval_span(span).is_err())
            }
            _ => false,
        }
    }
}

#[test]
fn conditions_without_an_exact_form_are_refused_by_name() {
    for (condition, construct) in REFUSED {
        let imported = import(&processor(&[condition], "ignore"));
        let refusal = imported
            .diagnostics
            .iter()
            .find(|d| d.code.code == "E531")
            .unwrap_or_else(|| panic!("{condition}: not refused: {}", imported.text));
        assert!(
            refusal.message.contains(construct),
            "{condition}: {}",
            refusal.message
        );
        assert!(
            refusal.span.end > refusal.span.start,
            "{condition}: unplaced"
        );
    }
}

#[test]
fn spanevent_conditions_are_refused_and_ismatch_on_attributes_warns() {
    let yaml = "tail_sampling:\n  policies:\n    - name: ev\n      type: ottl_condition\n      \
                ottl_condition:\n        spanevent: ['name == \"exception\"']\n    - name: re\n      \
                type: ottl_condition\n      ottl_condition:\n        span: ['IsMatch(attributes[\"k\"], \"b\")']\n";
    let file = cpl_collector::config::read(yaml);
    let imported = import(&file.processors[0]);
    let codes: Vec<&str> = imported.diagnostics.iter().map(|d| d.code.code).collect();
    assert_eq!(codes, ["E531", "W532"], "{:?}", imported.diagnostics);
    assert!(imported.diagnostics[0].message.contains("spanevent"));
    assert_eq!(
        imported.text,
        "version: 1\nsampling:\n  base_rate: 0.0\n  conditions:\n    - name: re\n      when: 'attributes[\"k\"] matches \"b\"'\n      rate: 1.0\n"
    );
}
