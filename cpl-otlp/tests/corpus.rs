//! The OTLP/JSON reader against the shared corpus of public files and a
//! real-SDK capture (`../shared/corpus`, described by its MANIFEST.md): every
//! VALID file must decode to the span and trace counts of the manifest's
//! summary table; every INVALID file must yield at least one error when read
//! strictly, and when read leniently either decode to the manifest's counts
//! with a notice saying how it was read, or be refused for a stated reason.
//!
//! The corpus lives outside the repository; when it is absent (a fresh clone
//! without `shared/`), the tests say SKIPPED on stderr and pass, unless
//! `CPL_REQUIRE_SHARED` is set (CI sets it when `shared/` exists).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cpl_otlp::{
    open, Deviations, ErrorKind, Framing, Leniency, ReadError, ReadStats, Span, TraceId,
};

fn corpus() -> Option<PathBuf> {
    cpl_tests::shared_path("corpus")
}

struct Read {
    spans: Vec<Span>,
    errors: Vec<ReadError>,
    stats: ReadStats,
    framing: Option<Framing>,
}

fn read(path: &Path) -> Read {
    read_with(path, Leniency::Strict)
}

fn read_with(path: &Path, leniency: Leniency) -> Read {
    let mut reader = open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .with_leniency(leniency);
    let mut spans = Vec::new();
    let mut errors = Vec::new();
    for r in reader.by_ref() {
        match r {
            Ok(batch) => spans.extend(batch.spans),
            Err(e) => errors.push(e),
        }
    }
    Read {
        spans,
        errors,
        stats: reader.stats().clone(),
        framing: reader.framing(),
    }
}

fn traces(spans: &[Span]) -> usize {
    spans
        .iter()
        .map(|s| s.trace_id)
        .collect::<HashSet<TraceId>>()
        .len()
}

/// The VALID rows of MANIFEST.md's summary table: (file, spans, traces).
const VALID: &[(&str, usize, usize)] = &[
    ("public/elastic__ottl-playground/testdata__traces.json", 2, 1),
    ("public/highlight__highlight/backend__otel__samples__fs.json", 218, 2),
    ("public/highlight__highlight/backend__otel__samples__nextjs.json", 8, 1),
    ("public/highlight__highlight/backend__otel__samples__traces.json", 512, 28),
    ("public/jaegertracing__jaeger-ui/packages__jaeger-ui__src__utils__fixtures__otlp2jaeger-in-error.json", 1, 1),
    ("public/jaegertracing__jaeger-ui/packages__jaeger-ui__src__utils__fixtures__otlp2jaeger-multi-in-combined.json", 4, 1),
    ("public/jaegertracing__jaeger-ui/packages__jaeger-ui__src__utils__fixtures__otlp2jaeger-multi-in.json.txt.json", 4, 1),
    ("public/jaegertracing__jaeger/cmd__jaeger__internal__extension__jaegerquery__internal__fixture__otlp2jaeger-in.json", 2, 1),
    ("public/jaegertracing__jaeger/internal__storage__integration__fixtures__traces__example_trace.json", 5, 1),
    ("public/jaegertracing__jaeger/internal__storage__integration__fixtures__traces__link_attributes_trace.json", 1, 1),
    ("public/jaegertracing__jaeger/internal__storage__v2__memory__fixtures__otel_traces_01.json", 4, 2),
    ("public/kkimsungchul__Opentelemetry-lamp-test/traces.json", 10, 2),
    ("public/open-telemetry__opentelemetry-proto/examples__trace.json", 1, 1),
    ("public/open-telemetry__opentelemetry-rust/opentelemetry-otlp__tests__integration_test__expected__failed_traces.json", 2, 1),
    ("public/open-telemetry__opentelemetry-rust/opentelemetry-otlp__tests__integration_test__expected__serialized_traces.json", 2, 1),
    ("public/open-telemetry__opentelemetry-rust/opentelemetry-otlp__tests__integration_test__expected__traces.json", 2, 1),
    ("public/ymtdzzz__otel-tui/test_data.json", 547, 141),
    ("public/ymtdzzz__otel-tui/test_data.traces-only.jsonl", 547, 141),
    ("generated/traces-small.jsonl", 7471, 1005),
];

