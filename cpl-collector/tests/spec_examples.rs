//! The collector-config examples of spec/diagnostics.md and spec/targets/otel-collector.md
//! run as tests:
//!
//! - ```` ```yaml collector-ok ````: a collector config that reads with no diagnostic;
//! - ```` ```yaml collector-err E406 ````: one whose diagnostics include E406;
//! - ```` ```yaml collector-decide ````: a processor block followed by `traces:`, each
//!   trace with its `spans`, the expected `keep` and, when kept, the `recorded` policy
//!   (spec/targets/otel-collector.md §3);
//! - ```` ```yaml collector-lint L401 ````: a config that reads cleanly and whose lints
//!   include L401; ```` ```yaml collector-lint-clean L401 ````: one whose lints do not
//!   (§7).
//!
//! Every failure is reported with its file and line.

use std::fmt::Write as _;
use std::sync::Arc;

use cpl_collector::config;
use cpl_collector::decide::{self, Keep};
use cpl_otlp::{
    AnyValue, Event, KeyValue, Resource, Span, SpanDetail, SpanId, SpanKind, StatusCode, TraceId,
};
use cpl_syntax::yaml::{self, Node, NodeValue, Resolved};

const FILES: [&str; 2] = ["spec/diagnostics.md", "spec/targets/otel-collector.md"];

struct Block {
    location: String,
    info: String,
    text: String,
}

fn blocks() -> Vec<Block> {
    let root = cpl_tests::workspace_root();
    let mut out = Vec::new();
    for file in FILES {
        let text = std::fs::read_to_string(root.join(file)).expect("spec file");
        let mut open: Option<(usize, String, String)> = None;
        for (index, line) in text.lines().enumerate() {
            if let Some((start, info, body)) = open.as_mut() {
                if line.trim_start().starts_with("```") {
                    if info.contains("collector-") {
                        out.push(Block {
                            location: format!("{file}:{start}"),
                            info: info.clone(),
                            text: std::mem::take(body),
                        });
                    }
                    open = None;
                } else {
                    body.push_str(line);
                    body.push('\n');
                }
            } else if let Some(info) = line.trim_start().strip_prefix("```") {
                open = Some((index + 1, info.trim().to_owned(), String::new()));
            }
        }
    }
    out
}

#[test]
fn spec_collector_examples() {
    let mut failures = String::new();
    let mut counts = [0; 3];
    for block in blocks() {
        let words: Vec<&str> = block.info.split_whitespace().collect();
        let result = match words.as_slice() {
            ["yaml", "collector-ok"] => {
                counts[0] += 1;
                check_ok(&block.text)
            }
            ["yaml", "collector-err", code] => {
                counts[1] += 1;
                check_err(&block.text, code)
            }
            ["yaml", "collector-decide"] => {
                counts[2] += 1;
                check_decide(&block.text)
            }
            ["yaml", "collector-lint", code] => check_lint(&block.text, code, true),
            ["yaml", "collector-lint-clean", code] => check_lint(&block.text, code, false),
            _ => Err(format!("malformed info string `{}`", block.info)),
        };
        if let Err(message) = result {
            let _ = writeln!(failures, "  {}: {message}", block.location);
        }
    }
    assert!(
        failures.is_empty(),
        "spec collector examples failed:\n{failures}"
    );
    assert!(counts.iter().all(|&n| n > 0), "{counts:?}");
    // Every code of the collector-config range has an example.
    let text = blocks()
        .iter()
        .map(|b| b.info.clone())
        .collect::<Vec<_>>()
        .join(" ");
    for code in cpl_syntax::REGISTRY
        .iter()
        .filter(|c| ("E400".."E450").contains(&c.code))
    {
        assert!(
            text.contains(code.code),
            "{} has no collector-err example",
            code.code
        );
    }
}

