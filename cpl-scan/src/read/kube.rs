//! Kubernetes manifests (workload container `env`, kustomize patches), OpenTelemetry
//! Operator `Instrumentation` resources, and Helm values files (env-like keys).

use cpl_syntax::yaml::{Node, NodeValue};
use cpl_syntax::{codes, Diagnostic};

use crate::envfile::Interpolated;
use crate::setting::{Layer, Value, Var};
use crate::source::{content_span, entries, get, is_string, items, text, Read, SourceFile};

const WORKLOADS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Pod",
    "DeploymentConfig",
];

/// Whether a document is a Kubernetes resource.
pub fn is_resource(root: &Node) -> bool {
    get(root, "apiVersion").is_some() && get(root, "kind").is_some()
}

/// Reads one Kubernetes document.
pub fn read(file: &SourceFile<'_>, root: &Node, read: &mut Read) {
    read_as(file, root, read, None);
}

/// Whether `kind` is a workload whose pod template holds containers.
pub fn is_workload(kind: &str) -> bool {
    WORKLOADS.contains(&kind)
}

/// Reads one Kubernetes document; `layer` forces the layer of its container env (a
/// kustomize patch), else it is inferred from the path.
pub fn read_as(file: &SourceFile<'_>, root: &Node, read: &mut Read, layer: Option<Layer>) {
    let Some(kind) = get(root, "kind").and_then(text) else {
        return;
    };
    if kind == "Instrumentation" {
        instrumentation(file, root, read);
        return;
    }
    if !WORKLOADS.contains(&kind) {
        return;
    }
    let name = get(root, "metadata")
        .and_then(|m| get(m, "name"))
        .and_then(text);
    let spec = get(root, "spec");
    let pod = match kind {
        "Pod" => spec,
        "CronJob" => spec
            .and_then(|s| get(s, "jobTemplate"))
            .and_then(|j| get(j, "spec"))
            .and_then(|s| get(s, "template"))
            .and_then(|t| get(t, "spec")),
        _ => spec
            .and_then(|s| get(s, "template"))
            .and_then(|t| get(t, "spec")),
    };
    let Some(pod) = pod else { return };
    let layer = layer.unwrap_or_else(|| {
        if file
            .path
            .split('/')
            .any(|p| p == "overlays" || p.contains("patch"))
        {
            Layer::Kustomize
        } else {
            Layer::Kubernetes
        }
    });
    for container in get(pod, "containers").map(items).unwrap_or_default() {
        let service = name.or_else(|| get(container, "name").and_then(text));
        env_entries(
            file,
            get(container, "env").map(items).unwrap_or_default(),
            service,
            layer,
            read,
        );
    }
}

/// Reads a container's `env` entries (`{name, value}` or `{name, valueFrom}`).
pub fn env_entries(
    file: &SourceFile<'_>,
    env: &[Node],
    service: Option<&str>,
    layer: Layer,
    read: &mut Read,
) {
    let mut known = crate::context::Vars::new();
    for entry in env {
        let Some(var_name) = get(entry, "name").and_then(text) else {
            continue;
        };
        if let Some(value) = get(entry, "value") {
            if !is_string(value) && Var::from_env(var_name).is_some() {
                read.diagnostics.push(
                        Diagnostic::new(
                            &codes::NON_STRING_ENV_VALUE,
                            format!("`{var_name}` has a value that is not a string; the API server rejects the manifest"),
                            value.span.clone(),
                            "not a string",
                        )
                        .with_help(format!("quote it: `value: \"{}\"`", text(value).unwrap_or(""))),
                    );
            }
            let raw = text(value).unwrap_or("");
            let resolved = dollar_paren(raw, &known);
            known.insert(var_name.to_owned(), resolved.text.clone());
            read.settings.extend(file.env_settings(
                var_name,
                &resolved,
                raw,
                content_span(value),
                layer,
                service,
            ));
        } else if let Some(from) = get(entry, "valueFrom") {
            let origin = entries(from).into_iter().next().map_or_else(
                || "valueFrom".to_owned(),
                |(k, v)| {
                    let name = get(v, "name").and_then(text).unwrap_or("?");
                    let key = get(v, "key").and_then(text).unwrap_or("?");
                    format!("{}:{name}/{key}", text(k).unwrap_or("valueFrom"))
                },
            );
            let resolved = Interpolated {
                text: String::new(),
                unresolved: vec![origin],
            };
            read.settings.extend(file.env_settings(
                var_name,
                &resolved,
                "valueFrom",
                from.span.clone(),
                layer,
                service,
            ));
        }
    }
}

