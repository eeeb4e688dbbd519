//! Declarative SDK config files (`file_format:`, activated by `OTEL_CONFIG_FILE`):
//! `tracer_provider.sampler` as a tree, and `propagator`.

use cpl_syntax::yaml::Node;

use crate::context::Vars;
use crate::envfile::interpolate;
use crate::model::{Ratio, Sampler};
use crate::setting::{Layer, Value, Var};
use crate::source::{entries, get, items, number, text, Read, SourceFile};

/// Whether a document is a declarative config file.
pub fn is_declarative(root: &Node) -> bool {
    // `file_format` alone is not enough: weaver's semantic-convention files have it too.
    get(root, "file_format").is_some()
        && [
            "tracer_provider",
            "propagator",
            "resource",
            "disabled",
            "meter_provider",
            "logger_provider",
            "attribute_limits",
        ]
        .iter()
        .any(|key| get(root, key).is_some())
}

/// Reads a declarative config file. An omitted sampler is the spec's default,
/// `ParentBased(AlwaysOn)`, recorded at `file_format`.
pub fn read(file: &SourceFile<'_>, root: &Node, read: &mut Read) {
    let sampler_node = get(root, "tracer_provider").and_then(|t| get(t, "sampler"));
    let (sampler, span, key) = match sampler_node {
        Some(node) => (
            sampler(node, 0),
            node.span.clone(),
            "tracer_provider.sampler",
        ),
        None => (
            default_sampler(),
            get(root, "file_format").map_or(0..0, |n| n.span.clone()),
            "tracer_provider.sampler (omitted: the default)",
        ),
    };
    read.settings.push(file.setting(
        span,
        Layer::DeclarativeFile,
        key,
        None,
        Value::Sampler { sampler },
        None,
    ));
    if let Some(propagator) = get(root, "propagator") {
        let mut names: Vec<String> = Vec::new();
        for item in get(propagator, "composite").map(items).unwrap_or_default() {
            match text(item) {
                Some(name) => names.push(name.to_owned()),
                None => names.extend(
                    entries(item)
                        .iter()
                        .filter_map(|(k, _)| text(k))
                        .map(str::to_owned),
                ),
            }
        }
        if let Some(list) = get(propagator, "composite_list").and_then(text) {
            names.extend(list.split(',').map(|s| s.trim().to_owned()));
        }
        read.settings.push(file.setting(
            propagator.span.clone(),
            Layer::DeclarativeFile,
            "propagator",
            Some(Var::OtelPropagators),
            Value::Text {
                text: names.join(","),
            },
            None,
        ));
    }
}

/// `ParentBased(AlwaysOn)`.
pub fn default_sampler() -> Sampler {
    Sampler::ParentBased {
        root: Box::new(Sampler::AlwaysOn),
        remote_parent_sampled: None,
        remote_parent_not_sampled: None,
        local_parent_sampled: None,
        local_parent_not_sampled: None,
    }
}

fn ratio(node: Option<&Node>) -> Ratio {
    let Some(node) = node else {
        return Ratio::Value(1.0);
    };
    if let Some(value) = number(node) {
        return Ratio::Value(value);
    }
    let raw = text(node).unwrap_or("");
    let resolved = interpolate(raw, &Vars::new());
    if let Some(variable) = resolved.unresolved.first() {
        return Ratio::Unresolved(variable.clone());
    }
    resolved
        .text
        .trim()
        .parse()
        .map_or_else(|_| Ratio::Invalid(raw.to_owned()), Ratio::Value)
}

/// A declarative sampler object (exactly one key) as a tree. Depth is bounded by the
/// YAML depth limit; `depth` guards the recursion all the same.
fn sampler(node: &Node, depth: usize) -> Sampler {
    let Some((key, value)) = entries(node).into_iter().next() else {
        return default_sampler();
    };
    let name = text(key).unwrap_or("");
    let child = |k: &str| {
        get(value, k)
            .filter(|_| depth < 16)
            .map(|n| Box::new(sampler(n, depth + 1)))
    };
    match name {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "trace_id_ratio_based" => Sampler::TraceIdRatio {
            ratio: ratio(get(value, "ratio")),
        },
        "probability/development" | "probability" => Sampler::Probability {
            ratio: ratio(get(value, "ratio")),
        },
        "parent_based" => Sampler::ParentBased {
            root: child("root").unwrap_or_else(|| Box::new(Sampler::AlwaysOn)),
            remote_parent_sampled: child("remote_parent_sampled"),
            remote_parent_not_sampled: child("remote_parent_not_sampled"),
            local_parent_sampled: child("local_parent_sampled"),
            local_parent_not_sampled: child("local_parent_not_sampled"),
        },
        "jaeger_remote/development" | "jaeger_remote" => Sampler::JaegerRemote,
        other => Sampler::Other {
            name: other.to_owned(),
        },
    }
}
