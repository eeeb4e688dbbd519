//! Writes `corpus/traces/shop.jsonl`: a deterministic OTLP/JSON capture of a small
//! shop (gateway -> auth, users, orders, payments, search), one export request per line
//! as the collector's file exporter writes it. Same seed, same bytes, on any machine.
//!
//! `cargo run -p cpl-tests --bin generate_corpus` regenerates it;
//! `generate_corpus 300000 /tmp/big.jsonl` writes a larger capture elsewhere (benchmarks). The mix mirrors what
//! policies care about: HTTP errors (stable and old semantic conventions side by side),
//! exceptions, slow requests, health checks, tenants, and traces split across lines.

#![allow(clippy::format_push_string, clippy::cast_possible_truncation)]

use std::fmt::Write as _;

/// splitmix64: tiny, fast and fully specified, so the corpus never changes by accident.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `percent / 1000`.
    fn per_mille(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn hex(&mut self, bytes: usize) -> String {
        let mut out = String::new();
        for _ in 0..bytes {
            let _ = write!(out, "{:02x}", self.below(256));
        }
        out
    }
}

struct SpanOut {
    service: &'static str,
    json: String,
}

struct Request<'a> {
    rng: &'a mut Rng,
    trace_id: String,
    spans: Vec<SpanOut>,
}

