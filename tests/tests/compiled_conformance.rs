//! `cpl compile --target otel-collector` against the real collector: every corpus
//! policy, every `yaml cpl-compile` example of spec/targets/otel-collector.md §4 and the
//! policies of `conformance/compiled/` are compiled (exactly, no approximation), and
//! their `tail_sampling` block must keep, in the reference collector (contrib v0.161.0),
//! exactly the traces CPL's evaluator keeps, trace for trace, over
//! `corpus/traces/shop.jsonl`, `conformance/compiled/traces.jsonl` (written by
//! `conformance/compiled/generate.py`) and the shared `traces-small.jsonl` capture.
//!
//! A policy that compiles only with `--allow-approximate`, and then only with W504
//! (`trace_duration`, spec/targets/otel-collector.md §4.4), is run too, and compared on
//! the traces whose spans all have a duration (both times set, the end not before the
//! start, below 2^63), where the approximation is exact; the traces left out are counted.
//! `conformance/compiled/trace-level.jsonl` (written by `generate_trace_level.py`) has
//! the edge cases of the trace-level parts.
//!
//! Without the collector binary the test says `SKIPPED: ...` on standard error and
//! passes, unless `CPL_REQUIRE_COLLECTOR` is set; without `../shared` the shared
//! capture is skipped just as loudly.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use cpl_collector::compile::{compile, to_yaml, CompileOptions, Output};
use cpl_eval::{Evaluator, RuleSet, TraceTenant};
use cpl_tests::collector::{self, Run};
use cpl_tests::conformance::differences;

/// Collectors run at once; each is a separate process on its own port.
const WORKERS: usize = 4;

fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// A policy to compile: where it comes from, and its CPL YAML.
struct Source {
    name: String,
    yaml: String,
}

/// A trace file: its name and its requests (one OTLP/JSON document each).
struct Traces {
    name: String,
    requests: Vec<String>,
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

/// The `yaml cpl-compile` blocks of §4 of the otel-collector target chapter.
fn spec_examples(root: &Path) -> Vec<Source> {
    let path = root.join("spec/targets/otel-collector.md");
    let text = std::fs::read_to_string(&path).expect("the target chapter reads");
    let mut in_section = false;
    let mut block: Option<String> = None;
    let mut sources = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.starts_with("## ") {
            in_section = line.starts_with("## 4.");
        }
        if let Some(body) = block.as_mut() {
            if line.trim_end() == "```" {
                sources.push(Source {
                    name: format!("otel-collector.md:{}", number + 1),
                    yaml: block.take().expect("in a block"),
                });
            } else {
                body.push_str(line);
                body.push('\n');
            }
        } else if in_section && line.trim_end() == "```yaml cpl-compile" {
            block = Some(String::new());
        }
    }
    sources
}

fn sources(root: &Path) -> Vec<Source> {
    let mut sources = Vec::new();
    for dir in ["corpus/policies", "conformance/compiled"] {
        for file in yaml_files(&root.join(dir)) {
            sources.push(Source {
                name: format!(
                    "{dir}/{}",
                    file.file_name().expect("a name").to_string_lossy()
                ),
                yaml: std::fs::read_to_string(&file).expect("the policy reads"),
            });
        }
    }
    let examples = spec_examples(root);
    assert!(!examples.is_empty(), "no `yaml cpl-compile` block in §4");
    sources.extend(examples);
    sources
}

fn trace_files(root: &Path) -> Vec<Traces> {
    let mut files = vec![
        root.join("corpus/traces/shop.jsonl"),
        root.join("conformance/compiled/traces.jsonl"),
        root.join("conformance/compiled/trace-level.jsonl"),
    ];
    if let Some(shared) = cpl_tests::shared_path("corpus/generated/traces-small.jsonl") {
        files.push(shared);
    }
    files
        .into_iter()
        .map(|path| Traces {
            name: path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned(),
            requests: collector::requests_from_file(&path).expect("the traces read"),
        })
        .collect()
}

