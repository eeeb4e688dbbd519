//! The conformance suite: every case in `conformance/cases/` through the real
//! OpenTelemetry Collector (contrib v0.161.0, built by `conformance/build-collector.sh`),
//! asserting that the kept traces (and, where the case names them, the deciding
//! policies) equal the case's `expected.txt`, trace for trace. Also the collector configs
//! of the shared corpus over the shared capture.
//!
//! Without the collector binary the tests say `SKIPPED: ...` on standard error and pass,
//! unless `CPL_REQUIRE_COLLECTOR` is set (CI sets it where `go` is installed).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use cpl_tests::collector::{self, Run, RECORD_POLICY_GATE};
use cpl_tests::conformance::{differences, load_cases, Case, Expected};

/// Collectors run at once; each is a separate process on its own port.
const WORKERS: usize = 3;

fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Runs one case; `Err` is the report of what differed.
fn check_case(binary: &Path, case: &Case) -> Result<usize, String> {
    let gates: Vec<&str> = case.feature_gates.iter().map(String::as_str).collect();
    let outcome = collector::run(
        binary,
        &Run {
            tail_sampling: &case.tail_sampling,
            requests: &case.requests,
            feature_gates: &gates,
        },
    );
    match (&case.expected, outcome) {
        (Expected::Kept(expected), Ok(kept)) => {
            let lines = differences(expected, &kept.traces);
            if lines.is_empty() {
                Ok(kept.traces.len())
            } else {
                Err(format!(
                    "{}: the collector disagrees with expected.txt:\n{}\ncollector log:\n{}",
                    case.name,
                    lines.join("\n"),
                    kept.log
                ))
            }
        }
        (Expected::Kept(_), Err(error)) => Err(format!("{}: {error}", case.name)),
        (Expected::StartupError(text), Err(collector::RunError::Startup { log, .. })) => {
            if log.contains(text.as_str()) {
                Ok(0)
            } else {
                Err(format!(
                    "{}: the collector refused to start, but its log lacks `{text}`:\n{log}",
                    case.name
                ))
            }
        }
        (Expected::StartupError(text), Err(error)) => Err(format!(
            "{}: expected a startup error with `{text}`, got: {error}",
            case.name
        )),
        (Expected::StartupError(text), Ok(kept)) => Err(format!(
            "{}: expected a startup error with `{text}`, but it ran and kept {} traces",
            case.name,
            kept.traces.len()
        )),
    }
}

#[test]
fn every_case_is_well_formed() {
    let cases = load_cases().expect("conformance/cases loads");
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    for case in &cases {
        assert!(!case.requests.is_empty(), "{}: no trace file", case.name);
    }
}

#[test]
fn every_case_matches_the_reference_collector() {
    let cases = load_cases().expect("conformance/cases loads");
    let Some(binary) = collector::collector_binary() else {
        return;
    };
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(case) = cases.get(index) else { break };
                let result = check_case(&binary, case);
                results
                    .lock()
                    .expect("no worker panicked")
                    .push((case.name.clone(), result));
            });
        }
    });
    let mut results = results.into_inner().expect("no worker panicked");
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let failures: Vec<&String> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().err())
        .collect();
    let kept: usize = results.iter().filter_map(|(_, r)| r.as_ref().ok()).sum();
    let traces: usize = cases.iter().map(|case| case.requests.len()).sum();
    note(&format!(
        "conformance: {} cases, {} requests, {kept} traces kept, {} cases differ from the collector",
        cases.len(),
        traces,
        failures.len()
    ));
    assert!(
        failures.is_empty(),
        "{}",
        failures
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// Trace ids in the requests, each with whether one of its spans has the string span
/// attribute `key` equal to `value`.
fn traces_with_span_attribute(
    requests: &[String],
    key: &str,
    value: &str,
) -> BTreeMap<String, bool> {
    let mut traces = BTreeMap::new();
    for request in requests {
        let request: serde_json::Value = serde_json::from_str(request).expect("valid JSON");
        for resource in request["resourceSpans"].as_array().into_iter().flatten() {
            for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                for span in scope["spans"].as_array().into_iter().flatten() {
                    let id = span["traceId"]
                        .as_str()
                        .expect("traceId")
                        .to_ascii_lowercase();
                    let has = span["attributes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|a| a["key"] == key && a["value"]["stringValue"] == value);
                    *traces.entry(id).or_insert(false) |= has;
                }
            }
        }
    }
    traces
}

/// The tail_sampling configs of the shared corpus over the shared capture. Expectations
/// follow from the reference semantics: the contrib test config lists `always_sample`
/// first, so every trace is kept and `test-policy-1` is the first policy to vote for it;
/// the error-mode config keeps the traces with a span whose `test_attr` is `val`.
#[test]
fn shared_collector_configs_over_the_small_capture() {
    let Some(capture) = cpl_tests::shared_path("corpus/generated/traces-small.jsonl") else {
        return;
    };
    let Some(configs) = cpl_tests::shared_path("corpus/collector") else {
        return;
    };
    let Some(binary) = collector::collector_binary() else {
        return;
    };
    let requests = collector::requests_from_file(&capture).expect("capture reads");
    let mut files: Vec<_> = std::fs::read_dir(&configs)
        .expect("corpus/collector lists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no collector config in {}",
        configs.display()
    );
    let mut failures = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        let expected: BTreeMap<String, Option<String>> =
            if name.ends_with("_tail_sampling_config.yaml") {
                traces_with_span_attribute(&requests, "", "")
                    .into_keys()
                    .map(|id| (id, Some("test-policy-1".to_string())))
                    .collect()
            } else if name.ends_with("_tail_sampling_config_errormode.yaml") {
                traces_with_span_attribute(&requests, "test_attr", "val")
                    .into_iter()
                    .filter(|(_, has)| *has)
                    .map(|(id, _)| (id, Some("test-policy-ottl".to_string())))
                    .collect()
            } else {
                failures.push(format!(
                    "{name}: no expectation for this config; add one here"
                ));
                continue;
            };
        let block = std::fs::read_to_string(file).expect("config reads");
        let run = Run {
            tail_sampling: &block,
            requests: &requests,
            feature_gates: &[RECORD_POLICY_GATE],
        };
        match collector::run(&binary, &run) {
            Ok(kept) => {
                let lines = differences(&expected, &kept.traces);
                note(&format!(
                    "conformance: {name}: {} of {} traces kept, {} differ",
                    kept.traces.len(),
                    traces_with_span_attribute(&requests, "", "").len(),
                    lines.len()
                ));
                if !lines.is_empty() {
                    failures.push(format!("{name}:\n{}", lines.join("\n")));
                }
            }
            Err(error) => failures.push(format!("{name}: {error}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
