//! `cpl import` against the collector's own decisions: for every conformance case
//! whose policies all import exactly, each trace is decided by `tail_sampling`
//! (`cpl_collector::decide`) and by the imported CPL policy (trace-level evaluation), and
//! the kept sets must be equal. Cases that do not import exactly are listed with why.
//! Plus snapshots of a few imports and of the shared corpus's collector configs.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;

use cpl_collector::decide::{decide, Keep};
use cpl_collector::import::{import, Imported};
use cpl_eval::{Evaluator, RuleSet};
use cpl_otlp::{decode_document_with_fidelity, Fidelity, Leniency, Span};
use cpl_tests::conformance::{load_cases, Case, Expected};

fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

fn imported(case: &Case) -> (cpl_collector::policy::Processor, Imported) {
    let file = cpl_collector::config::read(&case.tail_sampling);
    assert!(!file.has_errors(), "{}: {:?}", case.name, file.diagnostics);
    let processor = file.processors.first().expect("one processor").clone();
    let result = import(&processor);
    (processor, result)
}

/// The traces of the case, each with its spans in arrival order.
fn traces(case: &Case) -> Vec<([u8; 16], Vec<Span>)> {
    let mut spans = Vec::new();
    for request in &case.requests {
        decode_document_with_fidelity(
            request.as_bytes(),
            &mut spans,
            Leniency::Strict,
            Fidelity::Full,
        )
        .unwrap_or_else(|error| panic!("{}: {error:?}", case.name));
    }
    let mut traces: Vec<([u8; 16], Vec<Span>)> = Vec::new();
    for span in spans {
        let id = span.trace_id.0;
        match traces.iter_mut().find(|(t, _)| *t == id) {
            Some((_, list)) => list.push(span),
            None => traces.push((id, vec![span])),
        }
    }
    traces
}

fn hex(id: [u8; 16]) -> String {
    id.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

#[test]
fn exact_imports_keep_what_the_collector_keeps() {
    let cases = load_cases().expect("conformance/cases loads");
    let mut checked = Vec::new();
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    for case in &cases {
        if matches!(case.expected, Expected::StartupError(_)) {
            skipped.push(format!("{}: the collector refuses the config", case.name));
            continue;
        }
        let (processor, result) = imported(case);
        let approximate_only = !result.diagnostics.is_empty()
            && result
                .diagnostics
                .iter()
                .all(|d| d.severity != cpl_syntax::Severity::Error);
        if !result.is_exact() && !approximate_only {
            let codes: Vec<&str> = result.diagnostics.iter().map(|d| d.code.code).collect();
            skipped.push(format!("{}: not exact ({})", case.name, codes.join(", ")));
            continue;
        }
        let policy = result.policy.expect("an exact import builds");
        // The printed text loads without any diagnostic (no W114 for undotted keys).
        let loaded = cpl_syntax::load_policy(&result.text);
        assert!(
            loaded.policy.is_some() && loaded.diagnostics.is_empty(),
            "{}: the import does not load clean:\n{}\n{:?}",
            case.name,
            result.text,
            loaded.diagnostics
        );
        let evaluator = Evaluator::compile(&policy).expect("the import compiles");
        let mut by_collector = BTreeSet::new();
        let mut by_cpl = BTreeSet::new();
        for (id, spans) in traces(case) {
            let refs: Vec<&Span> = spans.iter().collect();
            match decide(&processor, &refs).keep {
                Keep::Yes => {
                    by_collector.insert(hex(id));
                }
                Keep::No => {}
                Keep::Unknown => panic!(
                    "{}: an exact import of a not-reproducible policy",
                    case.name
                ),
            }
            let mut matched = RuleSet::new();
            evaluator.add_trace_matches(&spans, &mut matched);
            if evaluator.decide_trace(id, &matched, None).keep {
                by_cpl.insert(hex(id));
            }
        }
        if approximate_only {
            // Approximate imports (W530) are compared too, and reported, not asserted.
            let codes: Vec<&str> = result.diagnostics.iter().map(|d| d.code.code).collect();
            skipped.push(format!(
                "{}: approximate ({}); agrees on these traces: {}",
                case.name,
                codes.join(", "),
                by_collector == by_cpl
            ));
        } else if by_collector == by_cpl {
            checked.push(format!("{} ({} kept)", case.name, by_collector.len()));
        } else {
            failures.push(format!(
                "{}: collector keeps {:?}, the import keeps {:?}\n{}",
                case.name, by_collector, by_cpl, result.text
            ));
        }
    }
    note(&format!(
        "import differential: {} cases checked: {}\nskipped:\n  {}",
        checked.len(),
        checked.join(", "),
        skipped.join("\n  ")
    ));
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked.len() >= 10, "only {} cases checked", checked.len());
}

fn report(result: &Imported) -> String {
    let mut out = result.text.clone();
    for d in &result.diagnostics {
        let _ = writeln!(out, "# {} {}: {}", d.code.code, d.span.start, d.message);
    }
    out
}

#[test]
fn snapshots_of_case_imports() {
    let cases = load_cases().expect("conformance/cases loads");
    for name in [
        "and",
        "drop",
        "invert-match",
        "numeric-attribute",
        "string-attribute",
        "rate-limiting-huge-limit",
    ] {
        let case = cases.iter().find(|c| c.name == name).expect("case exists");
        let (_, result) = imported(case);
        insta::assert_snapshot!(format!("import_{name}"), report(&result));
    }
}

#[test]
fn snapshots_of_shared_collector_configs() {
    let Some(dir) = cpl_tests::shared_path("corpus/collector") else {
        note("SKIPPED: shared corpus/collector is absent");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("lists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    for (index, file) in files.iter().enumerate() {
        let source = std::fs::read_to_string(file).expect("reads");
        let config = cpl_collector::config::read(&source);
        let mut out = String::new();
        for processor in &config.processors {
            let _ = writeln!(out, "## {}", processor.id);
            out.push_str(&report(&import(processor)));
        }
        insta::assert_snapshot!(format!("import_shared_{index}"), out);
    }
}
