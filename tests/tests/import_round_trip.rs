//! The round trip of issue 9: a `tail_sampling` config is imported to CPL (`cpl
//! import`), the CPL printed and loaded back, compiled to `tail_sampling` (`cpl compile
//! --target otel-collector`), and run in the reference collector (contrib v0.161.0); the
//! traces it keeps must be exactly those `cpl replay` of the ORIGINAL config keeps (the
//! collector decider, `cpl_collector::decide`), trace for trace.
//!
//! Configs: the shared corpus's collector configs and the hand-written conformance
//! cases (`conformance/cases/*/tail_sampling.yaml`). Traces: `corpus/traces/shop.jsonl`,
//! the shared `traces-small.jsonl`, and each case's own `traces.jsonl`.
//!
//! Only exact imports are compared. The rest are listed with the reason: an import
//! with an error (E530 wall-clock policies, E531 OTTL without an exact CPL form) or an
//! approximation (W53x). An exact import that `compile` refuses (E503: the trace-level
//! constructs `any`, `trace_duration`, `span_count`, `fnv_sample`, `trace_state`,
//! `sampled`, which compile does not support yet) is counted as PENDING with the
//! reason; as soon as compile accepts it, it is run and compared with no change here.
//!
//! Without the collector binary the test says `SKIPPED: ...` and passes, unless
//! `CPL_REQUIRE_COLLECTOR` is set; without `../shared` the shared inputs are skipped
//! just as loudly.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use cpl_collector::compile::{compile, to_yaml, CompileOptions, Output};
use cpl_collector::decide::{decide, Keep};
use cpl_collector::import::import;
use cpl_collector::policy::Processor;
use cpl_otlp::{decode_document_with_fidelity, Fidelity, Leniency, Span};
use cpl_syntax::Severity;
use cpl_tests::collector::{self, Run};
use cpl_tests::conformance::differences;

/// Collectors run at once; each is a separate process on its own port.
const WORKERS: usize = 4;

fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// A collector config to round-trip.
struct Config {
    name: String,
    yaml: String,
    /// The case's own traces (conformance cases only).
    own_traces: Option<Traces>,
}

/// A trace file: its name and its requests (one OTLP/JSON document each).
struct Traces {
    name: String,
    requests: Vec<String>,
}

fn traces_of(path: &Path) -> Traces {
    Traces {
        name: path
            .strip_prefix(cpl_tests::workspace_root())
            .unwrap_or(path)
            .display()
            .to_string(),
        requests: collector::requests_from_file(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    }
}

fn configs(root: &Path) -> Vec<Config> {
    let mut configs = Vec::new();
    if let Some(dir) = cpl_tests::shared_path("corpus/collector") {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("corpus/collector lists")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
            .collect();
        files.sort();
        for file in files {
            configs.push(Config {
                name: format!(
                    "shared/corpus/collector/{}",
                    file.file_name().expect("a name").to_string_lossy()
                ),
                yaml: std::fs::read_to_string(&file).expect("the config reads"),
                own_traces: None,
            });
        }
    }
    let cases = root.join("conformance/cases");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&cases)
        .expect("conformance/cases lists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.join("tail_sampling.yaml").exists())
        .collect();
    dirs.sort();
    for dir in dirs {
        let own = dir.join("traces.jsonl");
        configs.push(Config {
            name: format!(
                "conformance/cases/{}",
                dir.file_name().expect("a name").to_string_lossy()
            ),
            yaml: std::fs::read_to_string(dir.join("tail_sampling.yaml")).expect("reads"),
            own_traces: own.exists().then(|| traces_of(&own)),
        });
    }
    configs
}

fn hex(id: [u8; 16]) -> String {
    id.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// What `cpl replay` of the original config keeps: every trace decided by the collector
/// decider on its spans in arrival order. `Err` names a trace replay cannot decide.
fn replay_kept(
    processor: &Processor,
    requests: &[String],
) -> Result<(usize, BTreeMap<String, Option<String>>), String> {
    let mut spans = Vec::new();
    for request in requests {
        decode_document_with_fidelity(
            request.as_bytes(),
            &mut spans,
            Leniency::Strict,
            Fidelity::Full,
        )
        .map_err(|e| format!("{e:?}"))?;
    }
    let mut order: Vec<[u8; 16]> = Vec::new();
    let mut traces: BTreeMap<[u8; 16], Vec<&Span>> = BTreeMap::new();
    for span in &spans {
        let list = traces.entry(span.trace_id.0).or_insert_with(|| {
            order.push(span.trace_id.0);
            Vec::new()
        });
        list.push(span);
    }
    let mut kept = BTreeMap::new();
    for id in &order {
        match decide(processor, &traces[id]).keep {
            Keep::Yes => {
                kept.insert(hex(*id), None);
            }
            Keep::No => {}
            Keep::Unknown => return Err(format!("replay cannot decide trace {}", hex(*id))),
        }
    }
    Ok((order.len(), kept))
}

/// Where a config stands in the round trip.
enum Status {
    /// Compiled: run it.
    Run { processor: Processor, block: String },
    /// Not compared, with why (an inexact import).
    Skipped(String),
    /// Exact import that compile does not support yet.
    Pending(String),
}

fn round_trip(config: &Config) -> Result<Status, String> {
    let file = cpl_collector::config::read(&config.yaml);
    if file.has_errors() {
        return Ok(Status::Skipped("the config does not load".to_owned()));
    }
    let Some(processor) = file.processors.first().cloned() else {
        return Err("no processor".to_owned());
    };
    let imported = import(&processor);
    if !imported.diagnostics.is_empty() {
        let codes: Vec<String> = imported
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code.code, d.message))
            .collect();
        let kind = if imported
            .diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
        {
            "not imported exactly"
        } else {
            "imported approximately"
        };
        return Ok(Status::Skipped(format!("{kind}: {}", codes.join("; "))));
    }
    // The printed CPL, loaded back: what `cpl import` writes is what gets compiled.
    let loaded = cpl_syntax::load_policy(&imported.text);
    if let Some(d) = loaded.diagnostics.first() {
        return Err(format!(
            "the imported CPL does not load clean: {} {}\n{}",
            d.code.code, d.message, imported.text
        ));
    }
    let policy = loaded.policy.ok_or("the imported CPL does not load")?;
    match compile(&policy, &CompileOptions::default()) {
        Ok(result) => {
            let block = to_yaml(&result, Output::Processor, &[]).map_err(|e| format!("{e:?}"))?;
            Ok(Status::Run { processor, block })
        }
        Err(refusals) => Ok(Status::Pending(format!(
            "compile refuses the import: {}",
            refusals
                .iter()
                .map(|d| format!("{} {}", d.code.code, d.message))
                .collect::<Vec<_>>()
                .join("; ")
        ))),
    }
}

