//! The OTTL examples of spec/targets/otel-collector.md (§2.7) run as tests.
//!
//! A ```` ```json ottl-span ```` block describes a span and optionally one event;
//! each line of the ```` ```ottl-eval ```` (or ```` ```ottl-eval spanevent ````)
//! blocks after it is `CONDITION  =>  RESULT`, with RESULT one of `true`,
//! `false`, `runtime error` or a diagnostic code. Every failure is reported.

use std::sync::Arc;

use cpl_collector::ottl::{Condition, OttlContext};
use cpl_otlp::{AnyValue, Event, KeyValue, Resource, Span, SpanId, SpanKind, StatusCode, TraceId};
use serde_json::Value;

const CHAPTER: &str = include_str!("../../spec/targets/otel-collector.md");

fn any_value(value: &Value) -> AnyValue {
    match value {
        Value::String(text) => AnyValue::String(text.clone()),
        Value::Bool(flag) => AnyValue::Bool(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(int) if !number.to_string().contains(['.', 'e', 'E']) => AnyValue::Int(int),
            _ => AnyValue::Double(number.as_f64().unwrap_or(f64::NAN)),
        },
        Value::Array(items) => AnyValue::Array(items.iter().map(any_value).collect()),
        Value::Object(map) => AnyValue::KvList(key_values(map)),
        Value::Null => AnyValue::Empty,
    }
}

fn key_values(map: &serde_json::Map<String, Value>) -> Vec<KeyValue> {
    map.iter()
        .map(|(key, value)| KeyValue {
            key: key.clone(),
            value: any_value(value),
        })
        .collect()
}

fn attributes(value: Option<&Value>) -> Vec<KeyValue> {
    value
        .and_then(Value::as_object)
        .map(key_values)
        .unwrap_or_default()
}

fn span_and_event(json: &Value) -> (Span, Event) {
    let text = |key: &str| json.get(key).and_then(Value::as_str).unwrap_or("");
    let number = |key: &str| json.get(key).and_then(Value::as_u64).unwrap_or(0);
    let span = Span {
        trace_id: TraceId::from_hex(text("trace_id")).unwrap_or_default(),
        span_id: SpanId::from_hex("00f067aa0ba902b7").unwrap_or_default(),
        parent_span_id: SpanId::from_hex(text("parent_span_id")),
        name: text("name").to_owned(),
        kind: SpanKind::from_constant(text("kind")).unwrap_or_default(),
        start_time_unix_nano: number("start_time_unix_nano"),
        end_time_unix_nano: number("end_time_unix_nano"),
        status: StatusCode::from_constant(text("status")).unwrap_or_default(),
        attributes: attributes(json.get("attributes")),
        resource: Arc::new(Resource {
            attributes: attributes(json.get("resource")),
        }),
        encoded_len: 0,
        detail: None,
    };
    let event = json
        .get("event")
        .map_or_else(Event::default, |event| Event {
            name: event
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            attributes: attributes(event.get("attributes")),
            ..Event::default()
        });
    (span, event)
}

fn outcome(line: &str, context: OttlContext, span: &Span, event: &Event) -> Result<(), String> {
    let (condition, expected) = line
        .split_once("  =>  ")
        .ok_or_else(|| format!("no `  =>  ` in `{line}`"))?;
    let actual = match Condition::parse(condition, context) {
        Err(errors) => errors[0].code.code.to_owned(),
        Ok(parsed) => {
            let result = match context {
                OttlContext::Span => parsed.eval_span(span),
                OttlContext::SpanEvent => parsed.eval_span_event(span, event),
            };
            match result {
                Ok(value) => value.to_string(),
                Err(_) => "runtime error".to_owned(),
            }
        }
    };
    if actual == expected.trim() {
        Ok(())
    } else {
        Err(format!("`{condition}`: expected {expected}, got {actual}"))
    }
}

#[test]
fn ottl_examples() {
    let mut failures = Vec::new();
    let mut current: Option<(Span, Event)> = None;
    let mut block: Option<(String, Vec<(usize, String)>)> = None;
    let mut count = 0;
    for (index, line) in CHAPTER.lines().enumerate() {
        if let Some((info, lines)) = block.as_mut() {
            if line.trim_start().starts_with("```") {
                let (info, lines) = (info.clone(), std::mem::take(lines));
                block = None;
                if info == "json ottl-span" {
                    let text = lines
                        .iter()
                        .map(|(_, l)| l.as_str())
                        .collect::<Vec<_>>()
                        .join("\n");
                    let json: Value = serde_json::from_str(&text).expect("ottl-span JSON");
                    current = Some(span_and_event(&json));
                } else if info.starts_with("ottl-eval") {
                    let context = if info == "ottl-eval spanevent" {
                        OttlContext::SpanEvent
                    } else {
                        OttlContext::Span
                    };
                    let Some((span, event)) = current.as_ref() else {
                        failures.push(format!(
                            "line {}: ottl-eval before any ottl-span",
                            index + 1
                        ));
                        continue;
                    };
                    for (number, example) in lines.iter().filter(|(_, l)| !l.trim().is_empty()) {
                        count += 1;
                        if let Err(message) = outcome(example, context, span, event) {
                            failures.push(format!("otel-collector.md:{number}: {message}"));
                        }
                    }
                }
            } else {
                lines.push((index + 1, line.to_owned()));
            }
            continue;
        }
        if let Some(info) = line.trim_start().strip_prefix("```") {
            block = Some((info.trim().to_owned(), Vec::new()));
        }
    }
    assert!(count >= 30, "only {count} OTTL examples found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
