//! The example service's capture, replayed, predicts the processor's decisions.

#[path = "../examples/fake_service.rs"]
mod fake_service;
mod support;

use std::collections::{BTreeMap, BTreeSet};

use cpl_replay::{Replay, ReplayOptions};

#[test]
fn replay_of_the_example_capture_predicts_what_the_processor_exported() {
    let (capture, exported) = fake_service::run();
    let reader = cpl_otlp::from_reader(std::io::Cursor::new(capture.into_bytes()), "capture")
        .expect("the capture reads");
    let mut traces: BTreeMap<String, Vec<cpl_otlp::Span>> = BTreeMap::new();
    for batch in reader {
        for span in batch.expect("a valid document").spans {
            traces
                .entry(support::hex(span.trace_id.0))
                .or_default()
                .push(span);
        }
    }
    assert_eq!(traces.len(), 120);
    assert_eq!(traces.values().map(Vec::len).sum::<usize>(), 360);

    let evaluator = support::evaluator(fake_service::POLICY);
    let predicted: BTreeSet<String> = traces
        .iter()
        .filter(|(_, spans)| {
            let mut replay = Replay::new(&evaluator, ReplayOptions::default());
            replay.add(Replay::summarize(&evaluator, spans));
            replay.finish().traces.kept == 1
        })
        .map(|(id, _)| id.clone())
        .collect();
    assert!(
        !predicted.is_empty() && predicted.len() < traces.len(),
        "{predicted:?}"
    );
    assert_eq!(predicted, exported);
}