/// Kubernetes `$(VAR)` expansion from the container's earlier entries; `$$(` escapes.
fn dollar_paren(raw: &str, known: &crate::context::Vars) -> Interpolated {
    let mut out = Interpolated {
        text: String::new(),
        unresolved: Vec::new(),
    };
    let mut rest = raw;
    while let Some(at) = rest.find("$(") {
        if rest[..at].ends_with('$') {
            out.text.push_str(&rest[..at - 1]);
            out.text.push_str("$(");
            rest = &rest[at + 2..];
            continue;
        }
        out.text.push_str(&rest[..at]);
        let Some(close) = rest[at..].find(')') else {
            out.text.push_str(&rest[at..]);
            return out;
        };
        let name = &rest[at + 2..at + close];
        match known.get(name) {
            Some(value) => out.text.push_str(value),
            // Kubernetes leaves an unknown reference as written.
            None => out.text.push_str(&rest[at..=at + close]),
        }
        rest = &rest[at + close + 1..];
    }
    out.text.push_str(rest);
    out
}

/// The sampler types the Operator's `Instrumentation` CRD accepts.
pub const OPERATOR_SAMPLERS: &[&str] = &[
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
    "jaeger_remote",
    "xray",
];

fn instrumentation(file: &SourceFile<'_>, root: &Node, read: &mut Read) {
    let Some(spec) = get(root, "spec") else {
        return;
    };
    if let Some(sampler) = get(spec, "sampler") {
        if let Some(kind) = get(sampler, "type") {
            let raw = text(kind).unwrap_or("");
            read.settings.push(file.setting(
                content_span(kind),
                Layer::OperatorCr,
                "spec.sampler.type",
                Some(Var::OtelTracesSampler),
                Value::Text {
                    text: raw.to_owned(),
                },
                None,
            ));
        }
        if let Some(argument) = get(sampler, "argument") {
            read.settings.push(file.setting(
                content_span(argument),
                Layer::OperatorCr,
                "spec.sampler.argument",
                Some(Var::OtelTracesSamplerArg),
                Value::Text {
                    text: text(argument).unwrap_or("").to_owned(),
                },
                None,
            ));
        }
    }
    if let Some(propagators) = get(spec, "propagators") {
        read.settings.push(
            file.setting(
                propagators.span.clone(),
                Layer::OperatorCr,
                "spec.propagators",
                Some(Var::OtelPropagators),
                Value::Text {
                    text: items(propagators)
                        .iter()
                        .filter_map(text)
                        .collect::<Vec<_>>()
                        .join(","),
                },
                None,
            ),
        );
    }
}

/// Keys of Helm values that hold container env.
const ENV_KEYS: &[&str] = &["env", "extraEnv", "envOverrides", "extraEnvs"];
/// Keys that never name a component.
const NOT_COMPONENTS: &[&str] = &[
    "components",
    "default",
    "global",
    "values",
    "opentelemetry-demo",
];

/// Whether a file is a Helm values file.
pub fn is_values(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.starts_with("values") && super::has_extension(name, &["yaml", "yml"])
}

/// Reads a Helm values file: every env-like key, under the component that owns it.
pub fn read_values(file: &SourceFile<'_>, root: &Node, read: &mut Read) {
    let mut stack: Vec<(&Node, Option<&str>)> = vec![(root, None)];
    while let Some((node, component)) = stack.pop() {
        for (key, value) in entries(node) {
            let Some(key_text) = text(key) else { continue };
            if ENV_KEYS.contains(&key_text) {
                let priority = u8::from(key_text == "envOverrides");
                let before = read.settings.len();
                values_env(file, value, component, read);
                for setting in &mut read.settings[before..] {
                    setting.priority = priority;
                }
                continue;
            }
            if matches!(value.value, NodeValue::Mapping(_)) {
                let next = if NOT_COMPONENTS.contains(&key_text) {
                    component.filter(|_| key_text != "default")
                } else {
                    Some(key_text)
                };
                stack.push((value, next));
            }
        }
    }
}

fn values_env(file: &SourceFile<'_>, value: &Node, component: Option<&str>, read: &mut Read) {
    let pairs: Vec<(&str, &Node)> = match &value.value {
        NodeValue::Sequence(list) => list
            .iter()
            .filter_map(|e| Some((get(e, "name").and_then(text)?, get(e, "value")?)))
            .collect(),
        NodeValue::Mapping(_) => entries(value)
            .into_iter()
            .filter_map(|(k, v)| Some((text(k)?, v)))
            .collect(),
        NodeValue::Scalar(_) => Vec::new(),
    };
    for (name, node) in pairs {
        let raw = text(node).unwrap_or("");
        let resolved = Interpolated {
            text: raw.to_owned(),
            unresolved: Vec::new(),
        };
        read.settings.extend(file.env_settings(
            name,
            &resolved,
            raw,
            content_span(node),
            Layer::HelmValues,
            component,
        ));
    }
}
