//! Evaluates one-condition policies on spans described with clarvynn's attribute
//! names: the CPL side of the differential check against clarvynn 0.3.1
//! (tests/differential/).
//!
//! Reads JSON Lines on stdin, each `{"when": "...", "attrs": {...}}`, and writes one
//! JSON line per input to stdout:
//! `{"parse_ok": bool, "result": true|false|null, "error": "E113,…"|null, ...}`.
//!
//! Each case goes through the real API: the expression is embedded in the policy
//! `sampling: {base_rate: 0, conditions: [{name: c, when: <expr>}]}`, loaded with
//! `cpl_syntax::load_policy`, compiled with `Evaluator::compile`, and the span is
//! decided with `Evaluator::decide_span`. `result` is whether the rule decided (with
//! base rate 0, a match is the only way to keep). A load error (syntax error or a
//! load-time check such as E113/E115) gives `parse_ok: false` and the error codes;
//! warnings (W114) do not fail a case and are listed in `warnings`.
//!
//! The attributes use clarvynn's names and become span fields the way
//! `cpl test` builds spans (cpl-eval/src/testing.rs):
//!
//! | clarvynn attr | span |
//! |---|---|
//! | `status_code` | attribute `http.response.status_code` |
//! | `method` | attribute `http.request.method` |
//! | `path` | attribute `http.route` |
//! | `user_id` | attribute `user.id` |
//! | `duration_ms`, else `duration` (ms, int or float) | end − start in ns, start = 1 ms |
//!
//! Attribute values: JSON int → `intValue`, float → `doubleValue`, string, bool,
//! `null` → an `AnyValue` with no value (missing). `{"float": "nan"|"inf"|"-inf"}`
//! stands for a non-finite double. A duration that is null, absent or not a
//! non-negative number leaves both span times unset, so the duration is missing.
//! Unknown attribute names are ignored (clarvynn rejects them too).
//!
//! The span has trace id 0, span id 1, no parent, name "", kind UNSPECIFIED,
//! status UNSET and an empty resource.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufWriter, Write};
use std::sync::Arc;

use cpl_eval::{Evaluator, Reason, SpanKind, StatusCode};
use cpl_otlp::{AnyValue, KeyValue, Resource, Span, SpanId, TraceId};
use cpl_syntax::Severity;
use serde_json::{json, Map, Value};

/// Start time of every span with a duration: 1 ms after the epoch (0 means unset).
const START_NANOS: u64 = 1_000_000;

/// `s` as a YAML double-quoted scalar: every character outside printable ASCII is
/// escaped, so the loaded string is exactly `s`.
fn yaml_double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            ' '..='~' => out.push(c),
            // Writing to a String cannot fail.
            c if u32::from(c) <= 0xffff => drop(write!(out, "\\u{:04x}", u32::from(c))),
            c => drop(write!(out, "\\U{:08x}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

fn policy_yaml(when: &str) -> String {
    format!(
        "sampling:\n  base_rate: 0\n  conditions:\n    - name: c\n      when: {}\n",
        yaml_double_quoted(when)
    )
}

/// A JSON attribute value as an OTLP `AnyValue`.
fn any_value(value: &Value) -> AnyValue {
    match value {
        Value::Null | Value::Array(_) => AnyValue::Empty,
        Value::Bool(b) => AnyValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => AnyValue::Int(i),
            None => AnyValue::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => AnyValue::String(s.clone()),
        Value::Object(map) => match map.get("float").and_then(Value::as_str) {
            Some("nan") => AnyValue::Double(f64::NAN),
            Some("inf") => AnyValue::Double(f64::INFINITY),
            Some("-inf") => AnyValue::Double(f64::NEG_INFINITY),
            _ => AnyValue::Empty,
        },
    }
}

/// A duration in milliseconds (int or float) as whole nanoseconds.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn duration_nanos(value: &Value) -> Option<u64> {
    let Value::Number(n) = value else { return None };
    if let Some(ms) = n.as_u64() {
        return ms.checked_mul(1_000_000);
    }
    let ms = n.as_f64()?;
    let nanos = (ms * 1e6).round();
    (ms.is_finite() && ms >= 0.0 && nanos < 1.8e19).then_some(nanos as u64)
}

fn build_span(attrs: &Map<String, Value>) -> Span {
    let mut span = Span {
        trace_id: TraceId([0; 16]),
        span_id: SpanId(1u64.to_be_bytes()),
        parent_span_id: None,
        name: String::new(),
        kind: SpanKind::Unspecified,
        start_time_unix_nano: 0,
        end_time_unix_nano: 0,
        status: StatusCode::Unset,
        attributes: Vec::new(),
        resource: Arc::new(Resource::default()),
        encoded_len: 0,
        detail: None,
    };
    for (name, key) in [
        ("status_code", "http.response.status_code"),
        ("method", "http.request.method"),
        ("path", "http.route"),
        ("user_id", "user.id"),
    ] {
        if let Some(value) = attrs.get(name) {
            span.attributes.push(KeyValue {
                key: key.to_owned(),
                value: any_value(value),
            });
        }
    }
    let duration = ["duration_ms", "duration"]
        .iter()
        .find_map(|name| attrs.get(*name).and_then(duration_nanos));
    if let Some(nanos) = duration {
        span.start_time_unix_nano = START_NANOS;
        span.end_time_unix_nano = START_NANOS.saturating_add(nanos);
    }
    span
}

fn evaluate(line: &str) -> Value {
    let input: Value = match serde_json::from_str(line) {
        Ok(value) => value,
        Err(error) => {
            return json!({"parse_ok": false, "result": null, "error": format!("bad input: {error}")})
        }
    };
    let Some(when) = input.get("when").and_then(Value::as_str) else {
        return json!({"parse_ok": false, "result": null, "error": "bad input: no `when` string"});
    };
    let empty = Map::new();
    let attrs = input
        .get("attrs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);

    let loaded = cpl_syntax::load_policy(&policy_yaml(when));
    let codes = |severity: Severity| -> Vec<&str> {
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .map(|d| d.code.code)
            .collect()
    };
    let warnings = codes(Severity::Warning);
    let Some(policy) = loaded.policy.as_ref() else {
        let message = loaded
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
            .map_or_else(String::new, |d| d.message.clone());
        return json!({
            "parse_ok": false,
            "result": null,
            "error": codes(Severity::Error).join(","),
            "message": message,
            "warnings": warnings,
        });
    };
    let evaluator = match Evaluator::compile(policy) {
        Ok(evaluator) => evaluator,
        Err(error) => {
            return json!({"parse_ok": false, "result": null, "error": format!("compile: {error}"), "warnings": warnings});
        }
    };
    let span = build_span(attrs);
    let decision = evaluator.decide_span(&span);
    let matched = matches!(decision.reason, Reason::Rule { .. });
    json!({"parse_ok": true, "result": matched, "error": null, "warnings": warnings})
}

fn main() -> io::Result<()> {
    let stdin = io::stdin();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        writeln!(out, "{}", evaluate(&line))?;
    }
    out.flush()
}