/// An attribute in OTLP/JSON; `stable` services write ints as JSON numbers, the old
/// SDK as strings, as the real SDKs do.
fn attr(key: &str, value: &Value) -> String {
    match value {
        Value::Str(text) => format!(r#"{{"key":"{key}","value":{{"stringValue":"{text}"}}}}"#),
        Value::Int(n) => format!(r#"{{"key":"{key}","value":{{"intValue":"{n}"}}}}"#),
    }
}

enum Value {
    Str(String),
    Int(i64),
}

impl Request<'_> {
    #[allow(clippy::too_many_arguments)]
    fn span(
        &mut self,
        service: &'static str,
        parent: Option<&str>,
        name: &str,
        kind: u8,
        start: u64,
        duration: u64,
        error: bool,
        attributes: &[(&str, Value)],
    ) -> String {
        let span_id = self.rng.hex(8);
        let parent = parent.map_or(String::new(), |p| format!(r#""parentSpanId":"{p}","#));
        let attributes: Vec<String> = attributes.iter().map(|(k, v)| attr(k, v)).collect();
        let status = if error {
            r#"{"code":2,"message":"request failed"}"#
        } else {
            "{}"
        };
        let events = if error {
            r#","events":[{"timeUnixNano":"0","name":"exception","attributes":[{"key":"exception.type","value":{"stringValue":"UpstreamError"}}]}]"#
        } else {
            ""
        };
        let json = format!(
            r#"{{"traceId":"{}","spanId":"{span_id}",{parent}"name":"{name}","kind":{kind},"startTimeUnixNano":"{start}","endTimeUnixNano":"{}","attributes":[{}],"status":{status}{events}}}"#,
            self.trace_id,
            start + duration,
            attributes.join(",")
        );
        self.spans.push(SpanOut { service, json });
        span_id
    }
}

const SERVICES: [(&str, &str); 6] = [
    ("gateway", "2.12.0"),
    ("auth", "1.28.0"),
    ("users", "2.12.0"),
    ("orders", "2.12.0"),
    ("payments", "1.28.0"),
    ("search", "2.12.0"),
];

/// Services on the old SDK write the old HTTP semantic conventions.
fn old_semconv(service: &str) -> bool {
    matches!(service, "auth" | "payments")
}

fn http_attributes(
    service: &str,
    method: &str,
    route: &str,
    status: i64,
    tenant: &str,
) -> Vec<(&'static str, Value)> {
    let mut attributes = if old_semconv(service) {
        vec![
            ("http.method", Value::Str(method.to_owned())),
            ("http.route", Value::Str(route.to_owned())),
            ("http.target", Value::Str(route.replace(":id", "42"))),
            ("http.status_code", Value::Int(status)),
        ]
    } else {
        vec![
            ("http.request.method", Value::Str(method.to_owned())),
            ("http.route", Value::Str(route.to_owned())),
            ("url.path", Value::Str(route.replace(":id", "42"))),
            ("http.response.status_code", Value::Int(status)),
        ]
    };
    attributes.push(("tenant.id", Value::Str(tenant.to_owned())));
    attributes
}

fn main() {
    let traces: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1500);
    let mut rng = Rng(0x00C0_FFEE_2026_1121);
    let tenants = [
        "acme", "acme", "acme", "globex", "globex", "initech", "umbrella", "t-0042",
    ];
    let mut clock: u64 = 1_763_700_000_000_000_000;
    let mut pending: Vec<SpanOut> = Vec::new();
    let mut lines = Vec::new();

    for _ in 0..traces {
        clock += 2_000_000 + rng.below(40_000_000);
        let tenant = tenants[rng.below(tenants.len() as u64) as usize];
        let mut request = Request {
            trace_id: rng.hex(16),
            rng: &mut rng,
            spans: Vec::new(),
        };
        let roll = request.rng.below(100);
        let (method, route, backend) = match roll {
            0..=9 => ("GET", "/health", None),
            10..=44 => ("GET", "/api/users/:id", Some("users")),
            45..=59 => ("GET", "/api/orders/:id", Some("orders")),
            60..=79 => ("POST", "/api/payment/charge", Some("payments")),
            80..=94 => ("GET", "/api/search", Some("search")),
            _ => ("GET", "/api/unknown", None),
        };
        let mut status = match route {
            "/api/unknown" => 404,
            _ => 200,
        };
        let auth_fails = route != "/health" && request.rng.per_mille(30);
        let backend_fails = request.rng.per_mille(25);
        let slow = match backend {
            Some("search") => request.rng.per_mille(120),
            Some("payments") => request.rng.per_mille(25),
            _ => request.rng.per_mille(5),
        };
        let mut duration = 3_000_000 + request.rng.below(60_000_000);
        if slow {
            duration = 1_050_000_000 + request.rng.below(1_500_000_000);
        }
        if auth_fails {
            status = 401;
        } else if backend_fails && backend.is_some() {
            status = if backend == Some("payments") && request.rng.per_mille(500) {
                402
            } else {
                502
            };
        }
        let root = request.span(
            "gateway",
            None,
            &format!("{method} {route}"),
            2,
            clock,
            duration,
            status >= 500,
            &http_attributes("gateway", method, route, status, tenant),
        );
        if route != "/health" {
            let auth_status = if auth_fails { 401 } else { 200 };
            let auth_call = request.span(
                "gateway",
                Some(&root),
                "POST /auth/verify",
                3,
                clock + 500_000,
                2_000_000,
                false,
                &[
                    ("http.request.method", Value::Str("POST".into())),
                    ("http.response.status_code", Value::Int(auth_status)),
                    ("server.address", Value::Str("auth".into())),
                ],
            );
            request.span(
                "auth",
                Some(&auth_call),
                "POST /auth/verify",
                2,
                clock + 700_000,
                1_500_000,
                false,
                &http_attributes("auth", "POST", "/auth/verify", auth_status, tenant),
            );
        }
        if let (Some(service), false) = (backend, auth_fails) {
            let backend_status = if status == 502 { 500 } else { status };
            let start = clock + 3_000_000;
            let inner = duration.saturating_sub(4_000_000);
            let client = request.span(
                "gateway",
                Some(&root),
                &format!("{method} {service}"),
                3,
                start,
                inner,
                status >= 500,
                &[
                    ("http.request.method", Value::Str(method.into())),
                    ("http.response.status_code", Value::Int(backend_status)),
                    ("server.address", Value::Str(service.into())),
                ],
            );
            let server = request.span(
                service,
                Some(&client),
                &format!("{method} {route}"),
                2,
                start + 300_000,
                inner.saturating_sub(600_000),
                backend_status >= 500,
                &http_attributes(service, method, route, backend_status, tenant),
            );
            let queries = if service == "orders" && request.rng.per_mille(100) {
                12
            } else {
                1 + request.rng.below(3)
            };
            for query in 0..queries {
                let statement = if service == "search" {
                    "SELECT * FROM products WHERE name LIKE ?"
                } else {
                    "SELECT * FROM rows WHERE id = ?"
                };
                let query_duration = 150_000 + request.rng.below(900_000);
                request.span(
                    service,
                    Some(&server),
                    "SELECT",
                    3,
                    start + 400_000 + query * 200_000,
                    query_duration,
                    false,
                    &[
                        ("db.system", Value::Str("postgresql".into())),
                        ("db.statement", Value::Str(statement.into())),
                    ],
                );
            }
        }
        // Spans are exported in batches; a trace's spans may land on different lines.
        let spans = std::mem::take(&mut request.spans);
        pending.extend(spans);
        if pending.len() >= 40 + rng.below(40) as usize {
            lines.push(export_line(&mut pending));
        }
    }
    if !pending.is_empty() {
        lines.push(export_line(&mut pending));
    }
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../corpus/traces/shop.jsonl");
    let path = std::env::args()
        .nth(2)
        .unwrap_or_else(|| default.to_owned());
    let path = path.as_str();
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir).expect("create corpus/traces");
    }
    std::fs::write(path, lines.join("\n") + "\n").expect("write corpus/traces/shop.jsonl");
    eprintln!("wrote {path}: {traces} traces, {} lines", lines.len());
}

/// One ExportTraceServiceRequest with the pending spans, grouped by service.
fn export_line(pending: &mut Vec<SpanOut>) -> String {
    let mut resource_spans = Vec::new();
    for (service, version) in SERVICES {
        let spans: Vec<&str> = pending
            .iter()
            .filter(|s| s.service == service)
            .map(|s| s.json.as_str())
            .collect();
        if spans.is_empty() {
            continue;
        }
        resource_spans.push(format!(
            r#"{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}},{{"key":"telemetry.sdk.version","value":{{"stringValue":"{version}"}}}},{{"key":"deployment.environment","value":{{"stringValue":"prod"}}}}]}},"scopeSpans":[{{"scope":{{"name":"shop"}},"spans":[{}]}}]}}"#,
            spans.join(",")
        ));
    }
    pending.clear();
    format!(r#"{{"resourceSpans":[{}]}}"#, resource_spans.join(","))
}
