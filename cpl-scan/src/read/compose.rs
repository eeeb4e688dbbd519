//! docker compose files: each service's `environment` (map or list, bare keys taken
//! from the interpolation variables), `env_file`, and `build` (the service's home
//! directory, for matching SDK code to it). Merge keys are applied.

use cpl_syntax::yaml::{Node, NodeValue};

use super::{join, parent};
use crate::context::Vars;
use crate::envfile::{interpolate, parse_env_file, Interpolated};
use crate::setting::Layer;
use crate::source::{content_span, entries, get, items, text, Read, SourceFile};

/// Whether a YAML document looks like a compose file.
pub fn is_compose(path: &str, root: &Node) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if (name.starts_with("compose") || name.starts_with("docker-compose"))
        && super::has_extension(name, &["yaml", "yml"])
    {
        return true;
    }
    get(root, "services").is_some_and(|services| {
        let services = entries(services);
        !services.is_empty()
            && services
                .iter()
                .all(|(_, s)| get(s, "image").is_some() || get(s, "build").is_some())
    })
}

/// Reads a compose file. `vars` are the interpolation variables (the `.env` beside it);
/// `open` reads a file by its scan-relative path (for `env_file`).
pub fn read(
    file: &SourceFile<'_>,
    root: &Node,
    vars: &Vars,
    open: &dyn Fn(&str) -> Option<String>,
) -> Read {
    let mut read = Read::default();
    let Some(services) = get(root, "services") else {
        return read;
    };
    let dir = parent(file.path);
    for (name, service) in entries(services) {
        let Some(name) = text(name) else { continue };
        if let Some(build) = get(service, "build") {
            let (context, dockerfile) = match &build.value {
                NodeValue::Scalar(s) => (s.text.as_str(), None),
                _ => (
                    get(build, "context").and_then(text).unwrap_or("."),
                    get(build, "dockerfile").and_then(text),
                ),
            };
            let context = join(dir, &interpolate(context, vars).text);
            let home = match dockerfile {
                Some(dockerfile) => parent(&join(&context, dockerfile)).to_owned(),
                None => context,
            };
            read.homes.push((name.to_owned(), home));
        }
        if let Some(env_files) = get(service, "env_file") {
            let paths: Vec<&Node> = match &env_files.value {
                NodeValue::Sequence(list) => list.iter().collect(),
                _ => vec![env_files],
            };
            for node in paths {
                let path = text(node).or_else(|| get(node, "path").and_then(text));
                let Some(path) = path else { continue };
                let path = join(dir, &interpolate(path, vars).text);
                let Some(content) = open(&path) else { continue };
                let env_file = SourceFile::new(
                    &path,
                    &content,
                    file.environment.clone(),
                    file.tenant.clone(),
                );
                for line in parse_env_file(&content, vars) {
                    read.settings.extend(env_file.env_settings(
                        &line.key,
                        &line.value,
                        &line.raw,
                        line.span.clone(),
                        Layer::EnvFile,
                        Some(name),
                    ));
                }
                file.assigned.borrow_mut().extend(env_file.assigned.take());
            }
        }
        let Some(environment) = get(service, "environment") else {
            continue;
        };
        match &environment.value {
            NodeValue::Mapping(_) => {
                for (key, value) in entries(environment) {
                    let Some(key_text) = text(key) else { continue };
                    let (resolved, written, span) = match text(value) {
                        Some(raw) if !matches!(&value.value, NodeValue::Scalar(s) if s.text.is_empty() && s.style == cpl_syntax::yaml::ScalarStyle::Plain) => {
                            (interpolate(raw, vars), raw.to_owned(), content_span(value))
                        }
                        _ => (
                            passthrough(key_text, vars),
                            key_text.to_owned(),
                            key.span.clone(),
                        ),
                    };
                    read.settings.extend(file.env_settings(
                        key_text,
                        &resolved,
                        &written,
                        span,
                        Layer::Compose,
                        Some(name),
                    ));
                }
            }
            NodeValue::Sequence(_) => {
                for item in items(environment) {
                    let Some(entry) = text(item) else { continue };
                    let span = content_span(item);
                    if let Some((key, raw)) = entry.split_once('=') {
                        let start = span.start + key.len() + 1;
                        read.settings.extend(file.env_settings(
                            key.trim(),
                            &interpolate(raw, vars),
                            raw,
                            start..span.end.max(start),
                            Layer::Compose,
                            Some(name),
                        ));
                    } else {
                        let key = entry.trim();
                        read.settings.extend(file.env_settings(
                            key,
                            &passthrough(key, vars),
                            key,
                            span,
                            Layer::Compose,
                            Some(name),
                        ));
                    }
                }
            }
            NodeValue::Scalar(_) => {}
        }
    }
    read
}

/// A bare `- KEY`: compose takes the value from its interpolation variables (the shell
/// or `.env`); the scan knows only `.env`.
fn passthrough(key: &str, vars: &Vars) -> Interpolated {
    match vars.get(key) {
        Some(value) => Interpolated {
            text: value.clone(),
            unresolved: Vec::new(),
        },
        None => Interpolated {
            text: String::new(),
            unresolved: vec![key.to_owned()],
        },
    }
}
