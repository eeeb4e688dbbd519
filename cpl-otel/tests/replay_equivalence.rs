//! The processor decides as `cpl replay` does (spec/runtime.md, "Local traces"): the
//! shipped shop capture, recreated as SDK spans and ended in one process in the order
//! of their end times, keeps exactly the traces that replay keeps, for every corpus
//! policy.
//!
//! No corpus policy is skipped: the processor decides whole local traces, so the
//! trace-level parts of a condition (`any(…)`, `span_count`, `trace_duration`) read the
//! same spans replay reads. Here each trace is wholly local.
//!
//! The equivalence holds when no span outlives its local root (spec/runtime.md). In
//! the capture, 65 spans of 28 traces end after their root (asynchronous work), so
//! the first test ends each root with the last span of its trace; the second ends
//! every span at its recorded time and checks that the late spans follow their
//! trace's decision, which then differs from replay's only where a late span would
//! have changed it.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use cpl_otel::{Builder, CplProcessor};
use cpl_replay::{Replay, ReplayOptions};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor, SpanProcessor};

use support::{
    end_order, hex, read_capture, resource, resource_key, root_last_order, span_data,
    workspace_root,
};

#[test]
fn exported_traces_are_replays_kept_traces_for_every_corpus_policy() {
    for (path, traces, replay_kept, run) in runs(root_last_order) {
        assert_eq!(run.late_spans, 0, "{path}: no span outlives its root");
        let only_replay: Vec<_> = replay_kept.difference(&run.kept).collect();
        let only_processor: Vec<_> = run.kept.difference(&replay_kept).collect();
        assert!(
            only_replay.is_empty() && only_processor.is_empty(),
            "{path}: kept by replay only {only_replay:?}, by the processor only {only_processor:?}"
        );
        // Whole local traces: every span of a kept trace is exported.
        let kept_spans: usize = traces
            .iter()
            .filter(|(id, _)| replay_kept.contains(&hex(**id)))
            .map(|(_, trace)| trace.len())
            .sum();
        assert_eq!(run.exported_spans, kept_spans, "{path}");
        eprintln!(
            "{path}: {} of {} traces kept by both",
            replay_kept.len(),
            traces.len()
        );
    }
}

#[test]
fn spans_that_outlive_their_root_follow_its_decision() {
    for (path, traces, replay_kept, run) in runs(end_order) {
        assert_eq!(run.late_spans, 65, "{path}");
        for (id, trace) in &traces {
            let id = hex(*id);
            if replay_kept.contains(&id) != run.kept.contains(&id) {
                // Only a trace with late spans can be decided otherwise.
                let root_end = trace
                    .iter()
                    .filter(|s| s.parent_span_id.is_none())
                    .map(|s| s.end_time_unix_nano)
                    .max()
                    .unwrap_or(0);
                assert!(
                    trace.iter().any(|s| s.end_time_unix_nano > root_end),
                    "{path}: trace {id} decided otherwise without late spans"
                );
            }
        }
        // A kept trace's late spans are exported with it; a dropped one's are not.
        let exported_spans: usize = traces
            .iter()
            .filter(|(id, _)| run.kept.contains(&hex(**id)))
            .map(|(_, trace)| trace.len())
            .sum();
        assert_eq!(run.exported_spans, exported_spans, "{path}");
    }
}

struct Run {
    kept: BTreeSet<String>,
    exported_spans: usize,
    late_spans: u64,
}

type Traces = BTreeMap<[u8; 16], Vec<cpl_otlp::Span>>;

/// For each corpus policy: its path, the capture's traces, replay's kept trace ids,
/// and what the processor did with the spans ended in `order`.
fn runs(
    order: fn(&[cpl_otlp::Span]) -> Vec<&cpl_otlp::Span>,
) -> Vec<(String, Traces, BTreeSet<String>, Run)> {
    let mut out = Vec::new();
    let root = workspace_root();
    let spans = read_capture(&root.join("corpus/traces/shop.jsonl"));
    assert!(spans.len() > 9_000, "the capture has its spans");
    let mut traces: BTreeMap<[u8; 16], Vec<cpl_otlp::Span>> = BTreeMap::new();
    for span in &spans {
        traces
            .entry(span.trace_id.0)
            .or_default()
            .push(span.clone());
    }

    let mut policies: Vec<_> = std::fs::read_dir(root.join("corpus/policies"))
        .expect("corpus/policies")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    policies.sort();
    assert!(policies.len() >= 4, "{policies:?}");

    for path in policies {
        let yaml = std::fs::read_to_string(&path).expect("policy");
        let evaluator = support::evaluator(&yaml);

        // What replay keeps, trace for trace: one replay per trace.
        let replay_kept: BTreeSet<String> = traces
            .iter()
            .filter(|(_, trace)| {
                let mut replay = Replay::new(&evaluator, ReplayOptions::default());
                replay.add(Replay::summarize(&evaluator, trace));
                replay.finish().traces.kept == 1
            })
            .map(|(id, _)| hex(*id))
            .collect();

        // What the processor exports, the spans of all services ended in one process;
        // each service's spans go through a processor handle with that service's
        // resource.
        let exporter = InMemorySpanExporter::default();
        let processor = Builder::from_yaml(&yaml)
            .expect("the policy builds")
            .build(SimpleSpanProcessor::new(exporter.clone()))
            .expect("bounds");
        let mut handles: HashMap<String, CplProcessor<_>> = HashMap::new();
        for span in order(&spans) {
            let handle = handles
                .entry(resource_key(&span.resource))
                .or_insert_with(|| {
                    let mut handle = processor.share();
                    handle.set_resource(&resource(&span.resource));
                    handle
                });
            handle.on_end(span_data(span, false));
        }
        let stats = processor.stats();
        assert_eq!(
            stats.decided_on_root,
            traces.len() as u64,
            "{}",
            path.display()
        );
        assert_eq!(
            stats.decided_span_bound + stats.decided_age_bound + stats.decided_trace_bound,
            0
        );
        let finished = exporter.get_finished_spans().expect("exported");
        let kept: BTreeSet<String> = finished
            .iter()
            .map(|span| hex(span.span_context.trace_id().to_bytes()))
            .collect();
        assert!(
            !replay_kept.is_empty() && replay_kept.len() < traces.len(),
            "{}: a policy that keeps some traces and drops others",
            path.display()
        );
        assert_eq!(stats.traces_kept, kept.len() as u64);
        let run = Run {
            kept,
            exported_spans: finished.len(),
            late_spans: stats.late_spans,
        };
        out.push((path.display().to_string(), traces.clone(), replay_kept, run));
    }
    out
}