fn describe(file: &config::ConfigFile) -> String {
    file.diagnostics
        .iter()
        .map(|d| format!("{} ({})", d.code.code, d.message))
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_ok(text: &str) -> Result<(), String> {
    if config::recognise(text).is_none() {
        return Err("not recognised as a collector config".into());
    }
    let file = config::read(text);
    if !file.diagnostics.is_empty() || file.processors.is_empty() {
        return Err(format!("expected a clean read, got [{}]", describe(&file)));
    }
    Ok(())
}

fn check_err(text: &str, code: &str) -> Result<(), String> {
    let file = config::read(text);
    if file.diagnostics.iter().any(|d| d.code.code == code) {
        Ok(())
    } else {
        Err(format!("expected {code}, got [{}]", describe(&file)))
    }
}

fn check_lint(text: &str, code: &str, expected: bool) -> Result<(), String> {
    let file = config::read(text);
    if !file.diagnostics.is_empty() {
        return Err(format!(
            "the config does not read cleanly: [{}]",
            describe(&file)
        ));
    }
    let found = cpl_collector::lint::lint_file(text, &file, None);
    let has = found.iter().any(|d| d.code.code == code);
    if has == expected {
        Ok(())
    } else {
        let codes: Vec<String> = found
            .iter()
            .map(|d| format!("{} ({})", d.code.code, d.message))
            .collect();
        Err(format!(
            "expected {}{code}, got [{}]",
            if expected { "" } else { "no " },
            codes.join(", ")
        ))
    }
}

fn check_decide(text: &str) -> Result<(), String> {
    let (config_text, traces_text) = text.split_once("\ntraces:\n").ok_or("no `traces:` line")?;
    let file = config::read(config_text);
    if !file.diagnostics.is_empty() {
        return Err(format!(
            "the config does not read cleanly: [{}]",
            describe(&file)
        ));
    }
    let processor = file.processors.first().ok_or("no processor")?;
    let traces_source = format!("traces:\n{traces_text}");
    let (root, errors) = yaml::parse(&traces_source);
    if !errors.is_empty() {
        return Err(format!("traces: {errors:?}"));
    }
    let root = root.ok_or("no traces")?;
    let traces = get(&root, "traces").ok_or("no traces")?;
    let NodeValue::Sequence(traces) = &traces.value else {
        return Err("`traces` is not a list".into());
    };
    let mut failures = Vec::new();
    for (index, trace) in traces.iter().enumerate() {
        let spans = spans(trace)?;
        let refs: Vec<&Span> = spans.iter().collect();
        let decision = decide::decide(processor, &refs);
        let keep = match text_of(get(trace, "keep").ok_or("a trace without `keep`")?) {
            "yes" | "true" => Keep::Yes,
            "no" | "false" => Keep::No,
            "unknown" => Keep::Unknown,
            other => return Err(format!("`keep: {other}`")),
        };
        let recorded = get(trace, "recorded").map(text_of);
        let found = decision
            .recorded
            .map(|at| processor.policies[at].name.as_str());
        if decision.keep != keep || (recorded.is_some() && recorded != found) {
            failures.push(format!(
                "trace {index}: expected keep {keep:?} recorded {recorded:?}, got {:?} recorded {found:?} ({:?})",
                decision.keep, decision.outcomes
            ));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    let NodeValue::Mapping(entries) = &node.value else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| matches!(&k.value, NodeValue::Scalar(s) if s.text == key))
        .map(|(_, v)| v)
}

fn text_of(node: &Node) -> &str {
    match &node.value {
        NodeValue::Scalar(s) => &s.text,
        _ => "",
    }
}

fn number(node: Option<&Node>) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    node.and_then(|n| match &n.value {
        NodeValue::Scalar(s) => match s.resolve() {
            Resolved::Int(v) => Some(v as f64),
            Resolved::Float(v) => Some(v),
            _ => None,
        },
        _ => None,
    })
    .unwrap_or(0.0)
}

fn attributes(node: Option<&Node>) -> Vec<KeyValue> {
    let Some(NodeValue::Mapping(entries)) = node.map(|n| &n.value) else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|(k, v)| KeyValue {
            key: text_of(k).to_owned(),
            value: match &v.value {
                NodeValue::Scalar(s) => match s.resolve() {
                    Resolved::Int(i) => AnyValue::Int(i),
                    Resolved::Float(f) => AnyValue::Double(f),
                    Resolved::Bool(b) => AnyValue::Bool(b),
                    Resolved::Null => AnyValue::Empty,
                    Resolved::String(t) => AnyValue::String(t.to_owned()),
                },
                _ => AnyValue::Empty,
            },
        })
        .collect()
}

fn spans(trace: &Node) -> Result<Vec<Span>, String> {
    let id = get(trace, "trace_id").map_or("0123456789abcdef0123456789abcdef", text_of);
    let trace_id = TraceId::from_hex(id).ok_or("bad trace_id")?;
    let Some(NodeValue::Sequence(items)) = get(trace, "spans").map(|n| &n.value) else {
        return Err("a trace without `spans`".into());
    };
    let mut out = Vec::new();
    for item in items {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let nanos = |ms: f64| 1_700_000_000_000_000_000u64 + (ms * 1e6).round() as u64;
        let status = match get(item, "status").map(text_of) {
            Some("ERROR") => StatusCode::Error,
            Some("OK") => StatusCode::Ok,
            _ => StatusCode::Unset,
        };
        let events = match get(item, "events").map(|n| &n.value) {
            Some(NodeValue::Sequence(events)) => events
                .iter()
                .map(|e| Event {
                    name: text_of(e).to_owned(),
                    ..Event::default()
                })
                .collect(),
            _ => Vec::new(),
        };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let detail = SpanDetail {
            trace_state: get(item, "trace_state").map_or("", text_of).to_owned(),
            flags: number(get(item, "flags")) as u32,
            events,
            ..SpanDetail::default()
        };
        out.push(Span {
            trace_id,
            span_id: SpanId([1; 8]),
            parent_span_id: None,
            name: "op".into(),
            kind: SpanKind::Server,
            start_time_unix_nano: nanos(number(get(item, "start_ms"))),
            end_time_unix_nano: nanos(number(get(item, "end_ms"))),
            status,
            attributes: attributes(get(item, "attributes")),
            resource: Arc::new(Resource {
                attributes: attributes(get(item, "resource")),
            }),
            encoded_len: 1,
            detail: Some(Box::new(detail)),
        });
    }
    Ok(out)
}