/// The INVALID rows, with the kind of the first error the reader reports.
const INVALID: &[(&str, ErrorKind)] = &[
    ("public/fluent__fluent-bit/tests__integration__scenarios__in_opentelemetry__tests__data_files__test_traces_002.in.json", ErrorKind::Schema),
    ("public/fluent__fluent-bit/tests__internal__data__opentelemetry__traces.json", ErrorKind::NotTraces),
    ("public/grafana__tempo/cmd__tempo-vulture__testdata__trace.json", ErrorKind::InvalidId),
    ("public/grafana__tempo/modules__generator__processor__servicegraphs__testdata__trace-with-expired-edges.json", ErrorKind::InvalidId),
    ("public/grafana__tempo/modules__generator__processor__servicegraphs__testdata__trace-with-failed-requests.json", ErrorKind::InvalidId),
    ("public/grafana__tempo/modules__generator__processor__servicegraphs__testdata__trace-with-queue-database.json", ErrorKind::InvalidId),
    ("public/grafana__tempo/modules__generator__processor__servicegraphs__testdata__trace-with-virtual-nodes.json", ErrorKind::InvalidId),
    ("public/grafana__tempo/pkg__tempopb__trace.json", ErrorKind::NotTraces),
    ("public/jaegertracing__jaeger-ui/packages__jaeger-ui__src__api__v3____fixtures____getTrace-response.json", ErrorKind::NotTraces),
    ("public/jaegertracing__jaeger-ui/packages__jaeger-ui__src__api__v3__v3-trace-local-2.21.0.json", ErrorKind::NotTraces),
    ("public/open-telemetry__opentelemetry-collector-contrib/connector__countconnector__testdata__traces_to_metrics__traces_1.json", ErrorKind::InvalidId),
    ("public/wexmaster__Docker-Collector/traces.json", ErrorKind::EnumName),
];

