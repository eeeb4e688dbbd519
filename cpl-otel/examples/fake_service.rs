//! A small fake checkout service traced by the OpenTelemetry SDK, sampled by CPL.
//!
//! `cargo run -p cpl-otel --example fake_service > capture.jsonl` ends a few hundred
//! spans and writes **every** span to stdout as OTLP/JSON Lines (one trace per line),
//! the capture `cpl replay` reads; on stderr it lists the traces the `CplProcessor`
//! exported. `cpl replay` over the capture predicts exactly those
//! (`cargo test -p cpl-otel --test fake_service` checks it):
//!
//! ```sh
//! cargo run -p cpl-otel --example fake_service > capture.jsonl
//! cargo run -p cpl-cli -- replay <(cargo run -q -p cpl-otel --example fake_service --print-policy) capture.jsonl
//! ```

use std::collections::BTreeSet;
use std::io::Write;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::trace::{
    InMemorySpanExporter, SdkTracerProvider, SimpleSpanProcessor, SpanData,
};
use opentelemetry_sdk::Resource;

/// The policy the service runs.
pub(crate) const POLICY: &str = r#"version: 1
service: checkout
sampling:
  base_rate: 0.1
  conditions:
    - name: server_errors
      when: "status_code >= 500"
    - name: slow_requests
      when: "duration > 1s"
    - name: payments
      when: "http.route starts_with '/api/payment'"
    - name: health_checks
      when: "http.route == '/health'"
      action: drop
"#;

/// Runs 120 requests; returns the capture (OTLP/JSON Lines) and the ids of the
/// traces the processor exported.
pub(crate) fn run() -> (String, BTreeSet<String>) {
    let everything = InMemorySpanExporter::default();
    let kept = InMemorySpanExporter::default();
    let cpl = cpl_otel::Builder::from_yaml(POLICY)
        .expect("the policy builds")
        .build(SimpleSpanProcessor::new(kept.clone()))
        .expect("bounds");
    let provider = SdkTracerProvider::builder()
        .with_resource(
            Resource::builder_empty()
                .with_service_name("checkout")
                .build(),
        )
        .with_span_processor(SimpleSpanProcessor::new(everything.clone()))
        .with_span_processor(cpl)
        .build();
    let tracer = provider.tracer("fake_service");

    let routes = [
        "/api/cart",
        "/api/payment/charge",
        "/health",
        "/api/search",
        "/api/users/:id",
    ];
    let epoch = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut random = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for request in 0..120u64 {
        let route = routes[usize::try_from(random(5)).unwrap_or(0)];
        let status: i64 = match random(20) {
            0 => 503,
            1 => 404,
            _ => 200,
        };
        let start = epoch + Duration::from_millis(request * 100);
        let millis = if random(25) == 0 {
            1_500
        } else {
            20 + random(80)
        };
        let root = tracer
            .span_builder(format!("GET {route}"))
            .with_kind(SpanKind::Server)
            .with_start_time(start)
            .with_attributes([
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("http.route", route),
                KeyValue::new(
                    "http.response.status_code",
                    if status == 503 { 200 } else { status },
                ),
            ])
            .start(&tracer);
        let cx = Context::current_with_span(root);
        // Children: an auth call and a database query; the failure is downstream.
        for (i, name) in ["POST /auth/verify", "SELECT items"]
            .into_iter()
            .enumerate()
        {
            let child_start = start + Duration::from_millis(2 + 5 * i as u64);
            let mut child = tracer
                .span_builder(name)
                .with_kind(if i == 0 {
                    SpanKind::Client
                } else {
                    SpanKind::Internal
                })
                .with_start_time(child_start)
                .start_with_context(&tracer, &cx);
            if i == 0 {
                child.set_attribute(KeyValue::new("http.response.status_code", status));
                if status == 503 {
                    child.set_status(Status::error("auth unavailable"));
                }
            }
            child.end_with_timestamp(child_start + Duration::from_millis(3));
        }
        cx.span()
            .end_with_timestamp(start + Duration::from_millis(millis));
    }
    // Read before shutting down: the in-memory exporters forget at shutdown.
    provider.force_flush().ok();
    let spans = everything.get_finished_spans().unwrap_or_default();
    let kept: BTreeSet<String> = kept
        .get_finished_spans()
        .unwrap_or_default()
        .iter()
        .map(|s| s.span_context.trace_id().to_string())
        .collect();
    provider.shutdown().ok();
    (otlp_json_lines(&spans), kept)
}

fn any_value(value: &Value) -> serde_json::Value {
    match value {
        Value::Bool(b) => serde_json::json!({ "boolValue": b }),
        Value::I64(i) => serde_json::json!({ "intValue": i.to_string() }),
        Value::F64(f) => serde_json::json!({ "doubleValue": f }),
        other => serde_json::json!({ "stringValue": other.as_str() }),
    }
}

fn nanos(time: SystemTime) -> String {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
        .to_string()
}

/// One OTLP/JSON `TracesData` line per trace, in the shape `cpl-otlp` reads.
fn otlp_json_lines(spans: &[SpanData]) -> String {
    let mut traces: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
        std::collections::BTreeMap::new();
    for span in spans {
        let kind = match span.span_kind {
            SpanKind::Internal => 1,
            SpanKind::Server => 2,
            SpanKind::Client => 3,
            SpanKind::Producer => 4,
            SpanKind::Consumer => 5,
        };
        let status = match &span.status {
            Status::Unset => serde_json::json!({}),
            Status::Ok => serde_json::json!({ "code": 1 }),
            Status::Error { description } => {
                serde_json::json!({ "code": 2, "message": description })
            }
        };
        let attributes: Vec<_> = span
            .attributes
            .iter()
            .map(|kv| serde_json::json!({ "key": kv.key.as_str(), "value": any_value(&kv.value) }))
            .collect();
        let mut json = serde_json::json!({
            "traceId": span.span_context.trace_id().to_string(),
            "spanId": span.span_context.span_id().to_string(),
            "name": span.name,
            "kind": kind,
            "startTimeUnixNano": nanos(span.start_time),
            "endTimeUnixNano": nanos(span.end_time),
            "attributes": attributes,
            "status": status,
        });
        if span.parent_span_id != opentelemetry::trace::SpanId::INVALID {
            json["parentSpanId"] = span.parent_span_id.to_string().into();
        }
        traces
            .entry(span.span_context.trace_id().to_string())
            .or_default()
            .push(json);
    }
    let mut out = String::new();
    for spans in traces.into_values() {
        let document = serde_json::json!({ "resourceSpans": [{
            "resource": { "attributes": [
                { "key": "service.name", "value": { "stringValue": "checkout" } }
            ] },
            "scopeSpans": [{ "scope": { "name": "fake_service" }, "spans": spans }],
        }] });
        out.push_str(&document.to_string());
        out.push('\n');
    }
    out
}

#[allow(dead_code)] // the test includes this file as a module
fn main() {
    // The example's output is its point: stdout is the capture.
    let mut stdout = std::io::stdout().lock();
    if std::env::args().any(|a| a == "--print-policy") {
        let _ = stdout.write_all(POLICY.as_bytes());
        return;
    }
    let (capture, kept) = run();
    let _ = stdout.write_all(capture.as_bytes());
    let mut stderr = std::io::stderr().lock();
    for id in &kept {
        let _ = writeln!(stderr, "exported trace {id}");
    }
}