struct Job<'a> {
    config: &'a str,
    processor: &'a Processor,
    block: &'a str,
    traces: &'a Traces,
}

#[derive(Default)]
struct Totals {
    runs: usize,
    traces: usize,
    kept: usize,
    differing: usize,
}

#[test]
fn imported_configs_compiled_keep_what_replay_of_the_original_keeps() {
    let root = cpl_tests::workspace_root();
    let configs = configs(&root);
    let mut shared_traces = vec![traces_of(&root.join("corpus/traces/shop.jsonl"))];
    if let Some(small) = cpl_tests::shared_path("corpus/generated/traces-small.jsonl") {
        shared_traces.push(traces_of(&small));
    }
    let Some(binary) = collector::collector_binary() else {
        return;
    };
    let mut runnable = Vec::new();
    let mut skipped = Vec::new();
    let mut pending = Vec::new();
    let mut failures = Vec::new();
    for config in &configs {
        match round_trip(config) {
            Ok(Status::Run { processor, block }) => runnable.push((config, processor, block)),
            Ok(Status::Skipped(why)) => skipped.push(format!("{}: {why}", config.name)),
            Ok(Status::Pending(why)) => pending.push(format!("{}: {why}", config.name)),
            Err(error) => failures.push(format!("{}: {error}", config.name)),
        }
    }
    let jobs: Vec<Job<'_>> = runnable
        .iter()
        .flat_map(|(config, processor, block)| {
            shared_traces
                .iter()
                .chain(config.own_traces.as_ref())
                .map(move |traces| Job {
                    config: &config.name,
                    processor,
                    block,
                    traces,
                })
        })
        .collect();
    let next = AtomicUsize::new(0);
    let totals = Mutex::new(Totals::default());
    let run_failures = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(job) = jobs.get(index) else { break };
                let label = format!("{} over {}", job.config, job.traces.name);
                let fail = |message: String| {
                    run_failures
                        .lock()
                        .expect("no worker panicked")
                        .push(message);
                };
                let (count, expected) = match replay_kept(job.processor, &job.traces.requests) {
                    Ok(result) => result,
                    Err(error) => {
                        fail(format!("{label}: {error}"));
                        continue;
                    }
                };
                let run = Run {
                    tail_sampling: job.block,
                    requests: &job.traces.requests,
                    feature_gates: &[],
                };
                let outcome = collector::run(&binary, &run);
                let mut totals = totals.lock().expect("no worker panicked");
                totals.runs += 1;
                totals.traces += count;
                totals.kept += expected.len();
                match outcome {
                    Ok(kept) => {
                        let lines = differences(&expected, &kept.traces);
                        if !lines.is_empty() {
                            totals.differing += lines.len();
                            fail(format!(
                                "{label}: the collector running the imported-then-compiled \
                                 config disagrees with replay of the original on {} traces \
                                 (missing = replay keeps, the collector drops):\n{}\n\
                                 compiled block:\n{}",
                                lines.len(),
                                lines.join("\n"),
                                job.block
                            ));
                        }
                    }
                    Err(error) => fail(format!("{label}: {error}\ncompiled block:\n{}", job.block)),
                }
            });
        }
    });
    failures.extend(run_failures.into_inner().expect("no worker panicked"));
    let totals = totals.into_inner().expect("no worker panicked");
    note(&format!(
        "import round trip: {} configs; {} round-tripped through the collector ({} runs, {} \
         traces, {} kept by replay of the original, {} differing); {} PENDING (exact import, \
         compile refuses); {} skipped (import not exact)",
        configs.len(),
        runnable.len(),
        totals.runs,
        totals.traces,
        totals.kept,
        totals.differing,
        pending.len(),
        skipped.len()
    ));
    for (config, _, _) in &runnable {
        note(&format!("  checked  {}", config.name));
    }
    for line in &pending {
        note(&format!("  PENDING  {line}"));
    }
    for line in &skipped {
        note(&format!("  skipped  {line}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(
        !runnable.is_empty(),
        "no config round-trips through the collector"
    );
}
