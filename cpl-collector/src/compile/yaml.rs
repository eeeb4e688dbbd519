//! The compiled policies as collector YAML.
//!
//! The document is built as a `saphyr` tree and written by its emitter, which quotes
//! every string that needs it (OTTL conditions are full of `"`, `[` and `:`). The
//! text is then read back with saphyr's loader and compared with the tree, so a
//! quoting mistake can never reach a collector: it is an error here instead.

use std::borrow::Cow;

use saphyr::{LoadableYamlNode, Mapping, Scalar, Yaml, YamlEmitter};

use super::cond::float;
use super::{
    Compiled, LeafPolicy, OttlPolicy, PolicyKind, SubPolicy, TailSamplingPolicy, TraceLeaf,
};

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Output {
    /// A `tail_sampling:` processor block, to paste under `processors:`.
    Processor,
    /// A complete collector config: an OTLP receiver, the processor, a placeholder
    /// file exporter and the traces pipeline.
    Pipeline,
}

fn s(text: &str) -> Yaml<'static> {
    Yaml::Value(Scalar::String(Cow::Owned(text.to_owned())))
}

fn map(entries: Vec<(&str, Yaml<'static>)>) -> Yaml<'static> {
    let mut mapping = Mapping::new();
    for (key, value) in entries {
        mapping.insert(s(key), value);
    }
    Yaml::Mapping(mapping)
}

fn seq(items: impl IntoIterator<Item = Yaml<'static>>) -> Yaml<'static> {
    Yaml::Sequence(items.into_iter().collect())
}

/// The `ottl_condition` block: `error_mode: ignore` is always written, because an
/// omitted `error_mode` is neither `propagate` nor `ignore` at v0.161 (reference §1.3).
/// The conditions CPL emits never fail at run time anyway: every converter that can
/// fail (`ExtractPatterns`, `String`) sits behind a type guard.
fn ottl_block(span: &[String]) -> Yaml<'static> {
    map(vec![
        ("error_mode", s("ignore")),
        ("span", seq(span.iter().map(|c| s(c)))),
    ])
}

/// A number, as YAML reads it: an int, or a float the collector's YAML library reads
/// back as the same double (`float` writes the shortest round-trip form).
fn number(text: String) -> Yaml<'static> {
    Yaml::Value(Scalar::parse_from_cow(Cow::Owned(text)))
}

/// A leaf policy's `type` and settings block (none for `trace_flags`).
fn leaf_settings(leaf: &TraceLeaf) -> (&'static str, Option<Yaml<'static>>) {
    match leaf {
        TraceLeaf::SpanCount {
            min_spans,
            max_spans,
        } => {
            let mut entries = vec![("min_spans", number(min_spans.to_string()))];
            if *max_spans != 0 {
                entries.push(("max_spans", number(max_spans.to_string())));
            }
            ("span_count", Some(map(entries)))
        }
        TraceLeaf::Latency { threshold_ms } => (
            "latency",
            Some(map(vec![(
                "threshold_ms",
                number(threshold_ms.to_string()),
            )])),
        ),
        TraceLeaf::Probabilistic {
            sampling_percentage,
            hash_salt,
        } => (
            "probabilistic",
            Some(map(vec![
                ("hash_salt", s(hash_salt)),
                ("sampling_percentage", number(float(*sampling_percentage))),
            ])),
        ),
        TraceLeaf::TraceFlags => ("trace_flags", None),
    }
}

fn leaf_entries(name: &str, leaf: &TraceLeaf) -> Yaml<'static> {
    let (type_name, settings) = leaf_settings(leaf);
    let mut entries = vec![("name", s(name)), ("type", s(type_name))];
    if let Some(settings) = settings {
        entries.push((type_name, settings));
    }
    map(entries)
}

fn leaf_policy(policy: &LeafPolicy) -> Yaml<'static> {
    leaf_entries(&policy.name, &policy.leaf)
}

fn ottl_policy(policy: &OttlPolicy) -> Yaml<'static> {
    map(vec![
        ("name", s(&policy.name)),
        ("type", s("ottl_condition")),
        ("ottl_condition", ottl_block(&policy.span)),
    ])
}

fn sub_policy(sub: &SubPolicy) -> Yaml<'static> {
    match sub {
        SubPolicy::Ottl(policy) => ottl_policy(policy),
        SubPolicy::Not { name, inner } => map(vec![
            ("name", s(name)),
            ("type", s("not")),
            ("not", map(vec![("not_sub_policy", ottl_policy(inner))])),
        ]),
        SubPolicy::Trace(policy) => leaf_policy(policy),
        SubPolicy::NotTrace { name, inner } => map(vec![
            ("name", s(name)),
            ("type", s("not")),
            ("not", map(vec![("not_sub_policy", leaf_policy(inner))])),
        ]),
    }
}

fn policy(policy: &TailSamplingPolicy) -> Yaml<'static> {
    let name = ("name", s(&policy.name));
    match &policy.kind {
        PolicyKind::AlwaysSample => map(vec![name, ("type", s("always_sample"))]),
        PolicyKind::Ottl(span) => map(vec![
            name,
            ("type", s("ottl_condition")),
            ("ottl_condition", ottl_block(span)),
        ]),
        PolicyKind::Trace(leaf) => leaf_entries(&policy.name, leaf),
        PolicyKind::And(subs) => map(vec![
            name,
            ("type", s("and")),
            (
                "and",
                map(vec![("and_sub_policy", seq(subs.iter().map(sub_policy)))]),
            ),
        ]),
    }
}

/// The YAML of `compiled`, preceded by `header` lines written as `#` comments.
///
/// # Errors
///
/// Only if the emitted text does not read back as the document that was built
/// (a bug in quoting, never expected).
pub fn to_yaml(compiled: &Compiled, output: Output, header: &[String]) -> Result<String, String> {
    let processor = map(vec![(
        "policies",
        seq(compiled.policies.iter().map(policy)),
    )]);
    let document = match output {
        Output::Processor => map(vec![("tail_sampling", processor)]),
        Output::Pipeline => map(vec![
            (
                "receivers",
                map(vec![(
                    "otlp",
                    map(vec![(
                        "protocols",
                        map(vec![("grpc", map(vec![])), ("http", map(vec![]))]),
                    )]),
                )]),
            ),
            ("processors", map(vec![("tail_sampling", processor)])),
            (
                "exporters",
                map(vec![("file", map(vec![("path", s("./kept-traces.json"))]))]),
            ),
            (
                "service",
                map(vec![(
                    "pipelines",
                    map(vec![(
                        "traces",
                        map(vec![
                            ("receivers", seq([s("otlp")])),
                            ("processors", seq([s("tail_sampling")])),
                            ("exporters", seq([s("file")])),
                        ]),
                    )]),
                )]),
            ),
        ]),
    };
    let mut body = String::new();
    YamlEmitter::new(&mut body)
        .dump(&document)
        .map_err(|error| error.to_string())?;
    let read_back = Yaml::load_from_str(&body).map_err(|error| error.to_string())?;
    if read_back.as_slice() != [document] {
        return Err("the emitted YAML does not read back as the compiled policies".to_owned());
    }
    let mut out = String::new();
    for line in header {
        for part in line.lines() {
            out.push_str("# ");
            out.push_str(part);
            out.push('\n');
        }
    }
    // The emitter starts with a document marker; a header goes before it.
    out.push_str(&body);
    out.push('\n');
    Ok(out)
}
