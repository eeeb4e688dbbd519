//! `Fidelity::Full` on real producers' output: the real-SDK capture and the
//! collector file-exporter capture of the shared corpus (`../shared/corpus`,
//! figures from its MANIFEST.md), and the committed protobuf and JSON written by
//! the collector's file exporter (`tests/fixtures/otlp-proto`). Events, links,
//! scopes, flags and trace state must come through, and reading at `Full` must
//! give the same spans as `Policy` apart from the detail.
//!
//! When `../shared` is absent the shared-corpus tests say SKIPPED on stderr and
//! pass, unless `CPL_REQUIRE_SHARED` is set.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use cpl_otlp::{open, Fidelity, Span, SpanDetail};

fn read(path: &Path, fidelity: Fidelity) -> Vec<Span> {
    let reader = open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .with_fidelity(fidelity);
    let mut spans = Vec::new();
    for batch in reader {
        let batch = batch.unwrap_or_else(|e| panic!("{e}"));
        spans.extend(batch.spans);
    }
    spans
}

fn detail(span: &Span) -> &SpanDetail {
    span.detail
        .as_deref()
        .expect("every span has detail at Full")
}

/// What the manifest counts: (events, spans with events, links, spans with
/// links, spans with flags, spans with a trace state).
fn counts(spans: &[Span]) -> (usize, usize, usize, usize, usize, usize) {
    let d: Vec<&SpanDetail> = spans.iter().map(detail).collect();
    (
        d.iter().map(|d| d.events.len()).sum(),
        d.iter().filter(|d| !d.events.is_empty()).count(),
        d.iter().map(|d| d.links.len()).sum(),
        d.iter().filter(|d| !d.links.is_empty()).count(),
        d.iter().filter(|d| d.flags != 0).count(),
        d.iter().filter(|d| !d.trace_state.is_empty()).count(),
    )
}

/// Full and Policy give the same spans but for the detail.
fn assert_same_as_policy(full: &[Span], policy: &[Span]) {
    assert_eq!(full.len(), policy.len());
    for (f, p) in full.iter().zip(policy) {
        assert_eq!(p.detail, None);
        assert_eq!(
            &Span {
                detail: None,
                ..f.clone()
            },
            p
        );
    }
}

#[test]
fn real_sdk_capture_at_full() {
    let Some(dir) = cpl_tests::shared_path("corpus") else {
        return;
    };
    let path = dir.join("generated/traces-small.jsonl");
    let spans = read(&path, Fidelity::Full);
    assert_eq!(spans.len(), 7471);
    // MANIFEST.md: events 139 on 101 spans; links 218 on 5 spans; spans with
    // flags 4283; spans with traceState 239.
    assert_eq!(counts(&spans), (139, 101, 218, 5, 4283, 239));
    let event_names: HashSet<&str> = spans
        .iter()
        .flat_map(|s| &detail(s).events)
        .map(|e| e.name.as_str())
        .collect();
    for name in [
        "log",
        "auth.token_rejected",
        "exception",
        "payment.declined",
    ] {
        assert!(event_names.contains(name), "{name}: {event_names:?}");
    }
    // Every scope is named by the SDK's instrumentation; the W3C sampled flag
    // is set on the spans that carry flags.
    assert!(spans.iter().all(|s| !detail(s).scope.name.is_empty()));
    assert!(spans
        .iter()
        .filter(|s| detail(s).flags != 0)
        .all(|s| detail(s).flags & 1 == 1));
    // Links point at real spans (the settlement CONSUMER links to PRODUCER spans).
    let ids: HashSet<_> = spans.iter().map(|s| (s.trace_id, s.span_id)).collect();
    let links: Vec<_> = spans.iter().flat_map(|s| &detail(s).links).collect();
    assert!(links.iter().any(|l| ids.contains(&(l.trace_id, l.span_id))));
    assert_same_as_policy(&spans, &read(&path, Fidelity::Policy));
}