/// What lenient reading makes of an INVALID file.
enum Lenient {
    /// It decodes to (spans, traces) of the manifest, with this notice.
    Replays(usize, usize, &'static str),
    /// It is refused: the first error's kind and a phrase of its message.
    Refused(ErrorKind, &'static str),
}

const PROTO3: &str = "read as proto3 JSON, not OTLP/JSON (base64 ids, enum names)";

/// The INVALID rows, read leniently, with the manifest's counts.
const INVALID_LENIENT: &[(&str, Lenient)] = &[
    ("public/fluent__fluent-bit/tests__integration__scenarios__in_opentelemetry__tests__data_files__test_traces_002.in.json",
        Lenient::Replays(2, 1, "read as OTLP/JSON with proto field names (snake_case keys)")),
    ("public/fluent__fluent-bit/tests__internal__data__opentelemetry__traces.json",
        Lenient::Refused(ErrorKind::NotTraces, "it looks like a table of test cases")),
    ("public/grafana__tempo/cmd__tempo-vulture__testdata__trace.json",
        Lenient::Replays(6, 1, "read as proto3 JSON, not OTLP/JSON (base64 ids)")),
    ("public/grafana__tempo/modules__generator__processor__servicegraphs__testdata__trace-with-expired-edges.json",
        Lenient::Replays(5, 1, PROTO3)),
    ("public/grafana__tempo/modules__generator__processor__servicegraphs__testdata__trace-with-failed-requests.json",
        Lenient::Replays(15, 1, PROTO3)),
    ("public/grafana__tempo/modules__generator__processor__servicegraphs__testdata__trace-with-queue-database.json",
        Lenient::Replays(19, 1, PROTO3)),
    ("public/grafana__tempo/modules__generator__processor__servicegraphs__testdata__trace-with-virtual-nodes.json",
        Lenient::Replays(3, 2, PROTO3)),
    ("public/grafana__tempo/pkg__tempopb__trace.json",
        Lenient::Replays(1, 1, "read as Grafana Tempo's trace (\"batches\" instead of \"resourceSpans\")")),
    ("public/jaegertracing__jaeger-ui/packages__jaeger-ui__src__api__v3____fixtures____getTrace-response.json",
        Lenient::Replays(40, 1, "read as a Jaeger api/v3 response ({\"result\": ...})")),
    ("public/jaegertracing__jaeger-ui/packages__jaeger-ui__src__api__v3__v3-trace-local-2.21.0.json",
        Lenient::Replays(3, 1, "read as a Jaeger api/v3 response ({\"result\": ...})")),
    ("public/open-telemetry__opentelemetry-collector-contrib/connector__countconnector__testdata__traces_to_metrics__traces_1.json",
        Lenient::Refused(ErrorKind::InvalidId, "is empty")),
    ("public/wexmaster__Docker-Collector/traces.json",
        Lenient::Replays(2, 1, "read as proto3 JSON, not OTLP/JSON (enum names)")),
];

#[test]
fn the_table_lists_every_public_file() {
    let Some(dir) = corpus() else { return };
    let listed: Vec<&str> = VALID
        .iter()
        .map(|v| v.0)
        .chain(INVALID.iter().map(|v| v.0))
        .collect();
    assert_eq!(
        listed.iter().filter(|p| p.starts_with("public/")).count(),
        30
    );
    for file in &listed {
        assert!(dir.join(file).is_file(), "{file} is missing");
    }
    // Files added to the corpus later are not failures, but say so.
    for owner in std::fs::read_dir(dir.join("public")).expect("public/") {
        for file in std::fs::read_dir(owner.expect("entry").path()).expect("dir") {
            let path = file.expect("entry").path();
            let rel = path
                .strip_prefix(&dir)
                .expect("inside")
                .to_string_lossy()
                .into_owned();
            if !listed.contains(&rel.as_str()) {
                eprintln!("note: {rel} is not in this test's table");
            }
        }
    }
}

#[test]
fn valid_files_decode_with_the_manifest_counts() {
    let Some(dir) = corpus() else { return };
    for &(file, spans, trace_count) in VALID {
        let path = dir.join(file);
        let r = read(&path);
        assert!(r.errors.is_empty(), "{file}: {:?}", r.errors);
        assert_eq!(r.spans.len(), spans, "{file}: spans");
        assert_eq!(traces(&r.spans), trace_count, "{file}: traces");
        let size = std::fs::metadata(&path).expect("size").len();
        assert_eq!(r.stats.bytes, size, "{file}: bytes read");
        let charged: u64 = r.spans.iter().map(|s| s.encoded_len).sum();
        assert_eq!(charged, r.stats.span_bytes, "{file}: encoded_len");
        // Every byte is either charged to a span or in a skipped non-trace line.
        if r.stats.lines_skipped_non_trace == 0 {
            assert!(
                size - charged <= 2,
                "{file}: {size} bytes, {charged} charged"
            );
        }
    }
}

#[test]
fn invalid_files_yield_errors() {
    let Some(dir) = corpus() else { return };
    for &(file, kind) in INVALID {
        let r = read(&dir.join(file));
        assert!(!r.errors.is_empty(), "{file}: no error");
        assert!(r.spans.is_empty(), "{file}: partial spans");
        let e = &r.errors[0];
        assert_eq!(e.kind, kind, "{file}: {e}");
        assert!(
            e.line >= 1
                && e.to_string()
                    .contains(file.rsplit('/').next().unwrap_or(file)),
            "{e}"
        );
        assert_eq!(r.stats.errors, r.errors.len() as u64);
    }
}

#[test]
fn invalid_files_read_leniently_replay_with_the_manifest_counts_or_say_why_not() {
    let Some(dir) = corpus() else { return };
    assert_eq!(INVALID_LENIENT.len(), INVALID.len());
    for (file, expected) in INVALID_LENIENT {
        assert!(INVALID.iter().any(|i| i.0 == *file), "{file}");
        let r = read_with(&dir.join(file), Leniency::Lenient);
        match expected {
            Lenient::Replays(spans, trace_count, notice) => {
                assert!(r.errors.is_empty(), "{file}: {:?}", r.errors);
                assert_eq!(r.spans.len(), *spans, "{file}: spans");
                assert_eq!(traces(&r.spans), *trace_count, "{file}: traces");
                assert_eq!(
                    r.stats.deviations.notice().as_deref(),
                    Some(*notice),
                    "{file}"
                );
                let charged: u64 = r.spans.iter().map(|s| s.encoded_len).sum();
                assert_eq!(charged, r.stats.span_bytes, "{file}: encoded_len");
            }
            Lenient::Refused(kind, needle) => {
                assert!(r.spans.is_empty(), "{file}: partial spans");
                let e = r
                    .errors
                    .first()
                    .unwrap_or_else(|| panic!("{file}: no error"));
                assert_eq!(e.kind, *kind, "{file}: {e}");
                assert!(e.message.contains(needle), "{file}: {e}");
            }
        }
    }
}

#[test]
fn valid_files_read_leniently_are_the_same() {
    let Some(dir) = corpus() else { return };
    for &(file, spans, trace_count) in VALID {
        let r = read_with(&dir.join(file), Leniency::Lenient);
        assert!(r.errors.is_empty(), "{file}: {:?}", r.errors);
        assert_eq!(
            (r.spans.len(), traces(&r.spans)),
            (spans, trace_count),
            "{file}"
        );
        assert_eq!(r.stats.deviations, Deviations::NONE, "{file}");
    }
}

#[test]
fn a_rejected_document_reports_every_problem() {
    let Some(dir) = corpus() else { return };
    // Strictly, the Tempo file has base64 ids in every span and enum names:
    // all of them are reported at once, not one per run.
    let r = read(&dir.join(
        "public/grafana__tempo/modules__generator__processor__servicegraphs__testdata__trace-with-virtual-nodes.json",
    ));
    let e = &r.errors[0];
    let kinds: HashSet<ErrorKind> = std::iter::once(e).chain(&e.more).map(|p| p.kind).collect();
    assert!(
        kinds.contains(&ErrorKind::InvalidId) && kinds.contains(&ErrorKind::EnumName),
        "{e:?}"
    );
    // 3 traceIds, 3 spanIds, 1 parentSpanId, 3 kinds, 1 status code.
    assert_eq!(1 + e.more.len(), 11, "{e:#?}");
    assert_eq!(r.stats.errors, 1, "one document, one error");
}

#[test]
fn generated_capture() {
    let Some(dir) = corpus() else { return };
    let path = dir.join("generated/traces-small.jsonl");
    let r = read(&path);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    assert_eq!(r.framing, Some(Framing::JsonLines));
    assert_eq!(r.stats.documents, 30);
    assert_eq!(r.spans.len(), 7471);
    assert_eq!(traces(&r.spans), 1005);
    let size = std::fs::metadata(&path).expect("size").len();
    assert_eq!(r.spans.iter().map(|s| s.encoded_len).sum::<u64>(), size);
    let services: HashSet<&str> = r.spans.iter().filter_map(Span::service_name).collect();
    assert_eq!(services.len(), 4);
    // intValue as JSON numbers, e.g. http status codes.
    assert!(r.spans.iter().any(|s| s
        .attribute("http.response.status_code")
        .and_then(cpl_otlp::AnyValue::as_i64)
        .is_some()));
}

#[test]
fn mixed_signal_capture_skips_logs_and_metrics() {
    let Some(dir) = corpus() else { return };
    let r = read(&dir.join("public/ymtdzzz__otel-tui/test_data.json"));
    assert!(r.errors.is_empty());
    assert_eq!(r.stats.documents, 41);
    assert_eq!(r.stats.lines_skipped_non_trace, 56);
}

#[test]
fn jsonl_and_single_document_give_the_same_spans() {
    let Some(dir) = corpus() else { return };
    let base = "public/jaegertracing__jaeger-ui/packages__jaeger-ui__src__utils__fixtures__";
    let lines = read(&dir.join(format!("{base}otlp2jaeger-multi-in.json.txt.json")));
    let one = read(&dir.join(format!("{base}otlp2jaeger-multi-in-combined.json")));
    assert_eq!(lines.framing, Some(Framing::JsonLines));
    assert_eq!(one.framing, Some(Framing::Document));
    let strip = |spans: &[Span]| -> Vec<Span> {
        spans
            .iter()
            .cloned()
            .map(|mut s| {
                s.encoded_len = 0;
                s
            })
            .collect()
    };
    assert_eq!(strip(&lines.spans), strip(&one.spans));
}

#[test]
fn awkward_but_valid_details() {
    let Some(dir) = corpus() else { return };
    // Uppercase hex ids.
    let r = read(&dir.join("public/open-telemetry__opentelemetry-proto/examples__trace.json"));
    assert_eq!(
        r.spans[0].trace_id.to_string(),
        "5b8efff798038103d269b633813fc60c"
    );
    // Root written with parentSpanId "".
    let r = read(&dir.join(
        "public/open-telemetry__opentelemetry-rust/opentelemetry-otlp__tests__integration_test__expected__traces.json",
    ));
    assert_eq!(
        r.spans
            .iter()
            .filter(|s| s.parent_span_id.is_none())
            .count(),
        1
    );
    // Self-parent is kept as written.
    let r = read(&dir.join("public/elastic__ottl-playground/testdata__traces.json"));
    assert!(r.spans.iter().any(|s| s.parent_span_id == Some(s.span_id)));
    // No service.name.
    let r = read(&dir.join("public/highlight__highlight/backend__otel__samples__traces.json"));
    assert!(r.spans.iter().all(|s| s.service_name().is_none()));
}
