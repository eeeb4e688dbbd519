//! The worked examples of spec/sampling.md run as tests.
//!
//! Each ```` ```json sampling-example ```` block is a trace and its expected decision,
//! decided with the policy of the closest ```` ```yaml policy-ok ```` block above it
//! (the block format is described in the chapter, "Worked examples"). The trace is
//! decided as `cpl replay` does (the matches of the whole trace, the trace's tenant,
//! then `decide_trace`), and a single-span trace must also get the same decision from
//! `decide_span`.

mod common;

use std::sync::Arc;

use cpl_eval::{Evaluator, RuleSet, SpanKind, StatusCode, TraceTenant};
use cpl_otlp::{AnyValue, KeyValue, Resource, Span, SpanDetail, SpanId, TraceId};
use serde_json::Value;

const CHAPTER: &str = include_str!("../../spec/sampling.md");

fn any_value(value: &Value) -> AnyValue {
    match value {
        Value::String(text) => AnyValue::String(text.clone()),
        Value::Bool(flag) => AnyValue::Bool(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(int) if !number.to_string().contains(['.', 'e', 'E']) => AnyValue::Int(int),
            _ => AnyValue::Double(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::Array(items) => AnyValue::Array(items.iter().map(any_value).collect()),
        Value::Object(_) => AnyValue::KvList(Vec::new()),
        Value::Null => AnyValue::Empty,
    }
}

fn key_values(value: Option<&Value>) -> Vec<KeyValue> {
    value
        .and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .map(|(key, value)| KeyValue {
                    key: key.clone(),
                    value: any_value(value),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn kind(name: &str) -> SpanKind {
    match name {
        "INTERNAL" => SpanKind::Internal,
        "SERVER" => SpanKind::Server,
        "CLIENT" => SpanKind::Client,
        "PRODUCER" => SpanKind::Producer,
        "CONSUMER" => SpanKind::Consumer,
        _ => SpanKind::Unspecified,
    }
}

fn status(name: &str) -> StatusCode {
    match name {
        "OK" => StatusCode::Ok,
        "ERROR" => StatusCode::Error,
        _ => StatusCode::Unset,
    }
}

fn span(trace_id: TraceId, index: usize, json: &Value) -> Span {
    let text = |key: &str| json.get(key).and_then(Value::as_str);
    let start =
        1_000_000_000 + json.get("start_ms").and_then(Value::as_u64).unwrap_or(0) * 1_000_000;
    let millis = json.get("duration_ms").and_then(Value::as_u64).unwrap_or(0);
    let trace_state = text("trace_state").unwrap_or_default();
    let flags = json
        .get("flags")
        .and_then(Value::as_u64)
        .map_or(0, |f| u32::try_from(f).expect("32-bit flags"));
    Span {
        trace_id,
        span_id: text("span_id")
            .and_then(SpanId::from_hex)
            .unwrap_or(SpanId([
                0xee,
                0,
                0,
                0,
                0,
                0,
                0,
                u8::try_from(index + 1).unwrap_or(0xff),
            ])),
        parent_span_id: text("parent_span_id")
            .map(|hex| SpanId::from_hex(hex).expect("16 hex digits")),
        name: text("name").unwrap_or_default().to_owned(),
        kind: kind(text("kind").unwrap_or_default()),
        start_time_unix_nano: start,
        end_time_unix_nano: start + millis * 1_000_000,
        status: status(text("status").unwrap_or_default()),
        attributes: key_values(json.get("attributes")),
        resource: Arc::new(Resource {
            attributes: key_values(json.get("resource")),
        }),
        encoded_len: 0,
        detail: (!trace_state.is_empty() || flags != 0).then(|| {
            Box::new(SpanDetail {
                trace_state: trace_state.to_owned(),
                flags,
                ..SpanDetail::default()
            })
        }),
    }
}

/// The policy-ok and sampling-example blocks, in order, with their line numbers.
fn blocks() -> Vec<(usize, &'static str, String)> {
    let mut blocks = Vec::new();
    let mut open: Option<(usize, &str, String)> = None;
    for (number, line) in CHAPTER.lines().enumerate() {
        if let Some(info) = line.strip_prefix("```") {
            if let Some(block) = open.take() {
                blocks.push(block);
            } else {
                let kind = match info.trim() {
                    "yaml policy-ok" => "policy",
                    "json sampling-example" => "example",
                    _ => "other",
                };
                open = Some((number + 1, kind, String::new()));
            }
        } else if let Some((_, _, text)) = &mut open {
            text.push_str(line);
            text.push('\n');
        }
    }
    blocks
}

#[test]
fn worked_examples() {
    let mut evaluator: Option<Evaluator> = None;
    let mut count = 0;
    let mut failures = Vec::new();
    for (line, kind, text) in blocks() {
        match kind {
            "policy" => evaluator = Some(common::evaluator(&text)),
            "example" => {
                count += 1;
                let evaluator = evaluator
                    .as_ref()
                    .expect("a policy-ok block before the first example");
                let json: Value =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("line {line}: {e}"));
                let trace_id = TraceId::from_hex(json["trace_id"].as_str().unwrap_or_default())
                    .unwrap_or_else(|| panic!("line {line}: trace_id is not 32 hex digits"));
                let spans: Vec<Span> = json["spans"]
                    .as_array()
                    .map(|spans| {
                        spans
                            .iter()
                            .enumerate()
                            .map(|(i, s)| span(trace_id, i, s))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut matched = RuleSet::new();
                let mut tenant = TraceTenant::new();
                evaluator.add_trace_matches(&spans, &mut matched);
                for span in &spans {
                    if let Some(id) = evaluator.tenant_of(span) {
                        tenant.observe(span.parent_span_id.is_none(), id);
                    }
                }
                let actual = evaluator
                    .decide_trace(trace_id.0, &matched, tenant.get())
                    .to_string();
                let expected = json["decision"].as_str().unwrap_or_default();
                if actual != expected {
                    failures.push(format!(
                        "spec/sampling.md:{line}: expected `{expected}`, got `{actual}`"
                    ));
                }
                if let [only] = spans.as_slice() {
                    let alone = evaluator.decide_span(only).to_string();
                    if alone != actual {
                        failures.push(format!(
                            "spec/sampling.md:{line}: decide_span gives `{alone}`"
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    assert!(count >= 10, "only {count} sampling examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The verified thresholds table of the chapter matches `cpl_eval::threshold`.
#[test]
fn the_threshold_table() {
    let mut rows = 0;
    for line in CHAPTER.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, p, t, hex, _] = cells.as_slice() else {
            continue;
        };
        let (Ok(p), Ok(t)) = (p.parse::<f64>(), t.parse::<u64>()) else {
            continue;
        };
        assert_eq!(cpl_eval::threshold(p), Some(t), "row for {p}");
        assert_eq!(format!("`{t:014x}`"), *hex, "hex of T({p})");
        rows += 1;
    }
    assert!(rows >= 10, "only {rows} threshold rows found");
}

/// The test vectors of "Hash sampling" match `fnv_threshold` and `fnv_hash`.
#[test]
fn the_hash_sampling_vectors() {
    let mut rows = 0;
    for line in CHAPTER.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let [_, input, value, _] = cells.as_slice() else {
            continue;
        };
        let Some(hex) = value.strip_prefix("`0x").and_then(|v| v.strip_suffix('`')) else {
            continue;
        };
        let expected = u64::from_str_radix(hex, 16).expect("hex");
        if let Some(percent) = input.strip_prefix("*T* for `P` = ") {
            let percent: f64 = percent.parse().expect("a percentage");
            assert_eq!(cpl_eval::fnv_threshold(percent), expected, "{input}");
        } else {
            assert_eq!(
                *input,
                "*H* for salt `default-hash-seed`, trace id `4bf92f3577b34da6a3ce929d0e0e4736`"
            );
            let id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").expect("hex");
            assert_eq!(cpl_eval::fnv_hash(b"default-hash-seed", id.0), expected);
        }
        rows += 1;
    }
    assert_eq!(rows, 6, "hash sampling vectors found");
}