#[test]
fn collector_file_exporter_capture_at_full() {
    let Some(dir) = cpl_tests::shared_path("corpus") else {
        return;
    };
    // The OpenTelemetry Demo through the collector's file exporter, with the
    // logs and metrics lines among the traces.
    for file in [
        "public/ymtdzzz__otel-tui/test_data.json",
        "public/ymtdzzz__otel-tui/test_data.traces-only.jsonl",
    ] {
        let path = dir.join(file);
        let spans = read(&path, Fidelity::Full);
        assert_eq!(spans.len(), 547, "{file}");
        // MANIFEST.md: events 139 on 104 spans; links 53 on 53 spans; spans
        // with flags 41.
        assert_eq!(counts(&spans), (139, 104, 53, 53, 41, 0), "{file}");
        // The frontend-proxy (Envoy) spans have an empty scope; the others not.
        let proxy = |s: &&Span| s.service_name() == Some("frontend-proxy");
        assert_eq!(spans.iter().filter(proxy).count(), 150);
        assert!(spans
            .iter()
            .filter(proxy)
            .all(|s| detail(s).scope.name.is_empty()));
        assert!(spans
            .iter()
            .filter(|s| !proxy(s))
            .all(|s| !detail(s).scope.name.is_empty()));
        let urls: HashSet<&str> = spans
            .iter()
            .flat_map(|s| [&detail(s).resource_schema_url, &detail(s).scope_schema_url])
            .map(String::as_str)
            .collect();
        for version in ["1.21.0", "1.24.0", "1.26.0"] {
            let url = format!("https://opentelemetry.io/schemas/{version}");
            assert!(urls.contains(url.as_str()), "{file}: {urls:?}");
        }
        assert!(spans
            .iter()
            .flat_map(|s| &detail(s).events)
            .any(|e| e.name == "exception"
                && e.attributes.iter().any(|a| a.key == "exception.message")));
        assert!(spans.iter().any(|s| !detail(s).status_message.is_empty()));
        assert_same_as_policy(&spans, &read(&path, Fidelity::Policy));
    }
}

#[test]
fn collector_expected_output_at_full() {
    let Some(dir) = cpl_tests::shared_path("corpus") else {
        return;
    };
    // opentelemetry-rust's expected collector output: events and flags=1.
    let spans = read(
        &dir.join("public/open-telemetry__opentelemetry-rust/opentelemetry-otlp__tests__integration_test__expected__traces.json"),
        Fidelity::Full,
    );
    assert_eq!(counts(&spans), (2, 2, 0, 0, 2, 0));
    assert!(spans.iter().all(|s| detail(s).flags == 1));
    let names: HashSet<&str> = spans
        .iter()
        .flat_map(|s| &detail(s).events)
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, HashSet::from(["Sub span event", "Nice operation!"]));
}

fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/otlp-proto")
        .join(path)
}

/// The collector's file exporter wrote the same spans as protobuf and as JSON:
/// both read at Full to the same spans, detail included (events and scopes).
#[test]
fn file_exporter_protobuf_and_json_agree_at_full() {
    let strip = |mut spans: Vec<Span>| {
        spans.sort_by_key(|s| (s.trace_id, s.span_id));
        for s in &mut spans {
            s.encoded_len = 0;
        }
        spans
    };
    let json = strip(read(
        &fixture("fileexporter/shop20.json.zst"),
        Fidelity::Full,
    ));
    let proto = strip(read(&fixture("fileexporter/shop20.pb.zst"), Fidelity::Full));
    let native = strip(read(
        &fixture("fileexporter/shop20-native.pb.zst"),
        Fidelity::Full,
    ));
    assert!(!json.is_empty());
    assert_eq!(proto, json);
    assert_eq!(native, json);
    assert!(json.iter().any(|s| !detail(s).events.is_empty()));
    assert!(json.iter().all(|s| detail(s).scope.name == "shop"));
}

/// The real-SDK and file-exporter captures, JSON -> protobuf (as
/// `otlp_json_to_proto` converts them) -> the same spans, detail included.
#[test]
fn real_captures_keep_their_detail_through_protobuf() {
    let Some(dir) = cpl_tests::shared_path("corpus") else {
        return;
    };
    for file in [
        "generated/traces-small.jsonl",
        "public/ymtdzzz__otel-tui/test_data.traces-only.jsonl",
    ] {
        let text = std::fs::read(dir.join(file)).expect("read");
        let mut checked = 0;
        for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            let mut spans = Vec::new();
            cpl_otlp::decode_document_with_fidelity(
                line,
                &mut spans,
                cpl_otlp::Leniency::Strict,
                Fidelity::Full,
            )
            .unwrap_or_else(|e| panic!("{file}: {e}"));
            let message = cpl_otlp::encode_traces_data(&spans);
            let mut again = Vec::new();
            for batch in cpl_otlp::TraceReader::new(message.as_slice(), "message")
                .with_fidelity(Fidelity::Full)
            {
                again.extend(batch.unwrap_or_else(|e| panic!("{file}: {e}")).spans);
            }
            let strip = |spans: Vec<Span>| -> Vec<Span> {
                spans
                    .into_iter()
                    .map(|s| Span {
                        encoded_len: 0,
                        ..s
                    })
                    .collect()
            };
            checked += spans.len();
            assert_eq!(strip(again), strip(spans), "{file}");
        }
        assert!(checked > 500, "{file}: {checked}");
    }
}