fn hex(id: &[u8; 16]) -> String {
    id.iter().fold(String::new(), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// Whether every span has a duration the collector's `latency` reads as CPL's
/// `trace_duration` does: `0 < start <= end < 2^63`.
fn well_formed(spans: &[cpl_otlp::Span]) -> bool {
    spans.iter().all(|s| {
        s.start_time_unix_nano > 0
            && s.end_time_unix_nano >= s.start_time_unix_nano
            && s.end_time_unix_nano < 1 << 63
    })
}

/// The trace ids CPL keeps: spans grouped by trace, rules matched over each trace, its
/// tenant found from its spans, and the decision's `keep`; and the ids of the traces
/// that are not [`well_formed`].
fn cpl_kept(
    evaluator: &Evaluator,
    requests: &[String],
) -> (usize, BTreeMap<String, Option<String>>, Vec<String>) {
    let mut traces: BTreeMap<[u8; 16], Vec<cpl_otlp::Span>> = BTreeMap::new();
    for request in requests {
        // At full fidelity: `trace_state[…]` and `sampled` read the span's detail, as
        // `cpl replay` reads it for a policy that uses them.
        let mut spans = Vec::new();
        cpl_otlp::decode_document_with_fidelity(
            request.as_bytes(),
            &mut spans,
            cpl_otlp::Leniency::Strict,
            cpl_otlp::Fidelity::Full,
        )
        .expect("the request decodes");
        for span in spans {
            traces.entry(span.trace_id.0).or_default().push(span);
        }
    }
    let mut kept = BTreeMap::new();
    let mut malformed = Vec::new();
    for (id, spans) in &traces {
        if !well_formed(spans) {
            malformed.push(hex(id));
        }
        let mut matched = RuleSet::new();
        evaluator.add_trace_matches(spans, &mut matched);
        let mut tenant = TraceTenant::new();
        for span in spans {
            if let Some(t) = evaluator.tenant_of(span) {
                tenant.observe(span.parent_span_id.is_none(), t);
            }
        }
        if evaluator.decide_trace(*id, &matched, tenant.get()).keep {
            kept.insert(hex(id), None);
        }
    }
    (traces.len(), kept, malformed)
}

struct Job<'a> {
    source: &'a str,
    block: &'a str,
    evaluator: &'a Evaluator,
    traces: &'a Traces,
    /// Compiled with W504: compare only on well-formed traces.
    approximate: bool,
}

#[derive(Default)]
struct Totals {
    runs: usize,
    traces: usize,
    kept: usize,
    differing: usize,
    left_out: usize,
}

#[test]
fn compiled_policies_keep_what_cpl_keeps_in_the_reference_collector() {
    let root = cpl_tests::workspace_root();
    let sources = sources(&root);
    let traces = trace_files(&root);
    let Some(binary) = collector::collector_binary() else {
        return;
    };
    let mut compiled = Vec::new();
    for source in &sources {
        let loaded = cpl_syntax::load_policy(&source.yaml);
        let policy = loaded
            .policy
            .unwrap_or_else(|| panic!("{}: the policy does not load", source.name));
        let evaluator = Evaluator::compile(&policy)
            .unwrap_or_else(|e| panic!("{}: the evaluator refuses it: {e:?}", source.name));
        let exact = compile(&policy, &CompileOptions::default());
        let only_w504 =
            |refusals: &[cpl_syntax::Diagnostic]| refusals.iter().all(|d| d.code.code == "E504");
        let result = match exact {
            Ok(result) => Ok((result, false)),
            Err(refusals) if only_w504(&refusals) => {
                let approximate = compile(&policy, &CompileOptions::new(true))
                    .unwrap_or_else(|e| panic!("{}: refused approximately: {e:?}", source.name));
                assert!(
                    approximate.warnings.iter().all(|w| w.code.code == "W504"),
                    "{}",
                    source.name
                );
                Ok((approximate, true))
            }
            Err(refusals) => Err(refusals),
        };
        match result {
            Ok((result, approximate)) => {
                // Exactly what `cpl compile` writes (the harness drops its `---`).
                let block = to_yaml(&result, Output::Processor, &[]).expect("emits");
                compiled.push((source.name.as_str(), block, evaluator, approximate));
            }
            Err(refusals) => note(&format!(
                "compiled conformance: {} does not compile exactly ({}), not run",
                source.name,
                refusals
                    .iter()
                    .map(|d| d.code.code)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    assert!(
        compiled.len() >= 8,
        "only {} policies compile",
        compiled.len()
    );
    let jobs: Vec<Job<'_>> = compiled
        .iter()
        .flat_map(|(source, block, evaluator, approximate)| {
            traces.iter().map(move |traces| Job {
                source,
                block,
                evaluator,
                traces,
                approximate: *approximate,
            })
        })
        .collect();
    let next = AtomicUsize::new(0);
    let totals = Mutex::new(Totals::default());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(index) else { break };
                let (count, mut expected, malformed) =
                    cpl_kept(job.evaluator, &job.traces.requests);
                let run = Run {
                    tail_sampling: job.block,
                    requests: &job.traces.requests,
                    feature_gates: &[],
                };
                let label = format!("{} over {}", job.source, job.traces.name);
                let outcome = collector::run(&binary, &run);
                let mut totals = totals.lock().expect("no worker panicked");
                totals.runs += 1;
                totals.traces += count;
                match outcome {
                    Ok(mut kept) => {
                        if job.approximate {
                            totals.left_out += malformed.len();
                            for id in &malformed {
                                expected.remove(id);
                                kept.traces.remove(id);
                            }
                        }
                        totals.kept += expected.len();
                        let lines = differences(&expected, &kept.traces);
                        if !lines.is_empty() {
                            totals.differing += lines.len();
                            failures.lock().expect("no worker panicked").push(format!(
                                "{label}: the collector disagrees with CPL on {} traces \
                                 (missing = CPL keeps, the collector drops):\n{}\ncompiled block:\n{}",
                                lines.len(),
                                lines.join("\n"),
                                job.block
                            ));
                        }
                    }
                    Err(error) => failures
                        .lock()
                        .expect("no worker panicked")
                        .push(format!("{label}: {error}\ncompiled block:\n{}", job.block)),
                }
            });
        }
    });
    let totals = totals.into_inner().expect("no worker panicked");
    let failures = failures.into_inner().expect("no worker panicked");
    note(&format!(
        "compiled conformance: {} policies ({} with W504) x {} trace files = {} runs, {} traces, \
         {} kept by CPL, {} differ from the collector, {} left out of W504 runs (a span \
         without a duration)",
        compiled.len(),
        compiled.iter().filter(|c| c.3).count(),
        traces.len(),
        totals.runs,
        totals.traces,
        totals.kept,
        totals.differing,
        totals.left_out
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
