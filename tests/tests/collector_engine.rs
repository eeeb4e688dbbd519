//! CPL's own tail_sampling engine (`cpl_collector::decide`, what `cpl replay
//! collector.yaml` runs) against every conformance case in `conformance/cases/`:
//! the same kept traces as the real collector, trace for trace, and the same deciding
//! policy where the case names it. `expected.txt` is the real collector's answer
//! (checked by `collector_conformance.rs` wherever the collector binary is built), so
//! this test needs no collector and always runs.

use std::collections::{BTreeMap, HashMap};

use cpl_collector::config;
use cpl_collector::decide::{decide, Keep};
use cpl_otlp::{decode_document_with_fidelity, Fidelity, Leniency, Span};
use cpl_tests::conformance::{differences, load_cases, Case, Expected};

/// What the engine says about a case.
enum Answer {
    /// These traces are kept, with the policy `recordpolicy` would name.
    Kept(BTreeMap<String, Option<String>>),
    /// A decision depends on the wall clock or arrival order (`rate_limiting`,
    /// `bytes_limiting`, `composite`): the engine says so rather than guess.
    NotReproducible(String),
}

/// Whether the case's processor has a policy whose decisions depend on time.
fn time_dependent(case: &Case) -> bool {
    config::read(&case.tail_sampling)
        .processors
        .iter()
        .flat_map(|processor| &processor.policies)
        .any(|policy| {
            matches!(
                policy.type_name(),
                "rate_limiting" | "bytes_limiting" | "composite"
            )
        })
}

/// The engine's answer; `Err` when the config does not read.
fn engine_kept(case: &Case) -> Result<Answer, String> {
    let file = config::read(&case.tail_sampling);
    if file.has_errors() {
        let messages: Vec<String> = file.diagnostics.iter().map(|d| d.message.clone()).collect();
        return Err(format!("config does not read: {}", messages.join("; ")));
    }
    let [processor] = file.processors.as_slice() else {
        return Err(format!(
            "{} processors, expected one",
            file.processors.len()
        ));
    };
    // Arrival order: requests in order, spans in document order, as the harness posts.
    let mut spans: Vec<Span> = Vec::new();
    for request in &case.requests {
        decode_document_with_fidelity(
            request.as_bytes(),
            &mut spans,
            Leniency::Strict,
            Fidelity::Full,
        )
        .map_err(|error| format!("a request does not decode: {error}"))?;
    }
    let mut traces: Vec<[u8; 16]> = Vec::new();
    let mut by_trace: HashMap<[u8; 16], Vec<&Span>> = HashMap::new();
    for span in &spans {
        by_trace
            .entry(span.trace_id.0)
            .or_insert_with(|| {
                traces.push(span.trace_id.0);
                Vec::new()
            })
            .push(span);
    }
    let mut kept = BTreeMap::new();
    for trace_id in traces {
        let decision = decide(processor, &by_trace[&trace_id]);
        let id = cpl_otlp::TraceId(trace_id).to_string();
        match decision.keep {
            Keep::Yes => {
                let policy = decision
                    .recorded
                    .map(|index| processor.policies[index].name.clone());
                kept.insert(id, policy);
            }
            Keep::No => {}
            Keep::Unknown => return Ok(Answer::NotReproducible(id)),
        }
    }
    Ok(Answer::Kept(kept))
}

#[test]
fn the_engine_agrees_with_the_real_collector_on_every_case() {
    let cases = load_cases().expect("conformance/cases loads");
    let mut failures = Vec::new();
    let (mut checked, mut startup, mut traces_kept) = (0, 0, 0);
    let mut not_reproducible = Vec::new();
    let mut gate_refusals = Vec::new();
    for case in &cases {
        match &case.expected {
            Expected::Kept(expected) => match engine_kept(case) {
                Ok(Answer::NotReproducible(id)) if time_dependent(case) => {
                    not_reproducible.push(case.name.as_str());
                    let _ = id;
                }
                Ok(Answer::NotReproducible(id)) => failures.push(format!(
                    "{}: trace {id} not reproducible without a time-dependent policy",
                    case.name
                )),
                Ok(Answer::Kept(mut kept)) => {
                    if !case.expected.names_policies() {
                        for policy in kept.values_mut() {
                            *policy = None;
                        }
                    }
                    let lines = differences(expected, &kept);
                    if lines.is_empty() {
                        checked += 1;
                        traces_kept += kept.len();
                    } else {
                        failures.push(format!("{}:\n{}", case.name, lines.join("\n")));
                    }
                }
                Err(error) => failures.push(format!("{}: {error}", case.name)),
            },
            // The collector refuses to start: CPL must refuse the config too.
            Expected::StartupError(text) => {
                if config::read(&case.tail_sampling).has_errors() {
                    startup += 1;
                } else if text.contains("feature gate") {
                    // A command-line flag of the collector, not part of the config.
                    gate_refusals.push(case.name.as_str());
                } else {
                    failures.push(format!(
                        "{}: the collector refuses to start (`{text}`), CPL reads the config clean",
                        case.name
                    ));
                }
            }
        }
    }
    eprintln!(
        "engine vs collector: {checked} cases agree ({traces_kept} kept traces), {startup} startup refusals agree, {} differ",
        failures.len()
    );
    eprintln!(
        "not compared: {} reported not reproducible by design (time-dependent policies): {}; {} refused by a feature-gate flag, not the config: {}",
        not_reproducible.len(),
        not_reproducible.join(", "),
        gate_refusals.len(),
        gate_refusals.join(", ")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked >= 20, "only {checked} cases checked");
}
